"""Who created a file in a repository: the account of the oldest commit touching its path, once per process.

GitHub lists a path's commits newest first (`GET /repos/{owner}/{repo}/commits?path=`), so the
creator is the last commit of the last page: one request while the path has at most 100 commits,
two beyond (the first page's `Link` names the last). Both are conditional reads: a re-run with
MEETING_BOT_CACHE_DIR and no new commit gets 304s and spends no quota. What a process learned (or
made itself) is kept for its life, so a worker asks once per file.

The account is the one GitHub links the commit's git author to (top-level `author.login`); `None`
when GitHub links none (an e-mail address of no account) or the path has no commit.
"""

from __future__ import annotations

import threading
import urllib.parse
from typing import Any

from requests.utils import parse_header_links

from bot.adapters import conditional
from bot.adapters.conditional import ETagCache
from bot.adapters.github_client import PER_PAGE

_known: dict[tuple[str, str, str], str | None] = {}
_lock = threading.Lock()


def _key(api: str, repo: str, path: str) -> tuple[str, str, str]:
    return api.rstrip("/"), repo.casefold(), path.strip("/")


def known(api: str, repo: str, path: str) -> tuple[bool, str | None]:
    """(whether this process knows who created the file, that login)."""
    with _lock:
        key = _key(api, repo, path)
        return key in _known, _known.get(key)


def remember(api: str, repo: str, path: str, login: str | None) -> None:
    """Record the creator (the bot itself, for a file it has just created)."""
    with _lock:
        _known[_key(api, repo, path)] = login


def forget() -> None:
    """Drop what this process learned (for tests: a double's port can be reused by a later test)."""
    with _lock:
        _known.clear()


def creator(requester: Any, cache: ETagCache, api: str, repo: str, path: str) -> str | None:
    """The login that created `path` on the default branch, found once per process."""
    seen, login = known(api, repo, path)
    if seen:
        return login
    login = _oldest_author(requester, cache, repo, path)
    remember(api, repo, path, login)
    return login


def _oldest_author(requester: Any, cache: ETagCache, repo: str, path: str) -> str | None:
    """The last commit of the last page: at most two conditional requests."""
    endpoint = f"/repos/{urllib.parse.quote(repo)}/commits"
    params: dict[str, Any] = {"path": path, "per_page": PER_PAGE}
    items, link = conditional.get_page(requester, cache, endpoint, params)
    last = last_page(link)
    if last is not None and last > 1:
        items, _ = conditional.get_page(requester, cache, endpoint, {**params, "page": last})
    if not isinstance(items, list) or not items or not isinstance(items[-1], dict):
        return None
    account = items[-1].get("author")
    login = account.get("login") if isinstance(account, dict) else None
    return login if isinstance(login, str) and login else None


def last_page(link: str) -> int | None:
    """The page number of a `Link` header's `rel="last"`, or None (a single page has no such link)."""
    for entry in parse_header_links(link) if link else []:
        if entry.get("rel") == "last":
            pages = urllib.parse.parse_qs(urllib.parse.urlsplit(entry.get("url", "")).query).get("page", [])
            if pages and pages[-1].isdigit():
                return int(pages[-1])
    return None
