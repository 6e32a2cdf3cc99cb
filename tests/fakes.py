"""In-memory implementations of the ports (`bot.ports`), so the whole pass runs in the test process in milliseconds.

Each fake keeps the promises its port makes (the adapters keep the same ones over HTTP, tested against
the doubles in tests/doubles/): issues are found by the key line in their body, a notes document by its
ref, events by their private properties. `Outside` holds all four, records every write, and can make
any write fail once, before it lands or after (the answer lost on the way back), or kill the run there.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass, field
from typing import Callable, Mapping, Sequence

from bot import agenda as agenda_mod
from bot import markers
from bot.errors import Conflict, ServiceError
from bot.model import Agenda, AgendaItem, ArchiveRecord, EventDraft, EventRecord, IssueRecord, Meeting, NotesRecord
from bot.occurrences import localize
from bot.ports import Access, Services

WRITES = (
    "issue.create", "issue.update", "issue.close", "notes.create", "notes.update",
    "event.create", "event.update", "event.cancel",
    "after.archive", "after.close", "after.record", "after.label",
)
BOT = "meeting-bot[bot]"


class Killed(BaseException):
    """The process died at this point (not an error the bot could catch)."""


@dataclass
class Fault:
    """What happens at one write: `before` it lands, or `after` it landed (the answer is lost)."""

    when: str
    error: BaseException = field(default_factory=lambda: ServiceError("the service failed"))


class Outside:
    """The four outside roles in memory, the writes they received, and the faults still to happen."""

    def __init__(self, items: tuple[AgendaItem, ...] = ()) -> None:
        self.items = list(items)
        self.writes: list[str] = []
        self.reads: list[str] = []
        self.expected: list[tuple[str, ...]] = []  # the meetings each pass announced to the agenda source
        self.faults: dict[str, Fault] = {}
        self.issues = FakeIssues(self)
        self.notes = FakeNotes(self)
        self.calendar = FakeCalendar(self)
        self.agenda = FakeAgenda(self)
        self.after = FakeAfter(self)
        self.feeds: dict[str, str] = {}
        self.warnings: tuple[str, ...] = ()  # what the agenda source says about its search
        self.before_write: Callable[[str], None] = lambda name: None

    def services(self, notes: bool = True, calendar: bool = True) -> Services:
        return Services(
            agenda=self.agenda,
            issues=self.issues,
            notes=lambda meeting: self.notes if notes and meeting.notes.provider.value != "none" else None,
            calendar=lambda meeting: self.calendar if calendar and meeting.calendar.provider.value == "google" else None,
            fetch_feed=self._feed,
            after=self.after,
        )

    def _feed(self, url: str) -> str:
        self.reads.append("feed")
        return self.feeds[url]

    def write(self, name: str, land: Callable[[], object]) -> object:
        """One write, with its fault if one is armed: the bot sees an error, or the process dies."""
        self.before_write(name)
        fault = self.faults.pop(name, None)
        if fault is not None and fault.when == "before":
            raise fault.error
        result = land()
        self.writes.append(name)
        if fault is not None:
            raise fault.error
        return result


class FakeIssues:
    """The meeting repositories' issues."""

    def __init__(self, outside: Outside) -> None:
        self.outside = outside
        self.records: dict[str, dict[int, IssueRecord]] = {}
        self.comments: dict[tuple[str, int], list[str]] = {}
        self.access_of: Access | None = Access(push=True, triage=True)
        self.lagging: set[int] = set()  # created, not yet in the listing
        self.lag_new = False  # issues created from now on are missing from the listing

    def _repo(self, repo: str) -> dict[int, IssueRecord]:
        return self.records.setdefault(repo, {})

    def add(self, repo: str, title: str, body: str, state: str = "open", trusted: bool = True) -> IssueRecord:
        """An issue made by someone else (a person, or an earlier bot)."""
        number = max([0, *(n for r in self.records.values() for n in r)]) + 1
        author = BOT if trusted else "someone"
        record = IssueRecord(number, _issue_url(repo, number), title, body, state, author, None, trusted)
        self._repo(repo)[number] = record
        return record

    def edit(self, repo: str, number: int, **changes: object) -> None:
        """A person edits an issue (body, title or state)."""
        self._repo(repo)[number] = dataclasses.replace(self._repo(repo)[number], **changes)  # type: ignore[arg-type]

    def of(self, repo: str, key: str) -> list[IssueRecord]:
        return [r for r in self._repo(repo).values() if markers.find_key(r.body) == key]

    def access(self, repo: str) -> Access | None:
        return self.access_of

    def find(
        self,
        repo: str,
        keys: tuple[str, ...],
        since: dt.datetime,
        bounds: Mapping[str, dt.datetime] | None = None,
        scan: tuple[str, dt.datetime] | None = None,
    ) -> Mapping[str, tuple[IssueRecord, ...]]:
        """Every copy of each key (the fakes keep no creation times, so `since` and `bounds` cut nothing;
        the scan, like GitHub's adapter, takes only issues whose creation time is known to be recent)."""
        self.outside.reads.append("issue.find")
        found: dict[str, tuple[IssueRecord, ...]] = {}
        for number in sorted(self._repo(repo)):
            record = self._repo(repo)[number]
            key = markers.find_key(record.body)
            scanned = bool(scan and key and key.startswith(scan[0]) and record.created_at and record.created_at >= scan[1])
            if key is not None and (key in keys or scanned) and number not in self.lagging:
                found[key] = found.get(key, ()) + (record,)
        return found

    def create(self, repo: str, title: str, body: str, labels: tuple[str, ...]) -> IssueRecord:
        def land() -> IssueRecord:
            record = self.add(repo, title, body)
            if self.lag_new:
                self.lagging.add(record.number)
            return record

        record = self.outside.write("issue.create", land)
        assert isinstance(record, IssueRecord)
        return record

    def get(self, repo: str, number: int) -> IssueRecord:
        self.outside.reads.append("issue.get")
        return self._repo(repo)[number]

    def update_body(self, repo: str, number: int, body: str) -> IssueRecord:
        self.outside.write("issue.update", lambda: self.edit(repo, number, body=body))
        return self._repo(repo)[number]

    def close(self, repo: str, number: int, comment: str) -> None:
        def land() -> None:
            self.comments.setdefault((repo, number), []).append(comment)
            self.edit(repo, number, state="closed")

        self.outside.write("issue.close", land)


