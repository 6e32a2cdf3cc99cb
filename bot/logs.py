"""Logging to stderr as text or JSON, with every known secret replaced by `***`."""

from __future__ import annotations

import json
import logging
import re
import sys
from typing import Iterable, TextIO

LOGGER = "meeting_bot"
LIBRARY_LOGGER = "github"
MASK = "***"
TEXT_FORMAT = "%(asctime)s %(levelname)s %(message)s"


# Credentials recognised by their form, wherever they come from (derived ones included: App
# installation tokens, JWTs, OAuth access tokens in a library's debug dump of a response body).
_CREDENTIALS = (
    re.compile(r"\b(?:gh[pousr]_[A-Za-z0-9]{16,}|github_pat_[A-Za-z0-9_]{20,})"),  # GitHub token formats
    re.compile(r"\beyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*"),  # a JWT (JSON header, base64url)
    re.compile(r"\bya29\.[A-Za-z0-9._-]+"),  # a Google OAuth access token
    re.compile(r"\b1//[A-Za-z0-9._-]{20,}"),  # a Google refresh token
)
# The value after a name that says it is a credential: the name is kept, the value masked.
_LABELLED = (
    re.compile(r"(?i)(\bbearer\s+)[A-Za-z0-9._~+/=-]{8,}"),
    re.compile(r"(\btoken\s+)[A-Za-z0-9_.-]{20,}"),
    re.compile(r"(?i)(\bauthorization[\"']?\s*[:=]\s*[\"']?)(?:(?:bearer|token|basic)\s+)?[^\s\"',}]+"),
    re.compile(
        r"(?i)([\"']?\b(?:access_token|refresh_token|id_token|token|client_secret|private_key|assertion|password)"
        r"[\"']?\s*[:=]\s*[\"']?)[^\s\"'&,}]+"
    ),
)


def redact(text: str, secrets: Iterable[str]) -> str:
    """`text` with each secret (and each line of a multi-line secret, such as a PEM key) masked,
    and every credential recognised by its form (`_CREDENTIALS`, `_LABELLED`)."""
    for secret in sorted(_pieces(secrets), key=len, reverse=True):
        text = text.replace(secret, MASK)
    for pattern in _CREDENTIALS:
        text = pattern.sub(MASK, text)
    for pattern in _LABELLED:
        text = pattern.sub(lambda found: found.group(1) + MASK, text)
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


def setup(fmt: str = "text", debug: bool = False, secrets: Iterable[str] = (), stream: TextIO | None = None) -> logging.Logger:
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
