"""The published iCalendar feeds: one VEVENT per occurrence, revised only when it changes."""

# Each event's UID derives from the bot's artifact key and the meeting repository, so it is the same
# on every run and machine. SEQUENCE and LAST-MODIFIED come from the previous feed when the event is
# unchanged (the digest of its content, kept in X-MEETING-BOT-DIGEST, is the same), and rise by one
# and to `now` when it changed. The previous feed is untrusted input: an event in it counts only when
# its UID, SEQUENCE, LAST-MODIFIED, digest and times pass the checks of `read_previous`.

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from dataclasses import dataclass
from typing import Iterable, Mapping, Sequence

import icalendar

PRODID = "-//meeting-bot//meeting-bot//EN"  # no version: an upgrade alone changes no feed
UID_FORMAT = "meeting-bot/{repo}/{key}"
DIGEST_PROPERTY = "X-MEETING-BOT-DIGEST"
STATUS_CONFIRMED = "CONFIRMED"
STATUS_CANCELLED = "CANCELLED"
REFRESH = dt.timedelta(hours=6)  # how often subscribers are asked to fetch the feed again
REFRESH_TEXT = "PT6H"  # the same, as Outlook reads it in X-PUBLISHED-TTL
MAX_SEQUENCE = 1_000_000
MAX_LENGTH = dt.timedelta(days=1)
UTC = dt.timezone.utc

BAD_PREVIOUS = "{name}: not a readable iCalendar feed, so its revisions are not carried over"
SKIPPED_PREVIOUS = "{name}: {count} event(s) failed the checks and were not carried over"

_UID = re.compile(
    r"^meeting-bot/(?P<repo>[A-Za-z0-9._-]+/[A-Za-z0-9._-]+)/"
    r"(?P<key>[A-Za-z0-9][A-Za-z0-9._-]*/[0-9]{4}-[0-9]{2}-[0-9]{2})$"
)
_DIGEST = re.compile(r"^[0-9a-f]{64}$")


