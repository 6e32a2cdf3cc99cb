"""Commits in the GitHub double: ``GET /repos/{o}/{r}/commits`` and ``DELETE .../contents/{path}``.

Every contents-API write (``PUT`` or ``DELETE``) is a commit made by the identity of the token that
sent it (its noreply address, ``{id}+{login}@users.noreply.github.com``, unless the request gives
``author``/``committer``). The listing answers GitHub's ``commit`` objects newest first, filtered by
``path`` (commits whose change touches the file or anything under the folder), paginated with
GitHub's ``Link`` header. GitHub links the git author and committer to accounts by e-mail address:
here a noreply address of a known account gives the top-level ``author``/``committer`` user, any
other address ``null`` (GitHub Docs, "Why are my commits linked to the wrong user?"). Mixed into
:class:`tests.doubles.github.GitHubDouble` beside :class:`tests.doubles.github_endpoints.Endpoints`.
"""

from __future__ import annotations

import re
from typing import Any

from tests.doubles.github_endpoints import REPO, Route, _object
from tests.doubles.github_shapes import WEB, Shapes
from tests.doubles.github_state import ApiError, Commit, Repo, not_found, not_supplied
from tests.doubles.http import Request, Response

COMMIT_ROUTES = [
    Route("GET", REPO + "/commits", "list_commits"),
    Route("DELETE", REPO + "/contents/{path*}", "delete_contents"),
]
EMPTY_REPOSITORY = "Git Repository is empty."
NO_COMMIT = "No commit found for SHA: {sha}"
NOREPLY = re.compile(r"(?P<id>\d+)\+(?P<login>[^@]+)@users\.noreply\.github\.com", re.IGNORECASE)


class Commits:
    """Handlers for ``COMMIT_ROUTES``; needs the Endpoints' attributes (state, shapes, access checks)."""

    def _list_commits(self, request: Request, principal: Any, owner: str, repo: str) -> Response:
        """``GET .../commits``: ``sha`` (branch or commit, default branch), ``path``, ``per_page``, ``page``."""
        found = self._readable(principal, owner, repo)
        if not any(found.branches.values()):
            raise ApiError(409, EMPTY_REPOSITORY)
        start = request.query.get("sha") or found.default_branch
        head = found.branches.get(start) if start in found.branches else start
        if head not in found.commits:
            raise not_found(NO_COMMIT.format(sha=start))
        history = _history(found, head)
        path = (request.query.get("path") or "").strip("/")
        if path:
            history = [commit for commit in history if _touches(found, commit, path)]
        shapes = self._shapes()
        return self._listing(request, history, lambda commit: listed_commit(shapes, found, commit))

    def _delete_contents(self, request: Request, principal: Any, owner: str, repo: str, path: str) -> Response:
        """``DELETE .../contents/{path}`` with ``message`` and the file's ``sha``: 200 with ``content: null``."""
        found = self._writable(principal, owner, repo)
        body = _object(request)
        if body.get("message") is None:
            raise not_supplied("message")
        who = self._committer(principal)
        commit = self.state.delete_file(
            found,
            path.strip("/"),
            message=str(body["message"]),
            sha=body.get("sha"),
            branch=body.get("branch"),
            author=body.get("author") or body.get("committer") or who,
            committer=body.get("committer") or who,
        )
        return Response(200, {"content": None, "commit": self._shapes().commit(found, commit)})


def _history(repo: Repo, head: str) -> list[Commit]:
    """The commits reachable from ``head`` along first parents, newest first (the double makes no merges)."""
    out: list[Commit] = []
    sha: str | None = head
    while sha is not None:
        commit = repo.commits[sha]
        out.append(commit)
        sha = commit.parents[0] if commit.parents else None
    return out


def _touches(repo: Repo, commit: Commit, path: str) -> bool:
    """Whether the commit changed the file at ``path``, or any file under that folder."""
    before = repo.commits[commit.parents[0]].tree if commit.parents else {}
    changed = {name for name in before.keys() | commit.tree.keys() if before.get(name) != commit.tree.get(name)}
    return any(name == path or name.startswith(path + "/") for name in changed)


def account(shapes: Shapes, who: dict[str, str]) -> dict[str, Any] | None:
    """The account GitHub links a git author or committer to by its e-mail address, or ``None``."""
    match = NOREPLY.fullmatch(str(who.get("email", "")))
    user = shapes.users.get(match["login"].lower()) if match else None
    if match is None or user is None or str(user.id) != match["id"]:
        return None
    return shapes.user(user.login)


def listed_commit(shapes: Shapes, repo: Repo, commit: Commit) -> dict[str, Any]:
    """A ``commit`` object as the commits listing answers it."""
    git = shapes.commit(repo, commit)
    api = f"{shapes.repo_url(repo)}/commits"
    return {
        "url": f"{api}/{commit.sha}",
        "sha": commit.sha,
        "node_id": git["node_id"],
        "html_url": git["html_url"],
        "comments_url": f"{api}/{commit.sha}/comments",
        "commit": {
            "url": git["url"],
            "author": git["author"],
            "committer": git["committer"],
            "message": git["message"],
            "comment_count": 0,
            "tree": git["tree"],
            "verification": git["verification"],
        },
        "author": account(shapes, commit.author),
        "committer": account(shapes, commit.committer),
        "parents": [
            {"sha": p, "url": f"{api}/{p}", "html_url": f"{WEB}/{repo.full_name}/commit/{p}"} for p in commit.parents
        ],
    }
