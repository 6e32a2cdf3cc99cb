"""Conditional Calendar reads: each answer's etag in the bot's one ETag cache, sent back as If-None-Match.

Google documents conditional retrieval for every resource with an `etag` (an event's changes with every
change to it; a list answer carries the collection's): a GET whose If-None-Match names the current one is
answered 304 (Not Modified), which google-api-python-client raises as an HttpError with that status.
The header is set through the request's public `headers` before `execute()`; the answer kept is the
decoded body (no token is in it, nor in the key: the service account's credentials travel in the
Authorization header, which is never stored).
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

from bot.adapters.conditional import ETagCache

VALIDATOR = "If-None-Match"


def key(request: Any, account: str) -> str:
    """The cache entry of a request: its URL (method and parameters) as this service account reads it."""
    return f"{request.uri} as {account}"


def prepare(request: Any, cache: ETagCache, entry: str) -> tuple[str, Any] | None:
    """Send the request conditionally when an earlier answer is cached; that answer, or None.

    A new headers dict each time: `list_next` copies a request without copying its headers.
    """
    cached = cache.get(entry)
    headers = {k: v for k, v in request.headers.items() if k.lower() != VALIDATOR.lower()}
    if cached is not None:
        headers[VALIDATOR] = cached[0]
    request.headers = headers
    return cached


def keep(cache: ETagCache, entry: str, answer: Any) -> None:
    """Remember an answer by its documented `etag` field; an answer without one is forgotten."""
    etag = answer.get("etag") if isinstance(answer, dict) else None
    if isinstance(etag, str) and etag:
        cache.put(entry, etag, answer)
    else:
        cache.forget(entry)


def list_from(after: dt.datetime) -> dt.datetime:
    """The `timeMin` a listing asks for: the start of `after`'s UTC month, so the same URL (and its etag)
    serves every run of the month; the events that end before `after` are dropped by the caller."""
    return after.astimezone(dt.timezone.utc).replace(day=1, hour=0, minute=0, second=0, microsecond=0)


def ends_after(event: dict, after: dt.datetime) -> bool:
    """Whether a timed event (Google writes its end with an offset) ends after `after`."""
    end = event["end"]
    moment = dt.datetime.fromisoformat(str(end["dateTime"]).replace("Z", "+00:00"))
    if moment.tzinfo is None:  # a bare local time is read in the event's zone
        moment = moment.replace(tzinfo=ZoneInfo(end.get("timeZone") or "UTC"))
    return moment > after
