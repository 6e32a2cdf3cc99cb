"""Announcements: which are due, the ledger of claims and sends kept in the bot's comments, and their titles."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from enum import Enum
from typing import Iterable, Mapping

from bot import escape, markers
from bot.model import AnnounceKind, CommentRecord, Meeting, Occurrence

# One hidden line per target in a bot comment on the meeting issue. A run writes its claim before
# sending and rewrites the line with the outcome after; the earliest live claim wins.
ENTRY = "<!-- meeting-bot:announce key={key} kind={kind} target={target} state={state} run={run}{extra} -->"
_ENTRY = re.compile(
    r"^ {0,3}<!-- meeting-bot:announce key=(?P<key>\S+) kind=(?P<kind>[a-z]+) target=(?P<target>[A-Za-z0-9_]+)"
    r" state=(?P<state>[a-z]+) run=(?P<run>[0-9a-f]{1,32})(?P<extra> extra=1)? -->[ \t]*\r?$"
)

CLAIMING = "meeting-bot is sending the {kind} announcement of {date} to {targets}."
SENT = "meeting-bot sent the {kind} announcement of {date} to {targets}."
FAILED = "Sending it to {targets} failed; the next run tries again."
LOST = "Another run was already sending it to {targets}, so this run did not."
NOTHING_SENT = "meeting-bot did not send the {kind} announcement of {date}."

TITLES = {
    AnnounceKind.CREATED: "{name}: {date}",
    AnnounceKind.REMINDER: "Reminder: {name}, {date}",
    AnnounceKind.CANCELLED: "Cancelled: {name}, {date}",
    AnnounceKind.MINUTES: "Minutes: {name}, {date}",
}

# Kinds sent on their own schedule; `minutes` goes out once the after-meeting steps are done (SPEC section 8).
ANNOUNCING = (AnnounceKind.CREATED, AnnounceKind.REMINDER)
CANCEL_AFTER = (AnnounceKind.CREATED, AnnounceKind.REMINDER)


class State(str, Enum):
    CLAIMED = "claimed"  # a run is sending, or sent and could not record it: counts as sent
    SENT = "sent"
    FAILED = "failed"  # the send failed: the next run may claim it again
    LOST = "lost"  # another run's claim came first


HOLDING = (State.CLAIMED, State.SENT)


@dataclass(frozen=True)
class Entry:
    comment_id: int
    kind: AnnounceKind
    target: str
    state: State
    run: str
    extra: bool = False


@dataclass(frozen=True)
class Claim:
    """What one run claims for one kind of one occurrence, and how each target came out."""

    key: str
    kind: AnnounceKind
    run: str
    states: Mapping[str, State]  # target -> state, in the meeting's target order
    extra: bool = False


def ledger(comments: Iterable[CommentRecord], key: str) -> tuple[Entry, ...]:
    """The entries for `key` in the comments the bot's own identity wrote, in the order GitHub stored them.

    Anyone else's comment is ignored, whatever it says; so is an entry inside fenced code.
    """
    found = []
    for comment in sorted(comments, key=lambda c: c.id):
        if not comment.trusted:
            continue
        for _, line in markers.lines_outside_code(comment.body):
            entry = _entry(comment.id, line, key)
            if entry is not None:
                found.append(entry)
    return tuple(found)


def _entry(comment_id: int, line: str, key: str) -> Entry | None:
    match = _ENTRY.match(line)
    if match is None or match.group("key") != key:
        return None
    try:
        kind, state = AnnounceKind(match.group("kind")), State(match.group("state"))
    except ValueError:
        return None
    return Entry(comment_id, kind, match.group("target"), state, match.group("run"), bool(match.group("extra")))


def holder(entries: Iterable[Entry], kind: AnnounceKind, target: str) -> Entry | None:
    """The first live claim (claimed or sent) of (kind, target): the one run allowed to send it."""
    for entry in entries:
        if entry.kind is kind and entry.target == target and entry.state in HOLDING:
            return entry
    return None


def due_kinds(meeting: Meeting, occurrence: Occurrence, now: dt.datetime) -> tuple[AnnounceKind, ...]:
    """The kinds an occurrence's time calls for: `created` until the reminder window opens (when
    reminders are on, the reminder says it all), `reminder` inside it, nothing once it has started."""
    config = meeting.announce
    if not config.targets or now >= occurrence.start:
        return ()
    reminding = now >= occurrence.start - dt.timedelta(hours=config.reminder_hours)
    kinds = []
    if AnnounceKind.CREATED in config.on and not (reminding and AnnounceKind.REMINDER in config.on):
        kinds.append(AnnounceKind.CREATED)
    if AnnounceKind.REMINDER in config.on and reminding:
        kinds.append(AnnounceKind.REMINDER)
    return tuple(kinds)


def unclaimed(meeting: Meeting, kind: AnnounceKind, entries: tuple[Entry, ...]) -> tuple[str, ...]:
    """The targets that no run has claimed or sent `kind` to yet."""
    return tuple(t for t in meeting.announce.targets if holder(entries, kind, t) is None)


def cancellation_targets(meeting: Meeting, entries: tuple[Entry, ...]) -> tuple[str, ...]:
    """Targets told about an occurrence (created or reminder) that have not been told it is cancelled.

    An occurrence the bot made off the schedule (`--date --force`) is never swept.
    """
    if AnnounceKind.CANCELLED not in meeting.announce.on or any(e.extra for e in entries):
        return ()
    told = {e.target for e in entries if e.kind in CANCEL_AFTER and e.state in HOLDING}
    return tuple(t for t in unclaimed(meeting, AnnounceKind.CANCELLED, entries) if t in told)


def won(entries: tuple[Entry, ...], claim: Claim) -> tuple[str, ...]:
    """The claimed targets whose first live claim is this run's, read back after writing the claim."""
    return tuple(
        target for target in claim.states
        if (first := holder(entries, claim.kind, target)) is not None and first.run == claim.run
    )


