"""Occurrences: when a meeting happens (rules or feeds, in IANA zones) and which one a run acts on.

Rules are expanded by python-dateutil on *naive wall-clock* datetimes in the slot's zone, so a
weekly 08:30 America/Los_Angeles meeting stays at 08:30 local across every DST change while its
UTC time moves. Each wall time is then resolved to an instant by `localize`:

- In a gap: a wall time that does not exist (it falls in a spring-forward gap) moves forward by the
  length of the gap: 02:30 on a day when 02:00 jumps to 03:00 becomes 03:30 daylight time. This is
  what zoneinfo does with fold=0 (the offset from before the change) once the time is normalized
  through UTC.
- In an overlap: a wall time that exists twice (it falls in a fall-back overlap) means the first
  of the two instants, the earlier one, still in daylight time (fold=0).

Other rules of this module:

- Every `now`, `after` and `until` is an aware datetime passed in; nothing here reads a clock or
  depends on the machine's own time zone.
- An occurrence's `start` and `end` are expressed in the meeting's zone (its first slot's), and
  its artifact key uses that local date. When two occurrences fall on the same local date, only
  the earlier one is kept: an artifact key names one occurrence.
- `skip_dates` are dates in the slot's own zone (the zone its times are written in).
- The duration is counted in elapsed time, so a meeting across a DST change still lasts its
  `duration_minutes`; the creation window (`Occurrence.window_opens`) is counted in local days.
- Searches with no natural end (rules without COUNT or UNTIL, feeds) look at most SEARCH_HORIZON
  ahead or back; rules that repeat more often than daily are refused.
- Feed slots take their occurrences from already-fetched feed text (`feeds`: ics_url -> text);
  fetching is the shell's job (`bot.adapters.feed`).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import re
from typing import Mapping
from zoneinfo import ZoneInfo

from dateutil.rrule import rrule, rrulestr

from bot import recurrence
from bot.errors import FeedError, NoOccurrenceOn
from bot.feeds import feed_events
from bot.model import Meeting, Occurrence, Slot

SEARCH_HORIZON = dt.timedelta(days=2 * 366)
SEARCH_SPANS = (dt.timedelta(days=45), dt.timedelta(days=400), SEARCH_HORIZON)
ONE_DAY = dt.timedelta(days=1)
RESOLUTION = dt.timedelta(microseconds=1)
UTC = dt.timezone.utc

RULE_PREFIX = "RRULE:"
RULE_WALL_FORMAT = "%Y%m%dT%H%M%S"
UNTIL_UTC = re.compile(r"UNTIL=(\d{8}T\d{6})Z", re.IGNORECASE)

MSG_NO_OCCURRENCE = "no occurrence on {day}; nearest: {nearest}; to act on {day} anyway, add --force"
MSG_NONE_NEAR = "none within two years"
MSG_NOT_ONE_RULE = "recurrence rule {rule!r}: expected one RRULE value, such as FREQ=WEEKLY;INTERVAL=2"
MSG_BAD_RULE = "recurrence rule {rule!r}: {reason}"
MSG_TOO_FREQUENT = "recurrence rule {rule!r} repeats more often than daily"
MSG_NAIVE = "{name} must be an aware datetime (with a time zone), got {value}"
MSG_FEED_NOT_LOADED = "feed not loaded: {url}"
OCCURRENCE_LABEL = "{date} {time} {zone}"

Feeds = Mapping[str, str]  # ics_url -> the feed's text, fetched by the shell
Times = list[tuple[dt.datetime, dt.datetime]]  # (start, end) pairs in a slot's zone


def _no_occurrence_on(day: dt.date, nearest: tuple[Occurrence, ...] = ()) -> NoOccurrenceOn:
    listed = ", ".join(_label(occ) for occ in nearest) or MSG_NONE_NEAR
    return NoOccurrenceOn(day, nearest, MSG_NO_OCCURRENCE.format(day=day.isoformat(), nearest=listed))


def _label(occ: Occurrence) -> str:
    return OCCURRENCE_LABEL.format(date=occ.date, time=occ.start.strftime("%H:%M"), zone=occ.start.tzname())


# -- wall-clock times and rules ---------------------------------------------------------------


def localize(wall: dt.datetime, zone: str) -> dt.datetime:
    """The instant of a naive wall-clock time in `zone`, by the gap and overlap rules above."""
    tz = ZoneInfo(zone)
    return wall.replace(tzinfo=tz, fold=0).astimezone(UTC).astimezone(tz)


def _wall(moment: dt.datetime, zone: str) -> dt.datetime:
    return moment.astimezone(ZoneInfo(zone)).replace(tzinfo=None)


def _plus_minutes(start: dt.datetime, minutes: int) -> dt.datetime:
    """Elapsed-time arithmetic (aware + timedelta in one zone would be wall-clock arithmetic)."""
    return (start.astimezone(UTC) + dt.timedelta(minutes=minutes)).astimezone(start.tzinfo)


@functools.lru_cache(maxsize=128)
def parse_rule(text: str, start: dt.datetime, zone: str) -> rrule:
    """The dateutil rule for an RRULE value on naive wall times; ValueError with a clear message.

    An UNTIL in UTC (as RFC 5545 asks for with a zoned DTSTART) is turned into the zone's wall time.
    """
    body = text.strip()
    if body.upper().startswith(RULE_PREFIX):
        body = body[len(RULE_PREFIX):]
    if not body or ":" in body or "\n" in body:
        raise ValueError(MSG_NOT_ONE_RULE.format(rule=text))
    if recurrence.sub_daily(body):  # by FREQ, or by BYHOUR/BYMINUTE/BYSECOND lists: before any expansion
        raise ValueError(MSG_TOO_FREQUENT.format(rule=text))
    try:
        parsed = rrulestr(_until_as_wall(body, zone), dtstart=start, cache=False)
    except (ValueError, TypeError, KeyError) as error:
        raise ValueError(MSG_BAD_RULE.format(rule=text, reason=error)) from None
    assert isinstance(parsed, rrule)  # one RRULE value: no ":" or line break, as checked above
    return parsed


def _until_as_wall(body: str, zone: str) -> str:
    def as_wall(match: re.Match[str]) -> str:
        moment = dt.datetime.strptime(match.group(1), RULE_WALL_FORMAT).replace(tzinfo=UTC)
        return "UNTIL=" + _wall(moment, zone).strftime(RULE_WALL_FORMAT)

    return UNTIL_UTC.sub(as_wall, body)


# -- expansion ----------------------------------------------------------------------------------


def feed_urls(meeting: Meeting) -> tuple[str, ...]:
    """The feeds the shell must fetch before asking about this meeting's occurrences."""
    return tuple(dict.fromkeys(slot.ics_url for slot in meeting.slots if slot.ics_url))


