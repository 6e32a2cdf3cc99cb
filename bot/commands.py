"""The commands behind the CLI: run, worker, check, agenda, next."""

from __future__ import annotations

import datetime as dt
import logging
import zoneinfo

from bot import logs
from bot.cli import CHECK_FAILED, CHECK_OK, EXIT_FAILED, EXIT_OK, EXIT_USAGE, PASS_SUMMARY, Context, UsageError

log = logging.getLogger(logs.LOGGER)


def _print(text: str) -> None:
    print(text, flush=True)


def one_pass(ctx: Context, meetings, renderer, request) -> int:
    """One pass with the services wired for this process; the exit code of the pass."""
    from bot.runner import run_pass

    services = ctx.services(meetings)
    outcomes = run_pass(meetings, services, renderer, request, ctx.clock, _print)
    for outcome in outcomes:
        _print(outcome.summary())
    failed = sum(1 for o in outcomes if not o.ok)
    log.info(PASS_SUMMARY.format(ok=len(outcomes) - failed, failed=failed))
    return EXIT_FAILED if failed else EXIT_OK


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
    meetings, problems = load_meetings(ctx.config_dir, renderer.exists)
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
    (meeting,) = ctx.select(meetings, [ctx.args.meeting])
    try:
        services = ctx.services([meeting])
        agenda = services.agenda.collect(meeting)
        agenda = _carried_over(meeting, services, agenda, ctx.clock())
    except ServiceError as exc:
        log.error("%s: %s", meeting.id, exc)
        return EXIT_FAILED
    fmt = agenda_mod.agenda_json if ctx.args.format == "json" else agenda_mod.agenda_markdown
    _print(fmt(agenda).rstrip("\n"))
    return EXIT_OK


def _carried_over(meeting, services, agenda, now):
    """The agenda with the date each item first appeared, read from the previous meeting's issue."""
    from bot import occurrences
    from bot.after_step import carried_over
    from bot.plan import survivor
    from bot.runner import fetch_feeds

    if not meeting.after.carry_over:
        return agenda
    feeds = fetch_feeds(meeting, services)
    upcoming = occurrences.next_occurrence(meeting, now, feeds)
    previous = occurrences.previous_occurrence(meeting, upcoming, feeds) if upcoming else None
    if previous is None:
        return agenda
    since = (previous.window_opens - dt.timedelta(days=1)).astimezone(dt.timezone.utc)
    found = services.issues.find(meeting.repo, (previous.key,), since)
    return carried_over(meeting, agenda, previous, survivor(found.get(previous.key, ())))


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
