"""The planner, with no network and no fakes: SPEC section 6 as properties of `plan`."""

from __future__ import annotations

import dataclasses
import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from bot import markers, regions
from bot import plan as planmod
from bot.preview import Preview, PreviewApplier
from bot.model import (
    Agenda,
    AgendaConfig,
    AgendaGroup,
    AgendaItem,
    CalendarConfig,
    CalendarProvider,
    EventRecord,
    IssueConfig,
    IssueRecord,
    NotesConfig,
    NotesProvider,
    Occurrence,
)
from bot.plan import (
    CancelEvent,
    CloseIssue,
    CreateEvent,
    CreateIssue,
    CreateNotes,
    Existing,
    Options,
    UpdateEvent,
    UpdateIssue,
    UpdateNotes,
    plan,
    plan_sweep,
)
from bot.render import Links, Renderer
from tests.factories import MEETING_REPO, make_meeting

ZONE = ZoneInfo("America/Los_Angeles")
START = dt.datetime(2023, 9, 11, 8, 30, tzinfo=ZONE)
BEFORE = START - dt.timedelta(days=3)
RENDERER = Renderer(None)
ISSUE_URL = f"https://github.com/{MEETING_REPO}/issues/59"
NOTES_URL = f"https://github.com/{MEETING_REPO}/blob/HEAD/meetings/2023-09-11.md"
BASE = Existing(notes_url=NOTES_URL)  # what the reader knows before anything exists


def occurrence(start: dt.datetime = START) -> Occurrence:
    return Occurrence("security-collab-space", start, start + dt.timedelta(hours=1), "America/Los_Angeles")


def agenda(*numbers: int) -> Agenda:
    items = tuple(
        AgendaItem(MEETING_REPO, n, f"Topic {n}", f"https://github.com/{MEETING_REPO}/issues/{n}") for n in numbers
    )
    groups = (AgendaGroup(MEETING_REPO, items),) if items else ()
    return Agenda("security-agenda", ("openjs-foundation",), (), groups)


def meeting(**overrides):
    return make_meeting(calendar=CalendarConfig(CalendarProvider.GOOGLE, "cal@example.org"), **overrides)


def converge(m, occ, ag, existing=BASE, now=BEFORE, options=Options()):
    """Apply plans with the dry applier (which imagines each result) until nothing is left to do."""
    applier = PreviewApplier(Preview("x"), lambda ref: NOTES_URL)
    for _ in range(10):
        current = plan(m, occ, ag, existing, now, options, RENDERER)
        if not current.actions:
            return existing
        for action in current.actions:
            existing = applier.apply(m, action, existing)
    raise AssertionError("the plan did not converge")


def numbered(existing: Existing, number: int = 59) -> Existing:
    """The state after a real create: the imagined issue gets a real number and URL."""
    issues = tuple(dataclasses.replace(i, number=number, url=ISSUE_URL, author="meeting-bot") for i in existing.issues)
    return dataclasses.replace(existing, issues=issues, notes_url=NOTES_URL)


def test_a_new_occurrence_starts_with_the_issue_alone():
    current = plan(meeting(), occurrence(), agenda(17, 18), Existing(), BEFORE, Options(), RENDERER)
    (action,) = current.actions
    assert isinstance(action, CreateIssue)
    assert action.title == "OpenJS Foundation Security Collab Space Meeting 2023-09-11"
    assert markers.find_key(action.body) == "security-collab-space/2023-09-11"
    assert "[#17]" in action.body and "[#18]" in action.body


def test_each_round_unlocks_the_next_artifact_and_then_nothing_is_left():
    m, occ, ag = meeting(), occurrence(), agenda(17)
    first = plan(m, occ, ag, BASE, BEFORE, Options(), RENDERER)
    existing = numbered(PreviewApplier(Preview("x"), lambda _: NOTES_URL).apply(m, first.actions[0], BASE))
    second = plan(m, occ, ag, existing, BEFORE, Options(), RENDERER)
    assert [type(a) for a in second.actions] == [CreateNotes]
    assert ISSUE_URL in second.actions[0].content
    done = converge(m, occ, ag, existing)
    assert len(done.events) == 1 and done.notes is not None
    assert plan(m, occ, ag, done, BEFORE, Options(), RENDERER).actions == ()


def test_a_state_after_apply_plans_nothing():
    m, occ, ag = meeting(), occurrence(), agenda(17, 18)
    done = converge(m, occ, ag, numbered(converge(m, occ, ag, BASE)))
    assert plan(m, occ, ag, done, BEFORE, Options(), RENDERER) == planmod.Plan()


