"""The bot's one error family: every expected failure, each carrying its one-line message for people."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from bot.model import Occurrence, Problem


EXIT_OK = 0
EXIT_FAILED = 1  # a meeting failed, or something unforeseen
EXIT_USAGE = 2  # a UsageError: bad arguments, settings or meeting files

UNEXPECTED = "unexpected error: {kind}: {message} (run with --debug for the traceback)"


class BotError(Exception):
    """An expected failure; `str(error)` is what a person reads (one line, no secret).

    Callers catch by type: `UsageError` ends the command with exit code 2, any other `BotError`
    fails its meeting (or the command) with exit code 1; anything else is a bug.
    """


# -- the command line and its inputs (exit code 2) ---------------------------------------------


class UsageError(BotError):
    """Bad arguments or configuration: the command cannot start (exit code 2)."""


class SettingsError(UsageError):
    """An environment variable is set to something unusable."""


class ConfigError(UsageError):
    """Meeting files or templates with problems; the message lists every one, a line each."""


# -- one meeting's pass (exit code 1) ----------------------------------------------------------


class TemplateError(BotError):
    """A template that cannot be rendered, printed as `FILE:LINE: message`."""

    def __init__(self, template: str, line: int, message: str) -> None:
        super().__init__(f"{template}:{line}: {message}")
        self.template, self.line, self.message = template, line, message

    def problem(self) -> Problem:
        return Problem(Path(self.template), self.line, self.message)


class ScheduleError(BotError):
    """The schedule cannot answer the question asked of it."""


class NoOccurrenceOn(ScheduleError):
    """`--date` named a day with no occurrence; `nearest` holds the ones just before and after."""

    def __init__(self, day: dt.date, nearest: tuple[Occurrence, ...], message: str) -> None:
        super().__init__(message)
        self.day, self.nearest = day, nearest


class FeedError(BotError):
    """A feed could not be fetched or read."""


class StartedMeanwhile(BotError):
    """The occurrence started while the run was working on it: nothing more is written."""


# -- outside services --------------------------------------------------------------------------


class ServiceError(BotError):
    """An outside service failed in an expected way."""


class RateLimited(ServiceError):
    """A rate limit that is longer than the bot is willing to wait."""

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class NotFound(ServiceError):
    """The organisation, repository, calendar or document does not exist or is not visible."""


class Forbidden(ServiceError):
    """The credential is valid but lacks a permission."""


class Conflict(ServiceError):
    """A write lost a race with another writer (for example a file's sha changed)."""


def one_line(error: BaseException) -> str:
    """The first line of an error's message, or its type's name when it has none."""
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__


def unexpected(error: BaseException) -> str:
    """One line for an error nobody foresaw (a bug, or a library's surprise)."""
    return UNEXPECTED.format(kind=type(error).__name__, message=one_line(error))
