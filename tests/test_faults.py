"""The fault-injection suite: a fault at every write, and a kill between every pair of steps.

Each case runs the real command against both doubles with one fault, then clean runs, and checks
that the occurrence ends with exactly one issue, one notes file and one calendar event, the previous
issue closed, and that a further run writes nothing. The figures (cases run, duplicates found,
artifacts lost) are printed at the end of the test session.
"""

from __future__ import annotations

import json
import signal
from dataclasses import dataclass

import pytest

from bot import markers
from tests.waiting import wait_until
from tests.conftest import Bot
from tests.figures import FAULT_FIGURES
from tests.doubles.gcal import running_calendar
from tests.doubles.github import BAD_GATEWAY_PAGE, DEFAULT_TOKEN, GitHubDouble
from tests.doubles.http import Raw
from tests.e2e import KEY, LABEL, MEETING_ID, NAME, NOW, OTHER, PREVIOUS, REPO, notes_path, write_meeting

CAL = "wg@group.calendar.google.com"
EVENTS = rf"^/calendar/v3/calendars/{CAL}/events$"
STEPS = {  # the writes of a first run, in order: (double, method, path)
    "issue": ("github", "POST", rf"^/repos/{REPO}/issues$"),
    "notes": ("github", "PUT", rf"^/repos/{REPO}/contents/"),
    "event": ("calendar", "POST", EVENTS),
    "close-previous": ("github", "PATCH", rf"^/repos/{REPO}/issues/1$"),
}
RATE_LIMIT_WAIT = "3"  # MEETING_BOT_MAX_RATE_LIMIT_WAIT: a limit that does not say how long is waited this long
FAULTS = {  # name: inject() keywords, or a function of (double, method, path); "applied" ones change the state
    "500": dict(status=500),
    "502-applied": dict(status=502, apply=True),
    "reset": dict(status=None),
    "reset-applied": dict(status=None, apply=True),
    "500-twice": dict(status=500, times=2),
    "503-twice": dict(status=503, times=2),
    "html-502": lambda double, method, path: double.inject(method, path, 502, body=Raw(BAD_GATEWAY_PAGE, "text/html")),
    "reset-mid-body": lambda double, method, path: double.reset_mid_body(method, path),
    "rate-limit-unsaid": lambda double, method, path: (
        double.inject_secondary_limit(method, path, retry_after=None)
        if isinstance(double, GitHubDouble)
        else double.inject_rate_limit(1, method=method, path_regex=path)
    ),
}


@dataclass
class Scene:
    github: GitHubDouble
    calendar: object
    bot: Bot
    env: dict
    config: object

    def run(self):
        return self.bot("run", "--config", str(self.config), "--now", NOW, env=self.env)

    def popen(self):
        return self.bot.popen("run", "--config", str(self.config), "--now", NOW, env=self.env)

    def double(self, name: str):
        return self.github if name == "github" else self.calendar


@pytest.fixture
def scene(github: GitHubDouble, bot: Bot, tmp_path):
    with running_calendar() as calendar:
        key = calendar.new_service_account()
        calendar.add_calendar(CAL, {key["client_email"]: "writer"})
        github.add_repo(REPO)
        github.add_repo(OTHER)
        github.add_issue(REPO, f"{NAME} {PREVIOUS}", user="meeting-bot", body=markers.make_key(f"{MEETING_ID}/{PREVIOUS}"))
        github.add_issue(OTHER, "A topic", labels=[LABEL])
        config = tmp_path / "config"
        config.mkdir()
        write_meeting(config, calendar={"provider": "google", "calendar_id": CAL}, issue={"close_previous": True})
        env = {
            "GITHUB_API_URL": github.url,
            "GITHUB_TOKEN": DEFAULT_TOKEN,
            "GOOGLE_SERVICE_ACCOUNT_JSON": json.dumps(key),
            "GOOGLE_CALENDAR_API_URL": calendar.url,
            "MEETING_BOT_HTTP_TIMEOUT": "2",
            "MEETING_BOT_MAX_RATE_LIMIT_WAIT": RATE_LIMIT_WAIT,
        }
        yield Scene(github, calendar, bot, env, config)
        calendar.clear_faults()


def _tally(scene: Scene) -> tuple[int, int]:
    """(duplicates, lost): extra or missing artifacts of the occurrence, and an unclosed previous issue."""
    issues = [i for i in scene.github.issues(REPO) if markers.find_key(i["body"] or "") == KEY and i["state"] == "open"]
    notes = scene.github.file(REPO, notes_path())
    events = [e for e in scene.calendar.events(CAL) if (e.get("extendedProperties") or {}).get("private", {}).get("meetingBotKey") == KEY]
    previous = scene.github.get_issue(REPO, 1)["state"] == "closed"
    counts = (len(issues), 1 if notes and markers.find_key(notes) == KEY else 0, len(events), 1 if previous else 0)
    return sum(max(0, c - 1) for c in counts), sum(1 for c in counts if c == 0)


def _settle_and_check(scene: Scene) -> None:
    """Clean runs complete the occurrence; then one more run writes nothing."""
    for _ in range(2):
        assert "Traceback" not in scene.run().stderr
    duplicates, lost = _tally(scene)
    FAULT_FIGURES["cases"] += 1
    FAULT_FIGURES["duplicates"] += duplicates
    FAULT_FIGURES["lost"] += lost
    writes_before = len(scene.github.writes()) + len(scene.calendar.writes(r"^/calendar/"))
    last = scene.run()
    assert last.returncode == 0, last.stdout + last.stderr
    assert len(scene.github.writes()) + len(scene.calendar.writes(r"^/calendar/")) == writes_before
    assert (duplicates, lost) == (0, 0)


@pytest.mark.parametrize("fault", FAULTS)
@pytest.mark.parametrize("step", STEPS)
def test_a_fault_at_each_write_ends_with_one_of_each(scene: Scene, step: str, fault: str):
    double, method, path = STEPS[step]
    fault_of = FAULTS[fault]
    if callable(fault_of):
        fault_of(scene.double(double), method, path)
    else:
        scene.double(double).inject(method, path, **fault_of)
    failed = scene.run()
    assert "Traceback" not in failed.stderr
    _settle_and_check(scene)


@pytest.mark.parametrize("step", STEPS)
def test_a_kill_before_each_write_ends_with_one_of_each(scene: Scene, step: str):
    """The process dies while its next write is on the wire and not yet carried out."""
    double, method, path = STEPS[step]
    target = scene.double(double)
    target.inject(method, path, None, delay=3)  # held, then dropped without being applied
    process = scene.popen()
    wait_until(lambda: target.count(method, path) or process.poll() is not None, what="the write")
    assert process.poll() is None, "the process ended before its write came"
    process.send_signal(signal.SIGKILL)
    process.communicate(timeout=10)
    target.clear_faults()
    _settle_and_check(scene)


def test_two_runs_at_once_end_with_one_of_each(scene: Scene):
    scene.github.slow("GET", rf"^/repos/{REPO}/issues$", delay=1.0, times=2)  # both read before either creates
    first, second = scene.popen(), scene.popen()
    for process in (first, second):
        process.communicate(timeout=60)
    _settle_and_check(scene)
