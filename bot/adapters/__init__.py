"""The one wiring point: builds the adapters a pass needs from the settings."""

from __future__ import annotations

import functools
from typing import Sequence

from bot.model import CalendarProvider, Meeting, NotesProvider
from bot.ports import Services
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


def wire(settings: Settings, meetings: Sequence[Meeting]) -> Services:
    """Services for one pass. Clients are built on first use, so commands that need none stay offline."""

    @functools.cache
    def clients():
        from bot.adapters.installations import Clients

        return Clients(settings)

    @functools.cache
    def calendar():
        from bot.adapters.gcal import GoogleCalendar

        return GoogleCalendar.from_settings(settings)

    def me(repo: str) -> str | None:
        """The bot's own login, found through the client of the repository being worked on."""
        from bot.adapters.github_identity import identity

        return identity(settings, clients().for_repo(repo), repo)

    return Services(
        agenda=_Lazy(lambda: _AgendaByInstallation(clients(), settings)),
        issues=_Lazy(lambda: _issues(clients(), settings, me)),
        notes=lambda meeting: _notes(meeting, clients, settings),
        calendar=lambda meeting: calendar() if meeting.calendar.provider is CalendarProvider.GOOGLE else None,
        fetch_feed=lambda url: _fetch_feed(url, settings),
    )


class _AgendaByInstallation:
    """The agenda source of each meeting's installation: one search adapter per client."""

    def __init__(self, clients, settings: Settings) -> None:
        self._clients, self._settings = clients, settings
        self._sources: dict[int, object] = {}

    def collect(self, meeting: Meeting):
        from bot.adapters.github_agenda import GitHubAgenda

        client = self._clients.for_repo(meeting.repo)
        if id(client) not in self._sources:
            self._sources[id(client)] = GitHubAgenda(client, self._settings.max_rate_limit_wait)
        return self._sources[id(client)].collect(meeting)


def _issues(clients, settings: Settings, me):
    from bot.adapters.github_issues import GitHubIssues

    return GitHubIssues(clients, cap=settings.max_rate_limit_wait, url=settings.github_api_url, me=me)


def _notes(meeting: Meeting, clients, settings: Settings):
    if meeting.notes.provider is NotesProvider.NONE:
        return None
    if meeting.notes.provider is NotesProvider.HACKMD:
        from bot.adapters.hackmd import HackMDNotes

        return HackMDNotes.from_settings(settings)  # no HACKMD_TOKEN: a ServiceError that fails the meeting
    from bot.adapters.repo_notes import RepoNotes

    return RepoNotes(clients().for_repo(meeting.repo), settings.github_api_url, cap=settings.max_rate_limit_wait)


def _fetch_feed(url: str, settings: Settings) -> str:
    from bot.adapters.feed import fetch_feed

    return fetch_feed(url, timeout=settings.http_timeout, allow_private=settings.allow_private_feeds)
