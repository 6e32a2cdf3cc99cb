"""The `meeting-bot` command: parses arguments, reads settings once, wires once, sets exit codes."""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import traceback
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Mapping, Sequence

from bot import http_log, logs
from bot import settings as settings_mod
from bot.adapters import wire
from bot.errors import EXIT_FAILED, EXIT_USAGE, BotError, UsageError, one_line, unexpected
from bot.timefmt import parse_duration
from bot.worker import Worker

if TYPE_CHECKING:
    from bot.commands import App

PROGRAM = "meeting-bot: "
BAD_EVERY = "--every: {error}"
BAD_MOMENT = "not a moment with a UTC offset (like 2023-09-04T12:00:00Z): {value!r}"
BAD_DATE = "not a date (YYYY-MM-DD): {value!r}"


def _date(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(BAD_DATE.format(value=value)) from None


def _moment(value: str) -> dt.datetime:
    try:
        moment = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        moment = None
    if moment is None or moment.tzinfo is None:
        raise argparse.ArgumentTypeError(BAD_MOMENT.format(value=value))
    return moment


def _shard(value: str) -> tuple[int, int]:
    from bot.shards import ShardError, parse

    try:
        return parse(value)
    except ShardError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _shard_count(value: str) -> int:
    from bot.shards import ShardError, parse_count

    try:
        return parse_count(value)
    except ShardError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _common(suppress: bool = False, templates: bool = True) -> argparse.ArgumentParser:
    """The options every command takes; a subcommand's copy must not reset what came before it."""
    common = argparse.ArgumentParser(add_help=False, argument_default=argparse.SUPPRESS if suppress else None)
    common.add_argument("--config", metavar="DIR", help="meeting files (default: $MEETING_BOT_CONFIG, else ./config)")
    if templates:
        common.add_argument("--templates", metavar="DIR", help="templates (default: ./templates, else the built-in ones)")
    common.add_argument(
        "--debug", action="store_true", help="debug logging, and tracebacks on errors",
        default=argparse.SUPPRESS if suppress else False,
    )
    common.add_argument(
        "--log-format", choices=("text", "json"), help="log format on stderr (default text)",
        default=argparse.SUPPRESS if suppress else "text",
    )
    common.add_argument("--now", type=_moment, metavar="ISO8601", help="act as if it were this moment (previews, tests)")
    return common


def build_parser() -> argparse.ArgumentParser:
    common = _common(suppress=True)
    parser = argparse.ArgumentParser(
        prog="meeting-bot",
        description="Prepares recurring meetings: agenda from labels, meeting issue, notes and calendar event.",
        parents=[_common()],
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    run = sub.add_parser("run", parents=[common], help="one pass over the meetings")
    run.add_argument("--meeting", action="append", default=[], metavar="ID", help="only this meeting (repeatable)")
    run.add_argument("--date", type=_date, metavar="YYYY-MM-DD", help="the occurrence on this local date")
    run.add_argument("--force", action="store_true", help="act where a skip rule would skip; allow an off-schedule --date")
    run.add_argument("--dry-run", action="store_true", help="print what would be done; write nothing anywhere")
    run.add_argument("--shard", type=_shard, metavar="K/N", help="only shard K of N (stable across runs)")
    run.add_argument("--outcomes-json", metavar="FILE", help="also write each meeting's outcome as JSON (the Action reads it)")
    worker = sub.add_parser("worker", parents=[common], help="run a pass now and then every DURATION")
    worker.add_argument("--every", default="1h", metavar="DURATION", help="30s, 15m, 1h, 1d (default 1h)")
    sub.add_parser("check", parents=[common], help="validate meeting files and templates; no network")
    agenda = sub.add_parser("agenda", parents=[common], help="print a meeting's current agenda")
    agenda.add_argument("--meeting", metavar="ID", help="which meeting (needed only when there are several)")
    agenda.add_argument("--format", choices=("markdown", "json"), default="markdown")
    _init_parser(sub)
    nxt = sub.add_parser("next", parents=[common], help="print the next occurrences")
    nxt.add_argument("--meeting", action="append", default=[], metavar="ID")
    nxt.add_argument("--count", type=int, default=5, metavar="N")
    nxt.add_argument("--from", dest="from_date", type=_date, metavar="YYYY-MM-DD")
    nxt.add_argument("--format", choices=("text", "json"), default="text")
    matrix = sub.add_parser("matrix", parents=[common], help="print a GitHub Actions matrix of N shards")
    matrix.add_argument("--shards", type=_shard_count, required=True, metavar="N")
    publish = sub.add_parser("publish", parents=[common], help="write the static site: page, iCalendar feeds, JSON")
    publish.add_argument("--out", required=True, type=Path, metavar="DIR", help="where the site goes")
    publish.add_argument("--weeks", type=int, default=8, metavar="N", help="weeks ahead on the page (default 8)")
    publish.add_argument("--url", metavar="URL", help="the site's public URL, for webcal:// and https subscribe links")
    return parser


def _init_parser(sub: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    from bot.init import DEFAULT_ID, DEFAULT_TEMPLATES_TARGET, DEFAULT_TIMEZONE

    init = sub.add_parser("init", parents=[_common(suppress=True, templates=False)],
                          help="write a first, commented meeting file (and the templates if asked)")
    init.add_argument("--id", default=DEFAULT_ID, metavar="ID", help=f"the meeting id and file name (default {DEFAULT_ID})")
    init.add_argument("--repo", metavar="OWNER/NAME", help="where the meeting issues go (default: $GITHUB_REPOSITORY)")
    init.add_argument("--label", metavar="LABEL", help="the agenda label (default: ID-agenda)")
    init.add_argument("--timezone", default=DEFAULT_TIMEZONE, metavar="ZONE", help="an IANA zone (default UTC)")
    init.add_argument("--templates", nargs="?", const=DEFAULT_TEMPLATES_TARGET, default=None, metavar="DIR",
                      help=f"also copy the default templates into DIR (default ./{DEFAULT_TEMPLATES_TARGET})")


def _now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def _worker(app: App) -> int:
    from bot.commands import worker_pass

    try:
        every = parse_duration(app.args.every)
    except ValueError as exc:
        raise UsageError(BAD_EVERY.format(error=exc)) from None
    app.load(templates=True)  # fail fast on a broken configuration
    return Worker(lambda: worker_pass(app), every).run()


def _dispatch(args: argparse.Namespace, settings: settings_mod.Settings, clock: Callable[[], dt.datetime]) -> int:
    """The command named on the command line; its modules are imported only now, so --help stays light."""
    from bot import commands

    app = commands.App(args, settings, clock, wire)
    match args.command:
        case "run":
            return commands.run(app)
        case "worker":
            return _worker(app)
        case "check":
            return commands.check(app)
        case "agenda":
            return commands.agenda(app)
        case "matrix":
            return commands.matrix(app)
        case "publish":
            return commands.publish(app)
        case "init":
            return commands.init(app)
        case _:  # "next": argparse accepts no other command
            return commands.next_(app)


def main(
    argv: Sequence[str] | None = None, env: Mapping[str, str] | None = None, clock: Callable[[], dt.datetime] = _now
) -> int:
    args = build_parser().parse_args(argv)
    secrets: tuple[str, ...] = ()
    try:
        settings_mod.load_dotenv_file(Path.cwd())
        settings = settings_mod.from_environment(env)
        secrets = settings.secrets()
        logs.setup(args.log_format, args.debug, secrets)
        logs.adopt(None)  # every other library's warnings: our format, secrets masked
        http_log.install()  # each request as one debug line, and counted
        return _dispatch(args, settings, clock)
    except UsageError as exc:
        print(logs.redact(str(exc), secrets), file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        return EXIT_FAILED
    except BotError as exc:
        print(logs.redact(PROGRAM + one_line(exc), secrets), file=sys.stderr)
        return EXIT_FAILED
    except Exception as exc:  # a bug: one line, or the traceback with --debug; secrets masked either way
        text = "".join(traceback.format_exception(exc)) if args.debug else PROGRAM + unexpected(exc)
        print(logs.redact(text, secrets), file=sys.stderr)
        return EXIT_FAILED
