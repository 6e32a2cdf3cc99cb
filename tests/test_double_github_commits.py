"""Commits of the GitHub double (listing by path, contents deletes), driven by PyGithub; every exchange
checked against GitHub's OpenAPI description (the `gh` fixture)."""

from __future__ import annotations

import re

import github
import pytest
import requests

from tests.doubles.github import DEFAULT_TOKEN, GitHubDouble
from tests.doubles.github_commits import EMPTY_REPOSITORY
from tests.test_double_github import REPO, READ_TOKEN, api, client, gh, raw  # noqa: F401 - fixtures

MEMBER_TOKEN = "ghp_member0000000000000000000000000000000"


def test_each_contents_write_is_a_commit_by_the_tokens_identity(gh: GitHubDouble) -> None:
    gh.add_token(MEMBER_TOKEN, login="alice")
    bot_repo, member_repo = client(gh).get_repo(REPO), client(gh, MEMBER_TOKEN).get_repo(REPO)
    made = bot_repo.create_file("notes/a.md", "Add a", "one\n")
    member_repo.update_file("notes/a.md", "Edit a", "two\n", made["content"].sha)
    member_repo.create_file("notes/b.md", "Add b", "b\n")
    listed = list(bot_repo.get_commits(path="notes/a.md"))
    assert [c.commit.message for c in listed] == ["Edit a", "Add a"]  # newest first
    assert [(c.author.login, c.committer.login) for c in listed] == [("alice", "alice"), ("meeting-bot", "meeting-bot")]
    oldest = listed[-1].commit
    assert oldest.author.name == "meeting-bot" and oldest.author.email.endswith("+meeting-bot@users.noreply.github.com")
    assert [c.commit.message for c in bot_repo.get_commits(path="notes")] == ["Add b", "Edit a", "Add a"]
    assert [c.commit.message for c in bot_repo.get_commits()] == ["Add b", "Edit a", "Add a"]
    assert list(bot_repo.get_commits(path="nowhere.md")) == []


def test_a_delete_is_a_commit_too_and_checks_the_sha(gh: GitHubDouble) -> None:
    repo = client(gh).get_repo(REPO)
    made = repo.create_file("notes/a.md", "Add", "one\n")
    with pytest.raises(github.GithubException) as caught:
        repo.delete_file("notes/a.md", "Remove", "0" * 40)
    assert caught.value.status == 409
    with pytest.raises(github.UnknownObjectException):
        repo.delete_file("notes/missing.md", "Remove", "0" * 40)
    with pytest.raises(github.GithubException) as caught:
        client(gh, READ_TOKEN).get_repo(REPO).delete_file("notes/a.md", "Remove", made["content"].sha)
    assert caught.value.status == 403
    answer = repo.delete_file("notes/a.md", "Remove", made["content"].sha)
    assert answer["commit"].sha == gh.commits(REPO)[-1]["sha"]  # and `content: null`, checked against the description
    assert gh.file(REPO, "notes/a.md") is None
    assert [c.commit.message for c in repo.get_commits(path="notes/a.md")] == ["Remove", "Add"]


def test_a_long_history_is_paginated_with_a_last_link_like_githubs(gh: GitHubDouble) -> None:
    repo = client(gh).get_repo(REPO)
    sha = repo.create_file("n.md", "v0", "0\n")["content"].sha
    for n in range(1, 5):
        sha = repo.update_file("n.md", f"v{n}", f"{n}\n", sha)["content"].sha
    first = raw(gh, "GET", "/repos/wg/meetings/commits", params={"path": "n.md", "per_page": 2})
    links = dict((rel, url) for url, rel in re.findall(r'<([^>]+)>; rel="(\w+)"', first.headers["Link"]))
    assert set(links) == {"next", "last"} and "page=3" in links["last"] and "path=n.md" in links["last"]
    last = raw(gh, "GET", "/repos/wg/meetings/commits", params={"path": "n.md", "per_page": 2, "page": 3})
    assert [c["commit"]["message"] for c in last.json()] == ["v0"]  # the oldest is the last one of the last page
    assert [c["commit"]["message"] for c in first.json()] == ["v4", "v3"]
    assert repo.get_commits(path="n.md").totalCount == 5  # PyGithub counts through the last link


def test_an_author_not_linked_to_an_account_is_null_and_the_listing_is_conditional(gh: GitHubDouble) -> None:
    gh.put_file(REPO, "seed.md", "x\n")  # seed@example.com: no account GitHub could link
    listed = raw(gh, "GET", "/repos/wg/meetings/commits", params={"path": "seed.md"})
    assert [(c["author"], c["committer"]) for c in listed.json()] == [(None, None)]
    headers = {"If-None-Match": listed.headers["ETag"], "Authorization": f"token {DEFAULT_TOKEN}"}
    again = requests.get(gh.url + "/repos/wg/meetings/commits", params={"path": "seed.md"}, headers=headers, timeout=5)
    assert again.status_code == 304


def test_an_empty_repository_and_an_unknown_start(gh: GitHubDouble) -> None:
    empty = raw(gh, "GET", "/repos/wg/meetings/commits")
    assert (empty.status_code, empty.json()["message"]) == (409, EMPTY_REPOSITORY)
    gh.put_file(REPO, "a.md", "a\n")
    assert raw(gh, "GET", "/repos/wg/meetings/commits", params={"sha": "nope"}).status_code == 404
