"""The long-running worker: a pass at start-up, then one every interval, until a signal."""

from __future__ import annotations

import datetime as dt
import logging
import signal
import threading
from types import FrameType
from typing import Callable

import schedule

from bot import logs
from bot.errors import one_line

log = logging.getLogger(logs.LOGGER)

WORKER_STARTED = "worker started: a pass now, then every {every}"
STOPPING = "received {signal}: stopped after the current pass"
STOPPED = "worker stopped"
PASS_FAILED = "the pass failed: {kind}: {message}; the next pass runs as planned"


class _Interrupted(Exception):
    """Raised by the signal handler to end a wait between passes at once."""


class Worker:
    """Runs `one_pass` with the `schedule` library until `stop` is set or SIGTERM/SIGINT arrives.

    A signal during a pass lets the pass finish; a signal during the wait between passes ends it at
    once. The handler only sets a flag or raises: it never takes a lock the main thread may hold.
    The next pass is due `every` after the end of the one before (schedule counts from a job's end).
    `wait` (returns early when stopped) is a parameter; the schedule library reads the real clock.
    """

    def __init__(
        self,
        one_pass: Callable[[], object],
        every: dt.timedelta,
        stop: threading.Event | None = None,
        wait: Callable[[float], object] | None = None,
    ) -> None:
        self.one_pass = one_pass
        self.every = every
        self.stop = stop or threading.Event()
        self.wait = wait if wait is not None else self.stop.wait
        self.scheduler = schedule.Scheduler()
        self.passes = 0
        self.signalled: str | None = None
        self._busy = False

    def _signal(self, signum: int, frame: FrameType | None) -> None:
        self.signalled = signal.Signals(signum).name
        if not self._busy:
            raise _Interrupted

    def install_signals(self) -> None:
        signal.signal(signal.SIGTERM, self._signal)
        signal.signal(signal.SIGINT, self._signal)

    def _stopping(self) -> bool:
        return self.signalled is not None or self.stop.is_set()

    def _guarded_pass(self) -> None:
        self._busy = True
        self.passes += 1
        try:
            self.one_pass()
        except Exception as exc:  # one failing pass never stops the worker
            log.error(PASS_FAILED.format(kind=type(exc).__name__, message=one_line(exc)))
        finally:
            self._busy = False

    def _loop(self) -> None:
        self._guarded_pass()  # at start-up; then put on the schedule, so that every interval counts from a pass's end
        seconds = self.every.total_seconds()  # schedule's hint says int; it builds a timedelta, so a fraction works
        self.scheduler.every(seconds).seconds.do(self._guarded_pass)  # type: ignore[arg-type]
        while not self._stopping():
            idle = self.scheduler.idle_seconds
            if idle is not None and idle > 0:
                self.wait(idle)
                continue
            self.scheduler.run_pending()

    def run(self, install_signals: bool = True) -> int:
        if install_signals:
            self.install_signals()
        log.info(WORKER_STARTED.format(every=self.every))
        try:
            self._loop()
        except _Interrupted:
            pass
        if self.signalled:
            log.info(STOPPING.format(signal=self.signalled))
        log.info(STOPPED)
        return 0
