"""Facts about a repository (visibility, the credentials' permissions), read once per process.

One `GET /repos/{owner}/{repo}` serves both the visibility rule and the write preflight; a
long-lived worker reads it again after an hour, so a changed visibility is seen within the hour.
"""

from __future__ import annotations

import threading
import time
import urllib.parse
from typing import Mapping

from github import UnknownObjectException

TTL_SECONDS = 3600.0

_known: dict[tuple[str, str], tuple[Mapping, float]] = {}
_lock = threading.Lock()


def repo_data(requester, repo: str) -> Mapping:
    """The repository's JSON as GitHub answers it, or {} when it is not found; raises PyGithub's
    other exceptions (callers wrap them with `github_errors`)."""
    key = (requester.base_url, repo.casefold())
    with _lock:
        known = _known.get(key)
    if known is not None and time.monotonic() - known[1] < TTL_SECONDS:
        return known[0]
    try:
        _, data = requester.requestJsonAndCheck("GET", urllib.parse.quote(f"/repos/{repo}"))
    except UnknownObjectException:
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
