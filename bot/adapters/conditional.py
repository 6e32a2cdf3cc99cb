"""Conditional GETs to GitHub: the ETag of each answer the bot reuses, a 304 served from the cache.

GitHub does not count a 304 against the rate limit, so a re-run with nothing new spends no core
quota. PyGithub keeps its HTTP session to itself, so an HTTP cache library (CacheControl,
requests-cache) could only be attached by reaching into it or by patching requests globally; this
layer goes through the requester's public `requestJson` instead and keeps only what it needs: the
validator and the decoded body of each URL, in memory (a worker keeps it for its life) and, with
MEETING_BOT_CACHE_DIR, in one file per URL across runs.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import tempfile
from pathlib import Path
from typing import Any, Callable, Mapping

from github.Requester import Requester

from bot.logs import LOGGER

log = logging.getLogger(LOGGER)

NOT_MODIFIED = 304
LINKED = "#link"  # the cache key of a page kept with its Link header
CACHE_UNUSABLE = "MEETING_BOT_CACHE_DIR {path}: cannot be used ({why}); going on without it"


class ETagCache:
    """URL -> (ETag, body). Entries read from disk are checked and dropped when malformed."""

    def __init__(self, directory: str | None = None) -> None:
        self._memory: dict[str, tuple[str, Any]] = {}
        self._dir = Path(directory) if directory else None
        if self._dir is not None:
            try:
                self._dir.mkdir(mode=0o700, parents=True, exist_ok=True)
            except OSError as exc:
                log.warning(CACHE_UNUSABLE.format(path=self._dir, why=type(exc).__name__))
                self._dir = None

    def get(self, url: str) -> tuple[str, Any] | None:
        if url not in self._memory and self._dir is not None:
            entry = _read(self._file(url), url)
            if entry is not None:
                self._memory[url] = entry
        return self._memory.get(url)

    def put(self, url: str, etag: str, body: Any) -> None:
        self._memory[url] = (etag, body)
        if self._dir is not None:
            _write(self._file(url), {"url": url, "etag": etag, "body": body})

    def forget(self, url: str) -> None:
        self._memory.pop(url, None)
        if self._dir is not None:
            self._file(url).unlink(missing_ok=True)

    def _file(self, url: str) -> Path:
        assert self._dir is not None
        return self._dir / (hashlib.sha256(url.encode()).hexdigest() + ".json")


def _read(path: Path, url: str) -> tuple[str, Any] | None:
    """A cache file written by `_write`, or None: missing, unreadable or not for this URL."""
    try:
        entry = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(entry, dict) or entry.get("url") != url or not isinstance(entry.get("etag"), str):
        return None
    return entry["etag"], entry.get("body")


def _write(path: Path, entry: Mapping[str, Any]) -> None:
    """Atomically (a concurrent run reads the old entry or the new one, never half), private to the bot."""
    try:
        fd, temp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            json.dump(entry, out)
        os.replace(temp, path)
    except OSError as exc:
        log.warning(CACHE_UNUSABLE.format(path=path.parent, why=type(exc).__name__))


def get_json(requester: Requester, cache: ETagCache, path: str, params: Mapping[str, Any] | None = None) -> Any:
    """GET `path` (with `params`) as JSON; conditional when an earlier answer is cached.

    Errors are raised as PyGithub's exceptions, exactly as `requestJsonAndCheck` raises them.
    """
    return _get(requester, cache, path, params, _url(requester, path, params), lambda data, headers: data)


def get_page(requester: Requester, cache: ETagCache, path: str, params: Mapping[str, Any]) -> tuple[Any, str]:
    """One page of a listing and its `Link` header ("" without one), conditional like `get_json`.

    The header is cached with the page (a 304 need not repeat it), under a key of its own.
    """
    page = _get(requester, cache, path, params, _url(requester, path, params) + LINKED,
                lambda data, headers: {"items": data, "link": headers.get("link", "")})
    if not isinstance(page, dict) or not isinstance(page.get("link"), str):
        cache.forget(_url(requester, path, params) + LINKED)  # an unusable cache entry: read afresh
        return get_page(requester, cache, path, params)
    return page["items"], page["link"]


def _get(requester: Requester, cache: ETagCache, path: str, params: Mapping[str, Any] | None, key: str,
         keep: Callable[[Any, Mapping[str, str]], Any]) -> Any:
    """The GET behind both: what `keep` makes of a 200's body and headers, or the cached one on a 304."""
    cached = cache.get(key)
    headers = {"If-None-Match": cached[0]} if cached else {}
    status, answer_headers, text = requester.requestJson("GET", path, dict(params or {}), headers)
    if status == NOT_MODIFIED and cached is not None:
        return cached[1]
    data = _decode(text)
    if status >= 400:
        raise requester.createException(status, answer_headers, data)
    lowered = {k.lower(): v for k, v in answer_headers.items()}
    value = keep(data, lowered)
    if lowered.get("etag"):
        cache.put(key, lowered["etag"], value)
    else:
        cache.forget(key)
    return value


def _decode(text: str) -> Any:
    """The JSON body, or None for an empty or non-JSON one (a load balancer's HTML error page)."""
    try:
        return json.loads(text) if text else None
    except ValueError:
        return None


def _url(requester: Requester, path: str, params: Mapping[str, Any] | None) -> str:
    given = params or {}
    query = "&".join(f"{k}={given[k]}" for k in sorted(given))
    return f"{requester.base_url}{path}?{query}"
