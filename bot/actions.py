"""The planner's vocabulary: the writes it plans, what exists of an occurrence's artifacts, and its options."""

from __future__ import annotations

from dataclasses import dataclass

from bot.model import EventDraft, EventRecord, IssueRecord, NotesRecord


@dataclass(frozen=True)
class CreateIssue:
    repo: str
    title: str
    body: str
    labels: tuple[str, ...]


@dataclass(frozen=True)
class UpdateIssue:
    repo: str
    number: int
    body: str


@dataclass(frozen=True)
class CloseIssue:
    repo: str
    number: int
    comment: str


@dataclass(frozen=True)
class CreateNotes:
    ref: str
    key: str
    title: str
    content: str


@dataclass(frozen=True)
class UpdateNotes:
    record: NotesRecord
    content: str
    message: str


@dataclass(frozen=True)
class CreateEvent:
    calendar_id: str
    draft: EventDraft


@dataclass(frozen=True)
class UpdateEvent:
    calendar_id: str
    event_id: str
    draft: EventDraft


@dataclass(frozen=True)
class CancelEvent:
    calendar_id: str
    event_id: str
    why: str


Action = CreateIssue | UpdateIssue | CloseIssue | CreateNotes | UpdateNotes | CreateEvent | UpdateEvent | CancelEvent


@dataclass(frozen=True)
class Existing:
    """What the bot found of its own artifacts for one occurrence."""

    issues: tuple[IssueRecord, ...] = ()  # every issue carrying the key, by number
    previous: IssueRecord | None = None  # the previous occurrence's issue
    notes: NotesRecord | None = None
    notes_url: str | None = None  # where the notes are or will be, when known before they exist
    events: tuple[EventRecord, ...] = ()  # bot events carrying the key
    action_items: tuple[str, ...] = ()  # open action items of the previous notes, for new notes


@dataclass(frozen=True)
class Options:
    force: bool = False
    previous_started: bool = False  # the previous occurrence has started, so its issue may close
    calendar: bool = True  # False when the calendar could not be read this pass: plan no event write


@dataclass(frozen=True)
class Plan:
    actions: tuple[Action, ...] = ()
    notices: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()  # what a person did that keeps the bot from doing its job
