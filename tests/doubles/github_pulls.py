"""Pull requests, git references and comment deletion in the GitHub double: routes, handlers, shapes and test helpers.

A pull request is an issue of its repository with ``pull_request`` set (one numbering, as on
GitHub), a ``head`` and a ``base`` branch. Mixed into :class:`tests.doubles.github.GitHubDouble`
beside :class:`tests.doubles.github_endpoints.Endpoints`.
"""

from __future__ import annotations

from typing import Any

from tests.doubles.github_endpoints import REPO, Route, _object
from tests.doubles.github_shapes import WEB, iso, node_id
from tests.doubles.github_state import ApiError, Issue, Repo, invalid, not_found
from tests.doubles.http import Request, Response

PULL = REPO + "/pulls/{number}"
PULL_ROUTES = [
    Route("GET", REPO + "/git/ref/{ref*}", "get_ref"),
    Route("POST", REPO + "/git/refs", "create_ref"),
    Route("GET", REPO + "/pulls", "list_pulls"),
    Route("POST", REPO + "/pulls", "create_pull"),
    Route("GET", PULL, "get_pull"),
    Route("PATCH", PULL, "update_pull"),
    Route("DELETE", REPO + "/issues/comments/{comment_id}", "delete_comment"),
]
REF_EXISTS = "Reference already exists"
PULL_EXISTS = "A pull request already exists for {owner}:{head}."
NO_COMMITS = "No commits between {base} and {head}"


