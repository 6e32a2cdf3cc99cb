"""Tests of iCalendar feeds: parsing and expansion (bot.feeds), fetching (bot.adapters.feed), and
occurrences taken from feeds served by a real HTTP server on the loopback interface."""

from __future__ import annotations

import datetime as dt
import http.server
import socket
import threading
import time
import uuid
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import requests

from bot.adapters import feed as feed_adapter
from bot.adapters.retry import Policy
from bot.adapters.feed import (
    MSG_BAD_SCHEME,
    MSG_HTTP_STATUS,
    MSG_TIMEOUT,
    MSG_TOO_LARGE,
    MSG_UNREACHABLE,
    fetch_feed,
    http_url,
    redact_url,
)
from bot.feeds import (
    MSG_MALFORMED,
    MSG_MISSING_PROPERTY,
    MSG_NOT_A_CALENDAR,
    MSG_SUB_DAILY,
    MSG_TOO_MANY,
    STAGE_EXPAND,
    STAGE_PARSE,
    FeedError,
    feed_events,
)
from bot.occurrences import (
    MSG_NONE_NEAR,
    NoOccurrenceOn,
    feed_urls,
    next_occurrences,
    occurrence_on,
)
from tests.factories import MACHINE_ZONES, machine_zone, make_meeting, make_slot, due, scheduled

SAMPLES = Path(__file__).parent / "samples" / "feeds"
OPENJS = "google_openjs_public.ics"  # VTIMEZONE America/Los_Angeles; moved, cancelled, EXDATE, one-off
NODEJS = "nodejs_calendar.ics"  # VTIMEZONE Europe/London, X-WR-TIMEZONE:UTC, several meetings
UTC = dt.timezone.utc
LOS_ANGELES = "America/Los_Angeles"
SECOND = dt.timedelta(seconds=1)
PRIVATE_PATH = "/calendar/ical/abc%40group.calendar.google.com/private-0123456789abcdef/basic.ics"


def fetch_loopback(url: str, **options) -> str:
    """A fetch from the tests' own servers on 127.0.0.1, as MEETING_BOT_ALLOW_PRIVATE_FEEDS=1 allows."""
    return fetch_feed(url, allow_private=True, **options)


def sample(name: str) -> str:
    return (SAMPLES / name).read_bytes().decode("utf-8")  # CRLF kept, as served


def at(zone: str, *fields: int) -> dt.datetime:
    return dt.datetime(*fields, tzinfo=ZoneInfo(zone))


def feed_meeting(url: str, match: str | None = "Security Collab Space", zone: str = LOS_ANGELES, **slot):
    return make_meeting(slots=(make_slot(timezone=zone, start=None, rrule=None, ics_url=url, ics_match=match, **slot),))


def starts(found) -> list[str]:
    return [o.start.strftime("%Y-%m-%d %H:%M %Z") for o in found]


@pytest.fixture(autouse=True, params=MACHINE_ZONES)
def machine_tz(request):
    with machine_zone(request.param) as zone:
        yield zone


# -- a real HTTP server on 127.0.0.1, port 0 ------------------------------------------------------


