"""One pass over the meetings: for each, choose the occurrence, read what exists, plan and apply, report."""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
from dataclasses import dataclass
from typing import Callable, Mapping

from bot import occurrences as occ_mod
from bot import lookback
from bot.after_step import AfterStep, MinutesSender
from bot.lookback import ended_occurrences
from bot.apply import Applier
from bot.errors import BotError, Conflict, ServiceError, StartedMeanwhile, one_line, unexpected
from bot.logs import LOGGER
from bot.model import Agenda, IssueRecord, Meeting, Occurrence
from bot.plan import STARTED, Action, CreateIssue, Existing, Options, plan, survivor
from bot.ports import Services
from bot.preview import Preview, PreviewApplier
from bot.report import Outcome, Voice  # Outcome: what a meeting's run returns (defined with its Voice)
from bot.run_inputs import Pass as Pass, RunRequest as RunRequest, Say, Tell as Tell
from bot.sweep import sweep, sweep_idle
from bot.turn import Found, Listing, Ports, Turn, bind, collect, read, read_issues

log = logging.getLogger(LOGGER)

MAX_ROUNDS = 8

NOTHING_DUE = (
    "nothing to do: the next meeting is {start} (the bot acts from {opens}); "
    "to prepare it now, run with --date {date}"
)
NO_NEXT = "nothing to do: the schedule has no further meeting"
NOTHING_NEW = "nothing to do: issue #{number} is up to date"
STARTED_MEANWHILE = "the {date} meeting started during this run: stopped before writing anything more"
DEBUG_SELECTED = "%s: occurrence %s, starting %s; the bot acts from %s"
DEBUG_FOUND = "%s: found issues: %s; notes: %s; calendar events: %d"
DEBUG_PLAN = "%s: round %d plans: %s"
ROUNDS_EXCEEDED = "gave up after {rounds} rounds of writes that did not settle; the next run will try again"

def run_pass(meetings: list[Meeting], run: Pass) -> list[Outcome]:
    """Run every meeting, each at the time it starts being processed; a failure is reported and the others go on."""
    run.services.agenda.expect([m for m in meetings if may_collect(m, run.request, run.clock())])
    outcomes = []
    for meeting in meetings:
        if run.progress is not None:
            run.progress(meeting.id)
        outcomes.append(run_meeting(meeting, run))
    return outcomes


def run_meeting(meeting: Meeting, run: Pass) -> Outcome:
    """One meeting: each outcome line is said once (the summary), warnings and the error go to the log."""
    say, preview = Voice(meeting.id), Preview(meeting.id)
    existing: Existing | None = None
    try:
        existing = _meeting_pass(meeting, run, Tell(say, preview))
    except StartedMeanwhile as exc:
        say(str(exc))
    except BotError as exc:
        say.fail(one_line(exc), exc)
    except Exception as exc:  # a bug or an unforeseen library error: this meeting fails, the others go on
        say.fail(unexpected(exc), exc)
    if preview.entries:
        run.out(preview.render())  # what a dry run would do, even when it stopped part way
    if existing is None:
        return say.outcome()
    notes_url = existing.notes.url if existing.notes is not None else existing.notes_url
    return say.outcome(survivor(existing.issues), notes_url)


def _meeting_pass(meeting: Meeting, run: Pass, tell: Tell) -> Existing | None:
    """The product, step by step: each step takes what the one before returned; what exists at the end
    (None when no occurrence was acted on)."""
    say = tell.say
    now, feeds = run.clock(), fetch_feeds(meeting, run.services)
    occurrence = choose(meeting, run.request, now, feeds, say)
    step = AfterStep(meeting, run.services, run.renderer, say, tell.preview if run.request.dry_run else None,
                     minutes_sender(meeting, run, tell), lambda exc: say.fail(one_line(exc), exc))
    if occurrence is not None:
        say.occurrence = occurrence.key
        log.debug(DEBUG_SELECTED, meeting.id, occurrence.key, _when(occurrence.start), _when(occurrence.window_opens))
    if occurrence is None or occ_mod.has_started(occurrence, now):
        listed = after_only(step, occurrence, now, feeds, run)  # after the meeting: its steps, and cancellations
        if occurrence is None:
            sweep_idle(meeting, now, feeds, run, tell)  # a skipped date still loses its event
            _raise(announce(meeting, feeds, run, tell, listed=listed))  # nothing is announced once a meeting has started
        return None
    turn = prepare(meeting, occurrence, now, feeds, run)
    ports = bind(meeting, run.services)
    found = read(turn, ports, collect(turn, ports, say.warn))
    _debug_found(meeting, found.existing)
    closed = step.cancel_empty(occurrence, survivor(found.existing.issues), found.existing.events,
                               found.agenda.empty, run.request.force)
    if closed is not None:  # the empty agenda cancelled it: the ended ones' steps, then the announcement
        step.run(now, feeds, turn.ended, found=found.listed)
        cancelled = Current(occurrence, found.agenda, dataclasses.replace(found.existing, issues=(closed,)), True)
        _raise(announce(meeting, feeds, run, tell, cancelled, found.listed))
        return found.existing
    writer = _BeforeStart(writer_for(turn, ports, found, run, tell), run.clock, occurrence)
    with run.services.guard.checking(writer.check):  # the adapters check again right before each write request
        existing = converge(turn, found, writer, ports, say)
        failure = announce(meeting, feeds, run, tell, Current(occurrence, found.agenda, existing), found.listed)
        if found.calendar_error is not None:  # the issue and notes are done; the next run completes the event
            say.fail(one_line(found.calendar_error), found.calendar_error)
            return existing
        sweep(turn, found, existing, writer)  # a dry run shows what it would cancel
    step.run(now, feeds, turn.ended, found=as_left(found.listed, existing))
    if failure is not None:  # a failed send is tried again on the next run
        say.fail(one_line(failure), failure)
    return existing


