"""Failures the real services send, end to end: repeated where safe, waited out within the bound, one clear line."""

from __future__ import annotations

import datetime as dt
import time

import pytest

from bot.adapters import github_agenda, github_client, repo_notes, retry, wire
from bot.config import load_meetings
from bot.render import Renderer
from bot.runner import STARTED_MEANWHILE, Pass, RunRequest, run_pass
from bot.settings import from_environment
from tests.doubles.github import DEFAULT_TOKEN, SECONDARY_DOCS
from tests.e2e import DATE, ISSUES, LABEL, NOW, REPO, TRACEBACK, World, notes_path, world  # noqa: F401 - fixture

CONTENTS = rf"^/repos/{REPO}/contents/"
SEARCH = r"^/search/issues$"
SHORT_WAIT = 1.0  # MEETING_BOT_MAX_RATE_LIMIT_WAIT for the tests that wait out a limit without Retry-After
START = dt.datetime(2024, 3, 11, 15, 0, tzinfo=dt.timezone.utc)  # DATE, 16:00 in Berlin


def run(world: World, **env: str):
    """`meeting-bot run` at NOW with extra environment; never a traceback."""
    result = world.bot(*world._args(("run",), NOW), env={**world._env(DEFAULT_TOKEN), **env})
    assert TRACEBACK not in result.stdout + result.stderr, result.stderr
    return result


def statuses(world: World, method: str, path: str) -> list[int | None]:
    return [e.status for e in world.github.matching(method, path)]


def one_of_each(world: World) -> None:
    assert len(world.issues()) == 1 and world.notes() is not None
    assert [e.status for e in world.github.writes(ISSUES)].count(201) == 1  # one issue was ever created


# ------------------------------------------------------------------ server errors on safe writes
@pytest.mark.parametrize("status", [500, 503])
def test_two_server_errors_on_the_notes_put_that_creates_are_repeated_within_the_run(world, status):
    world.topic("A topic")
    world.github.inject("PUT", CONTENTS, status, times=2)
    result = run(world)
    assert result.returncode == 0, result.stdout + result.stderr
    assert statuses(world, "PUT", CONTENTS) == [status, status, 201]
    assert len(world.notes_commits()) == 1 and "A topic" in world.notes()
    one_of_each(world)


@pytest.mark.parametrize("status", [500, 503])
def test_two_server_errors_on_the_notes_and_issue_updates_are_repeated_within_the_run(world, status):
    assert run(world).returncode == 0
    world.topic("A new topic")
    number = world.issue()["number"]
    world.github.inject("PUT", CONTENTS, status, times=2, apply=True)  # carried out, then answered with an error
    world.github.inject("PATCH", rf"^/repos/{REPO}/issues/{number}$", status, times=2)
    result = run(world)
    assert result.returncode == 0, result.stdout + result.stderr
    assert statuses(world, "PATCH", rf"/issues/{number}$") == [status, status, 200]
    assert "A new topic" in world.issue()["body"] and "A new topic" in world.notes()
    assert len(world.notes_commits()) == 2  # created, then updated once: the repeat met the new sha (409)
    one_of_each(world)
    world.github.reset_log()
    assert run(world).returncode == 0 and world.writes() == []


def test_a_connection_reset_mid_body_on_the_notes_put_is_completed_within_the_run(world):
    world.topic("A topic")
    world.github.reset_mid_body("PUT", CONTENTS)  # the notes PUT is carried out, its answer cut off
    result = run(world)
    assert result.returncode == 0, result.stdout + result.stderr  # repeated: 422 (it exists), read again
    assert statuses(world, "PUT", CONTENTS) == [201, 422]
    assert len(world.notes_commits()) == 1
    one_of_each(world)


def test_a_connection_reset_mid_body_on_the_issue_post_is_completed_by_the_next_run(world):
    world.topic("A topic")
    world.github.reset_mid_body("POST", ISSUES)  # the issue is made, its answer cut off: never repeated blindly
    failed = run(world)
    assert failed.returncode == 1 and len(failed.stdout.splitlines()) == 1, failed.stdout
    assert world.github.count("POST", ISSUES) == 1
    assert run(world).returncode == 0
    one_of_each(world)


# ------------------------------------------------------------------ 409 decided by a re-read
def test_a_409_with_an_unexpected_message_on_the_notes_put_is_resolved_by_reading_again(world):
    assert run(world).returncode == 0
    world.topic("A new topic")
    body = {"message": "Something GitHub never documented", "documentation_url": "https://docs.github.com/rest"}
    world.github.inject("PUT", CONTENTS, 409, body=body, apply=True)  # the commit was made all the same
    result = run(world)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "A new topic" in world.notes() and len(world.notes_commits()) == 2
    assert "protected" not in result.stdout
    world.github.reset_log()
    assert run(world).returncode == 0 and world.writes() == []


def test_a_409_that_leaves_the_file_as_it_was_is_a_protected_branch(world):
    world.github.inject("PUT", CONTENTS, 409, body={"message": "Anything at all"}, times=None)
    result = run(world)
    assert result.returncode == 1
    assert repo_notes.PROTECTED.format(repo=REPO, message="Anything at all") in result.stdout
    assert world.github.count("PUT", CONTENTS) == 1


