"""The after-meeting writes on GitHub through PyGithub: the archive (branch, file, pull request, or a
commit), the closing comment and close, the issue's status line, and labels taken off agenda items.

"The bot's own" is what its own identity made (`me`, as for the issue store): a pull request or
comment by anyone else never counts, whatever it says. Every request goes through the one retry
policy (`Calls`); a write is repeated only where a repeat cannot make a second artifact.
"""

from __future__ import annotations

import functools
from typing import Callable, TypeVar
from urllib.parse import quote

import github

from bot import markers
from bot.adapters.github_client import Calls, classify
from bot.adapters.github_identity import same, token_login
from bot.adapters.installations import Clients
from bot.adapters.repo_notes import PUBLIC_API, web_url
from bot.adapters.retry import Kind
from bot.model import ArchiveRecord
from bot.ports import Conflict, NotFound, ServiceError

T = TypeVar("T")
OPENED_MEANWHILE = "{repo}: another run opened the archive pull request from {branch} at the same moment"
COMMITTED_MEANWHILE = "{repo}/{path}: another run archived the notes at the same moment"
EMPTY_REPOSITORY = (
    "{repo}: the repository has no commit yet, so the notes cannot be archived by a pull request; "
    "commit a first file, or set [after] archive = \"commit\""
)
CHANGED_MEANWHILE = "{repo}/{path} on {branch}: changed meanwhile; the next round reads it again"


