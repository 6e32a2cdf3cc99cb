"""The planner: from what should exist and what does exist, the writes that close the gap."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from bot import markers, readback
from bot.markers import EVENT_EXTRA_PROPERTY, EVENT_KEY_PROPERTY, EVENT_MEETING_PROPERTY
from bot.model import (
    Agenda,
    CalendarProvider,
    EventDraft,
    EventRecord,
    IssueRecord,
    Meeting,
    NotesProvider,
    Occurrence,
)
from bot.actions import (  # the planner's vocabulary, offered here beside the planner
    CreateIssue as CreateIssue,
    UpdateIssue as UpdateIssue,
    CloseIssue as CloseIssue,
    CreateNotes as CreateNotes,
    UpdateNotes as UpdateNotes,
    CreateEvent as CreateEvent,
    UpdateEvent as UpdateEvent,
    CancelEvent as CancelEvent,
    Action as Action,
    Existing as Existing,
    Options as Options,
    Plan as Plan,
)
from bot.regions import fit, refresh, sealed
from bot.render import Context, Links, Renderer, build_context, complete

MAX_ISSUE_BODY = 65536  # GitHub's limit on an issue body
MAX_EVENT_DESCRIPTION = 8192  # what Google Calendar keeps of a description
ISSUE_REGION = "agenda"

STARTED = "nothing to do: the {date} meeting has started, so it is left as it is"
CANCELLED = "#{number} was closed as not planned: the meeting is cancelled"
SKIPPED_EMPTY = "skipped: the agenda is empty and skip_if_empty is set (use --force to create anyway)"
CLOSED_BY_HAND = "#{number} was closed by hand: left alone"
RESTORE_MARKERS = (
    "; to restore them, put the two lines {start} and {end} back around the agenda, on lines of their own "
    "(the bot fills in what is between them on its next run)"
).format(start=markers.AGENDA_START, end=markers.AGENDA_END)
MARKERS_MISSING = "#{number}: the agenda markers were removed by hand, so the agenda is not refreshed" + RESTORE_MARKERS
NOTES_MARKERS_MISSING = "{ref}: the agenda markers were removed by hand, so the agenda is not refreshed" + RESTORE_MARKERS
NOTES_NOT_OURS = "{ref}: a file that the bot did not write is in the way: left alone"
NOTES_FOREIGN = (
    "{ref}: carries the bot's key but was created by {creator}, not by the bot's own identity: left alone, "
    "never edited"
)
NOTES_REF_IGNORED = (
    "#{number}: the notes location written in the issue is not a path under the configured notes folder: "
    "ignored, the configured notes.path is used"
)
DUPLICATE_COMMENT = "Closing as a duplicate of #{number}, the meeting issue for {date}. (meeting-bot)"
PREVIOUS_COMMENT = "The next meeting's issue is #{number}: {url} (closed by meeting-bot)"
NOTES_UPDATE_MESSAGE = "Refresh the agenda in the notes for {title}"
DROPPED_EVENT = "{date} is no longer on the schedule"
DUPLICATE_EVENT = "a second event for {date}"


@dataclass
class _Builder:
    actions: list[Action] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def done(self) -> Plan:
        return Plan(tuple(self.actions), tuple(self.notices), tuple(self.warnings))


def survivor(issues: tuple[IssueRecord, ...]) -> IssueRecord | None:
    """The issue that counts when several carry the key: the first one a trusted author made."""
    trusted = [issue for issue in issues if issue.trusted]
    return min(trusted, key=lambda issue: issue.number) if trusted else None


def links(meeting: Meeting, occurrence: Occurrence, existing: Existing, issue: IssueRecord | None) -> Links:
    """The links the templates show: the issue, the notes (when known), the calendar and the join."""
    notes_url = existing.notes.url if existing.notes else existing.notes_url
    if meeting.notes.provider is NotesProvider.NONE:
        notes_url = None
    return complete(Links(issue=issue.url if issue else None, notes=notes_url), meeting, occurrence)


def plan(
    meeting: Meeting,
    occurrence: Occurrence,
    agenda: Agenda,
    existing: Existing,
    now: dt.datetime,
    options: Options,
    renderer: Renderer,
) -> Plan:
    """The next writes for one occurrence; an empty plan means everything is as it should be."""
    out = _Builder()
    if now >= occurrence.start:
        out.notices.append(STARTED.format(date=occurrence.date.isoformat()))
        return out.done()
    issue = survivor(existing.issues)
    if issue is None:
        _plan_create(meeting, occurrence, agenda, existing, options, renderer, out)
        return out.done()
    if issue.state == "closed" and issue.state_reason == "not_planned":
        out.notices.append(CANCELLED.format(number=issue.number))
        return out.done()
    if readback.forged_notes_ref(meeting, occurrence, issue.body):
        out.warnings.append(NOTES_REF_IGNORED.format(number=issue.number))
    title = renderer.title(meeting, occurrence)  # never the live issue title: anyone with triage can change it
    lnk = links(meeting, occurrence, existing, issue)
    ctx = build_context(meeting, occurrence, agenda, lnk, title=title, action_items=existing.action_items)
    _plan_duplicates(meeting, occurrence, existing.issues, issue, out)
    rendered = fit(
        agenda,
        lambda ag: renderer.issue(build_context(meeting, occurrence, ag, lnk, title)),
        MAX_ISSUE_BODY,
        final=lambda text: refresh(issue.body, text)[0],
    )
    _plan_issue_refresh(meeting, issue, rendered, out)
    _plan_previous(meeting, existing, issue, options, out)
    notes_ready = _plan_notes(ctx, agenda, existing, renderer, out)
    if notes_ready and options.calendar:
        _plan_event(meeting, occurrence, agenda, existing, renderer, issue, out)
    return out.done()


def _plan_create(
    meeting: Meeting, occurrence: Occurrence, agenda: Agenda, existing: Existing, options: Options,
    renderer: Renderer, out: _Builder,
) -> None:
    if agenda.empty and meeting.agenda.skip_if_empty and not options.force:
        out.notices.append(SKIPPED_EMPTY)
        return
    title = renderer.title(meeting, occurrence)
    lnk = links(meeting, occurrence, existing, None)
    notes_line = markers.EXTRA + "\n" if _forced(meeting, occurrence, agenda, options) else ""
    if meeting.notes.provider is not NotesProvider.NONE:
        notes_line += markers.make_notes_ref(notes_ref(meeting, occurrence, agenda, renderer, None)) + "\n"

    def finish(body: str) -> str:  # what is sent, so the size limit is measured on it
        return sealed(body.rstrip("\n") + "\n" + notes_line if notes_line else body)

    render = lambda ag: renderer.issue(build_context(meeting, occurrence, ag, lnk, title))  # noqa: E731
    body = finish(fit(agenda, render, MAX_ISSUE_BODY, final=finish))
    out.actions.append(CreateIssue(meeting.repo, title, body, meeting.issue.labels))


def _forced(meeting: Meeting, occurrence: Occurrence, agenda: Agenda, options: Options) -> bool:
    """A chair's extra occurrence, or one forced past skip_if_empty: never cancelled by the bot."""
    return occurrence.extra or (options.force and agenda.empty and meeting.agenda.skip_if_empty)


