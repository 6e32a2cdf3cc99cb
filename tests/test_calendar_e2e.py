"""The Google Calendar event, end to end (SPEC sections 1.5, 3, 4, 6).

The real `meeting-bot` runs as a subprocess, its clock pinned by `--now`, with the real Google client
authenticating through the real service-account token exchange against the Calendar double, and
against the GitHub double for the issue and the notes.
"""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import time
from dataclasses import dataclass
from zoneinfo import ZoneInfo

import pytest

from bot import runner
from bot.adapters import retry
from bot.adapters.gcal import AUTH_FAILED, BAD_KEY, FAILED, NO_WRITE, NOT_SHARED, RATE_LIMITED, GoogleCalendar
from bot.apply import CANCELLED_EVENT, CREATED_EVENT, CREATED_NOTES, UPDATED_EVENT
from bot.plan import DROPPED_EVENT, DUPLICATE_EVENT
from bot.ports import EventDraft, RateLimited
from bot.preview import DRY_CANCEL_EVENT, DRY_CREATE_EVENT, DRY_UPDATE_EVENT
from bot.settings import from_environment
from tests.doubles.gcal import CalendarDouble, make_service_account_key, running_calendar
from tests.e2e import DATE, KEY, MEETING_ID, NAME, OTHER, REPO, STARTED, World, notes_path, planned, world  # noqa: F401 (the fixture)

CAL = "wg@group.calendar.google.com"
EMAIL = "meeting-bot@meeting-bot-test.iam.gserviceaccount.com"
SCOPE = "https://www.googleapis.com/auth/calendar.events"  # the only scope the bot may ask for
TITLE = f"{NAME} {DATE}"
INSERT = r"/events$"  # events.insert (POST); the token endpoint is /token
LIST = "calendar.events.list"
KEY_PROPERTY, MEETING_PROPERTY = "meetingBotKey", "meetingBotMeeting"
UTC = dt.timezone.utc


def utc(when: dict) -> dt.datetime:
    """The instant of an event's start or end, whatever form Google stored it in."""
    moment = dt.datetime.fromisoformat(when["dateTime"].replace("Z", "+00:00"))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=ZoneInfo(when["timeZone"]))
    return moment.astimezone(UTC)


def at(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=UTC)


def summary(result) -> str:
    """The bot's one summary line about the meeting on stdout."""
    (line,) = [line for line in result.stdout.splitlines() if line.startswith(f"{MEETING_ID}: ")]
    return line


def said(result) -> list[str]:
    """What the summary line says, one part per step."""
    return summary(result).removeprefix(f"{MEETING_ID}: ").split("; ")


