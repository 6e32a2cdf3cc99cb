"""A stateful, in-process double of the GitHub REST API, served over HTTP.

Real clients (PyGithub, or the bot as a subprocess through ``GITHUB_API_URL``)
talk to it on ``127.0.0.1``.  See ``README.md`` beside this file for the
endpoints served, and :mod:`tests.doubles.http` for the request log and the
fault injection every double shares.

Typical use::

    with running_github() as gh:
        gh.add_repo("wg/meetings")
        n = gh.add_issue("wg/meetings", "Topic", labels=["agenda"])
        client = github.Github(base_url=gh.url, auth=github.Auth.Token(DEFAULT_TOKEN), retry=None)
        ...
        assert gh.get_issue("wg/meetings", n)["state"] == "closed"
        assert len(gh.writes(r"/issues")) == 1

``GitHubDouble(prefix="/api/v3")`` serves the same API under that prefix, as
GitHub Enterprise Server does; :attr:`GitHubDouble.url` includes it.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import time
import urllib.parse
from collections.abc import Callable, Iterable, Iterator
from datetime import datetime
from typing import Any

from tests.doubles.github_auth import (
    ANONYMOUS,
    JWT_UNDECODABLE,
    Principal,
    RateLimits,
    Token,
    credential,
    looks_like_jwt,
    verify_app_jwt,
)
from tests.doubles.github_commits import COMMIT_ROUTES, Commits
from tests.doubles.github_endpoints import (
    INACCESSIBLE_TO_APPS,
    ROUTES,
    App,
    Endpoints,
    Installation,
    Route,
)
from tests.doubles.github_graphql import GraphQLEndpoint, is_graphql_query
from tests.doubles.github_pulls import PULL_ROUTES, Pulls
from tests.doubles.github_state import ApiError, GitHubState, git_blob_sha, not_found
from tests.doubles.http import HTTPDouble, Raw, Request, Response

DEFAULT_TOKEN = "ghp_test0000000000000000000000000000000000"
DEFAULT_LOGIN = "meeting-bot"
SECONDARY_MESSAGE = (
    "You have exceeded a secondary rate limit. Please wait a few minutes before you try again. "
    "If you reach out to GitHub Support for help, please include the request ID 0000:0000:0000000:0000000:00000000."
)
SECONDARY_DOCS = "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api#about-secondary-rate-limits"
# What the load balancer in front of the API answers when the service behind it fails: a plain HTML
# page (RFC 9110 section 15.6.3: 502 Bad Gateway, any content type), not GitHub's JSON error body.
BAD_GATEWAY_PAGE = (
    b"<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n"
    b"<center><h1>502 Bad Gateway</h1></center>\r\n</body>\r\n</html>\r\n"
)


ALL_ROUTES = [*ROUTES, *PULL_ROUTES, *COMMIT_ROUTES]


class GitHubDouble(GraphQLEndpoint, Commits, Pulls, Endpoints, HTTPDouble):
    """The GitHub REST and GraphQL API double; see the module docstring and README.md."""

    def __init__(
        self,
        prefix: str = "",
        *,
        tokens: dict[str, str] | None = None,
        login: str = DEFAULT_LOGIN,
        clock: Callable[[], float] = time.time,
        discussion_search: bool = True,
    ) -> None:
        """Set up an empty GitHub; start it with :meth:`start` or ``with``.

        ``tokens`` maps token → access level (``read``/``write``/``admin``)
        for user ``login``; default ``{DEFAULT_TOKEN: "write"}``.  ``clock``
        (epoch seconds) drives timestamps, rate-limit windows and expiries.
        ``discussion_search=False``: a GitHub Enterprise Server whose GraphQL
        schema has no ``DISCUSSION`` search type.
        """
        super().__init__()
        self.discussion_search = discussion_search
        self.prefix = prefix.rstrip("/")
        self.clock = clock
        self.state = GitHubState(lambda: self.clock())
        self.rate_limits = RateLimits(lambda: self.clock())
        self.incomplete_searches = 0  # how many next searches time out (`incomplete_results: true`)
        self.tokens: dict[str, Token] = {}
        self.app: App | None = None
        self.installations: dict[int, Installation] = {}
        for value, access in (tokens or {DEFAULT_TOKEN: "write"}).items():
            self.add_token(value, login=login, access=access)

    @property
    def url(self) -> str:
        """Base URL for clients: ``http://127.0.0.1:PORT`` plus the prefix."""
        return self.origin + self.prefix

    @property
    def graphql_path(self) -> str:
        """``/graphql``, or ``/api/graphql`` beside GitHub Enterprise Server's ``/api/v3``."""
        return self.prefix.removesuffix("/v3") + "/graphql"

    # =============================================================== dispatch
    def handle(self, request: Request) -> Response:
        """Authenticate, spend the rate limit, run the endpoint's handler."""
        try:
            found, params, principal = self._context(request)
            if isinstance(principal, ApiError):
                raise principal
            if found is None:
                raise not_found()
            if found.resource and found.charged:
                self.rate_limits.spend(principal, found.resource)
            response = getattr(self, "_" + found.handler)(request, principal, **params)
            return self._conditional(request, principal, found, response)
        except ApiError as error:
            return Response(error.status, error.body(), dict(error.headers))

    def _conditional(self, request: Request, principal: Principal, found: Route, response: Response) -> Response:
        """GitHub's conditional requests: an ``ETag`` on every 200 to a GET, and a bodiless 304, not
        counted against the rate limit, when ``If-None-Match`` names the current one."""
        if request.method != "GET" or response.status != 200:
            return response
        tag = etag(response)
        response.headers["ETag"] = tag
        if tag not in _tags(request.headers.get("if-none-match")):
            return response
        if found.resource:
            self.rate_limits.refund(principal, found.resource)
        return Response(304, None, {"ETag": tag, **{k: v for k, v in response.headers.items() if k == "Link"}})

    def inspect(self, request: Request) -> None:
        """A GraphQL query only reads: it is no write in the log (a mutation would be)."""
        if request.method == "POST" and request.raw_path.rstrip("/") == self.graphql_path:
            request.read_only = is_graphql_query(request.body)

    def finish_response(self, request: Request, response: Response) -> None:
        """Add the rate-limit and GitHub headers every answer carries (a load balancer's page has none)."""
        if isinstance(response.body, Raw):
            return
        found, _, principal = self._context(request)
        if isinstance(principal, ApiError):
            principal = ANONYMOUS
        resource = found.resource if found is not None and found.resource else "core"
        present = {name.lower() for name in response.headers}
        extra = self.rate_limits.headers(principal, resource) | {
            "X-GitHub-Media-Type": "github.v3; format=json",
            "X-GitHub-Api-Version-Selected": "2022-11-28",
            "X-GitHub-Request-Id": f"D0UB:{id(request) % 10**8:08X}",
        }
        response.headers.update({k: v for k, v in extra.items() if k.lower() not in present})

    def error_body(self, status: int) -> Any:
        """GitHub-style body for injected errors."""
        return ApiError(status, super().error_body(status)["message"]).body()

    def _context(self, request: Request) -> tuple[Route | None, dict[str, str], Principal | ApiError]:
        """Route and principal of a request, computed once and cached on it."""
        if "github" not in request.context:
            found, params = self._route(request)
            try:
                principal: Principal | ApiError = self._authenticate(request, found is not None and found.jwt)
            except ApiError as error:
                principal = error
            request.context["github"] = (found, params, principal)
        return request.context["github"]

    def _route(self, request: Request) -> tuple[Route | None, dict[str, str]]:
        """The endpoint of a request (``None`` if unknown) and its path parameters."""
        if request.raw_path.rstrip("/") == self.graphql_path:
            path = "/graphql"
        elif not request.raw_path.startswith(self.prefix + "/"):
            return None, {}
        else:
            path = request.raw_path[len(self.prefix) :]
        for candidate in ALL_ROUTES:
            match = candidate.pattern.fullmatch(path)
            if match and candidate.method == request.method:
                return candidate, {k: urllib.parse.unquote(v) for k, v in match.groupdict().items()}
        return None, {}

    def _authenticate(self, request: Request, wants_jwt: bool) -> Principal:
        """Who the request acts as, or a 401/403 :class:`ApiError`."""
        secret = credential(request.headers.get("authorization"))
        if secret is None and not wants_jwt:
            return ANONYMOUS
        if secret and looks_like_jwt(secret):
            if not wants_jwt:
                raise ApiError(403, INACCESSIBLE_TO_APPS)
            if self.app is None:
                raise ApiError(401, JWT_UNDECODABLE)
            verify_app_jwt(secret, self.app.app_id, self.app.public_key, self.clock())
            return Principal(app_id=self.app.app_id)
        if wants_jwt:
            raise ApiError(401, JWT_UNDECODABLE)
        token = self.tokens.get(secret or "")
        if token is None or (token.expires_at is not None and token.expires_at <= self.clock()):
            raise ApiError(401, "Bad credentials")
        return Principal(token=token)

    # =============================================================== test API: credentials
    def add_token(
        self,
        value: str,
        *,
        login: str = DEFAULT_LOGIN,
        access: str = "write",
        repos: Iterable[str] | None = None,
        owner: str | None = None,
        installation_id: int | None = None,
        expires_at: float | None = None,
        discussions: bool = True,
    ) -> Token:
        """Accept a token for ``login`` with ``read``/``write``/``admin`` access.

        ``repos`` (``owner/name``) limits the repositories it may write to and
        the private ones it sees; ``discussions=False`` makes every discussion
        it asks GraphQL for a ``FORBIDDEN`` error (a token without the
        Discussions permission); the other arguments serve installation tokens.
        """
        with self.lock:
            user = self.state.user(login, "Bot" if login.endswith("[bot]") else "User")
            scope = None if repos is None else frozenset(r.lower() for r in repos)
            token = Token(value, user.login, access, scope, owner, installation_id, expires_at, user.id, discussions)
            self.tokens[value] = token
            return token

    def remove_token(self, value: str) -> None:
        """Revoke a token: it gets 401 ``Bad credentials`` from now on."""
        with self.lock:
            self.tokens.pop(value, None)

    def configure_app(
        self, app_id: int, public_key_pem: str, *, slug: str = DEFAULT_LOGIN, token_lifetime: int = 3600
    ) -> None:
        """Accept RS256 JWTs of app ``app_id`` signed by the matching private key.

        Installation tokens made with them live ``token_lifetime`` seconds.
        """
        with self.lock:
            self.app = App(app_id, public_key_pem, slug, token_lifetime)

    def add_installation(self, installation_id: int, account: str, *, repos: Iterable[str] | None = None) -> None:
        """Install the app on ``account``: all its repositories, or ``repos`` (names)."""
        with self.lock:
            self.state.user(account, "Organization")
            scope = None if repos is None else frozenset(f"{account}/{r}".lower() for r in repos)
            self.installations[installation_id] = Installation(installation_id, account, scope)

    def expire_tokens(self) -> None:
        """Make every installation token expired (401 until a new one is made)."""
        with self.lock:
            for token in self.tokens.values():
                if token.installation_id is not None:
                    token.expires_at = self.clock()

    # =============================================================== test API: rate limits
    def set_rate_limit(self, resource: str, limit: int, window: int | None = None, *, anonymous: bool = False) -> None:
        """Set the ``core`` or ``search`` limit (per ``window`` seconds); restarts its windows."""
        with self.lock:
            self.rate_limits.configure(resource, limit, window, anonymous=anonymous)

    def reset_rate_limits(self) -> None:
        """Start every rate-limit window afresh."""
        with self.lock:
            self.rate_limits.buckets.clear()

    def remaining(self, resource: str = "core", token: str | None = DEFAULT_TOKEN) -> int:
        """Requests left for a token (``None``: anonymous) on a resource."""
        with self.lock:
            principal = ANONYMOUS if token is None else Principal(token=self.tokens[token])
            return self.rate_limits.bucket(principal, resource).remaining

    def inject_secondary_limit(
        self,
        method: str = "*",
        path_regex: str = ".*",
        *,
        status: int = 403,
        retry_after: int | None = 1,
        times: int | None = 1,
    ) -> None:
        """Answer matching requests with GitHub's secondary rate limit.

        ``status`` 403 or 429; a ``Retry-After`` header unless ``retry_after`` is ``None``.
        """
        headers = {} if retry_after is None else {"Retry-After": str(retry_after)}
        body = {"message": SECONDARY_MESSAGE, "documentation_url": SECONDARY_DOCS}
        self.inject(method, path_regex, status, times=times, body=body, headers=headers)

    def inject_bad_gateway(self, method: str = "*", path_regex: str = ".*", *, times: int | None = 1,
                           apply: bool = False) -> None:
        """Answer matching requests with the load balancer's 502 HTML page (``apply``: after carrying them out)."""
        page = Raw(BAD_GATEWAY_PAGE, "text/html")
        self.inject(method, path_regex, 502, times=times, body=page, apply=apply)

    def time_out_searches(self, times: int = 1) -> None:
        """The next ``times`` searches time out: GitHub answers the matches found before the timeout,
        marked ``incomplete_results: true`` (GitHub Docs, "Troubleshooting search queries: Potential
        timeouts"; the search-issues answer schema's `incomplete_results`)."""
        with self.lock:
            self.incomplete_searches += times

    # =============================================================== test API: state
    def add_repo(self, full_name: str, **options: Any) -> None:
        """Create an empty repository ``owner/name`` (owner created as needed).

        Options: ``private=False``, ``default_branch="main"``,
        ``owner_type="Organization"`` (or ``"User"``), ``description=None``.
        """
        with self.lock:
            self.state.add_repo(full_name, **options)

    def add_issue(
        self,
        repo: str,
        title: str,
        labels: Iterable[str] = (),
        state: str = "open",
        pull_request: bool = False,
        user: str = "alice",
        body: str = "",
        created_at: datetime | None = None,
        *,
        assignees: Iterable[str] = (),
        merged: bool = False,
    ) -> int:
        """Add an issue (or, with ``pull_request``, a PR) and return its number.

        Unknown labels are created; ``state="closed"`` closes it (completed);
        ``merged`` marks a PR merged (and closed).
        """
        with self.lock:
            found = self.state.repo(repo)
            issue = self.state.add_issue(
                found,
                title,
                user=user,
                body=body,
                labels=labels,
                assignees=assignees,
                pull_request=pull_request,
                created_at=created_at,
            )
            if merged:
                issue.merged_at = issue.created_at
                state = "closed"
            if state != "open":
                self.state.set_state(issue, state, None, user)
                issue.closed_at = issue.updated_at = issue.created_at
            return issue.number

    def add_member(self, org: str, login: str) -> None:
        """Make ``login`` a member of organization ``org`` (its issues then say ``MEMBER``)."""
        with self.lock:
            self.state.user(org, "Organization")
            self.state.user(login)
            self.state.members.setdefault(org.lower(), set()).add(login.lower())

    def add_discussion(
        self, repo: str, title: str, labels: Iterable[str] = (), *, user: str = "alice", body: str = "",
        created_at: datetime | None = None, state: str = "open",
    ) -> int:
        """Open a discussion (``state="closed"`` closes it) and return its number (shared with issues)."""
        with self.lock:
            found = self.state.repo(repo)
            discussion = self.state.add_discussion(found, title, user=user, body=body, labels=labels,
                                                   created_at=created_at)
            if state != "open":
                discussion.state, discussion.closed_at = state, discussion.created_at
            return discussion.number

    def set_discussion(self, repo: str, number: int, *, labels: Iterable[str] | None = None, **fields: Any) -> None:
        """Change a discussion: ``labels`` (replaced), ``state``, ``title``, ``updated_at``, ..."""
        with self.lock:
            found = self.state.repo(repo)
            discussion = found.discussions[number]
            if labels is not None:
                discussion.labels = [self.state.ensure_label(found, name).name for name in labels]
            for name, value in fields.items():
                if not hasattr(discussion, name):
                    raise AttributeError(f"discussions have no field {name!r}")
                setattr(discussion, name, value)
            discussion.updated_at = self.state.now()

    def add_label(self, repo: str, name: str, color: str = "ededed", description: str | None = None) -> None:
        """Create a repository label."""
        with self.lock:
            self.state.create_label(self.state.repo(repo), name, color, description)

    def label(self, repo: str, number: int, *names: str) -> None:
        """Add labels to an issue (created if unknown)."""
        with self.lock:
            found = self.state.repo(repo)
            self.state.add_labels(found, self.state.issue(found, number), names)

    def unlabel(self, repo: str, number: int, *names: str) -> None:
        """Remove labels from an issue."""
        with self.lock:
            found = self.state.repo(repo)
            for name in names:
                self.state.remove_label(found, self.state.issue(found, number), name)

    def set_issue(self, repo: str, number: int, **fields: Any) -> None:
        """Overwrite issue attributes directly (see ``github_state.Issue``).

        E.g. ``state="closed"``, ``updated_at=datetime(...)``, ``title=...``.
        """
        with self.lock:
            issue = self.state.issue(self.state.repo(repo), number)
            if "state" in fields:
                self.state.set_state(issue, fields.pop("state"), fields.pop("state_reason", None), issue.user)
            for name, value in fields.items():
                if not hasattr(issue, name):
                    raise AttributeError(f"issues have no field {name!r}")
                setattr(issue, name, value)

    def add_comment(self, repo: str, number: int, body: str, user: str = "alice") -> int:
        """Comment on an issue; returns the comment id."""
        with self.lock:
            found = self.state.repo(repo)
            return self.state.add_comment(self.state.issue(found, number), body, user).id

    def get_issue(self, repo: str, number: int) -> dict[str, Any]:
        """The issue as ``GET /repos/{repo}/issues/{number}`` would return it."""
        with self.lock:
            found = self.state.repo(repo)
            return self._shapes().issue(found, self.state.issue(found, number))

    def issues(self, repo: str) -> list[dict[str, Any]]:
        """Every issue and PR of a repository (API shape), by number."""
        with self.lock:
            found = self.state.repo(repo)
            return [self._shapes().issue(found, i) for _, i in sorted(found.issues.items())]

    def comments(self, repo: str, number: int) -> list[dict[str, Any]]:
        """Comments of an issue (API shape), oldest first."""
        with self.lock:
            found = self.state.repo(repo)
            issue = self.state.issue(found, number)
            return [self._shapes().comment(found, issue, c) for c in issue.comments]

    def file(self, repo: str, path: str, ref: str | None = None) -> str | None:
        """Text of a file at a branch/commit (default branch), or ``None``."""
        with self.lock:
            try:
                data = self.state.repo(repo).tree(ref).get(path.strip("/"))
            except ApiError:
                return None
            return None if data is None else data.decode("utf-8")

    def put_file(
        self,
        repo: str,
        path: str,
        text: str,
        *,
        message: str = "Seed file",
        branch: str | None = None,
        author: dict[str, str] | None = None,
    ) -> str:
        """Commit a file directly (no sha check); returns its blob SHA. ``author``: name and email."""
        with self.lock:
            found = self.state.repo(repo)
            author = author or {"name": "seed", "email": "seed@example.com"}
            data = text.encode()
            self.state.write_file(
                found, path.strip("/"), data, message=message, branch=branch, author=author, check_sha=False
            )
            return git_blob_sha(data)

    def add_branch(self, repo: str, name: str, from_ref: str | None = None) -> None:
        """Create a branch at the head of ``from_ref`` (default branch)."""
        with self.lock:
            found = self.state.repo(repo)
            self.state.add_branch(found, name, from_ref)

    def commits(self, repo: str) -> list[dict[str, Any]]:
        """Commits of a repository, oldest first (sha, message, branch, path, ...)."""
        with self.lock:
            return [c.summary() for c in self.state.repo(repo).commits.values()]


@contextlib.contextmanager
def running_github(**kwargs: Any) -> Iterator[GitHubDouble]:
    """Start a :class:`GitHubDouble` (``kwargs`` go to its constructor), stop it after."""
    double = GitHubDouble(**kwargs)
    double.start()
    try:
        yield double
    finally:
        double.stop()


def etag(response: Response) -> str:
    """A weak validator of what a GET answered (its body and its pagination links), as GitHub sends."""
    basis = json.dumps(response.body, sort_keys=True) + response.headers.get("Link", "")
    return 'W/"' + hashlib.sha256(basis.encode()).hexdigest()[:40] + '"'


def _tags(header: str | None) -> set[str]:
    """The validators an ``If-None-Match`` header names (weak comparison: ``W/`` is ignored)."""
    tags = {t.strip() for t in (header or "").split(",") if t.strip()}
    return tags | {t[2:] if t.startswith("W/") else "W/" + t for t in tags}
