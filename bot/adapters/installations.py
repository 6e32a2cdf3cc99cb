"""GitHub clients by repository: with App credentials, the installation on each repository's owner."""

from __future__ import annotations

from typing import Callable

import github

from bot.settings import Settings

MakeClient = Callable[[Settings, "int | None"], github.Github]


class Clients:
    """One PyGithub client per installation, found once per owner and kept for the process.

    A token or anonymous access has one client for every repository. A GitHub App with
    GITHUB_APP_INSTALLATION_ID uses that installation everywhere. A GitHub App without it looks up
    the installation on each repository's owner the first time that owner comes up (one request,
    signed with the App's JWT, which does not spend an installation's quota); every client keeps
    renewing its own installation token, so a worker serves many organisations for as long as it runs.
    """

    def __init__(self, settings: Settings, make: MakeClient | None = None, calls=None) -> None:
        """`calls`: the retry policy the installation lookups go through (bot.adapters.github_client.Calls)."""
        from bot.adapters import github_client

        self._settings = settings
        self._make = make or github_client.make_client
        self._lookup = lambda settings, repo: github_client.installation_for(settings, repo, calls)
        self._per_app = bool(settings.github_app_id and settings.github_app_private_key)
        self._installations: dict[str, int] = {}  # owner (lower case) -> installation id
        self._clients: dict[int | None, github.Github] = {}

    def for_repo(self, repo: str) -> github.Github:
        """The client that acts on `repo` (owner/name)."""
        return self._client(self._installation(repo))

    def _installation(self, repo: str) -> int | None:
        if not self._per_app:
            return None
        if self._settings.github_app_installation_id is not None:
            return self._settings.github_app_installation_id
        owner = repo.split("/", 1)[0].lower()
        if owner not in self._installations:
            self._installations[owner] = self._lookup(self._settings, repo)
        return self._installations[owner]

    def _client(self, installation: int | None) -> github.Github:
        if installation not in self._clients:
            self._clients[installation] = self._make(self._settings, installation)
        return self._clients[installation]

    @classmethod
    def single(cls, client: github.Github) -> Clients:
        """Every repository through one given client (tests, and tools that hold a client already)."""
        clients = cls(Settings(), make=lambda settings, installation: client)
        return clients