class FeedHandler(http.server.BaseHTTPRequestHandler):
    big_body = b"BEGIN:VCALENDAR\r\n" + b"X" * 4096
    served: dict[str, int] = {}  # requests per /flaky/ id

    def do_GET(self):  # noqa: N802 (http.server's name)
        name = self.path.split("?")[0].rsplit("/", 1)[-1]
        if self.path.startswith("/feeds/") and (SAMPLES / name).is_file():
            self._reply(200, (SAMPLES / name).read_bytes())
        elif self.path.startswith("/big"):
            self._reply(200, self.big_body)
        elif self.path.startswith("/redirect/"):
            self.send_response(302)
            self.send_header("Location", self.path[len("/redirect/"):].replace("HERE", f"127.0.0.1:{self.server.server_address[1]}"))
            self.end_headers()
        elif self.path.startswith("/drip"):
            self._drip(headers_too=self.path.startswith("/drip-headers"))
        elif self.path.startswith("/calendar/"):
            self._reply(500, b"backend error")
        elif self.path.startswith("/flaky/"):  # /flaky/<failures>/<id>/<name>: 503 that many times, then the sample
            _, _, failures, ident, name = self.path.split("/", 4)
            self.served[ident] = self.served.get(ident, 0) + 1
            self._reply(503, b"unavailable") if self.served[ident] <= int(failures) else self._reply(200, (SAMPLES / name).read_bytes())
        else:
            self._reply(404, b"not found")

    def _reply(self, status: int, body: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Type", "text/calendar; charset=UTF-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _drip(self, headers_too: bool) -> None:
        """A byte at a time, every 0.2 s: the headers too, or only the body."""
        head = b"HTTP/1.1 200 OK\r\nContent-Type: text/calendar\r\nContent-Length: 100000\r\n\r\n"
        data = head + b"B" * 100000 if headers_too else b"B" * 100000
        if not headers_too:
            self.wfile.write(head)
        try:
            for byte in data:
                self.wfile.write(bytes([byte]))
                self.wfile.flush()
                time.sleep(0.2)
        except OSError:  # the client gave up
            pass

    def log_message(self, *args):  # keep test output quiet
        pass


@pytest.fixture(scope="module")
def server():
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), FeedHandler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture
def fetched(server):
    """ics_url -> text, as the shell hands feeds to the core, fetched from the local server."""
    urls = [f"{server}/feeds/{name}" for name in (OPENJS, NODEJS)]
    return {url: fetch_loopback(url, timeout=5) for url in urls}


# -- occurrences from the OpenJS-shaped Google Calendar export ------------------------------------


def test_moved_cancelled_excluded_and_one_off_events(server, fetched):
    meeting = feed_meeting(f"{server}/feeds/{OPENJS}")

    found = next_occurrences(meeting, at(LOS_ANGELES, 2023, 9, 1), 9, fetched)

    assert starts(found) == [
        "2023-09-11 08:30 PDT",
        "2023-09-25 08:30 PDT",
        "2023-10-10 09:00 PDT",  # moved from Monday 2023-10-09 by a RECURRENCE-ID override
        "2023-10-16 09:00 PDT",  # a one-off event (in UTC in the feed)
        "2023-10-23 08:30 PDT",
        "2023-11-06 08:30 PST",  # the DST change: same wall time, UTC one hour later
        "2023-12-04 08:30 PST",  # 2023-11-20 is STATUS:CANCELLED, 2023-11-02 is all-day
        "2023-12-18 08:30 PST",
        "2024-01-15 08:30 PST",  # 2024-01-01 is an EXDATE
    ]
    assert [o.start_utc.hour for o in found[4:6]] == [15, 16]
    assert {o.end - o.start for o in found} == {dt.timedelta(hours=1)}


def test_without_ics_match_every_timed_event_counts(server, fetched):
    meeting = feed_meeting(f"{server}/feeds/{OPENJS}", match=None)

    found = next_occurrences(meeting, at(LOS_ANGELES, 2023, 9, 11), 3, fetched)

    assert starts(found) == ["2023-09-11 08:30 PDT", "2023-09-13 10:00 PDT", "2023-09-20 10:00 PDT"]


def test_ics_match_is_case_insensitive(server, fetched):
    meeting = feed_meeting(f"{server}/feeds/{OPENJS}", match="cross PROJECT council")

    assert starts(next_occurrences(meeting, at(LOS_ANGELES, 2023, 9, 1), 1, fetched)) == ["2023-09-13 10:00 PDT"]


def test_times_are_expressed_in_the_slots_zone(server, fetched):
    meeting = feed_meeting(f"{server}/feeds/{OPENJS}", zone="Europe/London")

    found = next_occurrences(meeting, at(LOS_ANGELES, 2023, 10, 20), 2, fetched)

    assert starts(found) == ["2023-10-23 16:30 BST", "2023-11-06 16:30 GMT"]
    assert found[0].timezone == "Europe/London"


def test_feed_windows_and_due_occurrence_follow_the_moved_time(server, fetched):
    meeting = feed_meeting(f"{server}/feeds/{OPENJS}")
    opens = at(LOS_ANGELES, 2023, 10, 3, 9, 0)  # seven days before the moved start

    assert due(meeting, opens - SECOND, fetched) is None
    assert due(meeting, opens, fetched).start == at(LOS_ANGELES, 2023, 10, 10, 9, 0)


