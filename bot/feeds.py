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

from bot import recurrence
from bot.errors import FeedError as FeedError  # the feed adapter raises it too

CALENDAR = "VCALENDAR"
EVENT = "VEVENT"
STATUS_CANCELLED = "CANCELLED"
MAX_OCCURRENCES = 20000  # expanded occurrences of one feed in one window, at most (every event counts)
UTC = dt.timezone.utc

# Never the library's message: it may quote the feed, and the feed is whatever the server sent.
MSG_MALFORMED = "malformed iCalendar feed: {stage}"
STAGE_PARSE = "its text is not valid iCalendar"
STAGE_EXPAND = "an event's dates or recurrence rule cannot be read"
MSG_MISSING_PROPERTY = "malformed iCalendar feed: an event has no {name}"
MSG_NOT_A_CALENDAR = "not an iCalendar feed: it does not start with BEGIN:VCALENDAR"
MSG_SUB_DAILY = "the feed's meeting event repeats more often than daily: refused"
MSG_TOO_MANY = "the feed expands to more than {limit} occurrences in the window: refused"


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
    except ValueError:
        raise FeedError(MSG_MALFORMED.format(stage=STAGE_PARSE)) from None
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
    limit: int = MAX_OCCURRENCES,
) -> tuple[FeedEvent, ...]:
    """The wanted events of the feed that start in [after, until), in time order.

    Events that repeat more often than daily are dropped before expansion (refused, when the slot
    follows them), and expansion stops past `limit` occurrences (MAX_OCCURRENCES).
    """
    calendar = parse_calendar(text)
    try:
        _drop_sub_daily(calendar, match)
        events = []
        for count, component in enumerate(recurring_ical_events.of(calendar).after(after)):
            if _start(component) >= until:
                break
            if count >= limit:
                raise FeedError(MSG_TOO_MANY.format(limit=limit))
            if _wanted(component, match):
                events.append(_event(component, zone))
    except KeyError as error:
        raise FeedError(MSG_MISSING_PROPERTY.format(name=error.args[0])) from None
    except ValueError:  # icalendar's and recurring-ical-events' errors are ValueErrors
        raise FeedError(MSG_MALFORMED.format(stage=STAGE_EXPAND)) from None
    return tuple(sorted((event for event in events if after <= event.start < until), key=lambda event: event.start))


def _drop_sub_daily(calendar: icalendar.Calendar, match: str | None) -> None:
    """Remove every event (and its overrides) whose rule repeats more often than daily; FeedError
    when the slot's own meeting is one of them."""
    noisy = {str(c.get("UID", "")) for c in calendar.walk(EVENT) if any(map(recurrence.sub_daily, _rules(c)))}
    if not noisy:
        return
    dropped = [c for c in calendar.subcomponents if c.name == EVENT and str(c.get("UID", "")) in noisy]
    if any(_matches(c, match) for c in dropped):
        raise FeedError(MSG_SUB_DAILY)
    calendar.subcomponents[:] = [c for c in calendar.subcomponents if not any(c is d for d in dropped)]


def _rules(component: icalendar.Component) -> list[str]:
    found = component.get("RRULE")
    rules = found if isinstance(found, list) else [found] if found is not None else []
    return [rule.to_ical().decode("utf-8", errors="replace") for rule in rules]


def _start(component: icalendar.Component) -> dt.datetime:
    """The occurrence's start as an aware UTC time, for the window's end (a date counts from midnight UTC)."""
    value = component.get("DTSTART").dt
    if not isinstance(value, dt.datetime):
        value = dt.datetime.combine(value, dt.time(), UTC)
    return value.astimezone(UTC) if value.tzinfo is not None else value.replace(tzinfo=UTC)


def _matches(component: icalendar.Component, match: str | None) -> bool:
    return match is None or match.casefold() in str(component.get("SUMMARY", "")).casefold()


def _wanted(component: icalendar.Component, match: str | None) -> bool:
    if str(component.get("STATUS", "")).upper() == STATUS_CANCELLED:
        return False
    if not isinstance(component.get("DTSTART").dt, dt.datetime):
        return False  # an all-day event is not a meeting
    return _matches(component, match)


def _event(component: icalendar.Component, zone: str) -> FeedEvent:
    start = _in_zone(component.get("DTSTART").dt, zone)
    end_property = component.get("DTEND")
    end = _in_zone(end_property.dt, zone) if end_property is not None else start
    return FeedEvent(start=start, end=end, summary=str(component.get("SUMMARY", "")))


def _in_zone(value: dt.datetime, zone: str) -> dt.datetime:
    tz = ZoneInfo(zone)
    aware = value if value.tzinfo is not None else value.replace(tzinfo=tz, fold=0)
    return aware.astimezone(UTC).astimezone(tz)
