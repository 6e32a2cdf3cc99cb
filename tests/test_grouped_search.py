"""Grouped agenda searches: meetings searching the same scopes share queries, and each gets exactly its own agenda."""

from __future__ import annotations

import dataclasses

import pytest

from bot import agenda, search_groups
from bot.adapters.github_agenda import GitHubAgenda
from bot.adapters.github_client import Calls, make_client
from bot.adapters.retry import Policy
from bot.model import AgendaConfig
from bot.ports import NotFound
from bot.settings import Secret, Settings
from tests.doubles.github import DEFAULT_TOKEN, running_github
from tests.e2e import OTHER, World, world  # noqa: F401 (the fixture)
from tests.factories import MEETING_REPO, make_meeting

SEARCH = r"^/search/issues$"
VALIDATION = {"message": "Validation Failed", "documentation_url": "https://docs.github.com/rest/search/search",
              "errors": [{"resource": "Search", "field": "q", "code": "invalid"}]}


def need(label: str, chunk: tuple[str, ...] = ("org:wg",), pull_requests: bool = True) -> search_groups.Need:
    return search_groups.Need(pull_requests, chunk, label)


# -- the plan (pure) ----------------------------------------------------------------------------------


def test_needs_with_the_same_scopes_and_kinds_share_one_query():
    plan = search_groups.SearchPlan()
    plan.add([need("a"), need("b"), need("c", ("org:other",)), need("d", pull_requests=False), need("A")])
    shared = plan.query(need("a"))
    assert shared == 'is:open label:"a","b" org:wg'
    assert plan.query(need("b")) == plan.query(need("A")) == shared  # labels compare without case, as GitHub's do
    assert plan.query(need("c", ("org:other",))) == 'is:open label:"c" org:other'
    assert plan.query(need("d", pull_requests=False)) == 'is:open is:issue label:"d" org:wg'
    assert plan.query(need("e")) is None  # never announced: the source searches it alone


def test_a_query_alone_is_exactly_the_ungrouped_query():
    config = AgendaConfig(label='say "hi", all', orgs=("wg",), repos=("x/y",), include_pull_requests=False)
    (alone,) = search_groups.needs(config, MEETING_REPO)
    assert search_groups.grouped_query([alone]) == agenda.build_queries(config, MEETING_REPO)[0]


def test_long_labels_are_packed_within_githubs_query_length():
    labels = [f"label-{n:02d}-" + "x" * 30 for n in range(12)]
    plan = search_groups.SearchPlan()
    plan.add([need(label) for label in labels])
    queries = {plan.query(need(label)) for label in labels}
    assert 1 < len(queries) < len(labels)
    assert all(len(q) + agenda.WINDOW_ROOM <= agenda.MAX_QUERY_CHARS for q in queries if q)
    assert sorted(label for q in queries if q for label in labels if f'"{label}"' in q) == sorted(labels)


def test_many_short_labels_stop_at_the_label_cap():
    labels = [f"l{n}" for n in range(search_groups.MAX_LABELS_PER_QUERY + 1)]
    plan = search_groups.SearchPlan()
    plan.add([need(label) for label in labels])
    assert len({plan.query(need(label)) for label in labels}) == 2


def test_adding_never_changes_a_query_already_planned():
    plan = search_groups.SearchPlan()
    plan.add([need("a")])
    first = plan.query(need("a"))
    plan.add([need("a"), need("b"), need("c")])
    assert plan.query(need("a")) == first
    assert plan.query(need("b")) == plan.query(need("c")) == 'is:open label:"b","c" org:wg'


# -- against the GitHub double ---------------------------------------------------------------------------

SCOPE = "acme"
LABELS = ("wg-agenda", "tsc agenda", 'say "hi"', "a,b", "Build-Agenda")


@pytest.fixture
def gh():
    with running_github() as double:
        for repo in ("acme/meetings", "acme/lib", "acme/tools", "other/place"):
            double.add_repo(repo)
        double.add_repo("acme/embargo", private=True)
        yield double


def source(double) -> GitHubAgenda:
    settings = Settings(github_api_url=double.url, github_token=Secret(DEFAULT_TOKEN))
    return GitHubAgenda(make_client(settings), Calls(Policy(60.0), 60.0, double.url))


def meetings():
    """Five meetings searching org:acme (one without pull requests), one searching other/place."""
    made = [make_meeting(id=f"m{n}", repo="acme/meetings", agenda=AgendaConfig(label=label, orgs=(SCOPE,)))
            for n, label in enumerate(LABELS)]
    made[4] = dataclasses.replace(made[4], agenda=dataclasses.replace(made[4].agenda, include_pull_requests=False))
    made.append(make_meeting(id="m5", repo="acme/meetings", agenda=AgendaConfig(label="wg-agenda", repos=("other/place",))))
    return made


