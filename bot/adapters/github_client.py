"""The one PyGithub client of a run: authentication, timeouts, bounded retries, typed errors."""

from __future__ import annotations

import contextlib
from typing import Iterator

import github
import requests
from github import Auth, GithubException, GithubRetry

from bot import logs
from bot.ports import Forbidden, NotFound, RateLimited, ServiceError, Conflict
from bot.settings import Settings

PER_PAGE = 100
USER_AGENT = "meeting-bot"

BAD_CREDENTIALS = "GitHub rejected the credentials (401 Bad credentials): check GITHUB_TOKEN or the GitHub App settings"
NOT_FOUND = "{what}: not found on GitHub, or not visible to these credentials (404)"
FORBIDDEN = "{what}: permission denied by GitHub (403: {message})"
RATE_LIMITED = "{what}: GitHub rate limit exceeded; it resets in more than the {cap:.0f} s the bot waits"
CONFLICT = "{what}: changed by someone else at the same time (409); the next run will catch up"
FAILED = "{what}: GitHub answered {status}: {message}"
UNREACHABLE = "{what}: cannot reach GitHub at {url} ({kind})"
NO_INSTALLATION = "GitHub App: not installed on {owner} (needed for {repo}); install it there, or set GITHUB_APP_INSTALLATION_ID"
APP_KEY_UNUSABLE = "GitHub App: the private key cannot sign a token ({kind}); check GITHUB_APP_PRIVATE_KEY"


def _retry(settings: Settings) -> GithubRetry:
    """Reads are retried on connection errors, 5xx and short rate limits; writes never blindly.

    A rate limit that resets later than MEETING_BOT_MAX_RATE_LIMIT_WAIT fails at once; a
    Retry-After header is honoured up to that cap.
    """
    extra = {"retry_after_max": int(settings.max_rate_limit_wait)} if _takes_retry_after_max() else {}
    return GithubRetry(
        **extra,
        total=3,
        connect=3,
        read=2,
        backoff_factor=0.5,
        backoff_jitter=0.5,
        backoff_max=10,
        allowed_methods=frozenset({"GET", "HEAD"}),
        raise_on_status=False,
        max_rate_limit_wait=settings.max_rate_limit_wait,
        secondary_rate_wait=min(settings.max_rate_limit_wait, 60.0),
    )


def _takes_retry_after_max() -> bool:
    import inspect

    from urllib3.util.retry import Retry

    return "retry_after_max" in inspect.signature(Retry.__init__).parameters


def _options(settings: Settings) -> dict:
    return dict(
        base_url=settings.github_api_url,
        timeout=max(1, round(settings.http_timeout)),  # PyGithub takes whole seconds
        user_agent=USER_AGENT,
        per_page=PER_PAGE,
        retry=_retry(settings),
        seconds_between_requests=None,
        seconds_between_writes=None,
    )


def _app(settings: Settings) -> Auth.AppAuth:
    with github_errors("GitHub App"):
        return Auth.AppAuth(settings.github_app_id, settings.github_app_private_key.reveal())


def installation_for(settings: Settings, repo: str) -> int:
    """The id of the App's installation on `repo`'s owner (one request, signed with the App's JWT)."""
    integration = github.GithubIntegration(auth=_app(settings), **_options(settings))
    owner, name = repo.split("/", 1)
    try:
        with github_errors(f"GitHub App installation for {repo}"):
            installation = integration.get_repo_installation(owner, name)
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


def _rate_limited(exc: Exception) -> bool:
    """A 403 or 429 that GitHub marks as a rate limit by its headers (the body may have been consumed by a retry)."""
    if getattr(exc, "status", None) not in (403, 429):
        return False
    headers = {k.lower(): v for k, v in (getattr(exc, "headers", None) or {}).items()}
    return headers.get("x-ratelimit-remaining") == "0" or "retry-after" in headers


def _message(exc: GithubException) -> str:
    data = exc.data if isinstance(exc.data, dict) else {}
    return str(data.get("message") or "no message").splitlines()[0][:200]


def translate(exc: Exception, what: str, settings_cap: float = 60.0, url: str = "") -> ServiceError:
    """A PyGithub or requests exception as one of our typed errors, with a one-line message."""
    if isinstance(exc, github.BadCredentialsException):
        return ServiceError(BAD_CREDENTIALS)
    if isinstance(exc, github.RateLimitExceededException) or _rate_limited(exc):
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
    except (jwt.PyJWTError, ValueError, TypeError) as exc:
        if isinstance(exc, jwt.PyJWTError) or "key" in str(exc).lower():
            raise ServiceError(APP_KEY_UNUSABLE.format(kind=type(exc).__name__)) from None
        raise