def test_an_agenda_change_rewrites_only_the_agenda_region():
    m, occ = meeting(), occurrence()
    done = converge(m, occ, agenda(17), numbered(converge(m, occ, agenda(17), BASE)))
    issue = done.issues[0]
    edited = "Human note above\r\n" + issue.body + "\r\nHuman note below"
    existing = dataclasses.replace(done, issues=(dataclasses.replace(issue, body=edited),))
    actions = plan(m, occ, agenda(17, 45), existing, BEFORE, Options(), RENDERER).actions
    update = next(a for a in actions if isinstance(a, UpdateIssue))
    assert update.body.startswith("Human note above\r\n") and update.body.endswith("\r\nHuman note below")
    assert "[#45]" in update.body
    assert {type(a) for a in actions} == {UpdateIssue, UpdateNotes, UpdateEvent}


def test_removed_markers_leave_the_issue_alone_and_say_so():
    m, occ, ag = meeting(), occurrence(), agenda(17)
    done = numbered(converge(m, occ, ag, BASE))
    issue = done.issues[0]
    stripped = issue.body.replace(markers.AGENDA_START, "").replace(markers.AGENDA_END, "")
    existing = dataclasses.replace(done, issues=(dataclasses.replace(issue, body=stripped),))
    current = plan(m, occ, agenda(17, 18), existing, BEFORE, Options(), RENDERER)
    assert not any(isinstance(a, UpdateIssue) for a in current.actions)
    assert planmod.MARKERS_MISSING.format(number=59) in current.warnings


def test_nothing_is_planned_once_the_meeting_has_started_even_with_force():
    current = plan(meeting(), occurrence(), agenda(17), Existing(), START, Options(force=True), RENDERER)
    assert current.actions == () and current.notices == (planmod.STARTED.format(date=occurrence().date.isoformat()),)


def test_skip_if_empty_creates_nothing_unless_forced():
    m = meeting(agenda=AgendaConfig("security-agenda", ("openjs-foundation",), skip_if_empty=True))
    skipped = plan(m, occurrence(), agenda(), Existing(), BEFORE, Options(), RENDERER)
    assert skipped.actions == () and skipped.notices == (planmod.SKIPPED_EMPTY,)
    forced = plan(m, occurrence(), agenda(), Existing(), BEFORE, Options(force=True), RENDERER)
    assert [type(a) for a in forced.actions] == [CreateIssue]


def test_a_closed_issue_is_not_replaced_or_edited():
    m, occ = meeting(), occurrence()
    done = numbered(converge(m, occ, agenda(17), BASE))
    closed = dataclasses.replace(done, issues=(dataclasses.replace(done.issues[0], state="closed"),))
    current = plan(m, occ, agenda(17, 18), closed, BEFORE, Options(), RENDERER)
    assert not any(isinstance(a, (CreateIssue, UpdateIssue)) for a in current.actions)
    assert planmod.CLOSED_BY_HAND.format(number=59) in current.notices


def test_an_issue_forged_by_an_outsider_is_ignored():
    m, occ, ag = meeting(), occurrence(), agenda(17)
    forged = IssueRecord(1, ISSUE_URL.replace("59", "1"), "Mine now", markers.make_key(occ.key), "open", "mallory", None, False)
    (create,) = plan(m, occ, ag, Existing(issues=(forged,), notes_url=NOTES_URL), BEFORE, Options(), RENDERER).actions
    assert isinstance(create, CreateIssue)
    done = numbered(converge(m, occ, ag, BASE), number=59)
    actions = plan(m, occ, ag, dataclasses.replace(done, issues=(forged, *done.issues)), BEFORE, Options(), RENDERER).actions
    assert not any(getattr(a, "number", None) == 1 for a in actions)  # neither edited nor closed


def test_duplicates_by_the_same_author_are_closed_in_favour_of_the_first():
    m, occ, ag = meeting(), occurrence(), agenda(17)
    done = numbered(converge(m, occ, ag, BASE))
    first = done.issues[0]
    twin = dataclasses.replace(first, number=60, url=ISSUE_URL.replace("59", "60"))
    stranger = dataclasses.replace(first, number=61, author="someone-else", trusted=False)
    existing = dataclasses.replace(done, issues=(twin, first, stranger))
    closes = [a for a in plan(m, occ, ag, existing, BEFORE, Options(), RENDERER).actions if isinstance(a, CloseIssue)]
    assert closes == [CloseIssue(MEETING_REPO, 60, planmod.DUPLICATE_COMMENT.format(number=59, date="2023-09-11"))]


