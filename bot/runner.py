"""One pass over the meetings: read, plan, apply or print; each meeting on its own."""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
from dataclasses import dataclass
from typing import Callable, Mapping

from bot import occurrences as occ_mod
from bot.logs import LOGGER
from bot.apply import Applier
from bot.model import Agenda, EventRecord, Meeting, Occurrence
from bot.plan import CreateIssue, Existing, Options, Plan, notes_ref, plan, plan_sweep, survivor
from bot.ports import Calendar, Conflict, ServiceError, Services  # noqa: F401 - Services re-exported
from bot.render import Links, RenderError, Renderer, build_context
from bot.preview import Preview, PreviewApplier
from bot.report import Outcome, Voice

log = logging.getLogger(LOGGER)

MAX_ROUNDS = 8
SEARCH_HORIZON_DAYS = 400  # how far back, before an occurrence's window, its issue may have been made
SWEEP_DAYS = 400

NOTHING_DUE = (
    "nothing to do: the next meeting is {start} (the bot acts from {opens}); "
    "to prepare it now, run with --date {date}"
)
NO_NEXT = "nothing to do: the schedule has no further meeting"
NOTHING_NEW = "nothing to do: issue #{number} is up to date"
STARTED = "nothing to do: the {date} meeting has started, so it is left as it is"
STARTED_MEANWHILE = "the {date} meeting started during this run: stopped before writing anything more"
UNEXPECTED = "unexpected error: {kind}: {message} (run with --debug for the traceback)"
DEBUG_SELECTED = "%s: occurrence %s, starting %s; the bot acts from %s"
DEBUG_FOUND = "%s: found issues: %s; notes: %s; calendar events: %d"
DEBUG_PLAN = "%s: round %d plans: %s"
ROUNDS_EXCEEDED = "gave up after {rounds} rounds of writes that did not settle; the next run will try again"


class StartedMeanwhile(Exception):
    """The occurrence started while the run was working on it."""


@dataclass(frozen=True)
class RunRequest:
    meeting_ids: tuple[str, ...] = ()
    date: dt.date | None = None
    force: bool = False
    dry_run: bool = False


def run_pass(
    meetings: list[Meeting],
    services: Services,
    renderer: Renderer,
    request: RunRequest,
    clock: Callable[[], dt.datetime],
    out: Callable[[str], None],
    progress: Callable[[str], None] | None = None,
) -> list[Outcome]:
    """Run every meeting, each at the time it starts being processed; a failure is reported and the others go on."""
    outcomes = []
    for meeting in meetings:
        if progress is not None:
            progress(meeting.id)
        outcomes.append(run_meeting(meeting, services, renderer, request, clock, out))
    return outcomes


def run_meeting(meeting, services, renderer, request, clock, out) -> Outcome:
    """One meeting: each outcome line is said once (the summary), warnings and the error go to the log."""
    say, preview = Voice(meeting.id), Preview(meeting.id)
    existing = None
    try:
        existing = _run(meeting, services, renderer, request, clock, preview, say)
    except StartedMeanwhile as exc:
        say(str(exc))
    except (ServiceError, RenderError, occ_mod.NoOccurrenceOn, occ_mod.FeedError) as exc:
        say.fail(str(exc).splitlines()[0] if str(exc) else type(exc).__name__)
    except Exception as exc:  # a bug or an unforeseen library error: this meeting fails, the others go on
        first = str(exc).splitlines()[0] if str(exc) else ""
        say.fail(UNEXPECTED.format(kind=type(exc).__name__, message=first), exc)
    if preview.entries:
        out(preview.render())  # what a dry run would do, even when it stopped part way
    if existing is None:
        return say.outcome()
    notes_url = existing.notes.url if existing.notes is not None else existing.notes_url
    return say.outcome(survivor(existing.issues), notes_url)


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
        say(NOTHING_DUE.format(start=_when(upcoming), opens=_when_dt(upcoming.window_opens), date=upcoming.date))
        return None
    return upcoming


def _when(occurrence: Occurrence) -> str:
    return _when_dt(occurrence.start)