class GitHubAfter:
    """AfterStore over PyGithub, each repository through the client of its owner's installation."""

    def __init__(self, clients: Clients, calls: Calls | None = None,
                 me: Callable[[str], str | None] | None = None) -> None:
        """`me(repo)` gives the bot's own login (by default the token's user, asked once)."""
        self._clients = clients
        self._calls = calls if calls is not None else Calls()
        self._web = web_url(self._calls.url or PUBLIC_API)
        self._me = me or functools.cache(
            lambda repo: token_login(clients.for_repo(repo), under_actions=False, calls=self._calls)
        )

    def _repo(self, repo: str):
        return self._clients.for_repo(repo).withLazy(True).get_repo(repo)  # made without a GET

    def _send(self, what: str, send: Callable[[], T], refused: Callable[[github.GithubException], None],
              kind: Kind = Kind.SAFE_WRITE) -> T:
        """A request (by default a write whose repeat is harmless); `refused` decides GitHub's refusals
        by status, and the others raise translated."""
        with self._calls.errors(what):
            try:
                return self._calls.policy.call(send, classify, kind)
            except github.GithubException as exc:
                refused(exc)
                raise

    def file_url(self, repo: str, path: str) -> str:
        return f"{self._web}/{repo}/blob/HEAD/{quote(path)}"

    def _file(self, repo: str, path: str, ref: str | None) -> tuple[str | None, str | None]:
        """The text and blob sha of a file on a branch (the default one when `ref` is None), or Nones."""
        options = {"ref": ref} if ref else {}
        handle = self._repo(repo)
        try:
            content = self._calls(f"reading {repo}/{path}", lambda: handle.get_contents(path, **options))
        except NotFound:
            return None, None
        if isinstance(content, list):
            return "", None  # a folder is in the way: never written over
        return content.decoded_content.decode("utf-8", errors="replace"), content.sha

    def find_archive(self, repo: str, path: str, branch: str | None) -> ArchiveRecord | None:
        """The bot's pull request from `branch` (newest first), or with no branch the committed file."""
        if branch is None:
            text, sha = self._file(repo, path, None)
            return None if text is None else ArchiveRecord(self.file_url(repo, path), "committed", text, sha)
        owner, me, handle = repo.split("/", 1)[0], self._me(repo), self._repo(repo)
        pulls = [p for p in self._calls(f"listing the pull requests of {repo}", lambda: list(
            handle.get_pulls(state="all", head=f"{owner}:{branch}", direction="desc")))
            if same(p.user.login if p.user else None, me)]
        if not pulls:
            return None
        pull = next((p for p in pulls if p.state == "open"), pulls[0])
        state = "merged" if pull.merged_at is not None else pull.state
        text, sha = self._file(repo, path, branch) if state == "open" else (None, None)
        return ArchiveRecord(pull.html_url, state, text, sha, pull.number)

    def open_archive(self, repo: str, branch: str, path: str, content: str, message: str, title: str,
                     body: str) -> ArchiveRecord:
        """A branch from the default branch (kept if a run that died made it), the file on it, the pull request."""
        handle, what = self._repo(repo), f"making the branch {branch} in {repo}"

        def empty(exc: github.GithubException) -> None:
            if exc.status == 409:  # GitHub: "Git Repository is empty."
                raise ServiceError(EMPTY_REPOSITORY.format(repo=repo)) from None

        base = self._calls(what, lambda: handle.default_branch)
        head = self._send(what, lambda: handle.get_git_ref(f"heads/{base}").object.sha, empty, Kind.READ)
        with self._calls.errors(what):
            try:
                self._calls.policy.call(lambda: handle.create_git_ref(f"refs/heads/{branch}", head), classify,
                                        Kind.SAFE_WRITE)
            except github.GithubException as exc:
                if exc.status != 422:  # 422: the branch is there (a run that died made it, or our repeat did)
                    raise
        text, sha = self._file(repo, path, branch)
        if text != content:
            self.update_archive(repo, branch, path, content, message, sha)

        def opened(exc: github.GithubException) -> None:
            if exc.status == 422:  # one open pull request per branch: another run (or our repeat) opened it
                raise Conflict(OPENED_MEANWHILE.format(repo=repo, branch=branch)) from None

        pull = self._send(f"opening the archive pull request in {repo}",
                          lambda: handle.create_pull(base=base, head=branch, title=title, body=body), opened)
        return ArchiveRecord(pull.html_url, "open", content, None, pull.number)

    def update_archive(self, repo: str, branch: str, path: str, content: str, message: str,
                       version: str | None) -> None:
        """The file on the pull request's branch, written with the sha it was read at (a repeat is refused)."""
        handle = self._repo(repo)

        def changed(exc: github.GithubException) -> None:
            if exc.status in (409, 422):
                raise Conflict(CHANGED_MEANWHILE.format(repo=repo, path=path, branch=branch)) from None

        if version is None:
            send = lambda: handle.create_file(path, message, content, branch=branch)  # noqa: E731
        else:
            send = lambda: handle.update_file(path, message, content, version, branch=branch)  # noqa: E731
        self._send(f"committing {repo}/{path} on {branch}", send, changed)

    def commit_archive(self, repo: str, path: str, content: str, message: str) -> ArchiveRecord:
        handle = self._repo(repo)

        def there(exc: github.GithubException) -> None:
            if exc.status == 422:  # the file appeared since it was read (another run, or our repeat)
                raise Conflict(COMMITTED_MEANWHILE.format(repo=repo, path=path)) from None

        self._send(f"committing {repo}/{path}", lambda: handle.create_file(path, message, content), there)
        return ArchiveRecord(self.file_url(repo, path), "committed", content)

    def close_meeting(self, repo: str, number: int, comment: str, marker: str, reason: str) -> None:
        """One comment carrying `marker` by the bot's identity, then the close with GitHub's `state_reason`.

        A run that died after commenting does not comment again; when two runs commented at the
        same moment, each sees both afterwards and the younger one goes, so the oldest stays.
        """
        what, me = f"closing {repo}#{number}", self._me(repo)
        issue = self._repo(repo).get_issue(number)  # lazy: no request
        if not self._calls(what, lambda: self._ours(issue, marker, me)):
            self._calls(what, lambda: issue.create_comment(comment), Kind.WRITE)  # a repeat would comment twice
            for younger in self._calls(what, lambda: self._ours(issue, marker, me))[1:]:
                try:
                    self._calls(what, younger.delete, Kind.SAFE_WRITE)
                except NotFound:
                    pass  # the other run removed it first
        self._calls(what, lambda: issue.edit(state="closed", state_reason=reason), Kind.SAFE_WRITE)

    @staticmethod
    def _ours(issue, marker: str, me: str | None) -> list:
        found = [c for c in issue.get_comments() if same(c.user.login if c.user else None, me) and marker in (c.body or "")]
        return sorted(found, key=lambda c: c.id)

    def record_steps(self, repo: str, number: int, steps: frozenset[str]) -> None:
        """Add `steps` to the issue's status line, read again just before, so other edits are kept."""
        what = f"updating {repo}#{number}"
        issue = self._calls(what, lambda: self._repo(repo).get_issue(number).complete())
        body = issue.body or ""
        new = markers.with_status(body, markers.find_status(body) | steps)
        if new != body:
            self._calls(what, lambda: issue.edit(body=new), Kind.SAFE_WRITE)  # sets the whole body

    def remove_label(self, repo: str, number: int, label: str) -> None:
        """Take `label` off an item; one that no longer has it is fine. Forbidden when refused (403)."""
        issue = self._repo(repo).get_issue(number)  # lazy: no request
        try:
            self._calls(f"removing the label {label!r} from {repo}#{number}",
                        lambda: issue.remove_from_labels(label), Kind.SAFE_WRITE)
        except NotFound:
            pass
