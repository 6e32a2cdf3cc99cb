"""The IssueStore over PyGithub: meeting issues found by key through the issues listing API."""

from __future__ import annotations

import datetime as dt
import functools
from typing import Callable, Mapping

from bot import markers
from bot.adapters import github_repos
from bot.adapters.github_client import github_errors
from bot.adapters.github_identity import same, token_login
from bot.adapters.installations import Clients
from bot.model import IssueRecord
from bot.ports import Access

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
    )


class GitHubIssues:
    """Meeting issues in one or more repositories, each through the client of its owner's installation."""

    def __init__(
        self, clients: Clients, cap: float = 60.0, url: str = "", me: Callable[[str], str | None] | None = None
    ) -> None:
        """`me(repo)` gives the bot's own login (by default the token's user, asked once)."""
        self._clients = clients
        self._cap = cap
        self._url = url
        self._me = me or functools.cache(lambda repo: token_login(clients.for_repo(repo), under_actions=False))

    def _errors(self, what: str):
        return github_errors(what, self._cap, self._url)

    def _repo(self, repo: str):
        return self._clients.for_repo(repo).withLazy(True).get_repo(repo)  # made without a GET

    def find(self, repo: str, keys: tuple[str, ...], since: dt.datetime) -> Mapping[str, tuple[IssueRecord, ...]]:
        """Newest first through the listing (not the search index, which lags).

        Stops at `since`, or, once every key is found, a race window before the oldest found: a
        duplicate from a race is made within seconds of the first, so nothing older can carry a key.
        Only issues the bot's own identity opened count; anyone can copy a key into an issue.
        """
        me = self._me(repo)
        found: dict[str, list[IssueRecord]] = {key: [] for key in keys}
        stop_at = since
        with self._errors(f"listing issues of {repo}"):
            listing = self._repo(repo).get_issues(state="all", sort="created", direction="desc", since=since)
            for issue in listing:
                record = _record(issue, me)
                if record.created_at and record.created_at < stop_at:
                    break
                key = markers.find_key(record.body)
                if key in found and record.trusted:
                    found[key].append(record)
                if all(found.values()):
                    oldest = min(r.created_at or stop_at for records in found.values() for r in records)
                    stop_at = max(stop_at, oldest - RACE_WINDOW)
        return {key: tuple(sorted(records, key=lambda r: r.number)) for key, records in found.items()}

    def access(self, repo: str) -> Access | None:
        """From the repository's JSON, read once per process for the visibility rule as well."""
        with self._errors(f"reading {repo}"):
            data = github_repos.repo_data(self._clients.for_repo(repo).requester, repo)
        permissions = data.get("permissions")
        if not isinstance(permissions, dict):
            return None
        push = bool(permissions.get("push"))
        return Access(push=push, triage=bool(permissions.get("triage") or push))

    def create(self, repo: str, title: str, body: str, labels: tuple[str, ...]) -> IssueRecord:
        with self._errors(f"creating the meeting issue in {repo}"):
            issue = self._repo(repo).create_issue(title=title, body=body, labels=list(labels))
        return _record(issue, self._me(repo))

    def get(self, repo: str, number: int) -> IssueRecord:
        with self._errors(f"reading {repo}#{number}"):
            return _record(self._repo(repo).get_issue(number), self._me(repo))

    def update_body(self, repo: str, number: int, body: str) -> IssueRecord:
        with self._errors(f"updating {repo}#{number}"):
            issue = self._repo(repo).get_issue(number)
            issue.edit(body=body)
        return _record(issue, self._me(repo))

    def close(self, repo: str, number: int, comment: str) -> None:
        with self._errors(f"closing {repo}#{number}"):
            issue = self._repo(repo).get_issue(number)
            # A run that died between the comment and the close must not comment twice.
            me = self._me(repo)
            if comment and not any(c.body == comment and same(c.user.login if c.user else None, me) for c in issue.get_comments()):
                issue.create_comment(comment)
            issue.edit(state="closed", state_reason="completed")
