"""The one wiring point: builds the adapters a pass needs from the settings."""

from __future__ import annotations

import functools
import time
from typing import Callable, Sequence

from bot.adapters.retry import Policy
from bot.model import CalendarProvider, Meeting, NotesProvider
from bot.ports import Services, WriteGuard
from bot.settings import Settings


class _Lazy:
    """Builds the wrapped adapter on the first attribute access."""

    def __init__(self, factory) -> None:
        self._factory = factory
        self._target = None

    def __getattr__(self, name: str):
        if self._target is None:
            self._target = self._factory()
        return getattr(self._target, name)


def wire(settings: Settings, meetings: Sequence[Meeting], *, sleep: Callable[[float], None] = time.sleep) -> Services:
    """Services for one pass. Clients are built on first use, so commands that need none stay offline.

    Every adapter sends through the one retry policy (bot.adapters.retry), with the pass's write guard.
    """
    guard = WriteGuard()

    def policy(write_interval: float = 0.0) -> Policy:
        return Policy(settings.max_rate_limit_wait, write_interval=write_interval, guard=guard, sleep=sleep)

    @functools.cache
    def clients():
        from bot.adapters.installations import Clients

        return Clients(settings, calls=github_calls())

    @functools.cache
    def github_calls():
        from bot.adapters.github_client import Calls

        return Calls(policy(settings.write_interval), settings.max_rate_limit_wait, settings.github_api_url)

    @functools.cache
    def calendar():
        from bot.adapters.gcal import GoogleCalendar

        return GoogleCalendar.from_settings(settings, policy())

    def me(repo: str) -> str | None:
        """The bot's own login, found through the client of the repository being worked on."""
        from bot.adapters.github_identity import identity

        return identity(settings, clients().for_repo(repo), repo, github_calls())

    feeds = policy()
    return Services(
        agenda=_Lazy(lambda: _AgendaByInstallation(clients(), github_calls())),
        issues=_Lazy(lambda: _issues(clients(), github_calls(), me)),
        notes=lambda meeting: _notes(meeting, clients, github_calls, settings, policy),
        calendar=lambda meeting: calendar() if meeting.calendar.provider is CalendarProvider.GOOGLE else None,
        fetch_feed=lambda url: _fetch_feed(url, settings, feeds),
        guard=guard,
        after=_Lazy(lambda: _after(clients(), github_calls(), me)),
    )


class _AgendaByInstallation:
    """The agenda source of each meeting's installation: one search adapter per client."""

    def __init__(self, clients, calls) -> None:
        self._clients, self._calls = clients, calls
        self._sources: dict[int, object] = {}

    def collect(self, meeting: Meeting):
        from bot.adapters.github_agenda import GitHubAgenda

        client = self._clients.for_repo(meeting.repo)
        if id(client) not in self._sources:
            self._sources[id(client)] = GitHubAgenda(client, self._calls)
        return self._sources[id(client)].collect(meeting)


def _issues(clients, calls, me):
    from bot.adapters.github_issues import GitHubIssues

    return GitHubIssues(clients, calls, me=me)


def _after(clients, calls, me):
    from bot.adapters.github_after import GitHubAfter

    return GitHubAfter(clients, calls, me=me)


def _notes(meeting: Meeting, clients, github_calls, settings: Settings, policy):
    if meeting.notes.provider is NotesProvider.NONE:
        return None
    if meeting.notes.provider is NotesProvider.HACKMD:
        from bot.adapters.hackmd import HackMDNotes

        return HackMDNotes.from_settings(settings, policy())  # no HACKMD_TOKEN: a ServiceError that fails the meeting
    from bot.adapters.repo_notes import RepoNotes

    return RepoNotes(clients().for_repo(meeting.repo), settings.github_api_url, github_calls())


def _fetch_feed(url: str, settings: Settings, policy: Policy) -> str:
    from bot.adapters.feed import fetch_feed

    return fetch_feed(url, timeout=settings.http_timeout, allow_private=settings.allow_private_feeds, policy=policy)
