"""The visibility of an agenda's repositories: one GraphQL request for many, against the GitHub double
(whose GraphQL endpoint validates every query against GitHub's published schema)."""

from __future__ import annotations

import pytest

from bot.adapters.github_client import Calls, make_client
from bot.adapters.github_visibility import BATCH, Visibility, query_for
from bot.adapters.retry import Policy
from bot.settings import Secret, Settings
from tests.doubles.github import DEFAULT_TOKEN, running_github
from tests.doubles.github_graphql import query_errors

GRAPHQL = r"^/graphql$"


@pytest.fixture
def gh():
    with running_github() as double:
        double.add_repo("acme/open")
        double.add_repo("acme/embargo", private=True)
        yield double


def lookup(double, token: str = DEFAULT_TOKEN) -> Visibility:
    settings = Settings(github_api_url=double.url, github_token=Secret(token))
    return Visibility(make_client(settings).requester, Calls(Policy(5.0), 5.0, double.url))


def test_the_query_is_valid_against_githubs_schema_and_takes_names_as_variables():
    query, variables = query_for(["acme/open", 'evil") { x } #/name'])
    assert query_errors(query) == []
    assert variables == {"o0": "acme", "n0": "open", "o1": 'evil") { x } #', "n1": "name"}
    assert "evil" not in query


def test_many_repositories_are_answered_by_one_request_once_per_process(gh):
    found = lookup(gh).of(["acme/open", "ACME/Embargo"])
    assert found == {"acme/open": "public", "acme/embargo": "private"}
    assert lookup(gh).of(["acme/open"]) == {"acme/open": "public"}  # known: no second request
    assert [e.path for e in gh.requests] == ["/graphql"]


def test_a_repository_github_cannot_resolve_counts_as_private_and_the_others_are_still_answered(gh):
    gh.add_token("ghp_public_only", repos=["acme/open"])
    found = lookup(gh, "ghp_public_only").of(["acme/open", "acme/embargo", "acme/gone"])
    assert found == {"acme/open": "public", "acme/embargo": None, "acme/gone": None}
    assert [e.path for e in gh.requests] == ["/graphql"]


def test_more_than_a_batch_takes_one_request_per_batch(gh):
    repos = [f"acme/r{n}" for n in range(BATCH + 1)]
    for repo in repos:
        gh.add_repo(repo)
    found = lookup(gh).of(repos)
    assert set(found.values()) == {"public"} and len(found) == BATCH + 1
    assert gh.count("POST", GRAPHQL) == 2


@pytest.mark.parametrize("status, body", [
    (404, {"message": "Not Found", "documentation_url": "https://docs.github.com/graphql"}),  # no GraphQL here
    (200, {"errors": [{"type": "RATE_LIMITED", "message": "API rate limit exceeded"}]}),  # its own limit
])
def test_when_graphql_cannot_answer_each_repository_is_read_over_rest(gh, status, body):
    gh.inject("POST", GRAPHQL, status, body=body)
    found = lookup(gh).of(["acme/open", "acme/embargo"])
    assert found == {"acme/open": "public", "acme/embargo": "private"}
    assert sorted(e.path for e in gh.requests if e.method == "GET") == ["/repos/acme/embargo", "/repos/acme/open"]


def test_without_credentials_each_repository_is_read_over_rest_and_graphql_is_not_asked(gh):
    settings = Settings(github_api_url=gh.url)  # a preview without GITHUB_TOKEN
    anonymous = Visibility(make_client(settings).requester, Calls(Policy(5.0), 5.0, gh.url))
    assert anonymous.of(["acme/open"]) == {"acme/open": "public"}
    assert [(e.method, e.path) for e in gh.requests] == [("GET", "/repos/acme/open")]
