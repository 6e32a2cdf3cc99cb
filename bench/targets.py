"""The issue's targets, each checked against the figures: met, MISSED, or not measured in this run."""

from __future__ import annotations

from typing import Sequence

from bench.report import mb, ms, secs, table
from bench.scenarios import Result
from bench.startup import Startup
from bench.worker import Idle, Memory
from bench.world import Shape

MET, MISSED, NOT_MEASURED = "met", "**MISSED**", "not measured"
BIG_PASS = Shape(100, meetings=50)
PASS_LIMIT = 10.0  # seconds, one pass over BIG_PASS against the local doubles
HELP_LIMIT = 0.300
MEMORY_PASSES = 200
MEMORY_LIMIT_KB = 5 * 1024
IDLE_LIMIT_PERCENT = 0.1
CAP = 1000  # GitHub's results a query; each continuation past it re-reads the boundary's result


def _status(ok: bool) -> str:
    return MET if ok else MISSED


def rerun_at_minimum(results: Sequence[Result]) -> tuple[str, str]:
    worst = max(results, key=lambda r: r.rerun.requests.github / r.minimum.github)
    off = [r for r in results if r.rerun.requests.github != r.minimum.github
           or r.rerun.requests.calendar_reads != r.minimum.calendar]
    writes = sum(r.rerun.requests.writes + r.rerun.requests.calendar_writes for r in results)
    text = (f"{len(results) - len(off)} of {len(results)} shapes at ratio 1.00; highest "
            f"{worst.rerun.requests.github / worst.minimum.github:.2f} ({worst.shape.label}); {writes} writes")
    return text, _status(not off and writes == 0)


def discussions_per_hundred(results: Sequence[Result]) -> tuple[str, str]:
    """One GraphQL request per 100 discussions a query (plus one per continuation past the cap); none when off."""
    on = [r for r in results if r.shape.discussions is not None]
    off_sent = sum(r.first.requests.graphql + r.rerun.requests.graphql for r in results if r.shape.discussions is None)
    if not on:
        return f"no shape with discussions in this matrix; {off_sent} GraphQL requests with them off", NOT_MEASURED
    def allowed(r: Result) -> int:
        return r.minimum.graphql + (r.shape.discussions or 0) // CAP * r.shape.meetings

    over = [r for r in on if max(r.first.requests.graphql, r.rerun.requests.graphql) > allowed(r)]
    text = (f"{len(on) - len(over)} of {len(on)} shapes within; "
            f"{off_sent} GraphQL requests in {len(results) - len(on)} shapes with discussions off")
    return text, _status(not over and off_sent == 0)


def first_within(results: Sequence[Result]) -> tuple[str, str]:
    over = [r for r in results if r.first.requests.github > r.minimum.github
            or r.first.requests.calendar_reads > r.minimum.calendar]
    extra_writes = [r for r in results if r.first.requests.writes > r.minimum.first_writes
                    or r.first.requests.calendar_writes > r.minimum.first_calendar_writes]
    extra = [(r.first.requests.github - r.minimum.github) / r.shape.meetings for r in over]
    text = (f"reads above the minimum in {len(over)} of {len(results)} shapes"
            + (f" (+{min(extra):g} to +{max(extra):g} GitHub reads per meeting)" if over else "")
            + f"; writes above the minimum in {len(extra_writes)}")
    return text, _status(not over and not extra_writes)


def big_pass(results: Sequence[Result]) -> tuple[str, str]:
    found = [r for r in results if r.shape.items == BIG_PASS.items and r.shape.meetings == BIG_PASS.meetings
             and r.shape.orgs == 1 and not r.shape.calendar and not r.shape.busy]
    if not found:
        return "the shape is not in this matrix (--quick)", NOT_MEASURED
    first, rerun = found[0].first.measured, found[0].rerun.measured
    ok = max(first.wall, rerun.wall) < PASS_LIMIT and first.returncode == rerun.returncode == 0
    return f"first run {secs(first.wall)}, re-run {secs(rerun.wall)}", _status(ok)


def help_speed(startups: Sequence[Startup]) -> tuple[str, str]:
    (found,) = [s for s in startups if s.name == "meeting-bot --help"]
    return f"median {ms(found.median.wall)} of {found.runs} runs", _status(found.median.wall < HELP_LIMIT and found.ok)


def clients_not_loaded(startups: Sequence[Startup]) -> tuple[str, str]:
    bot = [s for s in startups if s.name.startswith("meeting-bot")]
    loading = [s.name for s in bot if s.loads_clients]
    text = ("loaded by " + ", ".join(loading)) if loading else "neither loads github nor googleapiclient"
    return text, _status(not loading)


def memory_flat(mem: Memory) -> tuple[str, str]:
    n = len(mem.rss_kb)
    if n < MEMORY_PASSES:
        return f"only {n} passes in this run", NOT_MEASURED
    growth = mem.after(MEMORY_PASSES) - mem.after(1)
    return f"{mb(mem.after(1))} → {mb(mem.after(MEMORY_PASSES))} (+{mb(growth)})", _status(growth <= MEMORY_LIMIT_KB)


def idle_cpu(idle: Idle) -> tuple[str, str]:
    return f"{idle.percent:.3f} % of one core", _status(idle.percent <= IDLE_LIMIT_PERCENT)


def targets_table(results, startups, mem: Memory, idle: Idle) -> str:
    checks = [
        ("re-run with nothing new at the minimum (ratio 1.0), zero writes", rerun_at_minimum(results)),
        ("first run within the minimum plus the writes", first_within(results)),
        ("discussions: one GraphQL request per 100 a query (+1 per 1,000-result window), none when off",
         discussions_per_hundred(results)),
        (f"one pass over 50 meetings × 100 items under {PASS_LIMIT:.0f} s (local doubles)", big_pass(results)),
        (f"`meeting-bot --help` under {ms(HELP_LIMIT)}", help_speed(startups)),
        ("GitHub and Google clients not imported by `--help` and `check`", clients_not_loaded(startups)),
        (f"worker memory flat within {mb(MEMORY_LIMIT_KB)} over {MEMORY_PASSES} passes", memory_flat(mem)),
        (f"CPU while idle near zero (≤ {IDLE_LIMIT_PERCENT} %)", idle_cpu(idle)),
    ]
    return table(["target", "measured", "status"], [[t, m, s] for t, (m, s) in checks])
