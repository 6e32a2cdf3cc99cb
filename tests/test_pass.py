"""The whole pass in the test process, against in-memory ports (tests/fakes.py): SPEC section 6 in milliseconds.

The same behaviours are confirmed end to end over HTTP, through the real clients and the doubles, in
test_run_e2e.py, test_notes_e2e.py, test_calendar_e2e.py and test_faults.py.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path

import pytest

from bot import after_apply, markers, plan
from bot.apply import CLOSED_ISSUE
from bot.preview import DRY_CREATE_ISSUE, DRY_CREATE_NOTES
from bot.errors import ServiceError, unexpected
from bot.model import (
    AgendaConfig, CalendarConfig, CalendarProvider, IssueConfig, Meeting, NotesConfig, NotesProvider, Slot,
)
from bot.render import Renderer
from bot.runner import (
    MAX_ROUNDS, NO_NEXT, NOTHING_DUE, NOTHING_NEW, ROUNDS_EXCEEDED, STARTED, STARTED_MEANWHILE, Outcome, Pass,
    RunRequest, run_pass,
)
from tests.fakes import WRITES, Fault, Killed, Outside, topic

REPO = "acme/meetings"
ZONE = "Europe/Berlin"
CALENDAR = "wg@group.calendar.google.com"
DATE = dt.date(2024, 3, 11)  # Mondays 16:00 in Berlin; this one's window opens on 2024-03-04
KEY = f"wg/{DATE.isoformat()}"
PREVIOUS_KEY = "wg/2024-03-04"
NOW = dt.datetime(2024, 3, 7, 12, 0, tzinfo=dt.timezone.utc)
STARTS = dt.datetime(2024, 3, 11, 15, 0, tzinfo=dt.timezone.utc)
RENDERER = Renderer()


def meeting(**changes: object) -> Meeting:
    base = Meeting(
        id="wg",
        source=Path("config/wg.toml"),
        name="WG Meeting",
        repo=REPO,
        slots=(Slot(ZONE, dt.datetime(2024, 1, 8, 16, 0), "FREQ=WEEKLY"),),
        agenda=AgendaConfig("wg-agenda", orgs=("acme",)),
        issue=IssueConfig(labels=("meeting",), close_previous=True),
        notes=NotesConfig(NotesProvider.REPO),
        calendar=CalendarConfig(CalendarProvider.GOOGLE, CALENDAR),
        vars={"join_url": "https://meet.example.org/wg"},
    )
    return dataclasses.replace(base, **changes)  # type: ignore[arg-type]


class Run:
    """Passes of the bot over one outside world, each at a moment of the test's choosing."""

    def __init__(self, outside: Outside, *meetings: Meeting) -> None:
        self.outside, self.meetings = outside, list(meetings) or [meeting()]
        self.printed: list[str] = []

    def __call__(self, now: dt.datetime = NOW, clock=None, **request: object) -> list[Outcome]:
        run = Pass(self.outside.services(), RENDERER, RunRequest(**request), clock or (lambda: now), self.printed.append)  # type: ignore[arg-type]
        return run_pass(self.meetings, run)


@pytest.fixture
def outside() -> Outside:
    world = Outside((topic(1, "Topic 0"),))
    world.issues.add(REPO, "WG Meeting 2024-03-04", markers.make_key(PREVIOUS_KEY))
    return world


def one_of_each(outside: Outside) -> None:
    """The occurrence has exactly one open issue, one notes file and one event; the previous issue is closed."""
    assert [i.state for i in outside.issues.of(REPO, KEY)] == ["open"]
    assert [i.state for i in outside.issues.of(REPO, PREVIOUS_KEY)] == ["closed"]
    (notes,) = outside.notes.files.values()
    assert markers.find_key(notes.content) == KEY
    assert [e.key for e in outside.calendar.live()] == [KEY]


