"""The published feeds' core: UIDs, revisions, and the checks on the previous feed (untrusted)."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import icalendar
import pytest

from bot import ical

UTC = dt.timezone.utc
BERLIN = ZoneInfo("Europe/Berlin")
NOW = dt.datetime(2024, 3, 7, 12, 0, tzinfo=UTC)
REPO = "acme/meetings"
KEY = "wg/2024-03-11"


def item(**changes) -> ical.FeedEvent:
    values = dict(
        uid=ical.uid(REPO, KEY), start=dt.datetime(2024, 3, 11, 16, tzinfo=BERLIN),
        end=dt.datetime(2024, 3, 11, 17, tzinfo=BERLIN), summary="WG Meeting 2024-03-11",
        description="Agenda, items; and a line\nbreak", location="https://meet.example.org/wg",
        url=None, cancelled=False,
    )
    values.update(changes)
    return ical.FeedEvent(**values)


def published(feed: bytes) -> dict[str, ical.Published]:
    found, warnings = ical.read_previous({"calendar.ics": feed}, NOW + dt.timedelta(days=1))
    assert warnings == []
    return found


def test_the_uid_names_the_repository_and_the_key_and_reads_back():
    assert ical.uid(REPO, KEY) == "meeting-bot/acme/meetings/wg/2024-03-11"
    assert ical.key_of(ical.uid(REPO, KEY)) == KEY
    assert ical.key_of("meeting-bot/acme/meetings/wg/2024-3-11") is None
    assert ical.key_of("someone-else@example.org") is None


def test_a_feed_round_trips_its_revision_and_text():
    feed = ical.feed("WG", "Europe/Berlin", [item()], {}, NOW)
    record = published(feed)[ical.uid(REPO, KEY)]
    assert (record.sequence, record.modified, record.digest) == (0, NOW, item().digest())
    event = icalendar.Calendar.from_ical(feed).walk("VEVENT")[0]
    assert str(event["DESCRIPTION"]) == "Agenda, items; and a line\nbreak"
    assert b"DESCRIPTION:Agenda\\, items\\; and a line\\nbreak" in feed  # RFC 5545 escaping


@pytest.mark.parametrize("change", [
    {"start": dt.datetime(2024, 3, 11, 17, tzinfo=BERLIN), "end": dt.datetime(2024, 3, 11, 18, tzinfo=BERLIN)},
    {"description": "another agenda"},
    {"cancelled": True},
    {"location": None},
])
def test_any_change_raises_the_sequence_and_the_modification_time(change):
    before = published(ical.feed("WG", "Europe/Berlin", [item()], {}, NOW))
    later = NOW + dt.timedelta(hours=1)
    after = published(ical.feed("WG", "Europe/Berlin", [item(**change)], before, later))[ical.uid(REPO, KEY)]
    assert (after.sequence, after.modified) == (1, later)


def test_an_unchanged_event_keeps_its_revision_and_the_feed_its_bytes():
    first = ical.feed("WG", "Europe/Berlin", [item()], {}, NOW)
    again = ical.feed("WG", "Europe/Berlin", [item()], published(first), NOW + dt.timedelta(days=1))
    assert again == first


def test_the_modification_time_never_goes_back():
    previous = ical.Published("u", KEY, 3, NOW, "0" * 64, NOW, NOW)
    assert ical.revision("1" * 64, previous, NOW - dt.timedelta(hours=1)) == (4, NOW + dt.timedelta(seconds=1))


def test_vtimezones_come_first_in_name_order_and_utc_needs_none():
    tokyo = item(uid=ical.uid(REPO, "b/2024-03-12"), start=dt.datetime(2024, 3, 12, 9, tzinfo=ZoneInfo("Asia/Tokyo")),
                 end=dt.datetime(2024, 3, 12, 10, tzinfo=ZoneInfo("Asia/Tokyo")))
    utc = item(uid=ical.uid(REPO, "c/2024-03-13"), start=dt.datetime(2024, 3, 13, 9, tzinfo=ZoneInfo("UTC")),
               end=dt.datetime(2024, 3, 13, 10, tzinfo=ZoneInfo("UTC")))
    calendar = icalendar.Calendar.from_ical(ical.feed("All", "UTC", [utc, tokyo, item()], {}, NOW))
    names = [c.name for c in calendar.subcomponents]
    assert names == ["VTIMEZONE", "VTIMEZONE", "VEVENT", "VEVENT", "VEVENT"]
    assert [str(z["TZID"]) for z in calendar.walk("VTIMEZONE")] == ["Asia/Tokyo", "Europe/Berlin"]


def _event_text(**fields: str) -> bytes:
    values = {
        "UID": ical.uid(REPO, KEY), "SEQUENCE": "2", "LAST-MODIFIED": "20240301T000000Z",
        ical.DIGEST_PROPERTY: "a" * 64, "DTSTART": "20240311T150000Z", "DTEND": "20240311T160000Z",
    }
    values.update(fields)
    lines = [f"{name}:{value}" for name, value in values.items() if value is not None]
    text = "\r\n".join(["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:x", "BEGIN:VEVENT", *lines, "END:VEVENT", "END:VCALENDAR"])
    return (text + "\r\n").encode()


def test_a_well_formed_previous_event_is_read():
    (record,) = published(_event_text()).values()
    assert (record.key, record.sequence, record.modified) == (KEY, 2, dt.datetime(2024, 3, 1, tzinfo=UTC))


@pytest.mark.parametrize("fields", [
    {"UID": "not-ours@example.org"},
    {"UID": "meeting-bot/acme/meetings/../../etc/2024-03-11"},
    {"SEQUENCE": "-1"},
    {"SEQUENCE": "99999999999"},
    {"SEQUENCE": "many"},
    {"LAST-MODIFIED": "20990101T000000Z"},  # from the future: would hold every later change back
    {"LAST-MODIFIED": None},
    {"LAST-MODIFIED": "20240301T000000"},  # floating
    {ical.DIGEST_PROPERTY: "x" * 64},
    {ical.DIGEST_PROPERTY: None},
    {"DTEND": "20240311T140000Z"},  # ends before it starts
    {"DTEND": "20240320T140000Z"},  # longer than a day
    {"DTSTART": "20240311"},
])
def test_a_malformed_or_implausible_previous_event_is_not_carried_over(fields):
    found, warnings = ical.read_previous({"calendar.ics": _event_text(**fields)}, NOW)
    assert found == {}
    assert warnings == [ical.SKIPPED_PREVIOUS.format(name="calendar.ics", count=1)]


@pytest.mark.parametrize("text", [b"", b"\x00\xff", b"BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\n", b"<html>hi</html>"])
def test_an_unreadable_previous_feed_is_a_warning(text):
    found, warnings = ical.read_previous({"wg.ics": text}, NOW)
    assert found == {} and warnings == [ical.BAD_PREVIOUS.format(name="wg.ics")]


def test_where_feeds_disagree_the_highest_sequence_wins():
    found, _ = ical.read_previous({"a.ics": _event_text(SEQUENCE="2"), "b.ics": _event_text(SEQUENCE="5")}, NOW)
    assert found[ical.uid(REPO, KEY)].sequence == 5


def test_the_feed_zone_is_the_meetings_one_zone_or_utc():
    assert ical.zone_of(["Europe/Berlin", "Europe/Berlin"]) == "Europe/Berlin"
    assert ical.zone_of(["Europe/Berlin", "Asia/Tokyo"]) == "UTC"
    assert ical.zone_of([]) == "UTC"
