"""A dry run as a plan: one line per action, then a unified diff for each update and the full text of what is new."""

from __future__ import annotations

import dataclasses
import difflib
from typing import Callable

from bot.apply import _close_issue, _drop_event, _event_record, _replace_event, _replace_issue
from bot.model import EventDraft, EventRecord, IssueRecord, Meeting, NotesRecord
from bot.plan import (
    Action, CancelEvent, CloseIssue, CreateEvent, CreateIssue, CreateNotes, Existing, UpdateEvent, UpdateIssue,
    UpdateNotes,
)

DRY_CREATE_ISSUE = "would create issue in {repo}: {title}"
DRY_LABELS = " (labels: {labels})"
DRY_UPDATE_ISSUE = "would update the agenda of {repo}#{number}"
DRY_CLOSE_ISSUE = "would close {repo}#{number} with the comment: {comment}"
DRY_CREATE_NOTES = "would create notes {ref}"
DRY_UPDATE_NOTES = "would update the agenda in notes {ref}"
DRY_CREATE_EVENT = "would create a calendar event in {calendar}: {summary}"
DRY_UPDATE_EVENT = "would update calendar event {id}"
DRY_CANCEL_EVENT = "would cancel calendar event {id} ({why})"
DRY_PLACEHOLDER_NUMBER = 0
DRY_PLACEHOLDER_URL = "https://github.com/{repo}/issues/(new)"
PLAN_HEADER = "Plan for {meeting} (dry run, nothing written):"
PLAN_LINE = "  {number}. {line}"
NEW_TEXT_HEADER = "=== {number}. the new text ==="
NEW_TEXT_END = "=== end of {number} ==="
DIFF_BEFORE = "{number}. {what} (now)"
DIFF_AFTER = "{number}. {what} (after the run)"
NO_CHANGE = "(no change in the text)"


@dataclasses.dataclass(frozen=True)
class Entry:
    line: str
    new_text: str | None = None  # the whole text of something that would be created
    before: str | None = None  # with `after`: an update, shown as a diff
    after: str | None = None
    what: str = ""


class Preview:
    """A meeting's planned actions, collected over the run and printed as one plan at its end."""

    def __init__(self, meeting_id: str) -> None:
        self.meeting_id = meeting_id
        self.entries: list[Entry] = []

    def add(self, entry: Entry) -> None:
        self.entries.append(entry)

    def render(self) -> str:
        """The plan lines first, then each update's diff and each new text; "" when nothing is planned."""
        if not self.entries:
            return ""
        out = [PLAN_HEADER.format(meeting=self.meeting_id)]
        out += [PLAN_LINE.format(number=n, line=e.line) for n, e in enumerate(self.entries, 1)]
        for number, entry in enumerate(self.entries, 1):
            out += _details(number, entry)
        return "\n".join(out)


def _details(number: int, entry: Entry) -> list[str]:
    if entry.new_text is not None:
        body = entry.new_text.rstrip("\n").splitlines()
        return ["", NEW_TEXT_HEADER.format(number=number), *body, NEW_TEXT_END.format(number=number)]
    if entry.before is None or entry.after is None:
        return []
    diff = list(difflib.unified_diff(
        entry.before.splitlines(), entry.after.splitlines(),
        DIFF_BEFORE.format(number=number, what=entry.what), DIFF_AFTER.format(number=number, what=entry.what),
        lineterm="",
    ))
    return ["", *(diff or [NO_CHANGE])]


class PreviewApplier:
    """Records each action in the preview, sends nothing, and imagines the result for the next round."""

    writes = False

    def __init__(self, preview: Preview, notes_url: Callable[[str], str | None]) -> None:
        self.preview, self.notes_url = preview, notes_url

    def apply(self, meeting: Meeting, action: Action, existing: Existing) -> Existing:
        match action:
            case CreateIssue() | UpdateIssue() | CloseIssue():
                return self._issue(action, existing)
            case CreateNotes() | UpdateNotes():
                return self._notes(action, existing)
            case CreateEvent() | UpdateEvent() | CancelEvent():
                return self._event(action, existing)

    def _issue(self, action: CreateIssue | UpdateIssue | CloseIssue, existing: Existing) -> Existing:
        match action:
            case CreateIssue(repo, title, body, labels):
                shown = DRY_LABELS.format(labels=", ".join(labels)) if labels else ""
                self.preview.add(Entry(DRY_CREATE_ISSUE.format(repo=repo, title=title) + shown, new_text=body))
                record = IssueRecord(DRY_PLACEHOLDER_NUMBER, DRY_PLACEHOLDER_URL.format(repo=repo), title, body, "open")
                return dataclasses.replace(existing, issues=existing.issues + (record,))
            case UpdateIssue(repo, number, body):
                before = next((i.body for i in existing.issues if i.number == number), "")
                line = DRY_UPDATE_ISSUE.format(repo=repo, number=number)
                self.preview.add(Entry(line, None, before, body, f"{repo}#{number}"))
                return _replace_issue(existing, number, None, body=body)
            case CloseIssue(repo, number, comment):
                self.preview.add(Entry(DRY_CLOSE_ISSUE.format(repo=repo, number=number, comment=comment)))
                return _close_issue(existing, number)

    def _notes(self, action: CreateNotes | UpdateNotes, existing: Existing) -> Existing:
        match action:
            case CreateNotes(ref, _, _, content):
                self.preview.add(Entry(DRY_CREATE_NOTES.format(ref=ref), new_text=content))
                url = existing.notes_url or self.notes_url(ref) or ref
                return dataclasses.replace(existing, notes=NotesRecord(url=url, content=content, ref=ref))
            case UpdateNotes(record, content):
                self.preview.add(Entry(DRY_UPDATE_NOTES.format(ref=record.ref), None, record.content, content, record.ref))
                return dataclasses.replace(existing, notes=dataclasses.replace(record, content=content))

    def _event(self, action: CreateEvent | UpdateEvent | CancelEvent, existing: Existing) -> Existing:
        match action:
            case CreateEvent(calendar_id, draft):
                line = DRY_CREATE_EVENT.format(calendar=calendar_id, summary=draft.summary)
                self.preview.add(Entry(line, new_text=event_text(draft)))
                return dataclasses.replace(existing, events=existing.events + (_event_record(draft, "(new)"),))
            case UpdateEvent(_, event_id, draft):
                old = next((e for e in existing.events if e.id == event_id), None)
                before = event_text(old) if old is not None else ""
                line = DRY_UPDATE_EVENT.format(id=event_id)
                self.preview.add(Entry(line, None, before, event_text(draft), f"event {event_id}"))
                return _replace_event(existing, _event_record(draft, event_id))
            case CancelEvent(_, event_id, why):
                self.preview.add(Entry(DRY_CANCEL_EVENT.format(id=event_id, why=why)))
                return _drop_event(existing, event_id)


def event_text(event: EventDraft | EventRecord) -> str:
    """An event (a draft or a record: the same fields) as lines a person reads and a diff compares."""
    lines = [
        f"summary:  {event.summary}",
        f"start:    {event.start} ({event.timezone})",
        f"end:      {event.end} ({event.timezone})",
        f"location: {event.location}",
        "description:",
        event.description,
    ]
    return "\n".join(lines)
