"""Tests of the pure agenda: queries, hits to items, grouping, and the two printouts."""

from __future__ import annotations

import datetime as dt
import json
import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot import agenda, escape, markers
from bot.model import Agenda, AgendaConfig, AgendaGroup, AgendaItem, AgendaSection

LABEL = "security-agenda"
MEETING_REPO = "openjs-foundation/security-collab-space"


def hit(repo="nodejs/node", number=1, title="A topic", *, pr=False, labels=(LABEL,), state="open", body="",
        user="alice", created="2024-01-01T00:00:00Z", api="https://api.github.com"):
    """A search hit shaped like GitHub's `issue-search-result-item`."""
    raw = {
        "repository_url": f"{api}/repos/{repo}",
        "number": number,
        "title": title,
        "html_url": f"https://github.com/{repo}/{'pull' if pr else 'issues'}/{number}",
        "state": state,
        "labels": [{"name": name} for name in labels],
        "user": {"login": user} if user else None,
        "body": body,
        "created_at": created,
        "updated_at": "2024-02-03T04:05:06Z",
    }
    if pr:
        raw["pull_request"] = {"url": f"{api}/repos/{repo}/pulls/{number}"}
    return raw


def item(repo, number, title="t"):
    return AgendaItem(repo=repo, number=number, title=title, url=f"https://github.com/{repo}/issues/{number}")


def unquote_label(query: str) -> str:
    """The label term of a query, read back the way GitHub's search syntax reads it."""
    match = re.search(r'label:"((?:[^"\\]|\\.)*)"', query)
    assert match, query
    return re.sub(r"\\(.)", r"\1", match.group(1))


# ----------------------------------------------------------------- queries


def test_one_query_covers_every_org_and_repo():
    config = AgendaConfig(label=LABEL, orgs=("openjs-foundation", "nodejs"), repos=("expressjs/express",))
    assert agenda.build_queries(config) == (
        'is:open label:"security-agenda" org:openjs-foundation org:nodejs repo:expressjs/express',
    )


def test_pull_requests_left_out_asks_for_issues_only():
    config = AgendaConfig(label=LABEL, orgs=("nodejs",), include_pull_requests=False)
    assert agenda.build_queries(config) == ('is:open is:issue label:"security-agenda" org:nodejs',)


def test_repos_inside_listed_orgs_and_repeats_are_dropped():
    config = AgendaConfig(label=LABEL, orgs=("NodeJS", "nodejs"), repos=("nodejs/node", "a/b", "A/B"))
    assert agenda.scopes(config) == ("org:NodeJS", "repo:a/b")


def test_without_orgs_or_repos_the_meeting_repository_is_searched():
    assert agenda.scopes(AgendaConfig(label=LABEL), MEETING_REPO) == (f"repo:{MEETING_REPO}",)
    assert agenda.build_queries(AgendaConfig(label=LABEL)) == ()


@pytest.mark.parametrize("label", ["security agenda", 'say "hi"', "back\\slash", 'both \\" kinds'])
def test_labels_with_spaces_and_quotes_stay_one_term(label):
    (query,) = agenda.build_queries(AgendaConfig(label=label, orgs=("nodejs",)))
    assert unquote_label(query) == label
    assert query.endswith(" org:nodejs")


def test_many_orgs_are_split_into_as_few_queries_as_the_limits_allow():
    orgs = tuple(f"org{n}" for n in range(14))
    queries = agenda.build_queries(AgendaConfig(label=LABEL, orgs=orgs))
    assert len(queries) == 3  # 6 + 6 + 2: GitHub counts the implicit ORs between qualifiers
    assert [q.count("org:") for q in queries] == [6, 6, 2]


def test_long_names_are_split_by_length():
    repos = tuple(f"owner-{n}/{'r' * 70}" for n in range(5))
    queries = agenda.build_queries(AgendaConfig(label=LABEL, repos=repos))
    assert [q.count(" repo:") for q in queries] == [2, 2, 1]  # 85 characters each: two fit in one query
    assert all(len(agenda.window(q, "2024-01-01T00:00:00Z")) <= agenda.MAX_QUERY_CHARS for q in queries)


def test_a_scope_that_cannot_fit_any_query_is_refused():
    config = AgendaConfig(label="x" * 200, repos=("owner/" + "r" * 60,))
    with pytest.raises(agenda.AgendaQueryError) as caught:
        agenda.build_queries(config)
    scope = "repo:owner/" + "r" * 60
    assert str(caught.value) == agenda.QUERY_TOO_LONG.format(label=config.label, scope=scope, limit=256)


names = st.from_regex(r"[A-Za-z0-9][A-Za-z0-9-]{0,38}", fullmatch=True)


