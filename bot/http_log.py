"""Each HTTP request the bot makes, as one debug line (method, path, status) and a count per meeting."""

from __future__ import annotations

import logging
import time
from typing import Any
from urllib.parse import urlsplit

from bot.logs import LOGGER

REQUEST_LOGGER = LOGGER + ".http"
REQUEST_LINE = "HTTP %s %s %s"
REQUEST_LINE_TIMED = "HTTP %s %s %s (%.2f s)"
URLLIB3_LOGGER = "urllib3.connectionpool"
_URLLIB3_FIELDS = 8  # scheme, host, port, method, url, version, status, length: urllib3's request line

log = logging.getLogger(REQUEST_LOGGER)


class Counter:
    """How many requests this process has made; a meeting's count is the difference around its run."""

    total = 0

    @classmethod
    def count(cls) -> None:
        cls.total += 1


def _path(url: str) -> str:
    """The path of a URL or request target, without its query (which can be long) or credentials."""
    return urlsplit(url).path or "/"


class Urllib3Requests(logging.Filter):
    """Reads urllib3's own line for each response (the library every `requests` client goes through):
    counts it and logs it as our request line; urllib3's other debug chatter and that record are dropped,
    its warnings pass."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno >= logging.WARNING:
            return True  # urllib3's warnings (a retry, a full pool) go on to the bot's handler as before
        args = record.args if isinstance(record.args, tuple) else ()
        if len(args) == _URLLIB3_FIELDS:
            Counter.count()
            _scheme, _host, _port, method, url, _version, status, _length = args
            log.debug(REQUEST_LINE, method, _path(str(url)), status)
        return False


def install() -> None:
    """Watch urllib3's request lines from now on (PyGithub, HackMD and feeds use `requests`)."""
    logger = logging.getLogger(URLLIB3_LOGGER)
    if not any(isinstance(f, Urllib3Requests) for f in logger.filters):
        logger.addFilter(Urllib3Requests())
    logger.setLevel(logging.DEBUG)  # its request lines are DEBUG records; the filter keeps them from the log


def timed_http(base: type[Any]) -> type[Any]:
    """A subclass of httplib2.Http (Google's client) that logs and counts each request it sends."""

    class TimedHttp(base):  # type: ignore[misc]
        def request(self, uri: str, method: str = "GET", *args: Any, **kwargs: Any) -> tuple[Any, Any]:
            started = time.monotonic()
            response, content = super().request(uri, method, *args, **kwargs)
            Counter.count()
            log.debug(REQUEST_LINE_TIMED, method, _path(uri), response.status, time.monotonic() - started)
            return response, content

    return TimedHttp
