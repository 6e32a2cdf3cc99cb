"""The announce step against in-memory ports: races, a record that fails after the send, identity, the clock."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest

from bot import announce
from bot.announce import Claim, State
from bot.announcing import ANNOUNCED, NOT_OURS, UNCONFIRMED, WOULD_ANNOUNCE, Announcements
from bot.model import Agenda, AnnounceConfig, AnnounceKind, CommentRecord, IssueRecord
from bot.plan import Existing
from bot.ports import ServiceError, Services
from bot.preview import Preview
from bot.render import Renderer
from bot.runner import Pass, RunRequest
from tests.factories import make_meeting
from tests.test_announce import BOT, KEY, OCCURRENCE, START

ISSUE = IssueRecord(7, "https://github.com/o/r/issues/7", "The meeting", "body", "open", author=BOT)
BEFORE = START - dt.timedelta(days=3)
MEETING = make_meeting(announce=AnnounceConfig(targets=("slack", "mail")))
RECORD_FAILED = "updating a comment failed"


class Comments:
    """The Comments port in memory; `on_add` runs once, just before the next comment is stored."""

    def __init__(self, author: str = BOT) -> None:
        self.author, self.items, self.on_add, self.fail_edit = author, [], None, False
        self.ids = iter(range(1, 1000))

    def list(self, repo, number):
        return tuple(self.items)

    def add(self, repo, number, body):
        hook, self.on_add = self.on_add, None
        if hook:
            hook()
        record = CommentRecord(next(self.ids), self.author, body, self.author == BOT)
        self.items.append(record)
        return record

    def delete(self, repo, number, comment_id):
        self.items = [c for c in self.items if c.id != comment_id]

    def edit(self, repo, number, comment_id, body):
        if self.fail_edit:
            raise ServiceError(RECORD_FAILED)
        index = next(i for i, c in enumerate(self.items) if c.id == comment_id)
        self.items[index] = dataclasses.replace(self.items[index], body=body)
        return self.items[index]


class Announcer:
    def __init__(self, targets=("SLACK", "MAIL")) -> None:
        self.targets, self.sent, self.failing = set(targets), [], set()

    def check(self, target):
        if target.upper() not in self.targets:
            raise ServiceError(f"no URL for {target}")

    def send(self, target, title, body):
        if target in self.failing:
            raise ServiceError(f"{target} failed")
        self.sent.append((target, title))


class Issues:
    def __init__(self, found=None) -> None:
        self.found = found or {}

    def find(self, repo, keys, since):
        return {key: self.found.get(key, ()) for key in keys}


@dataclasses.dataclass
class World:
    comments: Comments = dataclasses.field(default_factory=Comments)
    announcer: Announcer = dataclasses.field(default_factory=Announcer)
    issues: Issues = dataclasses.field(default_factory=Issues)
    lines: list = dataclasses.field(default_factory=list)
    printed: list = dataclasses.field(default_factory=list)
    preview: Preview = dataclasses.field(default_factory=lambda: Preview(MEETING.id))

    def planned(self) -> list[str]:
        """The lines of the dry run's plan (what the meeting's run prints at its end)."""
        return [entry.line for entry in self.preview.entries]

    def step(self, clock=lambda: BEFORE, dry_run=False, meeting=MEETING) -> Announcements:
        services = Services(None, self.issues, lambda m: None, lambda m: None, lambda u: "", after=None,
                            comments=self.comments, announcer=self.announcer)
        run = Pass(services, Renderer(), RunRequest(dry_run=dry_run), clock, self.printed.append)
        return Announcements(meeting, run, self.lines.append, self.preview)

    def announce(self, **kwargs) -> Announcements:
        step = self.step(**kwargs)
        step.occurrence(OCCURRENCE, Agenda("security-agenda"), Existing(issues=(ISSUE,)))
        return step

    def entries(self):
        return announce.ledger(self.comments.items, KEY)


def test_one_run_sends_each_target_once_and_records_it():
    world = World()
    assert world.announce().failure() is None
    assert world.announce().failure() is None
    title = announce.title(MEETING, AnnounceKind.CREATED, START.date())
    assert world.announcer.sent == [("slack", title), ("mail", title)]
    assert [(e.target, e.state) for e in world.entries()] == [("slack", State.SENT), ("mail", State.SENT)]
    assert ANNOUNCED.format(kind="created", date=START.date(), target="slack") in world.lines


def test_two_runs_that_read_the_same_empty_ledger_send_once():
    world = World()
    world.comments.on_add = lambda: world.announce().failure()  # the other run gets in between read and claim
    assert world.announce().failure() is None
    assert sorted(t for t, _ in world.announcer.sent) == ["mail", "slack"]
    (first,) = world.comments.items  # the losing run took its claim back
    assert "state=sent" in first.body and "state=claimed" not in first.body


def test_a_run_that_wins_some_targets_records_the_others_as_lost():
    world = World()
    other = Claim(KEY, AnnounceKind.CREATED, "0be2", {"slack": State.CLAIMED})
    world.comments.on_add = lambda: world.comments.items.append(CommentRecord(0, BOT, announce.claim_body(other), True))
    assert world.announce().failure() is None
    assert world.announcer.sent == [("mail", announce.title(MEETING, AnnounceKind.CREATED, START.date()))]
    assert announce.LOST.format(targets="slack") in world.comments.items[-1].body


def test_a_record_that_fails_after_the_send_errs_toward_silence():
    world = World()
    world.comments.fail_edit = True
    with pytest.raises(ServiceError, match=RECORD_FAILED):
        world.announce()
    world.comments.fail_edit = False
    assert world.announce().failure() is None
    assert len(world.announcer.sent) == 2  # not sent again
    assert UNCONFIRMED.format(kind="created", date=START.date(), target="slack") in world.lines


def test_a_failed_send_is_released_for_the_next_run():
    world = World()
    world.announcer.failing = {"mail"}
    assert str(world.announce().failure()) == "mail failed"
    world.announcer.failing = set()
    assert world.announce().failure() is None
    assert [t for t, _ in world.announcer.sent] == ["slack", "mail"]


def test_a_target_without_a_url_fails_alone_and_is_not_claimed():
    world = World(announcer=Announcer(targets=("SLACK",)))
    assert str(world.announce().failure()) == "no URL for mail"
    assert [t for t, _ in world.announcer.sent] == ["slack"]
    assert {e.target for e in world.entries()} == {"slack"}


def test_a_meeting_that_starts_during_the_run_gets_no_late_message():
    moments = iter([BEFORE, BEFORE, START, START])
    world = World()
    assert world.announce(clock=lambda: next(moments)).failure() is None
    assert world.announcer.sent == []
    assert {e.state for e in world.entries()} == {State.FAILED}


def test_a_forged_record_by_someone_else_stops_nothing():
    world = World()
    forged = Claim(KEY, AnnounceKind.CREATED, "abcd", {"slack": State.SENT, "mail": State.SENT})
    world.comments.items.append(CommentRecord(1, "mallory", announce.claim_body(forged)))
    assert world.announce().failure() is None
    assert len(world.announcer.sent) == 2


def test_a_claim_not_shown_under_the_bots_own_identity_is_taken_back_and_sends_nothing():
    world = World(comments=Comments(author="someone-else"))
    with pytest.raises(ServiceError) as caught:
        world.announce()
    assert str(caught.value) == NOT_OURS.format(number=7, actual="someone-else")
    assert world.announcer.sent == [] and world.comments.items == []


def test_dry_run_prints_and_writes_nothing():
    world = World()
    assert world.announce(dry_run=True).failure() is None
    title = announce.title(MEETING, AnnounceKind.CREATED, START.date())
    assert WOULD_ANNOUNCE.format(kind="created", date=START.date(), target="mail", title=title) in world.planned()
    assert world.printed == [] and world.lines == []  # the plan is printed once, by the meeting's run
    assert world.comments.items == [] and world.announcer.sent == []


def test_a_dropped_occurrence_that_was_announced_gets_its_cancellation():
    skipped = make_meeting(announce=MEETING.announce, slots=(dataclasses.replace(MEETING.slots[0], skip_dates=(START.date(),)),))
    world = World(issues=Issues({KEY: (ISSUE,)}))
    told = Claim(KEY, AnnounceKind.CREATED, "abcd", {"slack": State.SENT, "mail": State.FAILED})
    world.comments.items.append(CommentRecord(1, BOT, announce.claim_body(told), True))
    for _ in range(2):
        world.step(meeting=skipped).dropped({}, keep=None)
    assert world.announcer.sent == [("slack", announce.title(skipped, AnnounceKind.CANCELLED, START.date()))]


def test_a_scheduled_occurrence_is_not_swept():
    world = World(issues=Issues({KEY: (ISSUE,)}))
    told = Claim(KEY, AnnounceKind.CREATED, "abcd", {"slack": State.SENT})
    world.comments.items.append(CommentRecord(1, BOT, announce.claim_body(told), True))
    world.step().dropped({}, keep=None)
    assert world.announcer.sent == []


def test_a_daily_meeting_with_nothing_dropped_reads_nothing():
    daily = make_meeting(announce=MEETING.announce, slots=(dataclasses.replace(MEETING.slots[0], rrule="FREQ=DAILY"),))
    issues = Issues()
    issues.find = None  # any read would fail
    World(issues=issues).step(meeting=daily, clock=lambda: START + dt.timedelta(hours=23)).dropped({}, keep=None)


def test_a_closed_or_missing_issue_is_not_announced():
    world = World()
    world.step().occurrence(OCCURRENCE, Agenda("x"), Existing(issues=(dataclasses.replace(ISSUE, state="closed"),)))
    world.step().occurrence(OCCURRENCE, Agenda("x"), Existing())
    assert world.announcer.sent == [] and world.comments.items == []


def test_no_cancellation_sweep_when_cancelled_is_off():
    issues = Issues()
    issues.find = None  # any read would fail
    quiet = make_meeting(announce=AnnounceConfig(targets=("slack",), on=(AnnounceKind.CREATED,)))
    World(issues=issues).step(meeting=quiet).dropped({}, keep=None)


def test_a_dry_run_of_a_new_issue_reads_no_ledger():
    world = World()
    world.comments.list = None  # the issue does not exist yet: nothing to read
    placeholder = dataclasses.replace(ISSUE, number=0, author=None)
    step = world.step(dry_run=True)
    step.occurrence(OCCURRENCE, Agenda("x"), Existing(issues=(placeholder,)))
    assert len([line for line in world.planned() if line.startswith("would announce")]) == 2