def occurrences(
    meeting: Meeting,
    after: dt.datetime,
    until: dt.datetime,
    feeds: Feeds | None = None,
) -> list[Occurrence]:
    """The occurrences that start in [after, until), all slots merged in time order."""
    return _merged(meeting, after, until, feeds or {}, skip=True)


def _merged(meeting: Meeting, after: dt.datetime, until: dt.datetime, feeds: Feeds, skip: bool) -> list[Occurrence]:
    _require_aware(after=after, until=until)
    # Start a day early, so the one-per-day choice does not depend on where the window starts.
    early = after - ONE_DAY
    found = [occ for slot in meeting.slots for occ in _slot_occurrences(meeting, slot, early, until, feeds, skip)]
    return [occ for occ in _one_per_day(found) if after <= occ.start < until]


def _require_aware(**moments: dt.datetime) -> None:
    for name, value in moments.items():
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(MSG_NAIVE.format(name=name, value=value))


def _one_per_day(found: list[Occurrence]) -> list[Occurrence]:
    kept: dict[str, Occurrence] = {}
    for occ in sorted(found, key=lambda occ: occ.start):
        kept.setdefault(occ.key, occ)
    return list(kept.values())


def _slot_occurrences(
    meeting: Meeting, slot: Slot, after: dt.datetime, until: dt.datetime, feeds: Feeds, skip: bool
) -> list[Occurrence]:
    times = _feed_times(slot, after, until, feeds) if slot.ics_url else _rule_times(slot, after, until)
    return [
        _occurrence(meeting, slot, start, end)
        for start, end in times
        if not (skip and start.date() in slot.skip_dates)
    ]


def _rule_times(slot: Slot, after: dt.datetime, until: dt.datetime) -> Times:
    """(start, end) in the slot's zone; the wall-clock search is widened a day for DST changes."""
    assert slot.start is not None  # a rule's slot has a start (config requires it)
    walls: list[dt.datetime]
    if slot.rrule is None:
        walls = [slot.start]
    else:
        rule = parse_rule(slot.rrule, slot.start, slot.timezone)
        walls = rule.between(_wall(after, slot.timezone) - ONE_DAY, _wall(until, slot.timezone) + ONE_DAY, True)
    starts = (localize(wall, slot.timezone) for wall in walls)
    return [(start, _plus_minutes(start, slot.duration_minutes)) for start in starts if after <= start < until]


def _feed_times(slot: Slot, after: dt.datetime, until: dt.datetime, feeds: Feeds) -> Times:
    """(start, end) of the feed's events; an event without a length lasts the slot's duration."""
    if slot.ics_url is None or slot.ics_url not in feeds:
        raise FeedError(MSG_FEED_NOT_LOADED.format(url=slot.ics_url))
    events = feed_events(feeds[slot.ics_url], zone=slot.timezone, match=slot.ics_match, after=after, until=until)
    minutes = slot.duration_minutes
    return [(e.start, e.end if e.end > e.start else _plus_minutes(e.start, minutes)) for e in events]


