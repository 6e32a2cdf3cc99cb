"""The after-meeting writes on GitHub through PyGithub: the archive (branch, file, pull request, or a
commit), the closing comment and close, the issue's status line, and labels taken off agenda items.

"The bot's own" is what its own identity made: a pull request or comment counts only when its author
is the author of the bot's meeting issue (`author`), never because of what it says.
"""

from __future__ import annotations

from urllib.parse import quote

import github

from bot import markers
from bot.adapters.github_client import github_errors
from bot.adapters.repo_notes import web_url
from bot.model import ArchiveRecord
from bot.ports import Conflict, NotFound, ServiceError

OPENED_MEANWHILE = "{repo}: another run opened the archive pull request from {branch} at the same moment"
COMMITTED_MEANWHILE = "{repo}/{path}: another run archived the notes at the same moment"
EMPTY_REPOSITORY = (
    "{repo}: the repository has no commit yet, so the notes cannot be archived by a pull request; "
    "commit a first file, or set [after] archive = \"commit\""
)
CHANGED_MEANWHILE = "{repo}/{path} on {branch}: changed meanwhile; the next round reads it again"


class GitHubAfter:
    """AfterStore over one shared PyGithub client."""

    def __init__(self, client: github.Github, api_url: str, cap: float = 60.0) -> None:
        self._client = client.withLazy(True)
        self._web = web_url(api_url)
        self._cap, self._url = cap, api_url

    def _errors(self, what: str):
        return github_errors(what, self._cap, self._url)

    def _repo(self, repo: str):
        return self._client.get_repo(repo)

    def file_url(self, repo: str, path: str) -> str:
        return f"{self._web}/{repo}/blob/HEAD/{quote(path)}"

    def _file(self, repo: str, path: str, ref: str | None) -> tuple[str | None, str | None]:
        """The text and blob sha of a file on a branch (the default one when `ref` is None), or Nones."""
        options = {"ref": ref} if ref else {}
        try:
            with self._errors(f"reading {repo}/{path}"):
                content = self._repo(repo).get_contents(path, **options)
        except NotFound:
            return None, None
        if isinstance(content, list):
            return "", None  # a folder is in the way: never written over
        return content.decoded_content.decode("utf-8", errors="replace"), content.sha

    def find_archive(self, repo: str, path: str, branch: str | None, author: str | None) -> ArchiveRecord | None:
        """The bot's pull request from `branch` (newest first), or with no branch the committed file."""
        if branch is None:
            text, sha = self._file(repo, path, None)
            return None if text is None else ArchiveRecord(self.file_url(repo, path), "committed", text, sha)
        owner = repo.split("/", 1)[0]
        with self._errors(f"listing the pull requests of {repo}"):
            pulls = [p for p in self._repo(repo).get_pulls(state="all", head=f"{owner}:{branch}", direction="desc")
                     if author is not None and p.user is not None and p.user.login == author]
        if not pulls:
            return None
        pull = next((p for p in pulls if p.state == "open"), pulls[0])
        state = "merged" if pull.merged_at is not None else pull.state
        text, sha = self._file(repo, path, branch) if state == "open" else (None, None)
        return ArchiveRecord(pull.html_url, state, text, sha, pull.number)

    def open_archive(self, repo: str, branch: str, path: str, content: str, message: str, title: str,
                     body: str) -> ArchiveRecord:
        """A branch from the default branch (kept if a run that died made it), the file on it, the pull request."""
        handle = self._repo(repo)
        with self._errors(f"making the branch {branch} in {repo}"):
            base = handle.default_branch
            try:
                handle.create_git_ref(f"refs/heads/{branch}", handle.get_git_ref(f"heads/{base}").object.sha)
            except github.GithubException as exc:
                if exc.status == 409:  # GitHub: "Git Repository is empty."
                    raise ServiceError(EMPTY_REPOSITORY.format(repo=repo)) from None
                if exc.status != 422:  # 422: the branch is there already
                    raise
        text, sha = self._file(repo, path, branch)
        if text != content:
            self.update_archive(repo, branch, path, content, message, sha)
        with self._errors(f"opening the archive pull request in {repo}"):
            try:
                pull = handle.create_pull(base=base, head=branch, title=title, body=body)
            except github.GithubException as exc:
                if exc.status == 422:
                    raise Conflict(OPENED_MEANWHILE.format(repo=repo, branch=branch)) from None
                raise
        return ArchiveRecord(pull.html_url, "open", content, None, pull.number)

    def update_archive(self, repo: str, branch: str, path: str, content: str, message: str,
                       version: str | None) -> None:
        """The file on the pull request's branch, written with the sha it was read at."""
        with self._errors(f"committing {repo}/{path} on {branch}"):
            try:
                if version is None:
                    self._repo(repo).create_file(path, message, content, branch=branch)
                else:
                    self._repo(repo).update_file(path, message, content, version, branch=branch)
            except github.GithubException as exc:
                if exc.status in (409, 422):
                    raise Conflict(CHANGED_MEANWHILE.format(repo=repo, path=path, branch=branch)) from None
                raise

    def commit_archive(self, repo: str, path: str, content: str, message: str) -> ArchiveRecord:
        with self._errors(f"committing {repo}/{path}"):
            try:
                self._repo(repo).create_file(path, message, content)
            except github.GithubException as exc:
                if exc.status == 422:  # the file appeared since it was read
                    raise Conflict(COMMITTED_MEANWHILE.format(repo=repo, path=path)) from None
                raise
        return ArchiveRecord(self.file_url(repo, path), "committed", content)

    def close_meeting(self, repo: str, number: int, comment: str, marker: str, reason: str,
                      author: str | None) -> None:
        """One comment carrying `marker` by the bot's identity, then the close with GitHub's `state_reason`.

        A run that died after commenting does not comment again; when two runs commented at the
        same moment, each sees both afterwards and the younger one goes, so the oldest stays.
        """
        with self._errors(f"closing {repo}#{number}"):
            issue = self._repo(repo).get_issue(number)
            if not self._ours(issue, marker, author):
                issue.create_comment(comment)
                for younger in self._ours(issue, marker, author)[1:]:
                    try:
                        younger.delete()
                    except github.UnknownObjectException:
                        pass  # the other run removed it first
            issue.edit(state="closed", state_reason=reason)

    @staticmethod
    def _ours(issue, marker: str, author: str | None) -> list:
        found = [c for c in issue.get_comments()
                 if author is not None and c.user is not None and c.user.login == author and marker in (c.body or "")]
        return sorted(found, key=lambda c: c.id)

    def record_steps(self, repo: str, number: int, steps: frozenset[str]) -> None:
        """Add `steps` to the issue's status line, read again just before, so other edits are kept."""
        with self._errors(f"updating {repo}#{number}"):
            issue = self._repo(repo).get_issue(number)
            body = issue.body or ""
            new = markers.with_status(body, markers.find_status(body) | steps)
            if new != body:
                issue.edit(body=new)

    def remove_label(self, repo: str, number: int, label: str) -> None:
        """Take `label` off an item; one that no longer has it is fine. Forbidden when refused (403)."""
        try:
            with self._errors(f"removing the label {label!r} from {repo}#{number}"):
                self._repo(repo).get_issue(number).remove_from_labels(label)
        except NotFound:
            pass
