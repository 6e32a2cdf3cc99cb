"""The after-meeting planner, with no network and no fakes: SPEC section 8 as properties of `plan_after`."""

from __future__ import annotations

import dataclasses
import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from bot import after, markers
from bot.after import (
    CloseMeeting, CommitArchive, Ended, OpenArchive, RecordSteps, RemoveLabels, UpdateArchive, plan_after,
)
from bot.model import AfterConfig, ArchiveMode, ArchiveRecord, EventRecord, IssueRecord, NotesConfig, NotesProvider, NotesRecord, Occurrence, AgendaConfig
from bot.plan import CancelEvent
from tests.factories import MEETING_REPO, make_meeting

ZONE = ZoneInfo("America/Los_Angeles")
START = dt.datetime(2023, 9, 11, 8, 30, tzinfo=ZONE)
END = START + dt.timedelta(hours=1)
DUE = END + dt.timedelta(hours=24)
KEY = "security-collab-space/2023-09-11"
TAG = "meeting-bot-security-collab-space-2023-09-11"
NOTE_URL = "https://hackmd.io/@team/abc"
PR_URL = f"https://github.com/{MEETING_REPO}/pull/70"
NOTES_URL = f"https://github.com/{MEETING_REPO}/blob/HEAD/meetings/2023-09-11.md"
AGENDA = (
    f"{markers.AGENDA_START}\n* A [#5](https://github.com/{MEETING_REPO}/issues/5)\n"
    f"* B [#2](https://github.com/other/repo/pull/2)\n{markers.AGENDA_END}\n"
)
HACKMD = make_meeting(notes=NotesConfig(provider=NotesProvider.HACKMD))
OCC = Occurrence("security-collab-space", START, END, "America/Los_Angeles")


def issue(**fields) -> IssueRecord:
    values = dict(number=59, url=f"https://github.com/{MEETING_REPO}/issues/59", title="Meeting 2023-09-11",
                  body="intro\n" + AGENDA + markers.make_key(KEY) + "\n", state="open", author="meeting-bot")
    values.update(fields)
    return IssueRecord(**values)


def note(text: str = "# Notes\nhuman text\n") -> NotesRecord:
    return NotesRecord(NOTE_URL, text + markers.make_key(KEY) + "\n###### tags: `" + TAG + "`\n", "abc")


def ended(**fields) -> Ended:
    values = dict(occurrence=OCC, issue=issue(), title="Meeting 2023-09-11", notes_url=NOTES_URL,
                  note=note(), archive=None, archive_path="meetings/2023-09-11.md")
    values.update(fields)
    return Ended(**values)


def with_after(meeting=None, **fields):
    meeting = meeting or make_meeting()
    return dataclasses.replace(meeting, after=dataclasses.replace(meeting.after, **fields))


def test_nothing_before_the_end_nor_for_a_missing_or_untrusted_issue():
    assert plan_after(with_after(remove_label=True), ended(), END - dt.timedelta(seconds=1), TAG).actions == ()
    assert plan_after(make_meeting(), ended(issue=None), DUE, TAG).actions == ()
    assert plan_after(make_meeting(), ended(issue=issue(trusted=False)), DUE, TAG).actions == ()


def test_labels_come_off_at_the_end_and_the_close_waits_for_after_hours():
    meeting = with_after(dataclasses.replace(make_meeting(), agenda=AgendaConfig("security-agenda", ("openjs-foundation",), ("other/repo",))),
                         remove_label=True)
    actions = plan_after(meeting, ended(), END, TAG).actions
    assert actions == (RemoveLabels(MEETING_REPO, 59, "security-agenda", ((MEETING_REPO, 5), ("other/repo", 2))),)


def test_labels_come_off_only_inside_the_agendas_scope():
    (action,) = plan_after(with_after(remove_label=True), ended(), END, TAG).actions  # orgs: openjs-foundation
    assert action.items == ((MEETING_REPO, 5),)


def test_a_refused_repository_is_not_tried_again_and_a_done_step_not_repeated():
    body = markers.with_status(issue().body, frozenset({"refused=Other/Repo"}))
    meeting = with_after(dataclasses.replace(make_meeting(), agenda=AgendaConfig("security-agenda", repos=(MEETING_REPO, "other/repo"))),
                         remove_label=True)
    (action,) = plan_after(meeting, ended(issue=issue(body=body)), END, TAG).actions
    assert action.items == ((MEETING_REPO, 5),)
    done = markers.with_status(issue().body, frozenset({"labels"}))
    assert plan_after(with_after(remove_label=True), ended(issue=issue(body=done)), END, TAG).actions == ()


