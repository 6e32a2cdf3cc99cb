"""The IssueStore over PyGithub: meeting issues found by key through the issues listing API."""

from __future__ import annotations

import datetime as dt
import functools
import itertools
import urllib.parse
from typing import Callable, Iterator, Mapping

from bot import markers
from bot.adapters import conditional, github_repos
from bot.adapters.conditional import ETagCache
from bot.adapters.github_client import PER_PAGE, Calls
from bot.adapters.github_identity import same, token_login
from bot.adapters.installations import Clients
from bot.adapters.retry import Kind
from bot.model import IssueRecord
from bot.ports import Access

PULL_PATH = "/pull/"  # in a pull request's html_url, as GitHub documents it
RACE_WINDOW = dt.timedelta(days=1)  # how far apart two racing runs' copies of one issue can be


def _record(issue, me: str | None) -> IssueRecord:
    """Only attributes the listing or the write's answer holds, so PyGithub never completes lazily."""
    author = issue.user.login if issue.user else None
    return IssueRecord(
        number=issue.number,
        url=issue.html_url,
        title=issue.title or "",
        body=issue.body or "",
        state=issue.state or "open",
        author=author,
        created_at=issue.created_at,
        trusted=same(author, me),
        state_reason=issue.state_reason,
    )


def _listed(data: Mapping, me: str | None) -> IssueRecord:
    """An issue of the listing's JSON, with the same fields `_record` takes from PyGithub's object."""
    author = (data.get("user") or {}).get("login")
    created = data.get("created_at")
    return IssueRecord(
        number=int(data["number"]),
        url=str(data.get("html_url") or ""),
        title=str(data.get("title") or ""),
        body=str(data.get("body") or ""),
        state=str(data.get("state") or "open"),
        author=author,
        created_at=dt.datetime.fromisoformat(created.replace("Z", "+00:00")) if created else None,
        trusted=same(author, me),
        state_reason=data.get("state_reason"),
    )