@pytest.mark.parametrize("previous_started, expected", [(True, [41]), (False, [])])
def test_close_previous_waits_for_the_previous_meeting(previous_started, expected):
    m = meeting(issue=IssueConfig(close_previous=True))
    done = numbered(converge(m, occurrence(), agenda(17), BASE))
    previous = IssueRecord(41, ISSUE_URL.replace("59", "41"), "previous", "", "open")
    existing = dataclasses.replace(done, previous=previous)
    actions = plan(m, occurrence(), agenda(17), existing, BEFORE, Options(previous_started=previous_started), RENDERER)
    assert [a.number for a in actions.actions if isinstance(a, CloseIssue)] == expected


def test_notes_provider_none_leaves_notes_out_and_the_link_too():
    m = meeting(notes=NotesConfig(provider=NotesProvider.NONE))
    (create,) = plan(m, occurrence(), agenda(17), Existing(notes_url=NOTES_URL), BEFORE, Options(), RENDERER).actions
    assert NOTES_URL not in create.body
    done = converge(m, occurrence(), agenda(17), numbered(Existing(issues=(_record(create),))))
    assert done.notes is None and len(done.events) == 1


def _record(create: CreateIssue) -> IssueRecord:
    return IssueRecord(0, "", create.title, create.body, "open")


def test_a_notes_file_the_bot_did_not_write_is_left_alone():
    m, occ, ag = meeting(), occurrence(), agenda(17)
    done = numbered(converge(m, occ, ag, BASE))
    foreign = dataclasses.replace(done.notes, content="# somebody's own notes\n")
    current = plan(m, occ, agenda(17, 18), dataclasses.replace(done, notes=foreign), BEFORE, Options(), RENDERER)
    assert not any(isinstance(a, UpdateNotes) for a in current.actions)
    assert planmod.NOTES_NOT_OURS.format(ref=foreign.ref) in current.warnings


def test_a_notes_file_with_the_key_made_by_another_identity_is_left_alone():
    m, occ, ag = meeting(), occurrence(), agenda(17)
    done = numbered(converge(m, occ, ag, BASE))
    copied = dataclasses.replace(done.notes, foreign="mallory")  # the bot's key, someone else's file
    current = plan(m, occ, agenda(17, 18), dataclasses.replace(done, notes=copied), BEFORE, Options(), RENDERER)
    assert not any(isinstance(a, UpdateNotes) for a in current.actions)
    assert current.warnings == (planmod.NOTES_FOREIGN.format(ref=copied.ref, creator="mallory"),)
    own = plan(m, occ, agenda(17, 18), done, BEFORE, Options(), RENDERER)
    assert any(isinstance(a, UpdateNotes) for a in own.actions)


def test_a_moved_meeting_moves_its_event():
    m, ag = meeting(), agenda(17)
    done = numbered(converge(m, occurrence(), ag, BASE))
    done = converge(m, occurrence(), ag, done)
    later = occurrence(START + dt.timedelta(hours=2))
    actions = plan(m, later, ag, done, BEFORE, Options(), RENDERER).actions
    (update,) = [a for a in actions if isinstance(a, UpdateEvent)]
    assert update.draft.start == "2023-09-11T10:30:00"
    (issue_update,) = [a for a in actions if isinstance(a, UpdateIssue)]  # the time table moves too
    assert "10:30" in issue_update.body


def test_an_extra_occurrence_marks_its_event_so_no_sweep_cancels_it():
    extra = dataclasses.replace(occurrence(), extra=True)
    issue = IssueRecord(1, ISSUE_URL, "T", "", "open")
    draft = planmod.event_draft(meeting(), extra, agenda(), Links(ISSUE_URL, None, None, None), _EventOnly(), issue)
    assert draft.private[planmod.EVENT_EXTRA_PROPERTY] == "1"
    regular = planmod.event_draft(meeting(), occurrence(), agenda(), Links(ISSUE_URL, None, None, None), _EventOnly(), issue)
    assert planmod.EVENT_EXTRA_PROPERTY not in regular.private


