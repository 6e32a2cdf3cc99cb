"""After the meeting (SPEC section 8), end to end: the real command, PyGithub and HackMD's REST API
against the doubles, the clock pinned by `--now`.

The meeting (tests/e2e.py) is every Monday 16:00-17:00 in Berlin; DATE's meeting ends at 16:00 UTC.
"""

from __future__ import annotations

import json
import re
import subprocess
from collections.abc import Iterator

import pytest

from bot import after, markers, minutes
from bot.adapters.repo_notes import web_url
from bot.after_apply import CLOSED, DRY_CLOSE, DRY_OPEN_ARCHIVE, DRY_REMOVE_LABELS, LABEL_REFUSED
from bot.plan import CANCELLED
from bot.preview import PLAN_HEADER, PLAN_LINE
from tests.doubles.github import DEFAULT_TOKEN as GITHUB_TOKEN
from tests.doubles.hackmd import DEFAULT_TOKEN, HackMDDouble
from tests.e2e import DATE, KEY, LABEL, MEETING_ID, OTHER, REPO, TRACEBACK, World, notes_path, world  # noqa: F401

TEAM = "wg-team"
ENDED = "2024-03-11T18:00:00Z"  # DATE's meeting ended two hours ago: after_hours (24) not yet passed
DUE = "2024-03-12T17:00:00Z"  # 25 hours after the end
LATER = "2024-03-13T09:00:00Z"
BRANCH = f"meeting-bot/{KEY}"
MINUTES = after.COMMENT_MARKER.format(kind=after.MINUTES_KIND)


def said(result: subprocess.CompletedProcess) -> str:
    return "\n".join(line for line in result.stdout.splitlines() if line.startswith(f"{MEETING_ID}: "))


def comments(world: World, number: int) -> list[str]:
    return [c["body"] for c in world.github.comments(REPO, number)]


@pytest.fixture
def md(world: World) -> Iterator[tuple[World, HackMDDouble]]:
    with HackMDDouble() as double:
        double.add_team(TEAM)
        world.github.put_file(REPO, "README.md", "The working group's meetings.\n")
        world.meeting(notes={"provider": "hackmd", "hackmd_team": TEAM})
        yield world, double


def run_md(world: World, double: HackMDDouble, *args: str, now: str) -> subprocess.CompletedProcess:
    env = {"GITHUB_API_URL": world.github.url, "GITHUB_TOKEN": GITHUB_TOKEN, "HACKMD_API_URL": double.url,
           "HACKMD_TOKEN": DEFAULT_TOKEN}
    result = world.bot(*args, "--config", str(world.config), "--now", now, env=env)
    assert TRACEBACK not in result.stdout + result.stderr, result.stderr
    return result


def the_note(double: HackMDDouble) -> dict:
    """DATE's note (the next meeting's note may exist too)."""
    (note,) = [n for n in double.notes(TEAM) if markers.find_key(n["content"]) == KEY]
    return note


# ================================================================== close
def test_the_issue_closes_once_after_after_hours_with_the_notes_link(world: World):
    world.topic("A topic")
    assert world.run("run").returncode == 0
    number = world.issue()["number"]

    assert world.run("run", now=ENDED).returncode == 0
    assert world.issue()["state"] == "open"  # not before after_hours

    due = world.run("run", now=DUE)
    assert due.returncode == 0, due.stderr
    closed = world.issue()
    assert (closed["state"], closed["state_reason"]) == ("closed", "completed")
    link = f"{web_url(world.github.url)}/{REPO}/blob/HEAD/{notes_path()}"
    assert comments(world, number) == [after.MINUTES_COMMENT.format(date=DATE, url=link) + MINUTES]

    world.github.reset_log()
    assert world.run("run", now=DUE).returncode == 0
    assert world.writes() == []