def _occurrence(
    meeting: Meeting, slot: Slot, start: dt.datetime, end: dt.datetime, extra: bool = False
) -> Occurrence:
    home = ZoneInfo(meeting.timezone)
    return Occurrence(
        meeting_id=meeting.id,
        start=start.astimezone(home),
        end=end.astimezone(home),
        timezone=meeting.timezone,
        create_days_before=slot.create_days_before,
        vars={**meeting.vars, **slot.vars},
        extra=extra,
    )


# -- searches -----------------------------------------------------------------------------------


def _forward(meeting: Meeting, start: dt.datetime, count: int, feeds: Feeds | None) -> list[Occurrence]:
    found: list[Occurrence] = []
    for span in SEARCH_SPANS:
        found = occurrences(meeting, start, start + span, feeds)
        if len(found) >= count:
            break
    return found[:count]


def _backward(meeting: Meeting, end: dt.datetime, feeds: Feeds | None) -> Occurrence | None:
    for span in SEARCH_SPANS:
        found = occurrences(meeting, end - span, end, feeds)
        if found:
            return found[-1]
    return None


def next_occurrences(meeting: Meeting, now: dt.datetime, count: int, feeds: Feeds | None = None) -> list[Occurrence]:
    """Up to `count` occurrences that start at or after `now` (for `meeting-bot next`)."""
    return _forward(meeting, now, count, feeds)


def next_occurrence(meeting: Meeting, now: dt.datetime, feeds: Feeds | None = None) -> Occurrence | None:
    """The next occurrence that has not started at `now`, if any within the search horizon."""
    found = _forward(meeting, now + RESOLUTION, 1, feeds)
    return found[0] if found else None


def previous_occurrence(meeting: Meeting, occ: Occurrence, feeds: Feeds | None = None) -> Occurrence | None:
    """The scheduled occurrence just before `occ` (for closing the previous meeting issue)."""
    return _backward(meeting, occ.start, feeds)


def has_started(occ: Occurrence, now: dt.datetime) -> bool:
    """Started occurrences are never edited again."""
    return now >= occ.start


def window_open(occ: Occurrence, now: dt.datetime) -> bool:
    """Whether `now` is inside the creation window: from `window_opens` until the start."""
    return occ.window_opens <= now < occ.start


# -- one day ------------------------------------------------------------------------------------


def _midnight(day: dt.date, zone: str) -> dt.datetime:
    return localize(dt.datetime.combine(day, dt.time()), zone)


def _on_day(meeting: Meeting, day: dt.date, feeds: Feeds | None, skip: bool = True) -> list[Occurrence]:
    start = _midnight(day, meeting.timezone)
    found = _merged(meeting, start - ONE_DAY, start + 2 * ONE_DAY, feeds or {}, skip)
    return [occ for occ in found if occ.date == day]


def _nearest(meeting: Meeting, day: dt.date, feeds: Feeds | None) -> tuple[Occurrence, ...]:
    before = _backward(meeting, _midnight(day, meeting.timezone), feeds)
    after = _forward(meeting, _midnight(day + ONE_DAY, meeting.timezone), 1, feeds)
    return tuple(occ for occ in (before, *after) if occ is not None)


def occurrence_on(meeting: Meeting, day: dt.date, *, force: bool = False, feeds: Feeds | None = None) -> Occurrence:
    """The occurrence on local date `day` (`--date`); NoOccurrenceOn unless it exists or `force`.

    With `force`, a skipped occurrence comes back as the rule has it, and a day off the schedule
    gets an extra occurrence at the first slot's usual local time and duration (Occurrence.extra).
    """
    found = _on_day(meeting, day, feeds)
    if found:
        return found[0]
    if not force:
        raise _no_occurrence_on(day, _nearest(meeting, day, feeds))
    skipped = _on_day(meeting, day, feeds, skip=False)
    if skipped:
        return dataclasses.replace(skipped[0], extra=True)
    return _extra_on(meeting, day, feeds)


def _extra_on(meeting: Meeting, day: dt.date, feeds: Feeds | None) -> Occurrence:
    """An off-schedule occurrence; a feed slot's usual time is that of its nearest occurrence."""
    slot = meeting.slots[0]
    if slot.start is not None:
        wall, minutes = slot.start.time(), slot.duration_minutes
    else:
        nearest = _nearest(meeting, day, feeds)
        if not nearest:
            raise _no_occurrence_on(day)
        wall = nearest[0].start.astimezone(ZoneInfo(slot.timezone)).time()
        minutes = (nearest[0].end_utc - nearest[0].start_utc) // dt.timedelta(minutes=1)
    start = localize(dt.datetime.combine(day, wall), slot.timezone)
    return _occurrence(meeting, slot, start, _plus_minutes(start, minutes), extra=True)