@given(
    label=st.text(st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=50),
    orgs=st.lists(names, max_size=20),
    repos=st.lists(st.tuples(names, names).map("/".join), max_size=20),
)
def test_queries_cover_each_scope_once_within_the_limits(label, orgs, repos):
    config = AgendaConfig(label=label, orgs=tuple(orgs), repos=tuple(repos))
    chunks = agenda.scope_chunks(config, MEETING_REPO)
    assert [s for chunk in chunks for s in chunk] == list(agenda.scopes(config, MEETING_REPO))
    for chunk, query in zip(chunks, agenda.build_queries(config, MEETING_REPO)):
        assert len(agenda.window(query, "2024-01-01T00:00:00+00:00")) <= agenda.MAX_QUERY_CHARS
        assert len(chunk) <= agenda.MAX_SCOPES_PER_QUERY
        assert unquote_label(query) == label
    # Greedy packing: no two neighbouring queries could have been one.
    for first, second in zip(chunks, chunks[1:]):
        assert not agenda._fits(config, first + second)


# ----------------------------------------------------------- the 1,000 cap


def test_windows_and_pages():
    assert agenda.window("q", None) == "q"
    assert agenda.window("q", "2024-01-01T00:00:00Z") == "q created:>=2024-01-01T00:00:00Z"
    assert [agenda.page_count(n) for n in (0, 1, 100, 101, 1000, 5000)] == [1, 1, 1, 2, 10, 10]


def test_next_window_starts_at_the_last_creation_time_only_past_the_cap():
    hits = [hit(created="2024-01-01T00:00:00Z"), hit(created="2024-05-06T07:08:09Z")]
    assert agenda.next_since(1000, hits) is None
    assert agenda.next_since(1001, hits) == "2024-05-06T07:08:09Z"
    assert agenda.next_since(1001, []) is None


# ------------------------------------------------------------ hits to items


def test_item_from_hit_reads_only_the_hit():
    raw = hit("nodejs/node", 42, "Fix it", labels=(LABEL, "bug"), user="bob")
    assert agenda.item_from_hit(raw) == AgendaItem(
        repo="nodejs/node",
        number=42,
        title="Fix it",
        url="https://github.com/nodejs/node/issues/42",
        is_pull_request=False,
        labels=(LABEL, "bug"),
        author="bob",
        updated_at=dt.datetime(2024, 2, 3, 4, 5, 6, tzinfo=dt.timezone.utc),
    )


def test_pull_requests_are_known_by_the_pull_request_key():
    assert agenda.item_from_hit(hit(pr=True)).is_pull_request


def test_enterprise_server_api_urls_and_missing_fields():
    raw = hit("repos/repos", api="https://ghe.example/api/v3", user=None, body=None)
    raw["updated_at"] = None
    found = agenda.item_from_hit(raw)
    assert (found.repo, found.author, found.updated_at) == ("repos/repos", None, None)


def test_the_bots_own_meeting_issue_is_never_an_item():
    body = "Agenda below\n" + markers.make_key("security-collab-space/2024-01-08") + "\n"
    assert agenda.item_from_hit(hit(body=body)) is None
    assert agenda.items_from_hits([hit(body=body), hit(number=2)], AgendaConfig(label=LABEL))[0].number == 2


@pytest.mark.parametrize(
    "raw",
    [hit(state="closed"), hit(labels=("other",)), hit(labels=())],
    ids=["closed", "other label", "unlabelled"],
)
def test_hits_no_longer_current_are_left_out(raw):
    assert not agenda.is_current(raw, AgendaConfig(label=LABEL))


def test_label_is_matched_case_insensitively_and_pull_requests_follow_the_config():
    assert agenda.is_current(hit(labels=("Security-Agenda",)), AgendaConfig(label=LABEL))
    assert agenda.is_current(hit(pr=True), AgendaConfig(label=LABEL))
    assert not agenda.is_current(hit(pr=True), AgendaConfig(label=LABEL, include_pull_requests=False))


def test_hostile_titles_stay_raw_in_the_items():
    title = "@nodejs/tsc <script>x</script> ### [a](b) <!-- meeting-bot:key=x -->"
    assert agenda.item_from_hit(hit(title=title)).title == title


# ----------------------------------------------------------------- groups


def test_meeting_repository_first_then_alphabetical_case_insensitive_items_by_number():
    items = [item("zeta/z", 3), item("Beta/b", 9), item(MEETING_REPO, 5), item("alpha/a", 2), item("Beta/b", 1)]
    groups = agenda.group(items, MEETING_REPO)
    assert [g.repo for g in groups] == [MEETING_REPO, "alpha/a", "Beta/b", "zeta/z"]
    assert [i.number for i in groups[2].items] == [1, 9]