def test_event_times_are_wall_clock_in_the_meeting_zone_across_dst():
    m = meeting()
    winter = dt.datetime(2023, 11, 6, 8, 30, tzinfo=ZONE)  # the Monday after the fall-back change
    lnk = Links(ISSUE_URL, None, None, None)
    draft = planmod.event_draft(m, occurrence(winter), agenda(), lnk, _EventOnly(), IssueRecord(1, ISSUE_URL, "T", "", "open"))
    assert (draft.start, draft.end, draft.timezone) == ("2023-11-06T08:30:00", "2023-11-06T09:30:00", "America/Los_Angeles")
    assert occurrence(winter).start_utc.hour == 16 and occurrence(START).start_utc.hour == 15


class _EventOnly:
    def event(self, ctx) -> str:
        return "description"

    def title(self, meeting, occurrence) -> str:
        return "T"


def test_extra_events_for_one_occurrence_are_cancelled():
    m, ag = meeting(), agenda(17)
    done = converge(m, occurrence(), ag, numbered(converge(m, occurrence(), ag, BASE)))
    twin = dataclasses.replace(done.events[0], id="zz-second")
    existing = dataclasses.replace(done, events=done.events + (twin,))
    actions = plan(m, occurrence(), ag, existing, BEFORE, Options(), RENDERER).actions
    assert [a.event_id for a in actions if isinstance(a, CancelEvent)] == ["zz-second"]


def test_the_sweep_cancels_only_bot_events_of_dropped_occurrences():
    def event(key: str, status: str = "confirmed") -> EventRecord:
        return EventRecord(key, "s", "d", "", "2023-09-18T08:30:00", "2023-09-18T09:30:00", "UTC", status, key=key)

    extra = dataclasses.replace(event("m/2023-09-19"), extra=True)  # a chair's --date --force meeting
    events = (event("m/2023-09-18"), event("m/2023-09-25"), event(""), event("m/2023-10-02", "cancelled"), extra)
    actions = plan_sweep(meeting(), events, frozenset({"m/2023-09-25"})).actions
    assert [a.event_id for a in actions] == ["m/2023-09-18"]
    assert plan_sweep(make_meeting(), events, frozenset()).actions == ()


def test_a_calendar_waits_for_the_notes():
    m, occ, ag = meeting(), occurrence(), agenda(17)
    existing = numbered(converge(m, occ, ag, BASE))
    existing = dataclasses.replace(existing, notes=None, events=())
    actions = plan(m, occ, ag, existing, BEFORE, Options(), RENDERER).actions
    assert [type(a) for a in actions] == [CreateNotes]
    assert not any(isinstance(a, CreateEvent) for a in actions)


def _big_agenda(count: int, pad: int = 0) -> Agenda:
    title = "A long agenda item title that someone wrote with a lot of detail in it, repeated " * 2 + "x" * pad
    items = tuple(
        AgendaItem(MEETING_REPO, n, f"{title} {n}", f"https://github.com/{MEETING_REPO}/issues/{n}")
        for n in range(1, count + 1)
    )
    return Agenda("security-agenda", ("openjs-foundation",), (), (AgendaGroup(MEETING_REPO, items),))


def test_an_agenda_too_big_for_github_is_cut_with_a_note():
    big = _big_agenda(5000)
    (create,) = plan(meeting(), occurrence(), big, BASE, BEFORE, Options(), RENDERER).actions
    assert regions.size(create.body) <= planmod.MAX_ISSUE_BODY
    shown = create.body.count("](https://github.com/")
    assert 100 < shown < 5000
    assert f"…and {5000 - shown} more labeled items" in create.body
    assert markers.find_key(create.body) == "security-collab-space/2023-09-11"


def test_an_event_description_is_cut_to_googles_limit():
    lnk = Links(ISSUE_URL, NOTES_URL, None, None)
    issue = IssueRecord(59, ISSUE_URL, "T", "", "open")
    draft = planmod.event_draft(meeting(), occurrence(), _big_agenda(300), lnk, RENDERER, issue)
    assert regions.size(draft.description) <= planmod.MAX_EVENT_DESCRIPTION
    assert "more items" in draft.description and ISSUE_URL in draft.description


def test_agenda_first_keeps_groups_in_order_and_counts_the_rest():
    two = Agenda("l", (), (), (AgendaGroup("a/a", agenda(1, 2).items), AgendaGroup("b/b", agenda(3).items)))
    cut = two.first(2)
    assert [g.repo for g in cut.groups] == ["a/a"] and cut.omitted == 1
    assert two.first(0).groups == () and two.first(0).omitted == 3


def test_a_long_title_is_cut_to_githubs_limit():
    m = meeting(name="Working group " * 40)
    (create,) = plan(m, occurrence(), agenda(17), BASE, BEFORE, Options(), RENDERER).actions
    assert len(create.title) <= 256


