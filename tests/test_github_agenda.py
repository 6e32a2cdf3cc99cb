"""The agenda source with the real PyGithub against the GitHub double: what it finds, what it asks."""

from __future__ import annotations

import datetime as dt
import logging
import math

import pytest

from bot import agenda, escape, markers
from bot.adapters.github_agenda import QUERY_REFUSED, SCOPE_NOT_FOUND, SEARCH_WHAT, GitHubAgenda
from bot.adapters.github_client import RATE_LIMITED, Calls, make_client
from bot.adapters.retry import Policy
from bot.model import AgendaConfig
from bot.ports import NotFound, RateLimited, ServiceError
from bot.settings import Secret, Settings
from tests.doubles import openapi_check
from tests.doubles.github import DEFAULT_TOKEN, GitHubDouble, running_github
from tests.factories import MEETING_REPO, make_meeting

LABEL = "security-agenda"
SEARCH = r"^/search/issues$"
T0 = dt.datetime(2024, 1, 1, tzinfo=dt.timezone.utc)


@pytest.fixture
def gh():
    with running_github() as double:
        double.add_repo(MEETING_REPO)
        yield double


def source(double: GitHubDouble, *, wait: float = 60.0, token: str = DEFAULT_TOKEN) -> GitHubAgenda:
    settings = Settings(github_api_url=double.url, github_token=Secret(token), max_rate_limit_wait=wait)
    return GitHubAgenda(make_client(settings), Calls(Policy(settings.max_rate_limit_wait), settings.max_rate_limit_wait, double.url))


def collect(double: GitHubDouble, **agenda_fields):
    config = AgendaConfig(**{"label": LABEL, "orgs": ("openjs-foundation",), **agenda_fields})
    return source(double).collect(make_meeting(agenda=config))


def numbers(result):
    return {(item.repo, item.number) for item in result.items}


def search_requests(double):
    """The searches, in the order they were made."""
    return double.matching("GET", SEARCH)


def assert_only_searches(double, expected: int, repos: tuple[str, ...] = ()):
    """`expected` searches, each a page of 100; no per-item completion, no listing, no count. Besides
    them, for the public meeting repository: its visibility (`GET /repos/...`, once per process), then
    that of every other repository with items, all in one GraphQL request."""
    searches = search_requests(double)
    assert len(searches) == expected and all(e.query["per_page"] == "100" for e in searches)
    others = [e for e in double.requests if e.path != "/search/issues"]
    assert [e.path for e in others] == [f"/repos/{MEETING_REPO}"] + (["/graphql"] if repos else [])
    if repos:
        assert sorted(asked_visibility(others[-1])) == sorted(repos)


