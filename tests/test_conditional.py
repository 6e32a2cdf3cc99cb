"""Conditional GETs over the GitHub double: 304s served from the cache spend no quota; changes are seen."""

from __future__ import annotations

import pytest

from bot.adapters.conditional import ETagCache, get_json
from tests.doubles.github import DEFAULT_TOKEN

REPO = "acme/meetings"
LISTING = f"/repos/{REPO}/issues"
PARAMS = {"state": "all", "per_page": 100}


@pytest.fixture
def requester(github):
    github.add_repo(REPO)
    github.add_issue(REPO, "A topic")
    from github import Auth, Github

    return Github(base_url=github.url, auth=Auth.Token(DEFAULT_TOKEN), retry=None).requester


def core_used(double) -> int:
    (bucket,) = [b for (who, resource), b in double.rate_limits.buckets.items() if resource == "core"]
    return bucket.used


def test_a_second_read_is_a_304_served_from_the_cache_and_spends_no_quota(github, requester):
    cache = ETagCache()
    first = get_json(requester, cache, LISTING, PARAMS)
    used = core_used(github)
    again = get_json(requester, cache, LISTING, PARAMS)
    assert again == first and [i["title"] for i in again] == ["A topic"]
    assert [e.status for e in github.requests if e.path == LISTING] == [200, 304]
    assert core_used(github) == used


def test_a_change_between_reads_is_seen(github, requester):
    cache = ETagCache()
    get_json(requester, cache, LISTING, PARAMS)
    github.add_issue(REPO, "Added by a person")
    titles = [i["title"] for i in get_json(requester, cache, LISTING, PARAMS)]
    assert titles == ["Added by a person", "A topic"]
    assert [e.status for e in github.requests if e.path == LISTING] == [200, 200]


def test_the_cache_directory_carries_the_etags_to_the_next_run(github, requester, tmp_path):
    get_json(requester, ETagCache(str(tmp_path / "cache")), LISTING, PARAMS)
    second_run = ETagCache(str(tmp_path / "cache"))
    assert [i["title"] for i in get_json(requester, second_run, LISTING, PARAMS)] == ["A topic"]
    assert [e.status for e in github.requests if e.path == LISTING] == [200, 304]
    assert (tmp_path / "cache").stat().st_mode & 0o077 == 0  # private to the bot


def test_a_damaged_or_foreign_cache_file_is_ignored(github, requester, tmp_path):
    cache_dir = tmp_path / "cache"
    get_json(requester, ETagCache(str(cache_dir)), LISTING, PARAMS)
    (entry,) = cache_dir.glob("*.json")
    entry.write_text('{"url": "http://elsewhere/", "etag": "W/\\"x\\"", "body": []}')
    assert [i["title"] for i in get_json(requester, ETagCache(str(cache_dir)), LISTING, PARAMS)] == ["A topic"]
    entry.write_text("not json")
    assert [i["title"] for i in get_json(requester, ETagCache(str(cache_dir)), LISTING, PARAMS)] == ["A topic"]
    assert [e.status for e in github.requests if e.path == LISTING] == [200, 200, 200]


def test_errors_are_pygithubs_exceptions_and_are_not_cached(github, requester):
    from github import GithubException

    cache = ETagCache()
    for _ in range(2):
        with pytest.raises(GithubException) as raised:
            get_json(requester, cache, f"/repos/{REPO}/contents/missing.md")
        assert raised.value.status == 404
    assert [e.headers.get("if-none-match") for e in github.requests if "missing" in e.path] == [None, None]