@dataclass
class CalendarWorld(World):
    """World with the Calendar double: one calendar shared with the bot's service account."""

    calendar: CalendarDouble
    key: dict
    key_env: dict  # how the key reaches the bot: GOOGLE_SERVICE_ACCOUNT_JSON or a file

    def _env(self, token: str) -> dict:
        return {**super()._env(token), "GOOGLE_CALENDAR_API_URL": self.calendar.url, **self.key_env}

    def run(self, *args: str, **kw) -> subprocess.CompletedProcess:
        """As World.run, and the private key is nowhere in the output."""
        result = super().run(*args, **kw)
        output = result.stdout + result.stderr
        pem_lines = [line for line in self.key["private_key"].splitlines() if "PRIVATE KEY" not in line]
        assert "PRIVATE KEY" not in output and not [line for line in pem_lines if line in output]
        return result

    def meeting(self, meeting_id: str = MEETING_ID, **changes: object):
        """Rewrite the meeting file (from tests.e2e.MEETING) with `changes`, still on the calendar."""
        return super().meeting(meeting_id, calendar={"provider": "google", "calendar_id": CAL}, **changes)

    def use_key(self, key: dict) -> None:
        self.key, self.key_env = key, {"GOOGLE_SERVICE_ACCOUNT_JSON": json.dumps(key)}

    def events(self, include_cancelled: bool = False) -> list[dict]:
        return self.calendar.events(CAL, include_cancelled)

    def bot_events(self, key: str = KEY, include_cancelled: bool = False) -> list[dict]:
        return [e for e in self.events(include_cancelled) if private(e).get(KEY_PROPERTY) == key]

    def event(self, key: str = KEY) -> dict:
        (found,) = self.bot_events(key)
        return found

    def calls(self, method_id: str | None = None) -> list:
        return self.calendar.api_requests(method_id)

    def calendar_writes(self) -> list[tuple[str, str]]:
        """Since the logs were reset: each Calendar write as (API method, last part of the path)."""
        return [(w.api_method, w.path.rsplit("/", 1)[1]) for w in self.calendar.writes(r"^/calendar/")]

    def only_reads(self) -> None:
        """Since the logs were reset: calendar lists (and token exchanges) only, no GitHub write."""
        calls = [(r.method, r.api_method or r.path) for r in self.calendar.requests]
        assert calls and {c for c in calls if c != ("POST", "/token")} == {("GET", LIST)}, calls
        assert self.writes() == []

    def reset_logs(self) -> None:
        self.calendar.reset_log()
        self.github.reset_log()

    def notes_url(self, result) -> str:
        """The notes link, as the run that created the notes reported it."""
        prefix = CREATED_NOTES.format(url="")
        (url,) = [part[len(prefix):] for part in said(result) if part.startswith(prefix)]
        assert url.endswith(notes_path()), url
        return url

    def issue_and_notes_exist(self) -> None:
        assert len(self.issues()) == 1 and self.notes() is not None and len(self.notes_commits()) == 1


def private(event: dict) -> dict:
    return (event.get("extendedProperties") or {}).get("private") or {}


@pytest.fixture
def calendar():
    """The Calendar double; afterwards, every token was for exactly the events scope and nobody was invited."""
    with running_calendar() as double:
        yield double
        assert {g.scopes for g in double.grants} <= {(SCOPE,)}
        writes = double.writes(r"^/calendar/")
        assert all(w.params.get("sendUpdates") == ["none"] for w in writes), [(w.method, w.params) for w in writes]
        assert not [w for w in writes if isinstance(w.body, dict) and "attendees" in w.body]
        assert not [e for e in double.events(CAL, include_cancelled=True) if "attendees" in e]


@pytest.fixture
def cal(world: World, calendar: CalendarDouble) -> CalendarWorld:
    key = calendar.new_service_account(EMAIL)
    calendar.add_calendar(CAL, {EMAIL: "writer"})
    world = CalendarWorld(world.github, world.bot, world.config, calendar, key,
                          {"GOOGLE_SERVICE_ACCOUNT_JSON": json.dumps(key)})
    world.meeting()
    return world


# ------------------------------------------------------------------ creating, and runs with nothing new


@pytest.mark.parametrize("source", ["GOOGLE_SERVICE_ACCOUNT_JSON", "GOOGLE_APPLICATION_CREDENTIALS"])
def test_first_run_creates_one_event_with_every_link_and_later_runs_only_read(cal, source, tmp_path):
    if source == "GOOGLE_APPLICATION_CREDENTIALS":
        path = tmp_path / "service-account.json"
        path.write_text(json.dumps(cal.key), encoding="utf-8")
        cal.key_env = {source: str(path)}
    topic = cal.topic("Threat model review")

    first = cal.run("run")

    assert first.returncode == 0, first.stderr
    event = cal.event()
    assert CREATED_EVENT.format(id=event["id"]) in said(first)
    assert event["summary"] == TITLE
    assert event["start"] == {"dateTime": "2024-03-11T16:00:00", "timeZone": "Europe/Berlin"}
    assert (utc(event["start"]), utc(event["end"])) == (at("2024-03-11T15:00"), at("2024-03-11T16:00"))
    assert event["location"] == "https://meet.example.org/wg"
    for link in (cal.issue()["html_url"], cal.notes_url(first), "https://meet.example.org/wg",
                 f"https://github.com/{OTHER}/issues/{topic}"):
        assert link in event["description"], link
    assert "Threat model review" in event["description"]
    assert private(event) == {KEY_PROPERTY: KEY, MEETING_PROPERTY: MEETING_ID}
    assert "attendees" not in event and event["creator"] == {"email": EMAIL}
    (insert,) = cal.calls("calendar.events.insert")
    assert insert.params["sendUpdates"] == ["none"] and "attendees" not in insert.body
    assert [g.client_email for g in cal.calendar.grants] == [EMAIL]
    assert cal.calendar.grants[0].scopes == (SCOPE,)

    cal.reset_logs()
    again = cal.run("run")
    assert again.returncode == 0, again.stderr
    assert said(again) == [runner.NOTHING_NEW.format(number=cal.issue()["number"])]
    cal.only_reads()
    assert cal.events() == [event]


