"""Which ended occurrences a pass looks at, and how far back its issue listing goes for them."""

from __future__ import annotations

import dataclasses
import datetime as dt
from zoneinfo import ZoneInfo

from bot import after
from bot.after_step import CREATED_EARLY, ended_occurrences, lookup
from tests.factories import make_meeting, make_slot

LA = ZoneInfo("America/Los_Angeles")
WEEKLY = make_meeting(slots=(make_slot(rrule="FREQ=WEEKLY"),))  # Mondays 08:30-09:30 Los Angeles


def at(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=LA)


def test_only_ended_occurrences_within_the_look_back():
    found = ended_occurrences(WEEKLY, at(2023, 9, 20, 9), {})  # 09-11 ended 9 days less 30 minutes ago
    assert [o.date.isoformat() for o in found] == ["2023-09-11", "2023-09-18"]
    assert [o.date.isoformat() for o in ended_occurrences(WEEKLY, at(2023, 9, 20, 10), {})] == ["2023-09-18"]
    assert ended_occurrences(WEEKLY, at(2023, 9, 11, 9, 29), {}) == ()  # not over yet
    last = ended_occurrences(WEEKLY, at(2023, 9, 11, 9, 30), {})
    assert [o.date.isoformat() for o in last] == ["2023-09-11"]


def test_after_hours_widens_the_look_back():
    late = dataclasses.replace(WEEKLY, after=dataclasses.replace(WEEKLY.after, after_hours=24 * 10))
    found = ended_occurrences(late, at(2023, 9, 29, 9), {})
    assert [o.date.isoformat() for o in found] == ["2023-09-11", "2023-09-18", "2023-09-25"]
    assert all(after.in_lookback(late, o, at(2023, 9, 29, 9)) for o in found)


def test_date_takes_that_occurrence_once_it_has_ended_whatever_the_look_back():
    (far,) = ended_occurrences(WEEKLY, at(2024, 6, 1, 12), {}, dt.date(2023, 9, 11))
    assert far.date == dt.date(2023, 9, 11)
    assert ended_occurrences(WEEKLY, at(2023, 9, 11, 9), {}, dt.date(2023, 9, 11)) == ()


def test_the_listing_looks_for_each_ended_key_from_a_day_before_its_window_and_scans_the_last_window():
    now = at(2023, 9, 20, 12)
    ended = ended_occurrences(WEEKLY, now, {})
    wanted = lookup(WEEKLY, ended, now)
    assert wanted.keys == tuple(o.key for o in ended)
    assert wanted.bounds[ended[0].key] == (ended[0].window_opens - CREATED_EARLY).astimezone(dt.timezone.utc)
    assert wanted.scan == ("security-collab-space/", (now - dt.timedelta(days=8)).astimezone(dt.timezone.utc))
    assert wanted.since == min(wanted.bounds.values())
