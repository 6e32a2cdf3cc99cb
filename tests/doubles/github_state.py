"""State of the GitHub double: users, repositories, issues, labels, files, commits.

Plain data and the operations on it, shared by the HTTP handlers and by the
test-side helpers of :class:`tests.doubles.github.GitHubDouble`; nothing here
knows about HTTP except :class:`ApiError`, which carries the status and the
GitHub-style error body an operation fails with.  Owners, repositories and
labels are matched case-insensitively, as on GitHub.  Not thread-safe by
itself: the double holds its lock around every use.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import itertools
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

DOCS = "https://docs.github.com/rest"
DEFAULT_LABEL_COLOR = "ededed"
STATE_REASONS = {
    "closed": ("completed", "not_planned", "duplicate"),
    "open": ("reopened",),
}


class ApiError(Exception):
    """A refused request: HTTP ``status`` and GitHub's error body."""

    def __init__(
        self,
        status: int,
        message: str,
        *,
        errors: list[dict[str, Any]] | None = None,
        docs: str = DOCS,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(f"{status} {message}")
        self.status = status
        self.message = message
        self.errors = errors
        self.docs = docs
        self.headers = dict(headers or {})

    def body(self) -> dict[str, Any]:
        """The JSON body GitHub sends with this error."""
        body: dict[str, Any] = {"message": self.message, "documentation_url": self.docs}
        if self.errors is not None:
            body["errors"] = self.errors
        body["status"] = str(self.status)
        return body


def not_found(message: str = "Not Found") -> ApiError:
    """GitHub's 404."""
    return ApiError(404, message)


def invalid(resource: str, field_name: str, code: str = "invalid", **extra: Any) -> ApiError:
    """GitHub's 422 ``Validation Failed`` naming one field."""
    error = {"resource": resource, "code": code, "field": field_name, **extra}
    return ApiError(422, "Validation Failed", errors=[error])


def not_supplied(name: str) -> ApiError:
    """The 422 GitHub sends when a required body field is absent."""
    return ApiError(422, f'Invalid request.\n\n"{name}" wasn\'t supplied.')


def git_blob_sha(data: bytes) -> str:
    """The git blob SHA-1 of some content, as ``git hash-object`` prints it."""
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


def decode_base64(text: Any) -> bytes:
    """Strictly decode base64 content (line breaks allowed), else a 422."""
    try:
        return base64.b64decode("".join(str(text).split()), validate=True)
    except (binascii.Error, ValueError):
        raise ApiError(422, "content is not valid Base64") from None


@dataclass
class User:
    """A user or organization account."""

    id: int
    login: str
    type: str = "User"
    name: str | None = None


@dataclass
class Label:
    """A repository label."""

    id: int
    name: str
    color: str = DEFAULT_LABEL_COLOR
    description: str | None = None
    default: bool = False


@dataclass
class Comment:
    """An issue comment."""

    id: int
    body: str
    user: str
    created_at: datetime
    updated_at: datetime


@dataclass
class Issue:
    """An issue, or a pull request seen through the issues API."""

    id: int
    number: int
    title: str
    body: str | None
    user: str
    created_at: datetime
    updated_at: datetime
    state: str = "open"
    state_reason: str | None = None
    closed_at: datetime | None = None
    closed_by: str | None = None
    labels: list[str] = field(default_factory=list)
    assignees: list[str] = field(default_factory=list)
    comments: list[Comment] = field(default_factory=list)
    pull_request: bool = False
    merged_at: datetime | None = None
    locked: bool = False
    head: str | None = None  # a pull request's branches
    base: str | None = None


@dataclass
class Discussion:
    """A repository discussion; it shares the issue numbers and the fields the search reads."""

    id: int
    number: int
    title: str
    body: str
    user: str
    created_at: datetime
    updated_at: datetime
    state: str = "open"
    closed_at: datetime | None = None
    labels: list[str] = field(default_factory=list)
    comments: list[Comment] = field(default_factory=list)
    assignees: list[str] = field(default_factory=list)
    pull_request: bool = False
    merged_at: datetime | None = None


@dataclass
class Commit:
    """A commit made through the contents API (or a test helper)."""

    sha: str
    message: str
    branch: str
    parents: list[str]
    tree: dict[str, bytes]
    author: dict[str, str]
    committer: dict[str, str]
    path: str | None = None

    def summary(self) -> dict[str, Any]:
        """What ``GitHubDouble.commits`` returns for this commit."""
        return {
            "sha": self.sha,
            "message": self.message,
            "branch": self.branch,
            "path": self.path,
            "parents": list(self.parents),
            "author": dict(self.author),
            "committer": dict(self.committer),
        }


@dataclass
class Repo:
    """A repository with its issues, labels, branches and commits."""

    id: int
    owner: str
    name: str
    private: bool
    default_branch: str
    created_at: datetime
    description: str | None = None
    labels: dict[str, Label] = field(default_factory=dict)
    issues: dict[int, Issue] = field(default_factory=dict)
    discussions: dict[int, Discussion] = field(default_factory=dict)
    branches: dict[str, str | None] = field(default_factory=dict)
    commits: dict[str, Commit] = field(default_factory=dict)

    @property
    def full_name(self) -> str:
        """``owner/name``."""
        return f"{self.owner}/{self.name}"

    def next_number(self) -> int:
        """The next number: issues, pull requests and discussions count on together."""
        return max([*self.issues, *self.discussions], default=0) + 1

    def label(self, name: str) -> Label | None:
        """The label of that name, case-insensitively."""
        return self.labels.get(name.lower())

    def tree(self, ref: str | None) -> dict[str, bytes]:
        """Files at a branch or commit SHA (default branch if ``None``)."""
        ref = ref or self.default_branch
        if ref in self.branches:
            head = self.branches[ref]
            if head is None:
                raise not_found("This repository is empty.")
            return self.commits[head].tree
        if ref in self.commits:
            return self.commits[ref].tree
        raise not_found(f"No commit found for the ref {ref}")


class GitHubState:
    """Everything the double knows; ids come from one counter."""

    def __init__(self, clock: Callable[[], float]) -> None:
        self.clock = clock
        self.users: dict[str, User] = {}
        self.repos: dict[str, Repo] = {}
        self.members: dict[str, set[str]] = {}  # organization (lowercase) -> member logins (lowercase)
        self._ids = itertools.count(1001)

    def now(self) -> datetime:
        """The double's current time, to the second, in UTC."""
        return datetime.fromtimestamp(int(self.clock()), UTC)

    def next_id(self) -> int:
        """A fresh numeric id."""
        return next(self._ids)

    # ------------------------------------------------------------- accounts
    def user(self, login: str, type: str = "User") -> User:  # noqa: A002
        """The account of that login, created on first use."""
        key = login.lower()
        if key not in self.users:
            self.users[key] = User(self.next_id(), login, type)
        return self.users[key]

    def is_member(self, org: str, login: str) -> bool:
        """Whether ``login`` is a member of organization ``org``."""
        return login.lower() in self.members.get(org.lower(), set())

    def committed(self, repo: Repo, login: str) -> bool:
        """Whether a commit of ``repo`` is attributed to ``login`` (by its noreply address, as GitHub links them)."""
        address = f"+{login}@users.noreply.github.com".lower()
        return any(
            str(who.get("email", "")).lower().endswith(address)
            for commit in repo.commits.values()
            for who in (commit.author, commit.committer)
        )

    # ------------------------------------------------------------- repos
    def add_repo(
        self,
        full_name: str,
        *,
        private: bool = False,
        default_branch: str = "main",
        owner_type: str = "Organization",
        description: str | None = None,
    ) -> Repo:
        """Create an empty repository (its default branch has no commit)."""
        owner, name = full_name.split("/")
        self.user(owner, owner_type)
        repo = Repo(self.next_id(), owner, name, private, default_branch, self.now(), description)
        repo.branches[default_branch] = None
        self.repos[full_name.lower()] = repo
        return repo

    def find_repo(self, full_name: str) -> Repo | None:
        """The repository of that name, or ``None``."""
        return self.repos.get(full_name.lower())

    def repo(self, full_name: str) -> Repo:
        """The repository of that name, else a 404."""
        repo = self.find_repo(full_name)
        if repo is None:
            raise not_found()
        return repo

    # ------------------------------------------------------------- labels
    def create_label(self, repo: Repo, name: str, color: str | None = None, description: str | None = None) -> Label:
        """A new label; 422 ``already_exists`` if the name is taken."""
        if not name:
            raise invalid("Label", "name", "missing_field")
        color = (color or DEFAULT_LABEL_COLOR).removeprefix("#")
        if len(color) != 6 or any(c not in "0123456789abcdefABCDEF" for c in color):
            raise invalid("Label", "color")
        if repo.label(name):
            raise invalid("Label", "name", "already_exists")
        label = Label(self.next_id(), name, color.lower(), description)
        repo.labels[name.lower()] = label
        return label

    def ensure_label(self, repo: Repo, name: str) -> Label:
        """The label of that name, created with GitHub's defaults if missing."""
        return repo.label(name) or self.create_label(repo, name)

    def set_labels(self, repo: Repo, issue: Issue, names: Iterable[str]) -> None:
        """Replace an issue's labels, creating unknown ones."""
        issue.labels = []
        self.add_labels(repo, issue, names)

    def add_labels(self, repo: Repo, issue: Issue, names: Iterable[str]) -> None:
        """Add labels to an issue (no duplicates), creating unknown ones."""
        for name in names:
            label = self.ensure_label(repo, name)
            if label.name not in issue.labels:
                issue.labels.append(label.name)
        issue.updated_at = self.now()

    def remove_label(self, repo: Repo, issue: Issue, name: str) -> None:
        """Take a label off an issue; 404 if it is not on it."""
        label = repo.label(name)
        if label is None or label.name not in issue.labels:
            raise not_found("Label does not exist")
        issue.labels.remove(label.name)
        issue.updated_at = self.now()

    # ------------------------------------------------------------- issues
    def add_issue(
        self,
        repo: Repo,
        title: str,
        *,
        user: str,
        body: str | None = None,
        labels: Iterable[str] = (),
        assignees: Iterable[str] = (),
        pull_request: bool = False,
        created_at: datetime | None = None,
    ) -> Issue:
        """Open a new issue (or pull request) with the next number."""
        if not title:
            raise invalid("Issue", "title", "missing_field")
        when = created_at or self.now()
        self.user(user)
        number = repo.next_number()
        issue = Issue(self.next_id(), number, title, body, user, when, when, pull_request=pull_request)
        issue.assignees = [self.user(a).login for a in assignees]
        self.set_labels(repo, issue, labels)
        issue.updated_at = when
        repo.issues[number] = issue
        return issue

    def add_discussion(
        self, repo: Repo, title: str, *, user: str, body: str = "", labels: Iterable[str] = (),
        created_at: datetime | None = None,
    ) -> Discussion:
        """Open a discussion with the repository's next number; unknown labels are created."""
        when = created_at or self.now()
        self.user(user)
        discussion = Discussion(self.next_id(), repo.next_number(), title, body, user, when, when)
        discussion.labels = [self.ensure_label(repo, name).name for name in labels]
        repo.discussions[discussion.number] = discussion
        return discussion

    def issue(self, repo: Repo, number: int | str) -> Issue:
        """Issue ``number`` of a repository, else a 404."""
        try:
            return repo.issues[int(number)]
        except (KeyError, ValueError):
            raise not_found() from None

    def update_issue(self, repo: Repo, issue: Issue, changes: dict[str, Any], actor: str) -> None:
        """Apply a PATCH body (title, body, state, state_reason, labels, assignees)."""
        if "title" in changes:
            if not changes["title"]:
                raise invalid("Issue", "title", "missing_field")
            issue.title = str(changes["title"])
        if "body" in changes:
            issue.body = changes["body"]
        if "state" in changes or "state_reason" in changes:
            self.set_state(issue, changes.get("state") or issue.state, changes.get("state_reason"), actor)
        if changes.get("labels") is not None:
            self.set_labels(repo, issue, label_names(changes["labels"]))
        if changes.get("assignees") is not None:
            issue.assignees = [self.user(a).login for a in changes["assignees"]]
        issue.updated_at = self.now()

    def set_state(self, issue: Issue, state: str, reason: str | None, actor: str) -> None:
        """Open or close an issue, keeping closed_at/state_reason consistent."""
        if state not in STATE_REASONS:
            raise invalid("Issue", "state")
        if reason is not None and reason not in STATE_REASONS[state]:
            raise invalid("Issue", "state_reason")
        if reason is None and state == issue.state:
            reason = issue.state_reason
        elif reason is None:
            reason = "completed" if state == "closed" else "reopened"
        if state == "closed" and issue.state != "closed":
            issue.closed_at, issue.closed_by = self.now(), actor
        if state == "open":
            issue.closed_at = issue.closed_by = None
        issue.state, issue.state_reason = state, reason

    def add_comment(self, issue: Issue, body: Any, user: str) -> Comment:
        """Comment on an issue; 422 without a body."""
        if not body:
            raise invalid("IssueComment", "body", "missing_field")
        when = self.now()
        comment = Comment(self.next_id(), str(body), self.user(user).login, when, when)
        issue.comments.append(comment)
        issue.updated_at = when
        return comment

    def comment(self, repo: Repo, comment_id: int | str) -> tuple[Issue, Comment]:
        """Comment ``comment_id`` of any issue of the repository, with its issue, else a 404."""
        for issue in repo.issues.values():
            for comment in issue.comments:
                if str(comment.id) == str(comment_id):
                    return issue, comment
        raise not_found()

    def edit_comment(self, comment: Comment, body: Any) -> None:
        """Replace a comment's body; 422 without one."""
        if not body:
            raise invalid("IssueComment", "body", "missing_field")
        comment.body, comment.updated_at = str(body), self.now()

    # ------------------------------------------------------------- contents
    def add_branch(self, repo: Repo, name: str, from_ref: str | None = None) -> None:
        """Create a branch pointing where ``from_ref`` (default branch) points."""
        source = from_ref or repo.default_branch
        repo.branches[name] = repo.branches.get(source, source if source in repo.commits else None)

    def write_file(
        self,
        repo: Repo,
        path: str,
        data: bytes,
        *,
        message: str,
        branch: str | None = None,
        sha: str | None = None,
        author: dict[str, str],
        committer: dict[str, str] | None = None,
        check_sha: bool = True,
    ) -> tuple[Commit, bool]:
        """Commit one file on a branch like ``PUT /contents``; True if created.

        A present file needs ``sha`` equal to its blob SHA (422 when absent,
        409 when different); ``sha`` is ignored for a new file.
        """
        branch = branch or repo.default_branch
        if branch not in repo.branches:
            raise not_found(f"Branch {branch} not found")
        head = repo.branches[branch]
        tree = dict(repo.commits[head].tree) if head else {}
        exists = path in tree
        if exists and check_sha and not sha:
            raise not_supplied("sha")
        if exists and check_sha and sha != git_blob_sha(tree[path]):
            raise ApiError(409, f"{path} does not match {sha}")
        tree[path] = data
        return self._commit(repo, branch, tree, path, message, author, committer), not exists

    def delete_file(
        self,
        repo: Repo,
        path: str,
        *,
        message: str,
        sha: str | None,
        branch: str | None = None,
        author: dict[str, str],
        committer: dict[str, str] | None = None,
    ) -> Commit:
        """Remove one file on a branch like ``DELETE /contents``: 404 when it is not there, 422
        without ``sha``, 409 when ``sha`` is not its blob SHA."""
        branch = branch or repo.default_branch
        if branch not in repo.branches:
            raise not_found(f"Branch {branch} not found")
        head = repo.branches[branch]
        tree = dict(repo.commits[head].tree) if head else {}
        if path not in tree:
            raise not_found()
        if not sha:
            raise not_supplied("sha")
        if sha != git_blob_sha(tree[path]):
            raise ApiError(409, f"{path} does not match {sha}")
        del tree[path]
        return self._commit(repo, branch, tree, path, message, author, committer)

    def _commit(
        self, repo: Repo, branch: str, tree: dict[str, bytes], path: str, message: str,
        author: dict[str, str], committer: dict[str, str] | None,
    ) -> Commit:
        """A new commit of ``tree`` on ``branch`` (author and committer dated now)."""
        head = repo.branches[branch]
        stamp = {"date": self.now().strftime("%Y-%m-%dT%H:%M:%SZ")}
        commit_sha = hashlib.sha1(f"{head}\0{path}\0{message}\0{self.next_id()}".encode()).hexdigest()
        commit = Commit(
            commit_sha, message, branch, [head] if head else [], tree, {**stamp, **author},
            {**stamp, **(committer or author)}, path,
        )
        repo.commits[commit_sha] = commit
        repo.branches[branch] = commit_sha
        return commit


def label_names(items: Any) -> list[str]:
    """Label names from a request: a string, or strings and ``{name: ...}`` objects.

    Accepts the bare array and the ``{"labels": [...]}`` forms GitHub takes.
    """
    if isinstance(items, dict):
        items = items.get("labels", [])
    if isinstance(items, str):
        items = [items]
    if not isinstance(items, list):
        raise invalid("Label", "labels")
    return [item["name"] if isinstance(item, dict) else str(item) for item in items]


def list_dir(tree: dict[str, bytes], path: str) -> list[tuple[str, bytes | None]] | None:
    """Immediate children of a folder as (path, content or None for a folder).

    ``None`` when no file lies under ``path``.
    """
    prefix = f"{path.strip('/')}/" if path.strip("/") else ""
    children: dict[str, bytes | None] = {}
    for name, data in tree.items():
        if name.startswith(prefix):
            head, sep, _ = name[len(prefix) :].partition("/")
            children[prefix + head] = None if sep else data
    return sorted(children.items()) or None
