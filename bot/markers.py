"""The bot's hidden markers: the artifact key line and the named regions it may rewrite."""

from __future__ import annotations

import re
from typing import Iterator

KEY_MARKER = "<!-- meeting-bot:key={key} -->"
REGION_START = "<!-- meeting-bot:{name}:start -->"
REGION_END = "<!-- meeting-bot:{name}:end -->"
AGENDA = "agenda"
LINKS = "links"

_KEY = r"[A-Za-z0-9][A-Za-z0-9._-]*/[0-9]{4}-[0-9]{2}-[0-9]{2}"
_KEY_FORM = re.compile(rf"^{_KEY}$")
# The key line as the bot writes it: alone on its line, not indented into a code block.
_KEY_LINE = re.compile(rf"^ {{0,3}}<!-- meeting-bot:key=(?P<key>{_KEY}) -->[ \t]*\r?$")
_BACKTICK = re.compile(r"(?<!\\)`")
_FENCE = re.compile(r"^\s*(?P<fence>`{3,}|~{3,})")
BAD_KEY = "not an artifact key (meeting-id/YYYY-MM-DD): {key!r}"

# The calendar event's private properties by which the bot finds its own events.
EVENT_KEY_PROPERTY = "meetingBotKey"
EVENT_MEETING_PROPERTY = "meetingBotMeeting"
EVENT_EXTRA_PROPERTY = "meetingBotExtra"  # "1" on an off-schedule occurrence's event: never swept


def region_start(name: str) -> str:
    return REGION_START.format(name=name)


def region_end(name: str) -> str:
    return REGION_END.format(name=name)


AGENDA_START = region_start(AGENDA)
AGENDA_END = region_end(AGENDA)


def make_key(key: str) -> str:
    """The key line for an artifact; `key` is `Occurrence.key`, `<meeting-id>/<YYYY-MM-DD>`."""
    if not _KEY_FORM.match(key):
        raise ValueError(BAD_KEY.format(key=key))
    return KEY_MARKER.format(key=key)


def find_key(body: str) -> str | None:
    """The first key line's key outside fenced code, or None."""
    for _, line in _lines_outside_code(body):
        found = _KEY_LINE.match(line)
        if found:
            return found.group("key")
    return None


def find_region(body: str, name: str) -> str | None:
    """The text between the region's markers, or None unless there is exactly one well-ordered pair."""
    span = _region_span(body, name)
    return None if span is None else body[span[0] : span[1]]


def replace_region(body: str, name: str, new_inner: str) -> str | None:
    """`body` with the region's inner text replaced and every other byte kept; None as find_region.

    `new_inner` takes the body's line endings when the body has CRLF ones (GitHub's web editor
    saves those), so an unchanged agenda gives back `body` unchanged.
    """
    span = _region_span(body, name)
    if span is None:
        return None
    return body[: span[0]] + _same_newlines(new_inner, body) + body[span[1] :]


def _same_newlines(text: str, body: str) -> str:
    if "\r\n" not in body:
        return text
    return text.replace("\r\n", "\n").replace("\n", "\r\n")


def _region_span(body: str, name: str) -> tuple[int, int] | None:
    """Where the inner text starts and ends, when each marker is there exactly once and in order."""
    starts = list(_marker_positions(body, region_start(name)))
    ends = list(_marker_positions(body, region_end(name)))
    if len(starts) != 1 or len(ends) != 1:
        return None
    inner_start = starts[0] + len(region_start(name))
    return (inner_start, ends[0]) if inner_start <= ends[0] else None


def _marker_positions(body: str, marker: str) -> Iterator[int]:
    """Offsets of `marker` outside fenced code and outside inline code on its line."""
    for offset, line in _lines_outside_code(body):
        column = line.find(marker)
        while column >= 0:
            if not _in_inline_code(line, column, column + len(marker)):
                yield offset + column
            column = line.find(marker, column + 1)


def _in_inline_code(line: str, start: int, end: int) -> bool:
    """Between backticks on its line: an odd number of them before, and one after."""
    before = _BACKTICK.findall(line, 0, start)
    return len(before) % 2 == 1 and _BACKTICK.search(line, end) is not None


