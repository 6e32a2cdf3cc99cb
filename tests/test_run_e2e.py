"""The meeting issue and the `run`, `check`, `agenda` and `next` commands, end to end (SPEC sections 2, 4, 6).

The real `meeting-bot` runs as a subprocess against the GitHub double, its clock pinned by `--now`.
"""

from __future__ import annotations

import datetime as dt
import json

import pytest

from bot import escape, markers, occurrences, plan, runner
from bot.adapters.github_client import BAD_CREDENTIALS, NOT_FOUND
from bot.agenda import HEADING, ITEM, REF
from bot.apply import CLOSED_ISSUE, CREATED_ISSUE
from bot.preview import (
    DRY_CREATE_ISSUE, DRY_CREATE_NOTES, DRY_LABELS, DRY_PLACEHOLDER_URL, DRY_UPDATE_ISSUE, DRY_UPDATE_NOTES,
)
from bot.commands import CHECK_FAILED, CHECK_OK
from bot.config import UNKNOWN_ZONE
from tests.conftest import ROOT
from tests.e2e import (
    DATE,
    BEFORE_PREVIOUS,
    ISSUES,
    LABEL,
    MEETING_ID,
    NAME,
    OTHER,
    PREVIOUS,
    REPO,
    STARTED,
    ZONE,
    notes_path,
    planned,
    world,  # noqa: F401 (the fixture)
    write_meeting,
)
from tests.doubles.github import DEFAULT_TOKEN

BAD_TOKEN = "ghp_wrong000000000000000000000000000000000"
TITLE = f"{NAME} {DATE}"
THREAT = "Threat *model*"  # Markdown in a title: escaped in the Markdown agenda only


def agenda_region(issue: dict) -> str:
    region = markers.find_region(issue["body"], markers.AGENDA)
    assert region is not None, issue["body"]
    return region


def link(repo: str, number: int, kind: str = "issues") -> str:
    return f"[#{number}](https://github.com/{repo}/{kind}/{number})"


def summary(result, meeting_id: str = MEETING_ID) -> list[str]:
    """The lines the bot printed about one meeting on stdout."""
    return [line for line in result.stdout.splitlines() if line.startswith(f"{meeting_id}: ")]


def previous_issue(world) -> int:
    """The previous occurrence's meeting issue, as an earlier run of the bot left it."""
    body = markers.make_key(f"{MEETING_ID}/{PREVIOUS}")
    return world.github.add_issue(REPO, f"{NAME} {PREVIOUS}", labels=["meeting"], user="meeting-bot", body=body)


# ------------------------------------------------------------------ creating and refreshing


def test_first_run_creates_one_issue_with_every_item_and_three_more_runs_write_nothing(world):
    own = world.topic("Budget", repo=REPO)
    topic = world.topic("Threat model review")
    pull = world.github.add_issue(OTHER, "Add fuzzing", labels=[LABEL], pull_request=True)
    world.github.add_issue(OTHER, "Not for the meeting", labels=["bug"])
    world.github.add_issue(OTHER, "Settled already", labels=[LABEL], state="closed")

    first = world.run("run")

    assert first.returncode == 0, first.stderr
    issue = world.issue()
    assert issue["title"] == TITLE
    assert [label["name"] for label in issue["labels"]] == ["meeting"]
    created = CREATED_ISSUE.format(number=issue["number"], url=issue["html_url"])
    assert summary(first)[0].startswith(f"{MEETING_ID}: {created}")
    region = agenda_region(issue)
    for expected in (link(REPO, own), link(OTHER, topic), link(OTHER, pull, "pull")):
        assert expected in region
    assert "Not for the meeting" not in issue["body"] and "Settled already" not in issue["body"]
    assert world.github.count("POST", ISSUES) == 1

    world.github.reset_log()
    for _ in range(3):
        again = world.run("run")
        assert again.returncode == 0, again.stderr
        assert summary(again) == [f"{MEETING_ID}: " + runner.NOTHING_NEW.format(number=issue["number"])]
    assert world.writes() == []
    assert world.issues() == [issue]


