"""One meeting's turn in a pass: its inputs, fixed before anything is read, its ports, and the read step."""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
from dataclasses import dataclass
from typing import Callable

from typing import Mapping

from bot import occurrences as occ_mod
from bot.after_step import carried_over, previous_action_items
from bot.lookback import lookup
from bot.errors import ServiceError
from bot.logs import LOGGER
from bot.model import Agenda, EventRecord, IssueRecord, Meeting, Occurrence
from bot.plan import Existing, Options, notes_ref, survivor
from bot.ports import AgendaSource, Calendar, IssueStore, NotesStore, Services
from bot.render import Renderer

log = logging.getLogger(LOGGER)

SEARCH_HORIZON_DAYS = 400  # how far back, before an occurrence's window, its issue may have been made

Listing = Mapping[str, tuple[IssueRecord, ...]]


@dataclass(frozen=True)
class Turn:
    """One meeting's inputs for this pass, fixed before anything is read."""

    meeting: Meeting
    occurrence: Occurrence
    previous: Occurrence | None
    now: dt.datetime
    feeds: occ_mod.Feeds
    options: Options
    renderer: Renderer
    ended: tuple[Occurrence, ...] = ()  # the ended occurrences whose after-meeting steps this pass takes


@dataclass(frozen=True)
class Ports:
    """The outside roles as this meeting uses them; a calendar that cannot be reached is noted, not fatal."""

    agenda: AgendaSource
    issues: IssueStore
    notes: NotesStore | None
    calendar: Calendar | None
    calendar_error: ServiceError | None = None


@dataclass(frozen=True)
class Found:
    """What the read step found: the occurrence's artifacts and the bot's future events of the meeting."""

    agenda: Agenda
    existing: Existing
    future: tuple[EventRecord, ...] = ()
    calendar_error: ServiceError | None = None
    listed: Listing = dataclasses.field(default_factory=dict)  # every issue the listing saw, for the after step


def bind(meeting: Meeting, services: Services) -> Ports:
    """The meeting's ports; a calendar that cannot be built is kept as the error it raised."""
    notes = services.notes(meeting)
    try:
        return Ports(services.agenda, services.issues, notes, services.calendar(meeting))
    except ServiceError as exc:
        return Ports(services.agenda, services.issues, notes, None, exc)


def collect(turn: Turn, ports: Ports, warn: Callable[[str], None]) -> Agenda:
    """The agenda; each of its warnings is told to `warn` (said once, on stderr)."""
    agenda = ports.agenda.collect(turn.meeting)
    for warning in agenda.warnings:
        warn(warning)
    return agenda


def read(turn: Turn, ports: Ports, agenda: Agenda) -> Found:
    """Everything that exists of the occurrence's artifacts, read before anything is planned; the agenda
    comes back with the items carried over from the previous meeting marked (when carry_over is on)."""
    issues, previous, listed = read_issues(turn, ports)
    existing = Existing(issues=issues, previous=previous)
    if ports.notes is not None:
        ref = notes_ref(turn.meeting, turn.occurrence, agenda, turn.renderer, survivor(issues))
        record = ports.notes.find(turn.meeting, ref, turn.occurrence.key)
        url = ports.notes.url_for(turn.meeting, ref)
        existing = dataclasses.replace(existing, notes=record, notes_url=url)
        if record is None and not (agenda.empty and turn.meeting.agenda.skip_if_empty):
            items = previous_action_items(turn.meeting, ports.notes, turn.renderer, turn.previous, previous)
            existing = dataclasses.replace(existing, action_items=items)
    future, error = _future_events(turn, ports)
    events = tuple(event for event in future if event.key == turn.occurrence.key)
    agenda = carried_over(turn.meeting, agenda, turn.previous, previous)
    return Found(agenda, dataclasses.replace(existing, events=events), future, error, listed)


def read_issues(turn: Turn, ports: Ports) -> tuple[tuple[IssueRecord, ...], IssueRecord | None, Listing]:
    """The issues carrying the occurrence's key, the previous occurrence's issue, and the whole listing
    (which also covers the ended occurrences and the scan for cancelled ones, for the after step)."""
    meeting, occurrence, previous = turn.meeting, turn.occurrence, turn.previous
    wanted = lookup(meeting, turn.ended, turn.now)
    keys = [occurrence.key, *wanted.keys]
    bounds = dict(wanted.bounds)
    settings = meeting.after
    if previous is not None and (meeting.issue.close_previous or settings.carry_over or settings.action_items):
        keys.append(previous.key)
        if not meeting.issue.close_previous:  # close_previous looks as far back as ever
            bounds.setdefault(previous.key, (previous.window_opens - dt.timedelta(days=1)).astimezone(dt.timezone.utc))
    earliest = min(o.window_opens for o in (occurrence, previous) if o is not None)
    since = min(earliest, turn.now) - dt.timedelta(days=SEARCH_HORIZON_DAYS)
    since = min(since.astimezone(dt.timezone.utc), wanted.since)
    found = ports.issues.find(meeting.repo, tuple(dict.fromkeys(keys)), since, bounds, wanted.scan)
    before = found.get(previous.key, ()) if previous is not None else ()
    return tuple(found.get(occurrence.key, ())), survivor(tuple(before)), found


def _future_events(turn: Turn, ports: Ports) -> tuple[tuple[EventRecord, ...], ServiceError | None]:
    """The bot's events of this meeting that have not ended; a calendar that cannot be read is noted."""
    if ports.calendar is None:
        return (), ports.calendar_error
    try:
        return ports.calendar.find_meeting(calendar_id(turn.meeting), turn.meeting.id, turn.now), None
    except ServiceError as exc:
        return (), exc


def calendar_id(meeting: Meeting) -> str:
    return meeting.calendar.calendar_id or ""
