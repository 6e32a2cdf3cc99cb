"""The agenda source: GitHub's issue search through PyGithub's requester, read as the raw hits."""

from __future__ import annotations

import logging
import urllib.parse
from dataclasses import dataclass
from typing import Mapping, Sequence

import github
from github import GithubException, UnknownObjectException

from bot import agenda, search_groups
from bot.adapters import github_repos
from bot.adapters.github_client import Calls, classify
from bot.adapters.retry import Kind
from bot.adapters.search_windows import every_window
from bot.adapters.github_discussions import GitHubDiscussions
from bot.adapters.github_visibility import Visibility
from bot.logs import LOGGER
from bot.model import Agenda, AgendaConfig, AgendaItem, Meeting
from bot.ports import NotFound, ServiceError

log = logging.getLogger(LOGGER)

SEARCH_PATH = "/search/issues"
SEARCH_WHAT = "agenda search for label {label!r}"
SCOPE_KINDS = {"org": "organisation", "repo": "repository"}
SCOPE_NOT_FOUND = "agenda {kind} {name}: not found on GitHub, or not visible to these credentials"
QUERY_REFUSED = "{what}: GitHub refused the search {query!r} (422: {reason})"

Hits = list[Mapping]


@dataclass(frozen=True)
class _Answer:
    """One query's hits (every label of its group) and the warnings it gave."""

    hits: tuple[Mapping, ...]
    warnings: tuple[str, ...]


