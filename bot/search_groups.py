"""Grouped agenda searches: meetings that search the same scopes share one query with several labels."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterable, Sequence

from bot import agenda
from bot.model import AgendaConfig

# At most this many labels in one query: GitHub documents no limit on a comma list, so stay modest
# (a group's results are paged and windowed like any query's, so this only bounds the query text).
MAX_LABELS_PER_QUERY = 20


@dataclass(frozen=True)
class Need:
    """One meeting's need of one query: its kinds, one chunk of its scopes, its label."""

    pull_requests: bool
    chunk: tuple[str, ...]
    label: str

    @property
    def key(self) -> tuple[bool, tuple[str, ...]]:
        """What must be equal for two needs to share a query (scopes compared without case)."""
        return self.pull_requests, tuple(scope.casefold() for scope in self.chunk)


@dataclass
class SearchPlan:
    """The query that serves each (kinds, chunk, label); a need nobody announced has none."""

    queries: dict[tuple[tuple[bool, tuple[str, ...]], str], str] = field(default_factory=dict)

    def query(self, need: Need) -> str | None:
        return self.queries.get((need.key, need.label.casefold()))

    def forget(self, need: Need) -> None:
        """`need` is served by a query of its own from now on (its group's query was refused)."""
        self.queries.pop((need.key, need.label.casefold()), None)

    def add(self, needs: Iterable[Need]) -> None:
        """Pack the needs not yet served into as few queries as GitHub's limits allow (labels in first-seen order)."""
        groups: dict[tuple[bool, tuple[str, ...]], list[Need]] = {}
        for need in needs:
            if self.query(need) is None and need.label.casefold() not in _labels(groups.get(need.key, ())):
                groups.setdefault(need.key, []).append(need)
        for members in groups.values():
            for pack in _packs(members):
                text = grouped_query(pack)
                for need in pack:
                    self.queries[(need.key, need.label.casefold())] = text


def needs(config: AgendaConfig, meeting_repo: str) -> tuple[Need, ...]:
    """A meeting's needs, one per chunk of its scopes (raises `agenda.AgendaQueryError` like `scope_chunks`)."""
    chunks = agenda.scope_chunks(config, meeting_repo)
    return tuple(Need(config.include_pull_requests, chunk, config.label) for chunk in chunks)


def grouped_query(pack: Sequence[Need]) -> str:
    """`is:open [is:issue] label:"a","b" scopes`: an item carrying any of the labels (GitHub: a comma is OR)."""
    first = pack[0]
    kinds = "" if first.pull_requests else " is:issue"
    labels = ",".join(agenda.quoted(need.label) for need in pack)
    return " ".join((f"is:open{kinds} label:{labels}", *first.chunk))


def _labels(members: Iterable[Need]) -> set[str]:
    return {need.label.casefold() for need in members}


def _packs(members: Sequence[Need]) -> list[list[Need]]:
    """Consecutive packs whose query (with room for a creation window) stays within GitHub's length limit."""
    packs: list[list[Need]] = []
    for need in members:
        if packs and len(packs[-1]) < MAX_LABELS_PER_QUERY and _fits(packs[-1] + [need]):
            packs[-1].append(need)
        else:
            packs.append([need])  # one label alone always fits: `scope_chunks` checked it
    return packs


def _fits(pack: Sequence[Need]) -> bool:
    return len(grouped_query(pack)) + agenda.WINDOW_ROOM <= agenda.MAX_QUERY_CHARS