@pytest.mark.parametrize(
    ("zone", "first_start", "runs"),
    [
        # Berlin springs forward on 2024-03-31: 16:00 is 15:00 UTC before and 14:00 UTC after.
        ("Europe/Berlin", dt.datetime(2024, 1, 8, 16, 0),
         [("2024-03-20T12:00:00Z", "2024-03-25", "2024-03-25T15:00"),
          ("2024-03-27T12:00:00Z", "2024-04-01", "2024-04-01T14:00")]),
        # Los Angeles falls back on 2024-11-03: 08:30 is 15:30 UTC before and 16:30 UTC after.
        ("America/Los_Angeles", dt.datetime(2024, 1, 8, 8, 30),
         [("2024-10-23T12:00:00Z", "2024-10-28", "2024-10-28T15:30"),
          ("2024-10-30T12:00:00Z", "2024-11-04", "2024-11-04T16:30")]),
    ],
)
def test_one_event_per_occurrence_at_the_right_instant_on_both_sides_of_a_dst_change(cal, zone, first_start, runs):
    cal.meeting(schedule={"timezone": zone, "start": first_start})
    wall = first_start.time().isoformat()
    for now, date, instant in runs:
        result = cal.run("run", now=now)
        assert result.returncode == 0, result.stderr
        event = cal.event(f"{MEETING_ID}/{date}")
        assert event["start"] == {"dateTime": f"{date}T{wall}", "timeZone": zone}
        assert utc(event["start"]) == at(instant)
        assert utc(event["end"]) - utc(event["start"]) == dt.timedelta(minutes=60)
    assert len(cal.events()) == 2 and len(cal.calls("calendar.events.insert")) == 2
    cal.reset_logs()
    assert cal.run("run", now=runs[-1][0]).returncode == 0  # finds the event and leaves it
    cal.only_reads()


# ------------------------------------------------------------------ changes: agenda, time, date, skip


def test_a_new_topic_and_a_moved_time_patch_the_same_event(cal):
    assert cal.run("run").returncode == 0
    original = cal.event()

    cal.topic("Late topic")
    cal.reset_logs()
    refreshed = cal.run("run")
    assert refreshed.returncode == 0, refreshed.stderr
    assert UPDATED_EVENT.format(id=original["id"]) in said(refreshed)
    assert cal.calendar_writes() == [("calendar.events.patch", original["id"])]
    assert "Late topic" in cal.event()["description"] and cal.event()["start"] == original["start"]

    cal.meeting(schedule={"start": dt.datetime(2024, 1, 8, 17, 30)})  # same day, later
    cal.reset_logs()
    moved = cal.run("run")
    assert moved.returncode == 0, moved.stderr
    event = cal.event()
    assert event["id"] == original["id"] and len(cal.events()) == 1
    assert event["start"] == {"dateTime": "2024-03-11T17:30:00", "timeZone": "Europe/Berlin"}
    assert (utc(event["start"]), utc(event["end"])) == (at("2024-03-11T16:30"), at("2024-03-11T17:30"))
    assert cal.calendar_writes() == [("calendar.events.patch", original["id"])]

    cal.reset_logs()
    assert cal.run("run").returncode == 0
    cal.only_reads()