def seed(double) -> None:
    """Items with one, several or none of the labels, issues and pull requests, some private, some closed."""
    double.add_issue("acme/lib", "One label", labels=["wg-agenda"])
    double.add_issue("acme/lib", "Two labels", labels=["wg-agenda", "tsc agenda"])
    double.add_issue("acme/tools", "Quoted", labels=['say "hi"', "unrelated"])
    double.add_issue("acme/tools", "Comma", labels=["a,b"])
    double.add_issue("acme/tools", "Only a", labels=["a"])
    double.add_issue("acme/lib", "A PR", labels=["build-agenda"], pull_request=True)
    double.add_issue("acme/lib", "An issue", labels=["BUILD-AGENDA"])
    double.add_issue("acme/embargo", "EMBARGOED", labels=["wg-agenda", "a,b"])
    double.add_issue("acme/lib", "Closed", labels=["tsc agenda"], state="closed")
    double.add_issue("other/place", "Elsewhere", labels=["wg-agenda"])


def as_compared(found) -> tuple:
    return (tuple((i.repo, i.number, i.title) for i in found.items), found.withheld, found.warnings)


def test_grouped_searches_give_every_meeting_exactly_the_agenda_it_had_alone(gh):
    seed(gh)
    alone = {m.id: as_compared(source(gh).collect(m)) for m in meetings()}
    searches_alone = gh.count("GET", SEARCH)

    grouped = source(gh)
    grouped.expect(meetings())
    together = {m.id: as_compared(grouped.collect(m)) for m in meetings()}

    assert together == alone
    assert {title for _repo, _number, title in together["m0"][0]} == {"One label", "Two labels"}
    assert together["m0"][1] == 1  # the embargoed item, counted, never shown
    assert {title for _repo, _number, title in together["m4"][0]} == {"An issue"}  # no pull request, any case
    assert searches_alone == 6
    # One query for the four meetings on org:acme with pull requests, one without, one on other/place.
    queries = [e.query["q"] for e in gh.matching("GET", SEARCH)][searches_alone:]
    assert len(queries) == 3
    assert queries[0] == 'is:open label:"wg-agenda","tsc agenda","say \\"hi\\"","a,b" org:acme'


def test_each_meeting_counts_only_its_own_left_out_items(gh):
    seed(gh)
    grouped = source(gh)
    grouped.expect(meetings())
    withheld = {m.id: grouped.collect(m).withheld for m in meetings()}
    assert withheld == {"m0": 1, "m1": 0, "m2": 0, "m3": 1, "m4": 0, "m5": 0}


def test_a_refused_group_query_falls_back_to_one_query_per_meeting(gh):
    seed(gh)
    grouped = source(gh)
    grouped.expect(meetings()[:2])
    gh.inject("GET", SEARCH, 422, body=VALIDATION)  # the group's query only: the org exists, so nobody is blamed
    first, second = (grouped.collect(m) for m in meetings()[:2])
    assert {i.title for i in first.items} == {"One label", "Two labels"}
    assert {i.title for i in second.items} == {"Two labels"}
    queries = [e.query["q"] for e in gh.matching("GET", SEARCH)]
    assert queries == ['is:open label:"wg-agenda","tsc agenda" org:acme',
                       'is:open label:"wg-agenda" org:acme', 'is:open label:"tsc agenda" org:acme']


def test_a_missing_org_fails_every_meeting_of_its_group_with_one_query(gh):
    missing = [make_meeting(id=f"x{n}", repo="acme/meetings", agenda=AgendaConfig(label=label, orgs=("gone",)))
               for n, label in enumerate(("p", "q"))]
    grouped = source(gh)
    grouped.expect(missing)
    for meeting in missing:
        with pytest.raises(NotFound, match="organisation gone: not found"):
            grouped.collect(meeting)
    assert gh.count("GET", SEARCH) == 1


# -- a whole pass: `run` over several meetings -----------------------------------------------------------


def test_a_pass_over_meetings_on_the_same_org_sends_one_search(world: World):
    for n, label in enumerate(("wg-agenda", "tsc-agenda", "build-agenda")):
        world.meeting(f"group-{n}", name=f"Group {n}", agenda={"label": label})
    world.github.add_issue(OTHER, "Shared", labels=["wg-agenda", "tsc-agenda"])
    world.github.add_issue(OTHER, "Build only", labels=["build-agenda"])

    result = world.run("run")

    assert result.returncode == 0, result.stderr
    assert world.github.count("GET", SEARCH) == 1  # four meetings (the world's own "wg" too), one scope
    bodies = {n: world.issue(f"group-{n}/2024-03-11")["body"] for n in range(3)}
    assert "Shared" in bodies[0] and "Shared" in bodies[1] and "Shared" not in bodies[2]
    assert "Build only" in bodies[2] and "Build only" not in bodies[0] + bodies[1]


def test_each_pass_searches_afresh_and_one_owners_meetings_share_a_query(gh):
    """Through the wiring a pass uses: `expect` starts a pass, so a topic labelled between two passes
    of one process (a worker) is seen by the second; the two meetings of one owner share each search."""
    from bot.adapters import wire

    seed(gh)
    settings = Settings(github_api_url=gh.url, github_token=Secret(DEFAULT_TOKEN))
    pair = meetings()[:2]
    services = wire(settings, pair)
    for label, expected in (("One label", 1), ("Late topic", 2)):
        services.agenda.expect(pair)
        titles = {i.title for i in services.agenda.collect(pair[0]).items}
        assert label in titles and {i.title for i in services.agenda.collect(pair[1]).items} == {"Two labels"}
        assert gh.count("GET", SEARCH) == expected
        gh.add_issue("acme/lib", "Late topic", labels=["wg-agenda"])