def test_repo_notes_close_with_the_notes_link():
    (close,) = plan_after(make_meeting(), ended(note=None), DUE, TAG).actions
    assert close == CloseMeeting(MEETING_REPO, 59, after.MINUTES_COMMENT.format(date="2023-09-11", url=NOTES_URL)
                                 + after.COMMENT_MARKER.format(kind="minutes"), "minutes", "completed")


def test_without_notes_the_comment_has_no_link():
    (close,) = plan_after(make_meeting(), ended(note=None, notes_url=None), DUE, TAG).actions
    assert close.comment.startswith(after.NO_MINUTES_COMMENT.format(date="2023-09-11"))


def test_hackmd_archive_opens_a_pull_request_first_with_the_bots_lines_stripped():
    (action,) = plan_after(HACKMD, ended(), DUE, TAG).actions
    assert isinstance(action, OpenArchive)
    assert action.branch == "meeting-bot/" + KEY and action.path == "meetings/2023-09-11.md"
    assert action.content == "# Notes\nhuman text\n"
    assert markers.find_key(action.body) is None and NOTE_URL in action.body and KEY in action.body


def test_an_open_pull_request_up_to_date_lets_the_close_link_it():
    pr = ArchiveRecord(PR_URL, "open", "# Notes\nhuman text\n", "sha1", 70)
    (close,) = plan_after(HACKMD, ended(archive=pr), DUE, TAG).actions
    assert isinstance(close, CloseMeeting) and PR_URL in close.comment


def test_an_open_pull_request_follows_the_note():
    pr = ArchiveRecord(PR_URL, "open", "old text\n", "sha1", 70)
    (update,) = plan_after(HACKMD, ended(archive=pr, issue=issue(state="closed")), DUE, TAG).actions
    assert update == UpdateArchive(MEETING_REPO, "meeting-bot/" + KEY, "meetings/2023-09-11.md",
                                   "# Notes\nhuman text\n", after.ARCHIVE_UPDATE_MESSAGE.format(title="Meeting 2023-09-11"), "sha1")


@pytest.mark.parametrize("state", ["merged", "closed"])
def test_a_pull_request_a_human_merged_or_closed_is_never_touched_again(state):
    pr = ArchiveRecord(PR_URL, state, "old text\n", "sha1", 70)
    (record,) = plan_after(HACKMD, ended(archive=pr, issue=issue(state="closed")), DUE, TAG).actions
    assert record == RecordSteps(MEETING_REPO, 59, frozenset({"archived"}))
    done = issue(state="closed", body=markers.with_status(issue().body, frozenset({"archived"})))
    assert plan_after(HACKMD, ended(archive=pr, issue=done), DUE, TAG).actions == ()


def test_commit_variant_commits_once_and_never_over_a_file():
    meeting = with_after(HACKMD, archive=ArchiveMode.COMMIT)
    (commit,) = plan_after(meeting, ended(), DUE, TAG).actions
    assert commit == CommitArchive(MEETING_REPO, 59, "meetings/2023-09-11.md", "# Notes\nhuman text\n",
                                   after.ARCHIVE_MESSAGE.format(title="Meeting 2023-09-11"))
    there = ArchiveRecord(NOTES_URL, "committed", "someone else's\n", "sha", None)
    plan = plan_after(meeting, ended(archive=there), DUE, TAG)
    assert plan.actions == (RecordSteps(MEETING_REPO, 59, frozenset({"archived"})),)
    assert plan.notices == (after.ARCHIVE_IN_THE_WAY.format(path="meetings/2023-09-11.md", date="2023-09-11"),)


def test_a_deleted_note_is_noticed_and_the_close_goes_on():
    plan = plan_after(HACKMD, ended(note=None), DUE, TAG)
    assert plan.notices == (after.NOTE_GONE.format(date="2023-09-11"),)
    assert isinstance(plan.actions[0], CloseMeeting)


def test_a_human_reopen_is_never_overridden():
    plan = plan_after(make_meeting(), ended(issue=issue(state_reason="reopened")), DUE, TAG)
    assert plan.actions == () and plan.notices == (after.REOPENED_LEFT.format(number=59),)