class FakeNotes:
    """Notes files in the meeting repository, each with a version that changes with every write."""

    def __init__(self, outside: Outside) -> None:
        self.outside = outside
        self.files: dict[tuple[str, str], NotesRecord] = {}
        self._versions = 0

    def put(self, meeting: Meeting, ref: str, content: str) -> NotesRecord:
        """A file written by anyone: the bot, or a person."""
        self._versions += 1
        record = NotesRecord(self.url_for(meeting, ref), content, ref, f"v{self._versions}")
        self.files[(meeting.repo, ref)] = record
        return record

    def url_for(self, meeting: Meeting, ref: str) -> str | None:
        return f"https://github.com/{meeting.repo}/blob/main/{ref}"

    def find(self, meeting: Meeting, ref: str, key: str) -> NotesRecord | None:
        self.outside.reads.append("notes.find")
        return self.files.get((meeting.repo, ref))

    def create(self, meeting: Meeting, ref: str, key: str, title: str, content: str) -> NotesRecord:
        if (meeting.repo, ref) in self.files:
            raise Conflict(f"{ref}: exists already")
        record = self.outside.write("notes.create", lambda: self.put(meeting, ref, content))
        assert isinstance(record, NotesRecord)
        return record

    def reload(self, meeting: Meeting, record: NotesRecord) -> NotesRecord | None:
        self.outside.reads.append("notes.reload")
        return self.files.get((meeting.repo, record.ref))

    def update(self, meeting: Meeting, record: NotesRecord, content: str, message: str) -> NotesRecord:
        current = self.files.get((meeting.repo, record.ref))
        if current is None or current.version != record.version:
            raise Conflict(f"{record.ref}: changed since it was read")
        updated = self.outside.write("notes.update", lambda: self.put(meeting, record.ref, content))
        assert isinstance(updated, NotesRecord)
        return updated