def test_a_human_reopen_is_never_overridden(world: World):
    assert world.run("run").returncode == 0
    assert world.run("run", now=DUE).returncode == 0
    number = world.issue()["number"]
    world.github.set_issue(REPO, number, state="open", state_reason="reopened")

    later = world.run("run", now=LATER)

    assert later.returncode == 0
    assert world.issue()["state"] == "open" and len(comments(world, number)) == 1
    assert after.REOPENED_LEFT.format(number=number) in said(later)


def test_a_rerun_once_everything_is_done_costs_what_it_cost_without_the_after_steps(world: World):
    assert world.run("run").returncode == 0
    assert world.run("run", now=DUE).returncode == 0
    world.github.reset_log()
    assert world.run("run", now=DUE).returncode == 0
    with_after = [(e.method, e.path) for e in world.github.requests]

    world.meeting(after={"close_issue": False, "carry_over": False, "action_items": False})
    world.github.reset_log()
    assert world.run("run", now=DUE).returncode == 0
    without = [(e.method, e.path) for e in world.github.requests]
    assert with_after == without and world.writes() == []


# ================================================================== archive
def test_hackmd_notes_are_archived_by_one_pull_request_updated_while_open(md):
    world, double = md
    assert run_md(world, double, "run", now="2024-03-07T12:00:00Z").returncode == 0
    note = the_note(double)
    human = note["content"].replace("## Present\n", "## Present\n\n* Ann (@ann) \u2713\r\n")
    double.edit(note["id"], human)

    due = run_md(world, double, "run", now=DUE)

    assert due.returncode == 0, due.stderr
    (pull,) = world.github.pulls(REPO)
    assert (pull["state"], pull["head"]["ref"], pull["user"]["login"]) == ("open", BRANCH, "meeting-bot")
    archived = world.github.file(REPO, notes_path(), BRANCH)
    assert archived == minutes.archived_text(human, minutes.hackmd_tag(KEY))
    assert "* Ann (@ann) \u2713\r\n" in archived and "<!-- meeting-bot" not in archived and "tags:" not in archived
    assert world.github.file(REPO, notes_path()) is None  # not on the default branch until merged
    issue = world.issue()
    assert issue["state"] == "closed" and pull["html_url"] in comments(world, issue["number"])[0]

    double.edit(note["id"], human + "\nDecided: ship it.\n")
    changed = run_md(world, double, "run", now=LATER)
    assert changed.returncode == 0 and len(world.github.pulls(REPO)) == 1
    assert world.github.file(REPO, notes_path(), BRANCH).endswith("\nDecided: ship it.\n")

    world.github.reset_log()
    assert run_md(world, double, "run", now=LATER).returncode == 0
    assert world.writes() == []


@pytest.mark.parametrize("decision", ["merge_pull", "close_pull"])
def test_a_pull_request_a_human_merged_or_closed_is_left_alone(md, decision):
    world, double = md
    assert run_md(world, double, "run", now="2024-03-07T12:00:00Z").returncode == 0
    assert run_md(world, double, "run", now=DUE).returncode == 0
    (pull,) = world.github.pulls(REPO)
    getattr(world.github, decision)(REPO, pull["number"])
    before = world.github.file(REPO, notes_path(), BRANCH)
    double.edit(the_note(double)["id"], the_note(double)["content"] + "\nLate edit\n")

    assert run_md(world, double, "run", now=LATER).returncode == 0
    world.github.reset_log()
    assert run_md(world, double, "run", now=LATER).returncode == 0

    assert world.writes() == [] and world.github.file(REPO, notes_path(), BRANCH) == before
    assert len(world.github.pulls(REPO)) == 1 and after.ARCHIVED in markers.find_status(world.issue()["body"])


