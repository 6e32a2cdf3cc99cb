"""Tests of the time helpers for templates and the worker."""

from __future__ import annotations

import dataclasses
import datetime as dt
import locale

import pytest

from bot.model import DEFAULT_DISPLAY_ZONES
from bot.occurrences import occurrence_on
from bot.timefmt import (
    MSG_BAD_DURATION,
    MSG_ZERO_DURATION,
    ZoneTime,
    format_local,
    iso_local,
    iso_utc,
    occurrence_times,
    parse_duration,
    time_table,
    world_clock_url,
    zone_label,
)
from tests.factories import MACHINE_ZONES, MEETING_NAME, machine_zone, make_meeting, make_slot


@pytest.fixture(autouse=True, params=MACHINE_ZONES)
def machine_tz(request):
    with machine_zone(request.param) as zone:
        yield zone


@pytest.fixture
def reference():
    """The reference meeting: Monday 2023-09-11, 08:30 in Los Angeles (15:30 UTC)."""
    return occurrence_on(make_meeting(), dt.date(2023, 9, 11))


def test_the_time_table_in_the_default_display_zones(reference):
    table = {row.zone: row for row in time_table(reference, DEFAULT_DISPLAY_ZONES)}

    assert [row.zone for row in time_table(reference, DEFAULT_DISPLAY_ZONES)] == list(DEFAULT_DISPLAY_ZONES)
    assert table["America/Los_Angeles"] == ZoneTime(
        zone="America/Los_Angeles",
        label="US / Pacific",
        start_local="Mon 11-Sep-2023 08:30 (08:30 AM)",
        end_local="Mon 11-Sep-2023 09:30 (09:30 AM)",
        day_shift=0,
        abbreviation="PDT",
    )
    assert table["UTC"].start_local == "Mon 11-Sep-2023 15:30 (03:30 PM)"
    assert table["Asia/Kolkata"].start_local == "Mon 11-Sep-2023 21:00 (09:00 PM)"
    sydney = table["Australia/Sydney"]
    assert (sydney.start_local, sydney.day_shift) == ("Tue 12-Sep-2023 01:30 (01:30 AM)", 1)
    assert (table["Pacific/Auckland"].label, table["Pacific/Auckland"].abbreviation) == ("Auckland", "NZST")


def test_a_zone_behind_the_meeting_shows_the_day_before():
    tokyo = make_meeting(slots=(make_slot(timezone="Asia/Tokyo", start=dt.datetime(2023, 9, 11, 8, 0)),))
    occ = occurrence_on(tokyo, dt.date(2023, 9, 11))

    (row,) = time_table(occ, ["America/Los_Angeles"])

    assert (row.start_local, row.day_shift) == ("Sun 10-Sep-2023 16:00 (04:00 PM)", -1)


@pytest.mark.parametrize(
    ("hour", "minute", "expected"),
    [
        (0, 15, "Sat 30-Dec-2023 00:15 (12:15 AM)"),
        (12, 0, "Sat 30-Dec-2023 12:00 (12:00 PM)"),
        (23, 59, "Sat 30-Dec-2023 23:59 (11:59 PM)"),
    ],
)
def test_format_local_twelve_hour_clock_edges(hour, minute, expected):
    assert format_local(dt.datetime(2023, 12, 30, hour, minute, tzinfo=dt.timezone.utc)) == expected


def test_format_local_does_not_follow_the_process_locale(reference):
    before = locale.setlocale(locale.LC_TIME)
    try:
        locale.setlocale(locale.LC_TIME, "de_DE.UTF-8")
    except locale.Error:
        pytest.skip("no German locale installed")
    try:
        assert format_local(reference.start) == "Mon 11-Sep-2023 08:30 (08:30 AM)"
    finally:
        locale.setlocale(locale.LC_TIME, before)


def test_zone_labels():
    zones = ("America/New_York", "America/Sao_Paulo", "UTC", "Etc/UTC")
    assert [zone_label(zone) for zone in zones] == ["US / Eastern", "Sao Paulo", "UTC", "UTC"]


def test_iso_forms(reference):
    assert (iso_local(reference.start), iso_utc(reference.start)) == ("2023-09-11T08:30:00-07:00", "2023-09-11T15:30:00Z")
    assert iso_local(reference.start.replace(microsecond=5)) == "2023-09-11T08:30:00-07:00"


def test_world_clock_link(reference):
    assert world_clock_url(reference) == "https://www.timeanddate.com/worldclock/fixedtime.html?iso=20230911T1530&p1=1440"
    assert world_clock_url(reference, f"{MEETING_NAME} 2023-09-11") == (
        "https://www.timeanddate.com/worldclock/fixedtime.html"
        "?msg=OpenJS+Foundation+Security+Collab+Space+Meeting+2023-09-11&iso=20230911T1530&p1=1440"
    )


def test_world_clock_link_uses_utc_after_the_dst_change():
    occ = occurrence_on(make_meeting(), dt.date(2023, 11, 6))

    assert world_clock_url(occ).endswith("iso=20231106T1630&p1=1440")


def test_occurrence_times_for_templates(reference):
    times = occurrence_times(reference, ["UTC"], title="Security")

    assert {k: v for k, v in times.items() if k != "time_table"} == {
        "start_local": "Mon 11-Sep-2023 08:30 (08:30 AM)",
        "end_local": "Mon 11-Sep-2023 09:30 (09:30 AM)",
        "start_iso": "2023-09-11T08:30:00-07:00",
        "end_iso": "2023-09-11T09:30:00-07:00",
        "start_utc": "2023-09-11T15:30:00Z",
        "end_utc": "2023-09-11T16:30:00Z",
        "timezone": "America/Los_Angeles",
        "abbreviation": "PDT",
        "world_clock_url": "https://www.timeanddate.com/worldclock/fixedtime.html?msg=Security&iso=20230911T1530&p1=1440",
    }
    assert [row.label for row in times["time_table"]] == ["UTC"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("30s", dt.timedelta(seconds=30)),
        ("15m", dt.timedelta(minutes=15)),
        ("1h", dt.timedelta(hours=1)),
        ("1d", dt.timedelta(days=1)),
        (" 2H ", dt.timedelta(hours=2)),
        ("90m", dt.timedelta(minutes=90)),
    ],
)
def test_parse_duration(text, expected):
    assert parse_duration(text) == expected


@pytest.mark.parametrize("text", ["", "1", "h", "1w", "1.5h", "-1h", "1h30m", "one hour"])
def test_parse_duration_refuses_other_forms(text):
    with pytest.raises(ValueError) as raised:
        parse_duration(text)

    assert str(raised.value) == MSG_BAD_DURATION.format(text=text)


def test_parse_duration_refuses_zero():
    with pytest.raises(ValueError) as raised:
        parse_duration("0m")

    assert str(raised.value) == MSG_ZERO_DURATION.format(text="0m")


def test_zone_time_is_a_frozen_value(reference):
    (row,) = time_table(reference, ["UTC"])

    with pytest.raises(dataclasses.FrozenInstanceError):
        row.label = "x"
