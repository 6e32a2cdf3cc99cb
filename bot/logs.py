"""Logging to stderr as text or JSON, with every known secret replaced by `***`."""

from __future__ import annotations

import json
import logging
import sys
from typing import Iterable

LOGGER = "meeting_bot"
LIBRARY_LOGGER = "github"
MASK = "***"
TEXT_FORMAT = "%(asctime)s %(levelname)s %(message)s"


def redact(text: str, secrets: Iterable[str]) -> str:
    """`text` with each secret (and each line of a multi-line secret, such as a PEM key) masked."""
    for secret in sorted(_pieces(secrets), key=len, reverse=True):
        text = text.replace(secret, MASK)
    return text


def _pieces(secrets: Iterable[str]) -> set[str]:
    pieces = set()
    for secret in secrets:
        if len(secret) >= 4:
            pieces.add(secret)
        pieces.update(line.strip() for line in secret.splitlines() if len(line.strip()) >= 16)
    return pieces


class RedactingFormatter(logging.Formatter):
    """Formats as its inner formatter would, then masks the secrets."""

    def __init__(self, inner: logging.Formatter, secrets: Iterable[str]) -> None:
        super().__init__()
        self.inner = inner
        self.secrets = tuple(secrets)

    def format(self, record: logging.LogRecord) -> str:
        return redact(self.inner.format(record), self.secrets)


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message (and the traceback when there is one)."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S%z"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_info:
            entry["traceback"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


def setup(fmt: str = "text", debug: bool = False, secrets: Iterable[str] = (), stream=None) -> logging.Logger:
    """Configure the bot's logger once per process; calling again replaces the handler."""
    logger = logging.getLogger(LOGGER)
    inner = JsonFormatter() if fmt == "json" else logging.Formatter(TEXT_FORMAT)
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(RedactingFormatter(inner, secrets))
    logger.handlers[:] = [handler]
    logger.setLevel(logging.DEBUG if debug else logging.INFO)
    logger.propagate = False
    adopt(LIBRARY_LOGGER)
    return logger


def adopt(name: str | None) -> None:
    """Route a library's logger (None: the root, which catches every other library) through the bot's
    handler, so its lines get our format and the secrets filter; libraries speak only from WARNING
    (or DEBUG with --debug). Called again after PyGithub's import, which adds a handler of its own.
    """
    ours = logging.getLogger(LOGGER)
    library = logging.getLogger(name)
    library.handlers[:] = list(ours.handlers)
    library.setLevel(logging.DEBUG if ours.level <= logging.DEBUG else logging.WARNING)
    if name is not None:
        library.propagate = False