def test_a_first_pass_makes_one_of_each_and_later_passes_write_nothing(outside: Outside):
    run = Run(outside)
    (first,) = run()
    assert first.ok, first.lines
    assert outside.writes == ["issue.create", "issue.close", "notes.create", "event.create"]
    one_of_each(outside)
    issue = outside.issues.of(REPO, KEY)[0]
    assert "[#1](https://github.com/acme/lib/issues/1)" in markers.find_region(issue.body, markers.AGENDA)
    for _ in range(3):
        (again,) = run()
        assert again.lines == (NOTHING_NEW.format(number=issue.number),)
    assert len(outside.writes) == 4


def test_a_new_topic_refreshes_the_agenda_and_keeps_what_people_wrote(outside: Outside):
    run = Run(outside)
    run()
    issue = outside.issues.of(REPO, KEY)[0]
    edited = "Chair: read the notes first.\n\n" + issue.body + "\n-- the chair\n"
    outside.issues.edit(REPO, issue.number, body=edited)
    outside.items.append(topic(2, "Topic 1"))

    (second,) = run()

    after = outside.issues.of(REPO, KEY)[0].body
    assert second.ok and "[#2]" in markers.find_region(after, markers.AGENDA)
    assert after.split(markers.AGENDA_START)[0] == edited.split(markers.AGENDA_START)[0]
    assert after.split(markers.AGENDA_END)[1] == edited.split(markers.AGENDA_END)[1]
    assert outside.writes[4:] == ["issue.update", "notes.update", "event.update"]


def test_an_edit_made_while_the_pass_works_goes_back_to_the_planner_and_is_kept(outside: Outside):
    run = Run(outside)
    run()
    number = outside.issues.of(REPO, KEY)[0].number
    outside.items.append(topic(2, "Topic 1"))
    read_before_write = outside.issues.get

    def get(repo: str, number_: int):  # a person saves after the plan's read, before the write's read
        if not outside.issues.get_calls:
            outside.issues.edit(REPO, number, body="Late note\n" + read_before_write(repo, number).body)
        outside.issues.get_calls.append(number_)
        return read_before_write(repo, number_)

    outside.issues.get_calls = []  # type: ignore[attr-defined]
    outside.issues.get = get  # type: ignore[method-assign]
    (second,) = run()

    body = outside.issues.of(REPO, KEY)[0].body
    assert second.ok and body.startswith("Late note\n") and "[#2]" in body
    # read before the first write: changed, so planned again; read again: as planned, so written once
    assert outside.issues.get_calls == [number, number] and outside.writes.count("issue.update") == 1


def test_notes_changed_between_read_and_write_are_read_again_not_overwritten(outside: Outside):
    run = Run(outside)
    run()
    outside.items.append(topic(2, "Late topic"))
    (ref, record), = [(ref, r) for (_, ref), r in outside.notes.files.items()]
    person = record.content.replace("## Present\n", "## Present\n\n* Bob\n")
    outside.notes.put(meeting(), ref, person)  # saved after the pass's read (a new version)
    first_find = outside.notes.find

    def stale_find(m, ref_, key):  # the pass read the version before Bob's
        return record if ref_ == ref else first_find(m, ref_, key)

    outside.notes.find = stale_find  # type: ignore[method-assign]
    (second,) = run()

    content = outside.notes.files[(REPO, ref)].content
    assert second.ok, second.lines
    assert "* Bob" in content and "Late topic" in markers.find_region(content, markers.AGENDA)


def test_dry_run_writes_nothing_and_prints_the_issue_and_the_notes(outside: Outside):
    run = Run(outside)
    (dry,) = run(dry_run=True)
    assert dry.ok and outside.writes == []
    (plan_text,) = run.printed  # the meeting's plan, printed once
    assert DRY_CREATE_ISSUE.format(repo=REPO, title="WG Meeting 2024-03-11") in plan_text
    assert DRY_CREATE_NOTES.format(ref="meetings/2024-03-11.md") in plan_text


