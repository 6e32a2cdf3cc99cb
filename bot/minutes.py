"""Text read back after a meeting: the archived note, the previous agenda, the open action items.

Everything here reads documents people can edit (the bot's own issue and notes included), so every
value is checked before it is used: a line that does not have exactly the expected shape is skipped.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from typing import Iterator

from bot import markers
from bot.model import Agenda, AgendaGroup, AgendaItem

TAG_LINE = "###### tags: `{tag}`"  # the line HackMD reads tags from, as the bot adds it
TAG = "meeting-bot-{name}"  # the tag the HackMD store gives an occurrence's note (bot.adapters.hackmd.note_tag)


def hackmd_tag(key: str) -> str:
    return TAG.format(name=key.replace("/", "-"))
ACTION_HEADING = re.compile(r"^(?P<level>#{1,6})[ \t]+action items\b.*$", re.IGNORECASE)
HEADING = re.compile(r"^(?P<level>#{1,6})[ \t]")
OPEN_TASK = re.compile(r"^[ \t]{0,3}[-*+][ \t]+\[ \][ \t]+\S.*$")
MAX_ACTION_ITEMS = 100
MAX_ACTION_LINE = 1000
# `[#N](https://host/owner/repo/issues/N)` in the agenda region, perhaps with a carry-over mark.
_ITEM = re.compile(
    r"\[#(?P<n>[0-9]{1,9})\]\(https?://[^\s/()]+(?:/[^\s/()]+)*?"
    r"/(?P<owner>[A-Za-z0-9][A-Za-z0-9-]{0,38})/(?P<name>[A-Za-z0-9._-]{1,100})/(?:issues|pull)/(?P<m>[0-9]{1,9})\)"
    r"(?:.*?\(carried over from (?P<date>[0-9]{4}-[0-9]{2}-[0-9]{2})\))?"
)
_BOT_LINE = re.compile(r"^[ \t]*<!-- meeting-bot:[^>]*-->[ \t]*\r?$")
_BOT_MARKER = re.compile(r"<!-- meeting-bot:[^>]*-->")


def archived_text(content: str, tag: str) -> str:
    """The note as it goes into the repository: the bot's own lines removed, every other byte kept.

    Removed: lines that hold only a bot marker (the key, region markers, seals), a bot marker that
    people moved into a line of their own text, and the HackMD tag line the bot added (or just its
    tag, when people added tags of their own to that line).
    """
    kept = []
    for line in content.splitlines(keepends=True):
        bare = line.rstrip("\r\n")
        if _BOT_LINE.match(bare) or bare.strip() == TAG_LINE.format(tag=tag):
            continue
        if bare.startswith("###### tags:") and f"`{tag}`" in bare:
            line = line.replace(f" `{tag}`", "", 1).replace(f"`{tag}` ", "", 1)
        kept.append(_BOT_MARKER.sub("", line))
    return "".join(kept)


def open_action_items(content: str) -> tuple[str, ...]:
    """The open task lines (`- [ ] ...`) under every "Action items" heading, once each, in order.

    A line carrying a bot marker is left out, so copied text can never forge the bot's regions.
    """
    found: dict[str, None] = {}
    level = 0
    for line in content.splitlines():
        heading = HEADING.match(line)
        if heading:
            action = ACTION_HEADING.match(line)
            if action:
                level = len(action.group("level"))
            elif level and len(heading.group("level")) <= level:
                level = 0
            continue
        if level and OPEN_TASK.match(line) and len(line) <= MAX_ACTION_LINE and not _BOT_MARKER.search(line):
            found.setdefault(line.rstrip(), None)
    return tuple(found)[:MAX_ACTION_ITEMS]


def _agenda_lines(body: str) -> Iterator[tuple[str, int, str | None]]:
    """(owner/repo, number, carry-over date text or None) of each well-formed item of the agenda region."""
    region = markers.find_region(body, markers.AGENDA)
    for line in (region or "").splitlines():
        found = _ITEM.search(line)
        if found is not None and found.group("n") == found.group("m"):
            yield f"{found.group('owner')}/{found.group('name')}", int(found.group("n")), found.group("date")


def previous_items(body: str, date: dt.date) -> dict[tuple[str, int], dt.date]:
    """The items of a final agenda (the agenda region of the previous meeting's issue) and the date
    each first appeared: its carry-over mark when that is an earlier date, else the meeting's `date`."""
    items: dict[tuple[str, int], dt.date] = {}
    for repo, number, mark in _agenda_lines(body):
        items.setdefault((repo.casefold(), number), _earlier(mark, date))
    return items


def _earlier(text: str | None, date: dt.date) -> dt.date:
    try:
        mark = dt.date.fromisoformat(text) if text else None
    except ValueError:
        mark = None
    return mark if mark is not None and mark < date else date


def carry_over(agenda: Agenda, previous: dict[tuple[str, int], dt.date]) -> Agenda:
    """`agenda` with each item that was on the previous final agenda marked with its first date."""
    if not previous:
        return agenda

    def mark(item: AgendaItem) -> AgendaItem:
        first = previous.get((item.repo.casefold(), item.number))
        return dataclasses.replace(item, first_appeared=first) if first else item

    groups = tuple(AgendaGroup(g.repo, tuple(mark(i) for i in g.items)) for g in agenda.groups)
    return dataclasses.replace(agenda, groups=groups)


def final_items(body: str) -> tuple[tuple[str, int], ...]:
    """The (owner/repo, number) of each item on a final agenda, as the issue shows them."""
    return tuple(dict.fromkeys((repo, number) for repo, number, _ in _agenda_lines(body)))