def test_a_meeting_moved_to_another_day_gets_a_new_event_and_the_old_one_is_cancelled(cal):
    assert cal.run("run").returncode == 0
    old = cal.event()

    cal.meeting(schedule={"start": dt.datetime(2024, 1, 9, 16, 0)})  # Tuesdays from now on
    moved = cal.run("run")

    assert moved.returncode == 0, moved.stderr
    new = cal.event(f"{MEETING_ID}/2024-03-12")
    assert utc(new["start"]) == at("2024-03-12T15:00")
    assert cal.bot_events() == [] and [e["id"] for e in cal.events()] == [new["id"]]
    why = DROPPED_EVENT.format(date=DATE)
    assert CANCELLED_EVENT.format(id=old["id"], why=why) in said(moved)


def test_a_skipped_occurrence_cancels_the_bots_event_and_never_a_humans(cal):
    same = {"summary": TITLE, "location": "https://meet.example.org/wg",
            "start": {"dateTime": "2024-03-11T16:00:00", "timeZone": "Europe/Berlin"},
            "end": {"dateTime": "2024-03-11T17:00:00", "timeZone": "Europe/Berlin"}}
    tagged = {**same, "summary": "Prep call", "extendedProperties": {"private": {"owner": "chair"}}}
    humans = [cal.calendar.add_event(CAL, same), cal.calendar.add_event(CAL, tagged)]
    assert cal.run("run").returncode == 0
    ours = cal.event()
    assert ours["id"] not in {h["id"] for h in humans} and len(cal.events()) == 3

    cal.meeting(schedule={"skip_dates": [dt.date(2024, 3, 11)]})
    cal.reset_logs()
    skipped = cal.run("run")

    assert skipped.returncode == 0, skipped.stderr
    why = DROPPED_EVENT.format(date=DATE)
    assert CANCELLED_EVENT.format(id=ours["id"], why=why) in said(skipped)
    assert cal.bot_events() == [] and cal.bot_events(include_cancelled=True)[0]["status"] == "cancelled"
    assert cal.calendar_writes() == [("calendar.events.delete", ours["id"])]
    assert cal.events() == humans  # untouched, byte for byte
    issue = cal.issue()
    assert (issue["state"], issue["state_reason"]) == ("closed", "not_planned")  # SPEC 8: cancelled

    cal.reset_logs()
    assert cal.run("run").returncode == 0
    cal.only_reads()
    assert cal.events() == humans

    cal.meeting()  # the skip is taken back and a chair reopens the issue: the same event comes back
    cal.github.set_issue(REPO, issue["number"], state="open", state_reason="reopened")
    back = cal.run("run")
    assert back.returncode == 0, back.stderr
    assert cal.event()["id"] == ours["id"] and cal.event()["status"] == "confirmed"
    assert cal.event()["start"] == ours["start"] and len(cal.events(include_cancelled=True)) == 3
    assert cal.events()[:2] == humans


def test_a_meeting_in_progress_keeps_its_event_while_the_next_one_is_prepared(cal):
    assert cal.run("run").returncode == 0
    ours = cal.event()

    during = cal.run("run", now=STARTED)  # 16:30 in Berlin: the meeting runs, the next one's window is open

    assert during.returncode == 0, during.stderr
    assert cal.event() == ours  # neither cancelled nor edited
    assert utc(cal.event(f"{MEETING_ID}/2024-03-18")["start"]) == at("2024-03-18T15:00")
    assert [w for w in cal.calendar_writes() if w[1] != "events"] == []  # only the new event's insert


def test_two_runs_at_once_make_one_event(cal):
    cal.calendar.inject("POST", INSERT, 500, times=retry.ATTEMPTS)
    assert cal.run("run").returncode == 1  # the issue and notes exist, the event does not
    cal.calendar.slow("GET", r"/events$", 3.0, times=2)  # both runs see no event before either writes

    runs = [cal.popen("run") for _ in range(2)]
    outputs = [run.communicate(timeout=60) for run in runs]

    assert [run.returncode for run in runs] == [0, 0], outputs
    assert len(cal.events(include_cancelled=True)) == 1
    statuses = sorted(r.status for r in cal.calls("calendar.events.insert"))
    assert statuses == [200, 409] + [500] * retry.ATTEMPTS, statuses  # 500: the setup run above
    assert cal.calls("calendar.events.get") and not cal.calls("calendar.events.patch")  # the loser read it back