def test_hackmd_notes_are_keyed_by_the_occurrence_not_a_path():
    m = meeting(notes=NotesConfig(provider=NotesProvider.HACKMD, hackmd_team="wg"))
    first = plan(m, occurrence(), agenda(17), BASE, BEFORE, Options(), RENDERER).actions[0]
    existing = numbered(dataclasses.replace(BASE, issues=(_record(first),)))
    (create,) = [a for a in plan(m, occurrence(), agenda(17), existing, BEFORE, Options(), RENDERER).actions]
    assert isinstance(create, CreateNotes) and create.ref == "security-collab-space/2023-09-11"


def test_notes_without_their_markers_are_left_alone_and_say_so():
    m, occ, ag = meeting(), occurrence(), agenda(17)
    done = converge(m, occ, ag, numbered(converge(m, occ, ag, BASE)))
    bare = done.notes.content.replace(markers.AGENDA_START, "").replace(markers.AGENDA_END, "")
    existing = dataclasses.replace(done, notes=dataclasses.replace(done.notes, content=bare))
    current = plan(m, occ, agenda(17, 18), existing, BEFORE, Options(), RENDERER)
    assert not any(isinstance(a, UpdateNotes) for a in current.actions)
    assert planmod.NOTES_MARKERS_MISSING.format(ref=done.notes.ref) in current.warnings


def test_without_a_calendar_no_event_is_planned():
    m = make_meeting()  # calendar provider none
    done = converge(m, occurrence(), agenda(17), numbered(converge(m, occurrence(), agenda(17), BASE)))
    assert done.events == () and done.notes is not None


def test_a_previous_issue_already_closed_is_not_closed_again():
    m = meeting(issue=IssueConfig(close_previous=True))
    done = numbered(converge(m, occurrence(), agenda(17), BASE))
    previous = IssueRecord(41, ISSUE_URL.replace("59", "41"), "previous", "", "closed")
    existing = dataclasses.replace(done, previous=previous)
    actions = plan(m, occurrence(), agenda(17), existing, BEFORE, Options(previous_started=True), RENDERER).actions
    assert not any(isinstance(a, CloseIssue) for a in actions)


def test_a_human_edit_in_the_links_section_is_kept_while_an_untouched_one_follows_the_meeting():
    m, ag = meeting(), agenda(17)
    done = converge(m, occurrence(), ag, numbered(converge(m, occurrence(), ag, BASE)))
    issue = done.issues[0]
    links_inner = markers.find_region(issue.body, markers.LINKS)
    assert markers.untouched(links_inner, markers.LINKS)
    edited_inner = links_inner.replace("## Links\n", "## Links\n\n* **Slides**: https://example.org/slides\n")
    edited = dataclasses.replace(issue, body=markers.replace_region(issue.body, markers.LINKS, edited_inner))
    later = occurrence(START + dt.timedelta(hours=2))
    for state, kept in ((dataclasses.replace(done, issues=(edited,)), True), (done, False)):
        actions = plan(m, later, agenda(17, 18), state, BEFORE, Options(), RENDERER).actions
        (update,) = [a for a in actions if isinstance(a, UpdateIssue)]
        assert ("Slides" in update.body) == kept and "[#18]" in update.body  # the agenda follows either way
        moved = "| US / Pacific | Mon 11-Sep-2023 10:30"
        assert (moved in markers.find_region(update.body, markers.LINKS)) != kept


def test_seal_survives_crlf_and_detects_any_change():
    inner = "\r\n## Time\r\n| a | b |\r\n"
    sealed_inner = markers.seal(inner, "links")
    assert markers.untouched(sealed_inner, "links") and "\r\n<!-- meeting-bot:links:sha=" in sealed_inner
    assert not markers.untouched(sealed_inner.replace("| a |", "| x |"), "links")
    assert not markers.untouched(inner, "links")
    assert markers.seal(sealed_inner, "links") == sealed_inner


@pytest.mark.parametrize("pad", range(0, 200, 20))
def test_a_cut_agenda_is_stable_from_one_run_to_the_next(pad):
    """Cut to fit what is sent (with the notes line and the seal), so the next run does not cut again."""
    big = _big_agenda(3000, pad)
    m, occ = meeting(), occurrence()
    (create,) = plan(m, occ, big, BASE, BEFORE, Options(), RENDERER).actions
    assert regions.size(create.body) <= planmod.MAX_ISSUE_BODY
    made = numbered(Existing(issues=(_record(create),), notes_url=NOTES_URL))
    assert not [a for a in plan(m, occ, big, made, BEFORE, Options(), RENDERER).actions if isinstance(a, UpdateIssue)]


