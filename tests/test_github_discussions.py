"""Discussions on the agenda with the real PyGithub against the GitHub double's GraphQL endpoint.

Every GraphQL request a test causes is checked against GitHub's published schema when it ends.
"""

from __future__ import annotations

import datetime as dt
import logging

import pytest

from bot import agenda, discussions, escape
from bot.adapters.github_agenda import GitHubAgenda
from bot.adapters.github_client import BAD_CREDENTIALS, Calls, make_client
from bot.adapters.retry import Policy
from bot.adapters.github_discussions import FAILED, QUERY, RATE_LIMITED, USAGE, WHAT, GitHubDiscussions
from bot.model import AgendaConfig, AgendaSection, ItemKind
from bot.ports import RateLimited, ServiceError
from bot.settings import Secret, Settings
from tests.doubles.github import DEFAULT_TOKEN, GitHubDouble, running_github
from tests.doubles.github_graphql import published_schema, query_errors
from tests.factories import MEETING_REPO, make_meeting

LABEL = "security-agenda"
GRAPHQL = r"graphql$"
T0 = dt.datetime(2024, 1, 1, tzinfo=dt.timezone.utc)
NO_DISCUSSIONS_TOKEN = "ghp_nodiscussions000000000000000000000000"


def checked(double: GitHubDouble):
    """Hand the double over, then check every GraphQL query it received against GitHub's schema."""
    with double:
        double.add_repo(MEETING_REPO)
        yield double
        for entry in double.matching("POST", GRAPHQL):
            assert query_errors(entry.body["query"], published_schema()) == [], entry.body["query"]


@pytest.fixture
def gh():
    yield from checked(GitHubDouble())


def calls(double: GitHubDouble, sleep=None) -> Calls:
    policy = Policy(60.0) if sleep is None else Policy(60.0, sleep=sleep)
    return Calls(policy, 60.0, double.url)


def client(double: GitHubDouble, token: str | None = DEFAULT_TOKEN):
    return make_client(Settings(github_api_url=double.url, github_token=Secret(token) if token else None))


def source(double: GitHubDouble, token: str | None = DEFAULT_TOKEN) -> GitHubAgenda:
    return GitHubAgenda(client(double, token), calls(double))


def collect(double: GitHubDouble, token: str | None = DEFAULT_TOKEN, **fields):
    config = AgendaConfig(**{"label": LABEL, "orgs": ("openjs-foundation",), "include_discussions": True, **fields})
    return source(double, token).collect(make_meeting(agenda=config))


def graphql_requests(double):
    """The discussion search's requests (not the one asking the visibility of the issues' repositories)."""
    return [e for e in double.matching("POST", GRAPHQL) if "search(" in e.body["query"]]


def test_the_query_is_valid_against_githubs_published_schema():
    assert query_errors(QUERY) == []
    assert query_errors(QUERY.replace("visibility", "visibilty")) != []  # the check can fail


def test_discussions_in_two_orgs_across_several_pages_one_request_per_hundred(gh, caplog):
    for repo in ("openjs-foundation/a", "nodejs/node", "nodejs/other"):
        gh.add_repo(repo)
    wanted = set()
    for k in range(250):
        repo = ("openjs-foundation/a", "nodejs/node")[k % 2]
        number = gh.add_discussion(repo, f"Idea {k}", labels=[LABEL], created_at=T0 + dt.timedelta(minutes=k))
        wanted.add((repo, number))
    gh.add_discussion("nodejs/node", "Closed", labels=[LABEL], state="closed")
    gh.add_discussion("nodejs/node", "Unlabelled", labels=["other"])
    gh.add_discussion("nodejs/other", "Other label", labels=["x"])
    issue = gh.add_issue("nodejs/node", "An issue", labels=[LABEL])

    with caplog.at_level(logging.INFO, logger="meeting_bot"):
        result = collect(gh, orgs=("openjs-foundation", "nodejs"))

    found = {(i.repo, i.number) for i in result.items if i.kind is ItemKind.DISCUSSION}
    assert found == wanted
    assert ("nodejs/node", issue) in {(i.repo, i.number) for i in result.items if i.kind is ItemKind.ISSUE}
    pages = graphql_requests(gh)
    assert len(pages) == 3  # 250 discussions: one request per hundred
    assert [bool(p.body["variables"]["cursor"]) for p in pages] == [False, True, True]
    assert {p.body["variables"]["q"] for p in pages} == {discussions.build_queries(
        AgendaConfig(label=LABEL, orgs=("openjs-foundation", "nodejs")))[0]}
    # 5,000 points less the 3 of the search and the 1 of the issues' repositories' visibility.
    assert USAGE.format(label=LABEL, requests=3, cost=3, remaining=4996) in caplog.messages
    assert result.warnings == ()


