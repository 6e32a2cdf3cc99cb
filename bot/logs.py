"""Logging to stderr as text or JSON, with every known secret replaced by `***` in every field."""

from __future__ import annotations

import logging
import re
import sys
from typing import Any, Iterable, TextIO

from pythonjsonlogger.json import JsonFormatter as _LibraryJsonFormatter

LOGGER = "meeting_bot"
LIBRARY_LOGGER = "github"
OUTCOME_LOGGER = LOGGER + ".outcome"  # what a run did: stdout's summary in text mode, records in JSON mode
MASK = "***"
TEXT_FORMAT = "%(asctime)s %(levelname)s %(message)s"
JSON_FIELDS = ("asctime", "levelname", "name", "message")
JSON_NAMES = {"asctime": "time", "levelname": "level", "name": "logger", "exc_info": "traceback"}
JSON_TIME_FORMAT = "%Y-%m-%dT%H:%M:%S%z"
FIELDS = ("meeting", "occurrence", "action", "url", "requests")  # the `extra` fields the bot's records carry


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


def redact_value(value: Any, secrets: Iterable[str]) -> Any:
    """A log field with every string inside it redacted (lists and mappings included)."""
    if isinstance(value, str):
        return redact(value, secrets)
    if isinstance(value, dict):
        return {redact(str(k), secrets): redact_value(v, secrets) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [redact_value(item, secrets) for item in value]
    return value


class RedactingFormatter(logging.Formatter):
    """Formats as its inner formatter would, then masks the secrets."""

    def __init__(self, inner: logging.Formatter, secrets: Iterable[str]) -> None:
        super().__init__()
        self.inner = inner
        self.secrets = tuple(secrets)

    def format(self, record: logging.LogRecord) -> str:
        return redact(self.inner.format(record), self.secrets)


class JsonFormatter(_LibraryJsonFormatter):
    """One JSON object per line (python-json-logger): time, level, logger, message, the bot's fields
    (meeting, occurrence, action, url, requests) when a record has them, the traceback when there is one;
    every field is redacted before it is serialised."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        super().__init__(JSON_FIELDS, datefmt=JSON_TIME_FORMAT, rename_fields=JSON_NAMES, json_ensure_ascii=False)
        self.secrets = tuple(secrets)

    def process_log_record(self, log_data: dict[str, Any]) -> dict[str, Any]:
        log_data["level"] = str(log_data.get("level", "")).lower()
        fields = {key: value for key, value in log_data.items() if value is not None or key not in FIELDS}
        return {key: redact_value(value, self.secrets) for key, value in fields.items()}


class NotOutcomes(logging.Filter):
    """Text logs leave out what a run did: that is the summary on stdout, said once."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not record.name.startswith(OUTCOME_LOGGER)


def setup(fmt: str = "text", debug: bool = False, secrets: Iterable[str] = (), stream: TextIO | None = None) -> logging.Logger:
    """Configure the bot's logger once per process; calling again replaces the handler."""
    logger = logging.getLogger(LOGGER)
    handler = logging.StreamHandler(stream or sys.stderr)
    if fmt == "json":
        handler.setFormatter(JsonFormatter(secrets))
    else:
        handler.setFormatter(RedactingFormatter(logging.Formatter(TEXT_FORMAT), secrets))
        handler.addFilter(NotOutcomes())
    logger.handlers[:] = [handler]
    logger.setLevel(logging.DEBUG if debug else logging.INFO)
    logger.propagate = False
    adopt(LIBRARY_LOGGER)
    return logger


def adopt(name: str | None) -> None:
    """Route a library's logger (None: the root, which catches every other library) through the bot's
    handler, so its lines get our format and the secrets filter. Libraries speak only from WARNING, also
    under --debug: their debug output dumps whole bodies; the bot logs each request line itself
    (bot.http_log). Called again after PyGithub's import, which adds a handler of its own.
    """
    ours = logging.getLogger(LOGGER)
    library = logging.getLogger(name)
    library.handlers[:] = list(ours.handlers)
    library.setLevel(logging.WARNING)
    if name is not None:
        library.propagate = False
