"""The bot's regions in a document: refreshed from a new rendering, sealed against human edits, cut to fit a limit."""

from __future__ import annotations

from typing import Callable

from bot import markers
from bot.model import Agenda

REGIONS = ("links", "agenda")
SEALED = frozenset({"links"})  # regions refreshed only while no human has edited them


def size(text: str) -> int:
    """Length as the services count it (UTF-16 code units), so emoji count twice."""
    return len(text.encode("utf-16-le")) // 2


def fit(agenda: Agenda, render: Callable[[Agenda], str], limit: int, final: Callable[[str], str] = str) -> str:
    """`render(agenda)`, or with as many agenda items as keep `final(text)` within `limit`, noting the rest."""
    text = render(agenda)
    if size(final(text)) <= limit:
        return text
    low, high = 0, len(agenda.items)
    while low < high:
        middle = (low + high + 1) // 2
        if size(final(render(agenda.first(middle)))) <= limit:
            low = middle
        else:
            high = middle - 1
    return render(agenda.first(low))


def sealed(body: str) -> str:
    """A fresh rendering with each sealed region's digest line, as the bot writes it at creation."""
    for name in SEALED:
        inner = markers.find_region(body, name)
        sealed_body = markers.replace_region(body, name, markers.seal(inner, name)) if inner is not None else None
        body = sealed_body if sealed_body is not None else body
    return body


def refresh(old: str, new: str) -> tuple[str, tuple[str, ...]]:
    """`old` with each bot region taken from `new`; also the regions whose markers are missing.

    The agenda region is the bot's. A sealed region (the time and links table) is refreshed only
    while it is exactly as the bot last wrote it: a human's edit inside it is kept.
    """
    body, missing = old, []
    for name in REGIONS:
        inner = markers.find_region(new, name)
        if inner is None:
            continue
        if name in SEALED:
            current = markers.find_region(body, name)
            if current is not None and not markers.untouched(current, name):
                continue
            inner = markers.seal(inner, name)
        replaced = markers.replace_region(body, name, inner)
        if replaced is None:
            missing.append(name)
        else:
            body = replaced
    return body, tuple(missing)
