"""A foundation's scale: many meetings over many organisations, one GitHub App with an installation on each.

`python -m bench.foundation [--meetings 1000] [--orgs 300] [--items 5]` builds the world once, runs a
first pass, a second (whose conditional reads of what the first wrote are answered in full, since
those writes changed them) and a re-run with nothing new (one process each, all meetings), then a re-run split into
N = 4 and 16 shards (one process per shard, one after the other, as a matrix would run them side by
side), and prints a Markdown section: requests, core quota per installation, searches, searches per
minute, wall time per pass and per shard, peak memory.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import sys
import tempfile
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from bench import measure, report
from bench.world import UNLIMITED, bot_args
from tests.doubles.github import GitHubDouble, running_github
from tests.e2e import write_meeting

APP_ID = 880088
FIRST_INSTALLATION = 10_000
ITEMS_FROM = dt.datetime(2024, 1, 1, tzinfo=dt.timezone.utc)
SHARDS = (1, 4, 16)
HOUR = 3600.0


@dataclass(frozen=True)
class Scale:
    meetings: int = 1000
    orgs: int = 300
    items: int = 5  # agenda items per meeting


@dataclass(frozen=True)
class Pass:
    """One process's run: requests by kind and the process's measures."""

    label: str
    search: int
    core: int  # GitHub REST requests that spent core quota (a 304 spends none)
    graphql: int  # GraphQL requests (their own points budget): the visibility of the items' repositories
    not_modified: int
    writes: int
    per_installation: int  # the most core quota one installation spent
    measured: measure.Measured


def _key() -> tuple[str, str]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL,
                                serialization.NoEncryption()).decode()
    public = key.public_key().public_bytes(serialization.Encoding.PEM,
                                           serialization.PublicFormat.SubjectPublicKeyInfo).decode()
    return private, public


def org(scale: Scale, meeting: int) -> str:
    return f"org{meeting % scale.orgs:03d}"


@contextlib.contextmanager
def foundation(scale: Scale, workdir: Path) -> Iterator[tuple[GitHubDouble, Path, dict[str, str]]]:
    """The double with every organisation, its App installation, repositories and agenda items; the config."""
    config = workdir / "config"
    config.mkdir(parents=True)
    private, public = _key()
    with running_github() as gh:
        gh.set_rate_limit("search", UNLIMITED)
        gh.set_rate_limit("core", UNLIMITED)
        gh.configure_app(APP_ID, public, slug="meeting-bot")
        for n in range(scale.orgs):
            name = f"org{n:03d}"
            gh.add_repo(f"{name}/meetings")
            gh.add_repo(f"{name}/project")
            gh.add_installation(FIRST_INSTALLATION + n, name)
        minute = 0
        for m in range(scale.meetings):
            label = f"agenda-{m:04d}"
            for i in range(scale.items):
                gh.add_issue(f"{org(scale, m)}/project", f"Topic {i} of meeting {m}", labels=[label],
                             created_at=ITEMS_FROM + dt.timedelta(minutes=minute))
                minute += 1
            write_meeting(config, f"g{m:04d}", name=f"Group {m}", repo=f"{org(scale, m)}/meetings",
                          agenda={"label": label, "orgs": [org(scale, m)]},
                          notes={"path": f"meetings/g{m:04d}/{{{{ date }}}}.md"})
        env = {"GITHUB_API_URL": gh.url, "GITHUB_APP_ID": str(APP_ID), "GITHUB_APP_PRIVATE_KEY": private,
               "MEETING_BOT_WRITE_INTERVAL": "0", "MEETING_BOT_CACHE_DIR": str(workdir / "cache")}
        yield gh, config, env


def tally(gh: GitHubDouble, label: str, measured: measure.Measured) -> Pass:
    rest = [e for e in gh.requests if not e.path.startswith("/app/") and not e.path.endswith("/installation")]
    search = [e for e in rest if e.path.startswith("/search/")]
    graphql = [e for e in rest if e.path == "/graphql"]
    core = [e for e in rest if not e.path.startswith("/search/") and e.path != "/graphql" and e.status != 304]
    by_installation: Counter[str] = Counter(e.path.split("/")[2] for e in core if e.path.startswith("/repos/"))
    return Pass(label, len(search), len(core), len(graphql), sum(1 for e in rest if e.status == 304),
                sum(1 for e in rest if e.is_write), max(by_installation.values(), default=0), measured)


def run_pass(gh: GitHubDouble, config: Path, env: dict[str, str], workdir: Path, label: str, *extra: str) -> Pass:
    gh.reset_log()
    measured = measure.run(measure.bot_argv(*bot_args("run", config, *extra)), measure.clean_env(**env), workdir,
                           timeout=HOUR)
    if measured.returncode != 0:
        print(measured.stderr[-2000:], file=sys.stderr)
    return tally(gh, label, measured)


def shards(gh, config, env, workdir, count: int) -> list[Pass]:
    return [run_pass(gh, config, env, workdir, f"re-run, shard {k}/{count}", "--shard", f"{k}/{count}")
            for k in range(1, count + 1)]


def measure_all(scale: Scale) -> tuple[list[Pass], dict[int, list[Pass]]]:
    with tempfile.TemporaryDirectory(prefix="bench-foundation-") as tmp, foundation(scale, Path(tmp)) as (gh, config, env):
        work = Path(tmp)
        passes = [run_pass(gh, config, env, work, "first run"),
                  run_pass(gh, config, env, work, "second run (reads back what the first wrote)"),
                  run_pass(gh, config, env, work, "re-run with nothing new")]
        split = {count: shards(gh, config, env, work, count) for count in SHARDS if count > 1}
        return passes, split


def _row(p: Pass) -> list[object]:
    minutes = max(p.measured.wall / 60, 1e-9)
    return [p.label, p.search, f"{p.search / minutes:.0f}", p.core, p.graphql, p.not_modified, p.writes, p.per_installation,
            report.secs(p.measured.wall), report.mb(p.measured.peak_kb), p.measured.returncode]


def document(scale: Scale, passes: list[Pass], split: dict[int, list[Pass]]) -> str:
    head = ["pass", "searches", "searches/min", "core quota", "GraphQL requests", "304s", "writes", "most core quota of one installation",
            "wall", "peak memory", "exit"]
    rows = [_row(p) for p in passes]
    for count, parts in split.items():
        slowest = max(parts, key=lambda p: p.measured.wall)
        rows.append(_row(slowest))
        rows[-1][0] = f"re-run in {count} shards: the slowest shard"
    lines = [
        f"## Many groups: {scale.meetings:,} meetings over {scale.orgs} organisations, {scale.items} items each",
        "",
        "One GitHub App with one installation per organisation; every meeting searches its own organisation.",
        "",
        report.table(head, rows),
        "",
        "Shards run one after the other here; in a matrix they run side by side, so an hourly pass fits when",
        "the slowest shard takes less than an hour.",
    ]
    for count, parts in split.items():
        walls = ", ".join(report.secs(p.measured.wall) for p in parts)
        lines += ["", f"- {count} shards, wall time of each: {walls}"]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.foundation", description=__doc__)
    parser.add_argument("--meetings", type=int, default=Scale.meetings)
    parser.add_argument("--orgs", type=int, default=Scale.orgs)
    parser.add_argument("--items", type=int, default=Scale.items)
    args = parser.parse_args(argv)
    scale = Scale(args.meetings, args.orgs, args.items)
    passes, split = measure_all(scale)
    print(document(scale, passes, split))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