def _when_dt(moment: dt.datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M %Z")


def _run(meeting, services, renderer, request, clock, preview, say) -> Existing | None:
    """The meeting's pass; what exists at its end (None when no occurrence was acted on)."""
    now = clock()
    feeds = fetch_feeds(meeting, services)
    occurrence = _select(meeting, request, now, feeds, say)
    if occurrence is None:
        _sweep_idle(meeting, services, request, now, feeds, preview, say)  # a skipped date still loses its event
        return None
    say.occurrence = occurrence.key
    log.debug(DEBUG_SELECTED, meeting.id, occurrence.key, _when(occurrence), _when_dt(occurrence.window_opens))
    if occ_mod.has_started(occurrence, now):
        say(STARTED.format(date=occurrence.date.isoformat()))
        return None
    previous = occ_mod.previous_occurrence(meeting, occurrence, feeds)
    options = Options(force=request.force, previous_started=bool(previous and occ_mod.has_started(previous, now)))
    agenda = services.agenda.collect(meeting)
    for warning in agenda.warnings:
        say.warn(warning)
    reader = _Reader(meeting, occurrence, previous, services, renderer, now)
    existing = reader.read(agenda)
    _debug_existing(meeting, existing)
    applier = _applier(meeting, services, request, preview, say, reader)
    applier = _BeforeStart(applier, clock, occurrence)
    options = dataclasses.replace(options, calendar=reader.calendar_error is None)
    with services.guard.checking(applier.check):  # the adapters check again right before each write request
        existing = _converge(meeting, occurrence, agenda, existing, now, options, renderer, applier, reader, say)
        if reader.calendar_error is not None:  # the issue and notes are done; the next run completes the event
            say.fail(str(reader.calendar_error).splitlines()[0] or type(reader.calendar_error).__name__)
            return existing
        _sweep(meeting, occurrence, reader, now, feeds, applier, existing)  # a dry run shows what it would cancel
    return existing


def _debug_existing(meeting: Meeting, existing: Existing) -> None:
    """The bot's reasoning under --debug: what it found before planning."""
    issues = ", ".join(f"#{i.number} ({i.state}{'' if i.trusted else ', untrusted'})" for i in existing.issues)
    notes = existing.notes.ref if existing.notes is not None else "none"
    log.debug(DEBUG_FOUND, meeting.id, issues or "none", notes, len(existing.events))


def _applier(meeting, services, request, preview, say, reader):
    if request.dry_run:
        return PreviewApplier(preview, lambda ref: reader.notes_url(ref))
    return Applier(services.issues, reader.notes_store, reader.calendar, say)


def _converge(meeting, occurrence, agenda, existing, now, options, renderer, applier, reader, say) -> Existing:
    """Plan and apply until the plan is empty: each round may unlock the next artifact."""
    wrote = False
    for round_ in range(MAX_ROUNDS):
        current = plan(meeting, occurrence, agenda, existing, now, options, renderer)
        log.debug(DEBUG_PLAN, meeting.id, round_ + 1, ", ".join(type(a).__name__ for a in current.actions) or "nothing")
        for notice in current.notices:
            say(notice)
        for warning in current.warnings:
            say.warn(warning)
        if not current.actions:
            if not wrote and not current.notices and not current.warnings:
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
        log.warning("%s: %s", meeting.id, exc)  # a race, handled by reading again: not an outcome
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


def _sweep_idle(meeting, services, request, now, feeds, preview, say) -> None:
    """No occurrence is due: still cancel the bot's future events of occurrences no longer scheduled."""
    calendar = services.calendar(meeting)
    if calendar is None:
        return
    if request.dry_run:
        applier = PreviewApplier(preview, lambda ref: None)
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

    def __init__(self, meeting, occurrence, previous, services: Services, renderer: Renderer, now) -> None:
        self.meeting, self.occurrence, self.previous = meeting, occurrence, previous
        self.services, self.renderer, self.now = services, renderer, now
        self.notes_store = services.notes(meeting)
        self.calendar: Calendar | None = None
        self.calendar_error: ServiceError | None = None
        self._future = None

    def keys(self) -> tuple[str, ...]:
        if self.previous is not None and self.meeting.issue.close_previous:
            return (self.occurrence.key, self.previous.key)
        return (self.occurrence.key,)

    def issues(self):
        earliest = min(o.window_opens for o in (self.occurrence, self.previous) if o is not None)
        since = min(earliest, self.now) - dt.timedelta(days=SEARCH_HORIZON_DAYS)
        found = self.services.issues.find(self.meeting.repo, self.keys(), since.astimezone(dt.timezone.utc))
        previous = found.get(self.previous.key, ()) if self.previous is not None else ()
        return found.get(self.occurrence.key, ()), survivor(previous)

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
