"""The Comments port over PyGithub: a meeting issue's comments, read in full, added, rewritten, deleted."""

from __future__ import annotations

import functools
from typing import Callable

from bot.adapters.github_client import Calls
from bot.adapters.github_identity import same, token_login
from bot.adapters.installations import Clients
from bot.adapters.retry import Kind
from bot.model import CommentRecord


def _record(comment, me: str | None) -> CommentRecord:
    author = comment.user.login if comment.user else None
    return CommentRecord(id=comment.id, author=author, body=comment.body or "", trusted=same(author, me))


class GitHubComments:
    """Comments through the client of each repository's installation and the one retry policy; objects
    are made lazily, so a write costs one request."""

    def __init__(self, clients: Clients, calls: Calls | None = None, me: Callable[[str], str | None] | None = None) -> None:
        """`me(repo)` gives the bot's own login (by default the token's user, asked once)."""
        self._clients = clients
        self._calls = calls if calls is not None else Calls()
        self._me = me or functools.cache(
            lambda repo: token_login(clients.for_repo(repo), under_actions=False, calls=self._calls)
        )

    def _issue(self, repo: str, number: int):
        return self._clients.for_repo(repo).withLazy(True).get_repo(repo).get_issue(number)  # no request

    def list(self, repo: str, number: int) -> tuple[CommentRecord, ...]:
        me = self._me(repo)
        issue = self._issue(repo, number)
        return self._calls(f"reading the comments of {repo}#{number}",
                           lambda: tuple(_record(c, me) for c in issue.get_comments()))

    def add(self, repo: str, number: int, body: str) -> CommentRecord:
        me = self._me(repo)  # before the write: the identity's read is not part of it
        issue = self._issue(repo, number)
        # Not repeated: a repeat could post a second claim (harmless to the ledger, but noise); the next run reads again.
        return _record(self._calls(f"commenting on {repo}#{number}", lambda: issue.create_comment(body), Kind.WRITE), me)

    def edit(self, repo: str, number: int, comment_id: int, body: str) -> CommentRecord:
        me = self._me(repo)
        comment = self._issue(repo, number).get_comment(comment_id)  # lazy: no request
        self._calls(f"updating a comment on {repo}#{number}", lambda: comment.edit(body), Kind.SAFE_WRITE)  # sets the whole body
        return _record(comment, me)

    def delete(self, repo: str, number: int, comment_id: int) -> None:
        comment = self._issue(repo, number).get_comment(comment_id)  # lazy: no request
        self._calls(f"deleting a comment on {repo}#{number}", comment.delete, Kind.WRITE)
