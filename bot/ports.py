"""The outside roles the bot talks to, named by role, with domain values only."""

from __future__ import annotations

import contextlib
import datetime as dt
from dataclasses import dataclass, field
from typing import Callable, Iterator, Mapping, Protocol, Sequence

from bot.errors import Conflict as Conflict, Forbidden as Forbidden, NotFound as NotFound  # the adapters raise these
from bot.errors import RateLimited as RateLimited, ServiceError as ServiceError
from bot.model import (
    Agenda, ArchiveRecord, CommentRecord, EventDraft as EventDraft, EventRecord, IssueRecord, Meeting, NotesRecord,
)


class AgendaSource(Protocol):
    def expect(self, meetings: Sequence[Meeting]) -> None:
        """The meetings about to be collected in this pass (a source may search for several at once)."""
        ...

    def collect(self, meeting: Meeting) -> Agenda: ...


@dataclass(frozen=True)
class Access:
    """What the credentials may do in a repository, as GitHub reports it."""

    push: bool
    triage: bool


class IssueStore(Protocol):
    def access(self, repo: str) -> Access | None:
        """The credentials' permissions on `repo`, or None when GitHub does not say (App tokens)."""

    def find(
        self,
        repo: str,
        keys: tuple[str, ...],
        since: dt.datetime,
        bounds: Mapping[str, dt.datetime] | None = None,
        scan: tuple[str, dt.datetime] | None = None,
    ) -> Mapping[str, tuple[IssueRecord, ...]]:
        """The issues of `repo` whose body carries one of `keys`, oldest first per key.

        Only issues created at or after `since` (or a key's later bound in `bounds`) need be
        considered. `scan` = (prefix, moment): also the keys starting with prefix on issues created
        since the moment.
        """

    def create(self, repo: str, title: str, body: str, labels: tuple[str, ...]) -> IssueRecord: ...

    def get(self, repo: str, number: int) -> IssueRecord: ...

    def update_body(self, repo: str, number: int, body: str) -> IssueRecord: ...

    def close(self, repo: str, number: int, comment: str) -> None: ...


class NotesStore(Protocol):
    def url_for(self, meeting: Meeting, ref: str) -> str | None:
        """The document's URL before it exists, when the service makes that possible."""

    def find(self, meeting: Meeting, ref: str, key: str) -> NotesRecord | None: ...

    def create(self, meeting: Meeting, ref: str, key: str, title: str, content: str) -> NotesRecord: ...

    def reload(self, meeting: Meeting, record: NotesRecord) -> NotesRecord | None:
        """The document as it is now (None when it was deleted), read again just before a write."""

    def update(self, meeting: Meeting, record: NotesRecord, content: str, message: str) -> NotesRecord: ...


class Calendar(Protocol):
    def find_meeting(self, calendar_id: str, meeting_id: str, after: dt.datetime) -> tuple[EventRecord, ...]:
        """The bot's events of the meeting that end after `after`, found by private property."""

    def create(self, calendar_id: str, draft: EventDraft) -> EventRecord: ...

    def update(self, calendar_id: str, event_id: str, draft: EventDraft) -> EventRecord: ...

    def cancel(self, calendar_id: str, event_id: str) -> None: ...


class WriteGuard:
    """The check every adapter calls immediately before each write request, after any wait.

    The runner sets it for the occurrence it is writing (`checking`); outside that it lets every write
    through. A check stops a write by raising.
    """

    def __init__(self) -> None:
        self._check: Callable[[], None] | None = None

    @contextlib.contextmanager
    def checking(self, check: Callable[[], None]) -> Iterator[None]:
        previous, self._check = self._check, check
        try:
            yield
        finally:
            self._check = previous

    def __call__(self) -> None:
        if self._check is not None:
            self._check()


class Comments(Protocol):
    """The comments of meeting issues, where the bot keeps its announcement ledger."""

    def list(self, repo: str, number: int) -> tuple[CommentRecord, ...]:
        """Every comment of the issue, oldest first."""

    def add(self, repo: str, number: int, body: str) -> CommentRecord: ...

    def edit(self, repo: str, number: int, comment_id: int, body: str) -> CommentRecord:
        """Rewrite a comment this process added."""

    def delete(self, repo: str, number: int, comment_id: int) -> None:
        """Remove a comment this process added."""


class Announcer(Protocol):
    """Sends announcements to the named targets (their URLs never leave the adapter)."""

    def check(self, target: str) -> None:
        """Raise ServiceError when the target has no usable URL, before anything is claimed."""

    def send(self, target: str, title: str, body: str) -> None:
        """Deliver one message; raise ServiceError (naming the target, never its URL) when it fails."""


class AfterStore(Protocol):
    """The after-meeting writes; pull requests and comments count only when the bot's own identity made them."""

    def file_url(self, repo: str, path: str) -> str: ...

    def find_archive(self, repo: str, path: str, branch: str | None) -> ArchiveRecord | None: ...

    def open_archive(self, repo: str, branch: str, path: str, content: str, message: str, title: str,
                     body: str) -> ArchiveRecord: ...

    def update_archive(self, repo: str, branch: str, path: str, content: str, message: str,
                       version: str | None) -> None: ...

    def commit_archive(self, repo: str, path: str, content: str, message: str) -> ArchiveRecord: ...

    def close_meeting(self, repo: str, number: int, comment: str, marker: str, reason: str) -> None: ...

    def record_steps(self, repo: str, number: int, steps: frozenset[str]) -> None: ...

    def remove_label(self, repo: str, number: int, label: str) -> None:
        """Forbidden when the credentials may not label issues there."""


@dataclass
class Services:
    """The outside world for one pass, built by the one wiring function (`bot.adapters.wire`)."""

    agenda: AgendaSource
    issues: IssueStore
    notes: Callable[[Meeting], NotesStore | None]
    calendar: Callable[[Meeting], Calendar | None]
    fetch_feed: Callable[[str], str]
    after: AfterStore
    guard: WriteGuard = field(default_factory=WriteGuard)  # given to the adapters by the wiring
    comments: Comments | None = None
    announcer: Announcer | None = None
