"""Settings from the environment and `.env`, with secrets that never print."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping

from bot.errors import SettingsError

DEFAULT_GITHUB_API_URL = "https://api.github.com"
DEFAULT_HACKMD_API_URL = "https://api.hackmd.io/v1"
DEFAULT_CONFIG_DIR = "config"
DEFAULT_TEMPLATES_DIR = "templates"
DEFAULT_MAX_RATE_LIMIT_WAIT = 60.0
DEFAULT_HTTP_TIMEOUT = 15.0
DEFAULT_WRITE_INTERVAL = 1.0  # GitHub asks for at least a second between content-creating requests

SECRET_VARIABLES = (
    "GITHUB_TOKEN",
    "GITHUB_APP_PRIVATE_KEY",
    "GOOGLE_SERVICE_ACCOUNT_JSON",
    "HACKMD_TOKEN",
)


ANNOUNCE_PREFIX = "MEETING_BOT_ANNOUNCE_"
# Parts of an announce URL masked in logs on their own: a password, and any token-like piece (no dot,
# at least this long) that a library might log in another form (a webhook path, an API URL).
TOKEN_PIECE = 12

BAD_DOTENV = "{path}: cannot read it ({why}); it must be UTF-8 text"


class Secret:
    """A credential: compares and hashes like its text, but prints as `***`."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "Secret('***')"

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)


def _secret(env: Mapping[str, str], name: str) -> Secret | None:
    value = env.get(name, "").strip()
    return Secret(value) if value else None


def _optional(env: Mapping[str, str], name: str) -> str | None:
    value = env.get(name, "").strip()
    return value or None


@dataclass(frozen=True)
class Settings:
    github_api_url: str = DEFAULT_GITHUB_API_URL
    github_token: Secret | None = None
    github_app_id: str | None = None
    github_app_private_key: Secret | None = None
    github_app_installation_id: int | None = None
    google_credentials_path: str | None = None
    google_service_account_json: Secret | None = None
    google_calendar_api_url: str | None = None
    hackmd_token: Secret | None = None
    hackmd_api_url: str = DEFAULT_HACKMD_API_URL
    config_dir: str = DEFAULT_CONFIG_DIR
    max_rate_limit_wait: float = DEFAULT_MAX_RATE_LIMIT_WAIT
    http_timeout: float = DEFAULT_HTTP_TIMEOUT
    github_actions: bool = False  # GITHUB_ACTIONS=true: running in a GitHub Actions job
    runner_token: bool = False  # MEETING_BOT_RUNNER_TOKEN=true: GITHUB_TOKEN is the runner's own (action.yml)
    allow_private_feeds: bool = False  # MEETING_BOT_ALLOW_PRIVATE_FEEDS=1: feeds may be on loopback or private addresses
    write_interval: float = DEFAULT_WRITE_INTERVAL
    cache_dir: str | None = None  # MEETING_BOT_CACHE_DIR: the ETags of GitHub and Calendar reads, kept across runs
    announce_urls: tuple[tuple[str, Secret], ...] = ()  # (TARGET in upper case, Apprise URL); hashable like the rest

    def secrets(self) -> tuple[str, ...]:
        """Every secret's text, for the log redaction filter; announce URLs with their token-like parts."""
        values = (self.github_token, self.github_app_private_key, self.google_service_account_json, self.hackmd_token)
        found = [v.reveal() for v in values if v is not None]
        for _, url in self.announce_urls:
            found += [url.reveal(), *url_pieces(url.reveal())]
        return tuple(found)


def url_pieces(url: str) -> tuple[str, ...]:
    """The password and the token-like parts of a URL, raw and percent-decoded."""
    from urllib.parse import unquote, urlsplit

    rest = url.split("://", 1)[-1]
    pieces = [p for p in re.split(r"[/:@?&=#,;]+", rest) if len(p) >= TOKEN_PIECE and "." not in p]
    try:
        password = urlsplit(url).password
    except ValueError:
        password = None
    pieces += [password] if password else []
    return tuple(dict.fromkeys([*pieces, *(unquote(p) for p in pieces)]))


