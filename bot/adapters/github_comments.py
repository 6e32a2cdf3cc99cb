"""The Comments port over PyGithub: a meeting issue's comments, read in full, added and rewritten."""

from __future__ import annotations

import github

from bot.adapters.github_client import github_errors
from bot.model import CommentRecord


def _record(comment) -> CommentRecord:
    return CommentRecord(id=comment.id, author=comment.user.login if comment.user else None, body=comment.body or "")


class GitHubComments:
    """Comments through the run's one client; objects are made lazily, so a write costs one request."""

    def __init__(self, client: github.Github, cap: float = 60.0, url: str = "") -> None:
        self._client = client.withLazy(True)
        self._cap, self._url = cap, url

    def _issue(self, repo: str, number: int):
        return self._client.get_repo(repo).get_issue(number)

    def list(self, repo: str, number: int) -> tuple[CommentRecord, ...]:
        with github_errors(f"reading the comments of {repo}#{number}", self._cap, self._url):
            return tuple(_record(c) for c in self._issue(repo, number).get_comments())

    def add(self, repo: str, number: int, body: str) -> CommentRecord:
        with github_errors(f"commenting on {repo}#{number}", self._cap, self._url):
            return _record(self._issue(repo, number).create_comment(body))

    def edit(self, repo: str, number: int, comment_id: int, body: str) -> CommentRecord:
        with github_errors(f"updating a comment on {repo}#{number}", self._cap, self._url):
            comment = self._issue(repo, number).get_comment(comment_id)
            comment.edit(body)
            return _record(comment)

    def delete(self, repo: str, number: int, comment_id: int) -> None:
        with github_errors(f"deleting a comment on {repo}#{number}", self._cap, self._url):
            self._issue(repo, number).get_comment(comment_id).delete()
