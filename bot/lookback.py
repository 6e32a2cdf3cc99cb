"""How far a pass looks back and ahead for the after-meeting steps and cancellations, from the schedule alone."""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Mapping
from zoneinfo import ZoneInfo

from bot import after, markers, occurrences as occ_mod
from bot.model import AnnounceKind, IssueRecord, Meeting, Occurrence

CREATED_EARLY = dt.timedelta(days=1)  # how long before its window an ended occurrence's issue is looked for


@dataclasses.dataclass(frozen=True)
class Lookup:
    """What the issue listing must cover for the after-meeting steps and the cancellations."""

    keys: tuple[str, ...]
    bounds: Mapping[str, dt.datetime]
    scan: tuple[str, dt.datetime]
    since: dt.datetime


def ended_occurrences(meeting: Meeting, now: dt.datetime, feeds: occ_mod.Feeds, date: dt.date | None = None,
                      force: bool = False) -> tuple[Occurrence, ...]:
    """The ended occurrences whose steps a run takes: those in look-back, or the `--date` one once ended."""
    if date is not None:
        chosen = occ_mod.occurrence_on(meeting, date, force=force, feeds=feeds)
        return (chosen,) if chosen.end <= now else ()
    span = dt.timedelta(hours=meeting.after.after_hours, days=2) + after.LOOKBACK_MARGIN
    return tuple(o for o in occ_mod.occurrences(meeting, now - span, now, feeds) if after.in_lookback(meeting, o, now))


def horizon(meeting: Meeting) -> dt.timedelta:
    """How far ahead an issue can exist, and how long ago it was made: the widest creation window, and a day."""
    return dt.timedelta(days=max(slot.create_days_before for slot in meeting.slots) + 1)


def lookup(meeting: Meeting, ended: tuple[Occurrence, ...], now: dt.datetime) -> Lookup:
    """Keys of the ended occurrences, each looked for back to a day before its window; and a scan of
    the issues made since the longest creation window began, for future occurrences now cancelled."""
    bounds = {o.key: (o.window_opens - CREATED_EARLY).astimezone(dt.timezone.utc) for o in ended}
    scan_since = (now - horizon(meeting)).astimezone(dt.timezone.utc)
    since = min([scan_since, *bounds.values()])
    return Lookup(tuple(bounds), bounds, (meeting.id + "/", scan_since), since)


def free_days(meeting: Meeting, now: dt.datetime, feeds: occ_mod.Feeds, keep: str | None = None) -> tuple[str, ...]:
    """The keys of the coming days (up to the horizon) the schedule leaves without an occurrence: any of
    them may have had one whose issue was made before it left the schedule (a new skip date, a changed
    rule, an event gone from a feed), and the schedule keeps no trace of what it dropped."""
    span, local = horizon(meeting), now.astimezone(ZoneInfo(meeting.timezone))
    today = local.date()
    midnight = local.replace(hour=0, minute=0, second=0, microsecond=0)  # today's meeting, even started, is there
    scheduled = {o.key for o in occ_mod.occurrences(meeting, midnight, now + 2 * span, feeds)} | {keep}
    days = (today + dt.timedelta(days=n) for n in range(span.days + 1))
    return tuple(key for key in (f"{meeting.id}/{day.isoformat()}" for day in days) if key not in scheduled)


def announces_minutes(meeting: Meeting) -> bool:
    return bool(meeting.announce.targets) and AnnounceKind.MINUTES in meeting.announce.on


def has_steps(meeting: Meeting) -> bool:
    """Whether an ended occurrence has anything to be done: a close, an archive, labels, the minutes' announcement."""
    settings = meeting.after
    return settings.close_issue or settings.remove_label or after.wants_archive(meeting) or announces_minutes(meeting)


def listing_due(meeting: Meeting, now: dt.datetime, ended: tuple[Occurrence, ...], feeds: occ_mod.Feeds) -> bool:
    """Whether a pass that prepares no meeting must read the issue listing: an ended occurrence in look-back
    with a step to take, or a coming day that may have lost its occurrence (a cancellation to close)."""
    return bool(ended and has_steps(meeting)) or bool(free_days(meeting, now, feeds))


def minutes_pending(meeting: Meeting, occurrence: Occurrence, issue: IssueRecord | None, now: dt.datetime) -> bool:
    """Whether the `minutes` announcement may still go out: after the moment, before the look-back ends,
    not yet recorded as sent to every target, and the occurrence not cancelled."""
    if not announces_minutes(meeting) or issue is None or not issue.trusted or issue.state_reason == after.NOT_PLANNED:
        return False
    due = after.moment(meeting, occurrence)
    return due <= now < due + after.LOOKBACK_MARGIN and after.ANNOUNCED not in markers.find_status(issue.body)


def minutes_due(meeting: Meeting, ended: after.Ended, now: dt.datetime) -> str | None:
    """The link the `minutes` announcement carries, once the steps of the moment are done (the caller asks
    when the plan is empty); None when it is not due, or there is no link."""
    if not minutes_pending(meeting, ended.occurrence, ended.issue, now):
        return None
    return after.minutes_url(ended)
