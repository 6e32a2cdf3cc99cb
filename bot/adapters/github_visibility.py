"""Repositories' visibility for the visibility rule: one GraphQL request for up to 100 of them, once per process.

The agenda search (REST) does not say how visible an item's repository is. Asking `GET /repos/...` for
each repository with items would cost one core request each; GraphQL answers for many repositories
in one request (`r0: repository(owner:, name:) { visibility } r1: ...`, owners and names passed as
variables, never pasted into the query). A repository GitHub cannot resolve for these credentials
comes back as a null field with a `NOT_FOUND` error beside the others' answers: it counts as private.
Any other failure of that request (no GraphQL endpoint, its own rate limit, a refused token) falls
back to the REST read of each repository, which is authoritative; without credentials (a preview
with no token) the REST reads are all there is, since GraphQL answers no anonymous request. What was learned is kept for the
process, for an hour (a worker sees a changed visibility within the hour).
"""

from __future__ import annotations

import threading
import time
from typing import Any, Iterable, Mapping, Sequence

from github import GithubException

from bot.adapters import github_repos
from bot.adapters.github_client import Calls, classify
from bot.adapters.retry import Kind

BATCH = 100  # repositories per GraphQL request (GitHub: at most 500,000 nodes; each of these is one)
TTL_SECONDS = github_repos.TTL_SECONDS
FIELD = "r{n}: repository(owner: $o{n}, name: $n{n}) {{ visibility }}"
VARIABLES = "$o{n}: String!, $n{n}: String!"

_known: dict[tuple[str, str], tuple[str | None, float]] = {}
_lock = threading.Lock()


def query_for(repos: Sequence[str]) -> tuple[str, dict[str, str]]:
    """The query asking the visibility of each `owner/name`, and its variables."""
    names = ", ".join(VARIABLES.format(n=n) for n in range(len(repos)))
    fields = " ".join(FIELD.format(n=n) for n in range(len(repos)))
    variables: dict[str, str] = {}
    for n, repo in enumerate(repos):
        variables[f"o{n}"], variables[f"n{n}"] = repo.split("/", 1)
    return f"query({names}) {{ {fields} }}", variables


def read_answer(data: Mapping[str, Any], repos: Sequence[str]) -> dict[str, str | None]:
    """Each repository's `public`, `internal` or `private` (None: not resolved), keyed without case."""
    found: dict[str, str | None] = {}
    for n, repo in enumerate(repos):
        node = data.get(f"r{n}")
        value = node.get("visibility") if isinstance(node, dict) else None
        found[repo.casefold()] = value.lower() if isinstance(value, str) else None
    return found


def forget() -> None:
    """Drop what this process learned (for tests: a double's port can be reused by a later test)."""
    with _lock:
        _known.clear()


class Visibility:
    """The visibility of the repositories an agenda's items come from."""

    def __init__(self, requester: Any, calls: Calls) -> None:
        self._requester, self._calls = requester, calls

    def of(self, repos: Iterable[str]) -> dict[str, str | None]:
        """`{owner/name casefolded: visibility}` for each repository; asked only for those not known."""
        wanted = {repo.casefold(): repo for repo in repos}
        found: dict[str, str | None] = {}
        unknown = []
        for key, repo in wanted.items():
            known = self._recall(key)
            if known is None:
                unknown.append(repo)
            else:
                found[key] = known[0]
        for start in range(0, len(unknown), BATCH):
            batch = unknown[start:start + BATCH]
            answered = self._ask(batch)
            self._remember(answered)
            found.update(answered)
        return found

    def _ask(self, batch: Sequence[str]) -> dict[str, str | None]:
        if self._requester.auth is None:  # GitHub's GraphQL API answers no anonymous request: REST only
            return {repo.casefold(): self._rest(repo) for repo in batch}
        query, variables = query_for(batch)
        send = lambda: self._requester.graphql_query(query, variables)[1]  # noqa: E731
        try:
            body = self._calls.policy.call(send, classify, Kind.READ)
        except GithubException as exc:
            partial = _only_not_found(exc)
            if partial is not None:
                return read_answer(partial, batch)
            return {repo.casefold(): self._rest(repo) for repo in batch}
        return read_answer(body.get("data") or {}, batch)

    def _rest(self, repo: str) -> str | None:
        read = lambda: github_repos.repo_data(self._requester, repo, self._calls.cache)  # noqa: E731
        return github_repos.visibility(self._calls(f"reading {repo}", read))

    def _recall(self, key: str) -> tuple[str | None] | None:
        with _lock:
            hit = _known.get((self._requester.base_url, key))
        if hit is None or time.monotonic() - hit[1] >= TTL_SECONDS:
            return None
        return (hit[0],)

    def _remember(self, answered: Mapping[str, str | None]) -> None:
        now = time.monotonic()
        with _lock:
            for key, value in answered.items():
                _known[(self._requester.base_url, key)] = (value, now)


def _only_not_found(exc: GithubException) -> Mapping[str, Any] | None:
    """The answer's data when every error in it is a repository GitHub could not resolve (by the errors'
    documented `type`), else None."""
    body = exc.data if isinstance(exc.data, dict) else {}
    errors = body.get("errors")
    if not isinstance(errors, list) or not errors:
        return None
    if not all(isinstance(error, dict) and error.get("type") == "NOT_FOUND" for error in errors):
        return None
    data = body.get("data")
    return data if isinstance(data, dict) else {}
