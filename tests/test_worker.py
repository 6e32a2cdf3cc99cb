"""The worker loop: a pass at start-up, then on schedule; failures logged; a stop ends it at once."""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time
from typing import Callable

import pytest
import time_machine

from bot import worker as worker_mod
from bot.worker import Worker

# The schedule library reads the real clock (datetime.now). These tests stand that clock still at START
# (time-machine) and give the worker a wait that moves it on, so the loop runs on the real `schedule`
# in no real time, with real-length intervals and exact figures.
START = dt.datetime(2024, 3, 7, 12, 0, tzinfo=dt.timezone.utc)
EVERY = dt.timedelta(minutes=15)
PASS_TAKES = dt.timedelta(minutes=2)  # how long a pass takes on the clock, where a test says so


@pytest.fixture
def clock():
    """The clock stood still at START; only `shift` moves it."""
    with time_machine.travel(START, tick=False) as traveller:
        yield traveller


def now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def clocked(one_pass: Callable[[], object], clock, waits: list[float] | None = None) -> Worker:
    """A worker every EVERY whose wait moves the stood-still clock on (recording each wait in `waits`)."""

    def wait(seconds: float) -> None:
        if waits is not None:
            waits.append(seconds)
        clock.shift(seconds)

    return Worker(one_pass, EVERY, wait=wait)


def stop_after(w: Worker, passes: int) -> None:
    """Stop `w` from inside its own pass once it has made `passes` passes (no thread, no polling)."""
    inner = w.one_pass

    def counted() -> None:
        try:
            inner()
        finally:
            if w.passes >= passes:
                w.stop.set()

    w.one_pass = counted


def test_first_pass_at_start_then_every_interval_from_the_end_of_the_last(clock):
    began: list[dt.datetime] = []

    def one_pass() -> None:
        began.append(now())
        clock.shift(PASS_TAKES)

    w = clocked(one_pass, clock)
    stop_after(w, 4)
    assert w.run(install_signals=False) == 0
    assert len(began) == 4 and began[0] == START  # the first pass at start-up, before any wait
    # Each pass due EVERY after the end of the one before, the start-up pass's included (schedule counts
    # from a job's end, and the job is put on the schedule once the start-up pass has ended).
    assert [b - a for a, b in zip(began, began[1:])] == [PASS_TAKES + EVERY] * 3


def test_the_waits_between_passes_go_through_the_given_wait(clock):
    waits: list[float] = []
    w = clocked(lambda: None, clock, waits)
    stop_after(w, 3)
    assert w.run(install_signals=False) == 0
    assert waits == [EVERY.total_seconds()] * 2  # one wait of the whole interval between passes, nothing else
    assert now() == START + 2 * EVERY


def test_a_failing_pass_is_logged_and_the_next_one_runs(caplog, clock):
    outcomes = iter([RuntimeError("GitHub is down"), None, None])
    began: list[dt.datetime] = []

    def one_pass():
        began.append(now())
        failure = next(outcomes)
        if failure:
            raise failure

    w = clocked(one_pass, clock)
    stop_after(w, 2)
    with caplog.at_level(logging.ERROR, logger="meeting_bot"):
        assert w.run(install_signals=False) == 0
    assert worker_mod.PASS_FAILED.format(kind="RuntimeError", message="GitHub is down") in caplog.text
    assert w.passes == 2 and began == [START, START + EVERY]  # the next pass as planned, not sooner or later


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
