"""The always-on worker: resident memory over many passes, and CPU while idle between passes."""

from __future__ import annotations

import contextlib
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from bench import measure
from bench.world import Shape, World, bot_args, world
from bot.commands import PASS_SUMMARY

PASS_DONE = re.compile(re.escape(PASS_SUMMARY).replace(r"\{ok\}", r"\d+").replace(r"\{failed\}", r"\d+"))
# The real CLI with one change: --every also takes milliseconds ("100ms"), so 200 passes take seconds.
FAST_LAUNCHER = """
import datetime as dt, sys
import bot.timefmt as timefmt
real = timefmt.parse_duration
timefmt.parse_duration = lambda text: (dt.timedelta(milliseconds=int(text[:-2])) if text.endswith("ms") else real(text))
from bot.cli import main
sys.exit(main())
"""
SHAPE = Shape(100)  # one meeting, 100 agenda items, one organisation


@dataclass(frozen=True)
class Memory:
    every: str
    rss_kb: tuple[int, ...]  # VmRSS right after each pass
    hwm_kb: int  # VmHWM at the end
    seconds: float
    exit_code: int | None

    def after(self, n: int) -> int:
        return self.rss_kb[n - 1]


@dataclass(frozen=True)
class Idle:
    window: float
    cpu_seconds: float
    wakeups: int  # context switches of all the worker's threads during the window
    rss_kb: int

    @property
    def percent(self) -> float:
        return 100 * self.cpu_seconds / self.window


def status(pid: int, field: str) -> int:
    """A `kB` or count field of /proc/PID/status."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise KeyError(field)


def cpu_and_switches(pid: int) -> tuple[float, int]:
    """On-CPU time (ns precision, /proc/PID/task/*/schedstat) and context switches, over all threads."""
    cpu, switches = 0.0, 0
    for task in Path(f"/proc/{pid}/task").iterdir():
        cpu += int((task / "schedstat").read_text().split()[0]) / 1e9
        text = (task / "status").read_text()
        switches += sum(int(n) for n in re.findall(r"ctxt_switches:\s+(\d+)", text))
    return cpu, switches


class _Passes:
    """Reads the worker's log and samples its memory each time a pass ends."""

    def __init__(self, proc: subprocess.Popen) -> None:
        self.proc, self.rss = proc, []
        self.changed = threading.Condition()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        for line in self.proc.stderr:
            if PASS_DONE.search(line):
                with self.changed, contextlib.suppress(OSError, KeyError):  # gone: the worker has exited
                    self.rss.append(status(self.proc.pid, "VmRSS"))
                    self.changed.notify_all()
        with self.changed:
            self.changed.notify_all()

    def wait_for(self, count: int, timeout: float) -> bool:
        with self.changed:
            return self.changed.wait_for(lambda: len(self.rss) >= count or self.proc.poll() is not None, timeout)


def _start(w: World, workdir: Path, every: str, fast: bool) -> subprocess.Popen:
    args = bot_args("worker", w.config, "--every", every)
    argv = [sys.executable, "-c", FAST_LAUNCHER, *args] if fast else measure.bot_argv(*args)
    return subprocess.Popen(argv, env=measure.clean_env(**w.env), cwd=workdir, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True)


def _stop(proc: subprocess.Popen) -> int | None:
    proc.send_signal(signal.SIGTERM)
    try:
        return proc.wait(30)
    except subprocess.TimeoutExpired:
        proc.kill()
        return None


def memory(passes: int, every: str = "100ms", timeout: float = 240) -> Memory:
    """VmRSS after each of `passes` passes of the real worker (pass 1 creates, the others find nothing new)."""
    with tempfile.TemporaryDirectory(prefix="meeting-bot-bench-") as tmp, world(SHAPE, Path(tmp)) as w:
        start = time.perf_counter()
        proc = _start(w, Path(tmp), every, fast=every.endswith("ms"))
        log = _Passes(proc)
        log.wait_for(passes, timeout)
        hwm = status(proc.pid, "VmHWM") if proc.poll() is None else 0
        seconds = time.perf_counter() - start
        code = _stop(proc)
    return Memory(every, tuple(log.rss[:passes]), hwm, seconds, code)


def idle(window: float, every: str = "1h") -> Idle:
    """CPU time and wake-ups of the worker in `window` seconds between two passes an hour apart."""
    with tempfile.TemporaryDirectory(prefix="meeting-bot-bench-") as tmp, world(SHAPE, Path(tmp)) as w:
        proc = _start(w, Path(tmp), every, fast=False)
        log = _Passes(proc)
        log.wait_for(1, 60)
        time.sleep(1.0)  # let the end of the pass (log flush, garbage collection) pass
        cpu0, switches0 = cpu_and_switches(proc.pid)
        time.sleep(window)
        cpu1, switches1 = cpu_and_switches(proc.pid)
        rss = status(proc.pid, "VmRSS")
        _stop(proc)
    return Idle(window, cpu1 - cpu0, switches1 - switches0, rss)
