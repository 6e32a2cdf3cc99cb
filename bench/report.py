"""RESULTS.md: the machine, the targets, and every figure beside its minimum and the peer's count."""

from __future__ import annotations

import math
from typing import Iterable, Sequence

from bench.scenarios import Result
from bench.startup import Startup
from bench.worker import Idle, Memory

CORE_PER_HOUR = 5000  # a token or GitHub App installation
ACTIONS_PER_HOUR = 1000  # GitHub Actions' GITHUB_TOKEN, per repository, shared with every workflow there
SEARCH_PER_MINUTE = 30
UNSTEADY = " ⚠"
UNSTEADY_NOTE = "\n\n⚠ The re-runs of this shape did not all send the same requests; the median one is shown."


def table(head: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    lines = ["| " + " | ".join(head) + " |", "|" + "|".join("---" for _ in head) + "|"]
    lines += ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows]
    return "\n".join(lines)


def ratio(measured: int, minimum: int) -> str:
    return f"{measured / minimum:.2f}" if minimum else ("1.00" if measured == 0 else "∞")


def mb(kb: int) -> str:
    return f"{kb / 1024:.1f} MB"


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.0f} ms"


def secs(seconds: float) -> str:
    return f"{seconds:.2f} s"


def versus(measured: int, minimum: int) -> str:
    return f"{measured} ({minimum})"


def _phase_table(results: Sequence[Result], phase: str, head: Sequence[str], cells) -> str:
    """One row per shape: its label, then `cells(result, requests, minimum)` of the first run or the re-run."""
    mark = (lambda r: "" if r.steady else UNSTEADY) if phase == "rerun" else (lambda r: "")
    rows = [[r.shape.label + mark(r), *cells(r, getattr(r, phase).requests, r.minimum)] for r in results]
    return table(["shape", *head], rows)


def rerun_table(results: Sequence[Result]) -> str:
    head = ["search (min)", "other reads (min)", "writes", "Calendar reads (min)", "GitHub reads ÷ min",
            "peer reads", "peer ÷ ours"]
    return _phase_table(results, "rerun", head, lambda r, q, m: [
        versus(q.search, m.search), versus(q.reads, m.reads), q.writes + q.calendar_writes,
        versus(q.calendar_reads, m.calendar), ratio(q.github, m.github), f"{r.peer:,}",
        f"{r.peer / q.github:.0f}×" if q.github else "–"]) + UNSTEADY_NOTE * any(not r.steady for r in results)


def first_table(results: Sequence[Result]) -> str:
    head = ["search (min)", "other reads (min)", "writes (min)", "Calendar reads (min)", "Calendar writes (min)",
            "Google tokens", "GitHub reads ÷ min"]
    return _phase_table(results, "first", head, lambda r, q, m: [
        versus(q.search, m.search), versus(q.reads, m.reads), versus(q.writes, m.first_writes),
        versus(q.calendar_reads, m.calendar), versus(q.calendar_writes, m.first_calendar_writes), q.tokens,
        ratio(q.github, m.github)])

KIND_MEANING = {
    "GET /search/issues": "agenda search, 100 items a page",
    "GET /repos/{owner}/{repo}/issues": "the meeting repository's issues, newest first: finding the bot's own by its key",
    "GET /repos/{owner}/{repo}/contents/{path}": "reading the notes file",
    "GET /repos/{owner}/{repo}/commits": "who created the notes file: its path's oldest commit, once per process",
    "GET /repos/{owner}/{repo}": "the repository: the credentials' permissions, checked before the first write",
    "POST /graphql (repositories' visibility)": "the visibility of the repositories with items, up to 100 in one request, once per process",
    "POST /graphql (discussion search)": "the discussion search, 100 discussions a page",
    "POST /repos/{owner}/{repo}/issues": "creating the meeting issue",
    "PATCH /repos/{owner}/{repo}/issues/{number}": "updating the meeting issue",
    "PUT /repos/{owner}/{repo}/contents/{path}": "committing the notes file",
    "POST /token": "Google: the service account's access token",
    "calendar.events.list": "Google: the bot's events of the meeting",
    "calendar.events.insert": "Google: creating the event",
    "calendar.events.patch": "Google: updating the event",
}