def unconfirmed(entries: tuple[Entry, ...], kind: AnnounceKind, targets: Iterable[str], run: str) -> tuple[str, ...]:
    """Targets held by another run's claim that never recorded an outcome (still running, or its
    record failed after the send): the bot counts them as sent rather than risk a second message."""
    return tuple(
        t for t in targets
        if (first := holder(entries, kind, t)) is not None and first.state is State.CLAIMED and first.run != run
    )


def claim_body(claim: Claim) -> str:
    """The comment: one line people read, then one hidden entry per target."""
    date = claim.key.split("/", 1)[1]
    by_state: dict[State, list[str]] = {}
    for target, state in claim.states.items():
        by_state.setdefault(state, []).append(target)
    lines = [_summary(claim.kind.value, date, by_state)]
    extra = " extra=1" if claim.extra else ""
    lines += [
        ENTRY.format(key=claim.key, kind=claim.kind.value, target=t, state=s.value, run=claim.run, extra=extra)
        for t, s in claim.states.items()
    ]
    return "\n".join(lines) + "\n"


def _summary(kind: str, date: str, by_state: Mapping[State, list[str]]) -> str:
    def names(state: State) -> str:
        return ", ".join(by_state.get(state, ()))

    if State.CLAIMED in by_state:
        return CLAIMING.format(kind=kind, date=date, targets=names(State.CLAIMED))
    parts = [SENT.format(kind=kind, date=date, targets=names(State.SENT))] if State.SENT in by_state else []
    if not parts:
        parts.append(NOTHING_SENT.format(kind=kind, date=date))
    if State.FAILED in by_state:
        parts.append(FAILED.format(targets=names(State.FAILED)))
    if State.LOST in by_state:
        parts.append(LOST.format(targets=names(State.LOST)))
    return " ".join(parts)


def title(meeting: Meeting, kind: AnnounceKind, date: dt.date) -> str:
    """The message's title (the e-mail subject), from the meeting file's name: nothing anyone can edit."""
    return TITLES[kind].format(name=escape.one_line(meeting.name).strip(), date=date.isoformat())