def _debug_found(meeting: Meeting, existing: Existing) -> None:
    """The bot's reasoning under --debug: what it found before planning."""
    issues = ", ".join(f"#{i.number} ({i.state}{'' if i.trusted else ', untrusted'})" for i in existing.issues)
    notes = existing.notes.ref if existing.notes is not None else "none"
    log.debug(DEBUG_FOUND, meeting.id, issues or "none", notes, len(existing.events))


# -- choose --------------------------------------------------------------------------------------


def fetch_feeds(meeting: Meeting, services: Services) -> Mapping[str, str]:
    """The text of each feed the meeting's slots read (ics_url -> text)."""
    return {url: services.fetch_feed(url) for url in occ_mod.feed_urls(meeting)}


def may_collect(meeting: Meeting, request: RunRequest, now: dt.datetime) -> bool:
    """Whether this pass may read the meeting's agenda (so its search can be shared with others'):
    from the schedule alone, without fetching feeds (a meeting that reads a feed may)."""
    if request.date is not None or occ_mod.feed_urls(meeting):
        return True
    upcoming = occ_mod.next_occurrence(meeting, now)
    return upcoming is not None and occ_mod.window_open(upcoming, now)


def choose(meeting: Meeting, request: RunRequest, now: dt.datetime, feeds: occ_mod.Feeds, say: Say) -> Occurrence | None:
    """The occurrence this pass acts on: `--date`'s, or the next one once its window is open."""
    if request.date is not None:
        return occ_mod.occurrence_on(meeting, request.date, force=request.force, feeds=feeds)
    upcoming = occ_mod.next_occurrence(meeting, now, feeds)
    if upcoming is None:
        say(NO_NEXT)
        return None
    if not occ_mod.window_open(upcoming, now):
        say(NOTHING_DUE.format(start=_when(upcoming.start), opens=_when(upcoming.window_opens), date=upcoming.date))
        return None
    return upcoming


