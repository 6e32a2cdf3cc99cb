"""Tests of the `meeting-bot next` output: text per meeting, and one JSON array in time order."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from bot.occurrences import next_occurrences, occurrence_on
from bot.upcoming import FORMAT_JSON, FORMAT_TEXT, MSG_UNKNOWN_FORMAT, TEXT_NONE, render, upcoming_json
from tests.factories import MACHINE_ZONES, machine_zone, make_meeting, make_slot

NOW = dt.datetime(2023, 10, 20, 12, 0, tzinfo=dt.timezone.utc)


@pytest.fixture(autouse=True, params=MACHINE_ZONES)
def machine_tz(request):
    with machine_zone(request.param) as zone:
        yield zone


def tsc():
    slot = make_slot(timezone="Europe/London", start=dt.datetime(2023, 10, 18, 14, 0), rrule="FREQ=WEEKLY;BYDAY=WE")
    return make_meeting(id="node-tsc", name="Node.js TSC Meeting", slots=(slot,))


def upcoming(*meetings, count=2):
    return [occ for meeting in meetings for occ in next_occurrences(meeting, NOW, count)]


def test_json_is_one_array_in_time_order_with_offsets_across_the_dst_change():
    records = json.loads(render(upcoming(make_meeting(), tsc()), FORMAT_JSON))

    assert records == [
        {"meeting": "security-collab-space", "start": "2023-10-23T08:30:00-07:00", "end": "2023-10-23T09:30:00-07:00",
         "start_utc": "2023-10-23T15:30:00Z", "timezone": "America/Los_Angeles"},
        {"meeting": "node-tsc", "start": "2023-10-25T14:00:00+01:00", "end": "2023-10-25T15:00:00+01:00",
         "start_utc": "2023-10-25T13:00:00Z", "timezone": "Europe/London"},
        {"meeting": "node-tsc", "start": "2023-11-01T14:00:00+00:00", "end": "2023-11-01T15:00:00+00:00",
         "start_utc": "2023-11-01T14:00:00Z", "timezone": "Europe/London"},
        {"meeting": "security-collab-space", "start": "2023-11-06T08:30:00-08:00", "end": "2023-11-06T09:30:00-08:00",
         "start_utc": "2023-11-06T16:30:00Z", "timezone": "America/Los_Angeles"},
    ]


def test_json_of_nothing_is_an_empty_array():
    assert json.loads(upcoming_json([])) == []


def test_text_groups_by_meeting_with_local_zone_and_utc():
    text = render(upcoming(make_meeting(), tsc()), meetings=[make_meeting(), tsc()])

    assert text == (
        "security-collab-space: OpenJS Foundation Security Collab Space Meeting\n"
        "  Mon 2023-10-23 08:30 PDT  (2023-10-23 15:30 UTC)\n"
        "  Mon 2023-11-06 08:30 PST  (2023-11-06 16:30 UTC)\n"
        "\n"
        "node-tsc: Node.js TSC Meeting\n"
        "  Wed 2023-10-25 14:00 BST  (2023-10-25 13:00 UTC)\n"
        "  Wed 2023-11-01 14:00 GMT  (2023-11-01 14:00 UTC)"
    )


def test_text_without_meetings_groups_by_id_in_time_order():
    text = render(upcoming(tsc(), make_meeting(), count=1))

    assert text.splitlines() == [
        "security-collab-space",
        "  Mon 2023-10-23 08:30 PDT  (2023-10-23 15:30 UTC)",
        "",
        "node-tsc",
        "  Wed 2023-10-25 14:00 BST  (2023-10-25 13:00 UTC)",
    ]


def test_text_says_when_a_meeting_has_nothing_ahead():
    past = make_meeting(slots=(make_slot(rrule=None),))

    assert render(upcoming(past), FORMAT_TEXT, [past]).splitlines()[1] == TEXT_NONE


def test_text_marks_an_extra_occurrence():
    extra = occurrence_on(make_meeting(), dt.date(2023, 10, 24), force=True)

    line = render([extra]).splitlines()[1]
    assert line == "  Tue 2023-10-24 08:30 PDT  (2023-10-24 15:30 UTC) [extra]"


def test_an_unknown_format_is_refused():
    with pytest.raises(ValueError) as raised:
        render([], "yaml")

    assert str(raised.value) == MSG_UNKNOWN_FORMAT.format(fmt="yaml", formats="text, json")
