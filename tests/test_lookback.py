"""Which ended occurrences a pass looks at, how far back its issue listing goes, and when it reads none."""

from __future__ import annotations

import dataclasses
import datetime as dt
from zoneinfo import ZoneInfo

from bot import after
from bot.lookback import CREATED_EARLY, ended_occurrences, free_days, has_steps, horizon, listing_due, lookup
from bot.model import AnnounceConfig, AnnounceKind
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


# ------------------------------------------------------------------ when a pass reads no listing
DAILY = make_meeting(slots=(make_slot(rrule="FREQ=DAILY", create_days_before=0),))
NO_STEPS = dataclasses.replace(WEEKLY.after, close_issue=False, remove_label=False)


def test_a_free_day_in_the_coming_creation_window_may_have_lost_its_occurrence():
    now = at(2023, 9, 13, 12)  # a Wednesday: the fortnightly Monday 09-25 is 12 days away
    fortnightly = make_meeting()
    days = free_days(fortnightly, now, {})
    assert days[0] == "security-collab-space/2023-09-13" and len(days) == horizon(fortnightly).days + 1
    assert free_days(DAILY, now, {}) == ()  # every day ahead has its meeting


def test_an_ended_occurrence_needs_the_listing_only_when_it_has_a_step_to_take():
    now = at(2023, 9, 20, 12)
    ended = ended_occurrences(WEEKLY, now, {})
    assert ended and has_steps(WEEKLY)
    quiet = dataclasses.replace(DAILY, after=NO_STEPS)
    assert not has_steps(quiet)
    assert listing_due(dataclasses.replace(DAILY, after=NO_STEPS), now, ended_occurrences(quiet, now, {}), {}) is False
    assert listing_due(DAILY, now, ended_occurrences(DAILY, now, {}), {}) is True  # closing its issues


def test_announcing_the_minutes_is_a_step():
    announcing = dataclasses.replace(DAILY, after=NO_STEPS,
                                     announce=AnnounceConfig(targets=("chat",), on=(AnnounceKind.MINUTES,)))
    assert has_steps(announcing) and listing_due(announcing, at(2023, 9, 20, 12),
                                                 ended_occurrences(announcing, at(2023, 9, 20, 12), {}), {})
    assert not has_steps(dataclasses.replace(announcing, announce=AnnounceConfig(targets=("chat",),
                                                                                on=(AnnounceKind.CREATED,))))


def test_a_meeting_between_two_windows_still_reads_the_listing_for_cancellations():
    quiet = make_meeting(after=NO_STEPS)  # fortnightly; 09-25's window opens on 09-18
    now = at(2023, 9, 13, 12)
    assert listing_due(quiet, now, (), {}) is True  # a changed rule may have dropped 09-14 after its issue was made
