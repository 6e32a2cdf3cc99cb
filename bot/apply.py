"""The only code that writes: carries out planned actions through the ports (a dry run: bot.preview)."""

from __future__ import annotations

import dataclasses
from typing import Callable

from bot.model import EventRecord, IssueRecord, Meeting, NotesProvider
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
    refresh,
)
from bot.ports import Access, Calendar, Conflict, Forbidden, IssueStore, NotesStore

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

def _event_record(draft, event_id: str, url: str = "") -> EventRecord:
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
        method = getattr(self, "_" + type(action).__name__)
        return method(meeting, action, existing)

    def _CreateIssue(self, meeting: Meeting, a: CreateIssue, existing: Existing) -> Existing:
        record = self.issues.create(a.repo, a.title, a.body, a.labels)
        self.report(CREATED_ISSUE.format(number=record.number, url=record.url), "create_issue", record.url)
        return dataclasses.replace(existing, issues=existing.issues + (record,))

    def _UpdateIssue(self, meeting: Meeting, a: UpdateIssue, existing: Existing) -> Existing:
        """Read the body again just before writing, so an edit made since the plan's read is kept."""
        fresh = self.issues.get(a.repo, a.number)
        body, missing = refresh(fresh.body, a.body)
        if missing or fresh.state != "open" or body == fresh.body:
            return _replace_issue(existing, a.number, fresh)  # the next round plans from what is there
        record = self.issues.update_body(a.repo, a.number, body)
        self.report(UPDATED_ISSUE.format(number=a.number), "update_issue", record.url)
        return _replace_issue(existing, a.number, record)

    def _CloseIssue(self, meeting: Meeting, a: CloseIssue, existing: Existing) -> Existing:
        self.issues.close(a.repo, a.number, a.comment)
        self.report(CLOSED_ISSUE.format(number=a.number), "close_issue")
        return _close_issue(existing, a.number)

    def _CreateNotes(self, meeting: Meeting, a: CreateNotes, existing: Existing) -> Existing:
        record = self.notes.create(meeting, a.ref, a.key, a.title, a.content)
        self.report(CREATED_NOTES.format(url=record.url), "create_notes", record.url)
        return dataclasses.replace(existing, notes=record)

    def _UpdateNotes(self, meeting: Meeting, a: UpdateNotes, existing: Existing) -> Existing:
        """Read the document again just before writing: notes are edited live before a meeting."""
        fresh = self.notes.reload(meeting, a.record)
        if fresh is None:
            raise Conflict(NOTES_GONE.format(ref=a.record.ref))  # the runner reads everything again
        content, missing = refresh(fresh.content, a.content)
        if missing or content == fresh.content:
            return dataclasses.replace(existing, notes=fresh)
        record = self.notes.update(meeting, fresh, content, a.message)
        self.report(UPDATED_NOTES.format(url=record.url), "update_notes", record.url)
        return dataclasses.replace(existing, notes=record)

    def _CreateEvent(self, meeting: Meeting, a: CreateEvent, existing: Existing) -> Existing:
        record = self.calendar.create(a.calendar_id, a.draft)
        self.report(CREATED_EVENT.format(id=record.id), "create_event", record.url or None)
        return dataclasses.replace(existing, events=existing.events + (record,))

    def _UpdateEvent(self, meeting: Meeting, a: UpdateEvent, existing: Existing) -> Existing:
        record = self.calendar.update(a.calendar_id, a.event_id, a.draft)
        self.report(UPDATED_EVENT.format(id=a.event_id), "update_event", record.url or None)
        return _replace_event(existing, record)

    def _CancelEvent(self, meeting: Meeting, a: CancelEvent, existing: Existing) -> Existing:
        self.calendar.cancel(a.calendar_id, a.event_id)
        self.report(CANCELLED_EVENT.format(id=a.event_id, why=a.why), "cancel_event")
        return dataclasses.replace(existing, events=tuple(e for e in existing.events if e.id != a.event_id))


def preflight(meeting: Meeting, access: Access | None) -> None:
    """Before the first write: refuse what GitHub would refuse or silently drop, with the fix."""
    if access is None:
        return
    if meeting.notes.provider is NotesProvider.REPO and not access.push:
        raise Forbidden(NO_PUSH.format(repo=meeting.repo))
    if meeting.issue.labels and not access.triage:
        raise Forbidden(NO_TRIAGE.format(repo=meeting.repo, labels=", ".join(meeting.issue.labels)))


def _replace_issue(existing: Existing, number: int, record: IssueRecord | None, body: str | None = None) -> Existing:
    def swap(issue: IssueRecord) -> IssueRecord:
        if issue.number != number:
            return issue
        return record if record is not None else dataclasses.replace(issue, body=body)

    return dataclasses.replace(existing, issues=tuple(swap(issue) for issue in existing.issues))


def _close_issue(existing: Existing, number: int) -> Existing:
    def close(issue: IssueRecord | None) -> IssueRecord | None:
        if issue is not None and issue.number == number:
            return dataclasses.replace(issue, state="closed")
        return issue

    return dataclasses.replace(
        existing, issues=tuple(close(issue) for issue in existing.issues), previous=close(existing.previous)
    )


def _replace_event(existing: Existing, record: EventRecord) -> Existing:
    return dataclasses.replace(existing, events=tuple(record if e.id == record.id else e for e in existing.events))