def _pages(requester, cache: ETagCache, repo: str, since: dt.datetime) -> Iterator[Mapping]:
    """The listing newest first, page by page, each page a conditional read (a 304 spends no quota)."""
    path = "/repos/" + urllib.parse.quote(repo) + "/issues"
    params = {"state": "all", "sort": "created", "direction": "desc", "per_page": PER_PAGE,
              "since": since.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")}
    for page in itertools.count(1):
        items = conditional.get_json(requester, cache, path, {**params, "page": page}) or []
        yield from items
        if len(items) < PER_PAGE:
            return
def _stop_at(found: Mapping[str, list[IssueRecord]], limits: Mapping[str, dt.datetime], scan) -> dt.datetime:
    """How far back the listing still has to go for the keys (and the scan)."""
    lows = [scan[1]] if scan else []
    for key, limit in limits.items():
        dates = [r.created_at for r in found[key] if r.created_at]
        lows.append(max(limit, min(dates) - RACE_WINDOW) if dates else limit)
    return min(lows)


def _scanned(key: str | None, record: IssueRecord, scan) -> bool:
    return bool(scan and key and key.startswith(scan[0]) and record.created_at and record.created_at >= scan[1])


class GitHubIssues:
    """Meeting issues in one or more repositories, each through the client of its owner's installation."""

    def __init__(
        self, clients: Clients, calls: Calls | None = None, me: Callable[[str], str | None] | None = None
    ) -> None:
        """`me(repo)` gives the bot's own login (by default the token's user, asked once)."""
        self._clients = clients
        self._calls = calls if calls is not None else Calls()
        self._me = me or functools.cache(
            lambda repo: token_login(clients.for_repo(repo), under_actions=False, calls=self._calls)
        )

    def _repo(self, repo: str):
        return self._clients.for_repo(repo).withLazy(True).get_repo(repo)  # made without a GET

    def find(
        self,
        repo: str,
        keys: tuple[str, ...],
        since: dt.datetime,
        bounds: Mapping[str, dt.datetime] | None = None,
        scan: tuple[str, dt.datetime] | None = None,
    ) -> Mapping[str, tuple[IssueRecord, ...]]:
        """Newest first through the listing (not the search index, which lags).

        A key is looked for down to its bound (`since` unless `bounds` gives a later one) or, once
        found, a race window before the oldest copy: a duplicate from a race is made within seconds
        of the first, so nothing older can carry it. `scan` = (prefix, moment) also collects every
        key starting with the prefix on issues made since the moment (the meeting's other issues).
        Only issues the bot's own identity opened count; anyone can copy a key into an issue.
        """
        me = self._me(repo)
        limits = {key: max(since, (bounds or {}).get(key, since)) for key in keys}
        found = self._calls(f"listing issues of {repo}", lambda: self._scan(repo, limits, since, me, scan))
        return {key: tuple(sorted(records, key=lambda r: r.number)) for key, records in found.items()}

    def _scan(self, repo: str, limits: Mapping[str, dt.datetime], since: dt.datetime, me: str | None,
              scan: tuple[str, dt.datetime] | None) -> dict[str, list[IssueRecord]]:
        """One pass over the listing, from its first page (a failed page repeats the whole read)."""
        found: dict[str, list[IssueRecord]] = {key: [] for key in limits}
        listing = _pages(self._clients.for_repo(repo).requester, self._calls.cache, repo, since)
        for issue in listing:
            record = _listed(issue, me)
            if record.created_at and record.created_at < _stop_at(found, limits, scan):
                break
            if not record.trusted or PULL_PATH in record.url:
                continue  # an outsider's copy of a key never counts, nor a pull request (the listing has them)
            key = markers.find_key(record.body)
            if key is not None and (key in found or _scanned(key, record, scan)):
                found.setdefault(key, []).append(record)
        return found

    def access(self, repo: str) -> Access | None:
        """From the repository's JSON, read once per process for the visibility rule as well."""
        requester = self._clients.for_repo(repo).requester
        data = self._calls(f"reading {repo}", lambda: github_repos.repo_data(requester, repo, self._calls.cache))
        permissions = data.get("permissions")
        if not isinstance(permissions, dict):
            return None
        push = bool(permissions.get("push"))
        return Access(push=push, triage=bool(permissions.get("triage") or push))

    def create(self, repo: str, title: str, body: str, labels: tuple[str, ...]) -> IssueRecord:
        me = self._me(repo)  # before the write: the identity's read is not part of it
        issue = self._calls(
            f"creating the meeting issue in {repo}",
            lambda: self._repo(repo).create_issue(title=title, body=body, labels=list(labels)),
            Kind.WRITE,  # a repeat could make a second issue: the runner reads again instead
        )
        return _record(issue, me)

    def get(self, repo: str, number: int) -> IssueRecord:
        me = self._me(repo)
        return self._calls(f"reading {repo}#{number}", lambda: _record(self._repo(repo).get_issue(number), me))

    def update_body(self, repo: str, number: int, body: str) -> IssueRecord:
        me = self._me(repo)
        issue = self._repo(repo).get_issue(number)  # lazy: no request
        self._calls(f"updating {repo}#{number}", lambda: issue.edit(body=body), Kind.SAFE_WRITE)  # sets the whole body
        return _record(issue, me)

    def close(self, repo: str, number: int, comment: str) -> None:
        what = f"closing {repo}#{number}"
        me = self._me(repo)
        issue = self._repo(repo).get_issue(number)  # lazy: no request
        # A run that died between the comment and the close must not comment twice; only the bot's own comment counts.

        def commented() -> bool:
            return any(c.body == comment and same(c.user.login if c.user else None, me) for c in issue.get_comments())

        if comment and not self._calls(what, commented):
            self._calls(what, lambda: issue.create_comment(comment), Kind.WRITE)
        self._calls(what, lambda: issue.edit(state="closed", state_reason="completed"), Kind.SAFE_WRITE)