def test_date_of_a_moved_occurrence_is_off_the_schedule(server, fetched):
    meeting = feed_meeting(f"{server}/feeds/{OPENJS}")

    with pytest.raises(NoOccurrenceOn) as raised:
        occurrence_on(meeting, dt.date(2023, 10, 9), feeds=fetched)
    forced = occurrence_on(meeting, dt.date(2023, 10, 9), force=True, feeds=fetched)

    assert [o.date for o in raised.value.nearest] == [dt.date(2023, 9, 25), dt.date(2023, 10, 10)]
    assert (forced.start, forced.end - forced.start) == (at(LOS_ANGELES, 2023, 10, 9, 8, 30), dt.timedelta(hours=1))
    assert forced.extra


def test_force_on_a_feed_with_nothing_near_has_no_usual_time_to_use():
    meeting = feed_meeting("https://example.org/empty.ics")
    feeds = {"https://example.org/empty.ics": "BEGIN:VCALENDAR\nVERSION:2.0\nEND:VCALENDAR\n"}

    with pytest.raises(NoOccurrenceOn, match=MSG_NONE_NEAR):
        occurrence_on(meeting, dt.date(2023, 10, 9), force=True, feeds=feeds)


def test_a_cancelled_occurrence_is_no_longer_scheduled(server, fetched):
    rule_meeting = make_meeting(slots=(make_slot(),))  # the same meeting by its rule, without the feed
    cancelled = occurrence_on(rule_meeting, dt.date(2023, 11, 20))
    kept = occurrence_on(rule_meeting, dt.date(2023, 12, 4))
    meeting = feed_meeting(f"{server}/feeds/{OPENJS}")

    assert not scheduled(meeting, cancelled, fetched)
    assert scheduled(meeting, kept, fetched)


# -- the Node.js-shaped feed: Europe/London, X-WR-TIMEZONE:UTC, several meetings --------------------


def test_london_feed_seen_from_new_york_across_both_dst_changes(server, fetched):
    meeting = feed_meeting(f"{server}/feeds/{NODEJS}", match="(TSC) Meeting", zone="America/New_York")

    found = next_occurrences(meeting, at("UTC", 2023, 10, 1), 10, fetched)

    assert starts(found) == [
        "2023-10-18 09:00 EDT",
        "2023-10-25 09:00 EDT",
        "2023-11-01 10:00 EDT",  # London has left summer time, New York not yet
        "2023-11-08 09:00 EST",
        "2023-11-23 10:00 EST",  # 11-15 excluded; 11-22 moved to Thursday 15:00 London
        "2023-11-29 09:00 EST",  # the last one: UNTIL in UTC
    ]
    assert feed_urls(meeting) == (f"{server}/feeds/{NODEJS}",)


def test_floating_times_use_the_feeds_x_wr_timezone(server, fetched):
    meeting = feed_meeting(f"{server}/feeds/{NODEJS}", match="Security WG", zone="Europe/London")

    assert starts(next_occurrences(meeting, at("UTC", 2023, 10, 1), 5, fetched)) == ["2023-10-30 16:00 GMT"]


FLOATING = """BEGIN:VCALENDAR
VERSION:2.0
BEGIN:VEVENT
UID:floating@example.org
DTSTART:20240310T023000
SUMMARY:Floating meeting in the spring-forward gap
END:VEVENT
END:VCALENDAR
"""


def test_floating_times_without_a_feed_zone_are_wall_clock_times_in_the_slots_zone():
    meeting = feed_meeting("https://example.org/f.ics", match=None, duration_minutes=45)

    (found,) = next_occurrences(meeting, at("UTC", 2024, 3, 1), 5, {"https://example.org/f.ics": FLOATING})

    assert starts([found]) == ["2024-03-10 03:30 PDT"]  # the gap rule, as for rule times
    assert found.end - found.start == dt.timedelta(minutes=45)  # no DTEND: the slot's duration


# -- malformed feeds ----------------------------------------------------------------------------


