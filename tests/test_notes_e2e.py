"""Notes kept in the meeting repository (`provider = "repo"`), end to end against the GitHub double."""

from __future__ import annotations


from bot import markers, plan
from bot.adapters.repo_notes import CREATE_MESSAGE, web_url
from bot.apply import CREATED_NOTES
from tests.waiting import wait_until
from tests.e2e import (
    DATE,
    KEY,
    MEETING_ID,
    NAME,
    OTHER,
    REPO,
    STARTED,
    notes_path,
    world,  # noqa: F401 (the fixture)
)

TITLE = f"{NAME} {DATE}"
PRESENT = "## Present\n"
ATTENDEES = "## Present\n\n* Alice (chair)\n* Bob\n"


def notes_url(world, path: str) -> str:
    return f"{web_url(world.github.url)}/{REPO}/blob/HEAD/{path}"


def human_edit(world, path: str = notes_path()) -> str:
    """A human lists who was present and commits the file; the text they committed."""
    edited = world.github.file(REPO, path).replace(PRESENT, ATTENDEES)
    world.github.put_file(REPO, path, edited, message="Who was there")
    return edited


def outside_agenda(text: str) -> tuple[str, str]:
    return text.split(markers.AGENDA_START)[0], text.split(markers.AGENDA_END)[1]


def test_one_notes_file_per_occurrence_at_the_path_template_linked_both_ways(world):
    world.meeting(notes={"path": "minutes/{{ date }}-wg.md"})
    topic = world.topic("Threat model review")
    for date in (DATE, "2024-03-18"):
        result = world.run("run", "--date", date)
        assert result.returncode == 0, result.stderr
        path = f"minutes/{date}-wg.md"
        assert CREATED_NOTES.format(url=notes_url(world, path)) in result.stdout
        issue = world.issue(f"{MEETING_ID}/{date}")
        notes = world.github.file(REPO, path)
        assert markers.find_key(notes) == f"{MEETING_ID}/{date}"
        assert f"[#{topic}](https://github.com/{OTHER}/issues/{topic})" in markers.find_region(notes, markers.AGENDA)
        assert issue["html_url"] in notes
        assert notes_url(world, path) in issue["body"]
    assert [(c["path"], c["message"]) for c in world.github.commits(REPO)] == [
        ("minutes/2024-03-11-wg.md", CREATE_MESSAGE.format(title=TITLE)),
        ("minutes/2024-03-18-wg.md", CREATE_MESSAGE.format(title=f"{NAME} 2024-03-18")),
    ]


def test_a_run_with_nothing_new_makes_no_commit(world):
    world.topic("Threat model review")
    world.run("run")
    commits = world.github.commits(REPO)
    world.github.reset_log()
    assert world.run("run").returncode == 0
    assert world.github.commits(REPO) == commits
    assert world.writes() == []


def test_a_human_edit_to_present_survives_an_agenda_refresh(world):
    world.run("run")
    edited = human_edit(world)
    topic = world.topic("Late topic")

    result = world.run("run")

    assert result.returncode == 0, result.stderr
    notes = world.notes()
    assert outside_agenda(notes) == outside_agenda(edited)
    assert ATTENDEES in notes and f"[#{topic}]" in markers.find_region(notes, markers.AGENDA)
    assert world.github.commits(REPO)[-1]["message"] == plan.NOTES_UPDATE_MESSAGE.format(title=TITLE)
    assert len(world.github.commits(REPO)) == 3  # the bot's, the human's, the refresh


def test_notes_are_not_changed_once_the_meeting_has_started(world):
    world.run("run")
    notes, commits = world.notes(), world.github.commits(REPO)
    world.topic("Late topic")
    world.github.reset_log()
    assert world.run("run", "--date", DATE, "--force", now=STARTED).returncode == 0
    assert world.notes() == notes and world.github.commits(REPO) == commits
    assert world.writes() == []


def test_a_change_between_read_and_write_is_read_again_not_overwritten(world):
    world.run("run")
    topic = world.topic("Late topic")
    contents = rf"^/repos/{REPO}/contents/{notes_path()}$"
    # The bot reads the notes, and reads them again just before writing; a human commits after that.
    world.github.slow("GET", contents, 1.0, times=2)
    world.github.reset_log()
    running = world.popen("run")
    wait_until(lambda: world.github.count("GET", contents) >= 2, what="the second read of the notes")
    edited = human_edit(world)
    out, err = running.communicate(timeout=60)

    assert running.returncode == 0, err
    assert [e.status for e in world.github.matching("PUT", contents)] == [409, 200]
    notes = world.notes()
    assert outside_agenda(notes) == outside_agenda(edited)
    assert f"[#{topic}]" in markers.find_region(notes, markers.AGENDA)


def test_a_file_the_bot_did_not_write_is_left_alone_with_a_notice(world):
    theirs = "# Our own notes\n\nWritten by hand.\n"
    world.github.put_file(REPO, notes_path(), theirs)
    commits = world.github.commits(REPO)
    for _ in range(2):
        result = world.run("run")
        assert result.returncode == 0, result.stderr
        assert plan.NOTES_NOT_OURS.format(ref=notes_path()) in result.stderr  # a warning, once
        assert plan.NOTES_NOT_OURS.format(ref=notes_path()) not in result.stdout
    assert world.notes() == theirs and world.github.commits(REPO) == commits
    assert markers.find_key(world.issue()["body"]) == KEY


def test_provider_none_leaves_notes_out(world):
    world.meeting(notes={"provider": "none"})
    result = world.run("run")
    assert result.returncode == 0, result.stderr
    assert world.github.commits(REPO) == []
    body = world.issue()["body"]
    assert "/blob/" not in body and "Notes" not in body


def test_a_changed_notes_path_keeps_the_notes_where_the_issue_says_they_are(world):
    world.topic("A topic")
    assert world.run("run").returncode == 0
    assert markers.find_notes_ref(world.issue()["body"]) == notes_path()
    world.meeting(notes={"path": "meetings/{{ date }}-{{ title }}.md"})  # the path template changes later
    world.topic("Another topic")
    assert world.run("run").returncode == 0
    files = [c["path"] for c in world.github.commits(REPO)]
    assert set(files) == {notes_path()}  # refreshed in place, no second notes file
    assert "Another topic" in world.notes()


def test_a_notes_location_edited_into_the_issue_outside_the_notes_folder_is_ignored(world):
    world.topic("A topic")
    assert world.run("run").returncode == 0
    issue = world.issue()
    forged = issue["body"].replace(markers.make_notes_ref(notes_path()), markers.make_notes_ref(".github/workflows/pwn.yml"))
    world.github.set_issue(REPO, issue["number"], body=forged)
    world.topic("Another topic")
    result = world.run("run")
    assert result.returncode == 0, result.stderr
    assert plan.NOTES_REF_IGNORED.format(number=issue["number"]) in result.stderr
    assert {c["path"] for c in world.github.commits(REPO)} == {notes_path()}
    assert world.github.file(REPO, ".github/workflows/pwn.yml") is None
