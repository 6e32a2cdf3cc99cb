"""After the meeting: the planner of its steps (labels, archive, close) and of cancellations, and their actions."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Mapping

from bot import markers, minutes
from bot.model import (
    ArchiveMode, ArchiveRecord, EventRecord, IssueRecord, Meeting, NotesProvider, NotesRecord, Occurrence,
)
from bot.plan import CancelEvent, survivor

LOOKBACK_MARGIN = dt.timedelta(days=8)  # how long past its moment a step is still taken (a weekly cron)
ARCHIVED = "archived"
ANNOUNCED = "announced"  # the minutes were announced to every target
LABELS = "labels"
REFUSED = "refused={repo}"
REOPENED = "reopened"
NOT_PLANNED = "not_planned"
COMPLETED = "completed"
MINUTES_KIND = "minutes"
CANCELLED_KIND = "cancelled"
COMMENT_MARKER = "<!-- meeting-bot:comment={kind} -->"
ARCHIVE_BRANCH = "meeting-bot/{key}"

MINUTES_COMMENT = "The {date} meeting is over. Minutes: {url}\n\n(closed by meeting-bot)\n"
NO_MINUTES_COMMENT = "The {date} meeting is over.\n\n(closed by meeting-bot)\n"
CANCELLED_COMMENT = "The {date} meeting is cancelled: {why}.\n\n(closed by meeting-bot)\n"
WHY_OFF_SCHEDULE = "it is no longer on the schedule"
WHY_EMPTY = "the agenda is empty and skip_if_empty is set"
ARCHIVE_MESSAGE = "Archive the notes of {title}"
ARCHIVE_UPDATE_MESSAGE = "Update the archived notes of {title}"
ARCHIVE_TITLE = "Minutes: {title}"
ARCHIVE_BODY = (
    "The notes of {title}, as they are in HackMD: {url}\n\n"
    "meeting-bot updates this pull request while it is open and the note changes; merge it to keep "
    "the minutes, or close it to leave them out. (meeting-bot, {key})\n"
)
NOTE_GONE = "{date}: the HackMD note is gone, so there is nothing to archive"
ARCHIVE_IN_THE_WAY = "{path}: a file is already there, so the notes of {date} are not archived over it"
REOPENED_LEFT = "#{number} was reopened by hand: left open"


@dataclass(frozen=True)
class OpenArchive:
    """A branch from the default branch, the archived file on it, and a pull request."""

    repo: str
    branch: str
    path: str
    content: str
    message: str
    title: str
    body: str


@dataclass(frozen=True)
class UpdateArchive:
    repo: str
    branch: str
    path: str
    content: str
    message: str
    version: str | None  # the file's blob sha on the branch (None: not there yet)


@dataclass(frozen=True)
class CommitArchive:
    """The archived file committed to the default branch; then the issue records `archived`."""

    repo: str
    number: int
    path: str
    content: str
    message: str


@dataclass(frozen=True)
class RecordSteps:
    """Add `steps` to the issue's status line."""

    repo: str
    number: int
    steps: frozenset[str]


@dataclass(frozen=True)
class CloseMeeting:
    """One comment carrying the kind's marker (never a second by the bot's identity), then close."""

    repo: str
    number: int
    comment: str
    kind: str
    reason: str


@dataclass(frozen=True)
class RemoveLabels:
    """Take `label` off each item; a repository that refuses is recorded, as is the step."""

    repo: str
    number: int
    label: str
    items: tuple[tuple[str, int], ...]


Step = RemoveLabels | OpenArchive | UpdateArchive | CommitArchive | RecordSteps | CloseMeeting
Cancel = CloseMeeting | CancelEvent


@dataclass(frozen=True)
class Plan:
    """The next steps of one ended occurrence, and what to tell the user."""

    actions: tuple[Step, ...] = ()
    notices: tuple[str, ...] = ()


@dataclass(frozen=True)
class Ended:
    """What exists of one ended occurrence, as read for its after-meeting steps."""

    occurrence: Occurrence
    issue: IssueRecord | None
    title: str = ""
    notes_url: str | None = None  # the notes file's URL, or the HackMD note's
    note: NotesRecord | None = None  # the final HackMD note, read when the archive is due
    archive: ArchiveRecord | None = None
    archive_path: str | None = None


