"""The one retry policy, on its own: what is repeated, how long it waits, pacing, and the clock check."""

from __future__ import annotations

import pytest

from bot.adapters import retry
from bot.adapters.retry import TRANSIENT, Failure, Kind, Policy


class Boom(Exception):
    """A failed attempt; `failure` is how the classifier reads it (None: final)."""

    def __init__(self, failure: Failure | None) -> None:
        super().__init__("boom")
        self.failure = failure


def classify(exc: BaseException) -> Failure | None:
    return exc.failure if isinstance(exc, Boom) else None


class Time:
    """A fake clock: sleeping moves it on, and is recorded."""

    def __init__(self) -> None:
        self.now, self.sleeps = 0.0, []

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds

    def monotonic(self) -> float:
        return self.now


def sender(*failures: Failure | None, result: str = "done"):
    """A request that fails with each of `failures` in turn, then answers `result`; `calls` counts attempts."""
    queue = list(failures)

    def send():
        send.calls += 1
        if queue:
            raise Boom(queue.pop(0))
        return result

    send.calls = 0
    return send


def policy(clock: Time, budget: float = 60.0, **kw) -> Policy:
    return Policy(budget, sleep=clock.sleep, monotonic=clock.monotonic, **kw)


@pytest.mark.parametrize("kind", [Kind.READ, Kind.SAFE_WRITE])
def test_transient_failures_of_reads_and_safe_writes_are_repeated_with_backoff_and_jitter(kind):
    clock = Time()
    send = sender(TRANSIENT, TRANSIENT)
    assert policy(clock).call(send, classify, kind) == "done"
    assert send.calls == 3
    first, second = clock.sleeps
    assert retry.BACKOFF_FIRST <= first <= retry.BACKOFF_FIRST + retry.JITTER
    assert 2 * retry.BACKOFF_FIRST <= second <= 2 * retry.BACKOFF_FIRST + retry.JITTER


def test_a_write_that_could_duplicate_is_never_repeated_after_a_transient_failure():
    clock = Time()
    send = sender(TRANSIENT)
    with pytest.raises(Boom):
        policy(clock).call(send, classify, Kind.WRITE)
    assert send.calls == 1 and clock.sleeps == []


def test_a_rate_limit_is_waited_out_even_for_a_write_it_was_refused_unprocessed():
    clock = Time()
    send = sender(Failure(rate_limit=True, wait=7.0))
    assert policy(clock).call(send, classify, Kind.WRITE) == "done"
    assert send.calls == 2 and clock.sleeps == [7.0]


def test_a_rate_limit_longer_than_the_budget_fails_at_once():
    clock = Time()
    send = sender(Failure(rate_limit=True, wait=61.0))
    with pytest.raises(Boom):
        policy(clock, budget=60.0).call(send, classify, Kind.READ)
    assert send.calls == 1 and clock.sleeps == []


def test_an_unsaid_rate_limit_waits_the_floor_then_double_cut_to_the_budget():
    clock = Time()
    unsaid = Failure(rate_limit=True, unsaid_wait=60.0)
    send = sender(unsaid, unsaid, unsaid)
    with pytest.raises(Boom):
        policy(clock, budget=100.0).call(send, classify, Kind.READ)
    assert clock.sleeps == [60.0, 40.0]  # a minute, then what is left of the budget; then it is spent
    assert send.calls == 3


def test_a_budget_below_the_floor_shortens_the_wait_to_the_budget():
    clock = Time()
    send = sender(Failure(rate_limit=True, unsaid_wait=60.0))
    assert policy(clock, budget=2.0).call(send, classify, Kind.SAFE_WRITE) == "done"
    assert clock.sleeps == [2.0]


def test_final_failures_are_not_repeated_and_attempts_are_bounded():
    clock = Time()
    final = sender(None)
    with pytest.raises(Boom):
        policy(clock).call(final, classify, Kind.READ)
    assert final.calls == 1
    endless = sender(*[TRANSIENT] * 10)
    with pytest.raises(Boom):
        policy(clock).call(endless, classify, Kind.READ)
    assert endless.calls == retry.ATTEMPTS


def test_writes_are_paced_and_the_guard_runs_after_every_wait_right_before_the_request():
    clock = Time()
    seen: list[tuple[str, float]] = []
    paced = policy(clock, write_interval=1.0, guard=lambda: seen.append(("guard", clock.now)))

    def send():
        seen.append(("send", clock.now))
        return "ok"

    paced.call(send, classify, Kind.WRITE)
    paced.call(send, classify, Kind.READ)  # reads are neither paced nor guarded
    paced.call(send, classify, Kind.SAFE_WRITE)
    assert seen == [("guard", 0.0), ("send", 0.0), ("send", 0.0), ("guard", 1.0), ("send", 1.0)]
    assert clock.sleeps == [1.0]


def test_a_guard_that_refuses_after_a_rate_limit_wait_stops_the_write_unsent():
    clock = Time()

    class Started(Exception):
        pass

    def guard():
        if clock.now >= 5:
            raise Started

    send = sender(Failure(rate_limit=True, wait=10.0))
    with pytest.raises(Started):
        policy(clock, guard=guard).call(send, classify, Kind.SAFE_WRITE)
    assert send.calls == 1  # the first attempt was refused; the one after the wait was never sent


def test_github_rate_limits_are_read_from_the_documented_headers_and_body_never_the_wording():
    from github import GithubException

    from bot.adapters.github_client import SECONDARY_WAIT, classify, rate_limit
    from tests.doubles.github import SECONDARY_DOCS

    now = 1000.0
    primary = GithubException(403, {"message": "x"}, {"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": "1030"})
    assert rate_limit(primary, now) == Failure(rate_limit=True, wait=31.0, unsaid_wait=SECONDARY_WAIT)
    told = GithubException(429, {"message": "x"}, {"Retry-After": "5", "X-RateLimit-Remaining": "12"})
    assert rate_limit(told, now) == Failure(rate_limit=True, wait=5.0)
    marked = GithubException(403, {"message": "Reworded", "documentation_url": SECONDARY_DOCS}, {})
    assert rate_limit(marked, now) == Failure(rate_limit=True, unsaid_wait=SECONDARY_WAIT)
    assert rate_limit(GithubException(429, None, {}), now) == Failure(rate_limit=True, unsaid_wait=SECONDARY_WAIT)
    issues_docs = "https://docs.github.com/rest/issues"
    worded = GithubException(403, {"message": "secondary rate limit", "documentation_url": issues_docs}, {})
    assert rate_limit(worded, now) is None and classify(worded) is None  # a permission problem, whatever it says
    assert classify(GithubException(502, {"data": "<html>Bad Gateway</html>"}, {})) is TRANSIENT
    assert classify(GithubException(422, {"message": "Validation Failed"}, {})) is None