def _announce_urls(env: Mapping[str, str]) -> tuple[tuple[str, Secret], ...]:
    return tuple(sorted(
        (name[len(ANNOUNCE_PREFIX):].upper(), Secret(value.strip()))
        for name, value in env.items()
        if name.upper().startswith(ANNOUNCE_PREFIX) and value.strip()
    ))


def load_dotenv_file(cwd: Path) -> None:
    """Read `.env` from the working directory into os.environ; the real environment wins."""
    path = cwd / ".env"
    if path.is_file():
        from dotenv import load_dotenv

        try:
            load_dotenv(path, override=False)
        except (UnicodeDecodeError, OSError) as exc:
            raise SettingsError(BAD_DOTENV.format(path=path, why=type(exc).__name__)) from None


def _app_key(env: Mapping[str, str]) -> Secret | None:
    inline = _secret(env, "GITHUB_APP_PRIVATE_KEY")
    if inline is not None:
        return Secret(inline.reveal().replace("\\n", "\n"))
    path = _optional(env, "GITHUB_APP_PRIVATE_KEY_PATH")
    if path is None:
        return None
    try:
        return Secret(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise SettingsError(f"GITHUB_APP_PRIVATE_KEY_PATH: cannot read {path}: {exc.strerror}") from None


def _int(env: Mapping[str, str], name: str) -> int | None:
    value = _optional(env, name)
    if value is None:
        return None
    if not value.isdigit():
        raise SettingsError(f"{name} must be a number, not {value!r}")
    return int(value)


def _float(env: Mapping[str, str], name: str, default: float) -> float:
    value = _optional(env, name)
    if value is None:
        return default
    try:
        return float(value)
    except ValueError:
        raise SettingsError(f"{name} must be a number of seconds, not {value!r}") from None


def from_environment(env: Mapping[str, str] | None = None) -> Settings:
    """Build the settings from an environment mapping (os.environ by default)."""
    env = os.environ if env is None else env
    return Settings(
        github_api_url=(_optional(env, "GITHUB_API_URL") or DEFAULT_GITHUB_API_URL).rstrip("/"),
        github_token=_secret(env, "GITHUB_TOKEN"),
        github_app_id=_optional(env, "GITHUB_APP_ID"),
        github_app_private_key=_app_key(env),
        github_app_installation_id=_int(env, "GITHUB_APP_INSTALLATION_ID"),
        google_credentials_path=_optional(env, "GOOGLE_APPLICATION_CREDENTIALS"),
        google_service_account_json=_secret(env, "GOOGLE_SERVICE_ACCOUNT_JSON"),
        google_calendar_api_url=_optional(env, "GOOGLE_CALENDAR_API_URL"),
        hackmd_token=_secret(env, "HACKMD_TOKEN"),
        hackmd_api_url=(_optional(env, "HACKMD_API_URL") or DEFAULT_HACKMD_API_URL).rstrip("/"),
        config_dir=_optional(env, "MEETING_BOT_CONFIG") or DEFAULT_CONFIG_DIR,
        max_rate_limit_wait=_float(env, "MEETING_BOT_MAX_RATE_LIMIT_WAIT", DEFAULT_MAX_RATE_LIMIT_WAIT),
        http_timeout=_float(env, "MEETING_BOT_HTTP_TIMEOUT", DEFAULT_HTTP_TIMEOUT),
        github_actions=_optional(env, "GITHUB_ACTIONS") == "true",
        runner_token=_optional(env, "MEETING_BOT_RUNNER_TOKEN") == "true",
        allow_private_feeds=_optional(env, "MEETING_BOT_ALLOW_PRIVATE_FEEDS") == "1",
        write_interval=_float(env, "MEETING_BOT_WRITE_INTERVAL", DEFAULT_WRITE_INTERVAL),
        cache_dir=_optional(env, "MEETING_BOT_CACHE_DIR"),
        announce_urls=_announce_urls(env),
    )
