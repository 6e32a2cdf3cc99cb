"""After the meeting in the bench: the requests its steps cost per occurrence, and a re-run once they are done.

Each case is one meeting (100 agenda items) in fresh doubles. `made` creates the previous occurrence's
artifacts inside its window; `due` is a pass after its `after_hours` (the steps run, and the next
occurrence is made); a person merges the archive pull request, if any; a settling pass (it records
the merge, and refreshes the next agenda after labels were removed); then a re-run with nothing new,
whose requests are compared with the baseline's re-run. The baseline is the same meeting without a
previous occurrence, run at the same moment: the pass that makes the next occurrence, and its re-run.
"""

from __future__ import annotations

import contextlib
import tempfile
from dataclasses import dataclass
from pathlib import Path

from bench import measure
from bench.world import Shape, World, bot_args, meeting_repo, world
from tests.doubles.hackmd import DEFAULT_TOKEN as HACKMD_TOKEN, HackMDDouble
from tests.e2e import NOW, write_meeting

MADE = "2024-02-29T12:00:00Z"  # inside the window of the 2024-03-04 occurrence, which ended 44 h before NOW
TEAM = "bench-team"
CASES = {
    "repo notes: close": {},
    "HackMD: archive pull request (merged by a person), close": {"notes": {"provider": "hackmd", "hackmd_team": TEAM}},
    "HackMD: archive commit, close": {"notes": {"provider": "hackmd", "hackmd_team": TEAM},
                                      "after": {"archive": "commit"}},
    "repo notes: remove_label, close": {"after": {"remove_label": True}},
}


@dataclass(frozen=True)
class Count:
    github_reads: int
    github_writes: int
    hackmd: int

    def __sub__(self, other: "Count") -> "Count":
        return Count(self.github_reads - other.github_reads, self.github_writes - other.github_writes,
                     self.hackmd - other.hackmd)

    def __add__(self, other: "Count") -> "Count":
        return Count(self.github_reads + other.github_reads, self.github_writes + other.github_writes,
                     self.hackmd + other.hackmd)

    def __str__(self) -> str:
        return f"{self.github_reads} + {self.github_writes} w" + (f", HackMD {self.hackmd}" if self.hackmd else "")


@dataclass(frozen=True)
class AfterResult:
    case: str
    steps: Count  # what the passes with the steps sent beyond the baseline's passes
    rerun: Count
    baseline_rerun: Count


def _count(w: World, md: HackMDDouble | None) -> Count:
    gh = w.github.requests
    writes = sum(1 for e in gh if e.is_write)
    return Count(len(gh) - writes, writes, len(md.requests) if md is not None else 0)


def _run(w: World, md: HackMDDouble | None, workdir: Path, now: str) -> Count:
    w.github.reset_log()
    if md is not None:
        md.reset_log()
    env = measure.clean_env(**w.env, **({"HACKMD_API_URL": md.url, "HACKMD_TOKEN": HACKMD_TOKEN} if md else {}))
    argv = bot_args("run", w.config)
    argv[argv.index("--now") + 1] = now
    done = measure.run(measure.bot_argv(*argv), env, workdir, 300)
    if done.returncode != 0:
        raise RuntimeError(f"meeting-bot run failed at {now}: {done.stderr.strip()[-500:]}")
    return _count(w, md)


@contextlib.contextmanager
def _world(changes: dict, tmp: Path):
    with world(Shape(100), tmp) as w, (HackMDDouble() if "notes" in changes else contextlib.nullcontext()) as md:
        repo = meeting_repo(Shape(100), 0)
        w.github.put_file(repo, "README.md", "meetings\n")
        if md is not None:
            md.add_team(TEAM)
        write_meeting(w.config, "m00", repo=repo, agenda={"label": "agenda-00", "orgs": ["m00-org00"]}, **changes)
        yield w, md


def measure_case(case: str) -> AfterResult:
    changes = CASES[case]
    with tempfile.TemporaryDirectory(prefix="meeting-bot-bench-") as tmp, _world(changes, Path(tmp)) as (w, md):
        _run(w, md, Path(tmp), MADE)
        due = _run(w, md, Path(tmp), NOW)
        for pull in w.github.pulls(meeting_repo(Shape(100), 0)):
            w.github.merge_pull(meeting_repo(Shape(100), 0), pull["number"])  # a person merges the minutes
        settle = _run(w, md, Path(tmp), NOW)  # records the merge; the next agenda follows removed labels
        rerun = _run(w, md, Path(tmp), NOW)
    with tempfile.TemporaryDirectory(prefix="meeting-bot-bench-") as tmp, _world(changes, Path(tmp)) as (w, md):
        first = _run(w, md, Path(tmp), NOW)
        baseline = _run(w, md, Path(tmp), NOW)
    return AfterResult(case, due - first + (settle - baseline), rerun, baseline)


def after_results() -> list[AfterResult]:
    return [measure_case(case) for case in CASES]


def after_table(results: list[AfterResult]) -> str:
    from bench.report import table

    rows = [[r.case, str(r.steps), str(r.rerun), str(r.baseline_rerun),
             "same" if r.rerun == r.baseline_rerun else "**differs**"] for r in results]
    return table(["case", "the steps, per occurrence", "re-run once done", "re-run without a previous meeting",
                  "re-run cost"], rows)
