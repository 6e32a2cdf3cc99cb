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
STOPPING = "received {signal}: finishing the current pass, then exiting"
STOPPED = "worker stopped"
PASS_FAILED = "the pass failed: {kind}: {message}; the next pass runs as planned"
MAX_NAP = 1.0


class Worker:
    """Runs `one_pass` on a schedule. `wait` sleeps until woken (an Event's wait), so a signal ends it at once."""

    def __init__(self, one_pass: Callable[[], int], every: dt.timedelta, stop: threading.Event | None = None) -> None:
        self.one_pass = one_pass
        self.every = every
        self.stop = stop or threading.Event()
        self.scheduler = schedule.Scheduler()
        self.passes = 0

    def _signal(self, signum, frame) -> None:
        log.info(STOPPING.format(signal=signal.Signals(signum).name))
        self.stop.set()

    def install_signals(self) -> None:
        signal.signal(signal.SIGTERM, self._signal)
        signal.signal(signal.SIGINT, self._signal)

    def _guarded_pass(self) -> None:
        self.passes += 1
        try:
            self.one_pass()
        except Exception as exc:  # one failing pass never stops the worker
            message = str(exc).splitlines()[0] if str(exc) else ""
            log.error(PASS_FAILED.format(kind=type(exc).__name__, message=message))

    def run(self, install_signals: bool = True) -> int:
        if install_signals:
            self.install_signals()
        log.info(STARTED.format(every=self.every))
        self.scheduler.every(self.every.total_seconds()).seconds.do(self._guarded_pass)
        self._guarded_pass()
        while not self.stop.is_set():
            idle = self.scheduler.idle_seconds
            self.stop.wait(timeout=max(0.0, idle if idle is not None else MAX_NAP))
            if not self.stop.is_set():
                self.scheduler.run_pending()
        log.info(STOPPED)
        return 0
