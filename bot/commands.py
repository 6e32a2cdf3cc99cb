"""The commands behind the CLI: run, worker, check, agenda, next, init."""

from __future__ import annotations

import datetime as dt
import json
import logging
import sys
import zoneinfo
from pathlib import Path

from bot import logs
from bot.cli import CHECK_FAILED, CHECK_OK, EXIT_FAILED, EXIT_OK, EXIT_USAGE, PASS_SUMMARY, Context, UsageError

log = logging.getLogger(logs.LOGGER)

PROGRESS = "{meeting}: working on it..."


def _print(text: str) -> None:
    print(text, flush=True)


def one_pass(ctx: Context, meetings, renderer, request) -> int:
    """One pass with the services wired for this process; the exit code of the pass.

    Text logs: what each meeting did is one summary line on stdout, and stderr carries only what stdout
    does not (warnings, errors, --debug). JSON logs: what it did is records on stderr, stdout stays
    empty but for a dry run's plan. Either way no fact is said twice where the two streams are merged.
    """
    from bot.runner import run_pass

    services = ctx.services(meetings)
    progress = _progress if ctx.args.log_format == "text" and _is_terminal(sys.stderr) else None
    outcomes = run_pass(meetings, services, renderer, request, ctx.clock, _print, progress)
    if ctx.args.log_format == "text":
        for outcome in outcomes:
            if outcome.summary():
                _print(outcome.summary())
    _write_outcomes(getattr(ctx.args, "outcomes_json", None), outcomes)
    failed = sum(1 for o in outcomes if not o.ok)
    log.info(PASS_SUMMARY.format(ok=len(outcomes) - failed, failed=failed))
    return EXIT_FAILED if failed else EXIT_OK


def _is_terminal(stream) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


def _progress(meeting_id: str) -> None:
    """On a terminal only: which meeting is being worked on (a long pass is otherwise silent)."""
    print(PROGRESS.format(meeting=meeting_id), file=sys.stderr, flush=True)


def _write_outcomes(path: str | None, outcomes) -> None:
    """Each meeting's outcome as JSON, for a caller such as the GitHub Action (`--outcomes-json`)."""
    if path:
        text = json.dumps([o.as_json() for o in outcomes], indent=2, ensure_ascii=False)
        Path(path).write_text(text + "\n", encoding="utf-8")


def cmd_run(ctx: Context) -> int:
    from bot.runner import RunRequest

    meetings, renderer = ctx.load(templates=True)
    meetings = ctx.select(meetings, ctx.args.meeting)
    if ctx.args.shard is not None:
        from bot import shards

        meetings = shards.select(meetings, *ctx.args.shard)
    request = RunRequest(tuple(m.id for m in meetings), ctx.args.date, ctx.args.force, ctx.args.dry_run)
    return one_pass(ctx, meetings, renderer, request)


def cmd_worker(ctx: Context) -> int:
    from bot.timefmt import parse_duration
    from bot.worker import Worker

    try:
        every = parse_duration(ctx.args.every)
    except ValueError as exc:
        raise UsageError(f"--every: {exc}") from None
    ctx.load(templates=True)  # fail fast on a broken configuration
    return Worker(lambda: _worker_pass(ctx), every).run()


def _worker_pass(ctx: Context) -> int:
    from bot.runner import RunRequest

    meetings, renderer = ctx.load(templates=True)  # re-read each pass, so edits take effect
    return one_pass(ctx, meetings, renderer, RunRequest())


def cmd_matrix(ctx: Context) -> int:
    from bot import shards

    _print(shards.matrix(ctx.args.shards))
    return EXIT_OK


def cmd_check(ctx: Context) -> int:
    from bot.config import load_meetings

    renderer = ctx.renderer()
    meetings, problems = load_meetings(ctx.config_dir, renderer.exists, renderer.names())
    for meeting in meetings:
        problems.extend(renderer.check_templates(meeting))
    for problem in problems:
        _print(str(problem))
    if problems:
        _print(CHECK_FAILED.format(count=len(problems)))
        return EXIT_USAGE
    _print(CHECK_OK.format(count=len(meetings), names=", ".join(m.id for m in meetings)))
    return EXIT_OK


def cmd_agenda(ctx: Context) -> int:
    from bot import agenda as agenda_mod
    from bot.ports import ServiceError

    meetings, _ = ctx.load()
    meeting = ctx.only(meetings, ctx.args.meeting)
    try:
        agenda = ctx.services([meeting]).agenda.collect(meeting)
    except ServiceError as exc:
        log.error("%s: %s", meeting.id, exc)
        return EXIT_FAILED
    fmt = agenda_mod.agenda_json if ctx.args.format == "json" else agenda_mod.agenda_markdown
    _print(fmt(agenda).rstrip("\n"))
    return EXIT_OK


def cmd_next(ctx: Context) -> int:
    from bot import occurrences, upcoming
    from bot.ports import ServiceError
    from bot.runner import fetch_feeds

    meetings, _ = ctx.load()
    meetings = ctx.select(meetings, ctx.args.meeting)
    if ctx.args.count < 1:
        raise UsageError("--count must be at least 1")
    services = ctx.services(meetings)
    found, failed = [], False
    for meeting in meetings:
        try:
            feeds = fetch_feeds(meeting, services)
            start = _from(ctx, meeting)
            found.extend(occurrences.next_occurrences(meeting, start, ctx.args.count, feeds))
        except (ServiceError, occurrences.FeedError) as exc:
            log.error("%s: %s", meeting.id, exc)
            failed = True
    found.sort(key=lambda o: (o.start_utc, o.meeting_id))
    _print(upcoming.render(found, ctx.args.format).rstrip("\n"))
    return EXIT_FAILED if failed else EXIT_OK


def _from(ctx: Context, meeting) -> dt.datetime:
    if ctx.args.from_date is None:
        return ctx.clock()
    zone = zoneinfo.ZoneInfo(meeting.timezone)
    return dt.datetime.combine(ctx.args.from_date, dt.time(0, 0), zone)


def cmd_init(ctx: Context) -> int:
    import os

    from bot.init import NEXT_STEPS, InitError, init

    repo = ctx.args.repo or os.environ.get("GITHUB_REPOSITORY")
    target = Path(ctx.args.templates) if ctx.args.templates else None
    try:
        said = init(ctx.config_dir, ctx.args.id, repo, ctx.args.label, ctx.args.timezone, target, ctx.clock().date())
    except InitError as exc:
        raise UsageError(str(exc)) from None
    for line in said:
        _print(line)
    config = "" if ctx.args.config is None and ctx.settings.config_dir == "config" else f" --config {ctx.config_dir}"
    _print(NEXT_STEPS.format(path=ctx.config_dir / f"{ctx.args.id}.toml", config=config))
    return EXIT_OK
