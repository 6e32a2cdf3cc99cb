"""Tests of occurrences: rules in IANA zones across DST, slots, skip dates, windows, --date, searches."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import os
import subprocess
import sys
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.feeds import FeedError
from bot.model import Occurrence
from bot.occurrences import (
    MSG_BAD_RULE,
    MSG_FEED_NOT_LOADED,
    MSG_NO_OCCURRENCE,
    MSG_NONE_NEAR,
    MSG_NOT_ONE_RULE,
    MSG_TOO_FREQUENT,
    NoOccurrenceOn,
    has_started,
    localize,
    next_occurrence,
    next_occurrences,
    occurrence_on,
    occurrences,
    parse_rule,
    previous_occurrence,
    window_open,
)
from tests.factories import MACHINE_ZONES, make_meeting, make_slot, machine_zone, due, scheduled

UTC = dt.timezone.utc
SECOND = dt.timedelta(seconds=1)
ROOT = Path(__file__).parent.parent  # for `tests.factories` in the subprocesses


@pytest.fixture(autouse=True, params=MACHINE_ZONES)
def machine_tz(request):
    """Every test here runs under each machine zone and must give the same result."""
    with machine_zone(request.param) as zone:
        yield zone


def at(zone: str, *fields: int) -> dt.datetime:
    return dt.datetime(*fields, tzinfo=ZoneInfo(zone))


def meeting_at(zone: str, start: dt.datetime, rrule: str | None = "FREQ=WEEKLY", **slot):
    return make_meeting(slots=(make_slot(timezone=zone, start=start, rrule=rrule, **slot),))


def hours(offset: dt.timedelta | None) -> float:
    return offset / dt.timedelta(hours=1)


def between(meeting, start: dt.datetime, days: int, feeds=None) -> list[Occurrence]:
    return occurrences(meeting, start, start + dt.timedelta(days=days), feeds)


# -- DST ------------------------------------------------------------------------------------------

# (zone, the Sunday of the change, UTC offset before, after); the changes happen before 08:30.
DST_CHANGES = [
    ("America/New_York", dt.date(2024, 3, 10), -5, -4),
    ("America/New_York", dt.date(2024, 11, 3), -4, -5),
    ("America/Los_Angeles", dt.date(2024, 3, 10), -8, -7),
    ("America/Los_Angeles", dt.date(2024, 11, 3), -7, -8),
    ("Europe/London", dt.date(2024, 3, 31), 0, 1),
    ("Europe/London", dt.date(2024, 10, 27), 1, 0),
    ("Australia/Sydney", dt.date(2024, 10, 6), 10, 11),
    ("Australia/Sydney", dt.date(2024, 4, 7), 11, 10),
]


@pytest.mark.parametrize(("zone", "change", "before", "after"), DST_CHANGES)
def test_weekly_meeting_keeps_its_wall_clock_time_across_a_dst_change(zone, change, before, after):
    week_before = dt.datetime.combine(change - dt.timedelta(days=7), dt.time(8, 30))
    meeting = meeting_at(zone, week_before)

    found = between(meeting, localize(week_before, zone), 8)

    assert [o.start.replace(tzinfo=None) for o in found] == [week_before, week_before + dt.timedelta(days=7)]
    assert [hours(o.start.utcoffset()) for o in found] == [before, after]
    assert found[1].start_utc - found[0].start_utc == dt.timedelta(days=7, hours=before - after)


def test_reference_meeting_is_0830_local_all_year_while_utc_moves():
    found = between(make_meeting(), at("UTC", 2023, 9, 1), 366)

    assert {o.start.strftime("%H:%M") for o in found} == {"08:30"}
    assert {o.start_utc.strftime("%H:%M") for o in found} == {"15:30", "16:30"}
    assert [o.date.isoformat() for o in found[3:6]] == ["2023-10-23", "2023-11-06", "2023-11-20"]
    assert [o.start_utc.hour for o in found[3:6]] == [15, 16, 16]


# (zone, wall time in the spring-forward gap, where it lands, UTC offset there)
GAPS = [
    ("America/New_York", dt.datetime(2024, 3, 10, 2, 30), dt.datetime(2024, 3, 10, 3, 30), -4),
    ("America/Los_Angeles", dt.datetime(2024, 3, 10, 2, 30), dt.datetime(2024, 3, 10, 3, 30), -7),
    ("Europe/London", dt.datetime(2024, 3, 31, 1, 30), dt.datetime(2024, 3, 31, 2, 30), 1),
    ("Australia/Sydney", dt.datetime(2024, 10, 6, 2, 30), dt.datetime(2024, 10, 6, 3, 30), 11),
]


@pytest.mark.parametrize(("zone", "wall", "landed", "offset"), GAPS)
def test_a_time_in_the_spring_forward_gap_moves_forward_by_the_gap(zone, wall, landed, offset):
    meeting = meeting_at(zone, wall - dt.timedelta(days=1), rrule="FREQ=DAILY;COUNT=3")

    found = between(meeting, at(zone, 2024, 1, 1), 366)

    day = dt.timedelta(days=1)
    assert [o.start.replace(tzinfo=None) for o in found] == [wall - day, landed, wall + day]
    assert hours(found[1].start.utcoffset()) == offset
    assert found[1].end - found[1].start == dt.timedelta(hours=1)
    gap = found[2].start.utcoffset() - found[0].start.utcoffset()  # the clocks' jump that day
    assert gap > dt.timedelta(0) and landed - wall == gap  # moved forward, by exactly the gap's length


# (zone, wall time in the fall-back overlap, UTC offset of its first instant)
OVERLAPS = [
    ("America/New_York", dt.datetime(2024, 11, 3, 1, 30), -4),
    ("America/Los_Angeles", dt.datetime(2024, 11, 3, 1, 30), -7),
    ("Europe/London", dt.datetime(2024, 10, 27, 1, 30), 1),
    ("Australia/Sydney", dt.datetime(2024, 4, 7, 2, 30), 11),
]


@pytest.mark.parametrize(("zone", "wall", "offset"), OVERLAPS)
def test_an_ambiguous_time_in_the_fall_back_overlap_takes_the_earlier_instant(zone, wall, offset):
    meeting = meeting_at(zone, wall, rrule=None)

    (found,) = between(meeting, at(zone, 2024, 1, 1), 366)

    assert found.start.replace(tzinfo=None) == wall
    assert hours(found.start.utcoffset()) == offset
    assert found.start.fold == 0
    later = found.start.replace(fold=1)  # the same wall time, an hour on
    assert found.start.astimezone(dt.timezone.utc) < later.astimezone(dt.timezone.utc)


def test_duration_is_elapsed_time_across_a_dst_change():
    meeting = meeting_at("America/Los_Angeles", dt.datetime(2024, 11, 3, 1, 0), rrule=None, duration_minutes=120)

    (found,) = between(meeting, at("UTC", 2024, 11, 1), 5)

    assert found.end_utc - found.start_utc == dt.timedelta(hours=2)
    assert (found.end.hour, found.end.tzname()) == (2, "PST")


# -- rules, slots, skip dates ---------------------------------------------------------------------


def test_first_tuesday_of_each_month():
    meeting = meeting_at("America/New_York", dt.datetime(2023, 9, 5, 10, 0), rrule="FREQ=MONTHLY;BYDAY=1TU")

    found = next_occurrences(meeting, at("America/New_York", 2023, 9, 1), 5)

    assert [o.date.isoformat() for o in found] == ["2023-09-05", "2023-10-03", "2023-11-07", "2023-12-05", "2024-01-02"]
    assert {o.start.strftime("%H:%M") for o in found} == {"10:00"}


def alternating():
    """Every other week, alternating 13:00 and 17:00 UTC, each slot with its own join link."""
    fortnightly = dict(timezone="UTC", rrule="FREQ=WEEKLY;INTERVAL=2")
    early = make_slot(start=dt.datetime(2023, 9, 5, 13), vars={"join_url": "https://a.example/13"}, **fortnightly)
    late = make_slot(
        start=dt.datetime(2023, 9, 12, 17), create_days_before=3, vars={"join_url": "https://a.example/17"}, **fortnightly
    )
    meeting_vars = {"join_url": "https://default.example", "calendar_url": "https://cal.example"}
    return make_meeting(slots=(early, late), vars=meeting_vars)


def test_alternating_slots_merge_in_time_order_with_their_own_vars():
    found = next_occurrences(alternating(), at("UTC", 2023, 9, 1), 4)

    assert [o.start.strftime("%m-%d %H:%M") for o in found] == [
        "09-05 13:00", "09-12 17:00", "09-19 13:00", "09-26 17:00"
    ]
    assert [o.vars["join_url"] for o in found[:2]] == ["https://a.example/13", "https://a.example/17"]
    assert {o.vars["calendar_url"] for o in found} == {"https://cal.example"}
    assert [o.create_days_before for o in found[:2]] == [7, 3]


def test_skip_dates_drop_occurrences():
    meeting = make_meeting(slots=(make_slot(skip_dates=(dt.date(2024, 1, 1),)),))

    found = next_occurrences(meeting, at("America/Los_Angeles", 2023, 12, 17), 2)

    assert [o.date.isoformat() for o in found] == ["2023-12-18", "2024-01-15"]


def test_one_off_meeting_has_one_occurrence_and_nothing_after():
    meeting = meeting_at("America/Los_Angeles", dt.datetime(2023, 10, 16, 9, 0), rrule=None)

    assert [o.date for o in next_occurrences(meeting, at("UTC", 2023, 1, 1), 5)] == [dt.date(2023, 10, 16)]
    assert next_occurrence(meeting, at("UTC", 2023, 10, 17)) is None


def test_two_occurrences_on_one_local_day_keep_the_first_wherever_the_window_starts():
    morning = make_slot(timezone="UTC", start=dt.datetime(2023, 9, 5, 9), rrule=None)
    evening = make_slot(timezone="UTC", start=dt.datetime(2023, 9, 5, 18), rrule=None)
    meeting = make_meeting(slots=(evening, morning))

    assert [o.start.hour for o in between(meeting, at("UTC", 2023, 9, 5), 2)] == [9]
    assert between(meeting, at("UTC", 2023, 9, 5, 12), 2) == []


def test_the_occurrence_is_expressed_in_the_meetings_zone():
    utc_slot = make_slot(timezone="UTC", start=dt.datetime(2023, 9, 13, 1), rrule=None)
    meeting = make_meeting(slots=(make_slot(), utc_slot))

    found = between(meeting, at("UTC", 2023, 9, 12), 2)

    assert [(o.key, o.start.hour, o.timezone) for o in found] == [
        ("security-collab-space/2023-09-12", 18, "America/Los_Angeles")
    ]


def test_rrule_until_in_utc_is_honoured():
    meeting = make_meeting(slots=(make_slot(rrule="RRULE:FREQ=WEEKLY;INTERVAL=2;UNTIL=20231023T153000Z"),))

    found = next_occurrences(meeting, at("UTC", 2023, 9, 1), 10)

    assert found[-1].date == dt.date(2023, 10, 23)
    assert len(found) == 4


@pytest.mark.parametrize(
    ("rule", "message"),
    [
        ("FREQ=BOGUS", MSG_BAD_RULE),
        ("FREQ=HOURLY", MSG_TOO_FREQUENT),
        ("DTSTART:20230101T000000\nRRULE:FREQ=WEEKLY", MSG_NOT_ONE_RULE),
        ("", MSG_NOT_ONE_RULE),
    ],
)
def test_bad_rules_are_refused_with_a_clear_message(rule, message):
    with pytest.raises(ValueError) as raised:
        parse_rule(rule, dt.datetime(2023, 9, 11, 8, 30), "UTC")

    assert str(raised.value).startswith(message.format(rule=rule, reason=""))


def test_naive_moments_are_refused():
    with pytest.raises(ValueError, match="aware"):
        occurrences(make_meeting(), dt.datetime(2023, 9, 1), dt.datetime(2023, 10, 1))


def test_a_feed_slot_whose_feed_was_not_fetched_fails_clearly():
    meeting = make_meeting(slots=(make_slot(start=None, rrule=None, ics_url="https://example.org/basic.ics"),))

    with pytest.raises(FeedError, match=MSG_FEED_NOT_LOADED.format(url="https://example.org/basic.ics")):
        next_occurrence(meeting, at("UTC", 2023, 9, 1))


# -- which occurrence a run acts on ---------------------------------------------------------------

SEPT_25 = at("America/Los_Angeles", 2023, 9, 25, 8, 30)
SEPT_18 = at("America/Los_Angeles", 2023, 9, 18, 8, 30)


@pytest.mark.parametrize(("now", "start"), [(SEPT_18 - SECOND, None), (SEPT_18, SEPT_25), (SEPT_18 + SECOND, SEPT_25)])
def test_the_window_opens_create_days_before_the_start(now, start):
    found = due(make_meeting(), now)

    assert (found.start if found else None) == start


def test_window_open_edges():
    occ = next_occurrence(make_meeting(), SEPT_18)

    moments = (SEPT_18 - SECOND, SEPT_18, SEPT_25 - SECOND, SEPT_25)
    assert [window_open(occ, now) for now in moments] == [False, True, True, False]


def test_the_window_is_counted_in_local_days_across_a_dst_change():
    nov_6 = at("America/Los_Angeles", 2023, 11, 6, 8, 30)
    opens = at("America/Los_Angeles", 2023, 10, 30, 8, 30)  # still daylight time: 15:30 UTC

    assert next_occurrence(make_meeting(), opens).window_opens == opens
    assert due(make_meeting(), opens - SECOND) is None
    assert due(make_meeting(), opens).start == nov_6


@pytest.mark.parametrize("now", [SEPT_25, SEPT_25 + SECOND, SEPT_25 + dt.timedelta(minutes=59)])
def test_a_started_meeting_is_never_acted_on_again(now):
    occ = occurrence_on(make_meeting(), dt.date(2023, 9, 25))

    assert has_started(occ, now)
    assert not window_open(occ, now)
    assert due(make_meeting(), now) is None  # the next one's window is not open yet
    assert next_occurrence(make_meeting(), now).date == dt.date(2023, 10, 9)


def test_one_second_before_the_start_the_meeting_is_still_due():
    occ = due(make_meeting(), SEPT_25 - SECOND)

    assert occ.start == SEPT_25
    assert not has_started(occ, SEPT_25 - SECOND)


def test_next_occurrences_include_one_starting_now():
    assert next_occurrences(make_meeting(), SEPT_25, 1)[0].start == SEPT_25


def test_previous_occurrence():
    meeting = make_meeting()

    assert previous_occurrence(meeting, occurrence_on(meeting, dt.date(2023, 10, 9))).date == dt.date(2023, 9, 25)
    assert previous_occurrence(meeting, occurrence_on(meeting, dt.date(2023, 9, 11))) is None


# -- --date and --force ---------------------------------------------------------------------------


def test_date_on_the_schedule_selects_that_occurrence():
    occ = occurrence_on(make_meeting(), dt.date(2023, 10, 9))

    assert (occ.start, occ.extra) == (at("America/Los_Angeles", 2023, 10, 9, 8, 30), False)


def test_date_off_the_schedule_is_an_error_naming_the_nearest_occurrences():
    with pytest.raises(NoOccurrenceOn) as raised:
        occurrence_on(make_meeting(), dt.date(2023, 10, 12))

    assert [o.date.isoformat() for o in raised.value.nearest] == ["2023-10-09", "2023-10-23"]
    nearest = "2023-10-09 08:30 PDT, 2023-10-23 08:30 PDT"
    assert str(raised.value) == MSG_NO_OCCURRENCE.format(day="2023-10-12", nearest=nearest)


def test_date_with_nothing_near_says_so():
    meeting = meeting_at("UTC", dt.datetime(2020, 1, 6, 9), rrule=None)

    with pytest.raises(NoOccurrenceOn, match=MSG_NONE_NEAR):
        occurrence_on(meeting, dt.date(2023, 10, 12))


def test_force_makes_an_extra_occurrence_at_the_usual_time():
    occ = occurrence_on(make_meeting(), dt.date(2023, 10, 12), force=True)

    assert (occ.start, occ.end - occ.start) == (at("America/Los_Angeles", 2023, 10, 12, 8, 30), dt.timedelta(hours=1))
    assert occ.extra
    assert occ.key == "security-collab-space/2023-10-12"
    assert not scheduled(make_meeting(), occ)


def test_force_on_a_skip_date_brings_back_the_rules_occurrence():
    meeting = alternating()
    late = dataclasses.replace(meeting.slots[1], skip_dates=(dt.date(2023, 9, 26),))
    skipping = dataclasses.replace(meeting, slots=(meeting.slots[0], late))

    occ = occurrence_on(skipping, dt.date(2023, 9, 26), force=True)

    assert (occ.start.hour, occ.extra, occ.vars["join_url"]) == (17, True, "https://a.example/17")
    assert scheduled(meeting, occ) and not scheduled(skipping, occ)


def test_force_on_alternating_slots_uses_the_first_slots_time():
    occ = occurrence_on(alternating(), dt.date(2023, 9, 7), force=True)

    assert (occ.start.hour, occ.vars["join_url"]) == (13, "https://a.example/13")


def test_force_on_a_scheduled_date_returns_the_scheduled_occurrence():
    assert not occurrence_on(make_meeting(), dt.date(2023, 10, 9), force=True).extra


# -- the same results whatever the machine's zone, in separate processes ----------------------------

PROBE = """
import datetime as dt, json
from zoneinfo import ZoneInfo
from tests.factories import due, make_meeting
from bot.occurrences import next_occurrences
from bot.upcoming import upcoming_records
now = dt.datetime(2023, 10, 30, 23, 30, tzinfo=dt.timezone.utc)
found = next_occurrences(make_meeting(), now, 6)
chosen = due(make_meeting(), now)
print(json.dumps([upcoming_records(found), chosen.key, dt.datetime(2023, 11, 5, 12).astimezone().isoformat()]))
"""


@pytest.mark.parametrize("machine_tz", ["UTC"], indirect=True)  # the subprocesses set their own
def test_results_do_not_depend_on_the_machine_zone_in_subprocesses(machine_tz):
    results = {}
    for zone in MACHINE_ZONES:
        env = {**os.environ, "TZ": zone, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
        done = subprocess.run([sys.executable, "-c", PROBE], env=env, capture_output=True, text=True, check=True)
        results[zone] = json.loads(done.stdout)

    records, keys, machine_clocks = zip(*results.values())
    assert len({json.dumps(r) for r in records}) == 1 and set(keys) == {"security-collab-space/2023-11-06"}
    assert len(set(machine_clocks)) == len(MACHINE_ZONES)  # the subprocesses really ran in different zones
    assert records[0][0]["start"] == "2023-11-06T08:30:00-08:00"


def test_the_every_second_rule_is_refused_before_dateutil_expands_it():
    rule = "FREQ=DAILY;BYHOUR=" + ",".join(map(str, range(24))) + ";BYSECOND=" + ",".join(map(str, range(60)))
    with pytest.raises(ValueError) as raised:
        parse_rule(rule, dt.datetime(2023, 9, 11, 8, 30), "UTC")
    assert str(raised.value) == MSG_TOO_FREQUENT.format(rule=rule)
