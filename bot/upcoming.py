"""The output of `meeting-bot next`: upcoming occurrences as text or as one JSON array."""

from __future__ import annotations

import json
from typing import Iterable, Sequence

from bot.model import Meeting, Occurrence
from bot.timefmt import WEEKDAYS, iso_local, iso_utc

FORMAT_TEXT = "text"
FORMAT_JSON = "json"
FORMATS = (FORMAT_TEXT, FORMAT_JSON)

TEXT_HEADING = "{id}: {name}"
TEXT_LINE = "  {local}  ({utc})"
TEXT_LOCAL = "{weekday} {start:%Y-%m-%d %H:%M %Z}"  # day names from timefmt: the same in any locale
TEXT_UTC = "%Y-%m-%d %H:%M UTC"
TEXT_EXTRA = " [extra]"
TEXT_NONE = "  no upcoming occurrences"
MSG_UNKNOWN_FORMAT = "unknown format {fmt!r}: use one of {formats}"


def upcoming_records(occurrences: Iterable[Occurrence]) -> list[dict[str, str]]:
    """One JSON-ready object per occurrence, all meetings merged in time order."""
    ordered = sorted(occurrences, key=lambda occ: (occ.start_utc, occ.meeting_id))
    return [
        {
            "meeting": occ.meeting_id,
            "start": iso_local(occ.start),
            "end": iso_local(occ.end),
            "start_utc": iso_utc(occ.start),
            "timezone": occ.timezone,
        }
        for occ in ordered
    ]


def upcoming_json(occurrences: Iterable[Occurrence]) -> str:
    return json.dumps(upcoming_records(occurrences), indent=2)


def _text_line(occ: Occurrence) -> str:
    local = TEXT_LOCAL.format(weekday=WEEKDAYS[occ.start.weekday()], start=occ.start)
    line = TEXT_LINE.format(local=local, utc=occ.start_utc.strftime(TEXT_UTC))
    return line + TEXT_EXTRA if occ.extra else line


def upcoming_text(occurrences: Iterable[Occurrence], meetings: Sequence[Meeting] = ()) -> str:
    """Per meeting (those given first, in their order), each start in its zone and in UTC."""
    found = sorted(occurrences, key=lambda occ: occ.start_utc)
    names = {meeting.id: meeting.name for meeting in meetings}
    ids = dict.fromkeys([*names, *(occ.meeting_id for occ in found)])
    return "\n\n".join(_block(meeting_id, names.get(meeting_id), found) for meeting_id in ids)


def _block(meeting_id: str, name: str | None, found: list[Occurrence]) -> str:
    heading = TEXT_HEADING.format(id=meeting_id, name=name) if name else meeting_id
    lines = [_text_line(occ) for occ in found if occ.meeting_id == meeting_id] or [TEXT_NONE]
    return "\n".join([heading, *lines])


def render(occurrences: Iterable[Occurrence], fmt: str = FORMAT_TEXT, meetings: Sequence[Meeting] = ()) -> str:
    """The `next` command's output in `fmt` ("text" or "json"); ValueError for another format.

    `meetings` only adds names to the text headings, and lists meetings that have nothing ahead.
    """
    if fmt == FORMAT_JSON:
        return upcoming_json(occurrences)
    if fmt == FORMAT_TEXT:
        return upcoming_text(occurrences, meetings)
    raise ValueError(MSG_UNKNOWN_FORMAT.format(fmt=fmt, formats=", ".join(FORMATS)))