def test_the_commit_variant_commits_the_note_once(md):
    world, double = md
    world.meeting(notes={"provider": "hackmd", "hackmd_team": TEAM}, after={"archive": "commit"})
    assert run_md(world, double, "run", now="2024-03-07T12:00:00Z").returncode == 0

    assert run_md(world, double, "run", now=DUE).returncode == 0
    double.edit(the_note(double)["id"], the_note(double)["content"] + "\nLate edit\n")
    world.github.reset_log()
    assert run_md(world, double, "run", now=LATER).returncode == 0

    assert world.writes() == [] and world.github.pulls(REPO) == []
    text = world.github.file(REPO, notes_path())
    assert text is not None and "Late edit" not in text and markers.find_key(text) is None
    assert len([c for c in world.github.commits(REPO) if c["path"] == notes_path()]) == 1
    link = f"{web_url(world.github.url)}/{REPO}/blob/HEAD/{notes_path()}"
    assert link in comments(world, world.issue()["number"])[0]


def test_dry_run_shows_each_step_and_writes_nothing(md):
    world, double = md
    world.meeting(notes={"provider": "hackmd", "hackmd_team": TEAM}, after={"remove_label": True})
    world.topic("A topic")
    assert run_md(world, double, "run", now="2024-03-07T12:00:00Z").returncode == 0
    world.github.reset_log()

    dry = run_md(world, double, "run", "--dry-run", now=DUE)

    assert dry.returncode == 0 and world.writes() == []
    assert PLAN_HEADER.format(meeting=MEETING_ID) in dry.stdout  # the steps are in the meeting's dry-run plan
    planned = [line for line in dry.stdout.splitlines() if re.match(r"  \d+\. ", line)]
    for template in (DRY_REMOVE_LABELS, DRY_OPEN_ARCHIVE, DRY_CLOSE):
        head = template.split("{")[0]
        assert any(line.startswith(PLAN_LINE.format(number=n, line=head)) for n in range(1, 10) for line in planned), head
        assert head not in said(dry)  # planned, not reported as done


def test_the_steps_taken_are_in_the_outcomes_json(world: World, tmp_path):
    assert world.run("run").returncode == 0
    path = tmp_path / "outcomes.json"
    done = world.run("run", "--outcomes-json", str(path), now=DUE)
    assert done.returncode == 0 and world.issue()["state"] == "closed"
    outcome = next(o for o in json.loads(path.read_text()) if o["meeting"] == MEETING_ID)
    assert outcome["ok"] and CLOSED.format(number=world.issue()["number"], reason="completed") in outcome["lines"]


def test_date_on_an_ended_occurrence_runs_its_steps(world: World):
    assert world.run("run").returncode == 0
    world.github.reset_log()
    far = "2024-04-30T12:00:00Z"  # long past the look-back: a chair catches up by hand
    assert world.run("run", now=far).returncode == 0 and world.issue()["state"] == "open"
    caught_up = world.run("run", "--date", DATE, now=far)
    assert caught_up.returncode == 0 and world.issue()["state"] == "closed"


# ================================================================== carry-over and action items
def test_carry_over_marks_across_three_meetings(world: World):
    old = world.topic("Old topic")
    assert world.run("run", "--date", "2024-03-04", now="2024-03-01T12:00:00Z").returncode == 0
    new = world.topic("New topic")
    assert world.run("run", now="2024-03-07T12:00:00Z").returncode == 0
    assert world.run("run", now="2024-03-14T12:00:00Z").returncode == 0

    second = markers.find_region(world.issue(KEY)["body"], markers.AGENDA)
    assert f"[#{old}]" in second and "(carried over from 2024-03-04)" in second
    third = markers.find_region(world.issue(f"{MEETING_ID}/2024-03-18")["body"], markers.AGENDA)
    line = {n: next(li for li in third.splitlines() if f"[#{n}]" in li) for n in (old, new)}
    assert line[old].endswith("*(carried over from 2024-03-04)*")
    assert line[new].endswith("*(carried over from 2024-03-11)*")

    listed = world.run("agenda", "--meeting", MEETING_ID, "--format", "json", now="2024-03-14T12:00:00Z")
    import json
    firsts = {i["number"]: i["first_appeared"] for i in json.loads(listed.stdout)["items"]}
    assert firsts == {old: "2024-03-04", new: "2024-03-11"}