def test_nothing_is_touched_once_the_meeting_has_started_even_with_force(outside: Outside):
    run = Run(outside)
    run()
    writes = list(outside.writes)
    outside.items.append(topic(2, "Late topic"))
    for force in (False, True):
        (late,) = run(now=STARTS + dt.timedelta(minutes=30), date=DATE, force=force)
        assert late.lines == (STARTED.format(date=DATE.isoformat()),)
    assert outside.writes == writes


def test_a_meeting_that_starts_during_the_pass_gets_no_further_write(outside: Outside):
    # The pass reads the clock once to announce its meetings to the agenda source, then once per meeting.
    moments = iter([STARTS - dt.timedelta(seconds=6), STARTS - dt.timedelta(seconds=5), STARTS - dt.timedelta(seconds=1)])
    (late,) = Run(outside)(clock=lambda: next(moments, STARTS))
    assert late.ok and late.lines[-1] == STARTED_MEANWHILE.format(date=DATE.isoformat())
    assert outside.writes == ["issue.create"]


def test_outside_the_window_nothing_is_done(outside: Outside):
    late_window = meeting(slots=(dataclasses.replace(meeting().slots[0], create_days_before=1),))
    (early,) = Run(outside, late_window)()
    # the upcoming occurrence is left alone; the 2024-03-04 one ended within the look-back, so the
    # after-meeting step closes its issue (SPEC section 8) and nothing else is written
    closed = after_apply.CLOSED.format(number=1, reason="completed")
    nothing_due = NOTHING_DUE.format(start="2024-03-11 16:00 CET", opens="2024-03-10 16:00 CET", date=DATE)
    assert early.lines == (nothing_due, closed)
    assert outside.writes == ["after.close"] and not outside.issues.of(REPO, KEY)


def test_a_retitled_meeting_or_an_issue_closed_by_hand_makes_no_second_issue(outside: Outside):
    run = Run(outside)
    run()
    run.meetings = [meeting(title="Renamed {{ date }}")]
    run()
    (issue,) = outside.issues.of(REPO, KEY)
    outside.issues.edit(REPO, issue.number, state="closed")
    (closed,) = run()
    assert plan.CLOSED_BY_HAND.format(number=issue.number) in closed.lines
    assert outside.writes.count("issue.create") == 1


def test_skip_if_empty_makes_nothing_on_an_empty_agenda_unless_forced(outside: Outside):
    outside.items.clear()
    run = Run(outside, meeting(agenda=AgendaConfig("wg-agenda", orgs=("acme",), skip_if_empty=True)))
    (skipped,) = run()
    closed = after_apply.CLOSED.format(number=1, reason="completed")  # the ended 2024-03-04 meeting's step
    assert skipped.lines == (plan.SKIPPED_EMPTY, closed) and outside.writes == ["after.close"]
    run(force=True)
    assert outside.writes[1] == "issue.create"


def test_the_previous_issue_is_closed_with_a_link_once_it_has_started(outside: Outside):
    (first,) = Run(outside)(now=dt.datetime(2024, 3, 4, 10, 0, tzinfo=dt.timezone.utc), date=DATE)
    assert "issue.close" not in outside.writes  # the previous meeting has not started
    (later,) = Run(outside)()
    current = outside.issues.of(REPO, KEY)[0]
    previous = outside.issues.of(REPO, PREVIOUS_KEY)[0]
    assert CLOSED_ISSUE.format(number=previous.number) in later.lines
    assert outside.issues.comments[(REPO, previous.number)] == [
        plan.PREVIOUS_COMMENT.format(number=current.number, url=current.url)
    ]