def _totals(results: Sequence[Result], phase: str) -> dict[str, int]:
    totals: dict[str, int] = {}
    for r in results:
        for name, count in getattr(r, phase).requests.kinds:
            totals[name] = totals.get(name, 0) + count
    return totals


def kinds_table(results: Sequence[Result]) -> str:
    first, rerun = _totals(results, "first"), _totals(results, "rerun")
    names = sorted(set(first) | set(rerun), key=lambda n: (n.startswith(("POST /token", "calendar")), n))
    rows = [[f"`{n}`", KIND_MEANING.get(n, "?"), first.get(n, 0), rerun.get(n, 0)] for n in names]
    return table(["request", "what for", "all first runs", "all re-runs"], rows)


# Why a run reads more than the minimum, by request kind (and phase, where it only happens there).
WHY = {
    ("first", "GET /repos/{owner}/{repo}"): "before its first write the bot reads the meeting repository for the "
    "credentials' permissions, to refuse with the fix rather than fail half-way (`bot/apply.py`, `preflight`)",
    ("first", "GET /repos/{owner}/{repo}/issues"): "after creating the issue the bot lists the issues once more, to find "
    "one a concurrent run created at the same moment (`bot/runner.py`, `_apply_round`)",
    ("", "GET /repos/{owner}/{repo}/issues"): "the bot finds its issue by listing the meeting repository's issues created "
    "since 400 days before the window opened (`SEARCH_HORIZON_DAYS`), newest first, 100 a page: every other issue "
    "created in that time costs a hundredth of a request",
    ("rerun", "GET /repos/{owner}/{repo}/commits"): "a notes file carrying the bot's key is the bot's only if "
    "its identity created it: a new process asks once per file (one request up to 100 commits on the path, "
    "304 with MEETING_BOT_CACHE_DIR); the first run created the file and needs no check "
    "(`bot/adapters/file_creators.py`)",
    ("", "GET /search/issues"): "past GitHub's 1,000 results a query continues with `created:>=` the last item's time, "
    "so each continuation repeats one item and advances 999: 5,000 items take 6 windows and 51 pages, not 50 "
    "(the price of never losing items created in the same second)",
}
READS_PER_MEETING = ("GET /repos/{owner}/{repo}/issues", "GET /repos/{owner}/{repo}/contents/{path}")


def extra_reads(r: Result, phase: str) -> dict[str, int]:
    """The reads of a run beyond what the minimum expects of each kind."""
    expected = {"GET /search/issues": r.minimum.search, "calendar.events.list": r.minimum.calendar}
    expected.update({kind: r.shape.meetings for kind in READS_PER_MEETING})
    kinds = getattr(r, phase).requests.kinds
    extra = {n: c - expected.get(n, 0) for n, c in kinds if n.startswith("GET ") or n == "calendar.events.list"}
    return {n: c for n, c in extra.items() if c > 0}


def _why_keys(r: Result, phase: str, kind: str, extra: int) -> list[tuple[str, str]]:
    """The reason proper to the phase, and the general one unless the phase's reason covers all of `extra`."""
    keys = [(phase, kind)] if (phase, kind) in WHY else []
    if (not keys or extra > r.shape.meetings) and ("", kind) in WHY:
        keys.append(("", kind))
    return keys


def beyond_minimum(results: Sequence[Result]) -> str:
    """One line per run that read more than the minimum, with what it read on top, then why."""
    lines, why = [], {}
    for r in results:
        for phase in ("first", "rerun"):
            extra = extra_reads(r, phase)
            if extra:
                name = "first run" if phase == "first" else "re-run"
                lines.append(f"- {r.shape.label}, {name}: " + ", ".join(f"+{c} `{n}`" for n, c in extra.items()))
                why.update({key: WHY[key] for n, c in extra.items() for key in _why_keys(r, phase, n, c)})
    if not lines:
        return "None: every run read exactly the minimum."
    reasons = [f"- `{kind}`{' on a first run' if phase == 'first' else ''}: {text}" for (phase, kind), text in why.items()]
    return "\n".join(lines) + "\n\nWhy:\n\n" + "\n".join(reasons)