def _plan_duplicates(
    meeting: Meeting, occurrence: Occurrence, issues: tuple[IssueRecord, ...], keep: IssueRecord, out: _Builder
) -> None:
    comment = DUPLICATE_COMMENT.format(number=keep.number, date=occurrence.date.isoformat())
    for issue in issues:
        if issue.number != keep.number and issue.state == "open" and issue.trusted:
            out.actions.append(CloseIssue(meeting.repo, issue.number, comment))


def _plan_issue_refresh(meeting: Meeting, issue: IssueRecord, rendered: str, out: _Builder) -> None:
    if issue.state != "open":
        out.notices.append(CLOSED_BY_HAND.format(number=issue.number))
        return
    body, missing = refresh(issue.body, rendered)
    if ISSUE_REGION in missing:
        out.warnings.append(MARKERS_MISSING.format(number=issue.number))
        return
    if body != issue.body:
        out.actions.append(UpdateIssue(meeting.repo, issue.number, body))


def _plan_previous(meeting: Meeting, existing: Existing, issue: IssueRecord, options: Options, out: _Builder) -> None:
    previous = existing.previous
    if not meeting.issue.close_previous or previous is None or not options.previous_started or not previous.trusted:
        return
    if previous.state == "open" and previous.state_reason != "reopened" and previous.number != issue.number:
        comment = PREVIOUS_COMMENT.format(number=issue.number, url=issue.url)
        out.actions.append(CloseIssue(meeting.repo, previous.number, comment))


def notes_ref(
    meeting: Meeting, occurrence: Occurrence, agenda: Agenda, renderer: Renderer, issue: IssueRecord | None
) -> str:
    """Where the notes are: as the issue recorded it when it was made, so a later change of
    `notes.path` (or of the title in it) never makes a second notes document. A recorded location
    outside the configured notes folder is ignored (see `bot.readback`).

    A new path is rendered from `notes.path` without the issue and notes links: they come after it.
    """
    recorded = markers.find_notes_ref(issue.body) if issue is not None else None
    if recorded and readback.notes_ref_ok(meeting, occurrence, recorded):
        return recorded
    if meeting.notes.provider is not NotesProvider.REPO:
        return occurrence.key
    title = renderer.title(meeting, occurrence)  # never the live issue title: anyone with triage can change it
    ctx = build_context(meeting, occurrence, agenda, complete(Links(), meeting, occurrence), title)
    return renderer.path(meeting.notes.path, ctx)


