"""Tests of the pure discussion part of the agenda: search text, nodes to items."""

from __future__ import annotations

import datetime as dt

from bot import agenda, discussions
from bot.model import AgendaConfig, ItemKind

LABEL = "security-agenda"


def node(number=7, title="Idea", *, repo="nodejs/node", labels=(LABEL,), closed=False, typename="Discussion",
         visibility="PUBLIC", label_total=None, created="2024-01-02T03:04:05Z"):
    """A search node shaped like the `... on Discussion` selection the adapter sends."""
    return {
        "__typename": typename,
        "number": number,
        "title": title,
        "url": f"https://github.com/{repo}/discussions/{number}",
        "closed": closed,
        "createdAt": created,
        "updatedAt": "2024-02-03T04:05:06Z",
        "author": {"login": "dana"},
        "labels": {"totalCount": len(labels) if label_total is None else label_total,
                   "nodes": [{"name": name} for name in labels]},
        "repository": {"nameWithOwner": repo, "visibility": visibility},
    }


def test_one_search_for_every_scope_oldest_first():
    config = AgendaConfig(label='say "hi"', orgs=("a", "b"), repos=("c/d",))
    assert discussions.build_queries(config) == ('is:open label:"say \\"hi\\"" sort:created-asc org:a org:b repo:c/d',)


def test_the_meeting_repository_when_no_scope_is_configured():
    assert discussions.build_queries(AgendaConfig(label=LABEL), "o/r") == (f'is:open label:"{LABEL}" sort:created-asc repo:o/r',)


def test_many_scopes_are_split_like_the_issue_search():
    config = AgendaConfig(label=LABEL, orgs=tuple(f"org-{n}" for n in range(8)))
    queries = discussions.build_queries(config)
    assert len(queries) == 2
    assert all(len(q) + agenda.WINDOW_ROOM <= agenda.MAX_QUERY_CHARS for q in queries)


def test_a_node_becomes_a_discussion_item_with_its_repositorys_visibility():
    (item,) = discussions.items_from_nodes([node()], AgendaConfig(label=LABEL))
    assert (item.repo, item.number, item.title, item.kind, item.visibility) == (
        "nodejs/node", 7, "Idea", ItemKind.DISCUSSION, "public")
    assert item.url == "https://github.com/nodejs/node/discussions/7" and item.author == "dana"
    assert item.updated_at == dt.datetime(2024, 2, 3, 4, 5, 6, tzinfo=dt.timezone.utc)
    assert not item.is_pull_request and item.labels == (LABEL,)


def test_closed_unlabelled_and_other_nodes_are_left_out():
    config = AgendaConfig(label=LABEL.upper())
    nodes = [node(1), node(2, closed=True), node(3, labels=("other",)), node(4, typename="Issue"), None, {}]
    assert [i.number for i in discussions.items_from_nodes(nodes, config)] == [1]


def test_the_next_window_starts_at_the_last_creation_time_past_the_cap():
    nodes = [node(created="2024-01-01T00:00:00Z"), node(created="2024-05-01T00:00:00Z")]
    assert discussions.next_since(1000, nodes) is None
    assert discussions.next_since(1001, nodes) == "2024-05-01T00:00:00Z"
    assert discussions.next_since(1001, []) is None


def test_a_discussion_with_more_labels_than_one_read_is_a_warning():
    nodes = [node(1), node(2, label_total=101), None]
    assert discussions.label_overflow(nodes) == [
        discussions.TOO_MANY_LABELS.format(repo="nodejs/node", number=2, limit=discussions.LABELS_PAGE)
    ]