def test_labels_move_items_in_and_out_while_human_edits_survive_byte_for_byte(world):
    old = world.topic("Topic 0")
    world.run("run")
    number = world.issue()["number"]
    for round_, newline in enumerate(("\r\n", "\n"), start=1):  # CRLF: as GitHub's web editor saves
        body = world.issue()["body"].replace("\r\n", "\n").replace("\n", newline)
        edited = f"Chair: please read the notes first.{newline}{newline}{body}{newline}-- the chair{newline}"
        world.github.set_issue(REPO, number, body=edited)
        world.github.unlabel(OTHER, old, LABEL)
        new = world.topic(f"Topic {round_}")

        assert world.run("run").returncode == 0

        after = world.issue()["body"]
        assert after.split(markers.AGENDA_START)[0] == edited.split(markers.AGENDA_START)[0]
        assert after.split(markers.AGENDA_END)[1] == edited.split(markers.AGENDA_END)[1]
        region = agenda_region(world.issue())
        assert link(OTHER, new) in region and link(OTHER, old) not in region
        assert not set(after.replace(newline, "")) & {"\r", "\n"}  # one line ending throughout
        old = new
    assert world.github.count("POST", ISSUES) == 1


def test_an_edit_made_while_the_run_is_working_is_kept(world):
    world.topic("Topic 0")
    world.run("run")
    number = world.issue()["number"]
    new = world.topic("Topic 1")
    world.github.reset_log()
    world.github.slow("GET", ISSUES, delay=1.5)  # the plan's read is answered late, as it was
    process = world.popen("run")
    world.wait_for("GET", ISSUES)
    edited = world.issue()["body"] + "\nA late note from the chair.\n"
    world.github.set_issue(REPO, number, body=edited)  # lands after the plan's read, before the write
    process.communicate(timeout=60)
    after = world.issue()["body"]
    assert "A late note from the chair." in after and link(OTHER, new) in agenda_region(world.issue())


def test_dry_run_writes_nothing_and_prints_the_rendered_issue_and_notes(world):
    world.topic("Dry topic")
    dry = world.run("run", "--dry-run")
    assert dry.returncode == 0, dry.stderr
    assert world.writes() == []
    labels = DRY_LABELS.format(labels="meeting")
    assert DRY_CREATE_ISSUE.format(repo=REPO, title=TITLE) + labels in planned(dry)
    assert DRY_CREATE_NOTES.format(ref=notes_path()) in planned(dry)

    world.run("run")  # what the dry run printed is what a real run writes
    issue = world.issue()
    assert issue["body"].rstrip("\n") in dry.stdout
    placeholder = DRY_PLACEHOLDER_URL.format(repo=REPO)
    assert world.notes().replace(issue["html_url"], placeholder).rstrip("\n") in dry.stdout

    world.topic("Late topic")
    world.github.reset_log()
    update = world.run("run", "--dry-run")
    assert world.writes() == []
    assert DRY_UPDATE_ISSUE.format(repo=REPO, number=issue["number"]) in planned(update)
    assert DRY_UPDATE_NOTES.format(ref=notes_path()) in planned(update)
    assert update.stdout.count("Late topic") == 2


def test_nothing_changes_once_the_meeting_has_started_even_with_force(world):
    world.topic("Early topic")
    world.run("run")
    before = (world.issue(), world.notes())
    world.topic("Late topic")
    world.github.reset_log()
    for force in ((), ("--force",)):
        late = world.run("run", "--date", DATE, *force, now=STARTED)
        assert late.returncode == 0, late.stderr
        assert summary(late) == [f"{MEETING_ID}: " + runner.STARTED.format(date=DATE)]
    assert world.writes() == []
    assert (world.issue(), world.notes()) == before


