"""The only code that writes: carries out planned actions through the ports (a dry run: bot.preview)."""

from __future__ import annotations

import dataclasses
from typing import Callable, TypeVar

from bot.errors import Conflict, Forbidden
from bot.model import EventDraft, EventRecord, IssueRecord, Meeting, NotesProvider
from bot.plan import (
    Action,
    CancelEvent,
    CloseIssue,
    CreateEvent,
    CreateIssue,
    CreateNotes,
    Existing,
    UpdateEvent,
    UpdateIssue,
    UpdateNotes,
)
from bot.ports import Access, Calendar, IssueStore, NotesStore

NO_PUSH = (
    "{repo}: these credentials cannot write to the repository, so the notes file cannot be committed; "
    "give the token Contents: write (or use [notes] provider = \"none\")"
)
NO_TRIAGE = "{repo}: these credentials cannot label issues, so GitHub would drop the labels {labels}; give them Issues: write"
NOTES_GONE = "{ref}: the notes were deleted during the run; the next round makes them again"
CREATED_ISSUE = "created issue #{number} {url}"
UPDATED_ISSUE = "updated the agenda of #{number}"
CLOSED_ISSUE = "closed #{number}"
CREATED_NOTES = "created notes {url}"
UPDATED_NOTES = "updated the agenda in notes {url}"
CREATED_EVENT = "created calendar event {id}"
UPDATED_EVENT = "updated calendar event {id}"
CANCELLED_EVENT = "cancelled calendar event {id} ({why})"



def _event_record(draft: EventDraft, event_id: str, url: str = "") -> EventRecord:
    return EventRecord(
        id=event_id,
        summary=draft.summary,
        description=draft.description,
        location=draft.location,
        start=draft.start,
        end=draft.end,
        timezone=draft.timezone,
        url=url,
        key=draft.key,
    )


class Applier:
    """Carries out actions for real and reports one line per write."""

    writes = True

    def __init__(
        self,
        issues: IssueStore,
        notes: NotesStore | None,
        calendar: Calendar | None,
        report: Callable[..., None],
    ) -> None:
        self.issues, self.notes, self.calendar, self.report = issues, notes, calendar, report
        self._checked = False

    def apply(self, meeting: Meeting, action: Action, existing: Existing) -> Existing:
        if not self._checked:
            preflight(meeting, self.issues.access(meeting.repo))
            self._checked = True
        match action:
            case CreateIssue() | UpdateIssue() | CloseIssue():
                return self._issue(action, existing)
            case CreateNotes() | UpdateNotes():
                return self._notes(meeting, action, existing)
            case CreateEvent() | UpdateEvent() | CancelEvent():
                return self._event(action, existing)

    def _issue(self, action: CreateIssue | UpdateIssue | CloseIssue, existing: Existing) -> Existing:
        match action:
            case CreateIssue(repo, title, body, labels):
                record = self.issues.create(repo, title, body, labels)
                self.report(CREATED_ISSUE.format(number=record.number, url=record.url), "create_issue", record.url)
                return dataclasses.replace(existing, issues=existing.issues + (record,))
            case UpdateIssue(repo, number, body):
                # Read again just before writing: an edit made since the plan's read goes back to the planner.
                fresh = self.issues.get(repo, number)
                if fresh.state != "open" or fresh.body != _issue_body(existing, number):
                    return _replace_issue(existing, number, fresh)
                record = self.issues.update_body(repo, number, body)
                self.report(UPDATED_ISSUE.format(number=number), "update_issue", record.url)
                return _replace_issue(existing, number, record)
            case CloseIssue(repo, number, comment):
                self.issues.close(repo, number, comment)
                self.report(CLOSED_ISSUE.format(number=number), "close_issue")
                return _close_issue(existing, number)

    def _notes(self, meeting: Meeting, action: CreateNotes | UpdateNotes, existing: Existing) -> Existing:
        notes = _required(self.notes)
        match action:
            case CreateNotes(ref, key, title, content):
                record = notes.create(meeting, ref, key, title, content)
                self.report(CREATED_NOTES.format(url=record.url), "create_notes", record.url)
            case UpdateNotes(planned, content, message):
                # Read again just before writing (notes are edited live): a change goes back to the planner.
                fresh = notes.reload(meeting, planned)
                if fresh is None:
                    raise Conflict(NOTES_GONE.format(ref=planned.ref))  # the runner reads everything again
                if fresh.content != planned.content or fresh.foreign != planned.foreign:
                    return dataclasses.replace(existing, notes=fresh)
                record = notes.update(meeting, fresh, content, message)
                self.report(UPDATED_NOTES.format(url=record.url), "update_notes", record.url)
        return dataclasses.replace(existing, notes=record)

    def _event(self, action: CreateEvent | UpdateEvent | CancelEvent, existing: Existing) -> Existing:
        calendar = _required(self.calendar)
        match action:
            case CreateEvent(calendar_id, draft):
                record = calendar.create(calendar_id, draft)
                self.report(CREATED_EVENT.format(id=record.id), "create_event", record.url or None)
                return dataclasses.replace(existing, events=existing.events + (record,))
            case UpdateEvent(calendar_id, event_id, draft):
                record = calendar.update(calendar_id, event_id, draft)
                self.report(UPDATED_EVENT.format(id=event_id), "update_event", record.url or None)
                return _replace_event(existing, record)
            case CancelEvent(calendar_id, event_id, why):
                calendar.cancel(calendar_id, event_id)
                self.report(CANCELLED_EVENT.format(id=event_id, why=why), "cancel_event")
                return _drop_event(existing, event_id)


_Port = TypeVar("_Port")


def _required(port: _Port | None) -> _Port:
    """The port an action needs; the planner plans no notes or event write for a meeting without one."""
    if port is None:
        raise AssertionError("an action was planned for a role this meeting does not have")
    return port


def _issue_body(existing: Existing, number: int) -> str | None:
    """The body the plan was made from."""
    return next((issue.body for issue in existing.issues if issue.number == number), None)


def preflight(meeting: Meeting, access: Access | None) -> None:
    """Before the first write: refuse what GitHub would refuse or silently drop, with the fix."""
    if access is None:
        return
    if meeting.notes.provider is NotesProvider.REPO and not access.push:
        raise Forbidden(NO_PUSH.format(repo=meeting.repo))
    if meeting.issue.labels and not access.triage:
        raise Forbidden(NO_TRIAGE.format(repo=meeting.repo, labels=", ".join(meeting.issue.labels)))


def _replace_issue(existing: Existing, number: int, record: IssueRecord | None, body: str = "") -> Existing:
    """`record` in place of issue `number`; without one, that issue with `body` (a dry run's imagination)."""

    def swap(issue: IssueRecord) -> IssueRecord:
        if issue.number != number:
            return issue
        return record if record is not None else dataclasses.replace(issue, body=body)

    return dataclasses.replace(existing, issues=tuple(swap(issue) for issue in existing.issues))


def _close_issue(existing: Existing, number: int) -> Existing:
    def close(issue: IssueRecord) -> IssueRecord:
        return dataclasses.replace(issue, state="closed") if issue.number == number else issue

    previous = close(existing.previous) if existing.previous is not None else None
    return dataclasses.replace(existing, issues=tuple(close(issue) for issue in existing.issues), previous=previous)


def _replace_event(existing: Existing, record: EventRecord) -> Existing:
    return dataclasses.replace(existing, events=tuple(record if e.id == record.id else e for e in existing.events))


def _drop_event(existing: Existing, event_id: str) -> Existing:
    return dataclasses.replace(existing, events=tuple(e for e in existing.events if e.id != event_id))