def test_open_action_items_start_the_next_notes_once(world: World):
    assert world.run("run", "--date", "2024-03-04", now="2024-03-01T12:00:00Z").returncode == 0
    previous = world.notes("2024-03-04")
    items = "\n## Action items\n\n- [ ] Ann: write the draft\n- [x] Bob: done\n"
    world.github.put_file(REPO, notes_path("2024-03-04"), previous + items)

    assert world.run("run").returncode == 0
    notes = world.notes()
    section = notes.split("## Action items from the previous meeting\n\n")[1]
    assert section.startswith("- [ ] Ann: write the draft\n") and "Bob" not in notes

    world.github.put_file(REPO, notes_path("2024-03-04"), previous + items + "- [ ] Cy: later item\n")
    world.github.reset_log()
    assert world.run("run").returncode == 0
    assert world.notes() == notes and world.writes() == []


# ================================================================== labels
def test_remove_label_takes_the_label_off_and_reports_a_refusing_repository_once(world: World):
    limited = "ghp_limited000000000000000000000000000000"
    world.github.add_token(limited, login="meeting-bot", access="write", repos=[REPO])
    world.meeting(after={"remove_label": True})
    own, theirs = world.topic("Own topic", repo=REPO), world.topic("Other topic")
    assert world.run("run", token=limited).returncode == 0

    ended = world.run("run", now=ENDED, token=limited)

    assert ended.returncode == 0, ended.stderr
    assert LABEL not in [lb["name"] for lb in world.github.get_issue(REPO, own)["labels"]]
    assert LABEL in [lb["name"] for lb in world.github.get_issue(OTHER, theirs)["labels"]]
    assert said(ended).count(LABEL_REFUSED.format(repo=OTHER, label=LABEL)) == 1
    world.github.reset_log()
    again = world.run("run", now=ENDED, token=limited)
    assert "refused to remove the label" not in said(again) and world.github.count("DELETE", "/labels/") == 0


# ================================================================== cancellation
def test_an_occurrence_cancelled_after_its_issue_exists_is_closed_as_not_planned(world: World):
    assert world.run("run").returncode == 0
    notes = world.notes()
    world.meeting(schedule={"skip_dates": [__import__("datetime").date(2024, 3, 11)]})
    world.github.reset_log()
    dry = world.run("run", "--dry-run")
    assert f"would close #{world.issue()['number']} as not_planned" in dry.stdout and world.writes() == []

    cancelled = world.run("run")

    assert cancelled.returncode == 0, cancelled.stderr
    issue = world.issue()
    assert (issue["state"], issue["state_reason"]) == ("closed", "not_planned")
    (comment,) = comments(world, issue["number"])
    assert comment == after.cancelled_comment(__import__("datetime").date(2024, 3, 11), after.WHY_OFF_SCHEDULE)
    assert world.notes() == notes  # notes left alone
    world.github.reset_log()
    assert world.run("run").returncode == 0 and world.writes() == []


def test_a_chairs_extra_meeting_is_never_cancelled(world: World):
    extra = world.run("run", "--date", "2024-03-13", "--force")
    assert extra.returncode == 0, extra.stderr
    key = f"{MEETING_ID}/2024-03-13"
    assert markers.is_extra(world.issue(key)["body"])
    assert world.run("run").returncode == 0
    assert world.issue(key)["state"] == "open"


def test_skip_if_empty_cancels_when_the_agenda_empties(world: World):
    world.meeting(agenda={"label": LABEL, "orgs": ["acme"], "skip_if_empty": True})
    topic = world.topic("Only topic")
    assert world.run("run").returncode == 0
    world.github.unlabel(OTHER, topic, LABEL)

    emptied = world.run("run")

    assert emptied.returncode == 0
    assert world.issue()["state_reason"] == "not_planned"
    assert CANCELLED.format(number=world.issue()["number"]) in said(world.run("run"))


