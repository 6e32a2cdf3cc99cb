"""The announce step of a pass: read the ledger in the bot's comments, claim, send, record the outcome."""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import secrets
from typing import Callable, Mapping, Protocol

from bot import after, announce, lookback
from bot import occurrences as occ_mod
from bot.announce import Claim, State
from bot.errors import NoOccurrenceOn, ServiceError
from bot.logs import LOGGER
from bot.model import Agenda, AnnounceKind, IssueRecord, Meeting, Occurrence
from bot.plan import Existing, links, survivor
from bot.ports import Announcer, Comments, Services
from bot.preview import DRY_PLACEHOLDER_NUMBER, Entry, Preview  # the number a dry run gives an issue it would create
from bot.render import Context, Links, Renderer, build_context

log = logging.getLogger(LOGGER)

Listing = Mapping[str, tuple[IssueRecord, ...]]

ANNOUNCED = "announced the {kind} of {date} to {target}"
WOULD_ANNOUNCE = "would announce the {kind} of {date} to {target}: {title}"
UNCONFIRMED = (
    "the {kind} of {date} to {target} was claimed by a run that never recorded the outcome "
    "(still running, or its record failed after sending): counted as sent, not sent again"
)
NOT_OURS = "#{number}: GitHub shows the bot's claim under {actual}, not the bot's own identity: announcing nothing"
NOT_WIRED = "announcing needs the issue comments and an announcer, and this run was given neither"


class Request(Protocol):
    @property
    def dry_run(self) -> bool: ...


class PassView(Protocol):
    """What the step reads of the pass (`bot.runner.Pass`): the outside world, templates, request, clock."""

    @property
    def services(self) -> Services: ...

    @property
    def renderer(self) -> Renderer: ...

    @property
    def request(self) -> Request: ...

    @property
    def clock(self) -> Callable[[], dt.datetime]: ...


