"""The after-meeting step of a pass: reads what bot.after needs, then applies its plan or adds it to a dry run's."""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
from typing import Callable, Mapping, Protocol
from zoneinfo import ZoneInfo

from bot import after, lookback, markers, minutes, occurrences as occ_mod
from bot.after_apply import AfterApplier, DryAfterApplier
from bot.logs import LOGGER
from bot.model import Agenda, ArchiveMode, EventRecord, IssueRecord, Meeting, Occurrence
from bot.plan import notes_ref, survivor
from bot.errors import Conflict, ServiceError
from bot.ports import NotesStore, Services
from bot.preview import Preview
from bot.render import ARCHIVE_PATH_SETTING, Links, Renderer, build_context

log = logging.getLogger(LOGGER)

MAX_ROUNDS = 4
SCHEDULE_DAYS = 400
ROUNDS_EXCEEDED = "{date}: the after-meeting steps did not settle in {rounds} rounds; the next run goes on"

Listing = Mapping[str, tuple[IssueRecord, ...]]


class MinutesSender(Protocol):
    """The announce step as this one uses it (bot.announcing.Announcements)."""

    def minutes(self, occurrence: Occurrence, issue: IssueRecord, url: str) -> bool: ...

    def failure(self) -> ServiceError | None: ...


class AfterStep:
    """The after-meeting steps and cancellations of one meeting in one pass."""

    def __init__(self, meeting: Meeting, services: Services, renderer: Renderer, say: Callable[..., None],
                 preview: Preview | None = None, sender: MinutesSender | None = None,
                 fail: Callable[[ServiceError], None] | None = None) -> None:
        """`preview`: a dry run's plan, which gets the actions instead of the services; `sender` announces
        the minutes, and a failed send is told to `fail` at the end of the step."""
        self.meeting, self.services, self.renderer, self.say = meeting, services, renderer, say
        self.sender, self.fail = sender, fail
        calendar = lambda: services.calendar(meeting)  # noqa: E731 - built only when an event is cancelled
        if preview is not None:
            self.applier: AfterApplier | DryAfterApplier = DryAfterApplier(preview)
        else:
            self.applier = AfterApplier(services.issues, services.after, calendar, say)

    def run(self, now: dt.datetime, feeds: occ_mod.Feeds, ended: tuple[Occurrence, ...],
            found: Listing | None = None) -> Listing:
        """Cancellations first, then each ended occurrence's steps; `found` is a listing already made. The
        listing, which the announcements' cancellations read too (empty when none was due: no request)."""
        if found is None:
            if not lookback.listing_due(self.meeting, now, ended, feeds):
                return {}
            wanted = lookback.lookup(self.meeting, ended, now)
            found = self.services.issues.find(self.meeting.repo, wanted.keys, wanted.since, wanted.bounds, wanted.scan)
        self._cancel(now, feeds, found)
        for occurrence in ended:
            self._settle(occurrence, survivor(found.get(occurrence.key, ())), now)
        failure = self.sender.failure() if self.sender is not None else None
        if failure is not None and self.fail is not None:
            self.fail(failure)
        return found

    def _cancel(self, now: dt.datetime, feeds: occ_mod.Feeds, found: Mapping[str, tuple[IssueRecord, ...]]) -> None:
        others = {key: issues for key, issues in found.items() if key.startswith(self.meeting.id + "/")}
        if not others:
            return
        until = now + dt.timedelta(days=SCHEDULE_DAYS)
        scheduled = frozenset(o.key for o in occ_mod.occurrences(self.meeting, now, until, feeds))
        today = now.astimezone(ZoneInfo(self.meeting.timezone)).date()
        for action in after.plan_cancelled(self.meeting, others, scheduled, today):
            self.applier.cancel(self.meeting, action)

    def cancel_empty(self, occurrence: Occurrence, issue: IssueRecord | None, events: tuple[EventRecord, ...],
                     empty: bool, force: bool) -> IssueRecord | None:
        """skip_if_empty and an agenda that emptied: the issue closed as not planned, the event cancelled;
        the issue as that left it (None when nothing was cancelled)."""
        actions = after.plan_cancel_empty(self.meeting, occurrence, issue, events, empty, force)
        for action in actions:
            self.applier.cancel(self.meeting, action)
        if not actions or issue is None:
            return None
        return dataclasses.replace(issue, state="closed", state_reason=after.NOT_PLANNED)

    def _settle(self, occurrence: Occurrence, issue: IssueRecord | None, now: dt.datetime) -> None:
        """Plan and apply until nothing is left, reading again after a write lost a race."""
        ended = self.read(occurrence, issue, now)
        said: set[str] = set()
        for _ in range(MAX_ROUNDS):
            current = after.plan_after(self.meeting, ended, now, minutes.hackmd_tag(occurrence.key))
            for notice in current.notices:
                if notice not in said:
                    said.add(notice)
                    self.say(notice)
            if not current.actions:
                self._announce_minutes(ended, now)
                return
            try:
                for action in current.actions:
                    ended = self.applier.apply(self.meeting, action, ended)
            except Conflict as exc:
                log.warning("%s: %s", self.meeting.id, exc)
                number = ended.issue.number if ended.issue is not None else 0
                ended = self.read(occurrence, self.services.issues.get(self.meeting.repo, number), now)
        log.warning("%s: %s", self.meeting.id, ROUNDS_EXCEEDED.format(date=occurrence.date, rounds=MAX_ROUNDS))

    def _announce_minutes(self, ended: after.Ended, now: dt.datetime) -> None:
        """The steps are done: the minutes' link to every target once, then recorded (nothing read again)."""
        url = lookback.minutes_due(self.meeting, ended, now)
        if url is None or self.sender is None or ended.issue is None:
            return
        if self.sender.minutes(ended.occurrence, ended.issue, url):
            steps = after.RecordSteps(self.meeting.repo, ended.issue.number, frozenset({after.ANNOUNCED}))
            self.applier.apply(self.meeting, steps, ended)

    def read(self, occurrence: Occurrence, issue: IssueRecord | None, now: dt.datetime) -> after.Ended:
        """The ended occurrence's issue, and what its next steps need: the final note, the archive."""
        need = after.needs(self.meeting, issue, occurrence, now)
        if self.sender is not None and lookback.minutes_pending(self.meeting, occurrence, issue, now):
            need.add("archive")  # the link the announcement gives
        if issue is None:
            return after.Ended(occurrence, None)
        title = self.renderer.title(self.meeting, occurrence)  # from the template: the issue's title is editable
        ctx = build_context(self.meeting, occurrence, Agenda(self.meeting.agenda.label), Links(), title)
        store = self.services.notes(self.meeting)
        note, notes_url = None, None
        if store is not None:
            ref = notes_ref(self.meeting, occurrence, Agenda(self.meeting.agenda.label), self.renderer, issue)
            note = store.find(self.meeting, ref, occurrence.key) if "note" in need else None
            notes_url = store.url_for(self.meeting, ref)
        path, archive = None, None
        if after.wants_archive(self.meeting):
            path = self.renderer.path(self.meeting.after.archive_path, ctx, ARCHIVE_PATH_SETTING)
        if "archive" in need and path:
            branch = after.branch(occurrence) if self.meeting.after.archive is ArchiveMode.PULL_REQUEST else None
            archive = self.services.after.find_archive(self.meeting.repo, path, branch)
        return after.Ended(occurrence, issue, title, notes_url, note, archive, path)


def previous_action_items(meeting: Meeting, store: NotesStore | None, renderer: Renderer,
                          previous: Occurrence | None, issue: IssueRecord | None) -> tuple[str, ...]:
    """The open action items of the previous meeting's notes (found through its issue), for new notes."""
    if not meeting.after.action_items or previous is None or issue is None or not issue.trusted:
        return ()
    if store is None:
        return ()
    found = store.find(meeting, notes_ref(meeting, previous, Agenda(meeting.agenda.label), renderer, issue), previous.key)
    if found is None or markers.find_key(found.content) != previous.key or found.foreign is not None:
        return ()  # another identity's file is ignored, whatever it carries
    return minutes.open_action_items(found.content)


def carried_over(meeting: Meeting, agenda: Agenda, previous: Occurrence | None, issue: IssueRecord | None) -> Agenda:
    """The agenda with the items of the previous meeting's final agenda marked, when carry_over is on."""
    if not meeting.after.carry_over or previous is None or issue is None or not issue.trusted:
        return agenda
    return minutes.carry_over(agenda, minutes.previous_items(issue.body, previous.date))

