"""Shards: stable, disjoint, complete; the matrix JSON; `run --shard` over the GitHub double."""

from __future__ import annotations

import json

import pytest

from bot import shards
from tests.e2e import LABEL, NOW, REPO, World, world, write_meeting  # noqa: F401 - the world fixture
from tests.factories import make_meeting

IDS = [f"group-{n:04d}" for n in range(1000)]


def foundation(ids=IDS, owners: int = 300):
    """Meetings over `owners` organisations, as a foundation has them."""
    return [make_meeting(id=i, repo=f"org{n % owners:03d}/meetings") for n, i in enumerate(ids)]


@pytest.mark.parametrize("count", range(1, 9))
def test_shards_cover_every_meeting_exactly_once(count):
    meetings = foundation(IDS[:120], owners=7)
    chosen = [m.id for k in range(1, count + 1) for m in shards.select(meetings, k, count)]
    assert sorted(chosen) == sorted(m.id for m in meetings)


@pytest.mark.parametrize("count", range(1, 9))
def test_adding_a_meeting_moves_no_other(count):
    meetings = foundation(IDS[:200], owners=7)
    before = {m.id: shards.shard_of(m, count) for m in meetings}
    added = [*meetings, make_meeting(id="a-new-group", repo="org003/meetings")]  # an owner with others
    after = {m.id: k for k in range(1, count + 1) for m in shards.select(added, k, count)}
    assert {i: after[i] for i in before} == before


def test_a_thousand_meetings_spread_evenly_over_four_and_sixteen_shards():
    meetings = foundation()  # an owner's meetings move together (in up to 4 buckets): coarser than one by one
    for count, slack in ((4, 1.1), (16, 1.35)):
        sizes = [sum(1 for m in meetings if shards.shard_of(m, count) == k) for k in range(1, count + 1)]
        assert max(sizes) <= slack * len(meetings) / count, sizes


@pytest.mark.parametrize("count", [4, 16])
def test_an_owners_meetings_stay_in_a_few_shards_and_one_big_owner_is_still_split(count):
    meetings = foundation()
    for owner in {m.repo for m in meetings}:
        assert len({shards.shard_of(m, count) for m in meetings if m.repo == owner}) <= shards.OWNER_BUCKETS
    one_org = foundation(IDS[:60], owners=1)  # a foundation whose groups all live in one organisation
    assert len({shards.shard_of(m, count) for m in one_org}) > 1


def test_the_matrix_is_the_json_a_github_actions_matrix_takes():
    assert json.loads(shards.matrix(3)) == [{"shard": "1/3"}, {"shard": "2/3"}, {"shard": "3/3"}]


@pytest.mark.parametrize("value", ["0/3", "4/3", "1/0", "x", "1/2/3", "-1/2", "1/257", ""])
def test_a_bad_shard_is_refused(value):
    with pytest.raises(shards.ShardError):
        shards.parse(value)


def test_a_shard_parses_with_spaces():
    assert shards.parse(" 2 / 4 ") == (2, 4)


def test_matrix_command_prints_the_array(bot, tmp_path):
    result = bot("matrix", "--shards", "4", "--config", str(tmp_path))
    assert result.returncode == 0, result.stderr
    assert [row["shard"] for row in json.loads(result.stdout)] == ["1/4", "2/4", "3/4", "4/4"]


def test_matrix_and_run_refuse_a_bad_count_with_one_line(bot, tmp_path):
    for args, said in ((("matrix", "--shards", "0"), "--shards must be"), (("run", "--shard", "3/2"), "--shard must be K/N")):
        result = bot(*args, "--config", str(tmp_path))
        assert result.returncode == 2
        assert said in result.stderr and "Traceback" not in result.stderr and result.stdout == ""


def test_each_shard_runs_only_its_meetings_and_together_they_run_all(world: World):
    ids = ["wg", "tsc", "security", "docs", "build"]
    for meeting_id in ids[1:]:
        write_meeting(world.config, meeting_id, agenda={"label": LABEL, "orgs": ["acme"]})
    world.topic("A topic")
    for k in (1, 2, 3):
        result = world.run("run", "--shard", f"{k}/3", now=NOW)
        assert result.returncode == 0, result.stderr
        ran = {line.split(":", 1)[0] for line in result.stdout.splitlines() if ":" in line}
        assert ran == {i for i in ids if shards.shard_of(make_meeting(id=i, repo=REPO), 3) == k}
    made = [i for i in world.github.issues(REPO) if "meeting-bot:key=" in (i["body"] or "")]
    assert sorted(i["title"] for i in made) == sorted(["WG Meeting 2024-03-11"] * len(ids))