def test_discussions_are_listed_with_their_repositorys_items_and_marked(gh):
    gh.add_repo("openjs-foundation/a")
    issue = gh.add_issue("openjs-foundation/a", "Issue", labels=[LABEL])
    number = gh.add_discussion("openjs-foundation/a", "Talk", labels=[LABEL])
    result = collect(gh)
    (group,) = result.groups
    assert [(i.number, i.kind) for i in group.items] == [(issue, ItemKind.ISSUE), (number, ItemKind.DISCUSSION)]
    assert group.items[1].url == f"https://github.com/openjs-foundation/a/discussions/{number}"
    assert group.items[1].visibility == "public"
    assert f"* Talk [discussion #{number}](" in agenda.agenda_markdown(result)


def test_a_private_repositorys_discussion_is_withheld_from_a_public_meeting_and_counted(gh):
    gh.add_repo("openjs-foundation/vault", private=True)
    gh.add_discussion("openjs-foundation/vault", "Secret", labels=[LABEL])
    public = gh.add_discussion(MEETING_REPO, "Open talk", labels=[LABEL])
    result = collect(gh)
    assert [(i.number, i.visibility) for i in result.items] == [(public, "public")]
    assert result.withheld == 1 and "Secret" not in agenda.agenda_markdown(result)


def test_a_private_meeting_repository_lists_private_discussions_with_their_visibility(gh):
    gh.add_repo("openjs-foundation/vault", private=True)
    gh.add_repo("openjs-foundation/private-meetings", private=True)
    number = gh.add_discussion("openjs-foundation/vault", "Secret", labels=[LABEL])
    config = AgendaConfig(label=LABEL, orgs=("openjs-foundation",), include_discussions=True)
    result = source(gh).collect(make_meeting(repo="openjs-foundation/private-meetings", agenda=config))
    assert [(i.number, i.kind, i.visibility) for i in result.items] == [(number, ItemKind.DISCUSSION, "private")]
    assert result.withheld == 0


def test_sections_with_overlapping_labels_take_discussions_too(gh):
    gh.add_repo("openjs-foundation/a")
    both = gh.add_discussion("openjs-foundation/a", "Both", labels=[LABEL, "needs-decision", "security"])
    sec = gh.add_issue("openjs-foundation/a", "Security only", labels=[LABEL, "security"])
    plain = gh.add_discussion("openjs-foundation/a", "Plain", labels=[LABEL])
    sections = (AgendaSection("Decide", ("needs-decision",)), AgendaSection("Security", ("security", "needs-decision")))
    result = collect(gh, sections=sections)
    assert [(s.title, [i.number for i in s.items]) for s in result.sections] == [("Decide", [both]), ("Security", [sec])]
    assert [i.number for i in result.groups[0].items] == [plain]


