"""The one PyGithub client of a run: authentication, timeouts, rate limits as GitHub documents them, typed errors."""

from __future__ import annotations

import contextlib
import http.client
import time
from typing import Callable, Iterator, TypeVar

import github
import requests
from github import Auth, GithubException

from bot import logs
from bot.adapters.conditional import ETagCache
from bot.adapters.retry import TRANSIENT, Failure, Kind, Policy
from bot.ports import Forbidden, NotFound, RateLimited, ServiceError, Conflict
from bot.settings import DEFAULT_MAX_RATE_LIMIT_WAIT, Settings

T = TypeVar("T")

PER_PAGE = 100
USER_AGENT = "meeting-bot"

BAD_CREDENTIALS = "GitHub rejected the credentials (401 Bad credentials): check GITHUB_TOKEN or the GitHub App settings"
NOT_FOUND = "{what}: not found on GitHub, or not visible to these credentials (404)"
FORBIDDEN = "{what}: permission denied by GitHub (403: {message})"
RATE_LIMITED = "{what}: GitHub's rate limit does not lift within the {cap:.0f} s the bot waits (MEETING_BOT_MAX_RATE_LIMIT_WAIT)"
CONFLICT = "{what}: changed by someone else at the same time (409); the next run will catch up"
FAILED = "{what}: GitHub answered {status}: {message}"
RESET_MARGIN = 1.0  # seconds past x-ratelimit-reset before the next request
SECONDARY_WAIT = 60.0  # a secondary limit without retry-after: "wait for at least one minute"
RATE_LIMIT_DOCS = "rate-limit"  # in the documentation_url of GitHub's rate-limit answers
UNREACHABLE = "{what}: cannot reach GitHub at {url} ({kind})"
NO_INSTALLATION = "GitHub App: not installed on {owner} (needed for {repo}); install it there, or set GITHUB_APP_INSTALLATION_ID"
APP_KEY_UNUSABLE = "GitHub App: the private key cannot sign a token ({kind}); check GITHUB_APP_PRIVATE_KEY"


def _options(settings: Settings) -> dict:
    return dict(
        base_url=settings.github_api_url,
        timeout=max(1, round(settings.http_timeout)),  # PyGithub takes whole seconds
        user_agent=USER_AGENT,
        per_page=PER_PAGE,
        retry=0,  # PyGithub's GithubRetry is off: bot.adapters.retry is the one layer that repeats requests
        seconds_between_requests=None,
        seconds_between_writes=None,  # paced by the policy, before the clock check, not after it
    )


def _check_app_key(key: str) -> None:
    """Sign a token once, here, so that an unusable key is told apart by where it failed, not by a message."""
    import jwt
    from cryptography.exceptions import UnsupportedAlgorithm

    try:
        jwt.encode({"iss": "meeting-bot"}, key, algorithm="RS256")
    except (jwt.PyJWTError, ValueError, TypeError, UnsupportedAlgorithm) as exc:
        raise ServiceError(APP_KEY_UNUSABLE.format(kind=type(exc).__name__)) from None


def _app(settings: Settings) -> Auth.AppAuth:
    app_id, key = settings.github_app_id, settings.github_app_private_key
    assert app_id is not None and key is not None  # an App's client is made only when both are set
    _check_app_key(key.reveal())
    with github_errors("GitHub App"):
        return Auth.AppAuth(app_id, key.reveal())


def installation_for(settings: Settings, repo: str, calls: Calls | None = None) -> int:
    """The id of the App's installation on `repo`'s owner (one request, signed with the App's JWT)."""
    calls = calls or Calls(None, settings.max_rate_limit_wait, settings.github_api_url)
    integration = github.GithubIntegration(auth=_app(settings), **_options(settings))
    owner, name = repo.split("/", 1)
    try:
        installation = calls(f"GitHub App installation for {repo}", lambda: integration.get_repo_installation(owner, name))
    except NotFound:
        raise NotFound(NO_INSTALLATION.format(owner=owner, repo=repo)) from None
    from bot.adapters import github_identity

    github_identity.remember_app(settings, installation.app_slug)  # the bot's identity, at no extra cost
    return installation.id


def make_client(settings: Settings, installation: int | None = None) -> github.Github:
    """A client for the settings: a GitHub App's `installation`, else a token, else anonymous."""
    logs.adopt(logs.LIBRARY_LOGGER)  # importing PyGithub gave its logger a plain handler of its own
    auth: Auth.Auth | None = None
    if settings.github_app_id and settings.github_app_private_key and installation is not None:
        auth = _app(settings).get_installation_auth(installation)
    elif settings.github_token:
        auth = Auth.Token(settings.github_token.reveal())
    return github.Github(auth=auth, **_options(settings))


def _headers(exc: Exception) -> dict[str, str]:
    return {k.lower(): v for k, v in (getattr(exc, "headers", None) or {}).items()}


