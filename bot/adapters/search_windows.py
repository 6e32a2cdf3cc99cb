"""Past a search's 1,000-result cap: the same query again from the last item's creation time, until done."""

from __future__ import annotations

import logging
from typing import Callable, Mapping, Sequence

from bot import agenda
from bot.logs import LOGGER

log = logging.getLogger(LOGGER)

Pages = Callable[[str], tuple[Sequence[Mapping], int]]  # one window's text -> its results and total count
NextSince = Callable[[int, Sequence[Mapping]], "str | None"]  # where the next window starts, or None


def every_window(query: str, pages: Pages, next_since: NextSince, warnings: list[str]) -> list[Mapping]:
    """All results of `query` (sorted by creation time), window after window. Windows overlap by one
    instant rather than risk losing items made in the same second; a window that cannot move on (more
    than the cap made at one instant) ends the search with a warning."""
    found: list[Mapping] = []
    since: str | None = None
    while True:
        text = agenda.window(query, since)
        results, total = pages(text)
        found += results
        following = next_since(total, results)
        if following is None:
            return found
        if following == since:
            warnings.append(agenda.CANNOT_SPLIT.format(query=query, cap=agenda.SEARCH_RESULT_CAP, since=since))
            return found
        log.warning(agenda.QUERY_SPLIT.format(query=text, total=total, cap=agenda.SEARCH_RESULT_CAP, since=following))
        since = following
