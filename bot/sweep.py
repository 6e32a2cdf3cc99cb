"""The sweep: the bot's calendar events of occurrences no longer on the schedule are cancelled."""

from __future__ import annotations

import datetime as dt
from typing import Protocol

from bot import occurrences as occ_mod
from bot.apply import Applier
from bot.model import EventRecord, Meeting
from bot.plan import Action, Existing, plan_sweep
from bot.preview import PreviewApplier
from bot.run_inputs import Pass, Tell
from bot.turn import Found, Turn, calendar_id

SWEEP_DAYS = 400


class Writer(Protocol):
    """What carries out a planned action (the applier, a dry run's preview, or either behind the start check)."""

    def apply(self, meeting: Meeting, action: Action, existing: Existing) -> Existing: ...


def sweep(turn: Turn, found: Found, existing: Existing, writer: Writer) -> None:
    """Cancel the bot's events of occurrences no longer scheduled (this occurrence's is kept)."""
    if found.calendar_error is not None or not found.future:
        return
    keep = turn.occurrence.key
    for action in dropped(turn.meeting, found.future, turn.now, turn.feeds, keep):
        existing = writer.apply(turn.meeting, action, existing)


def sweep_idle(meeting: Meeting, now: dt.datetime, feeds: occ_mod.Feeds, run: Pass, tell: Tell) -> None:
    """No occurrence is due: still cancel the bot's future events of occurrences no longer scheduled."""
    calendar = run.services.calendar(meeting)
    if calendar is None:
        return
    future = calendar.find_meeting(calendar_id(meeting), meeting.id, now)
    writer: Applier | PreviewApplier
    if run.request.dry_run:
        writer = PreviewApplier(tell.preview, lambda ref: None)
    else:
        writer = Applier(run.services.issues, None, calendar, tell.say)
    existing = Existing()
    for action in dropped(meeting, future, now, feeds, None):
        existing = writer.apply(meeting, action, existing)


def dropped(
    meeting: Meeting, events: tuple[EventRecord, ...], now: dt.datetime, feeds: occ_mod.Feeds, keep: str | None
) -> tuple[Action, ...]:
    """Cancellations of the events (not started) of occurrences no longer scheduled; one in progress stays."""
    unstarted = tuple(event for event in events if _starts(event) > now)
    if not unstarted:
        return ()
    until = now + dt.timedelta(days=SWEEP_DAYS)
    scheduled = frozenset(o.key for o in occ_mod.occurrences(meeting, now, until, feeds)) | {keep}
    return plan_sweep(meeting, unstarted, frozenset(k for k in scheduled if k)).actions


def _starts(event: EventRecord) -> dt.datetime:
    return occ_mod.localize(dt.datetime.fromisoformat(event.start), event.timezone)