def _when(moment: dt.datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M %Z")


def prepare(meeting: Meeting, occurrence: Occurrence, now: dt.datetime, feeds: occ_mod.Feeds, run: Pass) -> Turn:
    previous = occ_mod.previous_occurrence(meeting, occurrence, feeds)
    started = bool(previous and occ_mod.has_started(previous, now))
    options = Options(force=run.request.force, previous_started=started)
    ended = ended_occurrences(meeting, now, feeds, run.request.date, run.request.force)
    return Turn(meeting, occurrence, previous, now, feeds, options, run.renderer, ended)


# -- after the meeting ---------------------------------------------------------------------------


def after_only(step: AfterStep, occurrence: Occurrence | None, now: dt.datetime, feeds: occ_mod.Feeds, run: Pass) -> Listing:
    """No occurrence to prepare (none due, or it has started): the ended ones' steps, the cancellations;
    the issue listing they read (none when nothing could be due)."""
    ended = ended_occurrences(step.meeting, now, feeds, run.request.date, run.request.force)
    if occurrence is not None and occurrence not in ended:
        step.say(STARTED.format(date=occurrence.date.isoformat()))
    return step.run(now, feeds, ended)


def as_left(listed: Listing, existing: Existing) -> dict[str, tuple[IssueRecord, ...]]:
    """The listing with the issues as this pass left them (the previous one may have been closed)."""
    left = {i.number: i for i in (*existing.issues, *((existing.previous,) if existing.previous else ()))}
    return {key: tuple(left.get(i.number, i) for i in issues) for key, issues in listed.items()}


# -- announce ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Current:
    """The occurrence this pass acted on, with its agenda and artifacts as they are after the writes."""

    occurrence: Occurrence
    agenda: Agenda
    existing: Existing
    cancelled_here: bool = False  # this pass closed its issue as not planned (skip_if_empty)


def announce(
    meeting: Meeting, feeds: occ_mod.Feeds, run: Pass, tell: Tell, current: Current | None = None,
    listed: Listing | None = None,
) -> ServiceError | None:
    """Announcements (bot.announcing): the occurrence's due kinds, then cancellations of dropped ones (found
    in the pass's issue listing); the first failed send, reported once the other steps are done. A dry
    run's go to the plan."""
    if not meeting.announce.targets:
        return None  # Apprise is imported only by a meeting that announces
    from bot.announcing import Announcements

    step = Announcements(meeting, run, tell.say, tell.preview)
    if current is not None:
        step.occurrence(current.occurrence, current.agenda, current.existing, current.cancelled_here)
    step.dropped(feeds, keep=current.occurrence.key if current is not None else None, listed=listed)
    return step.failure()


def minutes_sender(meeting: Meeting, run: Pass, tell: Tell) -> MinutesSender | None:
    """What announces the minutes once the after-meeting steps are done, for a meeting that announces them."""
    if not lookback.announces_minutes(meeting):
        return None
    from bot.announcing import Announcements

    return Announcements(meeting, run, tell.say, tell.preview)


def _raise(failure: BotError | None) -> None:
    if failure is not None:
        raise failure


# -- plan and apply ------------------------------------------------------------------------------


def writer_for(turn: Turn, ports: Ports, found: Found, run: Pass, tell: Tell) -> Applier | PreviewApplier:
    if run.request.dry_run:
        notes = ports.notes
        return PreviewApplier(tell.preview, lambda ref: notes.url_for(turn.meeting, ref) if notes else None)
    calendar = ports.calendar if found.calendar_error is None else None
    return Applier(ports.issues, ports.notes, calendar, tell.say)


def converge(turn: Turn, found: Found, writer: _BeforeStart, ports: Ports, say: Voice) -> Existing:
    """Plan and apply until the plan is empty: each round may unlock the next artifact."""
    options = dataclasses.replace(turn.options, calendar=found.calendar_error is None)
    existing, wrote = found.existing, False
    for round_ in range(MAX_ROUNDS):
        current = plan(turn.meeting, turn.occurrence, found.agenda, existing, turn.now, options, turn.renderer)
        log.debug(DEBUG_PLAN, turn.meeting.id, round_ + 1, ", ".join(type(a).__name__ for a in current.actions) or "nothing")
        for notice in current.notices:
            say(notice)
        for warning in current.warnings:
            say.warn(warning)
        if not current.actions:
            issue = survivor(existing.issues)
            if not wrote and not current.notices and not current.warnings and issue is not None:
                say(NOTHING_NEW.format(number=issue.number))
            return existing
        wrote = True
        try:
            existing = _apply_all(turn.meeting, current.actions, existing, writer)
        except Conflict as exc:  # a write lost a race: plan again from what is there now
            log.warning("%s: %s", turn.meeting.id, exc)
            existing = read(turn, ports, found.agenda).existing
            continue
        if writer.writes and any(isinstance(action, CreateIssue) for action in current.actions):
            existing = _with_listed(existing, read_issues(turn, ports)[0])
    raise ServiceError(ROUNDS_EXCEEDED.format(rounds=MAX_ROUNDS))


def _apply_all(meeting: Meeting, actions: tuple[Action, ...], existing: Existing, writer: _BeforeStart) -> Existing:
    for action in actions:
        existing = writer.apply(meeting, action, existing)
    return existing


def _with_listed(existing: Existing, listed: tuple[IssueRecord, ...]) -> Existing:
    """Another run may have created the same issue at the same moment: look again, keeping what this
    run made even if the listing has not caught up with it yet."""
    known = {issue.number: issue for issue in (*existing.issues, *listed)}
    return dataclasses.replace(existing, issues=tuple(sorted(known.values(), key=lambda issue: issue.number)))


class _BeforeStart:
    """Checks the clock before every write: a meeting that starts during a slow pass is left alone."""

    def __init__(self, writer: Applier | PreviewApplier, clock: Callable[[], dt.datetime], occurrence: Occurrence) -> None:
        self.writer, self.clock, self.occurrence = writer, clock, occurrence
        self.writes = writer.writes

    def check(self) -> None:
        if occ_mod.has_started(self.occurrence, self.clock()):
            raise StartedMeanwhile(STARTED_MEANWHILE.format(date=self.occurrence.date.isoformat()))

    def apply(self, meeting: Meeting, action: Action, existing: Existing) -> Existing:
        self.check()
        return self.writer.apply(meeting, action, existing)