def test_meeting_repository_is_recognised_whatever_its_case():
    groups = agenda.group([item("a/a", 1), item(MEETING_REPO.upper(), 1)], MEETING_REPO)
    assert groups[0].repo == MEETING_REPO.upper()


def test_an_item_found_by_two_queries_counts_once():
    groups = agenda.group([item("a/a", 1, "first"), item("A/A", 1, "again")], MEETING_REPO)
    assert groups == (AgendaGroup("a/a", (item("a/a", 1, "first"),)),)


def test_build_agenda_keeps_config_and_each_warning_once():
    config = AgendaConfig(label=LABEL, orgs=("nodejs",), repos=("a/b",))
    result = agenda.build_agenda(config, [item("a/b", 1)], MEETING_REPO, ["w", "w", "v"])
    assert (result.label, result.orgs, result.repos, result.warnings) == (LABEL, ("nodejs",), ("a/b",), ("w", "v"))
    assert agenda.build_agenda(config, [], MEETING_REPO).empty


# --------------------------------------------------------------- printouts


def sample_agenda(title="Audit plan"):
    config = AgendaConfig(label=LABEL, orgs=("openjs-foundation",))
    items = [
        agenda.item_from_hit(hit("nodejs/node", 7, "Node thing", pr=True, user="carol")),
        agenda.item_from_hit(hit(MEETING_REPO, 53, title)),
        agenda.item_from_hit(hit(MEETING_REPO, 50, "Badge draft")),
    ]
    return agenda.build_agenda(config, items, MEETING_REPO, ["search timed out"])


def test_markdown_has_the_notes_lines():
    assert agenda.agenda_markdown(sample_agenda()) == (
        f"### {MEETING_REPO}\n\n"
        f"* Badge draft [#50](https://github.com/{MEETING_REPO}/issues/50)\n"
        f"* Audit plan [#53](https://github.com/{MEETING_REPO}/issues/53)\n\n"
        "### nodejs/node\n\n"
        "* Node thing [#7](https://github.com/nodejs/node/pull/7)\n"
    )


def test_markdown_neutralises_hostile_titles():
    title = "@nodejs/tsc <img src=x onerror=alert(1)> ](http://evil) \n### Owned <!-- meeting-bot:key=x -->"
    text = agenda.agenda_markdown(sample_agenda(title))
    assert f"* {escape.markdown_inline(title)} [#53](" in text
    assert "@nodejs" not in text and "<img" not in text and "<!--" not in text
    assert "\n### Owned" not in text and text.count("\n### ") == 1


def test_markdown_of_an_empty_agenda_says_so():
    empty = Agenda(label="a*b")
    assert agenda.agenda_markdown(empty) == agenda.NO_ITEMS.format(label=escape.markdown_inline("a*b"))


def test_json_is_the_documented_document():
    document = json.loads(agenda.agenda_json(sample_agenda("@x <b>")))
    assert list(document) == ["label", "orgs", "repos", "items", "warnings", "withheld"]
    assert (document["label"], document["orgs"], document["repos"]) == (LABEL, ["openjs-foundation"], [])
    assert [(i["repo"], i["number"]) for i in document["items"]] == [
        (MEETING_REPO, 50),
        (MEETING_REPO, 53),
        ("nodejs/node", 7),
    ]
    assert document["items"][1] == {
        "kind": "issue",
        "section": None,
        "repo": MEETING_REPO,
        "number": 53,
        "title": "@x <b>",
        "url": f"https://github.com/{MEETING_REPO}/issues/53",
        "is_pull_request": False,
        "labels": [LABEL],
        "author": "alice",
        "updated_at": "2024-02-03T04:05:06Z",
        "first_appeared": None,
    }
    assert (document["items"][2]["is_pull_request"], document["items"][2]["kind"]) == (True, "pull_request")
    assert document["warnings"] == ["search timed out"]


def test_json_of_an_empty_agenda():
    assert json.loads(agenda.agenda_json(Agenda(label=LABEL))) == {
        "label": LABEL, "orgs": [], "repos": [], "items": [], "warnings": [], "withheld": 0
    }


@pytest.mark.parametrize(
    ("meeting", "kept"),
    [("public", {"o/pub"}), ("internal", {"o/pub", "o/int"}), ("private", {"o/pub", "o/int", "o/priv", "o/gone"})],
)
def test_items_less_visible_than_the_meeting_are_withheld_and_counted(meeting, kept):
    items = [item("o/pub", 1), item("o/int", 2), item("o/priv", 3), item("O/Gone", 4)]
    seen = {"o/pub": "public", "o/int": "internal", "o/priv": "private", "o/gone": None}  # None: unreadable
    visible, withheld = agenda.withhold(items, seen, meeting)
    assert {i.repo.lower() for i in visible} == kept and withheld == 4 - len(kept)


