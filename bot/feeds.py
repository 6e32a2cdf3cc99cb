"""iCalendar feeds: the timed events of a feed's text that a slot follows, expanded and in its zone.

Expansion is recurring-ical-events' (RRULE, RDATE, EXDATE, RECURRENCE-ID overrides, the feed's
VTIMEZONE and X-WR-TIMEZONE). On top of it: events whose SUMMARY does not contain the slot's
`ics_match` (case-insensitive; no match text = every event), STATUS:CANCELLED events and all-day
events are left out, and times are expressed in the slot's zone. A floating time (no TZID, no Z)
is in the feed's X-WR-TIMEZONE when it names one, else a wall-clock time in the slot's zone,
resolved like rule times (see `bot.occurrences`). An event without DTEND or DURATION lasts the
slot's `duration_minutes` (that default is applied by `bot.occurrences`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

import icalendar
import recurring_ical_events

CALENDAR = "VCALENDAR"
MAX_REASON = 160
STATUS_CANCELLED = "CANCELLED"
UTC = dt.timezone.utc

MSG_MALFORMED = "malformed iCalendar feed: {reason}"
MSG_MISSING_PROPERTY = "malformed iCalendar feed: an event has no {name}"
MSG_NOT_A_CALENDAR = "not an iCalendar feed: it does not start with BEGIN:VCALENDAR"


class FeedError(Exception):
    """A feed could not be fetched or read; the message is one line and carries no secret."""


@dataclass(frozen=True)
class FeedEvent:
    """One occurrence of a feed event; `start` and `end` are aware, in the slot's zone."""

    start: dt.datetime
    end: dt.datetime
    summary: str


def parse_calendar(text: str) -> icalendar.Calendar:
    """The feed's calendar, or FeedError."""
    try:
        calendar = icalendar.Calendar.from_ical(text)
    except ValueError as error:
        raise FeedError(MSG_MALFORMED.format(reason=_one_line(error))) from None
    if getattr(calendar, "name", None) != CALENDAR:
        raise FeedError(MSG_NOT_A_CALENDAR)
    return calendar


def feed_events(
    text: str,
    *,
    zone: str,
    match: str | None = None,
    after: dt.datetime,
    until: dt.datetime,
) -> tuple[FeedEvent, ...]:
    """The wanted events of the feed that start in [after, until), in time order."""
    calendar = parse_calendar(text)
    try:
        found = recurring_ical_events.of(calendar).between(after, until)
        events = [_event(component, zone) for component in found if _wanted(component, match)]
    except KeyError as error:
        raise FeedError(MSG_MISSING_PROPERTY.format(name=error.args[0])) from None
    except ValueError as error:  # icalendar's and recurring-ical-events' errors are ValueErrors
        raise FeedError(MSG_MALFORMED.format(reason=_one_line(error))) from None
    return tuple(sorted((event for event in events if after <= event.start < until), key=lambda event: event.start))


def _wanted(component: icalendar.Component, match: str | None) -> bool:
    if str(component.get("STATUS", "")).upper() == STATUS_CANCELLED:
        return False
    if not isinstance(component.get("DTSTART").dt, dt.datetime):
        return False  # an all-day event is not a meeting
    return match is None or match.casefold() in str(component.get("SUMMARY", "")).casefold()


def _event(component: icalendar.Component, zone: str) -> FeedEvent:
    start = _in_zone(component.get("DTSTART").dt, zone)
    end_property = component.get("DTEND")
    end = _in_zone(end_property.dt, zone) if end_property is not None else start
    return FeedEvent(start=start, end=end, summary=str(component.get("SUMMARY", "")))


def _in_zone(value: dt.datetime, zone: str) -> dt.datetime:
    tz = ZoneInfo(zone)
    aware = value if value.tzinfo is not None else value.replace(tzinfo=tz, fold=0)
    return aware.astimezone(UTC).astimezone(tz)


def _one_line(error: Exception) -> str:
    """The library's message on one line, cut short: it may quote a whole line of the feed."""
    text = " ".join(str(error).split())
    return text if len(text) <= MAX_REASON else text[: MAX_REASON - 3] + "..."