def _plan_notes(ctx: Context, agenda: Agenda, existing: Existing, renderer: Renderer, out: _Builder) -> bool:
    """Plan the notes document; True when the calendar may go ahead (the notes exist or are off)."""
    meeting, occurrence, issue = ctx.meeting, ctx.occurrence, survivor(existing.issues)
    if meeting.notes.provider is NotesProvider.NONE or issue is None:
        return True
    rendered = renderer.notes(ctx)
    record = existing.notes
    if record is None:
        ref = notes_ref(meeting, occurrence, agenda, renderer, issue)
        out.actions.append(CreateNotes(ref, occurrence.key, str(ctx["title"]), rendered))
        return False
    if markers.find_key(record.content) != occurrence.key:
        out.warnings.append(NOTES_NOT_OURS.format(ref=record.ref))
        return True
    if record.foreign is not None:
        out.warnings.append(NOTES_FOREIGN.format(ref=record.ref, creator=record.foreign))
        return True
    content, missing = refresh(record.content, rendered)
    if ISSUE_REGION in missing:
        out.warnings.append(NOTES_MARKERS_MISSING.format(ref=record.ref))
    elif content != record.content:
        out.actions.append(UpdateNotes(record, content, NOTES_UPDATE_MESSAGE.format(title=ctx["title"])))
    return True


def event_draft(
    meeting: Meeting, occurrence: Occurrence, agenda: Agenda, lnk: Links, renderer: Renderer, issue: IssueRecord
) -> EventDraft:
    title = renderer.title(meeting, occurrence)  # never the live issue title

    def describe(ag: Agenda) -> str:
        return renderer.event(build_context(meeting, occurrence, ag, lnk, title))

    return EventDraft(
        key=occurrence.key,
        meeting_id=meeting.id,
        summary=title,
        description=fit(agenda, describe, MAX_EVENT_DESCRIPTION),
        location=lnk.join or "",
        start=occurrence.start.replace(tzinfo=None).isoformat(timespec="seconds"),
        end=occurrence.end.replace(tzinfo=None).isoformat(timespec="seconds"),
        timezone=occurrence.timezone,
        private={
            EVENT_KEY_PROPERTY: occurrence.key,
            EVENT_MEETING_PROPERTY: meeting.id,
            **({EVENT_EXTRA_PROPERTY: "1"} if occurrence.extra else {}),
        },
    )


def _differs(event: EventRecord, draft: EventDraft) -> bool:
    ours = (draft.summary, draft.description, draft.location, draft.start, draft.end, draft.timezone)
    theirs = (event.summary, event.description, event.location, event.start, event.end, event.timezone)
    return ours != theirs or event.status == "cancelled"


def _plan_event(
    meeting: Meeting, occurrence: Occurrence, agenda: Agenda, existing: Existing, renderer: Renderer,
    issue: IssueRecord, out: _Builder,
) -> None:
    calendar_id = meeting.calendar.calendar_id
    if meeting.calendar.provider is not CalendarProvider.GOOGLE or calendar_id is None:
        return
    draft = event_draft(meeting, occurrence, agenda, links(meeting, occurrence, existing, issue), renderer, issue)
    events = sorted(existing.events, key=lambda event: event.id)
    if not events:
        out.actions.append(CreateEvent(calendar_id, draft))
        return
    if _differs(events[0], draft):
        out.actions.append(UpdateEvent(calendar_id, events[0].id, draft))
    why = DUPLICATE_EVENT.format(date=occurrence.date.isoformat())
    out.actions.extend(CancelEvent(calendar_id, event.id, why) for event in events[1:])


def plan_sweep(meeting: Meeting, events: tuple[EventRecord, ...], scheduled: frozenset[str]) -> Plan:
    """Cancel the bot's future events whose occurrence is no longer on the schedule.

    `events` are the bot's events of the meeting that have not started; `scheduled` holds the
    keys of the occurrences that still happen. Events of a chair's extra occurrences stay.
    """
    calendar_id = meeting.calendar.calendar_id
    if meeting.calendar.provider is not CalendarProvider.GOOGLE or calendar_id is None:
        return Plan()
    dropped = [e for e in events if e.status != "cancelled" and e.key and not e.extra and e.key not in scheduled]
    return Plan(tuple(CancelEvent(calendar_id, e.id, DROPPED_EVENT.format(date=e.key.split("/", 1)[1])) for e in dropped))
