"""The worker loop: a pass at start-up, then on schedule; failures logged; a stop ends it at once."""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time

from bot import worker as worker_mod
from bot.worker import Worker

TICK = dt.timedelta(seconds=0.05)  # the schedule library reads the real clock: short ticks keep tests fast


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


def test_first_pass_at_start_then_every_interval_from_the_end_of_the_last():
    calls: list[float] = []
    w = Worker(lambda: calls.append(time.monotonic()), TICK)
    stop_after(w, 3)
    began = time.monotonic()
    assert w.run(install_signals=False) == 0
    assert len(calls) == 3 and calls[0] - began < 0.04  # the first pass at start-up
    assert all(b - a >= TICK.total_seconds() * 0.9 for a, b in zip(calls, calls[1:]))


def test_the_waits_between_passes_go_through_the_given_wait():
    waits: list[float] = []

    def wait(seconds: float) -> None:
        waits.append(seconds)
        time.sleep(seconds)

    w = Worker(lambda: None, TICK, wait=wait)
    stop_after(w, 2)
    assert w.run(install_signals=False) == 0
    assert waits and all(0 < s <= TICK.total_seconds() + 0.01 for s in waits)


def test_a_failing_pass_is_logged_and_the_next_one_runs(caplog):
    outcomes = iter([RuntimeError("GitHub is down"), None, None])

    def one_pass():
        failure = next(outcomes)
        if failure:
            raise failure

    w = Worker(one_pass, TICK)
    stop_after(w, 2)
    with caplog.at_level(logging.ERROR, logger="meeting_bot"):
        assert w.run(install_signals=False) == 0
    assert worker_mod.PASS_FAILED.format(kind="RuntimeError", message="GitHub is down") in caplog.text
    assert w.passes == 2


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