@dataclass(frozen=True)
class FeedEvent:
    """What one occurrence's VEVENT says, before its revision is known."""

    uid: str
    start: dt.datetime  # aware, in the meeting's zone
    end: dt.datetime
    summary: str
    description: str
    location: str | None
    url: str | None
    cancelled: bool

    def digest(self) -> str:
        """A digest of everything a subscriber sees, so an unchanged event keeps its revision."""
        content = {
            "start": self.start.isoformat(), "end": self.end.isoformat(), "zone": str(self.start.tzinfo),
            "summary": self.summary, "description": self.description, "location": self.location,
            "url": self.url, "cancelled": self.cancelled,
        }
        return hashlib.sha256(json.dumps(content, sort_keys=True).encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Published:
    """One event as the previous feed had it, after the checks."""

    uid: str
    key: str
    sequence: int
    modified: dt.datetime  # UTC
    digest: str
    start: dt.datetime
    end: dt.datetime


def uid(repo: str, key: str) -> str:
    return UID_FORMAT.format(repo=repo, key=key)


def key_of(uid_text: str) -> str | None:
    """The artifact key in one of the bot's UIDs, else None."""
    found = _UID.match(uid_text)
    return found.group("key") if found else None


# -- the previous feed ---------------------------------------------------------------------------


def read_previous(
    texts: Mapping[str, bytes], now: dt.datetime
) -> tuple[dict[str, Published], list[str]]:
    """The checked events of previous feeds (file name -> bytes) by UID, and warnings.

    Where feeds disagree about one UID, the highest SEQUENCE wins.
    """
    found: dict[str, Published] = {}
    warnings: list[str] = []
    for name, text in texts.items():
        try:
            calendar = icalendar.Calendar.from_ical(text)
            events = list(calendar.walk("VEVENT"))
        except Exception:  # any failure of a library parser on hostile bytes means: unreadable
            warnings.append(BAD_PREVIOUS.format(name=name))
            continue
        checked = [_checked(event, now) for event in events]
        skipped = sum(1 for record in checked if record is None)
        if skipped:
            warnings.append(SKIPPED_PREVIOUS.format(name=name, count=skipped))
        for record in checked:
            if record is not None and (record.uid not in found or record.sequence > found[record.uid].sequence):
                found[record.uid] = record
    return found, warnings


def _checked(event: icalendar.Component, now: dt.datetime) -> Published | None:
    """The event when every field the bot relies on is well-formed and plausible, else None."""
    try:
        uid_text = str(event.get("UID", ""))
        key = key_of(uid_text)
        sequence = int(str(event.get("SEQUENCE", "")))
        modified = event.get("LAST-MODIFIED").dt
        digest = str(event.get(DIGEST_PROPERTY, ""))
        start, end = event.get("DTSTART").dt, event.get("DTEND").dt
    except (AttributeError, TypeError, ValueError):
        return None
    if key is None or not 0 <= sequence <= MAX_SEQUENCE or not _DIGEST.match(digest):
        return None
    if not all(_aware(value) for value in (modified, start, end)):
        return None
    if modified > now or not start < end <= start + MAX_LENGTH:
        return None
    return Published(uid_text, key, sequence, modified.astimezone(UTC), digest, start, end)


def _aware(value: object) -> bool:
    return isinstance(value, dt.datetime) and value.tzinfo is not None and value.utcoffset() is not None


# -- the new feed --------------------------------------------------------------------------------


def revision(digest: str, previous: Published | None, now: dt.datetime) -> tuple[int, dt.datetime]:
    """SEQUENCE and LAST-MODIFIED: kept while the event is unchanged, raised when it changed."""
    moment = now.astimezone(UTC).replace(microsecond=0)
    if previous is None:
        return 0, moment
    if previous.digest == digest:
        return previous.sequence, previous.modified
    return previous.sequence + 1, max(moment, previous.modified + dt.timedelta(seconds=1))


def vevent(item: FeedEvent, previous: Published | None, now: dt.datetime) -> icalendar.Event:
    digest = item.digest()
    sequence, modified = revision(digest, previous, now)
    event = icalendar.Event()
    event.add("UID", item.uid)
    event.add("DTSTAMP", modified)
    event.add("LAST-MODIFIED", modified)
    event.add("SEQUENCE", sequence)
    event.add("DTSTART", item.start)
    event.add("DTEND", item.end)
    event.add("SUMMARY", item.summary)
    event.add("DESCRIPTION", item.description)
    if item.location:
        event.add("LOCATION", item.location)
    if item.url:
        event.add("URL", item.url)
    event.add("STATUS", STATUS_CANCELLED if item.cancelled else STATUS_CONFIRMED)
    event.add("TRANSP", "OPAQUE")
    event.add(DIGEST_PROPERTY, digest)
    return event


def feed(
    name: str, zone: str, items: Sequence[FeedEvent], previous: Mapping[str, Published], now: dt.datetime
) -> bytes:
    """One feed: the calendar's properties, a VTIMEZONE for each zone used, the events in time order."""
    calendar = icalendar.Calendar()
    calendar.add("PRODID", PRODID)
    calendar.add("VERSION", "2.0")
    calendar.add("CALSCALE", "GREGORIAN")
    calendar.add("METHOD", "PUBLISH")
    calendar.add("X-WR-CALNAME", name)
    calendar.add("X-WR-TIMEZONE", zone)
    calendar.add("REFRESH-INTERVAL", REFRESH, parameters={"VALUE": "DURATION"})
    calendar.add("X-PUBLISHED-TTL", REFRESH_TEXT)
    ordered = sorted(items, key=lambda item: (item.start.astimezone(UTC), item.uid))
    events = [vevent(item, previous.get(item.uid), now) for item in ordered]
    for event in events:
        calendar.add_component(event)
    first, last = _zone_span(ordered, now)
    zones = [icalendar.Timezone.from_tzid(tzid, first_date=first, last_date=last) for tzid in sorted(calendar.get_missing_tzids())]
    calendar.subcomponents[:] = [*zones, *events]  # sorted, so the bytes do not depend on set order
    return bytes(calendar.to_ical())


def _zone_span(items: Iterable[FeedEvent], now: dt.datetime) -> tuple[dt.date, dt.date]:
    """Whole years around the events, so a VTIMEZONE's text changes only once a year."""
    years = [item.start.year for item in items] or [now.year]
    return dt.date(min(years) - 1, 1, 1), dt.date(max(years) + 2, 1, 1)


def zone_of(zones: Iterable[str]) -> str:
    """X-WR-TIMEZONE of a feed: the meetings' one zone, or UTC when they have several."""
    found = set(zones)
    return found.pop() if len(found) == 1 else "UTC"