def moment(meeting: Meeting, occurrence: Occurrence) -> dt.datetime:
    """When the archive and the close are due: `after_hours` after the end."""
    return occurrence.end + dt.timedelta(hours=meeting.after.after_hours)


def in_lookback(meeting: Meeting, occurrence: Occurrence, now: dt.datetime) -> bool:
    """Whether a run at `now` still takes an occurrence's steps: ended, and its moment not long past."""
    return occurrence.end <= now < moment(meeting, occurrence) + LOOKBACK_MARGIN


def wants_archive(meeting: Meeting) -> bool:
    return _hackmd(meeting) and meeting.after.archive is not ArchiveMode.NONE


def needs(meeting: Meeting, issue: IssueRecord | None, occurrence: Occurrence, now: dt.datetime) -> set[str]:
    """What must be read for the steps still to take: "note" and "archive" (the rest is in the issue)."""
    if issue is None or not issue.trusted or now < moment(meeting, occurrence) or issue.state_reason == NOT_PLANNED:
        return set()
    status = markers.find_status(issue.body)
    wanted = set()
    if wants_archive(meeting) and (ARCHIVED not in status or _closable(meeting, issue)):
        wanted.add("archive")  # the archive, or the link the closing comment gives to it
    if wants_archive(meeting) and ARCHIVED not in status or _closable(meeting, issue) and _hackmd(meeting):
        wanted.add("note")
    return wanted


def _hackmd(meeting: Meeting) -> bool:
    return meeting.notes.provider is NotesProvider.HACKMD


def branch(occurrence: Occurrence) -> str:
    return ARCHIVE_BRANCH.format(key=occurrence.key)


def plan_after(meeting: Meeting, ended: Ended, now: dt.datetime, tag: str = "") -> Plan:
    """The after-meeting writes still to make for one ended occurrence; nothing before its end."""
    issue, occurrence = ended.issue, ended.occurrence
    if issue is None or not issue.trusted or now < occurrence.end or issue.state_reason == NOT_PLANNED:
        return Plan()
    status = markers.find_status(issue.body)
    actions: list[Step] = []
    notices: list[str] = []
    if meeting.after.remove_label and LABELS not in status:
        refused = {step.split("=", 1)[1].casefold() for step in status if step.startswith("refused=")}
        items = tuple(i for i in minutes.final_items(issue.body)
                      if i[0].casefold() not in refused and _in_scope(meeting, i[0]))
        actions.append(RemoveLabels(meeting.repo, issue.number, meeting.agenda.label, items))
    if now < moment(meeting, occurrence):
        return Plan(tuple(actions))
    if wants_archive(meeting) and ARCHIVED not in status:
        archive = _plan_archive(meeting, ended, tag, notices)
        if archive:
            return Plan(tuple(actions + archive), tuple(notices))
    if issue.state == "open" and issue.state_reason == REOPENED:
        notices.append(REOPENED_LEFT.format(number=issue.number))
    elif _closable(meeting, issue):
        comment = _minutes_comment(occurrence, minutes_url(ended))
        actions.append(CloseMeeting(meeting.repo, issue.number, comment, MINUTES_KIND, COMPLETED))
    return Plan(tuple(actions), tuple(notices))


def _in_scope(meeting: Meeting, repo: str) -> bool:
    """Whether the agenda searches `repo`: the issue's body is editable, so a line naming a repository
    outside the agenda's organisations and repositories never has a label taken off."""
    config = meeting.agenda
    if not config.orgs and not config.repos:
        return repo.casefold() == meeting.repo.casefold()
    owner = repo.split("/", 1)[0].casefold()
    return owner in {o.casefold() for o in config.orgs} or repo.casefold() in {r.casefold() for r in config.repos}


def _closable(meeting: Meeting, issue: IssueRecord) -> bool:
    return meeting.after.close_issue and issue.state == "open" and issue.state_reason != REOPENED


def minutes_url(ended: Ended) -> str | None:
    """The minutes' link: the archive, else the HackMD note, else the notes file."""
    if ended.archive is not None and ended.archive.state in ("open", "merged", "committed"):
        return ended.archive.url
    if ended.note is not None:
        return ended.note.url
    return ended.notes_url