def search_wait(searches: int) -> str:
    """The least time a pass waits on GitHub's 30 searches a minute."""
    minutes = math.ceil(searches / SEARCH_PER_MINUTE) - 1
    return f"≥ {minutes} min" if minutes > 0 else "none"


def quota_table(results: Sequence[Result]) -> str:
    head = ["shape", "core requests a pass", "hourly: % of 5,000/h", "hourly: % of GITHUB_TOKEN 1,000/h",
            "searches a pass", "search-limit wait", "peer core requests", "peer: % of 1,000/h"]
    rows = []
    for r in results:
        q = r.rerun.requests
        core = q.reads + q.writes
        rows.append([r.shape.label, core, f"{100 * core / CORE_PER_HOUR:.2f} %", f"{100 * core / ACTIONS_PER_HOUR:.1f} %",
                     q.search, search_wait(q.search), f"{r.peer:,}",
                     f"{100 * r.peer / ACTIONS_PER_HOUR:.0f} %"])
    return table(head, rows)


def timing_table(results: Sequence[Result]) -> str:
    head = ["shape", "first run", "re-run (median)", "re-run range", "peak RSS first", "peak RSS re-run",
            "CPU re-run", "exit codes"]
    rows = []
    for r in results:
        f, m = r.first.measured, r.rerun.measured
        rows.append([r.shape.label, secs(f.wall), secs(m.wall), f"{secs(min(r.rerun_walls))}–{secs(max(r.rerun_walls))}",
                     mb(f.peak_kb), mb(m.peak_kb), secs(m.cpu), f"{f.returncode}, {m.returncode}"])
    return table(head, rows)


def startup_table(startups: Sequence[Startup]) -> str:
    head = ["command", "median wall", "fastest–slowest", "peak RSS", "heavy modules imported", "import time"]
    rows = [[s.name, ms(s.median.wall), f"{ms(s.fastest)}–{ms(s.slowest)}", mb(s.median.peak_kb),
             ", ".join(s.imported) or "none", ms(s.import_ms / 1000)] for s in startups]
    return table(head, rows)


def worker_table(mem: Memory, idle: Idle) -> str:
    n = len(mem.rss_kb)
    marks = [p for p in (1, 10, 50, 100, 150, 200, 500, 1000) if p < n] + [n]
    quarter = max(1, n // 4)
    per_pass = (mem.after(n) - mem.after(quarter)) / max(1, n - quarter)
    stopped = "killed: no exit within 30 s" if mem.exit_code is None else mem.exit_code
    rows = [[f"VmRSS after pass {p}", mb(mem.after(p))] for p in marks]
    rows += [[f"growth, pass 1 → {n}", mb(mem.after(n) - mem.after(1))],
             [f"growth per pass, pass {quarter} → {n}", f"{per_pass:.1f} kB"],
             ["VmHWM (peak) at the end", mb(mem.hwm_kb)],
             [f"{n} passes every {mem.every}", secs(mem.seconds)],
             ["exit code after SIGTERM", stopped],
             [f"CPU while idle ({idle.window:.0f} s window, --every 1h)",
              f"{idle.cpu_seconds * 1000:.1f} ms ({idle.percent:.3f} %)"],
             ["context switches while idle", idle.wakeups],
             ["VmRSS while idle", mb(idle.rss_kb)]]
    return table(["measure", "value"], rows)


def discussions_table(results: Sequence[Result]) -> str:
    """GraphQL requests and points of each run beside the minimum: one request per 100 discussions, none when off."""
    rows = []
    for r in results:
        first, rerun, wanted = r.first.requests, r.rerun.requests, r.minimum.graphql
        on = r.shape.discussions is not None
        rows.append([r.shape.label, "on" if on else "off", versus(first.graphql, wanted), versus(rerun.graphql, wanted),
                     rerun.graphql_cost, f"{rerun.search} + {rerun.reads}"])
    head = ["shape", "discussions", "GraphQL first run (min)", "GraphQL re-run (min)", "points a re-run",
            "REST search + reads a re-run"]
    return table(head, rows)