def rate_limit(exc: Exception, now: float) -> Failure | None:
    """GitHub's rate-limit answers, as its REST docs describe them ("Rate limits for the REST API").

    Primary: 403 or 429 with `x-ratelimit-remaining: 0`, lifting at `x-ratelimit-reset` (epoch seconds).
    Secondary: 403 or 429 with `retry-after` (seconds), or without it, marked by the body's documented
    `documentation_url` (or a 429 alone): then "wait for at least one minute", longer each time.
    """
    status = getattr(exc, "status", None)
    if status not in (403, 429):
        return None
    headers = _headers(exc)
    retry_after = (headers.get("retry-after") or "").strip()
    if retry_after.isdigit():
        return Failure(rate_limit=True, wait=float(retry_after))
    if headers.get("x-ratelimit-remaining") == "0":
        reset = headers.get("x-ratelimit-reset") or ""
        wait = float(reset) - now + RESET_MARGIN if reset.isdigit() else None
        return Failure(rate_limit=True, wait=None if wait is None else max(0.0, wait), unsaid_wait=SECONDARY_WAIT)
    data = getattr(exc, "data", None)
    docs = str(data.get("documentation_url") or "") if isinstance(data, dict) else ""
    if status == 429 or RATE_LIMIT_DOCS in docs:
        return Failure(rate_limit=True, unsaid_wait=SECONDARY_WAIT)
    return None


def classify(exc: BaseException) -> Failure | None:
    """How the policy reads a failed GitHub request: a rate limit, a transient failure, or final."""
    if isinstance(exc, GithubException):
        limited = rate_limit(exc, time.time())
        if limited is not None:
            return limited
        return TRANSIENT if exc.status >= 500 else None
    if isinstance(exc, (requests.ConnectionError, requests.Timeout, requests.exceptions.ChunkedEncodingError)):
        return TRANSIENT  # includes a connection reset in the middle of an answer
    return None


def _message(exc: GithubException) -> str:
    """GitHub's JSON `message`; for anything else (a load balancer's HTML page) the status's reason phrase."""
    data = exc.data if isinstance(exc.data, dict) else {}
    message = data.get("message")
    if not isinstance(message, str) or not message.strip():
        return http.client.responses.get(exc.status, "no message")
    return message.strip().splitlines()[0][:200]


def translate(exc: Exception, what: str, settings_cap: float = 60.0, url: str = "") -> ServiceError:
    """A PyGithub or requests exception as one of our typed errors, with a one-line message."""
    if isinstance(exc, github.BadCredentialsException):
        return ServiceError(BAD_CREDENTIALS)
    if isinstance(exc, github.RateLimitExceededException) or rate_limit(exc, time.time()) is not None:
        return RateLimited(RATE_LIMITED.format(what=what, cap=settings_cap))
    if isinstance(exc, github.UnknownObjectException) or getattr(exc, "status", None) == 404:
        return NotFound(NOT_FOUND.format(what=what))
    if isinstance(exc, GithubException):
        if exc.status == 403:
            return Forbidden(FORBIDDEN.format(what=what, message=_message(exc)))
        if exc.status == 409:
            return Conflict(CONFLICT.format(what=what))
        return ServiceError(FAILED.format(what=what, status=exc.status, message=_message(exc)))
    kind = "timed out" if isinstance(exc, requests.Timeout) else type(exc).__name__
    return ServiceError(UNREACHABLE.format(what=what, url=url or "the API URL", kind=kind))


@contextlib.contextmanager
def github_errors(what: str, cap: float = 60.0, url: str = "") -> Iterator[None]:
    """Turn PyGithub, network and App-key exceptions inside the block into ServiceError subclasses."""
    import jwt

    try:
        yield
    except (GithubException, requests.RequestException) as exc:
        raise translate(exc, what, cap, url) from None
    except jwt.PyJWTError as exc:  # the key was checked when the client was made; this is a defence only
        raise ServiceError(APP_KEY_UNUSABLE.format(kind=type(exc).__name__)) from None


class Calls:
    """How the GitHub adapters send a request: through the policy, with errors translated."""

    def __init__(
        self,
        policy: Policy | None = None,
        cap: float = DEFAULT_MAX_RATE_LIMIT_WAIT,
        url: str = "",
        cache: ETagCache | None = None,
    ) -> None:
        self.policy = policy if policy is not None else Policy(cap)
        self.cap, self.url = cap, url
        self.cache = cache if cache is not None else ETagCache()  # the ETags of the reads the bot reuses

    def __call__(self, what: str, send: Callable[[], T], kind: Kind = Kind.READ) -> T:
        with github_errors(what, self.cap, self.url):
            return self.policy.call(send, classify, kind)

    def errors(self, what: str):
        """The error translation alone, for code that handles some statuses itself."""
        return github_errors(what, self.cap, self.url)
