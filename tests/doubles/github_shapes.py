"""JSON shapes of the GitHub double's answers, each written once.

:class:`Shapes` turns :mod:`tests.doubles.github_state` objects into the JSON
GitHub sends: API links (``url`` and friends) point at the double, so that
clients such as PyGithub follow them back to it, while ``html_url`` keeps
GitHub's web form (``https://github.com/{owner}/{repo}/issues/{n}``), which
is what real GitHub (and GitHub Enterprise, on its own host) returns.
"""

from __future__ import annotations

import base64
import hashlib
import urllib.parse
from datetime import datetime
from typing import Any, Callable

from tests.doubles.github_state import Comment, Commit, Issue, Label, Repo, User, git_blob_sha

WEB = "https://github.com"
RAW = "https://raw.githubusercontent.com"

#: URL templates every user object carries, relative to the user's API URL.
USER_LINKS = {
    "followers_url": "/followers",
    "following_url": "/following{/other_user}",
    "gists_url": "/gists{/gist_id}",
    "starred_url": "/starred{/owner}{/repo}",
    "subscriptions_url": "/subscriptions",
    "organizations_url": "/orgs",
    "repos_url": "/repos",
    "events_url": "/events{/privacy}",
    "received_events_url": "/received_events",
}

#: URL templates every repository object carries, relative to its API URL.
REPO_LINKS = {
    "archive_url": "/{archive_format}{/ref}",
    "assignees_url": "/assignees{/user}",
    "blobs_url": "/git/blobs{/sha}",
    "branches_url": "/branches{/branch}",
    "collaborators_url": "/collaborators{/collaborator}",
    "comments_url": "/comments{/number}",
    "commits_url": "/commits{/sha}",
    "compare_url": "/compare/{base}...{head}",
    "contents_url": "/contents/{+path}",
    "contributors_url": "/contributors",
    "deployments_url": "/deployments",
    "downloads_url": "/downloads",
    "events_url": "/events",
    "forks_url": "/forks",
    "git_commits_url": "/git/commits{/sha}",
    "git_refs_url": "/git/refs{/sha}",
    "git_tags_url": "/git/tags{/sha}",
    "hooks_url": "/hooks",
    "issue_comment_url": "/issues/comments{/number}",
    "issue_events_url": "/issues/events{/number}",
    "issues_url": "/issues{/number}",
    "keys_url": "/keys{/key_id}",
    "labels_url": "/labels{/name}",
    "languages_url": "/languages",
    "merges_url": "/merges",
    "milestones_url": "/milestones{/number}",
    "notifications_url": "/notifications{?since,all,participating}",
    "pulls_url": "/pulls{/number}",
    "releases_url": "/releases{/id}",
    "stargazers_url": "/stargazers",
    "statuses_url": "/statuses/{sha}",
    "subscribers_url": "/subscribers",
    "subscription_url": "/subscription",
    "tags_url": "/tags",
    "teams_url": "/teams",
    "trees_url": "/git/trees{/sha}",
}

#: ``permissions`` of a repository object for each access level.
PERMISSIONS = {
    "admin": {"admin": True, "maintain": True, "push": True, "triage": True, "pull": True},
    "write": {"admin": False, "maintain": False, "push": True, "triage": True, "pull": True},
    "read": {"admin": False, "maintain": False, "push": False, "triage": False, "pull": True},
}


def iso(when: datetime | None) -> str | None:
    """GitHub's timestamp form, ``2024-05-01T12:00:00Z``."""
    return None if when is None else when.strftime("%Y-%m-%dT%H:%M:%SZ")


def node_id(kind: str, number: int) -> str:
    """An opaque GraphQL node id in GitHub's style."""
    return f"{kind}_kwDO" + base64.b64encode(str(number).encode()).decode().rstrip("=")


def quote(text: str) -> str:
    """Percent-encode one path segment."""
    return urllib.parse.quote(text, safe="")


