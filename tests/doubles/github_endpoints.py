"""Endpoints of the GitHub double: routing table and request handlers.

:class:`Endpoints` is mixed into :class:`tests.doubles.github.GitHubDouble`;
each ``_name`` method serves the :class:`Route` whose handler is ``name``.
A handler gets the parsed request, the :class:`Principal` it acts as and
the path parameters, and returns a :class:`Response` or raises
:class:`ApiError`.  Paths in ``ROUTES`` are relative to the double's prefix.
"""

from __future__ import annotations

import functools
import re
import secrets
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from tests.doubles import github_search as search
from tests.doubles.github_auth import Principal, RateLimits, Token
from tests.doubles.github_shapes import Shapes, iso
from tests.doubles.github_state import (
    ApiError,
    GitHubState,
    Issue,
    Repo,
    decode_base64,
    invalid,
    label_names,
    list_dir,
    not_found,
    not_supplied,
)
from tests.doubles.http import Request, Response

SEARCH_DOCS = "https://docs.github.com/v3/search/"
SEARCH_CAP = 1000
INACCESSIBLE_TO_APPS = "Resource not accessible by integration"


@dataclass
class Route:
    """One endpoint: method, path template, handler name, rate-limit resource.

    In ``template``, ``{name}`` matches one path segment and ``{name*}`` the
    rest of the path; ``resource`` ``""`` means free of rate limits; ``jwt``
    marks the GitHub App endpoints, which take the app's JWT.
    """

    method: str
    template: str
    handler: str
    resource: str = "core"
    jwt: bool = False
    charged: bool = True  # False: the handler spends the rate limit itself (GraphQL's points)

    @functools.cached_property
    def pattern(self) -> re.Pattern[str]:
        """The template as a regular expression with named groups."""
        regex = re.sub(r"\{(\w+)\*\}", r"(?P<\1>.*)", self.template)
        return re.compile(re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", regex) + "/?")


REPO = "/repos/{owner}/{repo}"
ISSUE = REPO + "/issues/{number}"
ROUTES = [
    Route("GET", "/search/issues", "search_issues", resource="search"),
    Route("POST", "/graphql", "graphql", resource="graphql", charged=False),  # served beside the prefix (GHES)
    Route("GET", "/user", "get_user"),
    Route("GET", "/rate_limit", "get_rate_limit", resource=""),
    Route("GET", REPO, "get_repo"),
    Route("GET", "/orgs/{owner}/repos", "list_owner_repos"),
    Route("GET", "/users/{owner}/repos", "list_owner_repos"),
    Route("GET", REPO + "/issues", "list_issues"),
    Route("POST", REPO + "/issues", "create_issue"),
    Route("PATCH", REPO + "/issues/comments/{comment_id}", "update_comment"),
    Route("DELETE", REPO + "/issues/comments/{comment_id}", "delete_comment"),
    Route("GET", ISSUE, "get_issue"),
    Route("PATCH", ISSUE, "update_issue"),
    Route("GET", ISSUE + "/comments", "list_comments"),
    Route("POST", ISSUE + "/comments", "create_comment"),
    Route("GET", ISSUE + "/labels", "list_issue_labels"),
    Route("POST", ISSUE + "/labels", "add_issue_labels"),
    Route("PUT", ISSUE + "/labels", "set_issue_labels"),
    Route("DELETE", ISSUE + "/labels/{name}", "remove_issue_label"),
    Route("GET", REPO + "/labels", "list_labels"),
    Route("POST", REPO + "/labels", "create_label"),
    Route("GET", REPO + "/labels/{name}", "get_label"),
    Route("GET", REPO + "/contents", "get_contents"),
    Route("GET", REPO + "/contents/{path*}", "get_contents"),
    Route("PUT", REPO + "/contents/{path*}", "put_contents"),
    Route("GET", "/app/installations", "list_installations", jwt=True),
    Route("POST", "/app/installations/{installation_id}/access_tokens", "create_installation_token", jwt=True),
    Route("GET", REPO + "/installation", "get_installation", jwt=True),
    Route("GET", "/orgs/{owner}/installation", "get_installation", jwt=True),
]


@dataclass
class App:
    """The GitHub App whose JWTs the double accepts."""

    app_id: int
    public_key: str
    slug: str
    token_lifetime: int


@dataclass
class Installation:
    """An installation of the app on an account (all or some repositories)."""

    id: int
    account: str
    repos: frozenset[str] | None


class Endpoints:
    """The endpoint handlers; needs the attributes below from the double."""

    state: GitHubState
    rate_limits: RateLimits
    tokens: dict[str, Token]
    app: App | None
    installations: dict[int, Installation]
    prefix: str
    clock: Callable[[], float]
    origin: str
    url: str
    _server: Any
    add_token: Callable[..., Token]

    def _shapes(self) -> Shapes:
        """JSON builders for the current base URL."""
        base = self.url if self._server is not None else "http://127.0.0.1:0" + self.prefix
        return Shapes(base, self.state.users, self._has_push, self.state.is_member, self.state.committed)

    def _has_push(self, repo: Repo, login: str) -> bool:
        """Whether a user token with write access to ``repo`` exists for ``login`` (a collaborator)."""
        return any(
            t.login.lower() == login.lower() and t.access in ("write", "admin") and t.installation_id is None
            and (t.repos is None or repo.full_name.lower() in t.repos)
            for t in self.tokens.values()
        )

    def _readable(self, principal: Principal, owner: str, repo: str) -> Repo:
        """A repository the principal may see, else 404 (as GitHub hides it)."""
        found = self.state.find_repo(f"{owner}/{repo}")
        if found is None or not principal.can_read(found):
            raise not_found()
        return found

    def _writable(self, principal: Principal, owner: str, repo: str) -> Repo:
        """A repository the principal may write to, else 404/401/403."""
        found = self._readable(principal, owner, repo)
        principal.require_write(found)
        return found

    def _page(self, request: Request, items: list[Any], *, cap: int | None = None) -> tuple[list[Any], dict[str, str]]:
        """One page of ``items`` and its ``Link`` header, as GitHub paginates.

        ``per_page`` defaults to 30, at most 100; ``cap`` limits how many
        items can be reached at all (search: 1000, then 422).
        """
        per_page = _int(request.query.get("per_page"), 30, high=100)
        page = _int(request.query.get("page"), 1)
        reachable = len(items) if cap is None else min(len(items), cap)
        if cap is not None and (page - 1) * per_page >= cap:
            raise ApiError(422, f"Only the first {cap} search results are available", docs=SEARCH_DOCS)
        last = max(1, -(-reachable // per_page))
        start = (page - 1) * per_page
        rels = ([("prev", page - 1)] if page > 1 else []) + (
            [("next", page + 1), ("last", last)] if page < last else []
        )
        rels += [("first", 1)] if page > 1 else []
        links = ", ".join(f'<{self._page_url(request, n)}>; rel="{rel}"' for rel, n in rels)
        return items[start : min(start + per_page, reachable)], ({"Link": links} if links else {})

    def _page_url(self, request: Request, page: int) -> str:
        """The request's own URL with another ``page`` parameter."""
        pairs = [(k, v) for k, v in _query_pairs(request.target) if k != "page"] + [("page", str(page))]
        return f"{self.origin}{request.raw_path}?{urllib.parse.urlencode(pairs)}"

    def _listing(self, request: Request, items: list[Any], shape: Callable[[Any], Any]) -> Response:
        """A 200 answer with one page of ``items`` rendered by ``shape``."""
        chunk, headers = self._page(request, items)
        return Response(200, [shape(item) for item in chunk], headers)

    # =============================================================== search
    def _search_issues(self, request: Request, principal: Principal) -> Response:
        """``GET /search/issues``."""
        terms = self._search_terms(request.query.get("q", ""), principal)
        found = [
            (repo, issue)
            for repo in self.state.repos.values()
            if principal.can_read(repo) and search.in_scope(terms, repo)
            for issue in repo.issues.values()
            if search.matches(terms, issue)
        ]
        found = _sorted(found, request.query.get("sort") or "best-match", request.query.get("order", "desc"))
        incomplete = self.incomplete_searches > 0
        if incomplete:  # timed out: only part of the matches were found
            self.incomplete_searches -= 1
            found = found[: len(found) // 2]
        chunk, headers = self._page(request, found, cap=SEARCH_CAP)
        shapes = self._shapes()
        body = {
            "total_count": len(found),
            "incomplete_results": incomplete,
            "search_type": "lexical",
            "items": [shapes.search_item(repo, issue) for repo, issue in chunk],
        }
        return Response(200, body, headers)

    def _search_terms(self, q: str, principal: Principal) -> list[search.Term]:
        """Parse ``q``; 422 when empty, malformed or naming unknown scopes."""
        if not q.strip():
            raise invalid("Search", "q", "missing")
        terms = list(search.tokenize(q))
        try:
            search.check_dates(terms)
        except ValueError:
            raise invalid("Search", "q", message=f"Invalid search query {q!r}.") from None
        for term in search.scopes(terms):
            if not self._scope_exists(term, principal):
                raise invalid(
                    "Search",
                    "q",
                    message="The listed users and repositories cannot be searched either because the resources "
                    "do not exist or you do not have permission to view them.",
                )
        return terms

    def _scope_exists(self, term: search.Term, principal: Principal) -> bool:
        """Whether an ``org:``/``user:``/``repo:`` term names something visible."""
        if term.key == "repo":
            repo = self.state.find_repo(term.value)
            return repo is not None and principal.can_read(repo)
        return term.value.lower() in self.state.users

    # =============================================================== accounts
    def _get_user(self, request: Request, principal: Principal) -> Response:
        """``GET /user``: the token's user."""
        if principal.token is None:
            raise ApiError(401, "Requires authentication")
        if principal.token.installation_id is not None:
            raise ApiError(403, INACCESSIBLE_TO_APPS)
        login = principal.token.login
        private = sum(1 for r in self.state.repos.values() if r.private and r.owner.lower() == login.lower())
        return Response(200, self._shapes().private_user(login, private))

    def _get_rate_limit(self, request: Request, principal: Principal) -> Response:
        """``GET /rate_limit`` (free of charge, as on GitHub)."""
        return Response(200, self.rate_limits.overview(principal))

    # =============================================================== repositories
    def _get_repo(self, request: Request, principal: Principal, owner: str, repo: str) -> Response:
        """``GET /repos/{owner}/{repo}``."""
        found = self._readable(principal, owner, repo)
        return Response(200, self._shapes().repository(found, principal.access(found)))

    def _list_owner_repos(self, request: Request, principal: Principal, owner: str) -> Response:
        """``GET /orgs/{org}/repos`` and ``GET /users/{user}/repos``."""
        if owner.lower() not in self.state.users:
            raise not_found()
        kind = request.query.get("type", "all")
        repos = [
            r
            for r in self.state.repos.values()
            if r.owner.lower() == owner.lower()
            and principal.can_read(r)
            and kind in ("all", "owner", "member", "sources", "private" if r.private else "public")
        ]
        shapes = self._shapes()
        return self._listing(
            request, sorted(repos, key=lambda r: r.name.lower()), lambda r: shapes.repository(r, principal.access(r))
        )

    # =============================================================== issues
    def _list_issues(self, request: Request, principal: Principal, owner: str, repo: str) -> Response:
        """``GET /repos/{owner}/{repo}/issues`` (pull requests included, as on GitHub)."""
        found = self._readable(principal, owner, repo)
        query = request.query
        state = query.get("state", "open")
        if state not in ("open", "closed", "all"):
            raise invalid("Issue", "state")
        wanted = {name.lower() for name in query.get("labels", "").split(",") if name}
        since = _since(query.get("since"))
        issues = [
            i
            for i in found.issues.values()
            if state in ("all", i.state)
            and wanted <= {name.lower() for name in i.labels}
            and (since is None or i.updated_at >= since)
            and _matches_person(query.get("creator"), [i.user])
            and _matches_person(query.get("assignee"), i.assignees)
        ]
        ordered = [
            i
            for _, i in _sorted(
                [(found, i) for i in issues], query.get("sort", "created"), query.get("direction", "desc"), "Issue"
            )
        ]
        shapes = self._shapes()
        return self._listing(request, ordered, lambda i: shapes.issue(found, i))

    def _create_issue(self, request: Request, principal: Principal, owner: str, repo: str) -> Response:
        """``POST /repos/{owner}/{repo}/issues``: 201 with a ``Location``."""
        found = self._writable(principal, owner, repo)
        body = _object(request)
        issue = self.state.add_issue(
            found,
            str(body.get("title") or ""),
            user=self._actor(principal),
            body=body.get("body"),
            labels=label_names(body.get("labels") or []),
            assignees=body.get("assignees") or ([body["assignee"]] if body.get("assignee") else []),
        )
        shape = self._shapes().issue(found, issue)
        return Response(201, shape, {"Location": shape["url"]})

    def _get_issue(self, request: Request, principal: Principal, owner: str, repo: str, number: str) -> Response:
        """``GET /repos/{owner}/{repo}/issues/{number}``."""
        found = self._readable(principal, owner, repo)
        return Response(200, self._shapes().issue(found, self.state.issue(found, number)))

    def _update_issue(self, request: Request, principal: Principal, owner: str, repo: str, number: str) -> Response:
        """``PATCH /repos/{owner}/{repo}/issues/{number}``."""
        found = self._writable(principal, owner, repo)
        issue = self.state.issue(found, number)
        self.state.update_issue(found, issue, _object(request), self._actor(principal))
        return Response(200, self._shapes().issue(found, issue))

    def _list_comments(self, request: Request, principal: Principal, owner: str, repo: str, number: str) -> Response:
        """``GET .../issues/{number}/comments`` (oldest first; ``since`` filter)."""
        found = self._readable(principal, owner, repo)
        issue = self.state.issue(found, number)
        since = _since(request.query.get("since"))
        comments = [c for c in issue.comments if since is None or c.updated_at >= since]
        shapes = self._shapes()
        return self._listing(request, comments, lambda c: shapes.comment(found, issue, c))

    def _create_comment(self, request: Request, principal: Principal, owner: str, repo: str, number: str) -> Response:
        """``POST .../issues/{number}/comments``: 201 with a ``Location``."""
        found = self._writable(principal, owner, repo)
        issue = self.state.issue(found, number)
        comment = self.state.add_comment(issue, _object(request).get("body"), self._actor(principal))
        shape = self._shapes().comment(found, issue, comment)
        return Response(201, shape, {"Location": shape["url"]})

    def _update_comment(self, request: Request, principal: Principal, owner: str, repo: str, comment_id: str) -> Response:
        """``PATCH /repos/{owner}/{repo}/issues/comments/{comment_id}``: 200 with the comment."""
        found = self._writable(principal, owner, repo)
        issue, comment = self.state.comment(found, comment_id)
        self.state.edit_comment(comment, _object(request).get("body"))
        return Response(200, self._shapes().comment(found, issue, comment))

    def _delete_comment(self, request: Request, principal: Principal, owner: str, repo: str, comment_id: str) -> Response:
        """``DELETE /repos/{owner}/{repo}/issues/comments/{comment_id}``: 204."""
        found = self._writable(principal, owner, repo)
        issue, comment = self.state.comment(found, comment_id)
        issue.comments.remove(comment)
        return Response(204, None)

    # =============================================================== labels
    def _list_issue_labels(
        self, request: Request, principal: Principal, owner: str, repo: str, number: str
    ) -> Response:
        """``GET .../issues/{number}/labels``."""
        found = self._readable(principal, owner, repo)
        issue = self.state.issue(found, number)
        shapes = self._shapes()
        return self._listing(
            request, [found.labels[n.lower()] for n in issue.labels], lambda lb: shapes.label(found, lb)
        )

    def _add_issue_labels(self, request: Request, principal: Principal, owner: str, repo: str, number: str) -> Response:
        """``POST .../issues/{number}/labels``: add, answer the issue's labels."""
        return self._change_labels(request, principal, owner, repo, number, self.state.add_labels)

    def _set_issue_labels(self, request: Request, principal: Principal, owner: str, repo: str, number: str) -> Response:
        """``PUT .../issues/{number}/labels``: replace, answer the issue's labels."""
        return self._change_labels(request, principal, owner, repo, number, self.state.set_labels)

    def _change_labels(
        self, request: Request, principal: Principal, owner: str, repo: str, number: str, change: Callable[..., None]
    ) -> Response:
        """Shared body of the add/set label endpoints."""
        found = self._writable(principal, owner, repo)
        issue = self.state.issue(found, number)
        change(found, issue, label_names(request.body if request.body is not None else []))
        return Response(200, self._shapes().issue_labels(found, issue))

    def _remove_issue_label(
        self, request: Request, principal: Principal, owner: str, repo: str, number: str, name: str
    ) -> Response:
        """``DELETE .../issues/{number}/labels/{name}``: answer the labels left."""
        found = self._writable(principal, owner, repo)
        issue = self.state.issue(found, number)
        self.state.remove_label(found, issue, name)
        return Response(200, self._shapes().issue_labels(found, issue))

    def _list_labels(self, request: Request, principal: Principal, owner: str, repo: str) -> Response:
        """``GET /repos/{owner}/{repo}/labels``."""
        found = self._readable(principal, owner, repo)
        shapes = self._shapes()
        return self._listing(request, list(found.labels.values()), lambda lb: shapes.label(found, lb))

    def _create_label(self, request: Request, principal: Principal, owner: str, repo: str) -> Response:
        """``POST /repos/{owner}/{repo}/labels``: 201."""
        found = self._writable(principal, owner, repo)
        body = _object(request)
        label = self.state.create_label(found, str(body.get("name") or ""), body.get("color"), body.get("description"))
        shape = self._shapes().label(found, label)
        return Response(201, shape, {"Location": shape["url"]})

    def _get_label(self, request: Request, principal: Principal, owner: str, repo: str, name: str) -> Response:
        """``GET /repos/{owner}/{repo}/labels/{name}``."""
        found = self._readable(principal, owner, repo)
        label = found.label(name)
        if label is None:
            raise not_found()
        return Response(200, self._shapes().label(found, label))

    # =============================================================== contents
    def _get_contents(self, request: Request, principal: Principal, owner: str, repo: str, path: str = "") -> Response:
        """``GET /repos/{owner}/{repo}/contents/{path}?ref=``: a file or a folder."""
        found = self._readable(principal, owner, repo)
        ref = request.query.get("ref") or found.default_branch
        tree = found.tree(ref)
        path = path.strip("/")
        shapes = self._shapes()
        if path in tree:
            return Response(200, shapes.file(found, path, tree[path], ref))
        entries = list_dir(tree, path)
        if entries is None:
            raise not_found()
        return Response(200, [shapes.content(found, p, data, ref) for p, data in entries])

    def _put_contents(self, request: Request, principal: Principal, owner: str, repo: str, path: str) -> Response:
        """``PUT /repos/{owner}/{repo}/contents/{path}``: 201 created, 200 updated."""
        found = self._writable(principal, owner, repo)
        body = _object(request)
        for required in ("message", "content"):
            if body.get(required) is None:
                raise not_supplied(required)
        who = self._committer(principal)
        commit, created = self.state.write_file(
            found,
            path.strip("/"),
            decode_base64(body["content"]),
            message=str(body["message"]),
            branch=body.get("branch"),
            sha=body.get("sha"),
            author=body.get("author") or body.get("committer") or who,
            committer=body.get("committer") or who,
        )
        return Response(201 if created else 200, self._shapes().file_commit(found, commit))

    # =============================================================== GitHub App
    def _list_installations(self, request: Request, principal: Principal) -> Response:
        """``GET /app/installations`` (JWT)."""
        return self._listing(request, list(self.installations.values()), self._installation_shape)

    def _get_installation(
        self, request: Request, principal: Principal, owner: str, repo: str | None = None
    ) -> Response:
        """``GET /repos/{owner}/{repo}/installation`` and ``/orgs/{org}/installation`` (JWT)."""
        target = self.state.find_repo(f"{owner}/{repo}") if repo else None
        for inst in self.installations.values():
            if inst.account.lower() == owner.lower() and (repo is None or (target and _installed_on(inst, target))):
                return Response(200, self._installation_shape(inst))
        raise not_found()

    def _create_installation_token(self, request: Request, principal: Principal, installation_id: str) -> Response:
        """``POST /app/installations/{id}/access_tokens`` (JWT): 201 ``{token, expires_at}``."""
        inst = self.installations.get(int(installation_id)) if installation_id.isdigit() else None
        if inst is None or self.app is None:
            raise not_found()
        names = _object(request).get("repositories")
        repos = frozenset(f"{inst.account}/{n}".lower() for n in names) if names else inst.repos
        if repos and inst.repos is not None and not repos <= inst.repos:
            raise invalid("Installation", "repositories")
        token = self.add_token(
            "ghs_" + secrets.token_hex(18),
            login=f"{self.app.slug}[bot]",
            repos=repos,
            owner=inst.account,
            installation_id=inst.id,
            expires_at=self.clock() + self.app.token_lifetime,
        )
        expires = iso(datetime.fromtimestamp(int(token.expires_at or 0), UTC))
        body = {
            "token": token.value,
            "expires_at": expires,
            "permissions": {"issues": "write", "contents": "write", "metadata": "read"},
            "repository_selection": "all" if repos is None else "selected",
        }
        return Response(201, body)

    def _installation_shape(self, inst: Installation) -> dict[str, Any]:
        """The ``installation`` JSON of an installation."""
        assert self.app is not None
        return self._shapes().installation(
            inst.id, inst.account, self.app.app_id, self.app.slug, inst.repos is not None
        )

    def _actor(self, principal: Principal) -> str:
        """Login that writes made by this principal are attributed to."""
        assert principal.token is not None
        return principal.token.login

    def _committer(self, principal: Principal) -> dict[str, str]:
        """The git author and committer of the principal's contents writes: its name and noreply address."""
        user = self.state.users[self._actor(principal).lower()]
        return {"name": user.name or user.login, "email": f"{user.id}+{user.login}@users.noreply.github.com"}


def _query_pairs(target: str) -> list[tuple[str, str]]:
    """Query parameters of a request target, in order."""
    return urllib.parse.parse_qsl(urllib.parse.urlsplit(target).query, keep_blank_values=True)


def _int(text: str | None, default: int, *, high: int | None = None) -> int:
    """A positive integer query parameter; junk means the default."""
    try:
        value = max(1, int(text)) if text else default
    except ValueError:
        value = default
    return min(value, high) if high else value


def _since(text: str | None) -> datetime | None:
    """An ISO 8601 ``since`` parameter, else 422."""
    if not text:
        return None
    try:
        return search.bounds(text)[0]
    except ValueError:
        raise invalid("Issue", "since") from None


def _matches_person(wanted: str | None, logins: list[str]) -> bool:
    """``creator``/``assignee`` filters: a login, ``*`` (any) or ``none``."""
    if wanted is None:
        return True
    if wanted in ("*", "none"):
        return bool(logins) == (wanted == "*")
    return wanted.lower() in {login.lower() for login in logins}


SORT_KEYS: dict[str, Callable[[Issue], Any]] = {
    "created": lambda i: i.created_at,
    "updated": lambda i: i.updated_at,
    "comments": lambda i: len(i.comments),
    "best-match": lambda i: i.created_at,
}


def _sorted(
    pairs: list[tuple[Repo, Issue]], sort: str, order: str, resource: str = "Search"
) -> list[tuple[Repo, Issue]]:
    """Sort (repo, issue) pairs; best match is newest first here."""
    if sort not in SORT_KEYS or order not in ("asc", "desc"):
        raise invalid(resource, "sort" if sort not in SORT_KEYS else "direction")
    key = SORT_KEYS[sort]
    return sorted(pairs, key=lambda p: (key(p[1]), p[1].id), reverse=order == "desc" or sort == "best-match")


def _object(request: Request) -> dict[str, Any]:
    """The JSON object body of a request; 400 if it is not one."""
    if request.body is None:
        return {}
    if not isinstance(request.body, dict):
        raise ApiError(400, "Problems parsing JSON")
    return request.body


def _installed_on(inst: Installation, repo: Repo) -> bool:
    """Whether an installation covers a repository."""
    return repo.owner.lower() == inst.account.lower() and (inst.repos is None or repo.full_name.lower() in inst.repos)
