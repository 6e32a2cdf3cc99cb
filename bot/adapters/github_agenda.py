"""The agenda source: GitHub's issue search through PyGithub's requester, read as the raw hits."""

from __future__ import annotations

import logging
import urllib.parse
from typing import Mapping, Sequence

import github
from github import GithubException, UnknownObjectException

from bot import agenda
from bot.adapters.github_client import github_errors
from bot.logs import LOGGER
from bot.model import Agenda, AgendaConfig, Meeting
from bot.ports import NotFound, ServiceError

log = logging.getLogger(LOGGER)

SEARCH_PATH = "/search/issues"
SEARCH_WHAT = "agenda search for label {label!r}"
SCOPE_KINDS = {"org": "organisation", "repo": "repository"}
SCOPE_NOT_FOUND = "agenda {kind} {name}: not found on GitHub, or not visible to these credentials"
QUERY_REFUSED = "{what}: GitHub refused the search {query!r} (422: {reason})"

Hits = list[Mapping]
_VISIBILITY: dict[tuple[str, str], str | None] = {}  # (API URL, repository) -> visibility, for the process


class GitHubAgenda:
    """AgendaSource over `GET /search/issues`: one query for all orgs and repos where it fits.

    Pages are fetched with the client's own requester (authentication, retries, rate-limit waits,
    typed exceptions) and kept as the JSON dicts GitHub sent. No `IssueSearchResult` is built:
    its `raw_data`, and any attribute the hit lacks (such as `pull_request` on a plain issue),
    would fetch the whole issue again, one request per item.
    """

    def __init__(self, client: github.Github, rate_limit_wait: float = 60.0) -> None:
        self._requester = client.requester
        self._wait = rate_limit_wait

    def collect(self, meeting: Meeting) -> Agenda:
        config = meeting.agenda
        try:
            chunks = agenda.scope_chunks(config, meeting.repo)
        except agenda.AgendaQueryError as exc:
            raise ServiceError(str(exc)) from None
        hits: Hits = []
        warnings: list[str] = []
        for chunk in chunks:
            hits += self._search(config, chunk, warnings)
        items, withheld = self._visible(agenda.items_from_hits(hits, config), meeting.repo, warnings)
        return agenda.build_agenda(config, items, meeting.repo, warnings, withheld)

    def _visible(self, items, meeting_repo: str, warnings: list[str]):
        """Items from repositories at least as visible as the meeting's; one GET per repository per process."""
        others = {i.repo.casefold(): i.repo for i in items if i.repo.casefold() != meeting_repo.casefold()}
        if not others:
            return items, 0
        own = self._visibility(meeting_repo)
        if agenda.rank(own) == agenda.rank("private"):
            return items, 0  # nothing is less visible than a private repository
        seen = {key: self._visibility(repo) for key, repo in others.items()}
        seen[meeting_repo.casefold()] = own
        kept, withheld = agenda.withhold(items, seen, own)
        if withheld:
            _warn(warnings, agenda.WITHHELD.format(count=withheld, repo=meeting_repo, visibility=own))
        return kept, withheld

    def _visibility(self, repo: str) -> str | None:
        """GitHub's `visibility` of a repository, read once per process; None when it cannot be read."""
        key = (self._requester.base_url, repo.casefold())
        if key not in _VISIBILITY:
            with github_errors(f"reading {repo}", self._wait, self._requester.base_url):
                try:
                    _, data = self._requester.requestJsonAndCheck("GET", urllib.parse.quote(f"/repos/{repo}"))
                except UnknownObjectException:
                    data = {}
            fallback = "private" if data.get("private") else ("public" if "private" in data else None)
            _VISIBILITY[key] = data.get("visibility") or fallback
        return _VISIBILITY[key]

    def _search(self, config: AgendaConfig, chunk: Sequence[str], warnings: list[str]) -> Hits:
        query = agenda.query_for(config, chunk)
        what = SEARCH_WHAT.format(label=config.label)
        with github_errors(what, self._wait, self._requester.base_url):
            try:
                return self._windows(query, warnings)
            except GithubException as exc:
                if exc.status != 422:
                    raise
                raise self._refused(what, query, chunk, exc) from None

    def _windows(self, query: str, warnings: list[str]) -> Hits:
        """All hits of `query`: past GitHub's 1,000-result cap, by windows of creation time."""
        hits: Hits = []
        since: str | None = None
        cap = agenda.SEARCH_RESULT_CAP
        while True:
            text = agenda.window(query, since)
            found, total = self._pages(text, warnings)
            hits += found
            following = agenda.next_since(total, found)
            if following is None:
                return hits
            if following == since:
                _warn(warnings, agenda.CANNOT_SPLIT.format(query=query, cap=cap, since=since))
                return hits
            log.warning(agenda.QUERY_SPLIT.format(query=text, total=total, cap=cap, since=following))
            since = following

    def _pages(self, text: str, warnings: list[str]) -> tuple[Hits, int]:
        """One query's pages, oldest first: as many requests as its `total_count` needs, no more."""
        params = {"q": text, "sort": agenda.SORT, "order": agenda.ORDER, "per_page": agenda.PER_PAGE}
        hits: Hits = []
        page, incomplete = 1, False
        while True:
            _, data = self._requester.requestJsonAndCheck("GET", SEARCH_PATH, parameters={**params, "page": page})
            items = data.get("items") or []
            hits += items
            incomplete = incomplete or bool(data.get("incomplete_results"))
            total = int(data.get("total_count") or 0)
            if page >= agenda.page_count(total) or len(items) < agenda.PER_PAGE:
                break
            page += 1
        if incomplete:
            _warn(warnings, agenda.INCOMPLETE_RESULTS.format(query=text))
        return hits, total

    def _refused(self, what: str, query: str, chunk: Sequence[str], exc: GithubException) -> ServiceError:
        """GitHub's 422 names no culprit: ask which org or repository is missing (only on this path)."""
        missing = [scope for scope in chunk if not self._exists(scope)]
        if missing:
            return NotFound("; ".join(_not_found(scope) for scope in missing))
        return ServiceError(QUERY_REFUSED.format(what=what, query=query, reason=_reason(exc)))

    def _exists(self, scope: str) -> bool:
        kind, name = scope.split(":", 1)
        path = f"/repos/{name}" if kind == "repo" else f"/users/{name}/repos"
        try:
            self._requester.requestJsonAndCheck("GET", urllib.parse.quote(path))
        except UnknownObjectException:
            return False
        return True


def _warn(warnings: list[str], message: str) -> None:
    log.warning(message)
    warnings.append(message)


def _not_found(scope: str) -> str:
    kind, name = scope.split(":", 1)
    return SCOPE_NOT_FOUND.format(kind=SCOPE_KINDS[kind], name=name)


def _reason(exc: GithubException) -> str:
    """The first of GitHub's validation messages, on one line."""
    data = exc.data if isinstance(exc.data, dict) else {}
    details = [e["message"] for e in data.get("errors") or () if isinstance(e, dict) and e.get("message")]
    return str((details or [data.get("message") or "no reason given"])[0]).splitlines()[0][:200]
