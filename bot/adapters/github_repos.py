"""Facts about a repository (visibility, the credentials' permissions), read once per process.

One `GET /repos/{owner}/{repo}` serves both the visibility rule and the write preflight; a
long-lived worker reads it again after an hour, so a changed visibility is seen within the hour.
"""

from __future__ import annotations

import threading
import time
import urllib.parse
from typing import Mapping

from github import GithubException

from bot.adapters import conditional
from bot.adapters.conditional import ETagCache

TTL_SECONDS = 3600.0

_known: dict[tuple[str, str], tuple[Mapping, float]] = {}
_lock = threading.Lock()


def repo_data(requester, repo: str, cache: ETagCache | None = None) -> Mapping:
    """The repository's JSON as GitHub answers it, or {} when it is not found; raises PyGithub's
    other exceptions (callers wrap them with `github_errors`). With a `cache`, the read is
    conditional, so a run that reads it again every hour spends no quota while it is unchanged."""
    key = (requester.base_url, repo.casefold())
    with _lock:
        known = _known.get(key)
    if known is not None and time.monotonic() - known[1] < TTL_SECONDS:
        return known[0]
    try:
        data = conditional.get_json(requester, cache or ETagCache(), urllib.parse.quote(f"/repos/{repo}"))
    except GithubException as exc:
        if exc.status != 404:
            raise
        data = {}
    with _lock:
        _known[key] = (data, time.monotonic())
    return data


def forget() -> None:
    """Drop what this process learned (for tests that run the command several times in one process)."""
    with _lock:
        _known.clear()


def visibility(data: Mapping) -> str | None:
    """`public`, `internal` or `private`; None for a repository that could not be read."""
    if not data:
        return None
    return str(data.get("visibility") or ("private" if data.get("private") else "public"))
