"""The domain values: meetings, occurrences, agenda items and the artifacts the bot owns.

Every value that crosses a module boundary is one of these frozen dataclasses; no client-library
object ever reaches the core.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, replace
from enum import Enum
from pathlib import Path
from typing import Callable, Mapping, TypeVar


DEFAULT_TITLE = "{{ name }} {{ date }}"
DEFAULT_ISSUE_TEMPLATE = "issue.md.j2"
DEFAULT_NOTES_TEMPLATE = "notes.md.j2"
DEFAULT_EVENT_TEMPLATE = "event.txt.j2"
DEFAULT_NOTES_PATH = "meetings/{{ date }}.md"
DEFAULT_ANNOUNCE_TEMPLATE = "announce.md.j2"
DEFAULT_REMINDER_HOURS = 24
DEFAULT_DURATION_MINUTES = 60
DEFAULT_CREATE_DAYS_BEFORE = 7
DEFAULT_ARCHIVE_PATH = "meetings/{{ date }}.md"
DEFAULT_AFTER_HOURS = 24

# Zones shown in the default issue's time table: the Americas, Europe, Africa, Asia, Oceania.
DEFAULT_DISPLAY_ZONES = (
    "America/Los_Angeles",
    "America/Denver",
    "America/Chicago",
    "America/New_York",
    "America/Sao_Paulo",
    "UTC",
    "Europe/London",
    "Europe/Amsterdam",
    "Europe/Moscow",
    "Africa/Nairobi",
    "Asia/Kolkata",
    "Asia/Shanghai",
    "Asia/Tokyo",
    "Australia/Sydney",
    "Pacific/Auckland",
)


class NotesProvider(str, Enum):
    REPO = "repo"
    HACKMD = "hackmd"
    NONE = "none"


class CalendarProvider(str, Enum):
    GOOGLE = "google"
    NONE = "none"


class ArchiveMode(str, Enum):
    PULL_REQUEST = "pull-request"
    COMMIT = "commit"
    NONE = "none"


@dataclass(frozen=True)
class Slot:
    """One `[schedule]` table: a recurrence rule or a feed, in one IANA zone."""

    timezone: str
    start: dt.datetime | None = None  # naive wall-clock time in `timezone`
    rrule: str | None = None
    duration_minutes: int = DEFAULT_DURATION_MINUTES
    create_days_before: int = DEFAULT_CREATE_DAYS_BEFORE
    skip_dates: tuple[dt.date, ...] = ()
    ics_url: str | None = None
    ics_match: str | None = None
    vars: Mapping[str, object] = field(default_factory=dict)


@dataclass(frozen=True)
class AgendaSection:
    """One `[[agenda.sections]]` table: items carrying one of `labels` go under `title`."""

    title: str
    labels: tuple[str, ...]


@dataclass(frozen=True)
class AgendaConfig:
    label: str
    orgs: tuple[str, ...] = ()
    repos: tuple[str, ...] = ()
    include_pull_requests: bool = True
    skip_if_empty: bool = False
    include_discussions: bool = False
    sections: tuple[AgendaSection, ...] = ()


@dataclass(frozen=True)
class IssueConfig:
    template: str = DEFAULT_ISSUE_TEMPLATE
    labels: tuple[str, ...] = ()
    close_previous: bool = False


@dataclass(frozen=True)
class NotesConfig:
    provider: NotesProvider = NotesProvider.REPO
    template: str = DEFAULT_NOTES_TEMPLATE
    path: str = DEFAULT_NOTES_PATH
    hackmd_team: str | None = None
    hackmd_read_permission: str = "guest"
    hackmd_write_permission: str = "signed_in"
    hackmd_comment_permission: str = "signed_in_users"


@dataclass(frozen=True)
class CalendarConfig:
    provider: CalendarProvider = CalendarProvider.NONE
    calendar_id: str | None = None
    template: str = DEFAULT_EVENT_TEMPLATE


class AnnounceKind(str, Enum):
    CREATED = "created"
    REMINDER = "reminder"
    CANCELLED = "cancelled"
    MINUTES = "minutes"


@dataclass(frozen=True)
class AnnounceConfig:
    """`[announce]`: where the meeting is announced (target names; their URLs are in the environment)."""

    targets: tuple[str, ...] = ()
    on: tuple[AnnounceKind, ...] = tuple(AnnounceKind)
    reminder_hours: int = DEFAULT_REMINDER_HOURS
    template: str = DEFAULT_ANNOUNCE_TEMPLATE


@dataclass(frozen=True)
class AfterConfig:
    """`[after]`: what happens once an occurrence has ended (SPEC section 8)."""

    close_issue: bool = True
    archive: ArchiveMode = ArchiveMode.PULL_REQUEST
    archive_path: str = DEFAULT_ARCHIVE_PATH
    after_hours: int = DEFAULT_AFTER_HOURS
    carry_over: bool = True
    action_items: bool = True
    remove_label: bool = False


@dataclass(frozen=True)
class Meeting:
    """One meeting file, validated."""

    id: str
    source: Path
    name: str
    repo: str
    slots: tuple[Slot, ...]
    agenda: AgendaConfig
    title: str = DEFAULT_TITLE
    issue: IssueConfig = field(default_factory=IssueConfig)
    notes: NotesConfig = field(default_factory=NotesConfig)
    calendar: CalendarConfig = field(default_factory=CalendarConfig)
    announce: AnnounceConfig = field(default_factory=AnnounceConfig)
    after: AfterConfig = field(default_factory=AfterConfig)
    vars: Mapping[str, object] = field(default_factory=dict)
    display_zones: tuple[str, ...] = DEFAULT_DISPLAY_ZONES
    lines: Mapping[str, int] = field(default_factory=dict)  # "title", "notes.path": where they are written

    def line(self, setting: str) -> int:
        """The line of a setting in the meeting file (1 when it is not written there)."""
        return self.lines.get(setting, 1)

    @property
    def timezone(self) -> str:
        """The zone of the first slot: the meeting's home zone."""
        return self.slots[0].timezone