def one_event(lines: str) -> str:
    return f"BEGIN:VCALENDAR\nBEGIN:VEVENT\n{lines}\nEND:VEVENT\nEND:VCALENDAR\n"



@pytest.mark.parametrize(
    ("text", "message"),
    [
        (sample("html_login_page.ics"), MSG_MALFORMED.format(stage=STAGE_PARSE)),
        (sample("truncated.ics"), MSG_MALFORMED.format(stage=STAGE_PARSE)),
        ("", MSG_MALFORMED.format(stage=STAGE_PARSE)),
        ("BEGIN:VEVENT\nDTSTART:20230101T100000Z\nEND:VEVENT\n", MSG_NOT_A_CALENDAR),
        (one_event("SUMMARY:x"), MSG_MISSING_PROPERTY.format(name="DTSTART")),
        (one_event("DTSTART:2023"), MSG_MALFORMED.format(stage=STAGE_EXPAND)),
        (one_event("DTSTART:20230101T100000Z\nRRULE:FREQ=BOGUS"), MSG_MALFORMED.format(stage=STAGE_EXPAND)),
    ],
)
def test_a_malformed_feed_is_one_clear_line(text, message):
    with pytest.raises(FeedError) as raised:
        feed_events(text, zone="UTC", after=at("UTC", 2022, 1, 1), until=at("UTC", 2024, 1, 1))

    assert str(raised.value).startswith(message)
    assert "\n" not in str(raised.value) and len(str(raised.value)) < 250


# -- fetching -------------------------------------------------------------------------------------


def test_fetch_returns_the_feed_text(server):
    assert fetch_loopback(f"{server}/feeds/{OPENJS}") == sample(OPENJS)


def test_fetch_uses_a_given_session(server):
    with requests.Session() as session:
        assert fetch_loopback(f"{server}/feeds/{NODEJS}", session=session) == sample(NODEJS)


@pytest.mark.parametrize(
    ("path", "status", "shown"),
    [
        ("/feeds/missing.ics?token=s3cret", 404, "/feeds/missing.ics"),
        (PRIVATE_PATH + "?ctz=UTC", 500, PRIVATE_PATH.replace("private-0123456789abcdef", "***")),
    ],
)
def test_http_errors_name_the_status_and_the_address_without_secrets(server, path, status, shown):
    with pytest.raises(FeedError) as raised:
        fetch_loopback(server + path)

    assert str(raised.value) == MSG_HTTP_STATUS.format(url=server + shown, status=status)
    assert "s3cret" not in str(raised.value) and "0123456789abcdef" not in str(raised.value)


def test_a_feed_larger_than_the_cap_is_refused(server, monkeypatch):
    monkeypatch.setattr(feed_adapter, "MAX_FEED_BYTES", 1000)

    with pytest.raises(FeedError, match="larger than 1000 bytes") as raised:
        fetch_loopback(f"{server}/big")

    assert str(raised.value) == MSG_TOO_LARGE.format(url=f"{server}/big", limit=1000)


def test_a_server_that_never_answers_times_out():
    with socket.create_server(("127.0.0.1", 0)) as silent:  # listens, never accepts nor answers
        url = f"http://127.0.0.1:{silent.getsockname()[1]}/basic.ics"
        with pytest.raises(FeedError) as raised:
            fetch_loopback(url, timeout=0.2)

    assert str(raised.value) == MSG_TIMEOUT.format(url=url, timeout=0.2)


def test_a_refused_connection_is_a_clear_error():
    with socket.create_server(("127.0.0.1", 0)) as probe:
        port = probe.getsockname()[1]  # closed again: nothing listens there

    with pytest.raises(FeedError) as raised:
        fetch_loopback(f"http://user:s3cret@127.0.0.1:{port}/basic.ics")

    assert str(raised.value) == MSG_UNREACHABLE.format(url=f"http://127.0.0.1:{port}/basic.ics", kind="ConnectionError")