# ================================================================== races and faults
def test_two_runs_at_once_end_with_one_comment_one_pull_request_one_file(md):
    world, double = md
    assert run_md(world, double, "run", now="2024-03-07T12:00:00Z").returncode == 0
    env = {"GITHUB_API_URL": world.github.url, "GITHUB_TOKEN": GITHUB_TOKEN, "HACKMD_API_URL": double.url,
           "HACKMD_TOKEN": DEFAULT_TOKEN}
    world.github.slow("GET", rf"^/repos/{REPO}/pulls$", delay=1.0, times=2)  # both look before either opens
    runs = [world.bot.popen("run", "--config", str(world.config), "--now", DUE, env=env) for _ in range(2)]
    for process in runs:
        process.communicate(timeout=60)
    for _ in range(2):
        run_md(world, double, "run", now=DUE)

    issue = world.issue()
    assert len([c for c in comments(world, issue["number"]) if MINUTES in c]) == 1
    assert len(world.github.pulls(REPO)) == 1 and world.github.file(REPO, notes_path(), BRANCH) is not None
    assert issue["state"] == "closed"


WRITES = {  # each new write of DATE's steps (its issue is #1): method, path, with remove_label
    "branch": ("POST", rf"^/repos/{REPO}/git/refs$", False),
    "file": ("PUT", rf"^/repos/{REPO}/contents/", False),
    "pull": ("POST", rf"^/repos/{REPO}/pulls$", False),
    "comment": ("POST", rf"^/repos/{REPO}/issues/1/comments$", False),
    "close": ("PATCH", rf"^/repos/{REPO}/issues/1$", False),
    "label": ("DELETE", r"/issues/\d+/labels/", True),
    "status": ("PATCH", rf"^/repos/{REPO}/issues/1$", True),  # the first edit of #1 records the labels step
}


@pytest.mark.parametrize("fault", [dict(status=500), dict(status=502, apply=True)], ids=["500", "502-applied"])
@pytest.mark.parametrize("write", WRITES)
def test_a_fault_at_each_new_write_ends_with_one_of_each(md, write, fault):
    world, double = md
    method, path, labels = WRITES[write]
    world.meeting(notes={"provider": "hackmd", "hackmd_team": TEAM}, after={"remove_label": labels})
    topic = world.topic("A topic")
    assert run_md(world, double, "run", now="2024-03-07T12:00:00Z").returncode == 0
    assert world.issue()["number"] == 1
    world.github.inject(method, path, **fault)
    run_md(world, double, "run", now=DUE)
    assert any(e.fault and e.method == method and re.search(path, e.path) for e in world.github.requests)
    for _ in range(2):
        run_md(world, double, "run", now=DUE)

    issue = world.issue()
    assert issue["state"] == "closed"
    assert len([c for c in comments(world, issue["number"]) if MINUTES in c]) == 1
    assert len(world.github.pulls(REPO)) == 1 and world.github.file(REPO, notes_path(), BRANCH) is not None
    assert [lb["name"] for lb in world.github.get_issue(OTHER, topic)["labels"]] == ([] if labels else [LABEL])
    world.github.reset_log()
    assert run_md(world, double, "run", now=DUE).returncode == 0 and world.writes() == []


def test_the_steps_run_when_no_meeting_is_due(world: World):
    world.meeting(schedule={"timezone": "Europe/Berlin", "start": __import__("datetime").datetime(2024, 1, 8, 16, 0),
                            "rrule": "FREQ=WEEKLY", "create_days_before": 1})
    assert world.run("run", now="2024-03-10T16:00:00Z").returncode == 0
    number = world.issue()["number"]

    idle = world.run("run", now=DUE)  # the next meeting's window opens on 2024-03-17

    assert idle.returncode == 0, idle.stderr
    assert "nothing to do: the next meeting is 2024-03-18" in said(idle)
    assert world.issue()["state"] == "closed" and len(comments(world, number)) == 1
    world.github.reset_log()
    assert world.run("run", now=DUE).returncode == 0
    assert world.writes() == [] and world.github.count("GET", rf"^/repos/{REPO}/issues$") == 1
