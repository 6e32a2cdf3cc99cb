"""The worker loop: a pass at start-up, then on schedule; failures logged; a stop ends it at once."""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time

from bot import worker as worker_mod
from bot.worker import Worker

EVERY = dt.timedelta(minutes=15)


class Clock:
    """A monotonic clock that moves only when the worker waits: the loop runs without sleeping."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.waits: list[float] = []

    def __call__(self) -> float:
        return self.now

    def wait(self, seconds: float) -> bool:
        self.waits.append(seconds)
        self.now += seconds
        return False


def worker(one_pass, clock: Clock, passes: int, took: float = 0.0) -> Worker:
    """A worker on `clock` that stops itself after `passes` passes, each taking `took` seconds."""

    def counted() -> None:
        clock.now += took
        try:
            one_pass()
        finally:
            if w.passes >= passes:
                w.stop.set()

    w = Worker(counted, EVERY, clock=clock, wait=clock.wait)
    return w


def test_first_pass_at_start_then_every_interval():
    clock, calls = Clock(), []
    w = worker(lambda: calls.append(clock()), clock, passes=3)
    assert w.run(install_signals=False) == 0
    assert calls == [1000.0, 1000.0 + 900, 1000.0 + 1800]


def test_the_interval_runs_from_the_end_of_a_pass_and_a_long_pass_is_followed_at_once():
    clock, calls = Clock(), []
    w = worker(lambda: calls.append(clock()), clock, passes=3, took=1000.0)  # each pass outlasts the interval
    assert w.run(install_signals=False) == 0
    assert calls == [2000.0, 3000.0, 3000.0 + 900 + 1000]  # the first due time passed during the first pass


def test_a_failing_pass_is_logged_and_the_next_one_runs(caplog):
    outcomes = iter([RuntimeError("GitHub is down"), None, None])

    def one_pass():
        failure = next(outcomes)
        if failure:
            raise failure

    clock = Clock()
    w = worker(one_pass, clock, passes=2)
    with caplog.at_level(logging.ERROR, logger="meeting_bot"):
        assert w.run(install_signals=False) == 0
    assert worker_mod.PASS_FAILED.format(kind="RuntimeError", message="GitHub is down") in caplog.text
    assert w.passes == 2 and clock.waits == [900.0]


def test_a_stop_during_a_long_wait_ends_the_worker_promptly():
    w = Worker(lambda: None, dt.timedelta(hours=1))
    threading.Timer(0.2, w.stop.set).start()
    began = time.monotonic()
    assert w.run(install_signals=False) == 0
    assert time.monotonic() - began < 2 and w.passes == 1


def test_a_signal_during_a_pass_lets_it_finish(monkeypatch):
    import os
    import signal

    finished = []

    def one_pass():
        os.kill(os.getpid(), signal.SIGTERM)  # arrives while the pass runs
        time.sleep(0.05)
        finished.append(True)

    previous = {s: signal.getsignal(s) for s in (signal.SIGTERM, signal.SIGINT)}
    try:
        w = Worker(one_pass, dt.timedelta(hours=1))
        assert w.run() == 0
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    assert finished == [True] and w.passes == 1 and w.signalled == "SIGTERM"