def test_a_duplicate_bot_event_is_cancelled_and_one_remains(cal):
    assert cal.run("run").returncode == 0
    ours = cal.event()
    copy = {k: ours[k] for k in ("summary", "description", "location", "start", "end", "extendedProperties")}
    cal.calendar.add_event(CAL, copy, creator=EMAIL)  # as an older version of the bot could have left it

    result = cal.run("run")

    assert result.returncode == 0, result.stderr
    assert len(cal.bot_events()) == 1 and len(cal.bot_events(include_cancelled=True)) == 2
    why = DUPLICATE_EVENT.format(date=DATE)
    assert [part for part in said(result) if part.startswith("cancelled")] == [
        CANCELLED_EVENT.format(id=e["id"], why=why) for e in cal.bot_events(include_cancelled=True)
        if e["status"] == "cancelled"
    ]
    cal.reset_logs()
    assert cal.run("run").returncode == 0
    cal.only_reads()


def test_an_editors_copy_of_the_bots_properties_is_not_the_bots_event(cal):
    assert cal.run("run").returncode == 0
    ours = cal.event()
    copy = {k: ours[k] for k in ("summary", "description", "location", "start", "end", "extendedProperties")}
    theirs = cal.calendar.add_event(CAL, {**copy, "summary": "Sync closes #1"}, creator="editor@example.org")
    cal.reset_logs()
    result = cal.run("run")
    assert result.returncode == 0, result.stderr
    cal.only_reads()  # neither cancelled as a duplicate nor adopted
    assert [e["id"] for e in cal.events()] == [ours["id"], theirs["id"]]


# ------------------------------------------------------------------ failures, and the run after


@pytest.mark.parametrize("status", [500, 503])
@pytest.mark.parametrize("ambiguous", [False, True], ids=["not-created", "created-but-error"])
def test_two_server_errors_on_the_insert_are_repeated_within_the_run(cal, status, ambiguous):
    """The event id comes from the key, so repeating the insert is safe: a repeat of an applied one gets 409."""
    cal.calendar.inject("POST", INSERT, status, apply=ambiguous)
    cal.calendar.inject("POST", INSERT, status)

    done = cal.run("run")

    assert done.returncode == 0, done.stdout + done.stderr
    assert len(cal.events(include_cancelled=True)) == 1 and cal.event()["summary"] == TITLE
    cal.issue_and_notes_exist()
    inserts = [r.status for r in cal.calls("calendar.events.insert")]
    assert inserts == [status, status, 409 if ambiguous else 200], inserts
    assert cal.calendar_writes().count(("calendar.events.patch", cal.event()["id"])) == 0  # read back, as it should be
    cal.reset_logs()
    assert cal.run("run").returncode == 0
    cal.only_reads()


@pytest.mark.parametrize("status", [500, 503])
def test_two_server_errors_on_the_update_are_repeated_within_the_run(cal, status):
    assert cal.run("run").returncode == 0
    cal.topic("A new topic")
    cal.calendar.inject("PATCH", r"/events/", status, times=2)

    done = cal.run("run")

    assert done.returncode == 0, done.stdout + done.stderr
    assert [r.status for r in cal.calls("calendar.events.patch")] == [status, status, 200]
    assert len(cal.events(include_cancelled=True)) == 1 and "A new topic" in cal.event()["description"]


@pytest.mark.parametrize("ambiguous", [False, True], ids=["not-created", "created-but-error"])
def test_an_insert_that_fails_every_attempt_is_completed_by_the_next_run_without_a_duplicate(cal, ambiguous):
    cal.calendar.inject("POST", INSERT, 500, apply=ambiguous)
    cal.calendar.inject("POST", INSERT, 500, times=retry.ATTEMPTS - 1)

    failed = cal.run("run")

    assert failed.returncode == 1
    assert summary(failed).endswith("; " + FAILED.format(calendar=CAL, status=500, reason="backendError"))
    cal.issue_and_notes_exist()
    assert len(cal.bot_events()) == (1 if ambiguous else 0)

    cal.reset_logs()
    done = cal.run("run")

    assert done.returncode == 0, done.stderr
    assert len(cal.events()) == 1 and cal.event()["summary"] == TITLE
    cal.issue_and_notes_exist()
    if ambiguous:
        cal.only_reads()  # found by its private property: nothing to create or change
    else:
        assert cal.calendar_writes() == [("calendar.events.insert", "events")]