class FakeCalendar:
    """One calendar's events; an event's id follows from its key, as the Google adapter makes it."""

    def __init__(self, outside: Outside) -> None:
        self.outside = outside
        self.events: dict[str, tuple[EventRecord, Mapping[str, str]]] = {}

    def find_meeting(self, calendar_id: str, meeting_id: str, after: dt.datetime) -> tuple[EventRecord, ...]:
        self.outside.reads.append("event.find")
        return tuple(
            record for record, private in self.events.values()
            if private.get(markers.EVENT_MEETING_PROPERTY) == meeting_id and record.status != "cancelled"
            and localize(dt.datetime.fromisoformat(record.end), record.timezone) > after
        )

    def create(self, calendar_id: str, draft: EventDraft) -> EventRecord:
        event_id = "ev-" + draft.key.replace("/", "-")
        record = self.outside.write("event.create", lambda: self._store(event_id, draft))
        assert isinstance(record, EventRecord)
        return record

    def update(self, calendar_id: str, event_id: str, draft: EventDraft) -> EventRecord:
        record = self.outside.write("event.update", lambda: self._store(event_id, draft))
        assert isinstance(record, EventRecord)
        return record

    def cancel(self, calendar_id: str, event_id: str) -> None:
        def land() -> None:
            record, private = self.events[event_id]
            self.events[event_id] = (dataclasses.replace(record, status="cancelled"), private)

        self.outside.write("event.cancel", land)

    def live(self) -> list[EventRecord]:
        return [record for record, _ in self.events.values() if record.status != "cancelled"]

    def _store(self, event_id: str, draft: EventDraft) -> EventRecord:
        record = EventRecord(
            event_id, draft.summary, draft.description, draft.location, draft.start, draft.end, draft.timezone,
            key=draft.private.get(markers.EVENT_KEY_PROPERTY, ""),
            extra=draft.private.get(markers.EVENT_EXTRA_PROPERTY) == "1",
        )
        self.events[event_id] = (record, dict(draft.private))
        return record


class FakeAgenda:
    """The labelled issues and pull requests, grouped as the GitHub adapter groups them."""

    def __init__(self, outside: Outside) -> None:
        self.outside = outside

    def expect(self, meetings: Sequence[Meeting]) -> None:
        self.outside.expected.append(tuple(m.id for m in meetings))

    def collect(self, meeting: Meeting) -> Agenda:
        self.outside.reads.append("agenda")
        return agenda_mod.build_agenda(meeting.agenda, self.outside.items, meeting.repo, self.outside.warnings)


def _issue_url(repo: str, number: int) -> str:
    return f"https://github.com/{repo}/issues/{number}"


def topic(number: int, title: str, repo: str = "acme/lib") -> AgendaItem:
    return AgendaItem(repo, number, title, _issue_url(repo, number))


class FakeAfter:
    """The after-meeting writes: closing with a comment, recording steps in the issue, labels, archives."""

    def __init__(self, outside: Outside) -> None:
        self.outside = outside
        self.archives: dict[tuple[str, str, str | None], ArchiveRecord] = {}
        self.unlabelled: list[tuple[str, int, str]] = []

    def file_url(self, repo: str, path: str) -> str:
        return f"https://github.com/{repo}/blob/HEAD/{path}"

    def find_archive(self, repo: str, path: str, branch: str | None) -> ArchiveRecord | None:
        self.outside.reads.append("after.find_archive")
        return self.archives.get((repo, path, branch))

    def open_archive(self, repo: str, branch: str, path: str, content: str, message: str, title: str,
                     body: str) -> ArchiveRecord:
        record = ArchiveRecord(f"https://github.com/{repo}/pull/{len(self.archives) + 1}", "open", content)
        self.outside.write("after.archive", lambda: self.archives.__setitem__((repo, path, branch), record))
        return record

    def update_archive(self, repo: str, branch: str, path: str, content: str, message: str,
                       version: str | None) -> None:
        old = self.archives[(repo, path, branch)]
        self.outside.write("after.archive", lambda: self.archives.__setitem__(
            (repo, path, branch), dataclasses.replace(old, content=content)))

    def commit_archive(self, repo: str, path: str, content: str, message: str) -> ArchiveRecord:
        record = ArchiveRecord(self.file_url(repo, path), "committed", content)
        self.outside.write("after.archive", lambda: self.archives.__setitem__((repo, path, None), record))
        return record

    def close_meeting(self, repo: str, number: int, comment: str, marker: str, reason: str) -> None:
        issues = self.outside.issues

        def land() -> None:
            issues.comments.setdefault((repo, number), []).append(marker + "\n" + comment)
            issues.edit(repo, number, state="closed", state_reason=reason)

        self.outside.write("after.close", land)

    def record_steps(self, repo: str, number: int, steps: frozenset[str]) -> None:
        issues = self.outside.issues
        body = issues.get(repo, number).body
        done = markers.find_status(body) | steps
        self.outside.write("after.record", lambda: issues.edit(repo, number, body=markers.with_status(body, done)))

    def remove_label(self, repo: str, number: int, label: str) -> None:
        self.outside.write("after.label", lambda: self.unlabelled.append((repo, number, label)))