def test_duplicates_are_closed_and_the_first_trusted_issue_stays(outside: Outside):
    first = outside.issues.add(REPO, "WG Meeting 2024-03-11", markers.make_key(KEY) + "\n")
    outsider = outside.issues.add(REPO, "Mine now", markers.make_key(KEY) + "\n", trusted=False)
    second = outside.issues.add(REPO, "WG Meeting 2024-03-11", markers.make_key(KEY) + "\n")
    (result,) = Run(outside)()
    assert result.ok, result.lines
    states = {i.number: i.state for i in outside.issues.of(REPO, KEY)}
    assert states == {first.number: "open", outsider.number: "open", second.number: "closed"}
    assert outside.issues.comments[(REPO, second.number)] == [
        plan.DUPLICATE_COMMENT.format(number=first.number, date=DATE.isoformat())
    ]


def test_an_issue_made_by_another_pass_meanwhile_is_closed_as_a_duplicate(outside: Outside):
    def another_pass(name: str) -> None:
        if name == "issue.create" and not outside.issues.of(REPO, KEY):
            outside.issues.add(REPO, "WG Meeting 2024-03-11", markers.make_key(KEY) + "\n")

    outside.before_write = another_pass
    (result,) = Run(outside)()
    assert result.ok, result.lines
    assert [i.state for i in outside.issues.of(REPO, KEY)] == ["open", "closed"]


def test_an_issue_the_listing_does_not_show_yet_makes_no_second_issue(outside: Outside):
    outside.issues.lag_new = True  # the issue is made; the listing has not caught up with it
    (result,) = Run(outside)()
    assert result.ok and outside.writes.count("issue.create") == 1


def test_an_issue_whose_markers_were_removed_is_left_alone(outside: Outside):
    run = Run(outside)
    run()
    issue = outside.issues.of(REPO, KEY)[0]
    body = issue.body.replace(markers.AGENDA_START, "").replace(markers.AGENDA_END, "")
    outside.issues.edit(REPO, issue.number, body=body)
    outside.items.append(topic(2, "New topic"))
    (result,) = run()
    assert plan.MARKERS_MISSING.format(number=issue.number) in result.warnings  # said once, on stderr
    assert outside.issues.of(REPO, KEY)[0].body == body


@pytest.mark.parametrize("when", ["before", "after"])
@pytest.mark.parametrize("write", WRITES[:5] + ("event.create",))
def test_a_fault_at_any_write_then_clean_passes_end_with_one_of_each(outside: Outside, write: str, when: str):
    run = Run(outside)
    if write in ("issue.update", "notes.update"):
        run()  # these writes happen on a later pass, when the agenda changes
        outside.items.append(topic(2, "Topic 1"))
    outside.faults[write] = Fault(when)
    (failed,) = run()
    assert not failed.ok and failed.lines[-1] == "the service failed"
    run()
    one_of_each(outside)
    writes = len(outside.writes)
    (last,) = run()
    assert last.ok and len(outside.writes) == writes


@pytest.mark.parametrize("write", ["issue.create", "notes.create", "event.create", "issue.close"])
def test_a_pass_that_dies_at_any_write_is_completed_by_the_next(outside: Outside, write: str):
    run = Run(outside)
    outside.faults[write] = Fault("before", Killed())
    with pytest.raises(Killed):
        run()
    run()
    one_of_each(outside)


def test_an_unreadable_calendar_fails_the_meeting_after_the_issue_and_notes(outside: Outside):
    run = Run(outside)
    outside.calendar.find_meeting = _unreachable  # type: ignore[method-assign]
    (failed,) = run()
    assert not failed.ok and failed.lines[-1] == "the calendar is down"
    assert "event.create" not in outside.writes and outside.notes.files
    del outside.calendar.find_meeting
    run()
    one_of_each(outside)


def _unreachable(*args: object) -> tuple[()]:
    raise ServiceError("the calendar is down")


def test_one_failing_meeting_does_not_stop_the_others(outside: Outside):
    broken = meeting(id="broken", calendar=CalendarConfig(CalendarProvider.GOOGLE, "missing"))
    outside.faults["issue.create"] = Fault("before", ServiceError("acme/meetings: not found"))
    outcomes = Run(outside, broken, meeting())()
    assert [o.ok for o in outcomes] == [False, True]


