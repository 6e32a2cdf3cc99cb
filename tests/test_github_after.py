"""The after-meeting store over the GitHub double, in process: archive, close, status line, labels."""

from __future__ import annotations

import datetime as dt

import github
import pytest

from bot import markers
from bot.adapters.github_after import EMPTY_REPOSITORY, GitHubAfter
from bot.adapters.github_client import Calls
from bot.adapters.github_issues import GitHubIssues
from bot.adapters.installations import Clients
from bot.ports import Conflict, Forbidden, ServiceError
from tests.doubles.github import DEFAULT_TOKEN

REPO = "acme/meetings"
BRANCH = "meeting-bot/wg/2024-03-11"
PATH = "meetings/2024-03-11.md"
MARKER = "<!-- meeting-bot:comment=minutes -->"


def client(double, token: str = DEFAULT_TOKEN) -> github.Github:
    return github.Github(base_url=double.url, auth=github.Auth.Token(token), retry=None, per_page=100)


@pytest.fixture
def store(github) -> GitHubAfter:
    github.add_repo(REPO)
    github.put_file(REPO, "README.md", "meetings\n")
    return GitHubAfter(Clients.single(client(github)), Calls(url=github.url))


def test_an_archive_pull_request_is_opened_once_and_found_again_by_its_branch(github, store):
    assert store.find_archive(REPO, PATH, BRANCH) is None
    made = store.open_archive(REPO, BRANCH, PATH, "notes\n", "Archive", "Minutes", "body")
    found = store.find_archive(REPO, PATH, BRANCH)
    assert (found.number, found.state, found.content, found.url) == (made.number, "open", "notes\n", made.url)
    with pytest.raises(Conflict):  # a second one for the same branch: another run was first
        store.open_archive(REPO, BRANCH, PATH, "notes\n", "Archive", "Minutes", "body")
    assert len(github.pulls(REPO)) == 1


def test_a_branch_left_by_a_run_that_died_is_used_again(github, store):
    github.add_branch(REPO, BRANCH)
    github.put_file(REPO, PATH, "half\n", branch=BRANCH)
    store.open_archive(REPO, BRANCH, PATH, "whole\n", "Archive", "Minutes", "body")
    assert github.file(REPO, PATH, BRANCH) == "whole\n" and len(github.pulls(REPO)) == 1


def test_a_pull_request_by_someone_else_is_not_the_bots(github, store):
    github.add_branch(REPO, BRANCH)
    github.put_file(REPO, PATH, "theirs\n", branch=BRANCH)
    mallory = "ghp_mallory00000000000000000000000000000"
    github.add_token(mallory, login="mallory")
    client(github, mallory).get_repo(REPO).create_pull(base="main", head=BRANCH, title="theirs")
    assert store.find_archive(REPO, PATH, BRANCH) is None  # someone else's pull request from the bot's branch
    github.close_pull(REPO, 1)
    client(github).get_repo(REPO).create_pull(base="main", head=BRANCH, title="mine")
    merged = store.find_archive(REPO, PATH, BRANCH)
    github.merge_pull(REPO, merged.number)
    assert store.find_archive(REPO, PATH, BRANCH).state == "merged"


def test_an_empty_repository_cannot_take_a_pull_request(github):
    github.add_repo("acme/empty")
    with pytest.raises(ServiceError, match="no commit yet"):
        GitHubAfter(Clients.single(client(github)), Calls(url=github.url)).open_archive("acme/empty", BRANCH, PATH, "x", "m", "t", "b")
    assert EMPTY_REPOSITORY.startswith("{repo}")


def test_the_commit_variant_and_its_file(github, store):
    made = store.commit_archive(REPO, PATH, "notes\n", "Archive")
    assert github.file(REPO, PATH) == "notes\n" and made.state == "committed"
    assert store.find_archive(REPO, PATH, None).content == "notes\n"
    with pytest.raises(Conflict):
        store.commit_archive(REPO, PATH, "other\n", "Archive")


def test_close_comments_once_by_the_bots_identity_and_keeps_the_oldest(github, store):
    number = github.add_issue(REPO, "WG", user="meeting-bot", body="b")
    github.add_comment(REPO, number, "forged " + MARKER, user="mallory")  # not the bot's: does not count
    store.close_meeting(REPO, number, "over " + MARKER, MARKER, "completed")
    store.close_meeting(REPO, number, "over again " + MARKER, MARKER, "completed")
    bodies = [c["body"] for c in github.comments(REPO, number)]
    assert bodies == ["forged " + MARKER, "over " + MARKER]
    issue = github.get_issue(REPO, number)
    assert (issue["state"], issue["state_reason"]) == ("closed", "completed")


def test_two_comments_at_once_end_as_one(github, store):
    number = github.add_issue(REPO, "WG", user="meeting-bot", body="b")
    github.add_comment(REPO, number, "first " + MARKER, user="meeting-bot")
    github.add_comment(REPO, number, "second " + MARKER, user="meeting-bot")
    issue = client(github).get_repo(REPO).get_issue(number)
    for younger in GitHubAfter._ours(issue, MARKER, "Meeting-Bot")[1:]:  # logins compare without case
        younger.delete()
    assert [c["body"] for c in github.comments(REPO, number)] == ["first " + MARKER]


def test_steps_are_added_to_the_status_line_keeping_other_edits(github, store):
    number = github.add_issue(REPO, "WG", user="meeting-bot", body="text\r\n")
    store.record_steps(REPO, number, frozenset({"labels"}))
    store.record_steps(REPO, number, frozenset({"archived"}))
    body = github.get_issue(REPO, number)["body"]
    assert body == "text\r\n<!-- meeting-bot:after=archived,labels -->\n"
    github.reset_log()
    store.record_steps(REPO, number, frozenset({"labels"}))
    assert github.writes() == []


def test_a_label_is_removed_a_missing_one_is_fine_and_a_refusal_is_forbidden(github, store):
    github.add_repo("acme/lib")
    number = github.add_issue("acme/lib", "Topic", labels=["agenda"])
    store.remove_label("acme/lib", number, "agenda")
    store.remove_label("acme/lib", number, "agenda")  # gone already: fine
    assert github.get_issue("acme/lib", number)["labels"] == []
    github.label("acme/lib", number, "agenda")
    limited = "ghp_limited000000000000000000000000000000"
    github.add_token(limited, login="meeting-bot", repos=[REPO])
    with pytest.raises(Forbidden):
        GitHubAfter(Clients.single(client(github, limited)), Calls(url=github.url)).remove_label("acme/lib", number, "agenda")


def test_the_listing_scans_the_meetings_recent_issues_and_skips_pull_requests(github, store):
    now = dt.datetime.now(dt.timezone.utc)
    github.add_issue(REPO, "old", user="meeting-bot", body=markers.make_key("wg/2024-01-01"),
                     created_at=now - dt.timedelta(days=30))
    github.add_issue(REPO, "new", user="meeting-bot", body=markers.make_key("wg/2024-03-18"))
    github.add_issue(REPO, "pr", user="meeting-bot", body=markers.make_key("wg/2024-03-11"), pull_request=True)
    issues = GitHubIssues(Clients.single(client(github)))
    found = issues.find(REPO, ("wg/2024-03-11",), now - dt.timedelta(days=400), scan=("wg/", now - dt.timedelta(days=8)))
    assert set(found) == {"wg/2024-03-11", "wg/2024-03-18"} and found["wg/2024-03-11"] == ()