@dataclass(frozen=True)
class Occurrence:
    """One meeting on one day; `start` and `end` are aware datetimes in the meeting's zone."""

    meeting_id: str
    start: dt.datetime
    end: dt.datetime
    timezone: str
    create_days_before: int = DEFAULT_CREATE_DAYS_BEFORE
    vars: Mapping[str, object] = field(default_factory=dict)  # the slot's vars (already merged over the meeting's)
    extra: bool = False  # made by `--date --force` off the schedule

    @property
    def date(self) -> dt.date:
        return self.start.date()

    @property
    def key(self) -> str:
        """The artifact key: the meeting id and the local date, written into every artifact."""
        return f"{self.meeting_id}/{self.date.isoformat()}"

    @property
    def start_utc(self) -> dt.datetime:
        return self.start.astimezone(dt.timezone.utc)

    @property
    def end_utc(self) -> dt.datetime:
        return self.end.astimezone(dt.timezone.utc)

    @property
    def window_opens(self) -> dt.datetime:
        return self.start - dt.timedelta(days=self.create_days_before)


class ItemKind(str, Enum):
    ISSUE = "issue"
    PULL_REQUEST = "pull_request"
    DISCUSSION = "discussion"


@dataclass(frozen=True)
class AgendaItem:
    repo: str  # owner/name
    number: int  # issues, pull requests and discussions of a repository share one sequence
    title: str
    url: str
    is_pull_request: bool = False
    labels: tuple[str, ...] = ()
    author: str | None = None
    updated_at: dt.datetime | None = None
    is_discussion: bool = False
    visibility: str | None = None  # the repository's: "public", "private" or "internal"; None: not known
    first_appeared: dt.date | None = None  # the date of the earlier meeting whose agenda first had it

    @property
    def kind(self) -> ItemKind:
        if self.is_discussion:
            return ItemKind.DISCUSSION
        return ItemKind.PULL_REQUEST if self.is_pull_request else ItemKind.ISSUE


@dataclass(frozen=True)
class AgendaGroup:
    repo: str
    items: tuple[AgendaItem, ...]


@dataclass(frozen=True)
class SectionGroup:
    """The items of one `[[agenda.sections]]` heading, from any repository."""

    title: str
    items: tuple[AgendaItem, ...]


