"""The bot's own GitHub identity, found once per process: only what that login made is the bot's.

- GitHub App (GITHUB_APP_ID and its key): `<app-slug>[bot]`, the slug from the App's installation on
  the meeting repository (`GET /repos/{owner}/{repo}/installation` with the App's JWT). The lookup
  that finds the installation already gives it, so it costs a request only when
  GITHUB_APP_INSTALLATION_ID is set.
- Actions' own token under the bot's Action (GITHUB_ACTIONS=true and MEETING_BOT_RUNNER_TOKEN=true,
  which action.yml sets when the token is the runner's): `github-actions[bot]`, no request.
- Any other token: the login `GET /user` answers (one request). GitHub refuses that endpoint to
  installation tokens (403); under Actions that is the runner's GITHUB_TOKEN, so `github-actions[bot]`;
  elsewhere the bot cannot know whose token it is and stops with IDENTITY_UNKNOWN.
- No credentials: no identity, so nothing is the bot's (and it cannot write anyway).
"""

from __future__ import annotations

import hashlib
import threading

import github

from bot.adapters import conditional
from bot.adapters.github_client import Calls, _app, _options
from bot.ports import Forbidden, RateLimited, ServiceError
from bot.settings import Settings

ACTIONS_BOT = "github-actions[bot]"
APP_BOT = "{slug}[bot]"
IDENTITY_UNKNOWN = (
    "GITHUB_TOKEN is an App installation token (GitHub refuses GET /user to it), so the bot cannot tell "
    "which identity its own issues have: give it GITHUB_APP_ID and GITHUB_APP_PRIVATE_KEY instead"
)

_known: dict[str, str | None] = {}
_lock = threading.Lock()


def same(login: str | None, me: str | None) -> bool:
    """Whether `login` is the bot's identity (GitHub logins compare without case)."""
    return login is not None and me is not None and login.casefold() == me.casefold()


def _fingerprint(settings: Settings) -> str:
    """The cache key: the API and the credential, hashed so no secret is kept in clear twice."""
    credential = ""
    if settings.github_app_id and settings.github_app_private_key:
        credential = f"app:{settings.github_app_id}"
    elif settings.github_token:
        credential = "token:" + settings.github_token.reveal()
    return hashlib.sha256(f"{settings.github_api_url}\n{credential}".encode()).hexdigest()


def remember_app(settings: Settings, slug: str) -> None:
    """Called where the App's installation is looked up anyway: the identity costs nothing more."""
    with _lock:
        _known[_fingerprint(settings)] = APP_BOT.format(slug=slug)


def forget() -> None:
    """Drop what this process learned (for tests that change credentials in one process)."""
    with _lock:
        _known.clear()


def identity(settings: Settings, client: github.Github, repo: str | None, calls: Calls | None = None) -> str | None:
    """The login whose issues, comments and files are the bot's; found once per process."""
    key = _fingerprint(settings)
    with _lock:
        if key in _known:
            return _known[key]
    found = _find(settings, client, repo, calls or Calls(None, settings.max_rate_limit_wait, settings.github_api_url))
    with _lock:
        _known[key] = found
    return found


def _find(settings: Settings, client: github.Github, repo: str | None, calls: Calls) -> str | None:
    if settings.github_app_id and settings.github_app_private_key:
        return APP_BOT.format(slug=_app_slug(settings, repo, calls))
    if settings.github_token is None:
        return None
    if settings.github_actions and settings.runner_token:
        return ACTIONS_BOT
    return token_login(client, settings.github_actions, calls)


def token_login(client: github.Github, under_actions: bool, calls: Calls | None = None) -> str:
    """The token's user by `GET /user`; an installation token is refused (403, not a rate limit)."""
    calls = calls or Calls()
    try:
        user = calls(
            "finding the bot's own GitHub identity (GET /user)",
            lambda: conditional.get_json(client.requester, calls.cache, "/user"),  # a new process: a 304, no quota
        )
        return str(user["login"])
    except RateLimited:
        raise
    except Forbidden:
        pass
    if under_actions:
        return ACTIONS_BOT
    raise ServiceError(IDENTITY_UNKNOWN)


def _app_slug(settings: Settings, repo: str | None, calls: Calls) -> str:
    integration = github.GithubIntegration(auth=_app(settings), **_options(settings))
    owner, name = (repo or "/").split("/", 1)
    return calls(f"GitHub App installation for {repo}", lambda: integration.get_repo_installation(owner, name).app_slug)
