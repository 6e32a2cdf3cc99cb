"""Labelled discussions for the agenda: GitHub's GraphQL search through PyGithub's public `graphql_query`."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Mapping

from github import GithubException
from github.Requester import Requester

from bot import agenda, discussions
from bot.adapters.github_client import Calls, classify
from bot.adapters.retry import Kind
from bot.adapters.search_windows import every_window
from bot.logs import LOGGER
from bot.model import AgendaConfig, AgendaItem
from bot.ports import RateLimited, ServiceError

log = logging.getLogger(LOGGER)

# Checked against GitHub's published schema in tests/test_github_discussions.py. `first: 100` on
# the search and on the labels makes 101 requests by GitHub's formula: a cost of 1 point a page.
QUERY = """
query AgendaDiscussions($q: String!, $cursor: String) {
  search(type: DISCUSSION, query: $q, first: 100, after: $cursor) {
    discussionCount
    pageInfo { hasNextPage endCursor }
    nodes {
      __typename
      ... on Discussion {
        number
        title
        url
        closed
        createdAt
        updatedAt
        author { login }
        labels(first: 100) { totalCount nodes { name } }
        repository { nameWithOwner visibility }
      }
    }
  }
  rateLimit { cost remaining resetAt }
}
"""
WHAT = "agenda discussion search for label {label!r}"
RATE_LIMITED = "{what}: GitHub's GraphQL rate limit is used up (RATE_LIMITED); the next run will catch up"
FAILED = "{what}: GitHub's GraphQL API answered with errors of type {types}"
USAGE = "agenda discussions for label {label!r}: {requests} GraphQL request(s), {cost} point(s), {remaining} left"
# GitHub's documented `type` values of GraphQL errors that mean "these credentials may not read it".
NO_ACCESS_TYPES = frozenset({"FORBIDDEN", "INSUFFICIENT_SCOPES"})


class Unavailable(Exception):
    """Discussions cannot be read here at all: the agenda goes on without them, with one warning."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass
class Usage:
    """What one run's discussion searches cost."""

    requests: int = 0
    cost: int = 0
    remaining: int | None = None


class GitHubDiscussions:
    """Open discussions carrying the agenda label: every page of every window, no silent cut."""

    def __init__(self, requester: Requester, calls: Calls | None = None) -> None:
        self._requester = requester
        self._calls = calls if calls is not None else Calls(url=requester.base_url)

    def collect(self, config: AgendaConfig, meeting_repo: str, warnings: list[str]) -> tuple[AgendaItem, ...]:
        """The discussion items; an unreadable discussion search adds one warning and no items."""
        try:
            chunks = discussions.scope_chunks(config, meeting_repo)
        except agenda.AgendaQueryError as exc:
            raise ServiceError(str(exc)) from None
        if self._requester.auth is None:
            _warn(warnings, discussions.UNAVAILABLE.format(reason=discussions.NEEDS_TOKEN))
            return ()
        what = WHAT.format(label=config.label)
        usage = Usage()
        nodes: list[Mapping] = []
        pages = lambda text: self._pages(text, usage, what)  # noqa: E731
        try:
            with self._calls.errors(what):
                for chunk in chunks:
                    nodes += every_window(discussions.query_for(config, chunk), pages, discussions.next_since, warnings)
        except Unavailable as exc:
            _warn(warnings, discussions.UNAVAILABLE.format(reason=exc.reason))
            return ()
        log.info(USAGE.format(label=config.label, requests=usage.requests, cost=usage.cost, remaining=usage.remaining))
        for message in discussions.label_overflow(nodes):
            _warn(warnings, message)
        return discussions.items_from_nodes(nodes, config)

    def _pages(self, text: str, usage: Usage, what: str) -> tuple[list[Mapping], int]:
        """One query's pages, oldest first, following the cursors to the last."""
        nodes: list[Mapping] = []
        cursor: str | None = None
        while True:
            result = self._page(text, cursor, usage, what).get("search") or {}
            nodes += [node for node in result.get("nodes") or () if node]
            info = result.get("pageInfo") or {}
            if not info.get("hasNextPage") or not info.get("endCursor"):
                return nodes, int(result.get("discussionCount") or 0)
            cursor = str(info["endCursor"])

    def _page(self, text: str, cursor: str | None, usage: Usage, what: str) -> Mapping:
        """One GraphQL request through the retry policy (a query only reads: repeated like any read)."""
        send = lambda: self._requester.graphql_query(QUERY, {"q": text, "cursor": cursor})[1]  # noqa: E731
        try:
            body = self._calls.policy.call(send, classify, Kind.READ)
        except GithubException as exc:
            raise _classified(exc, what, self._requester.graphql_url) from None
        data = body.get("data") or {}
        rate = data.get("rateLimit") or {}
        usage.requests += 1
        usage.cost += int(rate.get("cost") or 0)
        usage.remaining = rate.get("remaining", usage.remaining)
        return data


def _types(exc: GithubException) -> list[str | None]:
    """The `type` of each GraphQL error in the answer (None for an error without one)."""
    data = exc.data if isinstance(exc.data, dict) else {}
    return [error.get("type") if isinstance(error, dict) else None for error in data.get("errors") or ()]


def _is_graphql_answer(exc: GithubException) -> bool:
    return isinstance(exc.data, dict) and isinstance(exc.data.get("errors"), list)


def _classified(exc: GithubException, what: str, url: str) -> Exception:
    """An error answer by its status and GitHub's documented error `type`s, never by its wording."""
    if not _is_graphql_answer(exc):
        if exc.status == 404:
            return Unavailable(discussions.NO_ENDPOINT.format(url=url))
        return exc  # credentials, rate limits, server errors: as for any other GitHub request
    types = _types(exc)
    if "RATE_LIMITED" in types:
        return RateLimited(RATE_LIMITED.format(what=what))
    if types and all(kind in NO_ACCESS_TYPES for kind in types):
        return Unavailable(discussions.NO_ACCESS)
    if types and all(kind is None for kind in types):  # schema validation: this GitHub's schema lacks the search
        return Unavailable(discussions.NO_SEARCH)
    return ServiceError(FAILED.format(what=what, types=", ".join(sorted({str(kind) for kind in types}))))


def _warn(warnings: list[str], message: str) -> None:
    """A warning for the agenda: the runner logs it once, naming the meeting; `agenda` prints it."""
    warnings.append(message)

