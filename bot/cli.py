"""The `meeting-bot` command: parses arguments, reads settings once, wires once, sets exit codes."""

from __future__ import annotations

import argparse
import datetime as dt
import logging
import sys
import traceback
from pathlib import Path
from typing import Callable, Sequence

from bot import http_log, logs, suggest
from bot.settings import DEFAULT_TEMPLATES_DIR, Settings, SettingsError

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2

WHICH_MEETING = "meeting-bot: there are several meetings: name one with --meeting ID (known: {known})"
UNKNOWN_MEETING = "meeting-bot: unknown meeting {id!r}{hint} (known: {known})"
CHECK_OK = "{count} meeting file(s) and their templates are valid ({names})"
CHECK_FAILED = "{count} problem(s) found"
UNEXPECTED = "meeting-bot: unexpected error: {kind}: {message} (run with --debug for the traceback)"
BAD_MOMENT = "not a moment with a UTC offset (like 2023-09-04T12:00:00Z): {value!r}"
BAD_DATE = "not a date (YYYY-MM-DD): {value!r}"
PASS_SUMMARY = "{ok} meeting(s) done, {failed} failed"

log = logging.getLogger(logs.LOGGER)


class UsageError(Exception):
    """Bad arguments or configuration: exit code 2."""


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
        **({} if suppress else {"default": False}),
    )
    common.add_argument(
        "--log-format", choices=("text", "json"), help="log format on stderr (default text)",
        **({} if suppress else {"default": "text"}),
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
    return parser


def _init_parser(sub) -> None:
    from bot.init import DEFAULT_ID, DEFAULT_TEMPLATES_TARGET, DEFAULT_TIMEZONE

    init = sub.add_parser("init", parents=[_common(suppress=True, templates=False)],
                          help="write a first, commented meeting file (and the templates if asked)")
    init.add_argument("--id", default=DEFAULT_ID, metavar="ID", help=f"the meeting id and file name (default {DEFAULT_ID})")
    init.add_argument("--repo", metavar="OWNER/NAME", help="where the meeting issues go (default: $GITHUB_REPOSITORY)")
    init.add_argument("--label", metavar="LABEL", help="the agenda label (default: ID-agenda)")
    init.add_argument("--timezone", default=DEFAULT_TIMEZONE, metavar="ZONE", help="an IANA zone (default UTC)")
    init.add_argument("--templates", nargs="?", const=DEFAULT_TEMPLATES_TARGET, default=None, metavar="DIR",
                      help=f"also copy the default templates into DIR (default ./{DEFAULT_TEMPLATES_TARGET})")


class Context:
    """What every command needs: arguments, settings, meetings and the renderer, made once."""

    def __init__(self, args: argparse.Namespace, settings: Settings, clock: Callable[[], dt.datetime]) -> None:
        self.args, self.settings = args, settings
        self.clock = (lambda: args.now) if args.now is not None else clock
        self.config_dir = Path(args.config or settings.config_dir)
        self.templates_dir = Path(args.templates or DEFAULT_TEMPLATES_DIR)
        self._services = None

    def services(self, meetings):
        """The wired adapters, made once per process, so a worker keeps its client (and its App token)."""
        if self._services is None:
            from bot.adapters import wire

            self._services = wire(self.settings, meetings)
        return self._services

    def renderer(self):
        from bot.render import Renderer

        return Renderer(self.templates_dir if self.templates_dir.is_dir() else None)

    def load(self, templates: bool = False):
        """The meetings, or UsageError carrying every problem (with `templates`, of the templates too)."""
        from bot.config import load_meetings

        renderer = self.renderer()
        meetings, problems = load_meetings(self.config_dir, renderer.exists, renderer.names())
        if templates:
            problems += [p for meeting in meetings for p in renderer.check_templates(meeting)]
        if problems:
            raise UsageError("\n".join(str(p) for p in problems))
        return meetings, renderer

    def only(self, meetings, meeting_id: str | None):
        """The meeting named, or the only one there is."""
        if meeting_id is None:
            if len(meetings) != 1:
                raise UsageError(WHICH_MEETING.format(known=", ".join(m.id for m in meetings)))
            return meetings[0]
        (meeting,) = self.select(meetings, [meeting_id])
        return meeting

    def select(self, meetings, ids: Sequence[str]):
        known = {m.id: m for m in meetings}
        for meeting_id in ids:
            if meeting_id not in known:
                hint = suggest.hint(meeting_id, known)
                raise UsageError(UNKNOWN_MEETING.format(id=meeting_id, hint=hint, known=", ".join(known) or "none"))
        return [known[i] for i in dict.fromkeys(ids)] if ids else meetings


def _now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def main(argv: Sequence[str] | None = None, env=None, clock: Callable[[], dt.datetime] = _now) -> int:
    args = build_parser().parse_args(argv)
    from bot import settings as settings_mod

    secrets: tuple[str, ...] = ()
    try:
        settings_mod.load_dotenv_file(Path.cwd())
        settings = settings_mod.from_environment(env)
        secrets = settings.secrets()
        logs.setup(args.log_format, args.debug, secrets)
        logs.adopt(None)  # every other library's warnings: our format, secrets masked
        http_log.install()  # each request as one debug line, and counted
        return _dispatch(Context(args, settings, clock))
    except (UsageError, SettingsError) as exc:
        print(logs.redact(str(exc), secrets), file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        return EXIT_FAILED
    except Exception as exc:  # a bug: one line, or the traceback with --debug; secrets masked either way
        if args.debug:
            text = "".join(traceback.format_exception(exc))
        else:
            text = UNEXPECTED.format(kind=type(exc).__name__, message=str(exc).splitlines()[0] if str(exc) else "")
        print(logs.redact(text, secrets), file=sys.stderr)
        return EXIT_FAILED


def _dispatch(ctx: Context) -> int:
    from bot import commands

    return getattr(commands, "cmd_" + ctx.args.command)(ctx)