class GitHubAgenda:
    """AgendaSource over `GET /search/issues`: one query for all orgs and repos where it fits.

    Pages are fetched with the client's own requester (authentication, retries, rate-limit waits,
    typed exceptions) and kept as the JSON dicts GitHub sent. No `IssueSearchResult` is built:
    its `raw_data`, and any attribute the hit lacks (such as `pull_request` on a plain issue),
    would fetch the whole issue again, one request per item.
    """

    def __init__(self, client: github.Github, calls: Calls | None = None) -> None:
        self._requester = client.requester
        self._calls = calls if calls is not None else Calls(url=self._requester.base_url)
        self._discussions = GitHubDiscussions(client.requester, self._calls)
        self._plan = search_groups.SearchPlan()
        self._answers: dict[str, _Answer | NotFound | None] = {}
        self._visibilities = Visibility(client.requester, self._calls)

    def _get(self, path: str, parameters: dict | None = None) -> dict:
        """One GET through the retry policy (rate limits waited out, transient failures repeated)."""
        send = lambda: self._requester.requestJsonAndCheck("GET", path, parameters=parameters)[1]  # noqa: E731
        return self._calls.policy.call(send, classify, Kind.READ)

    def expect(self, meetings: Sequence[Meeting]) -> None:
        """The meetings this source will be asked about: those searching the same scopes share queries.

        Additive: meetings announced later get queries of their own; a query already sent is never changed.
        """
        wanted: list[search_groups.Need] = []
        for meeting in meetings:
            try:
                wanted += search_groups.needs(meeting.agenda, meeting.repo)
            except agenda.AgendaQueryError:
                continue  # its own collect says why
        self._plan.add(wanted)

    def collect(self, meeting: Meeting) -> Agenda:
        """The labelled items, none from a repository less visible than the meeting repository.

        Each chunk of the meeting's scopes is served by its group's query (several labels, announced
        with `expect`) or by a query of its own; the hits are split by label and kind here. A query's
        hits are kept for the life of this source (one pass). Unless the meeting repository is private,
        the other repositories' visibility is asked once per process, many in one GraphQL request
        (`github_visibility`); discussions carry their repository's visibility in their own answer.
        """
        config = meeting.agenda
        try:
            wanted = search_groups.needs(config, meeting.repo)
        except agenda.AgendaQueryError as exc:
            raise ServiceError(str(exc)) from None
        own = self._visibility(meeting.repo)
        hits: Hits = []
        warnings: list[str] = []
        for need in wanted:
            found = self._answer(need)
            hits += found.hits
            warnings += [w for w in found.warnings if w not in warnings]
        items = agenda.items_from_hits(hits, config)
        withheld = 0
        if agenda.rank(own) > 0:
            items, withheld = self._withhold(items, meeting.repo, own)
        if config.include_discussions:
            found_discussions, left_out = self._visible_discussions(config, meeting.repo, own, warnings)
            items += found_discussions
            withheld += left_out
        if withheld:
            _warn(warnings, agenda.WITHHELD.format(count=withheld, repo=meeting.repo, visibility=own))
        return agenda.build_agenda(config, items, meeting.repo, warnings, withheld)

    def _answer(self, need: search_groups.Need) -> _Answer:
        """The hits of the query serving `need`: its group's, sent once per source, or its own.

        A group's query that GitHub refuses without a missing org or repository to blame is not held
        against every meeting in it: each falls back to a query of its own.
        """
        solo = search_groups.grouped_query([need])
        query = self._plan.query(need) or solo
        if query not in self._answers:
            try:
                self._answers[query] = self._search(need, query, grouped=query != solo)
            except NotFound as exc:  # a scope every meeting of the group shares is missing
                self._answers[query] = exc
        answer = self._answers[query]
        if isinstance(answer, NotFound):
            raise answer
        if answer is None:
            self._plan.forget(need)
            return self._answer(need)
        return answer

    def _visible_discussions(
        self, config: AgendaConfig, meeting_repo: str, own: str | None, warnings: list[str]
    ) -> tuple[tuple[AgendaItem, ...], int]:
        """The labelled discussions as visible as the meeting repository (each carries its repository's
        visibility, so this costs no request), and how many were left out."""
        found = self._discussions.collect(config, meeting_repo, warnings)
        return agenda.withhold(found, {i.repo.casefold(): i.visibility for i in found}, own)

    def _withhold(self, items, meeting_repo: str, own: str | None):
        """Items from repositories at least as visible as the meeting's: the others' visibility in one
        GraphQL request (per 100 repositories not yet known to this process)."""
        others = {i.repo for i in items if i.repo.casefold() != meeting_repo.casefold()}
        seen = self._visibilities.of(others)
        seen[meeting_repo.casefold()] = own
        return agenda.withhold(items, seen, own)

    def _visibility(self, repo: str) -> str | None:
        """GitHub's `visibility` of a repository, read once per process (see `github_repos`)."""
        data = self._calls(f"reading {repo}", lambda: github_repos.repo_data(self._requester, repo, self._calls.cache))
        return github_repos.visibility(data)

    def _search(self, need: search_groups.Need, query: str, grouped: bool) -> _Answer | None:
        """All hits of one query, with its warnings; None for a group's query refused for no named culprit."""
        what = SEARCH_WHAT.format(label=need.label)
        warnings: list[str] = []
        with self._calls.errors(what):
            try:
                hits = every_window(query, lambda text: self._pages(text, warnings), agenda.next_since, warnings)
            except GithubException as exc:
                if exc.status != 422:
                    raise
                refused = self._refused(what, query, need.chunk, exc)
                if grouped and not isinstance(refused, NotFound):
                    return None
                raise refused from None
        return _Answer(tuple(hits), tuple(warnings))

    def _pages(self, text: str, warnings: list[str]) -> tuple[Hits, int]:
        """One query's pages, oldest first: as many requests as its `total_count` needs, no more."""
        params = {"q": text, "sort": agenda.SORT, "order": agenda.ORDER, "per_page": agenda.PER_PAGE}
        hits: Hits = []
        page, incomplete = 1, False
        while True:
            data = self._get(SEARCH_PATH, {**params, "page": page})
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
            self._get(urllib.parse.quote(path))
        except UnknownObjectException:
            return False
        return True


def _warn(warnings: list[str], message: str) -> None:
    """A warning for the agenda: `run` and `agenda` log it once, naming the meeting."""
    warnings.append(message)


def _not_found(scope: str) -> str:
    kind, name = scope.split(":", 1)
    return SCOPE_NOT_FOUND.format(kind=SCOPE_KINDS[kind], name=name)


def _reason(exc: GithubException) -> str:
    """The first of GitHub's validation messages, on one line."""
    data = exc.data if isinstance(exc.data, dict) else {}
    details = [e["message"] for e in data.get("errors") or () if isinstance(e, dict) and e.get("message")]
    return str((details or [data.get("message") or "no reason given"])[0]).splitlines()[0][:200]
