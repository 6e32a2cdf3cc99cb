"""Values read back from the bot's own artifacts, checked like configuration."""

from __future__ import annotations

import dataclasses
import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from bot import readback
from bot.model import NotesConfig, NotesProvider, Occurrence
from tests.factories import HOME_ZONE, MEETING_ID, make_meeting


def make_occurrence() -> Occurrence:
    start = dt.datetime(2023, 9, 11, 8, 30, tzinfo=ZoneInfo(HOME_ZONE))
    return Occurrence(MEETING_ID, start, start + dt.timedelta(hours=1), HOME_ZONE)


def meeting(path: str = "meetings/{{ date }}.md", provider: NotesProvider = NotesProvider.REPO):
    return make_meeting(notes=NotesConfig(provider=provider, path=path))


@pytest.mark.parametrize(
    ("template", "folder", "suffix"),
    [
        ("meetings/{{ date }}.md", "meetings/", ".md"),
        ("notes/{{ meeting.id }}/{{ date }}-{{ title }}.md", "notes/", ".md"),
        ("{{ date }}.md", "", ".md"),
        ("wg/{% if true %}x{% endif %}/{{ date }}", "wg/", ""),
        ("fixed/notes.md", "fixed/", ".md"),
    ],
)
def test_the_configured_folder_and_suffix_are_the_literal_parts_of_the_template(template, folder, suffix):
    assert (readback.notes_folder(template), readback.notes_suffix(template)) == (folder, suffix)


@pytest.mark.parametrize("ref", ["meetings/2023-09-11.md", "meetings/2023/09-11 WG.md"])
def test_a_recorded_path_under_the_notes_folder_is_used(ref):
    assert readback.notes_ref_ok(meeting(), make_occurrence(), ref)


@pytest.mark.parametrize(
    "ref",
    [
        ".github/workflows/pwn.yml",
        "meetings/../.github/workflows/pwn.yml",
        "meetings/.hidden.md",
        "meetings/2023-09-11.yml",
        "other/2023-09-11.md",
        "/meetings/2023-09-11.md",
        "meetings//2023-09-11.md",
        "meetings/a\\b.md",
        "meetings/a\nb.md",
        "",
    ],
)
def test_a_recorded_path_outside_the_rules_is_refused(ref):
    assert not readback.notes_ref_ok(meeting(), make_occurrence(), ref)


def test_at_the_repository_root_hidden_folders_and_other_kinds_of_file_are_still_refused():
    root = meeting("{{ date }}.md")
    assert readback.notes_ref_ok(root, make_occurrence(), "2023-09-11.md")
    assert not readback.notes_ref_ok(root, make_occurrence(), ".github/workflows/pwn.md")
    assert not readback.notes_ref_ok(root, make_occurrence(), "pwn.yml")


def test_a_hackmd_reference_must_be_the_occurrences_own_key():
    occurrence = make_occurrence()
    hackmd = meeting(provider=NotesProvider.HACKMD)
    assert readback.notes_ref_ok(hackmd, occurrence, occurrence.key)
    other = dataclasses.replace(occurrence, meeting_id="another").key
    assert not readback.notes_ref_ok(hackmd, occurrence, other)