# ----------------------------------------------------------------- sections


def labelled(repo, number, *labels, discussion=False):
    url = f"https://github.com/{repo}/{'discussions' if discussion else 'issues'}/{number}"
    return AgendaItem(repo, number, f"t{number}", url, labels=(LABEL, *labels), is_discussion=discussion)


SECTIONS = (
    AgendaSection("Needs a decision", ("needs-decision",)),
    AgendaSection("Security", ("security", "NEEDS-DECISION")),
    AgendaSection("Never used", ("nobody-uses-this",)),
)


def test_an_item_goes_under_the_first_section_it_matches_in_written_order():
    config = AgendaConfig(label=LABEL, sections=SECTIONS)
    items = [
        labelled("z/z", 4, "Security", "needs-decision"),  # both: the first written wins
        labelled(MEETING_REPO, 9, "security"),
        labelled("a/a", 2, "needs-decision", discussion=True),
        labelled("a/a", 3),
    ]
    result = agenda.build_agenda(config, items, MEETING_REPO)
    assert [(s.title, [(i.repo, i.number) for i in s.items]) for s in result.sections] == [
        ("Needs a decision", [("a/a", 2), ("z/z", 4)]),
        ("Security", [(MEETING_REPO, 9)]),
    ]
    assert [(g.repo, [i.number for i in g.items]) for g in result.groups] == [("a/a", [3])]
    assert [i.number for i in result.items] == [2, 4, 9, 3]
    assert result.section_of(items[0]) == "Needs a decision" and result.section_of(items[3]) is None


def test_sections_are_optional_and_an_item_in_a_section_is_not_repeated_in_its_group():
    items = [labelled("a/a", 1, "security"), labelled("A/A", 1, "security")]
    plain = agenda.build_agenda(AgendaConfig(label=LABEL), items, MEETING_REPO)
    assert plain.sections == () and [len(g.items) for g in plain.groups] == [1]
    both = agenda.build_agenda(AgendaConfig(label=LABEL, sections=SECTIONS), items, MEETING_REPO)
    assert both.groups == () and len(both.items) == 1 and not both.empty


def test_markdown_puts_sections_first_naming_each_items_repository_and_kind():
    config = AgendaConfig(label=LABEL, sections=(AgendaSection("Needs *a* decision", ("needs-decision",)),))
    items = [labelled("a/a", 2, "needs-decision", discussion=True), labelled("a/a", 3, "needs-decision"),
             labelled("b/b", 5, discussion=True)]
    assert agenda.agenda_markdown(agenda.build_agenda(config, items, MEETING_REPO)) == (
        f"### {escape.markdown_inline('Needs *a* decision')}\n\n"
        "* t2 [a/a discussion #2](https://github.com/a/a/discussions/2)\n"
        "* t3 [a/a#3](https://github.com/a/a/issues/3)\n\n"
        "### b/b\n\n"
        "* t5 [discussion #5](https://github.com/b/b/discussions/5)\n"
    )


def test_json_gives_each_item_its_kind_and_section():
    config = AgendaConfig(label=LABEL, sections=SECTIONS)
    items = [labelled("a/a", 2, "security", discussion=True), labelled("a/a", 3)]
    document = json.loads(agenda.agenda_json(agenda.build_agenda(config, items, MEETING_REPO)))
    assert [(i["number"], i["kind"], i["section"]) for i in document["items"]] == [
        (2, "discussion", "Security"),
        (3, "issue", None),
    ]


def test_cutting_an_agenda_takes_sections_first():
    config = AgendaConfig(label=LABEL, sections=SECTIONS)
    items = [labelled("a/a", 1, "security"), labelled("a/a", 2, "security"), labelled("b/b", 3)]
    whole = agenda.build_agenda(config, items, MEETING_REPO)
    cut = whole.first(1)
    assert [i.number for i in cut.items] == [1] and cut.groups == () and cut.omitted == 2
    assert [i.number for i in whole.first(3).items] == [1, 2, 3] and whole.first(3).omitted == 0
    assert whole.first(0).empty and whole.first(0).omitted == 3
def test_json_gives_the_date_an_item_first_appeared():
    item = AgendaItem(MEETING_REPO, 5, "t", "u", first_appeared=dt.date(2024, 3, 4))
    document = json.loads(agenda.agenda_json(Agenda(LABEL, groups=(AgendaGroup(MEETING_REPO, (item,)),))))
    assert document["items"][0]["first_appeared"] == "2024-03-04"
