"""Re-runs with nothing new are answered by 304s and spend no core quota; a change between runs is still seen."""

from __future__ import annotations

import signal
from pathlib import Path

from tests.e2e import REPO, World, world  # noqa: F401 - the world fixture
from tests.doubles.github import DEFAULT_TOKEN
from tests.waiting import wait_until


def core_spent(world: World) -> list[tuple[str, str, int | None]]:
    """GitHub requests of the last run that GitHub counts against the core quota (not search, not a 304)."""
    return [(e.method, e.path, e.status) for e in world.github.requests
            if not e.path.startswith("/search/") and e.status != 304]


def run_cached(world: World, cache: Path, *args: str):
    env = {"GITHUB_API_URL": world.github.url, "GITHUB_TOKEN": DEFAULT_TOKEN, "MEETING_BOT_CACHE_DIR": str(cache)}
    result = world.bot(*args, "--config", str(world.config), "--now", "2024-03-07T12:00:00Z", env=env)
    assert result.returncode == 0, result.stderr
    return result


def test_a_rerun_with_nothing_new_spends_no_core_quota(world: World, tmp_path):
    cache = tmp_path / "cache"
    world.topic("A topic")
    run_cached(world, cache, "run")  # creates: what it wrote changed the repository, read again next time
    assert len(world.issues()) == 1 and world.notes() is not None
    world.github.reset_log()
    run_cached(world, cache, "run")
    assert not world.github.writes()
    world.github.reset_log()
    run_cached(world, cache, "run")
    assert core_spent(world) == []
    assert [e for e in world.github.requests if e.status == 304]  # the reads happened, answered from the cache


def test_a_change_between_runs_is_seen_through_the_cache(world: World, tmp_path):
    cache = tmp_path / "cache"
    first = world.topic("A topic")
    run_cached(world, cache, "run")
    later = world.topic("Added on Monday")
    world.github.reset_log()
    run_cached(world, cache, "run")
    body = world.issue()["body"]
    assert f"#{first}" in body and f"#{later}" in body
    notes = world.notes()
    assert notes is not None and "Added on Monday" in notes
    number = world.issue()["number"]
    world.github.set_issue(REPO, number, body=body + "\n\nA chair's note.")
    world.github.reset_log()
    run_cached(world, cache, "run")  # the listing changed: read in full, the chair's note kept, nothing to write
    assert world.issue()["body"].endswith("A chair's note.")
    assert not world.github.writes()


def test_without_a_cache_directory_each_run_reads_in_full(world: World):
    world.topic("A topic")
    world.run("run")
    world.github.reset_log()
    world.run("run")
    assert core_spent(world)  # a new process has nothing to send If-None-Match with
    assert not [e for e in world.github.requests if e.status == 304]


def test_a_worker_keeps_its_etags_in_memory(world: World):
    world.topic("A topic")
    process = world.popen("worker", "--every", "1s")
    listing = rf"^/repos/{REPO}/issues$"
    try:
        wait_until(lambda: len(world.github.matching("GET", listing)) >= 3, 60, what="three passes of the worker")
    finally:
        process.send_signal(signal.SIGTERM)
        process.communicate(timeout=30)
    statuses = [e.status for e in world.github.matching("GET", listing)]
    # The first pass reads in full and creates the issue, which changes the listing, so the second
    # reads it in full again; from then on nothing changed and every pass is answered 304.
    assert statuses[:2] == [200, 200] and set(statuses[2:]) == {304}
