"""Did-you-mean: the closest known name to a mistyped one, as a hint to append to an error."""

from __future__ import annotations

import difflib
import functools
import zoneinfo
from typing import Iterable

DID_YOU_MEAN = " (did you mean {match!r}?)"
CUTOFF = 0.6
ZONE_CUTOFF = 0.8  # zone names share long prefixes ("America/"): only a near miss is worth naming
NOT_ZONES = frozenset({"localtime", "posixrules", "Factory"})  # files in the zone database, not places


def closest(word: str, candidates: Iterable[str], cutoff: float = CUTOFF) -> str | None:
    """The candidate nearest to `word` (ignoring case first), or None when none is near enough."""
    known = list(dict.fromkeys(candidates))
    by_case = {c.lower(): c for c in known}
    if word.lower() in by_case and by_case[word.lower()] != word:
        return by_case[word.lower()]
    found = difflib.get_close_matches(word, known, n=1, cutoff=cutoff)
    return found[0] if found else None


def hint(word: str, candidates: Iterable[str]) -> str:
    """` (did you mean 'x'?)`, or "" when nothing is close."""
    match = closest(word, candidates)
    return DID_YOU_MEAN.format(match=match) if match else ""


@functools.lru_cache(maxsize=1)
def _zones() -> tuple[str, ...]:
    return tuple(sorted(zoneinfo.available_timezones() - NOT_ZONES))


def zone_hint(name: str) -> str:
    """A hint for a time zone name: the IANA zone nearest to it, in whole or by its last part."""
    zones = _zones()
    whole = closest(name.strip(), zones, ZONE_CUTOFF)
    if whole:
        return DID_YOU_MEAN.format(match=whole)
    cities = {zone.rsplit("/", 1)[-1]: zone for zone in zones}
    city = closest(name.strip().rsplit("/", 1)[-1], cities, ZONE_CUTOFF)
    return DID_YOU_MEAN.format(match=cities[city]) if city else ""
