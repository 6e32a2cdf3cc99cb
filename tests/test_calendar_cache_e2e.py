"""Conditional Calendar reads and the event id's owner, end to end (SPEC sections 7 and 12).

The bot lists its events with the `If-None-Match` of the last answer, kept in the one ETag cache (in
memory, and under MEETING_BOT_CACHE_DIR across runs); a 304 is answered from the cache. An event that holds
the bot's key-derived id but was made by someone else is never patched.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import signal
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from bot import runner
from bot.adapters.gcal import NOT_OURS, GoogleCalendar, event_id_for
from bot.apply import CREATED_EVENT, UPDATED_EVENT
from bot.ports import EventDraft
from bot.settings import from_environment
from tests.doubles.github import DEFAULT_TOKEN
from tests.e2e import KEY, MEETING_ID, planned
from tests.test_calendar_e2e import (  # noqa: F401 - fixtures
    CAL, EMAIL, KEY_PROPERTY, LIST, MEETING_PROPERTY, TITLE, CalendarWorld, cal, calendar, said, summary, world,
)


@dataclass
class CachedWorld(CalendarWorld):
    """The calendar world, each run keeping its ETags under one MEETING_BOT_CACHE_DIR."""

    cache: Path = Path()

    def _env(self, token: str) -> dict:
        return {**super()._env(token), "MEETING_BOT_CACHE_DIR": str(self.cache)}

    def list_statuses(self) -> list[int | None]:
        return [c.status for c in self.calls(LIST)]


@pytest.fixture
def cached(cal: CalendarWorld, tmp_path: Path) -> CachedWorld:
    fields = {f.name: getattr(cal, f.name) for f in dataclasses.fields(CalendarWorld)}
    return CachedWorld(**fields, cache=tmp_path / "etags")


def settle(world: CalendarWorld) -> subprocess.CompletedProcess:
    """A first run (it creates, which changes the listing) and a second that reads it in full again."""
    assert world.run("run").returncode == 0
    second = world.run("run")
    assert second.returncode == 0, second.stderr
    return second


# ------------------------------------------------------------------ conditional reads


def test_a_rerun_with_nothing_new_is_answered_304_and_comes_out_the_same(cached: CachedWorld):
    cached.topic("Threat model review")
    second = settle(cached)
    event = cached.event()
    cached.reset_logs()

    third = cached.run("run", process=True)  # a process of its own: only the directory carries the ETags

    assert third.returncode == 0, third.stderr
    assert said(third) == said(second) == [runner.NOTHING_NEW.format(number=cached.issue()["number"])]
    assert cached.list_statuses() == [304]
    (listing,) = cached.calls(LIST)
    assert listing.headers["if-none-match"] == listing.response_headers["ETag"]
    cached.only_reads()
    assert cached.events() == [event]


def test_the_plan_from_the_cache_is_the_plan_from_a_full_read(cached: CachedWorld, cal: CalendarWorld):
    cached.topic("Threat model review")
    settle(cached)
    cached.topic("A later topic")  # the event's description would change: the plan is not empty
    cached.reset_logs()
    from_cache = cached.run("run", "--dry-run")
    assert cached.list_statuses() == [304]
    cal.reset_logs()
    in_full = cal.run("run", "--dry-run")  # no cache directory: a new process reads everything
    assert [c.status for c in cal.calls(LIST)] == [200]
    assert from_cache.returncode == in_full.returncode == 0
    assert planned(from_cache) and from_cache.stdout == in_full.stdout


@pytest.mark.parametrize("edit", [
    {"summary": "Renamed in the Calendar UI"},
    {"start": {"dateTime": "2024-03-11T17:00:00", "timeZone": "Europe/Berlin"},
     "end": {"dateTime": "2024-03-11T18:00:00", "timeZone": "Europe/Berlin"}},
], ids=["renamed", "moved"])
def test_an_event_edited_between_runs_is_seen_through_the_cache(cached: CachedWorld, edit: dict):
    settle(cached)
    event = cached.event()
    cached.calendar.store.patch(None, CAL, event["id"], edit)  # a person edits it between runs
    cached.reset_logs()

    result = cached.run("run")

    assert result.returncode == 0, result.stderr
    assert cached.list_statuses() == [200]  # the listing's etag changed with the event
    assert UPDATED_EVENT.format(id=event["id"]) in said(result)
    repaired = cached.event()
    assert (repaired["summary"], repaired["start"]) == (TITLE, event["start"])
    cached.reset_logs()
    assert cached.run("run").returncode == 0
    cached.only_reads()  # the bot's own patch changed the listing once more; now it is settled


def test_a_later_run_in_the_same_month_asks_the_same_question(cached: CachedWorld):
    settle(cached)
    cached.reset_logs()
    result = cached.run("run", now="2024-03-08T07:30:00Z")  # the clock moved: the listing's URL did not
    assert result.returncode == 0, result.stderr
    assert cached.list_statuses() == [304]
    (listing,) = cached.calls(LIST)
    assert listing.params["timeMin"] == ["2024-03-01T00:00:00Z"]


def test_the_listing_drops_what_ended_before_now_although_it_asks_from_the_months_start(calendar):
    """In process: the adapter itself, its events made by the service account through the API."""
    key = calendar.new_service_account(EMAIL)
    calendar.add_calendar(CAL, {EMAIL: "writer"})
    env = {"GOOGLE_SERVICE_ACCOUNT_JSON": json.dumps(key), "GOOGLE_CALENDAR_API_URL": calendar.url}
    adapter = GoogleCalendar.from_settings(from_environment(env))
    for day, start in (("2024-03-04", "16:00"), ("2024-03-07", "12:30"), ("2024-03-11", "16:00")):
        key_of_day = f"{MEETING_ID}/{day}"
        adapter.create(CAL, EventDraft(key_of_day, MEETING_ID, TITLE, "", "", f"{day}T{start}:00",
                                       f"{day}T{int(start[:2]) + 1:02}:{start[3:]}:00", "Europe/Berlin",
                                       {KEY_PROPERTY: key_of_day, MEETING_PROPERTY: MEETING_ID}))
    now = dt.datetime(2024, 3, 7, 12, 0, tzinfo=dt.timezone.utc)  # 13:00 in Berlin: the 12:30 one runs on
    assert [e.key for e in adapter.find_meeting(CAL, MEETING_ID, now)] == [f"{MEETING_ID}/2024-03-07",
                                                                          f"{MEETING_ID}/2024-03-11"]
    later = now + dt.timedelta(hours=1)  # 14:00 in Berlin: it has ended
    assert [e.key for e in adapter.find_meeting(CAL, MEETING_ID, later)] == [f"{MEETING_ID}/2024-03-11"]
    statuses = [c.status for c in calendar.api_requests(LIST)]
    assert statuses == [200, 304]  # one question for the month, answered from the cache the second time


def test_a_worker_keeps_the_calendar_etags_in_memory(cal: CalendarWorld):
    process = cal.popen("worker", "--every", "1s")
    try:
        deadline = time.monotonic() + 60
        while len(cal.calls(LIST)) < 3:
            assert time.monotonic() < deadline, "the worker did not make three passes within a minute"
            time.sleep(0.05)
    finally:
        process.send_signal(signal.SIGTERM)
        process.communicate(timeout=30)
    statuses = [c.status for c in cal.calls(LIST)]
    # The first pass creates the event, which changes the listing, so the second reads it in full
    # again; from then on nothing changed and every pass is answered 304.
    assert statuses[:2] == [200, 200] and set(statuses[2:]) == {304}, statuses


def test_without_a_cache_directory_every_run_lists_in_full(cal: CalendarWorld):
    settle(cal)
    cal.reset_logs()
    assert cal.run("run").returncode == 0
    assert [c.status for c in cal.calls(LIST)] == [200]
    assert "if-none-match" not in cal.calls(LIST)[0].headers


def test_the_cache_files_hold_no_secret(cached: CachedWorld):
    settle(cached)
    assert cached.run("run").returncode == 0
    files = list(cached.cache.iterdir())
    texts = [f.read_text(encoding="utf-8") for f in files]
    calendar_entries = [json.loads(t) for t in texts if "/calendar/v3/" in json.loads(t)["url"]]
    assert calendar_entries and all(e["url"].endswith(f" as {EMAIL}") for e in calendar_entries)
    secrets = [g.token for g in cached.calendar.grants] + [DEFAULT_TOKEN, "ya29.", "Bearer", "PRIVATE KEY"]
    secrets += [line for line in cached.key["private_key"].splitlines() if "PRIVATE KEY" not in line]
    secrets += [cached.key["private_key_id"]]
    assert cached.calendar.grants
    assert not [s for s in secrets for text in texts if s in text]
    assert oct(cached.cache.stat().st_mode & 0o777) == oct(0o700)


# ------------------------------------------------------------------ the event id is the bot's only if it made it


@pytest.mark.parametrize("copied", [False, True], ids=["bare", "with-the-bots-properties"])
def test_an_event_someone_else_made_with_the_bots_id_is_never_patched(cal: CalendarWorld, copied: bool):
    event_id = event_id_for(KEY)
    private = {KEY_PROPERTY: KEY, MEETING_PROPERTY: MEETING_ID} if copied else {"note": "mine"}
    theirs = cal.calendar.add_event(CAL, {
        "id": event_id, "summary": "Sync closes #1", "extendedProperties": {"private": private},
        "start": {"dateTime": "2024-03-11T09:00:00", "timeZone": "Europe/Berlin"},
        "end": {"dateTime": "2024-03-11T10:00:00", "timeZone": "Europe/Berlin"},
    }, creator="editor@example.org")
    message = NOT_OURS.format(calendar=CAL, id=event_id, key=KEY, email=EMAIL)

    failed = cal.run("run")

    assert failed.returncode == 1
    assert summary(failed).endswith("; " + message), summary(failed)
    assert "\n" not in message and message not in failed.stderr  # one line, said once
    assert cal.events() == [theirs]  # untouched: same etag, summary, times
    assert cal.calendar_writes() == [("calendar.events.insert", "events")]  # refused 409, nothing patched
    assert [c.status for c in cal.calls("calendar.events.insert")] == [409]
    cal.issue_and_notes_exist()
    assert not [part for part in said(failed) if part.startswith(CREATED_EVENT.format(id=""))]

    cal.reset_logs()
    again = cal.run("run")  # the same answer every run; the issue and notes are not written again
    assert again.returncode == 1 and said(again)[-1] == message
    assert cal.writes() == [] and cal.events() == [theirs]