def _lines_outside_code(body: str) -> Iterator[tuple[int, str]]:
    """Each line (without its "\\n") and its offset, skipping fenced code blocks and their fences."""
    offset, fence = 0, ""
    for line in body.split("\n"):
        opened = _FENCE.match(line)
        if fence:
            fence = "" if _closes(line, fence) else fence
        elif opened:
            fence = opened.group("fence")
        else:
            yield offset, line
        offset += len(line) + 1


def lines_outside_code(body: str) -> Iterator[tuple[int, str]]:
    """Each line outside fenced code, with its offset: where the bot's hidden lines may stand."""
    return _lines_outside_code(body)


def _closes(line: str, fence: str) -> bool:
    """A closing fence: the opening character only, at least as many, nothing else on the line."""
    bare = line.strip()
    return len(bare) >= len(fence) and bare == fence[0] * len(bare)


SEAL = "<!-- meeting-bot:{name}:sha={digest} -->"
_SEAL_LINE = re.compile(r"[ \t]*<!-- meeting-bot:(?P<name>[a-z]+):sha=(?P<digest>[0-9a-f]{16}) -->[ \t]*\r?\n?")


def _digest(inner: str) -> str:
    import hashlib

    text = inner.replace("\r\n", "\n").strip()
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def seal(inner: str, name: str) -> str:
    """`inner` with a last line recording a digest of it, so a later human edit can be told apart."""
    bare = _SEAL_LINE.sub("", inner)
    newline = "\r\n" if "\r\n" in bare else "\n"
    return bare.rstrip("\r\n") + newline + SEAL.format(name=name, digest=_digest(bare)) + newline


def untouched(inner: str, name: str) -> bool:
    """Whether a sealed region is still exactly as the bot wrote it (False when unsealed)."""
    found = [m for m in _SEAL_LINE.finditer(inner) if m.group("name") == name]
    return len(found) == 1 and found[0].group("digest") == _digest(_SEAL_LINE.sub("", inner))


NOTES_REF = "<!-- meeting-bot:notes={ref} -->"
_NOTES_LINE = re.compile(r"^ {0,3}<!-- meeting-bot:notes=(?P<ref>[^\s<>]+) -->[ \t]*\r?$")


def make_notes_ref(ref: str) -> str:
    """The line by which an issue remembers where its notes are (the path, percent-encoded)."""
    from urllib.parse import quote

    return NOTES_REF.format(ref=quote(ref, safe="/._-@~"))


def find_notes_ref(body: str) -> str | None:
    """The notes reference an issue recorded, outside code, or None."""
    from urllib.parse import unquote

    for _, line in _lines_outside_code(body):
        found = _NOTES_LINE.match(line)
        if found:
            return unquote(found.group("ref"))
    return None


STATUS = "<!-- meeting-bot:after={steps} -->"
EXTRA = "<!-- meeting-bot:extra -->"
_STEP = r"[a-z]+(?:=[A-Za-z0-9][A-Za-z0-9._/-]*)?"
_STATUS_LINE = re.compile(rf"^ {{0,3}}<!-- meeting-bot:after=(?P<steps>{_STEP}(?:,{_STEP})*)? -->[ \t]*\r?$")
_EXTRA_LINE = re.compile(r"^ {0,3}<!-- meeting-bot:extra -->[ \t]*\r?$")


def find_status(body: str) -> frozenset[str]:
    """The after-meeting steps an issue records as done (`archived`, `labels`, `refused=owner/repo`)."""
    for _, line in _lines_outside_code(body):
        found = _STATUS_LINE.match(line)
        if found:
            return frozenset(filter(None, (found.group("steps") or "").split(",")))
    return frozenset()


def with_status(body: str, steps: frozenset[str]) -> str:
    """`body` with its status line saying `steps` (replaced in place, else added at the end)."""
    line = STATUS.format(steps=",".join(sorted(steps)))
    for offset, text in _lines_outside_code(body):
        if _STATUS_LINE.match(text):
            end = offset + len(text.rstrip("\r"))
            return body[:offset] + line + body[end:]
    return body + ("" if body.endswith("\n") or not body else "\n") + line + "\n"


def is_extra(body: str) -> bool:
    """Whether an issue says it was made for a chair's extra (or forced) occurrence."""
    return any(_EXTRA_LINE.match(line) for _, line in _lines_outside_code(body))