def asked_visibility(exchange) -> list[str]:
    """The repositories whose visibility one GraphQL request asked (its variables: o0/n0, o1/n1, ...)."""
    variables = exchange.body["variables"]
    return [f"{variables[f'o{n}']}/{variables[f'n{n}']}" for n in range(len(variables) // 2)]


def test_orgs_and_extra_repos_issues_and_pull_requests_in_one_request(gh):
    for repo in ("nodejs/node", "nodejs/undici", "expressjs/express", "expressjs/other", "elsewhere/x"):
        gh.add_repo(repo)
    wanted = {
        (MEETING_REPO, gh.add_issue(MEETING_REPO, "Audits", labels=[LABEL], user="joe")),
        ("nodejs/node", gh.add_issue("nodejs/node", "A PR", labels=[LABEL, "semver-major"], pull_request=True)),
        ("nodejs/undici", gh.add_issue("nodejs/undici", "Fetch", labels=[LABEL])),
        ("expressjs/express", gh.add_issue("expressjs/express", "Router", labels=[LABEL])),
    }
    gh.add_issue(MEETING_REPO, "Closed", labels=[LABEL], state="closed")
    gh.add_issue("nodejs/node", "Merged", labels=[LABEL], pull_request=True, merged=True)
    gh.add_issue("nodejs/node", "Unlabelled")
    gh.add_issue("expressjs/other", "Repo not listed", labels=[LABEL])
    gh.add_issue("elsewhere/x", "Org not listed", labels=[LABEL])

    result = collect(gh, orgs=("openjs-foundation", "nodejs"), repos=("expressjs/express",))

    assert numbers(result) == wanted
    assert [g.repo for g in result.groups] == [MEETING_REPO, "expressjs/express", "nodejs/node", "nodejs/undici"]
    assert_only_searches(gh, 1, repos=("nodejs/node", "nodejs/undici", "expressjs/express"))
    (request,) = search_requests(gh)
    assert request.query["q"] == agenda.build_queries(result_config(result), MEETING_REPO)[0]
    assert request.query["per_page"] == "100"


def result_config(result):
    return AgendaConfig(label=result.label, orgs=result.orgs, repos=result.repos)


def test_items_carry_every_field_from_the_hit(gh):
    gh.add_repo("nodejs/node")
    when = dt.datetime(2024, 3, 4, 5, 6, 7, tzinfo=dt.timezone.utc)
    number = gh.add_issue("nodejs/node", "A PR", labels=[LABEL, "bug"], pull_request=True, user="carol", created_at=when)

    (item,) = collect(gh, orgs=("nodejs",)).items

    assert (item.repo, item.number, item.title) == ("nodejs/node", number, "A PR")
    assert item.url == f"https://github.com/nodejs/node/pull/{number}"
    assert (item.is_pull_request, item.labels, item.author, item.updated_at) == (True, (LABEL, "bug"), "carol", when)
    assert not collect(gh, orgs=("nodejs",), include_pull_requests=False).items


def test_250_items_over_5_repositories_in_three_pages(gh):
    repos = [f"openjs-foundation/repo-{n}" for n in range(5)]
    for index, repo in enumerate(repos):
        gh.add_repo(repo)
        for k in range(50):
            gh.add_issue(repo, f"Item {k}", labels=[LABEL], created_at=T0 + dt.timedelta(minutes=k * 5 + index))

    result = collect(gh)

    assert len(result.items) == 250
    assert [len(g.items) for g in result.groups] == [50] * 5
    assert [i.number for i in result.groups[0].items] == list(range(1, 51))
    assert_only_searches(gh, math.ceil(250 / 100), repos=tuple(repos))
    assert [e.query["page"] for e in search_requests(gh)] == ["1", "2", "3"]


def test_more_than_1000_results_are_continued_by_creation_time_without_loss(gh, caplog):
    gh.add_repo("openjs-foundation/big")
    for k in range(1050):
        # Ten items share each minute, so the cut falls among items created at the same second.
        gh.add_issue("openjs-foundation/big", f"Item {k}", labels=[LABEL], created_at=T0 + dt.timedelta(minutes=k // 10))

    with caplog.at_level(logging.WARNING, logger="meeting_bot"):
        result = collect(gh)

    assert [i.number for i in result.items] == list(range(1, 1051))
    assert result.warnings == ()
    query = agenda.build_queries(AgendaConfig(label=LABEL, orgs=("openjs-foundation",)))[0]
    since = "2024-01-01T01:39:00Z"  # the 1,000th item's creation time
    split = agenda.QUERY_SPLIT.format(query=query, total=1050, cap=1000, since=since)
    assert caplog.messages == [split]
    assert [(e.query["q"], e.query["page"]) for e in search_requests(gh)][-2:] == [
        (query, "10"),
        (agenda.window(query, since), "1"),
    ]
    assert_only_searches(gh, math.ceil(1050 / 100), repos=("openjs-foundation/big",))


def test_more_than_1000_items_created_in_one_second_are_reported_missing(gh, caplog):
    gh.add_repo("openjs-foundation/burst")
    for k in range(1001):
        gh.add_issue("openjs-foundation/burst", f"Item {k}", labels=[LABEL], created_at=T0)

    with caplog.at_level(logging.WARNING, logger="meeting_bot"):
        result = collect(gh)

    query = agenda.build_queries(AgendaConfig(label=LABEL, orgs=("openjs-foundation",)))[0]
    missing = agenda.CANNOT_SPLIT.format(query=query, cap=1000, since="2024-01-01T00:00:00Z")
    assert result.warnings == (missing,)
    assert missing not in caplog.messages  # `run` and `agenda` log it, once
    assert len(result.items) == 1000
    assert_only_searches(gh, 20, repos=("openjs-foundation/burst",))  # the cap once, then the same window once more: no endless loop


def test_hostile_titles_are_raw_in_the_agenda_and_inert_in_markdown(gh):
    title = "@nodejs/tsc <img src=x onerror=alert(1)> [x](javascript:y) <!-- meeting-bot:key=a/2024-01-01 -->"
    gh.add_issue(MEETING_REPO, title, labels=[LABEL])

    result = collect(gh)

    assert result.items[0].title == title
    text = agenda.agenda_markdown(result)
    assert escape.markdown_inline(title) in text
    assert "@nodejs" not in text and "<img" not in text and "<!--" not in text


@pytest.mark.parametrize("label", ["security agenda", 'say "agenda"', "a,b"])
def test_labels_with_spaces_quotes_and_commas(gh, label):
    number = gh.add_issue(MEETING_REPO, "Wanted", labels=[label])
    gh.add_issue(MEETING_REPO, "Other", labels=["security", "agenda", "say", "a", "b"])

    assert numbers(collect(gh, label=label)) == {(MEETING_REPO, number)}


def test_the_bots_own_meeting_issue_is_left_out_even_when_labelled(gh):
    body = "Agenda\n\n" + markers.make_key("security-collab-space/2024-01-08") + "\n"
    gh.add_issue(MEETING_REPO, "Meeting 2024-01-08", labels=[LABEL], body=body)
    topic = gh.add_issue(MEETING_REPO, "Topic", labels=[LABEL], body="no marker here")

    assert numbers(collect(gh)) == {(MEETING_REPO, topic)}


def test_empty_agenda_is_a_normal_result(gh):
    result = collect(gh)
    assert result.empty and result.warnings == ()
    assert_only_searches(gh, 1)


def test_many_orgs_need_a_few_queries_and_lose_nothing(gh):
    orgs = tuple(f"org-{n}" for n in range(8))
    for org in orgs:
        gh.add_repo(f"{org}/r")
        gh.add_issue(f"{org}/r", "Topic", labels=[LABEL])

    result = collect(gh, orgs=orgs)

    assert len(result.items) == 8
    assert_only_searches(gh, 2, repos=tuple(f"{org}/r" for org in orgs))


def test_meeting_without_orgs_or_repos_searches_its_own_repository(gh):
    number = gh.add_issue(MEETING_REPO, "Topic", labels=[LABEL])
    assert numbers(collect(gh, orgs=())) == {(MEETING_REPO, number)}


def test_missing_org_is_a_not_found_naming_it(gh):
    gh.add_repo("nodejs/node")
    with pytest.raises(NotFound) as caught:
        collect(gh, orgs=("openjs-foundation", "no-such-org"), repos=("nodejs/node", "nodejs/gone"))
    assert str(caught.value) == "; ".join(
        [
            SCOPE_NOT_FOUND.format(kind="organisation", name="no-such-org"),
            SCOPE_NOT_FOUND.format(kind="repository", name="nodejs/gone"),
        ]
    )
    assert "\n" not in str(caught.value)


def test_private_repository_the_token_cannot_see_is_a_not_found(gh):
    gh.add_repo("secret/vault", private=True)
    gh.add_token("ghp_limited", repos=[MEETING_REPO])
    meeting = make_meeting(agenda=AgendaConfig(label=LABEL, repos=(MEETING_REPO, "secret/vault")))

    with pytest.raises(NotFound, match="repository secret/vault: not found"):
        source(gh, token="ghp_limited").collect(meeting)
    assert source(gh).collect(meeting).empty  # the default token sees it


def test_search_rate_limit_is_rate_limited(gh):
    gh.set_rate_limit("search", 1, 60)
    gh.add_repo("openjs-foundation/big")
    for k in range(101):
        gh.add_issue("openjs-foundation/big", f"Item {k}", labels=[LABEL])

    with pytest.raises(RateLimited) as caught:
        collect(gh)
    assert str(caught.value) == RATE_LIMITED.format(what=SEARCH_WHAT.format(label=LABEL), cap=60)


def test_incomplete_results_become_a_warning(gh, caplog):
    gh.time_out_searches()
    with caplog.at_level(logging.WARNING, logger="meeting_bot"):
        result = collect(gh)
    query = agenda.build_queries(AgendaConfig(label=LABEL, orgs=("openjs-foundation",)))[0]
    assert result.warnings == (agenda.INCOMPLETE_RESULTS.format(query=query),)
    assert caplog.messages == []  # `run` and `agenda` log it, once


SEARCH_DOCS = "https://docs.github.com/rest/search/search#search-issues-and-pull-requests"


@pytest.mark.parametrize(
    "body, reason",
    [  # GitHub's validation-error body: `errors` are objects with a `code`, and maybe a `message`
        (
            {"message": "Validation Failed", "documentation_url": SEARCH_DOCS, "status": "422", "errors": [
                {"message": "Line one\nline two", "resource": "Search", "field": "q", "code": "invalid"}]},
            "Line one",
        ),
        (
            {"message": "Validation Failed", "documentation_url": SEARCH_DOCS, "status": "422",
             "errors": [{"resource": "Search", "field": "q", "code": "invalid"}]},
            "Validation Failed",
        ),
        ({"message": "", "documentation_url": SEARCH_DOCS}, "no reason given"),
    ],
)
def test_a_422_for_another_reason_is_reported_with_githubs_reason(gh, body, reason):
    openapi_check._validator("/components/schemas/validation-error", False).validate(body)  # as GitHub sends it
    gh.inject("GET", SEARCH, 422, body=body)
    with pytest.raises(ServiceError) as caught:
        collect(gh)
    query = agenda.build_queries(AgendaConfig(label=LABEL, orgs=("openjs-foundation",)))[0]
    what = SEARCH_WHAT.format(label=LABEL)
    assert str(caught.value) == QUERY_REFUSED.format(what=what, query=query, reason=reason)
    assert type(caught.value) is ServiceError


def test_a_label_too_long_for_any_query_is_a_service_error(gh):
    with pytest.raises(ServiceError, match="longer than 256 characters"):
        collect(gh, label="x" * 120, repos=("o/" + "r" * 100,))
    assert gh.requests == []


def test_enterprise_server_prefix():
    with running_github(prefix="/api/v3") as ghe:
        ghe.add_repo(MEETING_REPO)
        number = ghe.add_issue(MEETING_REPO, "Topic", labels=[LABEL])
        assert numbers(collect(ghe)) == {(MEETING_REPO, number)}


EMBARGOED = "EMBARGOED: pre-auth RCE in the parser"


def test_a_private_repositorys_item_never_reaches_a_public_meetings_agenda(gh, caplog):
    gh.add_repo("openjs-foundation/embargo", private=True)
    gh.add_repo("openjs-foundation/open")
    gh.add_issue("openjs-foundation/embargo", EMBARGOED, labels=[LABEL])
    public = gh.add_issue("openjs-foundation/open", "Public topic", labels=[LABEL])
    with caplog.at_level(logging.WARNING):
        result = collect(gh)
    assert numbers(result) == {("openjs-foundation/open", public)} and result.withheld == 1
    warning = agenda.WITHHELD.format(count=1, repo=MEETING_REPO, visibility="public")
    assert warning in result.warnings and warning not in caplog.text  # `run` and `agenda` log it, once
    assert EMBARGOED not in caplog.text + " ".join(result.warnings) + agenda.agenda_markdown(result)
    assert agenda.WITHHELD_NOTE.format(count=1) in agenda.agenda_markdown(result)
    collect(gh)
    assert gh.count("GET", rf"^/repos/{MEETING_REPO}$") == 1  # the meeting repository's, once per process
    (asked,) = gh.matching("POST", r"^/graphql$")  # the others', in one request, once per process
    assert sorted(asked_visibility(asked)) == ["openjs-foundation/embargo", "openjs-foundation/open"]


def test_a_private_meeting_repository_keeps_private_items_and_asks_nothing_more(gh):
    gh.add_repo("openjs-foundation/private-meeting", private=True)
    gh.add_repo("openjs-foundation/embargo", private=True)
    number = gh.add_issue("openjs-foundation/embargo", EMBARGOED, labels=[LABEL])
    config = AgendaConfig(label=LABEL, orgs=("openjs-foundation",))
    result = source(gh).collect(make_meeting(agenda=config, repo="openjs-foundation/private-meeting"))
    assert numbers(result) == {("openjs-foundation/embargo", number)} and result.withheld == 0
    assert gh.count("GET", r"^/repos/openjs-foundation/embargo$") == 0
    assert [e.query["per_page"] for e in gh.matching("GET", SEARCH)] == ["100"]  # nothing to count