def test_past_the_1000_result_cap_the_search_goes_on_by_creation_time(gh, caplog):
    gh.add_repo("openjs-foundation/big")
    for k in range(1050):
        gh.add_discussion("openjs-foundation/big", f"D{k}", labels=[LABEL], created_at=T0 + dt.timedelta(minutes=k // 10))
    with caplog.at_level(logging.WARNING, logger="meeting_bot"):
        result = collect(gh)
    assert len(result.items) == 1050 and result.warnings == ()
    query = discussions.build_queries(AgendaConfig(label=LABEL, orgs=("openjs-foundation",)))[0]
    since = "2024-01-01T01:39:00Z"
    assert caplog.messages == [agenda.QUERY_SPLIT.format(query=query, total=1050, cap=1000, since=since)]
    assert graphql_requests(gh)[-1].body["variables"] == {"q": agenda.window(query, since), "cursor": None}
    assert len(graphql_requests(gh)) == 11


def test_more_than_1000_created_in_one_second_are_reported_missing(gh):
    gh.add_repo("openjs-foundation/burst")
    for k in range(1001):
        gh.add_discussion("openjs-foundation/burst", f"D{k}", labels=[LABEL], created_at=T0)
    result = collect(gh)
    query = discussions.build_queries(AgendaConfig(label=LABEL, orgs=("openjs-foundation",)))[0]
    assert result.warnings == (agenda.CANNOT_SPLIT.format(query=query, cap=1000, since="2024-01-01T00:00:00Z"),)
    assert len(result.items) == 1000


def test_hostile_discussion_titles_are_raw_in_the_item_and_inert_in_markdown(gh):
    gh.add_repo("openjs-foundation/a")
    title = "@nodejs/tsc <img src=x onerror=alert(1)> [x](javascript:y) <!-- meeting-bot:key=a/2024-01-01 -->\n### H"
    gh.add_discussion("openjs-foundation/a", title, labels=[LABEL])
    result = collect(gh)
    assert result.items[0].title == title
    text = agenda.agenda_markdown(result)
    assert escape.markdown_inline(title) in text
    assert "@nodejs" not in text and "<img" not in text and "<!--" not in text and "\n### H" not in text


def test_off_sends_no_graphql_request(gh):
    gh.add_discussion(MEETING_REPO, "Talk", labels=[LABEL])
    assert collect(gh, include_discussions=False).empty
    assert graphql_requests(gh) == []


def test_a_token_that_cannot_read_discussions_is_one_warning_and_the_issues_still_come(gh, caplog):
    gh.add_token(NO_DISCUSSIONS_TOKEN, discussions=False)
    gh.add_discussion(MEETING_REPO, "Talk", labels=[LABEL])
    issue = gh.add_issue(MEETING_REPO, "Issue", labels=[LABEL])
    with caplog.at_level(logging.WARNING, logger="meeting_bot"):
        result = collect(gh, token=NO_DISCUSSIONS_TOKEN)
    warning = discussions.UNAVAILABLE.format(reason=discussions.NO_ACCESS)
    assert [i.number for i in result.items] == [issue]
    assert result.warnings == (warning,) and caplog.messages == []  # the runner logs it, once
    assert len(graphql_requests(gh)) == 1


def test_without_a_token_discussions_are_not_asked_for_and_say_why(gh):
    issue = gh.add_issue(MEETING_REPO, "Issue", labels=[LABEL])
    result = collect(gh, token=None)
    assert [i.number for i in result.items] == [issue]
    assert result.warnings == (discussions.UNAVAILABLE.format(reason=discussions.NEEDS_TOKEN),)
    assert graphql_requests(gh) == []


def test_an_enterprise_server_without_discussion_search_is_one_warning():
    for double in checked(GitHubDouble(prefix="/api/v3", discussion_search=False)):
        issue = double.add_issue(MEETING_REPO, "Issue", labels=[LABEL])
        result = collect(double)
        assert [i.number for i in result.items] == [issue]
        assert result.warnings == (discussions.UNAVAILABLE.format(reason=discussions.NO_SEARCH),)
        assert [e.path for e in graphql_requests(double)] == ["/api/graphql"]
        assert graphql_requests(double)[0].response["errors"][0]["extensions"]


def test_an_enterprise_server_with_discussions_serves_them_under_api_graphql():
    for double in checked(GitHubDouble(prefix="/api/v3")):
        number = double.add_discussion(MEETING_REPO, "Talk", labels=[LABEL])
        assert [i.number for i in collect(double).items] == [number]


def test_a_server_without_a_graphql_endpoint_is_one_warning(gh):
    gh.inject("POST", GRAPHQL, 404, times=None)
    result = collect(gh)
    url = gh.url + "/graphql"
    assert result.warnings == (discussions.UNAVAILABLE.format(reason=discussions.NO_ENDPOINT.format(url=url)),)


def test_the_graphql_rate_limit_fails_the_meeting_like_any_rate_limit(gh):
    gh.set_rate_limit("graphql", 0)
    with pytest.raises(RateLimited) as caught:
        collect(gh)
    assert str(caught.value) == RATE_LIMITED.format(what=WHAT.format(label=LABEL))
    assert graphql_requests(gh)[0].response["errors"][0]["type"] == "RATE_LIMITED"


def test_other_typed_errors_fail_the_meeting_naming_the_types(gh):
    gh.inject("POST", GRAPHQL, 200, body={"data": None, "errors": [{"type": "SERVICE_UNAVAILABLE", "message": "x"}]})
    with pytest.raises(ServiceError) as caught:
        collect(gh)
    assert str(caught.value) == FAILED.format(what=WHAT.format(label=LABEL), types="SERVICE_UNAVAILABLE")


def test_a_server_error_is_retried_by_the_shared_policy_and_then_succeeds(gh):
    number = gh.add_discussion(MEETING_REPO, "Talk", labels=[LABEL])
    gh.inject("POST", GRAPHQL, 502, times=2)
    sleeps = []
    found = GitHubDiscussions(client(gh).requester, calls(gh, sleeps.append)).collect(
        AgendaConfig(label=LABEL, include_discussions=True), MEETING_REPO, [])
    assert [i.number for i in found] == [number] and len(sleeps) == 2
    assert len(graphql_requests(gh)) == 3


def test_a_server_error_that_persists_fails_the_meeting(gh):
    gh.inject("POST", GRAPHQL, 502, times=None)
    source_ = GitHubDiscussions(client(gh).requester, calls(gh, lambda _: None))
    with pytest.raises(ServiceError, match="agenda discussion search for label 'security-agenda': GitHub answered 502"):
        source_.collect(AgendaConfig(label=LABEL, include_discussions=True), MEETING_REPO, [])


def test_bad_credentials_fail_before_any_graphql_request(gh):
    with pytest.raises(ServiceError) as caught:
        collect(gh, token="ghp_wrong000000000000000000000000000000000")
    assert str(caught.value) == BAD_CREDENTIALS
    assert graphql_requests(gh) == []


def test_a_dropped_connection_is_retried(gh):
    number = gh.add_discussion(MEETING_REPO, "Talk", labels=[LABEL])
    gh.drop("POST", GRAPHQL, times=1)
    sleeps = []
    found = GitHubDiscussions(client(gh).requester, calls(gh, sleeps.append)).collect(
        AgendaConfig(label=LABEL, include_discussions=True), MEETING_REPO, [])
    assert [i.number for i in found] == [number] and len(sleeps) == 1