def _minutes_comment(occurrence: Occurrence, url: str | None) -> str:
    date = occurrence.date.isoformat()
    text = MINUTES_COMMENT.format(date=date, url=url) if url else NO_MINUTES_COMMENT.format(date=date)
    return text + COMMENT_MARKER.format(kind=MINUTES_KIND)


def _plan_archive(meeting: Meeting, ended: Ended, tag: str, notices: list[str]) -> list[Step]:
    """The archive's next write; empty once it is settled (then the close may go ahead)."""
    issue, date = ended.issue, ended.occurrence.date.isoformat()
    assert issue is not None
    archive, path = ended.archive, ended.archive_path or ""
    done: list[Step] = [RecordSteps(meeting.repo, issue.number, frozenset({ARCHIVED}))]
    if archive is not None and archive.state in ("merged", "closed"):
        return done  # a human merged or closed the pull request: never touched again
    if ended.note is None:
        notices.append(NOTE_GONE.format(date=date))
        return []
    content = minutes.archived_text(ended.note.content, tag)
    if meeting.after.archive is ArchiveMode.COMMIT:
        if archive is not None and archive.content is not None:  # a file is there: never overwritten
            if archive.content != content:
                notices.append(ARCHIVE_IN_THE_WAY.format(path=path, date=date))
            return done
        return [CommitArchive(meeting.repo, issue.number, path, content, ARCHIVE_MESSAGE.format(title=ended.title))]
    name = branch(ended.occurrence)
    if archive is None:
        body = ARCHIVE_BODY.format(title=ended.title, url=ended.note.url, key=ended.occurrence.key)
        title = ARCHIVE_TITLE.format(title=ended.title)
        return [OpenArchive(meeting.repo, name, path, content, ARCHIVE_MESSAGE.format(title=ended.title), title, body)]
    if archive.content != content:
        message = ARCHIVE_UPDATE_MESSAGE.format(title=ended.title)
        return [UpdateArchive(meeting.repo, name, path, content, message, archive.version)]
    return []


def plan_cancelled(
    meeting: Meeting, issues: Mapping[str, tuple[IssueRecord, ...]], scheduled: frozenset[str], today: dt.date
) -> tuple[Cancel, ...]:
    """Close the bot's open issues of occurrences after `today` that are no longer on the schedule.

    An issue made for a chair's extra occurrence (it carries the extra marker) is never cancelled,
    nor one a human reopened. Their events are cancelled by the sweep of dropped occurrences.
    """
    actions: list[Cancel] = []
    for key, found in sorted(issues.items()):
        issue = survivor(found)
        day = _key_date(key, meeting.id)
        if issue is None or day is None or day <= today or key in scheduled or not _cancellable(issue):
            continue
        comment = cancelled_comment(day, WHY_OFF_SCHEDULE)
        actions.append(CloseMeeting(meeting.repo, issue.number, comment, CANCELLED_KIND, NOT_PLANNED))
    return tuple(actions)


def plan_cancel_empty(meeting: Meeting, occurrence: Occurrence, issue: IssueRecord | None,
                      events: tuple[EventRecord, ...], empty: bool, force: bool) -> tuple[Cancel, ...]:
    """With skip_if_empty, an agenda that emptied before the start cancels the occurrence's issue and event."""
    if not (empty and meeting.agenda.skip_if_empty) or force or occurrence.extra or issue is None:
        return ()
    if not _cancellable(issue):
        return ()
    comment = cancelled_comment(occurrence.date, WHY_EMPTY)
    actions: list[Cancel] = [CloseMeeting(meeting.repo, issue.number, comment, CANCELLED_KIND, NOT_PLANNED)]
    why = WHY_EMPTY
    actions += [CancelEvent(meeting.calendar.calendar_id or "", e.id, why) for e in events if e.status != "cancelled"]
    return tuple(actions)


def _cancellable(issue: IssueRecord) -> bool:
    return issue.trusted and issue.state == "open" and issue.state_reason != REOPENED and not markers.is_extra(issue.body)


def cancelled_comment(day: dt.date, why: str) -> str:
    return CANCELLED_COMMENT.format(date=day.isoformat(), why=why) + COMMENT_MARKER.format(kind=CANCELLED_KIND)


def _key_date(key: str, meeting_id: str) -> dt.date | None:
    prefix, _, text = key.rpartition("/")
    if prefix != meeting_id:
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        return None
