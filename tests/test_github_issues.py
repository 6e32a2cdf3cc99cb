"""The issue store over the GitHub double: found by key through the listing, with as few pages as it can."""

from __future__ import annotations

import datetime as dt

import github
import pytest

from bot import markers
from bot.adapters.github_issues import GitHubIssues
from bot.adapters.installations import Clients
from tests.doubles.github import DEFAULT_TOKEN

REPO = "acme/meetings"
KEY = "wg/2024-03-11"
LISTING = rf"^/repos/{REPO}/issues$"
LONG_AGO = dt.datetime(2000, 1, 1, tzinfo=dt.timezone.utc)


@pytest.fixture
def store(github) -> GitHubIssues:
    github.add_repo(REPO)
    client = github_client(github)
    return GitHubIssues(Clients.single(client))


def github_client(double) -> github.Github:
    return github.Github(base_url=double.url, auth=github.Auth.Token(DEFAULT_TOKEN), retry=None, per_page=100)


def busy(double, count: int, days_ago: int = 30) -> None:
    """`count` ordinary issues, made `days_ago` days ago (the listing is newest first)."""
    when = dt.datetime.now(dt.timezone.utc) - dt.timedelta(days=days_ago)
    for n in range(count):
        double.add_issue(REPO, f"Some bug {n}", created_at=when + dt.timedelta(minutes=n))


def test_a_recent_meeting_issue_in_a_busy_repository_costs_one_page(github, store):
    busy(github, 350, days_ago=30)
    number = github.add_issue(REPO, "WG 2024-03-11", user="meeting-bot", body=markers.make_key(KEY))
    busy(github, 20, days_ago=0)
    found = store.find(REPO, (KEY,), LONG_AGO)
    assert [r.number for r in found[KEY]] == [number]
    assert github.count("GET", LISTING) == 1


def test_an_absent_key_reads_back_to_the_horizon(github, store):
    busy(github, 250)
    assert store.find(REPO, (KEY,), LONG_AGO) == {KEY: ()}
    assert github.count("GET", LISTING) == 3


def test_every_copy_of_a_key_is_found_oldest_first(github, store):
    first = github.add_issue(REPO, "WG", user="meeting-bot", body=markers.make_key(KEY))
    busy(github, 5)
    second = github.add_issue(REPO, "WG", user="meeting-bot", body="text\n" + markers.make_key(KEY))
    found = store.find(REPO, (KEY, "wg/2024-03-04"), LONG_AGO)
    assert [r.number for r in found[KEY]] == [first, second] and found["wg/2024-03-04"] == ()


def test_access_reports_push_and_triage(github, store):
    access = store.access(REPO)
    assert access is not None and access.push and access.triage


def test_an_outsiders_newer_copy_of_the_key_neither_counts_nor_stops_the_listing(github, store):
    when = dt.datetime.now(dt.timezone.utc) - dt.timedelta(days=30)
    own = github.add_issue(REPO, "WG 2024-03-11", user="meeting-bot", body=markers.make_key(KEY), created_at=when)
    busy(github, 250, days_ago=10)
    github.add_member("acme", "mallory")
    github.add_issue(REPO, "copy", user="mallory", body=markers.make_key(KEY))
    found = store.find(REPO, (KEY,), LONG_AGO)
    assert [(r.number, r.trusted) for r in found[KEY]] == [(own, True)]


def test_the_closing_comment_of_someone_else_does_not_count_as_the_bots(github, store):
    number = github.add_issue(REPO, "WG", user="meeting-bot", body=markers.make_key(KEY))
    github.add_comment(REPO, number, "Closing as a duplicate", user="mallory")
    store.close(REPO, number, "Closing as a duplicate")
    assert [c["user"]["login"] for c in github.comments(REPO, number)] == ["mallory", "meeting-bot"]
    assert github.get_issue(REPO, number)["state"] == "closed"
