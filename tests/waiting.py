"""Waiting in tests: one helper that polls a condition until it holds or a deadline passes."""

from __future__ import annotations

import time
from typing import Callable


def wait_until(condition: Callable[[], object], timeout: float = 30, every: float = 0.01, what: str = "the condition") -> None:
    """Return once `condition()` is true; fail the test (naming `what`) after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"{what} did not happen within {timeout} s"
        time.sleep(every)