def test_a_changed_title_or_an_issue_closed_by_hand_makes_no_second_issue(world):
    world.run("run")
    issue = world.issue()
    world.meeting(title="Renamed {{ date }}")
    assert world.run("run").returncode == 0
    assert [i["number"] for i in world.issues()] == [issue["number"]]
    assert world.issues()[0]["title"] == issue["title"]  # the issue keeps its title; the body follows the configuration

    world.github.set_issue(REPO, issue["number"], state="closed")
    closed = world.run("run")
    assert closed.returncode == 0, closed.stderr
    assert plan.CLOSED_BY_HAND.format(number=issue["number"]) in summary(closed)[0], closed.stdout
    assert [i["state"] for i in world.issues()] == ["closed"]
    assert world.github.count("POST", ISSUES) == 1


def test_skip_if_empty_creates_nothing_on_an_empty_agenda_unless_forced(world):
    world.meeting(agenda={"skip_if_empty": True})
    world.github.add_issue(OTHER, "Settled already", labels=[LABEL], state="closed")
    skipped = world.run("run")
    assert skipped.returncode == 0, skipped.stderr
    assert summary(skipped) == [f"{MEETING_ID}: " + plan.SKIPPED_EMPTY]
    assert world.writes() == []

    forced = world.run("run", "--force")
    assert forced.returncode == 0, forced.stderr
    assert len(world.issues()) == 1 and world.notes() is not None


def test_close_previous_closes_the_previous_issue_with_a_link_once_it_has_started(world):
    world.meeting(issue={"close_previous": True})
    world.run("run", now=BEFORE_PREVIOUS)
    previous = world.issue(f"{MEETING_ID}/{PREVIOUS}")
    world.run("run", "--date", DATE, now=BEFORE_PREVIOUS)
    current = world.issue()
    assert world.issue(f"{MEETING_ID}/{PREVIOUS}")["state"] == "open"
    assert world.github.comments(REPO, previous["number"]) == []

    later = world.run("run")

    assert later.returncode == 0, later.stderr
    assert CLOSED_ISSUE.format(number=previous["number"]) in summary(later)[0], later.stdout
    assert world.issue(f"{MEETING_ID}/{PREVIOUS}")["state"] == "closed"
    comments = [c["body"] for c in world.github.comments(REPO, previous["number"])]
    assert comments == [plan.PREVIOUS_COMMENT.format(number=current["number"], url=current["html_url"])]
    assert world.issue()["state"] == "open"


# ------------------------------------------------------------------ failures, races, isolation

FAILING_WRITES = {  # (method, path, whether a repeat is safe, so the run itself repeats it)
    "issue-POST": ("POST", ISSUES, False),
    "notes-PUT": ("PUT", rf"^/repos/{REPO}/contents/", True),
    "close-comment-POST": ("POST", rf"^/repos/{REPO}/issues/{{previous}}/comments$", False),
    "close-PATCH": ("PATCH", rf"^/repos/{REPO}/issues/{{previous}}$", True),
}


@pytest.mark.parametrize(("method", "path", "safe"), FAILING_WRITES.values(), ids=FAILING_WRITES)
def test_a_failed_write_then_a_clean_run_leave_one_issue_and_one_notes_file(world, method, path, safe):
    world.meeting(issue={"close_previous": True})
    previous = previous_issue(world)
    path = path.format(previous=previous)
    for status, applied in ((500, False), (502, True)):  # lost, then done but answered with an error
        world.github.inject(method, path, status, apply=applied)
        first = world.run("run")
        if safe:  # repeated within the run: a PATCH sets the whole value, a PUT carries its sha
            assert first.returncode == 0, first.stdout + first.stderr
        else:  # never repeated blindly: the next run reads and completes
            assert first.returncode == 1, first.stdout
            assert str(status) in summary(first)[-1]

    clean = world.run("run")

    assert clean.returncode == 0, clean.stderr
    assert [i["state"] for i in world.issues()] == ["open"]
    assert len(world.notes_commits()) == 1
    assert world.github.get_issue(REPO, previous)["state"] == "closed"
    current = world.issue()
    comments = [c["body"] for c in world.github.comments(REPO, previous)]
    assert comments == [plan.PREVIOUS_COMMENT.format(number=current["number"], url=current["html_url"])]
    world.github.reset_log()
    assert world.run("run").returncode == 0
    assert world.writes() == []


