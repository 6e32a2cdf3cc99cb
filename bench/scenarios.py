"""The matrix: each shape run twice by the real command, a first run and a re-run with nothing new."""

from __future__ import annotations

import re
import tempfile
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from bench import measure
from bench.minimum import Minimum, minimum, peer_reads
from bench.world import Shape, World, bot_args, world

FULL = (
    Shape(10), Shape(100), Shape(1000), Shape(5000),
    Shape(100, orgs=5), Shape(100, orgs=20),
    Shape(100, meetings=10), Shape(100, meetings=50),
    Shape(100, calendar=True), Shape(100, meetings=10, calendar=True),
    Shape(100, busy=1000),
    Shape(100, discussions=0), Shape(100, discussions=250), Shape(100, orgs=5, discussions=500),
    Shape(100, discussions=1500),
)
PATH_PATTERNS = (
    (r"/contents/.*$", "/contents/{path}"),
    (r"^/repos/[^/]+/[^/]+", "/repos/{owner}/{repo}"),
    (r"/issues/\d+", "/issues/{number}"),
)
QUICK = (Shape(10), Shape(100), Shape(1000), Shape(100, orgs=5), Shape(100, meetings=10), Shape(100, calendar=True),
         Shape(100, discussions=250))


@dataclass(frozen=True)
class Requests:
    """What one run asked of the doubles, by kind."""

    search: int
    reads: int  # GitHub reads other than search
    writes: int
    calendar_reads: int
    calendar_writes: int
    tokens: int  # OAuth token exchanges with Google
    kinds: tuple[tuple[str, int], ...]  # every request by method and path pattern, GitHub's then Google's
    graphql: int = 0  # GitHub GraphQL requests (the discussion search)
    graphql_cost: int = 0  # their cost in GraphQL rate-limit points, as GitHub's rateLimit reported it

    @property
    def github(self) -> int:
        return self.search + self.reads


@dataclass(frozen=True)
class Run:
    requests: Requests
    measured: measure.Measured


@dataclass(frozen=True)
class Result:
    shape: Shape
    minimum: Minimum
    peer: int
    first: Run
    rerun: Run
    rerun_walls: tuple[float, ...]
    steady: bool  # every re-run asked the same


def kind(exchange) -> str:
    """`GET /repos/{owner}/{repo}/issues`, or the Calendar method id such as `calendar.events.list`."""
    if getattr(exchange, "api_method", None):
        return exchange.api_method
    if exchange.path.endswith("/graphql"):
        return GRAPHQL_SEARCH if is_discussion_search(exchange) else GRAPHQL_VISIBILITY
    path = exchange.path
    for pattern, replacement in PATH_PATTERNS:
        path = re.sub(pattern, replacement, path)
    return f"{exchange.method} {path}"


GRAPHQL_SEARCH = "POST /graphql (discussion search)"
GRAPHQL_VISIBILITY = "POST /graphql (repositories' visibility)"


def is_discussion_search(exchange) -> bool:
    """A GraphQL request of the discussion search (the other GraphQL request asks repositories' visibility)."""
    body = exchange.body if isinstance(exchange.body, dict) else {}
    return exchange.path.endswith("/graphql") and "search(" in str(body.get("query") or "")


def _cost(exchange) -> int:
    data = exchange.response.get("data") if isinstance(exchange.response, dict) else None
    return int(((data or {}).get("rateLimit") or {}).get("cost") or 0)


def tally(w: World) -> Requests:
    gh = w.github.requests
    google = w.calendar.requests if w.calendar is not None else []
    search = sum(1 for e in gh if e.method == "GET" and e.path.startswith("/search/"))
    graphql = [e for e in gh if is_discussion_search(e)]  # the visibility request counts among the reads
    writes = sum(1 for e in gh if e.is_write)
    cal = [e for e in google if e.api_method]
    cal_writes = sum(1 for e in cal if e.is_write)
    kinds = tuple(Counter(kind(e) for e in gh).items()) + tuple(Counter(kind(e) for e in google).items())
    return Requests(search, len(gh) - search - len(graphql) - writes, writes, len(cal) - cal_writes, cal_writes,
                    len(google) - len(cal), kinds, len(graphql), sum(_cost(e) for e in graphql))


def _once(w: World, workdir: Path, timeout: float) -> Run:
    w.reset_logs()
    env = measure.clean_env(**w.env)
    done = measure.run(measure.bot_argv(*bot_args("run", w.config)), env, workdir, timeout)
    return Run(tally(w), done)


def run_shape(shape: Shape, repeat: int, timeout: float = 300) -> Result:
    """The first run, then `repeat` re-runs with nothing new; the re-run of median wall time is kept."""
    with tempfile.TemporaryDirectory(prefix="meeting-bot-bench-") as tmp, world(shape, Path(tmp)) as w:
        first = _once(w, Path(tmp), timeout)
        reruns = [_once(w, Path(tmp), timeout) for _ in range(repeat)]
    median = measure.median_of([r.measured for r in reruns])
    rerun = next(r for r in reruns if r.measured is median)
    steady = len({r.requests for r in reruns}) == 1
    walls = tuple(r.measured.wall for r in reruns)
    return Result(shape, minimum(shape), peer_reads(shape), first, rerun, walls, steady)