def _not_shared(cal):
    cal.calendar.set_access(CAL, EMAIL, "none")
    return NOT_SHARED.format(calendar=CAL, email=EMAIL), lambda: cal.calendar.set_access(CAL, EMAIL, "writer")


def _reader_only(cal):
    cal.calendar.set_access(CAL, EMAIL, "reader")
    message = NO_WRITE.format(calendar=CAL, email=EMAIL, reason="requiredAccessLevel")
    return message, lambda: cal.calendar.set_access(CAL, EMAIL, "writer")


def _untrusted_key(cal):
    good = cal.key
    cal.use_key(make_service_account_key(cal.calendar.token_url, EMAIL))  # the account, but a key it never had
    return AUTH_FAILED.format(calendar=CAL, why="invalid_grant: Invalid JWT Signature."), lambda: cal.use_key(good)


def _broken_key(cal):
    good = cal.key
    pem = good["private_key"].splitlines()
    broken = {**good, "private_key": "\n".join(pem[:10] + pem[-1:])}  # cut short
    cal.use_key(broken)
    message = BAD_KEY.format(where="in GOOGLE_SERVICE_ACCOUNT_JSON", why="ValueError")
    return message, lambda: cal.use_key(good)


@pytest.mark.parametrize("fault", [_not_shared, _reader_only, _untrusted_key, _broken_key],
                         ids=["not-shared", "reader-only", "untrusted-key", "broken-key"])
def test_a_calendar_failure_still_makes_issue_and_notes_and_the_next_run_completes_the_event(cal, fault):
    message, fix = fault(cal)

    failed = cal.run("run")

    assert failed.returncode == 1
    assert summary(failed).endswith("; " + message), summary(failed)
    assert message not in failed.stderr  # said once, in the summary
    cal.issue_and_notes_exist()
    assert cal.events() == []

    fix()
    cal.reset_logs()
    done = cal.run("run")

    assert done.returncode == 0, done.stderr
    assert CREATED_EVENT.format(id=cal.event()["id"]) in said(done)
    assert len(cal.events()) == 1
    cal.issue_and_notes_exist()
    assert cal.writes() == []  # the issue and notes were complete already


def test_keys_and_tokens_stay_out_of_the_output_even_with_debug(cal):
    good = cal.key
    cal.use_key(make_service_account_key(cal.calendar.token_url, EMAIL))
    failed = cal.run("run", "--debug")  # CalendarWorld.run checks the key is not in the output
    assert failed.returncode == 1
    assert AUTH_FAILED.format(calendar=CAL, why="invalid_grant: Invalid JWT Signature.") in failed.stdout

    cal.use_key(good)
    done = cal.run("run", "--debug")
    assert done.returncode == 0 and len(cal.events()) == 1
    tokens = [grant.token for grant in cal.calendar.grants]
    assert tokens and not [t for t in tokens if t in done.stdout + done.stderr]  # nor the access token