def test_concurrent_runs_end_with_one_open_issue(world):
    world.topic("Race topic")
    for round_, date in enumerate(("2024-03-11", "2024-03-18", "2024-03-25")):
        if round_ == 0:  # both runs list the issues before either creates one: a duplicate slips through
            world.github.slow("GET", ISSUES, 2.0, times=2)
        runs = [world.popen("run", "--date", date) for _ in range(2)]
        outputs = [run.communicate(timeout=60) for run in runs]
        assert [run.returncode for run in runs] == [0, 0], outputs
        issues = world.issues(f"{MEETING_ID}/{date}")
        survivor = issues[0]
        assert [i["state"] for i in issues] == ["open"] + ["closed"] * (len(issues) - 1)
        for duplicate in issues[1:]:
            comments = {c["body"] for c in world.github.comments(REPO, duplicate["number"])}
            assert comments == {plan.DUPLICATE_COMMENT.format(number=survivor["number"], date=date)}
        assert len(world.notes_commits(notes_path(date))) == 1
        assert survivor["html_url"] in world.notes(date)
        if round_ == 0:
            assert len(issues) == 2


def test_a_failing_meeting_is_one_clear_line_and_the_others_still_run(world):
    world.meeting("broken", repo="acme/missing")
    result = world.run("run", process=True)  # the exit code of the process
    assert result.returncode == 1
    expected = "broken: " + NOT_FOUND.format(what="listing issues of acme/missing")
    assert summary(result, "broken") == [expected]
    merged = result.stdout + result.stderr
    assert merged.count(NOT_FOUND.format(what="listing issues of acme/missing")) == 1  # said once, on stdout
    assert len(world.issues()) == 1 and world.notes() is not None


def test_an_issue_whose_agenda_markers_were_deleted_is_left_alone(world):
    world.run("run")
    issue = world.issue()
    body = issue["body"].replace(markers.AGENDA_START, "").replace(markers.AGENDA_END, "")
    world.github.set_issue(REPO, issue["number"], body=body)
    world.topic("New topic")

    result = world.run("run")

    assert result.returncode == 0, result.stderr
    warning = plan.MARKERS_MISSING.format(number=issue["number"])
    assert [line for line in result.stderr.splitlines() if " WARNING " in line] == [
        line for line in result.stderr.splitlines() if line.endswith(f" WARNING {MEETING_ID}: {warning}")
    ]
    assert (result.stdout + result.stderr).count(warning) == 1  # once, as a warning, never in the summary
    assert warning not in result.stdout and (result.stdout + result.stderr).count("removed by hand") == 1
    assert markers.AGENDA_START in warning and markers.AGENDA_END in warning  # it says how to restore them
    assert world.issue()["body"] == body
    assert world.github.count("PATCH", rf"/issues/{issue['number']}$") == 0


def test_a_bad_token_fails_with_one_clear_line_and_never_shows_the_token(world):
    result = world.run("run", token=BAD_TOKEN)
    assert result.returncode == 1
    assert summary(result) == [f"{MEETING_ID}: {BAD_CREDENTIALS}"]
    assert BAD_TOKEN not in result.stdout + result.stderr
    assert world.writes() == []


# ------------------------------------------------------------------ --date


def test_an_off_schedule_date_fails_naming_the_nearest_occurrences_unless_forced(world):
    off = "2024-03-12"
    refused = world.run("run", "--date", off)
    assert refused.returncode == 1
    nearest = ", ".join(
        occurrences.OCCURRENCE_LABEL.format(date=day, time="16:00", zone="CET") for day in (DATE, "2024-03-18")
    )
    assert summary(refused) == [f"{MEETING_ID}: " + occurrences.MSG_NO_OCCURRENCE.format(day=off, nearest=nearest)]
    assert world.writes() == []

    forced = world.run("run", "--date", off, "--force")
    assert forced.returncode == 0, forced.stderr
    assert world.issue(f"{MEETING_ID}/{off}")["title"] == f"{NAME} {off}"
    assert world.notes(off) is not None


# ------------------------------------------------------------------ check, agenda, next