class Pulls:
    """Handlers for ``PULL_ROUTES`` and the test helpers for pull requests; needs the Endpoints' attributes."""

    # =============================================================== git refs
    def _get_ref(self, request: Request, principal: Any, owner: str, repo: str, ref: str) -> Response:
        """``GET .../git/ref/heads/{branch}``."""
        found = self._readable(principal, owner, repo)
        name = ref.removeprefix("heads/")
        if not any(found.branches.values()):
            raise ApiError(409, "Git Repository is empty.")
        if not ref.startswith("heads/") or found.branches.get(name) is None:
            raise not_found()
        return Response(200, self._ref_shape(found, name))

    def _create_ref(self, request: Request, principal: Any, owner: str, repo: str) -> Response:
        """``POST .../git/refs`` with ``refs/heads/{branch}`` at an existing commit: 201."""
        found = self._writable(principal, owner, repo)
        body = _object(request)
        ref, sha = str(body.get("ref") or ""), str(body.get("sha") or "")
        if not ref.startswith("refs/") or ref.count("/") < 2:
            raise ApiError(422, f"{ref} is not a valid ref name.")
        name = ref.removeprefix("refs/heads/")
        if name in found.branches:
            raise ApiError(422, REF_EXISTS)
        if sha not in found.commits:
            raise ApiError(422, "Object does not exist")
        found.branches[name] = sha
        shape = self._ref_shape(found, name)
        return Response(201, shape, {"Location": shape["url"]})

    def _ref_shape(self, repo: Repo, branch: str) -> dict[str, Any]:
        api = self._shapes().repo_url(repo)
        sha = repo.branches[branch]
        return {
            "ref": f"refs/heads/{branch}",
            "node_id": node_id("REF", abs(hash(branch)) % 10**8),
            "url": f"{api}/git/refs/heads/{branch}",
            "object": {"sha": sha, "type": "commit", "url": f"{api}/git/commits/{sha}"},
        }

    # =============================================================== pulls
    def _list_pulls(self, request: Request, principal: Any, owner: str, repo: str) -> Response:
        """``GET .../pulls``: ``state``, ``head`` (``owner:branch``), ``base``, ``direction``."""
        found = self._readable(principal, owner, repo)
        query = request.query
        state = query.get("state", "open")
        head = query.get("head")
        pulls = [
            p for p in found.issues.values()
            if p.pull_request and state in ("all", p.state)
            and (head is None or head.lower() == f"{found.owner}:{p.head}".lower())
            and query.get("base") in (None, p.base)
        ]
        pulls.sort(key=lambda p: p.number, reverse=query.get("direction", "desc") == "desc")
        return self._listing(request, pulls, lambda p: self._pull_shape(found, p, principal, full=False))

    def _create_pull(self, request: Request, principal: Any, owner: str, repo: str) -> Response:
        """``POST .../pulls``: 201; 422 for a missing branch, no commits, or an open one for the same head."""
        found = self._writable(principal, owner, repo)
        body = _object(request)
        head, base = str(body.get("head") or "").split(":")[-1], str(body.get("base") or "")
        if head not in found.branches or found.branches[head] is None:
            raise invalid("PullRequest", "head")
        if base not in found.branches:
            raise invalid("PullRequest", "base")
        if found.branches[head] == found.branches[base]:
            raise ApiError(422, "Validation Failed", errors=[_custom(NO_COMMITS.format(base=base, head=head))])
        if any(p.pull_request and p.state == "open" and p.head == head and p.base == base for p in found.issues.values()):
            raise ApiError(422, "Validation Failed", errors=[_custom(PULL_EXISTS.format(owner=found.owner, head=head))])
        pull = self.state.add_issue(
            found, str(body.get("title") or ""), user=self._actor(principal), body=body.get("body"), pull_request=True
        )
        pull.head, pull.base = head, base
        shape = self._pull_shape(found, pull, principal)
        return Response(201, shape, {"Location": shape["url"]})

    def _get_pull(self, request: Request, principal: Any, owner: str, repo: str, number: str) -> Response:
        found = self._readable(principal, owner, repo)
        return Response(200, self._pull_shape(found, self._pull(found, number), principal))

    def _update_pull(self, request: Request, principal: Any, owner: str, repo: str, number: str) -> Response:
        """``PATCH .../pulls/{number}``: title, body, state (a merged one stays closed)."""
        found = self._writable(principal, owner, repo)
        pull = self._pull(found, number)
        changes = {k: v for k, v in _object(request).items() if k in ("title", "body", "state")}
        if changes.get("state") == "open" and pull.merged_at is not None:
            raise invalid("PullRequest", "state")
        self.state.update_issue(found, pull, changes, self._actor(principal))
        return Response(200, self._pull_shape(found, pull, principal))

    def _pull(self, repo: Repo, number: str) -> Issue:
        pull = self.state.issue(repo, number)
        if not pull.pull_request:
            raise not_found()
        return pull

    def _pull_shape(self, repo: Repo, pull: Issue, principal: Any, full: bool = True) -> dict[str, Any]:
        """A ``pull-request`` object (``pull-request-simple`` in listings)."""
        shapes = self._shapes()
        api = shapes.repo_url(repo)
        url, html = f"{api}/pulls/{pull.number}", f"{WEB}/{repo.full_name}/pull/{pull.number}"
        issue = shapes.issue(repo, pull)
        repository = shapes.repository(repo, principal.access(repo) if principal else None)
        owner = shapes.user(repo.owner)

        def end(branch: str | None) -> dict[str, Any]:
            sha = repo.branches.get(branch or "") or "0" * 40
            return {"label": f"{repo.owner}:{branch}", "ref": branch, "repo": repository, "sha": sha, "user": owner}

        link = lambda href: {"href": href}  # noqa: E731
        shape = {
            "url": url, "id": pull.id, "node_id": node_id("PR", pull.id), "html_url": html,
            "diff_url": html + ".diff", "patch_url": html + ".patch", "issue_url": issue["url"],
            "commits_url": url + "/commits", "review_comments_url": url + "/comments",
            "review_comment_url": f"{api}/pulls/comments{{/number}}", "comments_url": issue["comments_url"],
            "statuses_url": f"{api}/statuses/{end(pull.head)['sha']}", "number": pull.number,
            "state": pull.state, "locked": pull.locked, "title": pull.title, "user": issue["user"],
            "body": pull.body, "labels": issue["labels"], "milestone": None, "active_lock_reason": None,
            "created_at": iso(pull.created_at), "updated_at": iso(pull.updated_at),
            "closed_at": iso(pull.closed_at), "merged_at": iso(pull.merged_at), "merge_commit_sha": None,
            "assignee": issue["assignee"], "assignees": issue["assignees"], "requested_reviewers": [],
            "requested_teams": [], "head": end(pull.head), "base": end(pull.base),
            "_links": {
                "self": link(url), "html": link(html), "issue": link(issue["url"]), "comments": link(issue["comments_url"]),
                "review_comments": link(url + "/comments"), "review_comment": link(f"{api}/pulls/comments{{/number}}"),
                "commits": link(url + "/commits"), "statuses": link(f"{api}/statuses/{end(pull.head)['sha']}"),
            },
            "author_association": issue["author_association"], "auto_merge": None, "draft": False,
        }
        if full:
            merged = pull.merged_at is not None
            shape |= {
                "merged": merged, "mergeable": None if merged else True, "rebaseable": None,
                "mergeable_state": "unknown" if merged else "clean", "merged_by": shapes.user(pull.closed_by) if merged and pull.closed_by else None,
                "comments": len(pull.comments), "review_comments": 0, "maintainer_can_modify": False,
                "commits": 1, "additions": 1, "deletions": 0, "changed_files": 1,
            }
        return shape

    # =============================================================== comments
    def _delete_comment(self, request: Request, principal: Any, owner: str, repo: str, comment_id: str) -> Response:
        """``DELETE .../issues/comments/{id}``: 204."""
        found = self._writable(principal, owner, repo)
        for issue in found.issues.values():
            for comment in issue.comments:
                if str(comment.id) == comment_id:
                    issue.comments.remove(comment)
                    return Response(204, None)
        raise not_found()

    # =============================================================== test API
    def pulls(self, repo: str) -> list[dict[str, Any]]:
        """Every pull request of a repository (API shape, as its author sees it), by number."""
        with self.lock:
            found = self.state.repo(repo)
            return [self._pull_shape(found, p, None) for _, p in sorted(found.issues.items()) if p.pull_request]

    def merge_pull(self, repo: str, number: int, user: str = "alice") -> None:
        """Merge a pull request as ``user``: its head's files land on its base branch, and it closes."""
        with self.lock:
            found = self.state.repo(repo)
            pull = self._pull(found, str(number))
            self.state.user(user)
            tree = found.commits[found.branches[pull.head]].tree
            base = found.branches[pull.base]
            for path, data in tree.items():
                if base is None or found.commits[base].tree.get(path) != data:
                    self.state.write_file(found, path, data, message=f"Merge #{number}", branch=pull.base,
                                          author={"name": user, "email": f"{user}@example.com"}, check_sha=False)
            pull.merged_at = self.state.now()
            self.state.set_state(pull, "closed", "completed", user)

    def close_pull(self, repo: str, number: int, user: str = "alice") -> None:
        """Close a pull request without merging, as ``user``."""
        with self.lock:
            found = self.state.repo(repo)
            self.state.user(user)
            self.state.set_state(self._pull(found, str(number)), "closed", None, user)


def _custom(message: str) -> dict[str, Any]:
    return {"resource": "PullRequest", "code": "custom", "message": message}
