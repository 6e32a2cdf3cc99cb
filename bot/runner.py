"""One pass over the meetings: read, plan, apply or print; each meeting on its own."""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
from dataclasses import dataclass
from typing import Callable, Mapping

from bot import occurrences as occ_mod
from bot.after_step import AfterStep, Lookup, carried_over, ended_occurrences, lookup, previous_action_items
from bot.logs import LOGGER
from bot.apply import Applier, DryApplier
from bot.model import Agenda, EventRecord, Meeting, Occurrence
from bot.plan import CreateIssue, Existing, Options, Plan, notes_ref, plan, plan_sweep, survivor
from bot.ports import Calendar, Conflict, ServiceError, Services  # noqa: F401 - Services re-exported
from bot.render import Links, RenderError, Renderer, build_context

log = logging.getLogger(LOGGER)

MAX_ROUNDS = 8
SEARCH_HORIZON_DAYS = 400  # how far back, before an occurrence's window, its issue may have been made
SWEEP_DAYS = 400

NOTHING_DUE = "nothing to do: the next meeting is {start} (the bot acts from {opens})"
NO_NEXT = "nothing to do: the schedule has no further meeting"
NOTHING_NEW = "nothing to do: issue #{number} is up to date"
STARTED = "nothing to do: the {date} meeting has started, so it is left as it is"
FAILED = "{message}"
STARTED_MEANWHILE = "the {date} meeting started during this run: stopped before writing anything more"
UNEXPECTED = "unexpected error: {kind}: {message} (run with --debug for the traceback)"
ROUNDS_EXCEEDED = "gave up after {rounds} rounds of writes that did not settle; the next run will try again"


class StartedMeanwhile(Exception):
    """The occurrence started while the run was working on it."""


@dataclass(frozen=True)
class RunRequest:
    meeting_ids: tuple[str, ...] = ()
    date: dt.date | None = None
    force: bool = False
    dry_run: bool = False


@dataclass(frozen=True)
class Outcome:
    meeting_id: str
    ok: bool
    lines: tuple[str, ...]

    def summary(self) -> str:
        return f"{self.meeting_id}: " + "; ".join(self.lines)


def run_pass(
    meetings: list[Meeting],
    services: Services,
    renderer: Renderer,
    request: RunRequest,
    clock: Callable[[], dt.datetime],
    out: Callable[[str], None],
) -> list[Outcome]:
    """Run every meeting, each at the time it starts being processed; a failure is reported and the others go on."""
    return [run_meeting(meeting, services, renderer, request, clock, out) for meeting in meetings]


def run_meeting(meeting, services, renderer, request, clock, out) -> Outcome:
    """One meeting; every line it says is logged to stderr as it happens and kept for the summary."""
    lines: list[str] = []

    def say(line: str) -> None:
        log.info("%s: %s", meeting.id, line)
        lines.append(line)

    try:
        _run(meeting, services, renderer, request, clock, out, say)
    except StartedMeanwhile as exc:
        say(str(exc))
    except (ServiceError, RenderError, occ_mod.NoOccurrenceOn, occ_mod.FeedError) as exc:
        return _failed(meeting, lines, str(exc).splitlines()[0] if str(exc) else type(exc).__name__)
    except Exception as exc:  # a bug or an unforeseen library error: this meeting fails, the others go on
        first = str(exc).splitlines()[0] if str(exc) else ""
        return _failed(meeting, lines, UNEXPECTED.format(kind=type(exc).__name__, message=first), exc)
    return Outcome(meeting.id, True, tuple(lines))


def _failed(meeting: Meeting, lines: list[str], message: str, exc: Exception | None = None) -> Outcome:
    """One line naming the cause; the traceback only in the debug log."""
    log.error("%s: %s", meeting.id, message)
    log.debug("%s: traceback", meeting.id, exc_info=exc if exc is not None else True)
    lines.append(FAILED.format(message=message))
    return Outcome(meeting.id, False, tuple(lines))


def fetch_feeds(meeting: Meeting, services: Services) -> Mapping[str, str]:
    """The text of each feed the meeting's slots read (ics_url -> text)."""
    return {url: services.fetch_feed(url) for url in occ_mod.feed_urls(meeting)}


def _select(meeting, request: RunRequest, now, feeds, say) -> Occurrence | None:
    if request.date is not None:
        return occ_mod.occurrence_on(meeting, request.date, force=request.force, feeds=feeds)
    upcoming = occ_mod.next_occurrence(meeting, now, feeds)
    if upcoming is None:
        say(NO_NEXT)
        return None
    if not occ_mod.window_open(upcoming, now):
        say(NOTHING_DUE.format(start=_when(upcoming), opens=_when_dt(upcoming.window_opens)))
        return None
    return upcoming


def _when(occurrence: Occurrence) -> str:
    return _when_dt(occurrence.start)


