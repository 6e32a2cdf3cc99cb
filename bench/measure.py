"""Running one process and measuring it: wall time, peak resident memory, CPU time, exit code."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GUARD_DIR = ROOT / "tests" / "guard"
SPAWN = Path(__file__).resolve().with_name("spawn.py")
TIMED_OUT = {"wall": float("nan"), "peak_kb": 0, "cpu": float("nan"), "returncode": -9}


@dataclass(frozen=True)
class Measured:
    """One finished process."""

    wall: float  # seconds, from start to exit
    peak_kb: int  # peak resident set size (ru_maxrss of this child alone)
    cpu: float  # user + system seconds
    returncode: int
    stdout: str
    stderr: str


def clean_env(guard: bool = True, **extra: str) -> dict[str, str]:
    """No inherited credentials; with `guard`, the loopback guard of the tests is preloaded."""
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LANG": "C.UTF-8", "HOME": tempfile.gettempdir()}
    if guard:
        env["PYTHONPATH"] = os.pathsep.join([str(GUARD_DIR), str(ROOT)])
    return {**env, **extra}


def bot_argv(*args: str) -> list[str]:
    return [sys.executable, "-m", "bot", *args]


def run(argv: list[str], env: dict, cwd: Path, timeout: float = 300) -> Measured:
    """Run `argv` to its end through the small `spawn.py` helper, which reports the child's own rusage."""
    with tempfile.TemporaryDirectory(prefix="bench-spawn-") as tmp:
        result = Path(tmp) / "rusage.json"
        out, err = Path(tmp) / "stdout", Path(tmp) / "stderr"
        helper = [sys.executable, "-I", "-S", str(SPAWN), str(result), *argv]
        with out.open("w") as stdout, err.open("w") as stderr:
            proc = subprocess.Popen(helper, env=env, cwd=cwd, stdout=stdout, stderr=stderr,
                                    stdin=subprocess.DEVNULL, start_new_session=True)
            try:
                proc.wait(timeout)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
        usage = json.loads(result.read_text()) if result.exists() else TIMED_OUT
        return Measured(usage["wall"], usage["peak_kb"], usage["cpu"], usage["returncode"],
                        out.read_text(), err.read_text())


def median_of(runs: list[Measured]) -> Measured:
    """The run of median wall time (its memory and CPU with it)."""
    ordered = sorted(runs, key=lambda m: m.wall)
    return ordered[len(ordered) // 2]


def spread(runs: list[Measured]) -> tuple[float, float]:
    """Smallest and largest wall time."""
    walls = [m.wall for m in runs]
    return min(walls), max(walls)

