"""The one retry policy of every adapter: what is repeated, how long it waits, and the clock check before writes."""

from __future__ import annotations

import enum
import threading
import time
from dataclasses import dataclass
from typing import Callable, TypeVar

import tenacity

T = TypeVar("T")

ATTEMPTS = 4  # one request and up to three repeats
BACKOFF_FIRST = 0.5  # seconds before the first repeat of a transient failure; doubles each time
BACKOFF_MAX = 8.0
JITTER = 0.5  # up to this many seconds added at random to each backoff


class Kind(enum.Enum):
    """Whether a request may be sent again after an answer that does not say whether it was carried out."""

    READ = "read"  # GET: always repeatable
    SAFE_WRITE = "safe write"  # sets a whole value, or carries what makes a repeat harmless (a sha, a fixed id)
    WRITE = "write"  # a repeat could make a second artifact (POST that creates, a comment)

    @property
    def writes(self) -> bool:
        return self is not Kind.READ


@dataclass(frozen=True)
class Failure:
    """How an adapter reads one failed attempt; the adapter's classifier returns None for a final failure."""

    rate_limit: bool = False  # refused unprocessed: any request may be sent again after the wait
    wait: float | None = None  # the seconds the service asked for (Retry-After, reset time); None: not said
    unsaid_wait: float | None = None  # a rate limit's first wait when it does not say (then doubled); None: backoff


TRANSIENT = Failure()  # a 5xx, a timeout or a broken connection: the request may or may not have been carried out


_BACKOFF = tenacity.wait_exponential(multiplier=BACKOFF_FIRST, max=BACKOFF_MAX) + tenacity.wait_random(0, JITTER)


def _never() -> None:
    """The guard of a policy built without one."""


class Policy:
    """Sends one logical request through its attempts, under the bound `budget` on all waiting.

    Reads are repeated after transient failures, SAFE_WRITEs too, WRITEs never (the caller re-reads
    instead). A rate limit is waited out when its wait fits in what is left of the budget; a limit
    that does not say how long waits the classifier's `unsaid_wait` (GitHub: at least a minute),
    doubled each time and cut to what is left of the budget, or else the backoff. Every write attempt is paced `write_interval` after the previous write and then passes
    `guard()` (the clock check of the runner) immediately before it is sent, after any wait.
    """

    def __init__(
        self,
        budget: float,
        *,
        write_interval: float = 0.0,
        guard: Callable[[], None] = _never,
        sleep: Callable[[float], None] = time.sleep,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.budget, self.write_interval, self.guard = max(0.0, budget), max(0.0, write_interval), guard
        self._sleep, self._monotonic = sleep, monotonic
        self._last_write: float | None = None
        self._lock = threading.Lock()

    def call(self, send: Callable[[], T], classify: Callable[[BaseException], Failure | None], kind: Kind) -> T:
        """`send()` with the policy: its result, or the last attempt's exception."""

        def repeatable(exc: BaseException) -> bool:
            failure = classify(exc)
            return failure is not None and (failure.rate_limit or kind is not Kind.WRITE)

        retrying = tenacity.Retrying(
            retry=tenacity.retry_if_exception(repeatable),
            wait=lambda state: self._wait(classify(_failure(state)), state),
            stop=self._stop,
            sleep=self._sleep,
            before=lambda state: self._before(kind),
            reraise=True,
        )
        return retrying(send)

    def unguarded(self) -> Policy:
        """The same policy without the clock check, for undoing this run's own duplicate."""
        return Policy(self.budget, write_interval=self.write_interval, sleep=self._sleep, monotonic=self._monotonic)

    def _before(self, kind: Kind) -> None:
        if not kind.writes:
            return
        with self._lock:
            if self._last_write is not None:
                pause = self.write_interval - (self._monotonic() - self._last_write)
                if pause > 0:
                    self._sleep(pause)
            self.guard()  # after every wait, right before the request goes out
            self._last_write = self._monotonic()

    def _wait(self, failure: Failure | None, state: tenacity.RetryCallState) -> float:
        left = self.budget - state.idle_for
        if failure is not None and failure.rate_limit and failure.wait is not None:
            return max(0.0, failure.wait)
        if failure is not None and failure.rate_limit and failure.unsaid_wait is not None:
            return min(failure.unsaid_wait * 2 ** (state.attempt_number - 1), left) if left > 0 else float("inf")
        return _BACKOFF(state)

    def _stop(self, state: tenacity.RetryCallState) -> bool:
        """Stop when the attempts are used up or the next wait does not fit in the budget."""
        return state.attempt_number >= ATTEMPTS or state.idle_for + state.upcoming_sleep > self.budget


def _failure(state: tenacity.RetryCallState) -> BaseException:
    """The exception of the attempt being retried (tenacity waits only after a failed one)."""
    outcome = state.outcome
    error = outcome.exception() if outcome is not None else None
    assert error is not None
    return error
