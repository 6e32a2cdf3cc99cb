"""The one wiring point: builds the adapters a pass needs from the settings."""

from __future__ import annotations

import datetime as dt
import functools
import time
from typing import Any, Callable, Mapping, Sequence

from bot.adapters.retry import Policy
from bot.model import Agenda, ArchiveRecord, CalendarProvider, CommentRecord, IssueRecord, Meeting, NotesProvider
from bot.ports import Access, AfterStore, AgendaSource, Announcer, Comments, IssueStore, Services, WriteGuard
from bot.settings import Settings


class _IssuesOnFirstUse:
    """The issue store, its GitHub client built on the first call (commands that need none stay offline)."""

    def __init__(self, make: Callable[[], IssueStore]) -> None:
        self._make = functools.cache(make)

    def access(self, repo: str) -> Access | None:
        return self._make().access(repo)

    def find(
        self,
        repo: str,
        keys: tuple[str, ...],
        since: dt.datetime,
        bounds: Mapping[str, dt.datetime] | None = None,
        scan: tuple[str, dt.datetime] | None = None,
    ) -> Mapping[str, tuple[IssueRecord, ...]]:
        return self._make().find(repo, keys, since, bounds, scan)

    def create(self, repo: str, title: str, body: str, labels: tuple[str, ...]) -> IssueRecord:
        return self._make().create(repo, title, body, labels)

    def get(self, repo: str, number: int) -> IssueRecord:
        return self._make().get(repo, number)

    def update_body(self, repo: str, number: int, body: str) -> IssueRecord:
        return self._make().update_body(repo, number, body)

    def close(self, repo: str, number: int, comment: str) -> None:
        self._make().close(repo, number, comment)


class _CommentsOnFirstUse:
    """The issue comments (the announcement ledger), their GitHub client built on the first call."""

    def __init__(self, make: Callable[[], Comments]) -> None:
        self._make = functools.cache(make)

    def list(self, repo: str, number: int) -> tuple[CommentRecord, ...]:
        return self._make().list(repo, number)

    def add(self, repo: str, number: int, body: str) -> CommentRecord:
        return self._make().add(repo, number, body)

    def edit(self, repo: str, number: int, comment_id: int, body: str) -> CommentRecord:
        return self._make().edit(repo, number, comment_id, body)

    def delete(self, repo: str, number: int, comment_id: int) -> None:
        self._make().delete(repo, number, comment_id)


class _AnnouncerOnFirstUse:
    """The announcer, built (and Apprise imported) on the first call: only a meeting that announces makes one."""

    def __init__(self, make: Callable[[], Announcer]) -> None:
        self._make = functools.cache(make)

    def check(self, target: str) -> None:
        self._make().check(target)

    def send(self, target: str, title: str, body: str) -> None:
        self._make().send(target, title, body)


