"""Shards: a stable, disjoint and complete split of the meetings across machines."""

from __future__ import annotations

import hashlib
import json
import re
from typing import Sequence

from bot.model import Meeting

MAX_SHARDS = 256
OWNER_BUCKETS = 4  # an owner's meetings are spread over at most this many shards
BAD_SHARD = "--shard must be K/N with 1 <= K <= N <= {max} (like 2/4), not {value!r}"
BAD_COUNT = "--shards must be a whole number from 1 to {max}, not {value!r}"
_SHARD = re.compile(r"^\s*(\d+)\s*/\s*(\d+)\s*$")


class ShardError(ValueError):
    """A shard or a shard count that cannot be used."""


def parse(value: str) -> tuple[int, int]:
    """`K/N` as (K, N), 1-based."""
    found = _SHARD.match(value)
    if found is None:
        raise ShardError(BAD_SHARD.format(max=MAX_SHARDS, value=value))
    index, count = int(found[1]), int(found[2])
    if not 1 <= index <= count <= MAX_SHARDS:
        raise ShardError(BAD_SHARD.format(max=MAX_SHARDS, value=value))
    return index, count


def parse_count(value: str) -> int:
    if not value.strip().isdigit() or not 1 <= int(value) <= MAX_SHARDS:
        raise ShardError(BAD_COUNT.format(max=MAX_SHARDS, value=value))
    return int(value)


def shard_of(meeting: Meeting, count: int) -> int:
    """The 1-based shard of a meeting, from its own owner and id alone, so adding or removing other
    meetings never moves it, and every machine computes the same answer.

    An owner's meetings fall into at most OWNER_BUCKETS buckets (by a hash of the meeting id), and each
    bucket into one shard: meetings that share an installation, and usually a search, stay together
    in at most that many shards, while an owner with many meetings is still spread over several.
    """
    owner = meeting.repo.split("/", 1)[0].casefold()
    return _hash(f"{owner}/{_hash(meeting.id) % OWNER_BUCKETS}") % count + 1


def _hash(text: str) -> int:
    return int.from_bytes(hashlib.sha256(text.encode("utf-8")).digest()[:8], "big")


def select(meetings: Sequence[Meeting], index: int, count: int) -> list[Meeting]:
    """The meetings (in their order) of shard `index` of `count`."""
    return [meeting for meeting in meetings if shard_of(meeting, count) == index]


def matrix(count: int) -> str:
    """The JSON array a GitHub Actions matrix takes: [{"shard": "1/N"}, ...]."""
    return json.dumps([{"shard": f"{k}/{count}"} for k in range(1, count + 1)])