# ------------------------------------------------------------------ GitHub's rate limits
@pytest.mark.parametrize(
    ("method", "path"), [("POST", ISSUES), ("GET", SEARCH)], ids=["issue-POST", "search"]
)
@pytest.mark.parametrize("status", [403, 429])
def test_a_secondary_limit_without_retry_after_is_waited_out_within_the_bound(world, method, path, status):
    world.topic("A topic")
    world.github.inject_secondary_limit(method, path, status=status, retry_after=None)
    began = time.monotonic()
    result = run(world, MEETING_BOT_MAX_RATE_LIMIT_WAIT=str(SHORT_WAIT))  # "at least a minute", cut to the bound
    assert result.returncode == 0, result.stdout + result.stderr
    assert time.monotonic() - began >= SHORT_WAIT
    first, second = statuses(world, method, path)[:2]
    assert first == status and second in (200, 201)
    one_of_each(world)


def test_a_secondary_limit_that_persists_is_a_rate_limit_not_a_permission_problem(world):
    world.github.inject_secondary_limit("POST", ISSUES, retry_after=None, times=None)
    result = run(world, MEETING_BOT_MAX_RATE_LIMIT_WAIT=str(SHORT_WAIT))
    assert result.returncode == 1
    what = f"creating the meeting issue in {REPO}"
    assert github_client.RATE_LIMITED.format(what=what, cap=SHORT_WAIT) in result.stdout
    assert "permission" not in result.stdout
    assert world.github.count("POST", ISSUES) == 2  # once, then after the whole budget; then given up


def test_a_secondary_limit_marked_only_by_its_documentation_url_is_recognised(world):
    body = {"message": "Reworded by GitHub one day", "documentation_url": SECONDARY_DOCS}
    world.github.inject("GET", SEARCH, 403, body=body)
    result = run(world, MEETING_BOT_MAX_RATE_LIMIT_WAIT=str(SHORT_WAIT))
    assert result.returncode == 0, result.stdout + result.stderr
    assert statuses(world, "GET", SEARCH)[:2] == [403, 200]


def test_a_rate_limit_wait_that_crosses_the_start_leaves_the_issue_untouched(world):
    """In process, on a fake clock that the waits move on: the limit lifts 30 s later, the meeting starts in 20."""
    assert run(world).returncode == 0
    world.topic("A new topic")
    issue = world.issue()
    world.github.inject_secondary_limit("GET", rf"^/repos/{REPO}/issues/{issue['number']}$", retry_after=30)
    now = [START - dt.timedelta(seconds=20)]

    def sleep(seconds: float) -> None:
        now[0] += dt.timedelta(seconds=seconds)

    settings = from_environment({"GITHUB_API_URL": world.github.url, "GITHUB_TOKEN": DEFAULT_TOKEN})
    renderer = Renderer(None)
    meetings, problems = load_meetings(world.config, renderer.exists)
    assert problems == []
    said: list[str] = []
    one = Pass(wire(settings, meetings, sleep=sleep), renderer, RunRequest(), lambda: now[0], said.append)
    (outcome,) = run_pass(meetings, one)

    assert outcome.ok and STARTED_MEANWHILE.format(date=DATE) in outcome.lines, outcome
    assert now[0] > START  # the wait did cross the start
    assert not world.github.matching("PATCH", rf"/issues/{issue['number']}$")
    assert world.issue()["body"] == issue["body"]


# ------------------------------------------------------------------ a load balancer's HTML page
def test_an_html_502_from_the_load_balancer_is_one_clear_line(world):
    world.github.inject_bad_gateway("POST", ISSUES)
    result = run(world)
    assert result.returncode == 1
    line = github_client.FAILED.format(what=f"creating the meeting issue in {REPO}", status=502, message="Bad Gateway")
    assert result.stdout.splitlines() == [f"wg: {line}"], result.stdout
    assert "<html" not in result.stdout + result.stderr
    assert world.github.count("POST", ISSUES) == 1  # a create is never repeated blindly


def test_an_html_502_on_a_read_is_repeated_then_one_clear_line(world):
    world.github.inject_bad_gateway("GET", SEARCH, times=None)
    result = run(world)
    assert result.returncode == 1
    what = github_agenda.SEARCH_WHAT.format(label=LABEL)
    assert github_client.FAILED.format(what=what, status=502, message="Bad Gateway") in result.stdout
    assert world.github.count("GET", SEARCH) == retry.ATTEMPTS
    assert world.github.writes() == []


def test_writes_to_github_are_paced_as_github_asks(world):
    world.topic("A topic")
    began = time.monotonic()
    result = run(world, MEETING_BOT_WRITE_INTERVAL="0.5")
    assert result.returncode == 0, result.stdout + result.stderr
    writes = len(world.github.writes())
    assert writes >= 2 and time.monotonic() - began >= 0.5 * (writes - 1)
    assert notes_path() in world.notes_commits()[0]["path"]
