"""The commands behind the CLI: run, a worker's pass, matrix, check, agenda, next, publish, init; each returns its exit code."""

from __future__ import annotations

import argparse
import datetime as dt
import functools
import json
import logging
import sys
import zoneinfo
from pathlib import Path
from typing import Callable, Sequence, TextIO

from bot import agenda as agenda_mod
from bot import logs, occurrences, shards, suggest, upcoming
from bot.config import load_meetings
from bot.errors import EXIT_FAILED, EXIT_OK, EXIT_USAGE, BotError, ConfigError, UsageError
from bot.after_step import carried_over
from bot.model import Agenda, Meeting, Problem
from bot.plan import survivor
from bot.ports import Services
from bot.render import Renderer
from bot.render_check import check_templates
from bot.report import Outcome
from bot.runner import Pass, RunRequest, fetch_feeds, run_pass
from bot.settings import DEFAULT_TEMPLATES_DIR, Settings

WHICH_MEETING = "meeting-bot: there are several meetings: name one with --meeting ID (known: {known})"
UNKNOWN_MEETING = "meeting-bot: unknown meeting {id!r}{hint} (known: {known})"
CHECK_OK = "{count} meeting file(s) and their templates are valid ({names})"
CHECK_FAILED = "{count} problem(s) found"
PASS_SUMMARY = "{ok} meeting(s) done, {failed} failed"
COUNT_TOO_SMALL = "--count must be at least 1"

log = logging.getLogger(logs.LOGGER)

Wiring = Callable[[Settings, Sequence[Meeting]], Services]

PROGRESS = "{meeting}: working on it..."


def _print(text: str) -> None:
    print(text, flush=True)


class App:
    """What every command needs, made once per process: arguments, settings, renderer, services."""

    def __init__(
        self, args: argparse.Namespace, settings: Settings, clock: Callable[[], dt.datetime], wire: Wiring
    ) -> None:
        self.args, self.settings, self._wire = args, settings, wire
        self.clock: Callable[[], dt.datetime] = (lambda: args.now) if args.now is not None else clock
        self.config_dir = Path(args.config or settings.config_dir)
        self.templates_dir = Path(getattr(args, "templates", None) or DEFAULT_TEMPLATES_DIR)
        self._services: Services | None = None

    @functools.cached_property
    def renderer(self) -> Renderer:
        """One renderer for the process; Jinja reloads a template file that changed on disk."""
        return Renderer(self.templates_dir if self.templates_dir.is_dir() else None)

    def services(self, meetings: Sequence[Meeting]) -> Services:
        """The wired adapters, made once per process, so a worker keeps its client (and its App token)."""
        if self._services is None:
            self._services = self._wire(self.settings, meetings)
        return self._services

    def read(self, templates: bool = False) -> tuple[list[Meeting], list[Problem]]:
        """The meetings and every problem found (with `templates`, of the templates too)."""
        meetings, problems = load_meetings(self.config_dir, self.renderer.exists, self.renderer.names())
        if templates:
            problems += [problem for meeting in meetings for problem in check_templates(self.renderer, meeting)]
        return meetings, problems

    def load(self, templates: bool = False) -> list[Meeting]:
        """The meetings, or ConfigError carrying every problem."""
        meetings, problems = self.read(templates)
        if problems:
            raise ConfigError("\n".join(str(problem) for problem in problems))
        return meetings

    def select(self, meetings: list[Meeting], ids: Sequence[str]) -> list[Meeting]:
        known = {meeting.id: meeting for meeting in meetings}
        for meeting_id in ids:
            if meeting_id not in known:
                hint = suggest.hint(meeting_id, known)
                raise UsageError(UNKNOWN_MEETING.format(id=meeting_id, hint=hint, known=", ".join(known) or "none"))
        return [known[i] for i in dict.fromkeys(ids)] if ids else meetings

    def only(self, meetings: list[Meeting], meeting_id: str | None) -> Meeting:
        """The meeting named, or the only one there is."""
        if meeting_id is None:
            if len(meetings) != 1:
                raise UsageError(WHICH_MEETING.format(known=", ".join(m.id for m in meetings)))
            return meetings[0]
        (meeting,) = self.select(meetings, [meeting_id])
        return meeting


def one_pass(app: App, meetings: list[Meeting], request: RunRequest) -> int:
    """One pass with the services wired for this process; the exit code of the pass.

    Text logs: what each meeting did is one summary line on stdout, and stderr carries only what stdout
    does not (warnings, errors, --debug). JSON logs: what it did is records on stderr, stdout stays
    empty but for a dry run's plan. Either way no fact is said twice where the two streams are merged.
    """
    text = app.args.log_format == "text"
    progress = _progress if text and _is_terminal(sys.stderr) else None
    outcomes = run_pass(meetings, Pass(app.services(meetings), app.renderer, request, app.clock, _print, progress))
    if text:
        for outcome in outcomes:
            if outcome.summary():
                _print(outcome.summary())
    _write_outcomes(getattr(app.args, "outcomes_json", None), outcomes)
    failed = sum(1 for outcome in outcomes if not outcome.ok)
    log.info(PASS_SUMMARY.format(ok=len(outcomes) - failed, failed=failed))
    return EXIT_FAILED if failed else EXIT_OK