class _AfterOnFirstUse:
    """The after-meeting store, its GitHub client built on the first call."""

    def __init__(self, make: Callable[[], AfterStore]) -> None:
        self._make = functools.cache(make)

    def file_url(self, repo: str, path: str) -> str:
        return self._make().file_url(repo, path)

    def find_archive(self, repo: str, path: str, branch: str | None) -> ArchiveRecord | None:
        return self._make().find_archive(repo, path, branch)

    def open_archive(self, repo: str, branch: str, path: str, content: str, message: str, title: str,
                     body: str) -> ArchiveRecord:
        return self._make().open_archive(repo, branch, path, content, message, title, body)

    def update_archive(self, repo: str, branch: str, path: str, content: str, message: str,
                       version: str | None) -> None:
        self._make().update_archive(repo, branch, path, content, message, version)

    def commit_archive(self, repo: str, path: str, content: str, message: str) -> ArchiveRecord:
        return self._make().commit_archive(repo, path, content, message)

    def close_meeting(self, repo: str, number: int, comment: str, marker: str, reason: str) -> None:
        self._make().close_meeting(repo, number, comment, marker, reason)

    def record_steps(self, repo: str, number: int, steps: frozenset[str]) -> None:
        self._make().record_steps(repo, number, steps)

    def remove_label(self, repo: str, number: int, label: str) -> None:
        self._make().remove_label(repo, number, label)


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
    def etags():
        from bot.adapters.conditional import ETagCache

        return ETagCache(settings.cache_dir)  # one for the process: a worker answers its re-reads from it

    @functools.cache
    def github_calls():
        from bot.adapters.github_client import Calls

        return Calls(policy(settings.write_interval), settings.max_rate_limit_wait, settings.github_api_url, etags())

    @functools.cache
    def calendar():
        from bot.adapters.gcal import GoogleCalendar

        return GoogleCalendar.from_settings(settings, policy(), etags())  # Calendar reads share the cache

    def me(repo: str) -> str | None:
        """The bot's own login, found through the client of the repository being worked on."""
        from bot.adapters.github_identity import identity

        return identity(settings, clients().for_repo(repo), repo, github_calls())

    feeds = policy()
    return Services(
        agenda=_AgendaByInstallation(clients, github_calls),
        issues=_IssuesOnFirstUse(lambda: _issues(clients(), github_calls(), me)),
        notes=lambda meeting: _notes(meeting, clients, github_calls, settings, policy, me),
        calendar=lambda meeting: calendar() if meeting.calendar.provider is CalendarProvider.GOOGLE else None,
        fetch_feed=lambda url: _fetch_feed(url, settings, feeds),
        guard=guard,
        comments=_CommentsOnFirstUse(lambda: _comments(clients(), github_calls(), me)),
        announcer=_AnnouncerOnFirstUse(lambda: _announcer(settings)),
        after=_AfterOnFirstUse(lambda: _after(clients(), github_calls(), me)),
    )


class _AgendaByInstallation:
    """The agenda source of each meeting's installation: one search adapter per client, built on first use.

    `expect` starts a pass: the sources (and the search answers they keep) are dropped, and each
    source learns the expected meetings of an owner when it first serves one of that owner's meetings
    (an owner's meetings share its installation, so a group never mixes installations).
    """

    def __init__(self, clients: Callable[[], Any], calls: Callable[[], Any]) -> None:
        self._clients, self._calls = clients, calls
        self._sources: dict[int, AgendaSource] = {}
        self._expected: dict[str, list[Meeting]] = {}

    def expect(self, meetings: Sequence[Meeting]) -> None:
        self._sources = {}
        self._expected = {}
        for meeting in meetings:
            self._expected.setdefault(_owner(meeting), []).append(meeting)

    def collect(self, meeting: Meeting) -> Agenda:
        from bot.adapters.github_agenda import GitHubAgenda

        client = self._clients().for_repo(meeting.repo)
        if id(client) not in self._sources:
            self._sources[id(client)] = GitHubAgenda(client, self._calls())
        source = self._sources[id(client)]
        source.expect(self._expected.pop(_owner(meeting), ()))
        return source.collect(meeting)


def _owner(meeting: Meeting) -> str:
    return meeting.repo.split("/", 1)[0].casefold()


def _issues(clients, calls, me):
    from bot.adapters.github_issues import GitHubIssues

    return GitHubIssues(clients, calls, me=me)


def _comments(clients, calls, me):
    from bot.adapters.github_comments import GitHubComments

    return GitHubComments(clients, calls, me=me)


def _announcer(settings: Settings):
    from bot.adapters.apprise_sender import AppriseAnnouncer

    return AppriseAnnouncer(dict(settings.announce_urls))


def _after(clients, calls, me):
    from bot.adapters.github_after import GitHubAfter

    return GitHubAfter(clients, calls, me=me)


def _notes(meeting: Meeting, clients, github_calls, settings: Settings, policy, me):
    if meeting.notes.provider is NotesProvider.NONE:
        return None
    if meeting.notes.provider is NotesProvider.HACKMD:
        from bot.adapters.hackmd import HackMDNotes

        return HackMDNotes.from_settings(settings, policy())  # no HACKMD_TOKEN: a ServiceError that fails the meeting
    from bot.adapters.repo_notes import RepoNotes

    return RepoNotes(clients().for_repo(meeting.repo), settings.github_api_url, github_calls(), me)


def _fetch_feed(url: str, settings: Settings, policy: Policy) -> str:
    from bot.adapters.feed import fetch_feed

    return fetch_feed(url, timeout=settings.http_timeout, allow_private=settings.allow_private_feeds, policy=policy)
