"""The comments port over the GitHub double: read in full across pages, added, rewritten, deleted."""

from __future__ import annotations

import pytest

from bot.adapters.github_comments import GitHubComments
from bot.adapters.installations import Clients
from bot.ports import NotFound, ServiceError
from tests.doubles.github import DEFAULT_LOGIN
from tests.test_github_issues import REPO, github_client


@pytest.fixture
def comments(github) -> GitHubComments:
    github.add_repo(REPO)
    return GitHubComments(Clients.single(github_client(github)), me=lambda repo: DEFAULT_LOGIN)


def test_every_comment_is_read_oldest_first_with_its_author(github, comments):
    number = github.add_issue(REPO, "WG", user=DEFAULT_LOGIN)
    for n in range(130):
        github.add_comment(REPO, number, f"comment {n}", user="alice" if n % 2 else DEFAULT_LOGIN)
    found = comments.list(REPO, number)
    assert [c.body for c in found] == [f"comment {n}" for n in range(130)]
    assert found[0].author == DEFAULT_LOGIN and found[1].author == "alice"
    assert found[0].trusted and not found[1].trusted  # only the bot's own identity's comments are its own
    assert github.count("GET", rf"^/repos/{REPO}/issues/{number}/comments$") == 2  # two pages of 100


def test_a_comment_is_added_rewritten_and_deleted_with_one_request_each(github, comments):
    number = github.add_issue(REPO, "WG", user=DEFAULT_LOGIN)
    added = comments.add(REPO, number, "claimed")
    assert added.author == DEFAULT_LOGIN and added.body == "claimed" and added.trusted
    edited = comments.edit(REPO, number, added.id, "sent")
    assert (edited.id, edited.body) == (added.id, "sent")
    assert [c["body"] for c in github.comments(REPO, number)] == ["sent"]
    comments.delete(REPO, number, added.id)
    assert github.comments(REPO, number) == []
    assert [(w.method, w.status) for w in github.writes()] == [("POST", 201), ("PATCH", 200), ("DELETE", 204)]
    assert len(github.requests) == 3


def test_errors_are_one_line_service_errors(github, comments):
    with pytest.raises(NotFound):
        comments.list(REPO, 999)
    number = github.add_issue(REPO, "WG", user=DEFAULT_LOGIN)
    with pytest.raises(ServiceError) as caught:
        comments.edit(REPO, number, 123456, "x")
    assert str(caught.value).startswith(f"updating a comment on {REPO}#{number}")


def test_without_a_given_identity_the_tokens_user_is_asked_once(github):
    github.add_repo(REPO)
    number = github.add_issue(REPO, "WG", user=DEFAULT_LOGIN)
    github.add_comment(REPO, number, "mine", user=DEFAULT_LOGIN)
    comments = GitHubComments(Clients.single(github_client(github)))
    assert [c.trusted for c in comments.list(REPO, number) + comments.list(REPO, number)] == [True, True]
    assert github.count("GET", r"^/user$") == 1
