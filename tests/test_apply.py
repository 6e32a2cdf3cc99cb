"""The writer's preflight: what GitHub would refuse or silently drop is refused first, with the fix."""

from __future__ import annotations

import pytest

from bot import apply as apply_mod
from bot.model import IssueConfig, NotesConfig, NotesProvider
from bot.ports import Access, Forbidden
from tests.factories import MEETING_REPO, make_meeting


def test_no_access_report_means_no_check():
    apply_mod.preflight(make_meeting(), None)


def test_repo_notes_need_push():
    with pytest.raises(Forbidden) as error:
        apply_mod.preflight(make_meeting(), Access(push=False, triage=True))
    assert str(error.value) == apply_mod.NO_PUSH.format(repo=MEETING_REPO)


def test_labels_need_triage_even_without_notes():
    meeting = make_meeting(notes=NotesConfig(provider=NotesProvider.NONE), issue=IssueConfig(labels=("meeting",)))
    with pytest.raises(Forbidden, match="cannot label issues"):
        apply_mod.preflight(meeting, Access(push=False, triage=False))


def test_enough_access_passes():
    meeting = make_meeting(issue=IssueConfig(labels=("meeting",)))
    apply_mod.preflight(meeting, Access(push=True, triage=True))
    no_writes_needed = make_meeting(notes=NotesConfig(provider=NotesProvider.NONE), issue=IssueConfig(labels=()))
    apply_mod.preflight(no_writes_needed, Access(push=False, triage=False))
