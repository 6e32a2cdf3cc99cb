"""Shared by the publish tests: three meetings (rule with DST and a skipped date, alternating slots,
an iCalendar feed served on loopback) against the GitHub double, and the feeds read back."""

from __future__ import annotations

import datetime as dt
import http.server
import json
import threading
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo

import icalendar
import pytest
import recurring_ical_events

from bot import markers
from tests.doubles.github import DEFAULT_TOKEN
from tests.e2e import NOW, OTHER, REPO, World, world  # noqa: F401 (the fixture)

NOW_MOMENT = dt.datetime.fromisoformat(NOW.replace("Z", "+00:00"))
WEEKS = 8
UNTIL = NOW_MOMENT + dt.timedelta(weeks=WEEKS)
SKIPPED = "2024-04-01"  # a Monday of the weekly Berlin meeting, just after Europe's DST change
FEED_ZONE = "America/New_York"  # the feed meeting crosses the US DST change on 2024-03-10
FEED_CANCELLED = dt.datetime(2024, 3, 21, 10, 0)
FEED_MOVED = dt.datetime(2024, 3, 28, 10, 0)
HOSTILE = '<img src=x onerror="window.__pwned=1"> <script>window.__pwned=1</script> @acme/everyone'
TOPIC = "Threat model review"
ALT = """name = "Alternating WG"
repo = "acme/meetings"

[[schedule]]
timezone = "UTC"
start = 2024-01-04T13:00:00
rrule = "FREQ=WEEKLY;INTERVAL=2"
vars = { join_url = "https://meet.example.org/early" }

[[schedule]]
timezone = "UTC"
start = 2024-01-11T17:00:00
rrule = "FREQ=WEEKLY;INTERVAL=2"
vars = { join_url = "https://meet.example.org/late" }

[agenda]
label = "alt-agenda"
repos = ["acme/lib"]

[notes]
provider = "none"
"""


def feed_text(moved: bool = False, dropped: bool = False) -> str:
    """A weekly Thursday 10:00 New York series: one instance cancelled, optionally one moved by an
    hour (same day) and one dropped by EXDATE; an unrelated event that the meeting does not match."""
    zone = ZoneInfo(FEED_ZONE)
    calendar = icalendar.Calendar()
    calendar.add("PRODID", "-//tests//feed//EN")
    calendar.add("VERSION", "2.0")
    series = _event("series@tests", "Security WG", dt.datetime(2024, 2, 1, 10, 0, tzinfo=zone))
    series.add("RRULE", {"FREQ": "WEEKLY"})
    if dropped:
        series.add("EXDATE", dt.datetime(2024, 4, 4, 10, 0, tzinfo=zone))
    calendar.add_component(series)
    cancelled = _event("series@tests", "Security WG", FEED_CANCELLED.replace(tzinfo=zone))
    cancelled.add("RECURRENCE-ID", FEED_CANCELLED.replace(tzinfo=zone))
    cancelled.add("STATUS", "CANCELLED")
    calendar.add_component(cancelled)
    if moved:
        override = _event("series@tests", "Security WG", FEED_MOVED.replace(hour=11, tzinfo=zone))
        override.add("RECURRENCE-ID", FEED_MOVED.replace(tzinfo=zone))
        calendar.add_component(override)
    calendar.add_component(_event("other@tests", "Board", dt.datetime(2024, 3, 12, 9, 0, tzinfo=zone)))
    calendar.add_missing_timezones()
    return calendar.to_ical().decode("utf-8")


def _event(uid: str, summary: str, start: dt.datetime) -> icalendar.Event:
    event = icalendar.Event()
    event.add("UID", uid)
    event.add("SUMMARY", summary)
    event.add("DTSTAMP", dt.datetime(2024, 1, 1, tzinfo=dt.timezone.utc))
    event.add("DTSTART", start)
    event.add("DTEND", start + dt.timedelta(hours=1))
    return event


class FeedServer:
    """A loopback web server with one feed whose text a test can change."""

    def __init__(self) -> None:
        self.text = feed_text()
        owner = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802
                body = owner.text.encode("utf-8")
                self.send_response(200)
                self.send_header("Content-Type", "text/calendar")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/security.ics"

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@dataclass
class Site:
    world: World
    feed: FeedServer
    out: Path

    def publish(self, *args: str, now: str = NOW, out: Path | None = None, token: str = DEFAULT_TOKEN):
        """`meeting-bot publish`; `token=""` for none (GitHub's anonymous search limit is 10 a minute)."""
        env = {"MEETING_BOT_ALLOW_PRIVATE_FEEDS": "1"}
        result = self.world.bot(
            "publish", "--out", str(out or self.out), "--weeks", str(WEEKS), *args,
            "--config", str(self.world.config), "--now", now,
            env={**self.world._env(token), **env},
        )
        assert "Traceback" not in result.stderr, result.stderr
        return result

    def file(self, name: str, out: Path | None = None) -> bytes:
        return ((out or self.out) / name).read_bytes()

    def document(self) -> dict:
        return json.loads(self.file("meetings.json"))


@pytest.fixture
def site(world, tmp_path):
    world.meeting(schedule={"skip_dates": [dt.date.fromisoformat(SKIPPED)]})
    (world.config / "alt.toml").write_text(ALT, encoding="utf-8")
    feed = FeedServer()
    world.meeting(
        "security", name="Security WG", schedule={"timezone": FEED_ZONE, "ics_url": feed.url, "ics_match": "security"},
        agenda={"label": "security-agenda"},
    )
    _without_start(world.config / "security.toml")
    world.topic(TOPIC)
    world.topic(HOSTILE, repo=REPO)
    try:
        yield Site(world, feed, tmp_path / "site")
    finally:
        feed.close()


def _without_start(path: Path) -> None:
    """A feed slot has no start or rule: drop the ones the base meeting file had."""
    lines = [line for line in path.read_text().splitlines() if not line.startswith(("start =", "rrule ="))]
    path.write_text("\n".join(lines) + "\n")


def bot_issue(world: World, key: str, user: str = "meeting-bot") -> int:
    """An issue carrying the occurrence's key, as the bot (or someone copying it) made it."""
    return world.github.add_issue(REPO, f"Meeting {key}", labels=["meeting"], user=user, body=markers.make_key(key))


def events(data: bytes, after: dt.datetime = NOW_MOMENT, until: dt.datetime = UNTIL) -> list:
    """The feed read back as subscribers read it: icalendar, expanded by recurring-ical-events."""
    calendar = icalendar.Calendar.from_ical(data)
    return sorted(recurring_ical_events.of(calendar).between(after, until), key=lambda e: e.start)


def confirmed(found: list) -> list:
    return [e for e in found if str(e.get("STATUS")) != "CANCELLED"]


def by_uid(data: bytes) -> dict:
    return {str(e["UID"]): e for e in icalendar.Calendar.from_ical(data).walk("VEVENT")}
