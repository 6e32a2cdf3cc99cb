"""What a pass must cost at least, and what the peer's approach costs, for a shape (pure arithmetic).

The minimum, per meeting and query: ceil(items/100) search requests (at least one), one read to find
the existing issue, one to find the notes, one to find the calendar event; no write when nothing
changed, and on a first run one write per artifact (issue, notes file, event).

The peer (pkgjs/meet's way): list every repository of each organisation, ceil(repos/100) pages,
then two listing requests per repository (issues and pull requests with the label, 100 a page).
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass

from bench.world import Shape, item_slots

PER_PAGE = 100
SCOPES_PER_QUERY = 6  # GitHub allows five OR operators in one search: six org: qualifiers
PEER_LISTINGS_PER_REPO = 2  # issues, and pull requests


@dataclass(frozen=True)
class Minimum:
    search: int
    reads: int  # GitHub reads other than search
    calendar: int  # Calendar API reads
    first_writes: int  # GitHub writes of a first run
    first_calendar_writes: int
    graphql: int = 0  # GraphQL requests: one per 100 discussions per query, none with discussions off

    @property
    def github(self) -> int:
        return self.search + self.reads


def items_per_org(shape: Shape) -> list[int]:
    counts = Counter(org for org, _ in item_slots(shape))
    return [counts[j] for j in range(shape.orgs)]


def searches(shape: Shape, count: int | None = None) -> int:
    """Search requests of one meeting: per query of up to six organisations, its items' (or discussions') pages."""
    per_org = [n for n in Counter(org for org, _ in item_slots(shape, count)).values()]
    per_org += [0] * (shape.orgs - len(per_org))
    chunks = [per_org[i:i + SCOPES_PER_QUERY] for i in range(0, shape.orgs, SCOPES_PER_QUERY)]
    return sum(max(1, math.ceil(sum(chunk) / PER_PAGE)) for chunk in chunks)


def minimum(shape: Shape) -> Minimum:
    cal = 1 if shape.calendar else 0
    return Minimum(
        search=searches(shape) * shape.meetings,
        reads=2 * shape.meetings,
        calendar=cal * shape.meetings,
        first_writes=2 * shape.meetings,
        first_calendar_writes=cal * shape.meetings,
        graphql=0 if shape.discussions is None else searches(shape, shape.discussions) * shape.meetings,
    )


def peer_agenda_reads(shape: Shape) -> int:
    """The peer's requests to collect one pass's agendas: org listings plus two listings per repository."""
    per_repo = Counter(item_slots(shape))
    total = 0
    for org in range(shape.orgs):
        repos = shape.repos_per_org + (1 if org == 0 else 0)  # the first org also holds the meeting repo
        total += math.ceil(repos / PER_PAGE)
        pages = [max(1, math.ceil(per_repo[(org, k)] / PER_PAGE)) for k in range(shape.repos_per_org)]
        total += PEER_LISTINGS_PER_REPO * (sum(pages) + (1 if org == 0 else 0))
    return total * shape.meetings


def peer_reads(shape: Shape) -> int:
    """The peer's GitHub reads of a pass, given the same two other reads per meeting as the minimum."""
    return peer_agenda_reads(shape) + 2 * shape.meetings
