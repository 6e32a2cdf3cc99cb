"""The GitHub double's GraphQL endpoint over HTTP: schema checks, discussion search, cursors, cap, cost, errors."""

from __future__ import annotations

import datetime as dt

import pytest
import requests

from tests.doubles.github import DEFAULT_TOKEN, GitHubDouble, running_github
from tests.doubles.github_graphql import AUTH_REQUIRED, SEARCH_CAP, cursor, query_cost, query_errors
import graphql

REPO = "wg/meetings"
T0 = dt.datetime(2024, 1, 1, tzinfo=dt.timezone.utc)
SEARCH = """query($q: String!, $first: Int, $cursor: String) {
  search(type: DISCUSSION, query: $q, first: $first, after: $cursor) {
    discussionCount
    pageInfo { hasNextPage endCursor }
    nodes { ... on Discussion { number title closed repository { nameWithOwner isPrivate } } }
  }
  rateLimit { cost remaining used limit }
}"""


@pytest.fixture
def gh():
    with running_github() as double:
        double.add_repo(REPO)
        yield double


def post(double: GitHubDouble, query: str, token: str | None = DEFAULT_TOKEN, **variables):
    headers = {"Authorization": f"token {token}"} if token else {}
    answer = requests.post(double.origin + double.graphql_path, json={"query": query, "variables": variables},
                           headers=headers, timeout=10)
    return answer


def search(double, q, first=100, after=None, token=DEFAULT_TOKEN):
    answer = post(double, SEARCH, token, q=q, first=first, cursor=after)
    assert answer.status_code == 200
    return answer.json()


def test_search_filters_by_state_label_and_scope_and_pages_with_cursors(gh):
    gh.add_repo("other/x")
    wanted = [gh.add_discussion(REPO, f"D{k}", labels=["agenda"], created_at=T0 + dt.timedelta(hours=k)) for k in range(5)]
    gh.add_discussion(REPO, "Closed", labels=["agenda"], state="closed")
    gh.add_discussion(REPO, "Unlabelled")
    gh.add_discussion("other/x", "Elsewhere", labels=["agenda"])
    gh.add_issue(REPO, "An issue", labels=["agenda"])
    q = 'is:open label:"agenda" sort:created-asc repo:wg/meetings'

    first = search(gh, q, first=3)["data"]["search"]
    second = search(gh, q, first=3, after=first["pageInfo"]["endCursor"])["data"]["search"]

    assert first["discussionCount"] == second["discussionCount"] == 5
    assert [n["number"] for n in first["nodes"] + second["nodes"]] == wanted
    assert (first["pageInfo"]["hasNextPage"], second["pageInfo"]["hasNextPage"]) == (True, False)
    newest_first = search(gh, 'is:open label:"agenda" repo:wg/meetings')["data"]["search"]["nodes"]
    assert [n["number"] for n in newest_first] == wanted[::-1]


def test_numbers_are_shared_with_issues(gh):
    assert [gh.add_issue(REPO, "i"), gh.add_discussion(REPO, "d"), gh.add_issue(REPO, "j")] == [1, 2, 3]


def test_only_the_first_1000_results_are_reachable_but_the_count_is_whole(gh):
    for k in range(SEARCH_CAP + 5):
        gh.add_discussion(REPO, f"D{k}", labels=["agenda"])
    q = "label:agenda sort:created-asc"
    page = search(gh, q, after=cursor(SEARCH_CAP - 101))["data"]["search"]
    assert page["discussionCount"] == SEARCH_CAP + 5
    assert len(page["nodes"]) == 100 and page["pageInfo"]["hasNextPage"] is False
    assert search(gh, q, after=cursor(SEARCH_CAP - 1))["data"]["search"]["nodes"] == []


def test_private_repositories_need_a_token_that_covers_them(gh):
    gh.add_repo("wg/private", private=True)
    gh.add_discussion("wg/private", "Hidden", labels=["agenda"])
    gh.add_token("ghp_other", repos=[REPO])
    assert search(gh, "label:agenda")["data"]["search"]["nodes"][0]["repository"]["isPrivate"] is True
    assert search(gh, "label:agenda", token="ghp_other")["data"]["search"]["discussionCount"] == 0