def _is_terminal(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


def _progress(meeting_id: str) -> None:
    """On a terminal only: which meeting is being worked on (a long pass is otherwise silent)."""
    print(PROGRESS.format(meeting=meeting_id), file=sys.stderr, flush=True)


def _write_outcomes(path: str | None, outcomes: Sequence[Outcome]) -> None:
    """Each meeting's outcome as JSON, for a caller such as the GitHub Action (`--outcomes-json`)."""
    if path:
        text = json.dumps([o.as_json() for o in outcomes], indent=2, ensure_ascii=False)
        Path(path).write_text(text + "\n", encoding="utf-8")


def run(app: App) -> int:
    meetings = app.select(app.load(templates=True), app.args.meeting)
    if app.args.shard is not None:
        meetings = shards.select(meetings, *app.args.shard)
    request = RunRequest(tuple(m.id for m in meetings), app.args.date, app.args.force, app.args.dry_run)
    return one_pass(app, meetings, request)


def worker_pass(app: App) -> int:
    """A worker's pass: the meeting files are read again each time, so edits take effect."""
    return one_pass(app, app.load(templates=True), RunRequest())


def matrix(app: App) -> int:
    _print(shards.matrix(app.args.shards))
    return EXIT_OK


def check(app: App) -> int:
    meetings, problems = app.read(templates=True)
    for problem in problems:
        _print(str(problem))
    if problems:
        _print(CHECK_FAILED.format(count=len(problems)))
        return EXIT_USAGE
    _print(CHECK_OK.format(count=len(meetings), names=", ".join(m.id for m in meetings)))
    return EXIT_OK


def agenda(app: App) -> int:
    meeting = app.only(app.load(), app.args.meeting)
    try:
        services = app.services([meeting])
        found = _carried_over(meeting, services, services.agenda.collect(meeting), app.clock())
    except BotError as exc:
        log.error("%s: %s", meeting.id, exc)
        return EXIT_FAILED
    for warning in found.warnings:
        log.warning("%s: %s", meeting.id, warning)
    fmt = agenda_mod.agenda_json if app.args.format == "json" else agenda_mod.agenda_markdown
    _print(fmt(found).rstrip("\n"))
    return EXIT_OK


def _carried_over(meeting: Meeting, services: Services, found: Agenda, now: dt.datetime) -> Agenda:
    """The agenda with the date each item first appeared, read from the previous meeting's issue."""
    if not meeting.after.carry_over:
        return found
    feeds = fetch_feeds(meeting, services)
    coming = occurrences.next_occurrence(meeting, now, feeds)
    previous = occurrences.previous_occurrence(meeting, coming, feeds) if coming else None
    if previous is None:
        return found
    since = (previous.window_opens - dt.timedelta(days=1)).astimezone(dt.timezone.utc)
    issues = services.issues.find(meeting.repo, (previous.key,), since)
    return carried_over(meeting, found, previous, survivor(tuple(issues.get(previous.key, ()))))


def next_(app: App) -> int:
    meetings = app.select(app.load(), app.args.meeting)
    if app.args.count < 1:
        raise UsageError(COUNT_TOO_SMALL)
    services = app.services(meetings)
    found, failed = [], False
    for meeting in meetings:
        try:
            feeds = fetch_feeds(meeting, services)
            found.extend(occurrences.next_occurrences(meeting, _from(app, meeting), app.args.count, feeds))
        except BotError as exc:
            log.error("%s: %s", meeting.id, exc)
            failed = True
    found.sort(key=lambda o: (o.start_utc, o.meeting_id))
    _print(upcoming.render(found, app.args.format).rstrip("\n"))
    return EXIT_FAILED if failed else EXIT_OK


def _from(app: App, meeting: Meeting) -> dt.datetime:
    if app.args.from_date is None:
        return app.clock()
    zone = zoneinfo.ZoneInfo(meeting.timezone)
    return dt.datetime.combine(app.args.from_date, dt.time(0, 0), zone)


def publish(app: App) -> int:
    from bot.publish import PublishError, PublishRequest, publish as write_site

    meetings = app.load(templates=True)
    request = PublishRequest(app.args.out, app.args.weeks, app.args.url)
    try:
        done = write_site(meetings, app.services(meetings), app.renderer, request, app.clock(), _print)
    except PublishError as exc:
        raise UsageError(str(exc)) from None
    return EXIT_OK if done else EXIT_FAILED


def init(app: App) -> int:
    """A first, commented meeting file (and the default templates when asked); no network."""
    import os

    from bot.init import NEXT_STEPS, InitError, init as write_files

    repo = app.args.repo or os.environ.get("GITHUB_REPOSITORY")
    target = Path(app.args.templates) if app.args.templates else None
    try:
        said = write_files(app.config_dir, app.args.id, repo, app.args.label, app.args.timezone, target, app.clock().date())
    except InitError as exc:
        raise UsageError(str(exc)) from None
    for line in said:
        _print(line)
    config = "" if app.args.config is None and app.settings.config_dir == "config" else f" --config {app.config_dir}"
    _print(NEXT_STEPS.format(path=app.config_dir / f"{app.args.id}.toml", config=config))
    return EXIT_OK
