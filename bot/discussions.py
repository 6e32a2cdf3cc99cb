"""Discussions on the agenda: GraphQL search text from `[agenda]`, and search nodes to agenda items."""

from __future__ import annotations

import datetime as dt
from typing import Any, Iterable, Mapping, Sequence

from bot import agenda
from bot.model import AgendaConfig, AgendaItem

# The discussion search takes the issue search's syntax; results come oldest first, so a search
# past GitHub's 1,000-result cap goes on from the last creation time, as the issue search does.
SORT = "sort:created-asc"
PAGE_SIZE = 100  # GraphQL's largest `first`
LABELS_PAGE = 100  # labels read per discussion
TYPENAME = "Discussion"

UNAVAILABLE = (
    "agenda: GitHub discussions were not searched ({reason}); the agenda lists issues and pull requests only"
)
NEEDS_TOKEN = "the GraphQL API needs a token"
NO_ACCESS = "these credentials cannot read discussions: a token needs the Discussions read permission"
NO_SEARCH = "this GitHub's GraphQL API has no discussion search (an older GitHub Enterprise Server?)"
NO_ENDPOINT = "this GitHub has no GraphQL API at {url}"
TOO_MANY_LABELS = "discussion {repo}#{number} carries more than {limit} labels; sections may miss some of them"


def base(config: AgendaConfig) -> str:
    """The query text before the scopes: open, labelled, oldest first."""
    return f"is:open label:{agenda.quoted(config.label)} {SORT}"


def scope_chunks(config: AgendaConfig, meeting_repo: str | None = None) -> tuple[tuple[str, ...], ...]:
    """The orgs and repos packed into as few discussion searches as GitHub's limits allow."""
    return agenda.scope_chunks(config, meeting_repo, base(config))


def query_for(config: AgendaConfig, chunk: Sequence[str]) -> str:
    return agenda.query_for(config, chunk, base(config))


def build_queries(config: AgendaConfig, meeting_repo: str | None = None) -> tuple[str, ...]:
    """Every discussion search the agenda needs."""
    return tuple(query_for(config, chunk) for chunk in scope_chunks(config, meeting_repo))


def next_since(total: int, nodes: Sequence[Mapping[str, Any]]) -> str | None:
    """After one window of results: where the next window starts, or None if it held everything."""
    if total <= agenda.SEARCH_RESULT_CAP or not nodes:
        return None
    return str(nodes[-1]["createdAt"])


def _labels(node: Mapping[str, Any]) -> tuple[str, ...]:
    found = (node.get("labels") or {}).get("nodes") or ()
    return tuple(str(label["name"]) for label in found if label)


def is_current(node: Mapping[str, Any] | None, config: AgendaConfig) -> bool:
    """Whether the node is an open discussion that carries the label now (the search index lags)."""
    if not node or node.get("__typename") != TYPENAME:
        return False
    wanted = config.label.casefold()
    return not node.get("closed") and any(label.casefold() == wanted for label in _labels(node))


def _time(value: object) -> dt.datetime | None:
    return dt.datetime.fromisoformat(str(value).replace("Z", "+00:00")) if value else None


def _visibility(repository: Mapping[str, Any]) -> str | None:
    value = repository.get("visibility")
    return str(value).lower() if value else None


def item_from_node(node: Mapping[str, Any]) -> AgendaItem:
    """The agenda item a discussion node stands for; `repository.visibility` goes along for the visibility rule."""
    repository = node.get("repository") or {}
    author = node.get("author") or {}
    return AgendaItem(
        repo=str(repository["nameWithOwner"]),
        number=int(node["number"]),
        title=str(node["title"]),
        url=str(node["url"]),
        labels=_labels(node),
        author=author.get("login"),
        updated_at=_time(node.get("updatedAt")),
        is_discussion=True,
        visibility=_visibility(repository),
    )


def items_from_nodes(nodes: Iterable[Mapping[str, Any] | None], config: AgendaConfig) -> tuple[AgendaItem, ...]:
    """The agenda items among discussion search nodes, in node order."""
    return tuple(item_from_node(node) for node in nodes if node and is_current(node, config))


def label_overflow(nodes: Iterable[Mapping[str, Any] | None]) -> list[str]:
    """Warnings for discussions whose labels did not all fit in one read."""
    return [
        TOO_MANY_LABELS.format(repo=node["repository"]["nameWithOwner"], number=node["number"], limit=LABELS_PAGE)
        for node in nodes
        if node and int(((node.get("labels") or {}).get("totalCount")) or 0) > LABELS_PAGE
    ]