def test_a_skipped_date_cancels_the_bots_event_and_keeps_a_chairs_extra_one(outside: Outside):
    run = Run(outside)
    run()
    (extra,) = run(date=dt.date(2024, 3, 13), force=True)  # a chair's extra meeting on a Wednesday
    assert extra.ok, extra.lines
    skipping = meeting(slots=(dataclasses.replace(meeting().slots[0], skip_dates=(DATE,)),))
    run.meetings = [skipping]
    (swept,) = run()
    assert swept.ok, swept.lines
    assert {e.key for e in outside.calendar.live()} == {"wg/2024-03-13"}


def test_with_no_occurrence_due_the_sweep_still_cancels_a_dropped_event(outside: Outside):
    run = Run(outside)
    run()
    ended = meeting(slots=(dataclasses.replace(meeting().slots[0], rrule="FREQ=WEEKLY;UNTIL=20240305T000000"),))
    run.meetings = [ended]
    (swept,) = run()
    assert swept.ok and outside.calendar.live() == []
    assert outside.writes[-1] == "event.cancel"


def test_a_meeting_without_notes_or_calendar_makes_only_its_issue(outside: Outside):
    plain = meeting(notes=NotesConfig(NotesProvider.NONE), calendar=CalendarConfig())
    (result,) = Run(outside, plain)()
    assert result.ok and outside.writes == ["issue.create", "issue.close"]


def test_the_agendas_warnings_are_logged_and_the_pass_goes_on(outside: Outside, caplog):
    outside.warnings = ("the search was cut short",)
    with caplog.at_level("WARNING", logger="meeting_bot"):
        (result,) = Run(outside)()
    assert result.ok and "wg: the search was cut short" in caplog.text


def test_writes_that_never_settle_fail_the_meeting_after_the_last_round(outside: Outside):
    run = Run(outside)
    run()
    outside.items.append(topic(2, "Topic 1"))
    outside.issues.update_body = lambda repo, number, body: outside.issues.get(repo, number)  # type: ignore[method-assign]
    (result,) = run()
    assert not result.ok and result.lines[-1] == ROUNDS_EXCEEDED.format(rounds=MAX_ROUNDS)


def test_an_unforeseen_error_fails_only_its_meeting_in_one_line(outside: Outside):
    def broken(*args: object) -> None:
        raise KeyError("surprise")

    outside.issues.find = broken  # type: ignore[method-assign]
    (result,) = Run(outside)()
    assert not result.ok and result.lines == (unexpected(KeyError("surprise")),)


def test_with_nothing_due_and_no_calendar_only_the_listing_is_read_and_nothing_written(outside: Outside):
    done = meeting(calendar=CalendarConfig(), slots=(dataclasses.replace(meeting().slots[0], rrule="FREQ=WEEKLY;COUNT=2"),))
    (result,) = Run(outside, done)()
    # the after-meeting step reads the issue listing once, for cancelled occurrences (SPEC section 8)
    assert result.lines == (NO_NEXT,) and outside.writes == [] and outside.reads == ["issue.find"]


def test_a_pass_tells_the_agenda_source_which_meetings_may_read_their_agenda(outside: Outside):
    """So that meetings searching the same scopes can share a search: those whose window is open, every
    meeting under --date, and nothing else (decided from the schedule alone)."""
    due = meeting()
    later = meeting(id="later", slots=(Slot(ZONE, dt.datetime(2024, 4, 1, 16, 0), "FREQ=MONTHLY"),))
    ended = meeting(id="ended", slots=(Slot(ZONE, dt.datetime(2023, 1, 2, 16, 0), "FREQ=WEEKLY;COUNT=3"),))
    Run(outside, due, later, ended)()
    assert outside.expected == [("wg",)]
    Run(outside, due, later, ended)(date=DATE, force=True)
    assert outside.expected[-1] == ("wg", "later", "ended")