@dataclass(frozen=True)
class Agenda:
    """The configured sections in order, then the other items grouped by repository (the meeting's own first)."""

    label: str
    orgs: tuple[str, ...] = ()
    repos: tuple[str, ...] = ()
    groups: tuple[AgendaGroup, ...] = ()
    warnings: tuple[str, ...] = ()
    omitted: int = 0  # items left out so the document fits its service's size limit
    withheld: int = 0  # items left out because their repository is less visible than the meeting's
    sections: tuple[SectionGroup, ...] = ()  # only the sections that hold items
    discussions: bool = False  # discussions were searched too

    @property
    def items(self) -> tuple[AgendaItem, ...]:
        blocks: tuple[SectionGroup | AgendaGroup, ...] = (*self.sections, *self.groups)
        return tuple(item for block in blocks for item in block.items)

    def section_of(self, item: AgendaItem) -> str | None:
        """The title of the section the item is listed under, or None (its repository's group)."""
        return next((s.title for s in self.sections if item in s.items), None)

    def first(self, count: int) -> "Agenda":
        """The agenda cut to its first `count` items, counting the rest as omitted."""
        sections, left = _cut(self.sections, count, lambda s, items: SectionGroup(s.title, items))
        groups, left = _cut(self.groups, left, lambda g, items: AgendaGroup(g.repo, items))
        kept = sum(len(s.items) for s in sections) + sum(len(g.items) for g in groups)
        return replace(self, groups=groups, sections=sections, omitted=len(self.items) - kept + self.omitted)

    @property
    def empty(self) -> bool:
        return not self.groups and not self.sections


Block = TypeVar("Block", SectionGroup, AgendaGroup)


def _cut(
    blocks: tuple[Block, ...], count: int, remake: Callable[[Block, tuple[AgendaItem, ...]], Block]
) -> tuple[tuple[Block, ...], int]:
    """The first blocks holding at most `count` items, and how many items may still follow."""
    kept: list[Block] = []
    left = count
    for block in blocks:
        if left <= 0:
            break
        kept.append(remake(block, block.items[:left]))
        left -= len(block.items)
    return tuple(kept), max(left, 0)


@dataclass(frozen=True)
class IssueRecord:
    """A meeting issue as it exists on GitHub."""

    number: int
    url: str  # html_url
    title: str
    body: str
    state: str  # "open" or "closed"
    author: str | None = None
    created_at: dt.datetime | None = None
    trusted: bool = True  # written by a maintainer or an app, not by just anyone who can open an issue
    state_reason: str | None = None  # GitHub's: "completed", "not_planned", "reopened" (a human reopened it)


@dataclass(frozen=True)
class CommentRecord:
    """A comment on a meeting issue, reduced to what the announcement ledger reads."""

    id: int
    author: str | None
    body: str
    trusted: bool = False  # written by the bot's own identity: only such a comment is the bot's


@dataclass(frozen=True)
class NotesRecord:
    """A notes document as it exists (a file in the repository, or a HackMD note)."""

    url: str
    content: str
    ref: str  # repo provider: the path; hackmd: the note id
    version: str | None = None  # repo provider: the blob sha
    foreign: str | None = None  # repo provider: who created the file, when not the bot's identity (never edited)


@dataclass(frozen=True)
class ArchiveRecord:
    """Where an occurrence's notes were archived: the bot's pull request, or the committed file."""

    url: str  # the pull request's or the file's web URL
    state: str  # "open", "closed" or "merged" (a pull request), "committed" (a file on the default branch)
    content: str | None = None  # the archived file as it is on the pull request's branch (None: not there)
    version: str | None = None  # its blob sha
    number: int | None = None  # the pull request's number


@dataclass(frozen=True)
class EventRecord:
    """A bot-made calendar event as it exists, reduced to the fields the bot manages."""

    id: str
    summary: str
    description: str
    location: str
    start: str  # RFC 3339 wall-clock dateTime as stored, e.g. 2023-09-11T08:30:00
    end: str
    timezone: str
    status: str = "confirmed"
    url: str = ""
    key: str = ""  # the artifact key the bot wrote into the event's private properties
    extra: bool = False  # made for a chair's off-schedule occurrence (`--date --force`)


@dataclass(frozen=True)
class EventDraft:
    """What the bot wants a calendar event to say."""

    key: str
    meeting_id: str
    summary: str
    description: str
    location: str
    start: str  # local wall-clock dateTime, e.g. 2023-09-11T08:30:00
    end: str
    timezone: str
    private: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Problem:
    """One configuration or template error, printed as `FILE:LINE: message`."""

    file: Path
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.message}" if self.line else f"{self.file}: {self.message}"