def test_cost_is_spent_from_the_graphql_bucket_and_shown_in_headers(gh):
    answer = post(gh, SEARCH, q="label:agenda", first=100, cursor=None)
    assert answer.json()["data"]["rateLimit"] == {"cost": 1, "remaining": 4999, "used": 1, "limit": 5000}
    assert (answer.headers["X-RateLimit-Resource"], answer.headers["X-RateLimit-Remaining"]) == ("graphql", "4999")
    assert gh.remaining("core") == 5000


def test_cost_follows_githubs_formula():
    def cost(text, **variables):
        return query_cost(graphql.parse(text), variables)

    assert cost("{ viewer { login } }") == (1, 0)
    nested = "{ viewer { repositories(first: 50) { nodes { issues(first: 10) { nodes { title } } } } } }"
    assert cost(nested) == (1, 550)  # GitHub's own example: 51 requests, 550 nodes
    heavy = "query($n: Int) { search(type: ISSUE, query: \"x\", first: $n) { nodes { ... on Issue { labels(first: 100) { totalCount } } } } }"
    assert cost(heavy, n=100) == (1, 10100) and cost(heavy, n=100)[0] == round(101 / 100)
    many = "{ a: search(type: ISSUE, query: \"x\", first: 100) { nodes { ... on Issue { labels(first: 100) { totalCount } comments(first: 100) { totalCount } } } } }"
    assert cost(many) == (2, 20100)


def test_an_empty_bucket_answers_rate_limited(gh):
    gh.set_rate_limit("graphql", 0)
    body = search(gh, "label:agenda")
    assert body["errors"][0]["type"] == "RATE_LIMITED" and "data" not in body


def test_a_token_without_discussion_access_gets_forbidden_errors(gh):
    gh.add_token("ghp_nodisc", discussions=False)
    gh.add_discussion(REPO, "D", labels=["agenda"])
    body = search(gh, "label:agenda", token="ghp_nodisc")
    assert body["data"]["search"]["nodes"] == [None]
    assert {e["type"] for e in body["errors"]} == {"FORBIDDEN"}
    assert body["errors"][0]["path"][:3] == ["search", "nodes", 0]


def test_anonymous_requests_are_refused(gh):
    answer = post(gh, SEARCH, token=None, q="x", first=1, cursor=None)
    assert answer.status_code == 401 and answer.json()["message"] == AUTH_REQUIRED


@pytest.mark.parametrize(
    "query, variables, expected",
    [
        ("{ nope }", {}, "extensions"),
        ("{ search(type: DISCUSSIONS, query: \"x\", first: 1) { discussionCount } }", {}, "extensions"),
        ("{ search(type: DISCUSSION, query: \"x\") { discussionCount } }", {}, "path"),
        ("{ search(type: DISCUSSION, query: \"x\", first: 101) { discussionCount } }", {}, "path"),
        ("{ search(type: DISCUSSION, query: \"x\", first: 1, after: \"bm9wZQ==\") { discussionCount } }", {}, "type"),
        ("query { search(", {}, "locations"),
    ],
)
def test_bad_queries_get_githubs_error_shapes(gh, query, variables, expected):
    answer = post(gh, query, **variables)
    assert answer.status_code == 200
    (error,) = answer.json()["errors"]
    assert expected in error and error["message"]


def test_query_errors_validates_against_the_published_schema():
    assert query_errors("{ rateLimit { cost remaining } }") == []
    assert query_errors("{ rateLimit { price } }")[0]["message"] == "Cannot query field 'price' on type 'RateLimit'."


def test_enterprise_server_serves_graphql_beside_its_rest_prefix():
    with running_github(prefix="/api/v3") as ghes:
        ghes.add_repo(REPO)
        ghes.add_discussion(REPO, "D", labels=["agenda"])
        assert ghes.graphql_path == "/api/graphql"
        assert search(ghes, "label:agenda")["data"]["search"]["discussionCount"] == 1
        without = GitHubDouble(discussion_search=False)
        with without:
            body = search(without, "label:agenda")
        assert "SearchType" in body["errors"][0]["message"] and "data" not in body