class Announcements:
    """One meeting's announcements in one pass; a failed target is logged, the others go on. What a dry run
    would send goes to the meeting's plan (`preview`), with the text."""

    def __init__(self, meeting: Meeting, run: PassView, say: Callable[[str], None], preview: Preview) -> None:
        self.meeting, self.services, self.renderer = meeting, run.services, run.renderer
        self.dry_run = run.request.dry_run
        self.clock, self.say, self.preview = run.clock, say, preview
        if run.services.comments is None or run.services.announcer is None:
            raise ServiceError(NOT_WIRED)
        self.comments: Comments = run.services.comments
        self.announcer: Announcer = run.services.announcer
        self.run = secrets.token_hex(8)  # tells this run's claims from a concurrent run's
        self.failures: list[str] = []

    def occurrence(self, occurrence: Occurrence, agenda: Agenda, existing: Existing, cancelled_here: bool = False) -> None:
        """The kinds the occurrence's time calls for (created, reminder), with the agenda as it is now; or, for
        an issue the bot itself closed as not planned (`cancelled_here`: in this pass), the cancellation."""
        issue = survivor(existing.issues)
        if issue is not None and issue.state == "closed" and issue.state_reason == after.NOT_PLANNED:
            if cancelled_here or self._closed_by_bot(issue):
                self._cancelled(issue, occurrence)  # once, to the targets that were told of the meeting
        if issue is None or issue.state != "open":
            return
        lnk = links(self.meeting, occurrence, existing, issue)
        title = self.renderer.title(self.meeting, occurrence)  # never the live issue title: people can change it
        ctx = build_context(self.meeting, occurrence, agenda, lnk, title)
        for kind in announce.due_kinds(self.meeting, occurrence, self.clock()):
            self._announce(issue, occurrence, kind, ctx)

    def dropped(self, feeds: Mapping[str, str], keep: str | None, listed: Listing | None = None) -> None:
        """Cancellations: the bot's issues of future dates no longer on the schedule, once announced. `listed`:
        the pass's issue listing, which covers the meeting's issues of the horizon (else it is read here)."""
        if AnnounceKind.CANCELLED not in self.meeting.announce.on:
            return
        now = self.clock()
        keys = lookback.free_days(self.meeting, now, feeds, keep)
        if not keys:
            return  # every day ahead has its meeting: nothing can have been dropped
        if listed is None:
            since = (now - lookback.horizon(self.meeting)).astimezone(dt.timezone.utc)
            listed = self.services.issues.find(self.meeting.repo, keys, since)
        for key, issues in sorted((key, listed.get(key, ())) for key in keys):
            issue = survivor(issues)
            occurrence = self._dropped(key, feeds) if issue is not None else None
            if issue is None or occurrence is None or now >= occurrence.start:
                continue
            self._cancelled(issue, occurrence)

    def minutes(self, occurrence: Occurrence, issue: IssueRecord, url: str) -> bool:
        """The minutes' link (the after-meeting steps are done), once to each target; True once every target
        holds it (sent now or before, or claimed by another run), so the step can be recorded as done."""
        title = self.renderer.title(self.meeting, occurrence)
        ctx = build_context(self.meeting, occurrence, Agenda(self.meeting.agenda.label), Links(issue.url, url), title)
        failed = len(self.failures)
        self._announce(issue, occurrence, AnnounceKind.MINUTES, ctx)
        return not self.dry_run and len(self.failures) == failed

    def _deadline(self, occurrence: Occurrence, kind: AnnounceKind) -> dt.datetime:
        """Nothing is sent once its moment has passed: the start, or for the minutes the look-back's end."""
        if kind is AnnounceKind.MINUTES:
            return after.moment(self.meeting, occurrence) + after.LOOKBACK_MARGIN
        return occurrence.start

    def _cancelled(self, issue: IssueRecord, occurrence: Occurrence) -> None:
        empty = Agenda(self.meeting.agenda.label)
        title = self.renderer.title(self.meeting, occurrence)
        ctx = build_context(self.meeting, occurrence, empty, Links(issue.url), title)
        self._announce(issue, occurrence, AnnounceKind.CANCELLED, ctx)

    def failure(self) -> ServiceError | None:
        """The first failure of the pass (each was logged as it happened), or None."""
        return ServiceError(self.failures[0]) if self.failures else None

    def _fail(self, message: str) -> None:
        log.warning("%s: %s", self.meeting.id, message)
        self.failures.append(message)

    def _dropped(self, key: str, feeds: Mapping[str, str]) -> Occurrence | None:
        """The dropped occurrence as the schedule had it (its usual time, when the rule no longer says)."""
        day = dt.date.fromisoformat(key.split("/", 1)[1])
        try:
            return occ_mod.occurrence_on(self.meeting, day, force=True, feeds=feeds)
        except NoOccurrenceOn:
            return None

    def _announce(self, issue: IssueRecord, occurrence: Occurrence, kind: AnnounceKind, ctx: Context) -> None:
        """Decide from the ledger, then (unless a dry run) claim, send and record."""
        entries = self._ledger(issue, occurrence.key)
        if kind is AnnounceKind.CANCELLED:
            targets = announce.cancellation_targets(self.meeting, entries)
        else:
            targets = announce.unclaimed(self.meeting, kind, entries)
        for target in announce.unconfirmed(entries, kind, self.meeting.announce.targets, self.run):
            self.say(UNCONFIRMED.format(kind=kind.value, date=occurrence.date, target=target))
        if not targets:
            return
        title = announce.title(self.meeting, kind, occurrence.date)
        body = self.renderer.announcement(ctx, kind.value)
        if self.dry_run:
            for target in targets:
                line = WOULD_ANNOUNCE.format(kind=kind.value, date=occurrence.date, target=target, title=title)
                self.preview.add(Entry(line, new_text=body))
            return
        targets = tuple(t for t in targets if self._usable(t))
        if targets and self.clock() < self._deadline(occurrence, kind):
            claim = Claim(occurrence.key, kind, self.run, {t: State.CLAIMED for t in targets}, occurrence.extra)
            self._claim_and_send(issue, occurrence, claim, title, body)

    def _closed_by_bot(self, issue: IssueRecord) -> bool:
        """Whether the bot's own identity closed the issue (its cancellation comment is there): anyone with
        triage access can close an issue as not planned, and that alone announces nothing."""
        if issue.number == DRY_PLACEHOLDER_NUMBER:
            return False
        marker = after.COMMENT_MARKER.format(kind=after.CANCELLED_KIND)
        return any(c.trusted and marker in c.body for c in self.comments.list(self.meeting.repo, issue.number))

    def _ledger(self, issue: IssueRecord, key: str) -> tuple[announce.Entry, ...]:
        if issue.number == DRY_PLACEHOLDER_NUMBER:
            return ()
        return announce.ledger(self.comments.list(self.meeting.repo, issue.number), key)

    def _usable(self, target: str) -> bool:
        try:
            self.announcer.check(target)
        except ServiceError as exc:
            self._fail(str(exc))
            return False
        return True

    def _claim_and_send(self, issue: IssueRecord, occurrence: Occurrence, claim: Claim, title: str, body: str) -> None:
        """Intent first, then read back who won, then send, then record the outcome in the same comment."""
        repo, comments = self.meeting.repo, self.comments
        comment = comments.add(repo, issue.number, announce.claim_body(claim))
        if not comment.trusted:  # the ledger could not count this claim: take it back, send nothing
            comments.delete(repo, issue.number, comment.id)
            raise ServiceError(NOT_OURS.format(number=issue.number, actual=comment.author))
        mine = announce.won(announce.ledger(comments.list(repo, issue.number), claim.key), claim)
        if not mine:  # every target was another run's: take the claim back, leaving no trace
            comments.delete(repo, issue.number, comment.id)
            return
        states = {target: State.LOST for target in claim.states}
        for target in mine:
            states[target] = self._send(occurrence, claim.kind, target, title, body)
        comments.edit(repo, issue.number, comment.id, announce.claim_body(dataclasses.replace(claim, states=states)))

    def _send(self, occurrence: Occurrence, kind: AnnounceKind, target: str, title: str, body: str) -> State:
        if self.clock() >= self._deadline(occurrence, kind):  # started during the run: never a late reminder
            return State.FAILED
        try:
            self.announcer.send(target, title, body)
        except ServiceError as exc:
            self._fail(str(exc))
            return State.FAILED
        self.say(ANNOUNCED.format(kind=kind.value, date=occurrence.date, target=target))
        return State.SENT