def test_only_web_addresses_are_fetched():
    with pytest.raises(FeedError) as raised:
        fetch_loopback("file:///etc/passwd")

    assert str(raised.value) == MSG_BAD_SCHEME.format(url="file:///etc/passwd")


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("webcal://calendar.google.com/calendar/ical/x/public/basic.ics", "https://calendar.google.com/calendar/ical/x/public/basic.ics"),
        ("WEBCALS://example.org/a.ics", "https://example.org/a.ics"),
        ("https://example.org/a.ics?x=1", "https://example.org/a.ics?x=1"),
        ("http://example.org/a.ics", "http://example.org/a.ics"),
    ],
)
def test_webcal_addresses_are_fetched_over_https(url, expected):
    assert http_url(url) == expected


def test_redacted_addresses_keep_host_port_and_public_path():
    url = "https://me:pw@calendar.example:8443" + PRIVATE_PATH + "?token=x#frag"

    assert redact_url(url) == "https://calendar.example:8443" + PRIVATE_PATH.replace("private-0123456789abcdef", "***")


# -- hostile feeds: recurrences more often than daily, too many occurrences -----------------------


def events(*bodies: str) -> str:
    inner = "".join(f"BEGIN:VEVENT\r\n{body}\r\nEND:VEVENT\r\n" for body in bodies)
    return f"BEGIN:VCALENDAR\r\nVERSION:2.0\r\n{inner}END:VCALENDAR\r\n"


WEEKLY_MEETING = "UID:wg\r\nSUMMARY:WG meeting\r\nDTSTART:20240101T160000Z\r\nDTEND:20240101T170000Z\r\nRRULE:FREQ=WEEKLY"
SECONDLY = "UID:noise\r\nSUMMARY:Noise\r\nDTSTART:20240101T000000Z\r\nRRULE:FREQ=SECONDLY"
EVERY_SECOND = "UID:wg2\r\nSUMMARY:WG meeting\r\nDTSTART:20240101T000000Z\r\nRRULE:FREQ=DAILY;BYSECOND=" + ",".join(
    map(str, range(60))
)


def test_a_secondly_event_the_slot_does_not_follow_is_dropped_before_expansion():
    found = feed_events(
        events(WEEKLY_MEETING, SECONDLY), zone="UTC", match="WG", after=at("UTC", 2024, 1, 1), until=at("UTC", 2025, 2, 1)
    )
    assert len(found) == 57 and {event.summary for event in found} == {"WG meeting"}


@pytest.mark.parametrize("noisy", [SECONDLY.replace("Noise", "WG meeting"), EVERY_SECOND])
def test_a_meeting_event_that_repeats_more_often_than_daily_is_refused(noisy):
    with pytest.raises(FeedError) as raised:
        feed_events(events(noisy), zone="UTC", match="WG", after=at("UTC", 2024, 1, 1), until=at("UTC", 2025, 1, 1))
    assert str(raised.value) == MSG_SUB_DAILY


def test_expansion_stops_past_the_occurrence_cap():
    many = [f"UID:e{n}\r\nSUMMARY:Daily {n}\r\nDTSTART:20240101T{n % 24:02d}0000Z\r\nRRULE:FREQ=DAILY" for n in range(6)]
    window = {"zone": "UTC", "match": "WG", "after": at("UTC", 2024, 1, 1), "until": at("UTC", 2024, 1, 11)}
    assert feed_events(events(*many), **window, limit=60) == ()  # 6 daily events for 10 days: 60 occurrences
    with pytest.raises(FeedError) as raised:
        feed_events(events(*many), **window, limit=59)
    assert str(raised.value) == MSG_TOO_MANY.format(limit=59)



# -- hostile feeds: where they point, how slowly they answer --------------------------------------

PUBLIC_HOST = "feeds.example.org"
PUBLIC_ADDRESS = "93.184.215.14"  # a global address; the tests' session sends its requests to loopback


class ToLoopback(requests.adapters.HTTPAdapter):
    """A transport that delivers requests for PUBLIC_HOST to the tests' server on 127.0.0.1."""

    def __init__(self, port: int) -> None:
        super().__init__()
        self.port = port

    def send(self, request, **kwargs):
        request.url = request.url.replace(f"http://{PUBLIC_HOST}", f"http://127.0.0.1:{self.port}")
        return super().send(request, **kwargs)


def public_session(server: str) -> requests.Session:
    session = requests.Session()
    session.mount(f"http://{PUBLIC_HOST}", ToLoopback(int(server.rsplit(":", 1)[1])))
    return session