def _when_dt(moment: dt.datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M %Z")


def _run(meeting, services, renderer, request, clock, out, say) -> None:
    now = clock()
    feeds = fetch_feeds(meeting, services)
    occurrence = _select(meeting, request, now, feeds, say)
    step = AfterStep(meeting, services, renderer, request.dry_run, out, say)
    ended = ended_occurrences(meeting, now, feeds, request.date, request.force)
    if occurrence is None or occ_mod.has_started(occurrence, now):
        if occurrence is not None and occurrence not in ended:
            say(STARTED.format(date=occurrence.date.isoformat()))
        step.run(now, feeds, ended)  # after the meeting: its steps, and cancellations
        if occurrence is None:
            _sweep_idle(meeting, services, request, now, feeds, out, say)  # a skipped date still loses its event
        return
    previous = occ_mod.previous_occurrence(meeting, occurrence, feeds)
    options = Options(force=request.force, previous_started=bool(previous and occ_mod.has_started(previous, now)))
    agenda = services.agenda.collect(meeting)
    for warning in agenda.warnings:
        log.warning("%s: %s", meeting.id, warning)
    reader = _Reader(meeting, occurrence, previous, services, renderer, now, lookup(meeting, ended, now))
    existing = reader.read(agenda)
    agenda = carried_over(meeting, agenda, previous, existing.previous)
    if step.cancel_empty(occurrence, survivor(existing.issues), existing.events, agenda.empty, request.force):
        step.run(now, feeds, ended, found=reader.found)
        return
    applier = _applier(meeting, services, request, out, say, reader)
    applier = _BeforeStart(applier, clock, occurrence)
    options = dataclasses.replace(options, calendar=reader.calendar_error is None)
    with services.guard.checking(applier.check):  # the adapters check again right before each write request
        existing = _converge(meeting, occurrence, agenda, existing, now, options, renderer, applier, reader, say)
        if reader.calendar_error is not None:
            raise reader.calendar_error  # the issue and notes are done; the next run completes the event
        _sweep(meeting, occurrence, reader, now, feeds, applier, existing)  # a dry run shows what it would cancel
    step.run(now, feeds, ended, found=_as_left(reader.found, existing))


def _as_left(found: Mapping, existing: Existing) -> dict:
    """The listing with the issues as this pass left them (the previous one may have been closed)."""
    left = {i.number: i for i in (*existing.issues, *((existing.previous,) if existing.previous else ()))}
    return {key: tuple(left.get(i.number, i) for i in issues) for key, issues in found.items()}


def _applier(meeting, services, request, out, say, reader):
    if request.dry_run:
        return DryApplier(out, say, lambda ref: reader.notes_url(ref))
    return Applier(services.issues, reader.notes_store, reader.calendar, say)


def _converge(meeting, occurrence, agenda, existing, now, options, renderer, applier, reader, say) -> Existing:
    """Plan and apply until the plan is empty: each round may unlock the next artifact."""
    wrote = False
    for _ in range(MAX_ROUNDS):
        current = plan(meeting, occurrence, agenda, existing, now, options, renderer)
        for notice in current.notices:
            say(notice)
        if not current.actions:
            if not wrote and not current.notices:
                issue = survivor(existing.issues)
                say(NOTHING_NEW.format(number=issue.number))
            return existing
        wrote = True
        existing = _apply_round(meeting, current, existing, applier, reader, agenda)
    raise ServiceError(ROUNDS_EXCEEDED.format(rounds=MAX_ROUNDS))


def _apply_round(meeting, current: Plan, existing: Existing, applier, reader, agenda: Agenda) -> Existing:
    try:
        for action in current.actions:
            existing = applier.apply(meeting, action, existing)
    except Conflict as exc:
        log.warning("%s: %s", meeting.id, exc)
        return reader.read(agenda)
    if applier.writes and any(isinstance(a, CreateIssue) for a in current.actions):
        # Another run may have created the same issue at the same moment: look again, keeping what
        # this run made even if the listing has not caught up with it yet.
        known = {issue.number: issue for issue in (*existing.issues, *reader.issues()[0])}
        existing = dataclasses.replace(existing, issues=tuple(sorted(known.values(), key=lambda i: i.number)))
    return existing


def _sweep(meeting, occurrence, reader, now, feeds, applier, existing: Existing) -> None:
    if reader.calendar is None:
        return
    _cancel_dropped(meeting, reader.future_events(), now, feeds, applier, existing, keep=occurrence.key)


def _sweep_idle(meeting, services, request, now, feeds, out, say) -> None:
    """No occurrence is due: still cancel the bot's future events of occurrences no longer scheduled."""
    calendar = services.calendar(meeting)
    if calendar is None:
        return
    if request.dry_run:
        applier = DryApplier(out, say, lambda ref: None)
    else:
        applier = Applier(services.issues, None, calendar, say)
    future = calendar.find_meeting(meeting.calendar.calendar_id, meeting.id, now)
    _cancel_dropped(meeting, future, now, feeds, applier, Existing())


def _cancel_dropped(meeting, events, now, feeds, applier, existing: Existing, keep: str | None = None) -> None:
    """Cancel the events (not ended) of occurrences no longer scheduled; one in progress is left alone."""
    unstarted = tuple(e for e in events if _starts(e) > now)
    if not unstarted:
        return
    until = now + dt.timedelta(days=SWEEP_DAYS)
    scheduled = frozenset(o.key for o in occ_mod.occurrences(meeting, now, until, feeds)) | {keep}
    for action in plan_sweep(meeting, unstarted, scheduled).actions:
        applier.apply(meeting, action, existing)


def _starts(event: EventRecord) -> dt.datetime:
    return occ_mod.localize(dt.datetime.fromisoformat(event.start), event.timezone)


class _BeforeStart:
    """Checks the clock before every write: a meeting that starts during a slow pass is left alone."""

    def __init__(self, applier, clock: Callable[[], dt.datetime], occurrence: Occurrence) -> None:
        self.applier, self.clock, self.occurrence = applier, clock, occurrence
        self.writes = applier.writes

    def check(self) -> None:
        if occ_mod.has_started(self.occurrence, self.clock()):
            raise StartedMeanwhile(STARTED_MEANWHILE.format(date=self.occurrence.date.isoformat()))

    def apply(self, meeting: Meeting, action, existing: Existing) -> Existing:
        self.check()
        return self.applier.apply(meeting, action, existing)


class _Reader:
    """Reads what exists of one occurrence's artifacts."""

    def __init__(self, meeting, occurrence, previous, services: Services, renderer: Renderer, now,
                 after: Lookup) -> None:
        self.meeting, self.occurrence, self.previous = meeting, occurrence, previous
        self.services, self.renderer, self.now, self.after = services, renderer, now, after
        self.notes_store = services.notes(meeting)
        self.calendar: Calendar | None = None
        self.calendar_error: ServiceError | None = None
        self._future = None
        self._action_items: tuple[str, ...] | None = None
        self.found: Mapping = {}  # every issue the listing saw for the after-meeting step

    def keys(self) -> tuple[str, ...]:
        keys = [self.occurrence.key, *self.after.keys]
        after = self.meeting.after
        if self.previous is not None and (self.meeting.issue.close_previous or after.carry_over or after.action_items):
            keys.append(self.previous.key)
        return tuple(dict.fromkeys(keys))

    def _bounds(self) -> dict:
        """The previous occurrence's issue is looked for only from just before its window, unless it
        is to be closed (close_previous looks as far back as ever)."""
        bounds = dict(self.after.bounds)
        if self.previous is not None and not self.meeting.issue.close_previous:
            bounds.setdefault(self.previous.key, (self.previous.window_opens - dt.timedelta(days=1)).astimezone(dt.timezone.utc))
        return bounds

    def issues(self):
        earliest = min(o.window_opens for o in (self.occurrence, self.previous) if o is not None)
        since = min(earliest, self.now) - dt.timedelta(days=SEARCH_HORIZON_DAYS)
        since = min(since.astimezone(dt.timezone.utc), self.after.since)
        found = self.services.issues.find(self.meeting.repo, self.keys(), since, self._bounds(), self.after.scan)
        self.found = found
        previous = found.get(self.previous.key, ()) if self.previous is not None else ()
        return found.get(self.occurrence.key, ()), survivor(previous)

    def action_items(self, previous_issue) -> tuple[str, ...]:
        """The previous notes' open action items, read once a pass, only while the notes are still to be made."""
        if self._action_items is None:
            self._action_items = previous_action_items(
                self.meeting, self.services, self.renderer, self.previous, previous_issue)
        return self._action_items

    def notes_url(self, ref: str) -> str | None:
        return self.notes_store.url_for(self.meeting, ref) if self.notes_store else None

    def future_events(self):
        """The bot's events of this meeting that have not ended, read once per pass."""
        if self._future is None:
            self._future = self.calendar.find_meeting(self.meeting.calendar.calendar_id, self.meeting.id, self.now)
        return self._future

    def read(self, agenda: Agenda) -> Existing:
        issues, previous = self.issues()
        existing = Existing(issues=issues, previous=previous)
        if self.notes_store is not None:
            issue = survivor(issues)
            ctx = build_context(self.meeting, self.occurrence, agenda, Links(None, None, None, None))
            ref = notes_ref(self.meeting, self.occurrence, self.renderer, ctx, issue)
            record = self.notes_store.find(self.meeting, ref, self.occurrence.key)
            existing = dataclasses.replace(existing, notes=record, notes_url=self.notes_url(ref))
            if record is None and not (agenda.empty and self.meeting.agenda.skip_if_empty):
                existing = dataclasses.replace(existing, action_items=self.action_items(previous))
        return dataclasses.replace(existing, events=self._events())

    def _events(self):
        """This occurrence's bot events; a calendar that cannot be read is noted, not fatal here."""
        self._future = None
        try:
            self.calendar = self.services.calendar(self.meeting)
            if self.calendar is None:
                return ()
            return tuple(e for e in self.future_events() if e.key == self.occurrence.key)
        except ServiceError as exc:
            self.calendar, self.calendar_error = None, exc
            return ()
