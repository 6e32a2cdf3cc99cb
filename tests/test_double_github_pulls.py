"""Pull requests and git references of the GitHub double, driven by PyGithub; every exchange checked
against GitHub's OpenAPI description (the `gh` fixture)."""

from __future__ import annotations

import github
import pytest

from tests.doubles.github import GitHubDouble
from tests.doubles.github_pulls import PULL_EXISTS, REF_EXISTS
from tests.test_double_github import REPO, READ_TOKEN, api, client, gh  # noqa: F401 - fixtures


def seeded(gh: GitHubDouble) -> github.Repository.Repository:
    gh.put_file(REPO, "README.md", "hello\n")
    return client(gh).get_repo(REPO)


def test_a_branch_from_the_default_branch_then_a_file_and_a_pull_request(gh: GitHubDouble) -> None:
    repo = seeded(gh)
    main = repo.get_git_ref("heads/main").object.sha
    ref = repo.create_git_ref("refs/heads/meeting-bot/m/2023-09-11", main)
    assert ref.ref == "refs/heads/meeting-bot/m/2023-09-11" and ref.object.sha == main
    repo.create_file("minutes/a.md", "Add", "text\n", branch="meeting-bot/m/2023-09-11")
    assert gh.file(REPO, "minutes/a.md") is None and gh.file(REPO, "minutes/a.md", "meeting-bot/m/2023-09-11") == "text\n"
    pull = repo.create_pull(base="main", head="meeting-bot/m/2023-09-11", title="Minutes", body="b")
    assert (pull.number, pull.state, pull.merged, pull.user.login) == (1, "open", False, "meeting-bot")
    assert pull.html_url == f"https://github.com/{REPO}/pull/1" and pull.head.ref == "meeting-bot/m/2023-09-11"
    listed = list(repo.get_pulls(state="all", head="wg:meeting-bot/m/2023-09-11"))
    assert [p.number for p in listed] == [1] and list(repo.get_pulls(head="wg:other")) == []


def test_refused_refs_and_pulls(gh: GitHubDouble) -> None:
    repo = seeded(gh)
    main = repo.get_git_ref("heads/main").object.sha
    repo.create_git_ref("refs/heads/b", main)
    with pytest.raises(github.GithubException) as caught:
        repo.create_git_ref("refs/heads/b", main)
    assert caught.value.status == 422 and caught.value.data["message"] == REF_EXISTS
    with pytest.raises(github.GithubException) as caught:
        repo.create_pull(base="main", head="b", title="t")
    assert caught.value.status == 422  # no commits between them
    repo.create_file("x.md", "Add", "x\n", branch="b")
    repo.create_pull(base="main", head="b", title="t")
    with pytest.raises(github.GithubException) as caught:
        repo.create_pull(base="main", head="b", title="t")
    assert caught.value.data["errors"][0]["message"] == PULL_EXISTS.format(owner="wg", head="b")
    with pytest.raises(github.UnknownObjectException):
        repo.get_git_ref("heads/nope").object
    with pytest.raises(github.GithubException) as caught:
        client(gh, READ_TOKEN).get_repo(REPO).create_git_ref("refs/heads/c", main)
    assert caught.value.status == 403


def test_merge_and_close_by_a_human(gh: GitHubDouble) -> None:
    repo = seeded(gh)
    main = repo.get_git_ref("heads/main").object.sha
    for name in ("one", "two"):
        repo.create_git_ref(f"refs/heads/{name}", main)
        repo.create_file(f"{name}.md", "Add", f"{name}\n", branch=name)
        repo.create_pull(base="main", head=name, title=name)
    gh.merge_pull(REPO, 1)
    gh.close_pull(REPO, 2)
    one, two = repo.get_pull(1), repo.get_pull(2)
    assert (one.state, one.merged, two.state, two.merged) == ("closed", True, "closed", False)
    assert gh.file(REPO, "one.md") == "one\n" and gh.file(REPO, "two.md") is None
    two.edit(title="renamed", state="open")
    assert repo.get_pull(2).state == "open" and [p["title"] for p in gh.pulls(REPO)] == ["one", "renamed"]


def test_an_empty_repository_has_no_refs(gh: GitHubDouble) -> None:
    with pytest.raises(github.GithubException) as caught:
        client(gh).get_repo(REPO).get_git_ref("heads/main").object
    assert caught.value.status == 409