def test_everything_done_plans_nothing_and_needs_no_read():
    done = issue(state="closed", state_reason="completed",
                 body=markers.with_status(issue().body, frozenset({"archived", "labels"})))
    meeting = with_after(HACKMD, remove_label=True)
    assert plan_after(meeting, ended(issue=done, note=None), DUE, TAG) == after.Plan()
    assert after.needs(meeting, done, OCC, DUE) == set()
    assert after.needs(meeting, issue(), OCC, DUE) == {"archive", "note"}
    assert after.needs(meeting, issue(), OCC, END) == set()


def test_a_cancelled_occurrence_has_no_after_steps():
    cancelled = issue(state="closed", state_reason="not_planned")
    assert plan_after(with_after(remove_label=True), ended(issue=cancelled), DUE, TAG).actions == ()


def test_lookback_is_bounded():
    meeting = make_meeting()
    assert not after.in_lookback(meeting, OCC, END - dt.timedelta(seconds=1))
    assert after.in_lookback(meeting, OCC, END)
    assert after.in_lookback(meeting, OCC, DUE + after.LOOKBACK_MARGIN - dt.timedelta(seconds=1))
    assert not after.in_lookback(meeting, OCC, DUE + after.LOOKBACK_MARGIN)


def test_an_unscheduled_future_occurrence_is_cancelled_but_not_an_extra_or_reopened_one():
    meeting = make_meeting()
    later = "security-collab-space/2023-09-25"
    found = {
        later: (issue(number=61),),
        "security-collab-space/2023-10-09": (issue(number=62, body="x\n" + markers.EXTRA + "\n"),),
        "security-collab-space/2023-10-23": (issue(number=63, state_reason="reopened"),),
        "security-collab-space/2023-11-06": (issue(number=64),),
        "security-collab-space/2023-09-11": (issue(number=59),),
        "other-meeting/2023-09-25": (issue(number=65),),
    }
    actions = after.plan_cancelled(meeting, found, frozenset({"security-collab-space/2023-11-06"}), dt.date(2023, 9, 11))
    comment = after.cancelled_comment(dt.date(2023, 9, 25), after.WHY_OFF_SCHEDULE)
    assert actions == (CloseMeeting(MEETING_REPO, 61, comment, "cancelled", "not_planned"),)


def test_skip_if_empty_cancels_an_emptied_occurrence_unless_forced():
    meeting = dataclasses.replace(make_meeting(), agenda=AgendaConfig(label="l", skip_if_empty=True))
    event = EventRecord("ev1", "s", "d", "l", "2023-09-11T08:30:00", "2023-09-11T09:30:00", "America/Los_Angeles")
    actions = after.plan_cancel_empty(meeting, OCC, issue(), (event,), empty=True, force=False)
    assert [type(a) for a in actions] == [CloseMeeting, CancelEvent]
    assert actions[0].reason == "not_planned" and after.WHY_EMPTY in actions[0].comment
    assert after.plan_cancel_empty(meeting, OCC, issue(), (event,), empty=True, force=True) == ()
    assert after.plan_cancel_empty(meeting, OCC, issue(), (event,), empty=False, force=False) == ()
    forced = issue(body="x\n" + markers.EXTRA + "\n")
    assert after.plan_cancel_empty(meeting, OCC, forced, (event,), empty=True, force=False) == ()


def test_without_orgs_or_repos_only_the_meeting_repository_is_in_scope():
    meeting = with_after(dataclasses.replace(make_meeting(), agenda=AgendaConfig("security-agenda")), remove_label=True)
    (action,) = plan_after(meeting, ended(), END, TAG).actions
    assert action.items == ((MEETING_REPO, 5),)


def test_hackmd_without_archive_links_the_note():
    meeting = with_after(HACKMD, archive=ArchiveMode.NONE)
    (close,) = plan_after(meeting, ended(), DUE, TAG).actions
    assert NOTE_URL in close.comment


def test_the_commit_variant_finding_its_own_file_records_it_silently():
    meeting = with_after(HACKMD, archive=ArchiveMode.COMMIT)
    there = ArchiveRecord(NOTES_URL, "committed", "# Notes\nhuman text\n", "sha", None)  # a run died after committing
    plan = plan_after(meeting, ended(archive=there), DUE, TAG)
    assert plan.actions == (RecordSteps(MEETING_REPO, 59, frozenset({"archived"})),) and plan.notices == ()


def test_keys_that_are_not_this_meetings_dates_are_never_cancelled():
    found = {"security-collab-space/2023-13-45": (issue(number=70),), "security-collab-space-2/2023-09-25": (issue(number=71),)}
    assert after.plan_cancelled(make_meeting(), found, frozenset(), dt.date(2023, 9, 11)) == ()
