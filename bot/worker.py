"""The long-running worker: a pass at start-up, then one every interval, until a signal."""

from __future__ import annotations

import datetime as dt
import logging
import signal
import threading
from typing import Callable

import schedule

from bot import logs

log = logging.getLogger(logs.LOGGER)

STARTED = "worker started: a pass now, then every {every}"
STOPPING = "received {signal}: stopped after the current pass"
STOPPED = "worker stopped"
PASS_FAILED = "the pass failed: {kind}: {message}; the next pass runs as planned"
MAX_NAP = 1.0


class _Interrupted(Exception):
    """Raised by the signal handler to end a wait between passes at once."""


class Worker:
    """Runs `one_pass` on a schedule until `stop` is set or SIGTERM/SIGINT arrives.

    A signal during a pass lets the pass finish; a signal during the wait between passes ends it at
    once. The handler only sets a flag or raises: it never takes a lock the main thread may hold.
    """

    def __init__(self, one_pass: Callable[[], int], every: dt.timedelta, stop: threading.Event | None = None) -> None:
        self.one_pass = one_pass
        self.every = every
        self.stop = stop or threading.Event()
        self.scheduler = schedule.Scheduler()
        self.passes = 0
        self.signalled: str | None = None
        self._busy = False

    def _signal(self, signum, frame) -> None:
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
            message = str(exc).splitlines()[0] if str(exc) else ""
            log.error(PASS_FAILED.format(kind=type(exc).__name__, message=message))
        finally:
            self._busy = False

    def _loop(self) -> None:
        self._guarded_pass()
        while not self._stopping():
            idle = self.scheduler.idle_seconds
            self.stop.wait(timeout=max(0.0, idle if idle is not None else MAX_NAP))
            if not self._stopping():
                self.scheduler.run_pending()

    def run(self, install_signals: bool = True) -> int:
        if install_signals:
            self.install_signals()
        log.info(STARTED.format(every=self.every))
        self.scheduler.every(self.every.total_seconds()).seconds.do(self._guarded_pass)
        try:
            self._loop()
        except _Interrupted:
            pass
        if self.signalled:
            log.info(STOPPING.format(signal=self.signalled))
        log.info(STOPPED)
        return 0
