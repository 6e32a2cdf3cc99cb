"""A dry run as a plan: one line per action, then a unified diff for each update and the full text of what is new."""

from __future__ import annotations

import dataclasses
import difflib
from typing import Callable

from bot.apply import _close_issue, _event_record, _replace_event, _replace_issue
from bot.model import IssueRecord, Meeting, NotesRecord
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
        return getattr(self, "_" + type(action).__name__)(meeting, action, existing)

    def _CreateIssue(self, meeting: Meeting, a: CreateIssue, existing: Existing) -> Existing:
        labels = DRY_LABELS.format(labels=", ".join(a.labels)) if a.labels else ""
        self.preview.add(Entry(DRY_CREATE_ISSUE.format(repo=a.repo, title=a.title) + labels, new_text=a.body))
        url = DRY_PLACEHOLDER_URL.format(repo=a.repo)
        record = IssueRecord(DRY_PLACEHOLDER_NUMBER, url, a.title, a.body, "open")
        return dataclasses.replace(existing, issues=existing.issues + (record,))

    def _UpdateIssue(self, meeting: Meeting, a: UpdateIssue, existing: Existing) -> Existing:
        before = next((i.body for i in existing.issues if i.number == a.number), "")
        what = f"{a.repo}#{a.number}"
        self.preview.add(Entry(DRY_UPDATE_ISSUE.format(repo=a.repo, number=a.number), None, before, a.body, what))
        return _replace_issue(existing, a.number, None, body=a.body)

    def _CloseIssue(self, meeting: Meeting, a: CloseIssue, existing: Existing) -> Existing:
        self.preview.add(Entry(DRY_CLOSE_ISSUE.format(repo=a.repo, number=a.number, comment=a.comment)))
        return _close_issue(existing, a.number)

    def _CreateNotes(self, meeting: Meeting, a: CreateNotes, existing: Existing) -> Existing:
        self.preview.add(Entry(DRY_CREATE_NOTES.format(ref=a.ref), new_text=a.content))
        url = existing.notes_url or self.notes_url(a.ref) or a.ref
        return dataclasses.replace(existing, notes=NotesRecord(url=url, content=a.content, ref=a.ref))

    def _UpdateNotes(self, meeting: Meeting, a: UpdateNotes, existing: Existing) -> Existing:
        line = DRY_UPDATE_NOTES.format(ref=a.record.ref)
        self.preview.add(Entry(line, None, a.record.content, a.content, a.record.ref))
        return dataclasses.replace(existing, notes=dataclasses.replace(a.record, content=a.content))

    def _CreateEvent(self, meeting: Meeting, a: CreateEvent, existing: Existing) -> Existing:
        line = DRY_CREATE_EVENT.format(calendar=a.calendar_id, summary=a.draft.summary)
        self.preview.add(Entry(line, new_text=event_text(a.draft)))
        return dataclasses.replace(existing, events=existing.events + (_event_record(a.draft, "(new)"),))

    def _UpdateEvent(self, meeting: Meeting, a: UpdateEvent, existing: Existing) -> Existing:
        old = next((e for e in existing.events if e.id == a.event_id), None)
        before = event_text(old) if old is not None else ""
        line = DRY_UPDATE_EVENT.format(id=a.event_id)
        self.preview.add(Entry(line, None, before, event_text(a.draft), f"event {a.event_id}"))
        return _replace_event(existing, _event_record(a.draft, a.event_id))

    def _CancelEvent(self, meeting: Meeting, a: CancelEvent, existing: Existing) -> Existing:
        self.preview.add(Entry(DRY_CANCEL_EVENT.format(id=a.event_id, why=a.why)))
        return dataclasses.replace(existing, events=tuple(e for e in existing.events if e.id != a.event_id))


def event_text(event) -> str:
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