def test_check_accepts_the_example_config(bot):
    result = bot.spawn("check", "--config", str(ROOT / "config"))
    assert result.returncode == 0, result.stdout
    assert result.stdout.splitlines() == [CHECK_OK.format(count=1, names="security-collab-space")]


def test_check_reports_each_problem_as_file_and_line(world):
    path = world.meeting(schedule={"timezone": "Mars/Olympus_Mons"})
    line = 1 + path.read_text().splitlines().index('timezone = "Mars/Olympus_Mons"')
    result = world.run("check", process=True)
    assert result.returncode == 2
    message = UNKNOWN_ZONE.format(key="schedule.timezone", value="Mars/Olympus_Mons", hint="")
    assert result.stdout.splitlines() == [f"{path}:{line}: {message}", CHECK_FAILED.format(count=1)]


def test_agenda_prints_the_current_agenda_as_markdown_and_as_json(world):
    own = world.topic("Budget", repo=REPO)
    topic = world.topic(THREAT)
    pull = world.github.add_issue(OTHER, "Add fuzzing", labels=[LABEL], pull_request=True)

    markdown = world.run("agenda", "--meeting", MEETING_ID)
    as_json = world.run("agenda", "--meeting", MEETING_ID, "--format", "json")

    assert markdown.returncode == as_json.returncode == 0
    url = "https://github.com/{}/{}/{}"
    assert markdown.stdout.splitlines() == [
        HEADING.format(repo=REPO),
        "",
        ITEM.format(title="Budget", ref=REF.format(number=own), url=url.format(REPO, "issues", own)),
        "",
        HEADING.format(repo=OTHER),
        "",
        ITEM.format(title=escape.markdown_inline(THREAT), ref=REF.format(number=topic), url=url.format(OTHER, "issues", topic)),
        ITEM.format(title="Add fuzzing", ref=REF.format(number=pull), url=url.format(OTHER, "pull", pull)),
    ]
    document = json.loads(as_json.stdout)
    assert (document["label"], document["orgs"], document["warnings"]) == (LABEL, ["acme"], [])
    assert [(i["repo"], i["number"], i["title"], i["kind"], i["section"]) for i in document["items"]] == [
        (REPO, own, "Budget", "issue", None),
        (OTHER, topic, THREAT, "issue", None),  # raw in JSON
        (OTHER, pull, "Add fuzzing", "pull_request", None),
    ]
    assert world.writes() == []


def test_next_prints_the_occurrences_as_json(world):
    result = world.run("next", "--count", "4", "--format", "json")
    assert result.returncode == 0, result.stderr

    def entry(day: str, hour: int, offset: str) -> dict:
        return {
            "meeting": MEETING_ID,
            "start": f"{day}T16:00:00{offset}",
            "end": f"{day}T17:00:00{offset}",
            "start_utc": f"{day}T{hour}:00:00Z",
            "timezone": ZONE,
        }

    assert json.loads(result.stdout) == [
        entry("2024-03-11", 15, "+01:00"),
        entry("2024-03-18", 15, "+01:00"),
        entry("2024-03-25", 15, "+01:00"),
        entry("2024-04-01", 14, "+02:00"),  # summer time from 31 March
    ]


def test_a_meeting_that_starts_during_the_run_is_not_written_to(world):
    """The issue listing answers slowly and the meeting starts meanwhile (the real clock): nothing is sent."""
    world.topic("A topic")
    world.github.slow("GET", ISSUES, delay=2.5, times=1)
    start = (dt.datetime.now(dt.timezone.utc) + dt.timedelta(seconds=2)).replace(microsecond=0, tzinfo=None)
    write_meeting(world.config, schedule={"timezone": "UTC", "start": start, "rrule": "FREQ=WEEKLY"})
    result = world.bot("run", "--config", str(world.config), env=world._env(DEFAULT_TOKEN))
    assert result.returncode == 0, result.stdout + result.stderr
    assert runner.STARTED_MEANWHILE.format(date=start.date().isoformat()) in result.stdout
    assert world.github.writes() == []