def test_a_rate_limit_that_persists_is_given_up_after_bounded_waits(calendar):
    """In process, with the waits recorded instead of slept: the e2e runs above would take seconds each."""
    key = calendar.new_service_account(EMAIL)
    calendar.add_calendar(CAL, {EMAIL: "writer"})
    env = {"GOOGLE_SERVICE_ACCOUNT_JSON": json.dumps(key), "GOOGLE_CALENDAR_API_URL": calendar.url}
    waits: list[float] = []
    adapter = GoogleCalendar.from_settings(from_environment(env), retry.Policy(60.0, sleep=waits.append))
    draft = EventDraft(KEY, MEETING_ID, TITLE, "", "", "2024-03-11T16:00:00", "2024-03-11T17:00:00",
                       "Europe/Berlin", {KEY_PROPERTY: KEY, MEETING_PROPERTY: MEETING_ID})

    calendar.inject_rate_limit(None, method="POST", path_regex=INSERT)
    with pytest.raises(RateLimited) as refused:
        adapter.create(CAL, draft)
    assert str(refused.value) == RATE_LIMITED.format(calendar=CAL, reason="rateLimitExceeded")
    assert len(calendar.api_requests("calendar.events.insert")) == retry.ATTEMPTS
    backoff = [retry.BACKOFF_FIRST * 2**n for n in range(retry.ATTEMPTS - 1)]
    assert len(waits) == len(backoff) and all(b <= w <= b + retry.JITTER for w, b in zip(waits, backoff)), waits

    calendar.clear_faults()
    waits.clear()
    calendar.inject_rate_limit(None, status=429, method="GET")
    with pytest.raises(RateLimited):
        adapter.find_meeting(CAL, MEETING_ID, at("2024-03-07T12:00"))
    assert len(calendar.api_requests(LIST)) == retry.ATTEMPTS and len(waits) == retry.ATTEMPTS - 1

    calendar.clear_faults()
    calendar.inject_server_error(2, method="GET")  # transient 500s on a read are retried
    assert adapter.find_meeting(CAL, MEETING_ID, at("2024-03-07T12:00")) == ()
    assert calendar.events(CAL) == []


def test_rate_limits_on_read_and_write_are_waited_out(cal):
    cal.calendar.inject_rate_limit(1, method="GET")
    cal.calendar.inject_rate_limit(1, method="POST", path_regex=INSERT)

    started = time.monotonic()
    result = cal.run("run")

    assert result.returncode == 0, result.stderr
    assert time.monotonic() - started < 20
    assert [r.status for r in cal.calls(LIST)][:2] == [403, 200]
    assert [r.status for r in cal.calls("calendar.events.insert")] == [403, 200]
    assert len(cal.events()) == 1


# ------------------------------------------------------------------ --dry-run


def test_dry_run_only_reads_the_calendar_and_shows_the_event(cal):
    dry = cal.run("run", "--dry-run")
    assert dry.returncode == 0, dry.stderr
    assert DRY_CREATE_EVENT.format(calendar=CAL, summary=TITLE) in planned(dry)
    cal.only_reads()
    assert cal.events() == []

    assert cal.run("run").returncode == 0
    before = cal.event()
    cal.topic("Late topic")
    cal.reset_logs()
    update = cal.run("run", "--dry-run")
    assert update.returncode == 0, update.stderr
    assert DRY_UPDATE_EVENT.format(id=before["id"]) in planned(update)
    assert "Late topic" in update.stdout
    cal.only_reads()

    cal.meeting(schedule={"skip_dates": [dt.date(2024, 3, 11)]})
    cal.reset_logs()
    cancel = cal.run("run", "--dry-run")
    assert cancel.returncode == 0, cancel.stderr
    why = DROPPED_EVENT.format(date=DATE)
    assert DRY_CANCEL_EVENT.format(id=before["id"], why=why) in planned(cancel)
    cal.only_reads()
    assert cal.events() == [before]


def test_a_chairs_extra_meeting_keeps_its_event_when_the_regular_run_sweeps(cal):
    extra_day = "2024-03-13"  # a Wednesday: off the Monday schedule
    forced = cal.run("run", "--date", extra_day, "--force")
    assert forced.returncode == 0, forced.stdout + forced.stderr
    (extra,) = cal.bot_events(f"{MEETING_ID}/{extra_day}")
    assert private(extra)["meetingBotExtra"] == "1"
    cal.reset_logs()
    regular = cal.run("run")  # the regular pass for 2024-03-11 sweeps events off the schedule
    assert regular.returncode == 0, regular.stderr
    assert cal.bot_events(f"{MEETING_ID}/{extra_day}")[0]["status"] == "confirmed"
    assert ("calendar.events.delete", extra["id"]) not in cal.calendar_writes()