def resolve(host: str) -> list[str]:
    return {PUBLIC_HOST: [PUBLIC_ADDRESS], "127.0.0.1": ["127.0.0.1"], "169.254.169.254": ["169.254.169.254"]}[host]


def test_a_loopback_feed_is_refused_without_the_opt_in(server):
    url = f"{server}/feeds/{OPENJS}"
    with pytest.raises(FeedError) as raised:
        fetch_feed(url)
    assert str(raised.value) == feed_adapter.MSG_NOT_PUBLIC.format(url=url, host="127.0.0.1")


@pytest.mark.parametrize(
    ("location", "host"),
    [("http://HERE/feeds/" + OPENJS, "127.0.0.1"), ("http://169.254.169.254/latest/meta-data/", "169.254.169.254")],
)
def test_a_public_feed_that_redirects_to_an_internal_address_is_refused(server, location, host):
    url = f"http://{PUBLIC_HOST}/redirect/{location}"
    with public_session(server) as session, pytest.raises(FeedError) as raised:
        fetch_feed(url, session=session, resolve=resolve)
    assert str(raised.value) == feed_adapter.MSG_NOT_PUBLIC.format(url=redact_url(url), host=host)
    assert "VCALENDAR" not in str(raised.value)


def test_a_public_feed_is_fetched_through_the_same_checks(server):
    url = f"http://{PUBLIC_HOST}/feeds/{OPENJS}"
    with public_session(server) as session:
        assert fetch_feed(url, session=session, resolve=resolve) == sample(OPENJS)


@pytest.mark.parametrize("path", ["/drip", "/drip-headers"])
def test_a_server_answering_a_byte_at_a_time_is_given_up_at_the_deadline(server, path):
    started = time.monotonic()
    with pytest.raises(FeedError) as raised:
        fetch_loopback(server + path, timeout=5, deadline=1)
    assert time.monotonic() - started < 3
    assert str(raised.value) == feed_adapter.MSG_DEADLINE.format(url=server + path, deadline=1)


@pytest.mark.parametrize("address", ["127.0.0.1", "10.1.2.3", "169.254.169.254", "::1", "fd00:ec2::254", "::ffff:127.0.0.1", "100.64.0.1"])
def test_internal_addresses_are_not_public(address):
    assert not feed_adapter._public(address)


def test_global_addresses_are_public():
    assert feed_adapter._public(PUBLIC_ADDRESS) and feed_adapter._public("2606:4700::1111")


# -- the retry policy on feed reads, under the same checks and the one deadline -------------------


def test_a_public_feed_failing_twice_is_read_again_with_its_address_checked_each_time(server):
    ident = uuid.uuid4().hex
    url = f"http://{PUBLIC_HOST}/flaky/2/{ident}/{OPENJS}"
    looked_up: list[str] = []
    waits: list[float] = []

    def counting(host: str) -> list[str]:
        looked_up.append(host)
        return resolve(host)

    with public_session(server) as session:
        text = fetch_feed(url, session=session, resolve=counting, policy=Policy(60, sleep=waits.append))
    assert text == sample(OPENJS)
    assert FeedHandler.served[ident] == 3
    assert looked_up == [PUBLIC_HOST] * 3 and len(waits) == 2


def test_a_refused_address_is_final_not_repeated(server):
    ident = uuid.uuid4().hex
    url = f"{server}/flaky/0/{ident}/{OPENJS}"
    waits: list[float] = []
    with pytest.raises(FeedError) as raised:
        fetch_feed(url, policy=Policy(60, sleep=waits.append))
    assert str(raised.value) == feed_adapter.MSG_NOT_PUBLIC.format(url=url, host="127.0.0.1")
    assert waits == [] and ident not in FeedHandler.served


def test_repeats_of_a_failing_feed_stop_at_the_deadline(server):
    url = f"{server}/calendar/always-500.ics"
    started = time.monotonic()
    with pytest.raises(FeedError) as raised:
        fetch_loopback(url, timeout=5, deadline=1, policy=Policy(60))
    assert time.monotonic() - started < 3
    assert str(raised.value) == feed_adapter.MSG_DEADLINE.format(url=url, deadline=1)