class Shapes:
    """Builds GitHub JSON for one API base URL (the double's ``url``)."""

    def __init__(
        self,
        api: str,
        users: dict[str, User],
        collaborator: Callable[[Repo, str], bool] | None = None,
        member: Callable[[str, str], bool] | None = None,
        contributor: Callable[[Repo, str], bool] | None = None,
    ) -> None:
        self.api = api.rstrip("/")
        self.users = users
        self.collaborator = collaborator or (lambda repo, login: False)
        self.member = member or (lambda org, login: False)
        self.contributor = contributor or (lambda repo, login: False)

    # ----------------------------------------------------------- accounts
    def user(self, login: str) -> dict[str, Any]:
        """A ``simple-user`` object."""
        user = self.users[login.lower()]
        url = f"{self.api}/users/{user.login}"
        shape = {
            "login": user.login,
            "id": user.id,
            "node_id": node_id("U" if user.type == "User" else "O", user.id),
            "avatar_url": f"https://avatars.githubusercontent.com/u/{user.id}?v=4",
            "gravatar_id": "",
            "url": url,
            "html_url": f"{WEB}/{user.login}",
            "type": user.type,
            "site_admin": False,
            "user_view_type": "public",
        }
        return shape | {key: url + suffix for key, suffix in USER_LINKS.items()}

    def private_user(self, login: str, private_repos: int) -> dict[str, Any]:
        """The ``private-user`` object ``GET /user`` returns."""
        user = self.users[login.lower()]
        created = iso(datetime(2020, 1, 1))
        return self.user(login) | {
            "name": user.name,
            "company": None,
            "blog": "",
            "location": None,
            "email": None,
            "hireable": None,
            "bio": None,
            "twitter_username": None,
            "notification_email": None,
            "public_repos": 0,
            "public_gists": 0,
            "followers": 0,
            "following": 0,
            "created_at": created,
            "updated_at": created,
            "private_gists": 0,
            "total_private_repos": private_repos,
            "owned_private_repos": private_repos,
            "disk_usage": 0,
            "collaborators": 0,
            "two_factor_authentication": True,
            "plan": {"name": "free", "space": 976562499, "collaborators": 0, "private_repos": 10000},
            "user_view_type": "private",
        }

    # ----------------------------------------------------------- repositories
    def repo_url(self, repo: Repo) -> str:
        """The API URL of a repository."""
        return f"{self.api}/repos/{repo.full_name}"

    def repository(self, repo: Repo, access: str | None) -> dict[str, Any]:
        """A ``full-repository`` object (also fine where a minimal one is due).

        ``access`` (``admin``/``write``/``read``) adds ``permissions``; ``None``
        (anonymous) leaves them out, as GitHub does.
        """
        url = self.repo_url(repo)
        owner = self.user(repo.owner)
        created, pushed = iso(repo.created_at), iso(self.pushed_at(repo))
        open_issues = sum(1 for i in repo.issues.values() if i.state == "open")
        shape: dict[str, Any] = {
            "id": repo.id,
            "node_id": node_id("R", repo.id),
            "name": repo.name,
            "full_name": repo.full_name,
            "private": repo.private,
            "visibility": "private" if repo.private else "public",
            "owner": owner,
            "html_url": f"{WEB}/{repo.full_name}",
            "description": repo.description,
            "fork": False,
            "url": url,
            "homepage": None,
            "language": None,
            "default_branch": repo.default_branch,
            "created_at": created,
            "updated_at": pushed,
            "pushed_at": pushed,
            "git_url": f"git://github.com/{repo.full_name}.git",
            "ssh_url": f"git@github.com:{repo.full_name}.git",
            "clone_url": f"{WEB}/{repo.full_name}.git",
            "svn_url": f"{WEB}/{repo.full_name}",
            "mirror_url": None,
            "size": 0,
            "license": None,
            "topics": [],
            "archived": False,
            "disabled": False,
            "is_template": False,
            "has_issues": True,
            "has_projects": True,
            "has_wiki": True,
            "has_pages": False,
            "has_downloads": True,
            "has_discussions": False,
            "allow_forking": True,
            "web_commit_signoff_required": False,
            "forks": 0,
            "forks_count": 0,
            "stargazers_count": 0,
            "watchers": 0,
            "watchers_count": 0,
            "open_issues": open_issues,
            "open_issues_count": open_issues,
            "network_count": 0,
            "subscribers_count": 0,
        }
        if owner["type"] == "Organization":
            shape["organization"] = owner
        if access is not None:
            shape["permissions"] = dict(PERMISSIONS[access])
        return shape | {key: url + suffix for key, suffix in REPO_LINKS.items()}

    @staticmethod
    def pushed_at(repo: Repo) -> datetime:
        """Time of the newest commit, else the creation time."""
        dates = [c.committer["date"] for c in repo.commits.values()]
        return datetime.strptime(max(dates), "%Y-%m-%dT%H:%M:%SZ") if dates else repo.created_at

    # ----------------------------------------------------------- labels
    def label(self, repo: Repo, label: Label) -> dict[str, Any]:
        """A ``label`` object."""
        return {
            "id": label.id,
            "node_id": node_id("LA", label.id),
            "url": f"{self.repo_url(repo)}/labels/{quote(label.name)}",
            "name": label.name,
            "color": label.color,
            "default": label.default,
            "description": label.description,
        }

    def issue_labels(self, repo: Repo, issue: Issue) -> list[dict[str, Any]]:
        """The label objects of an issue, in the order they were added."""
        return [self.label(repo, repo.labels[name.lower()]) for name in issue.labels]

    # ----------------------------------------------------------- issues
    def issue(self, repo: Repo, issue: Issue) -> dict[str, Any]:
        """An ``issue`` object (a pull request has a ``pull_request`` key)."""
        shape = self._issue_common(repo, issue)
        shape["closed_by"] = self.user(issue.closed_by) if issue.closed_by else None
        return shape

    def search_item(self, repo: Repo, issue: Issue) -> dict[str, Any]:
        """An ``issue-search-result-item`` object."""
        return self._issue_common(repo, issue) | {"score": 1.0}

    def _issue_common(self, repo: Repo, issue: Issue) -> dict[str, Any]:
        """Fields shared by issue objects and search result items."""
        url = f"{self.repo_url(repo)}/issues/{issue.number}"
        kind = "pull" if issue.pull_request else "issues"
        html = f"{WEB}/{repo.full_name}/{kind}/{issue.number}"
        assignees = [self.user(login) for login in issue.assignees]
        shape: dict[str, Any] = {
            "url": url,
            "repository_url": self.repo_url(repo),
            "labels_url": url + "/labels{/name}",
            "comments_url": url + "/comments",
            "events_url": url + "/events",
            "html_url": html,
            "id": issue.id,
            "node_id": node_id("PR" if issue.pull_request else "I", issue.id),
            "number": issue.number,
            "title": issue.title,
            "user": self.user(issue.user),
            "labels": self.issue_labels(repo, issue),
            "state": issue.state,
            "locked": issue.locked,
            "assignee": assignees[0] if assignees else None,
            "assignees": assignees,
            "milestone": None,
            "comments": len(issue.comments),
            "created_at": iso(issue.created_at),
            "updated_at": iso(issue.updated_at),
            "closed_at": iso(issue.closed_at),
            "author_association": self.association(repo, issue.user),
            "active_lock_reason": None,
            "body": issue.body,
            "reactions": self.reactions(url),
            "timeline_url": url + "/timeline",
            "performed_via_github_app": None,
            "state_reason": issue.state_reason,
        }
        if issue.pull_request:
            shape["draft"] = False
            shape["pull_request"] = {
                "url": f"{self.repo_url(repo)}/pulls/{issue.number}",
                "html_url": html,
                "diff_url": html + ".diff",
                "patch_url": html + ".patch",
                "merged_at": iso(issue.merged_at),
            }
        return shape

    def association(self, repo: Repo, login: str) -> str:
        """GitHub's ``author_association``, first that applies: ``OWNER`` (the repository's owner),
        ``MEMBER`` (a member of the owning organization), ``COLLABORATOR`` (a user with push access),
        ``CONTRIBUTOR`` (has a commit in the repository), else ``NONE``.

        An app's bot account is never a member or collaborator; it is ``CONTRIBUTOR`` once it has
        committed (the bot's notes commits do that), else ``NONE``.
        """
        if login.lower() == repo.owner.lower():
            return "OWNER"
        user = self.users.get(login.lower())
        is_user = user is not None and user.type == "User"
        if is_user and self.member(repo.owner, login):
            return "MEMBER"
        if is_user and self.collaborator(repo, login):
            return "COLLABORATOR"
        if self.contributor(repo, login):
            return "CONTRIBUTOR"
        return "NONE"

    @staticmethod
    def reactions(url: str) -> dict[str, Any]:
        """An empty ``reaction-rollup``."""
        counts = dict.fromkeys(("+1", "-1", "laugh", "hooray", "confused", "heart", "rocket", "eyes"), 0)
        return {"url": url + "/reactions", "total_count": 0, **counts}

    def comment(self, repo: Repo, issue: Issue, comment: Comment) -> dict[str, Any]:
        """An ``issue-comment`` object."""
        url = f"{self.repo_url(repo)}/issues/comments/{comment.id}"
        return {
            "url": url,
            "html_url": f"{WEB}/{repo.full_name}/issues/{issue.number}#issuecomment-{comment.id}",
            "issue_url": f"{self.repo_url(repo)}/issues/{issue.number}",
            "id": comment.id,
            "node_id": node_id("IC", comment.id),
            "user": self.user(comment.user),
            "created_at": iso(comment.created_at),
            "updated_at": iso(comment.updated_at),
            "author_association": self.association(repo, comment.user),
            "body": comment.body,
            "reactions": self.reactions(url),
            "performed_via_github_app": None,
        }

    # ----------------------------------------------------------- contents
    def content(self, repo: Repo, path: str, data: bytes | None, ref: str) -> dict[str, Any]:
        """A directory entry: a file (``data``) or a folder (``None``)."""
        is_file = data is not None
        sha = git_blob_sha(data) if is_file else hashlib.sha1(f"tree {repo.id} {path}".encode()).hexdigest()
        url = f"{self.repo_url(repo)}/contents/{urllib.parse.quote(path)}?ref={quote(ref)}"
        kind = "blob" if is_file else "tree"
        git_url = f"{self.repo_url(repo)}/git/{kind}s/{sha}"
        html_url = f"{WEB}/{repo.full_name}/{kind}/{ref}/{urllib.parse.quote(path)}"
        return {
            "name": path.rsplit("/", 1)[-1],
            "path": path,
            "sha": sha,
            "size": len(data) if is_file else 0,
            "url": url,
            "html_url": html_url,
            "git_url": git_url,
            "download_url": f"{RAW}/{repo.full_name}/{ref}/{urllib.parse.quote(path)}" if is_file else None,
            "type": "file" if is_file else "dir",
            "_links": {"self": url, "git": git_url, "html": html_url},
        }

    def file(self, repo: Repo, path: str, data: bytes, ref: str) -> dict[str, Any]:
        """A ``content-file`` object: the entry plus base64 content in 60-char lines."""
        encoded = base64.b64encode(data).decode()
        lines = [encoded[i : i + 60] for i in range(0, len(encoded), 60)]
        return self.content(repo, path, data, ref) | {
            "content": "".join(f"{line}\n" for line in lines),
            "encoding": "base64",
        }

    def commit(self, repo: Repo, commit: Commit) -> dict[str, Any]:
        """The ``commit`` part of a ``file-commit`` object."""
        tree_sha = hashlib.sha1(f"tree {commit.sha}".encode()).hexdigest()
        return {
            "sha": commit.sha,
            "node_id": node_id("C", int(commit.sha[:8], 16)),
            "url": f"{self.repo_url(repo)}/git/commits/{commit.sha}",
            "html_url": f"{WEB}/{repo.full_name}/commit/{commit.sha}",
            "author": dict(commit.author),
            "committer": dict(commit.committer),
            "message": commit.message,
            "tree": {"url": f"{self.repo_url(repo)}/git/trees/{tree_sha}", "sha": tree_sha},
            "parents": [
                {
                    "url": f"{self.repo_url(repo)}/git/commits/{p}",
                    "html_url": f"{WEB}/{repo.full_name}/commit/{p}",
                    "sha": p,
                }
                for p in commit.parents
            ],
            "verification": {
                "verified": False,
                "reason": "unsigned",
                "signature": None,
                "payload": None,
                "verified_at": None,
            },
        }

    def file_commit(self, repo: Repo, commit: Commit) -> dict[str, Any]:
        """A ``file-commit`` object, the answer of ``PUT /contents``."""
        assert commit.path is not None
        entry = self.content(repo, commit.path, commit.tree[commit.path], commit.branch)
        return {"content": entry, "commit": self.commit(repo, commit)}

    # ----------------------------------------------------------- apps
    def installation(
        self, installation_id: int, account: str, app_id: int, slug: str, selected: bool
    ) -> dict[str, Any]:
        """An ``installation`` object."""
        owner = self.user(account)
        created = iso(datetime(2020, 1, 1))
        return {
            "id": installation_id,
            "client_id": f"Iv1.{app_id:016x}",
            "account": owner,
            "repository_selection": "selected" if selected else "all",
            "access_tokens_url": f"{self.api}/app/installations/{installation_id}/access_tokens",
            "repositories_url": f"{self.api}/installation/repositories",
            "html_url": f"{WEB}/organizations/{account}/settings/installations/{installation_id}",
            "app_id": app_id,
            "app_slug": slug,
            "target_id": owner["id"],
            "target_type": owner["type"],
            "permissions": {"issues": "write", "contents": "write", "metadata": "read"},
            "events": [],
            "created_at": created,
            "updated_at": created,
            "single_file_name": None,
            "has_multiple_single_files": False,
            "single_file_paths": [],
            "suspended_by": None,
            "suspended_at": None,
        }
