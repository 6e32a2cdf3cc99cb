"""`python -m bench [--quick]`: run the matrix, start-up and worker benchmarks; write bench/RESULTS.md."""

from __future__ import annotations

import argparse
import dataclasses
import importlib.metadata
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

if __package__ in (None, ""):  # started as a file, `python bench/run.py`: make the repository importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import after, report, scenarios, startup, worker
from bench.document import document
from bench.measure import ROOT

RESULTS = Path(__file__).resolve().with_name("RESULTS.md")
PACKAGES = ("PyGithub", "google-api-python-client", "google-auth", "Jinja2")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    add = parser.add_argument
    add("--quick", action="store_true", help="a smaller matrix, fewer runs and passes (about 30 s)")
    add("--repos-per-org", type=int, default=30, help="repositories per organisation, which the peer lists (30)")
    add("--repeat", type=int, help="re-runs per shape, the median kept (3; --quick 1)")
    add("--startup-runs", type=int, help="runs per start-up command, the median kept (7; --quick 3)")
    add("--passes", type=int, help="worker passes for the memory figure (200; --quick 50)")
    add("--every", default="100ms", help="worker interval for the memory passes (100ms)")
    add("--idle-seconds", type=float, help="idle window for the worker's CPU figure (5; --quick 2)")
    add("--output", help="where to write the results (bench/RESULTS.md; --quick: stdout only)")
    args = parser.parse_args(argv)
    defaults = (1, 3, 50, 2.0) if args.quick else (3, 7, 200, 5.0)
    for name, default in zip(("repeat", "startup_runs", "passes", "idle_seconds"), defaults):
        if getattr(args, name) is None:
            setattr(args, name, default)
    if args.output is None and not args.quick:
        args.output = str(RESULTS)
    return args


def _first(path: str, prefix: str) -> str:
    try:
        lines = Path(path).read_text().splitlines()
    except OSError:
        return "unknown"
    return next((line.split(":", 1)[1].strip() for line in lines if line.startswith(prefix)), "unknown")


def _memory() -> str:
    total = _first("/proc/meminfo", "MemTotal")
    return f"{int(total.split()[0]) / 1024 ** 2:.1f} GB" if total.endswith("kB") else total


def _git() -> str:
    def git(*args: str) -> str:
        return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True).stdout.strip()

    commit = git("rev-parse", "--short", "HEAD") or "unknown"
    return commit + (" with uncommitted changes" if git("status", "--porcelain", "--untracked-files=no") else "")


def machine(load_before: tuple[float, ...]) -> str:
    versions = []
    for name in PACKAGES:
        try:
            versions.append(f"{name} {importlib.metadata.version(name)}")
        except importlib.metadata.PackageNotFoundError:
            pass
    rows = [
        ["CPU", f"{_first('/proc/cpuinfo', 'model name')}, {os.cpu_count()} logical cores"],
        ["memory", _memory()],
        ["system", platform.platform()],
        ["Python", f"{platform.python_implementation()} {platform.python_version()}"],
        ["libraries", ", ".join(versions)],
        ["load average (1, 5, 15 min)", "before " + ", ".join(f"{x:.2f}" for x in load_before)
         + "; after " + ", ".join(f"{x:.2f}" for x in os.getloadavg())],
        ["meeting-bot", f"commit {_git()}"],
    ]
    return report.table(["", ""], rows)


def _progress(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def run_matrix(args) -> list[scenarios.Result]:
    shapes = scenarios.QUICK if args.quick else scenarios.FULL
    results = []
    for n, shape in enumerate(shapes, 1):
        shape = dataclasses.replace(shape, repos_per_org=args.repos_per_org)
        start = time.perf_counter()
        results.append(scenarios.run_shape(shape, args.repeat))
        _progress(f"[{n}/{len(shapes)}] {shape.label}: {time.perf_counter() - start:.1f} s")
    return results


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    load_before, start = os.getloadavg(), time.perf_counter()
    results = run_matrix(args)
    _progress("after the meeting ...")
    steps = after.after_results()
    _progress("start-up ...")
    startups = startup.all_startups(args.startup_runs)
    _progress(f"worker: {args.passes} passes every {args.every} ...")
    mem = worker.memory(args.passes, args.every)
    idle = worker.idle(args.idle_seconds)
    text = document(args, time.perf_counter() - start, results, startups, mem, idle, machine(load_before), steps)
    if args.output:
        Path(args.output).write_text(text, encoding="utf-8")
        _progress(f"wrote {args.output}")
    print(text if not args.output else text.split("## API economy")[0])
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