def test_a_forged_notes_location_and_a_renamed_issue_do_not_steer_the_writes():
    m, occ, ag = meeting(), occurrence(), agenda(17)
    created = plan(m, occ, ag, BASE, BEFORE, Options(), RENDERER).actions[0]
    forged = created.body.replace(markers.make_notes_ref("meetings/2023-09-11.md"), markers.make_notes_ref(".github/workflows/x.yml"))
    issue = IssueRecord(59, ISSUE_URL, "Sync closes #1", forged, "open", author="meeting-bot")
    current = plan(m, occ, ag, dataclasses.replace(BASE, issues=(issue,)), BEFORE, Options(), RENDERER)
    assert planmod.NOTES_REF_IGNORED.format(number=59) in current.warnings
    (notes,) = [a for a in current.actions if isinstance(a, CreateNotes)]
    assert notes.ref == "meetings/2023-09-11.md" and notes.title == created.title
    done = converge(m, occ, ag, dataclasses.replace(BASE, issues=(issue,)))
    assert {e.summary for e in done.events} == {created.title}


def test_issues_the_bot_did_not_make_are_never_closed_nor_kept():
    m, occ, ag = meeting(), occurrence(), agenda(17)
    done = numbered(converge(m, occ, ag, BASE))
    ours = done.issues[0]
    theirs = dataclasses.replace(ours, number=58, author="mallory", trusted=False)
    current = plan(m, occ, ag, dataclasses.replace(done, issues=(theirs, ours)), BEFORE, Options(), RENDERER)
    assert not any(isinstance(a, CloseIssue) for a in current.actions)
    assert planmod.survivor((theirs, ours)) == ours


def test_a_previous_issue_a_human_reopened_is_not_closed_again():
    m = meeting(issue=IssueConfig(close_previous=True))
    done = numbered(converge(m, occurrence(), agenda(17), BASE))
    previous = IssueRecord(41, ISSUE_URL.replace("59", "41"), "previous", "", "open", state_reason="reopened")
    existing = dataclasses.replace(done, previous=previous)
    actions = plan(m, occurrence(), agenda(17), existing, BEFORE, Options(previous_started=True), RENDERER).actions
    assert not any(isinstance(a, CloseIssue) for a in actions)
    opened = dataclasses.replace(previous, state_reason=None)
    actions = plan(m, occurrence(), agenda(17), dataclasses.replace(done, previous=opened), BEFORE,
                   Options(previous_started=True), RENDERER).actions
    assert any(isinstance(a, CloseIssue) for a in actions)


def test_an_extra_or_forced_occurrence_carries_the_extra_marker():
    m = meeting()
    (create,) = plan(m, dataclasses.replace(occurrence(), extra=True), agenda(17), BASE, BEFORE, Options(), RENDERER).actions
    assert markers.is_extra(create.body)
    (plain,) = plan(m, occurrence(), agenda(17), BASE, BEFORE, Options(force=True), RENDERER).actions
    assert not markers.is_extra(plain.body)
    skipping = make_meeting(agenda=AgendaConfig(label="l", skip_if_empty=True))
    (forced,) = plan(skipping, occurrence(), agenda(), BASE, BEFORE, Options(force=True), RENDERER).actions
    assert markers.is_extra(forced.body)


def test_a_cancelled_issue_stops_the_plan():
    m = meeting()
    done = numbered(converge(m, occurrence(), agenda(17), BASE))
    closed = dataclasses.replace(done.issues[0], state="closed", state_reason="not_planned")
    result = plan(m, occurrence(), agenda(17, 18), dataclasses.replace(done, issues=(closed,), events=()), BEFORE,
                  Options(), RENDERER)
    assert result.actions == () and result.notices == (planmod.CANCELLED.format(number=closed.number),)


def test_new_notes_start_with_the_previous_open_action_items():
    m = meeting()
    done = numbered(converge(m, occurrence(), agenda(17), BASE))
    existing = dataclasses.replace(done, notes=None, action_items=("- [ ] Ann: draft",))
    (create,) = [a for a in plan(m, occurrence(), agenda(17), existing, BEFORE, Options(), RENDERER).actions
                 if isinstance(a, CreateNotes)]
    assert "## Action items from the previous meeting\n\n- [ ] Ann: draft\n" in create.content
