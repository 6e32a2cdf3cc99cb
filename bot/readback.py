"""Values the bot reads back from its own artifacts, checked like configuration: anyone may have edited them."""

from __future__ import annotations

import re

from bot.markers import find_notes_ref
from bot.model import Meeting, NotesProvider, Occurrence
from bot.render import path_problem

_TEMPLATE_START = re.compile(r"\{[{%#]")
_TEMPLATE_END = re.compile(r"[}%#]\}")


def notes_folder(path_template: str) -> str:
    """The literal folder of `notes.path` before any template code ("meetings/" for "meetings/{{ date }}.md")."""
    found = _TEMPLATE_START.search(path_template)
    literal = path_template if found is None else path_template[: found.start()]
    return literal[: literal.rfind("/") + 1]


def notes_suffix(path_template: str) -> str:
    """The literal file extension after the last template code (".md"), or "" when there is none."""
    ends = list(_TEMPLATE_END.finditer(path_template))
    tail = path_template[ends[-1].end() :] if ends else path_template.rsplit("/", 1)[-1]
    return tail[tail.rfind(".") :] if "." in tail and "/" not in tail else ""


def notes_ref_ok(meeting: Meeting, occurrence: Occurrence, ref: str) -> bool:
    """Whether a notes location recorded in an issue may be used.

    A repository path must pass the rules a configured `notes.path` passes, stay under the
    configured notes folder, keep its file extension, and have no hidden part (".github/...");
    a HackMD reference must be the occurrence's own key.
    """
    if meeting.notes.provider is NotesProvider.HACKMD:
        return ref == occurrence.key
    if meeting.notes.provider is not NotesProvider.REPO or path_problem(ref) is not None:
        return False
    template = meeting.notes.path
    if any(part.startswith(".") for part in ref.split("/")):
        return False
    return ref.startswith(notes_folder(template)) and ref.endswith(notes_suffix(template))


def forged_notes_ref(meeting: Meeting, occurrence: Occurrence, body: str) -> bool:
    """Whether an issue body records a notes location that may not be used (it is then ignored)."""
    recorded = find_notes_ref(body)
    active = meeting.notes.provider is not NotesProvider.NONE
    if not recorded or not active:
        return False
    return not notes_ref_ok(meeting, occurrence, recorded)
