"""The announcement core: which kinds are due, the ledger in the bot's comments, claims and their outcome."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from bot import announce, escape
from bot.announce import Claim, State
from bot.model import AnnounceConfig, AnnounceKind, CommentRecord, Occurrence
from tests.factories import MEETING_ID, MEETING_NAME, make_meeting

BOT = "meeting-bot[bot]"
KEY = f"{MEETING_ID}/2023-09-11"
START = dt.datetime(2023, 9, 11, 8, 30, tzinfo=ZoneInfo("America/Los_Angeles"))
OCCURRENCE = Occurrence(MEETING_ID, START, START + dt.timedelta(hours=1), "America/Los_Angeles")
ALL = ("slack", "mail")


def meeting(targets=ALL, **config):
    return make_meeting(announce=AnnounceConfig(targets=targets, **config))


def comment(number: int, claim: Claim, author: str = BOT) -> CommentRecord:
    return CommentRecord(number, author, announce.claim_body(claim), trusted=author == BOT)


def claim(run: str, kind=AnnounceKind.CREATED, extra=False, **states: State) -> Claim:
    return Claim(KEY, kind, run, states or {t: State.CLAIMED for t in ALL}, extra)


@pytest.mark.parametrize(("hours_before", "expected"), [
    (100, (AnnounceKind.CREATED,)),
    (24.01, (AnnounceKind.CREATED,)),
    (24, (AnnounceKind.REMINDER,)),  # the reminder says it all: no separate `created` inside the window
    (0.01, (AnnounceKind.REMINDER,)),
    (0, ()),  # started
    (-5, ()),
])
def test_due_kinds_follow_the_clock(hours_before, expected):
    now = START - dt.timedelta(hours=hours_before)
    assert announce.due_kinds(meeting(), OCCURRENCE, now) == expected


def test_created_goes_out_inside_the_window_when_reminders_are_off():
    now = START - dt.timedelta(hours=1)
    assert announce.due_kinds(meeting(on=(AnnounceKind.CREATED,)), OCCURRENCE, now) == (AnnounceKind.CREATED,)
    assert announce.due_kinds(meeting(on=(AnnounceKind.MINUTES,)), OCCURRENCE, now) == ()


def test_nothing_is_due_without_targets():
    assert announce.due_kinds(meeting(targets=()), OCCURRENCE, START - dt.timedelta(days=3)) == ()


def test_the_ledger_reads_back_what_claim_body_writes():
    written = claim("a1", slack=State.SENT, mail=State.FAILED)
    entries = announce.ledger([comment(5, written)], KEY)
    assert [(e.comment_id, e.kind, e.target, e.state, e.run) for e in entries] == [
        (5, AnnounceKind.CREATED, "slack", State.SENT, "a1"),
        (5, AnnounceKind.CREATED, "mail", State.FAILED, "a1"),
    ]


def test_the_ledger_ignores_other_authors_other_keys_and_code():
    forged = comment(1, claim("f0", slack=State.SENT), author="mallory")
    other_key = comment(2, Claim(f"{MEETING_ID}/2023-09-25", AnnounceKind.CREATED, "b2", {"slack": State.SENT}))
    fenced = CommentRecord(3, BOT, "```\n" + announce.claim_body(claim("c3", slack=State.SENT)) + "```\n", True)
    assert announce.ledger([forged, other_key, fenced], KEY) == ()
    # the bot's login on a comment the adapter could not confirm as the bot's own identity: not counted
    assert announce.ledger([CommentRecord(4, BOT, announce.claim_body(claim("d4")))], KEY) == ()


def test_the_earliest_live_claim_holds_and_failed_or_lost_ones_do_not():
    entries = announce.ledger([
        comment(9, claim("1a7e")),
        comment(3, claim("900e", slack=State.FAILED, mail=State.LOST)),
        comment(5, claim("f125", slack=State.CLAIMED)),
    ], KEY)
    assert announce.holder(entries, AnnounceKind.CREATED, "slack").run == "f125"
    assert announce.holder(entries, AnnounceKind.CREATED, "mail").run == "1a7e"
    assert announce.holder(entries, AnnounceKind.REMINDER, "mail") is None
    assert announce.won(entries, claim("1a7e")) == ("mail",)
    assert announce.won(entries, claim("f125", slack=State.CLAIMED)) == ("slack",)


def test_two_racing_claims_have_one_winner_per_target():
    a, b = claim("aaaa"), claim("bbbb")
    entries = announce.ledger([comment(11, b), comment(10, a)], KEY)
    assert announce.won(entries, a) == ALL and announce.won(entries, b) == ()


def test_unclaimed_and_unconfirmed_targets():
    entries = announce.ledger([comment(1, claim("0be2", slack=State.CLAIMED))], KEY)
    assert announce.unclaimed(meeting(), AnnounceKind.CREATED, entries) == ("mail",)
    assert announce.unconfirmed(entries, AnnounceKind.CREATED, ALL, "3e3e") == ("slack",)
    assert announce.unconfirmed(entries, AnnounceKind.CREATED, ALL, "0be2") == ()


def test_cancellation_goes_to_the_targets_that_were_told():
    entries = announce.ledger([comment(1, claim("e1", AnnounceKind.REMINDER, slack=State.SENT, mail=State.FAILED))], KEY)
    assert announce.cancellation_targets(meeting(), entries) == ("slack",)
    cancelled = comment(2, claim("c1", AnnounceKind.CANCELLED, slack=State.SENT))
    assert announce.cancellation_targets(meeting(), entries + announce.ledger([cancelled], KEY)) == ()
    assert announce.cancellation_targets(meeting(on=(AnnounceKind.CREATED,)), entries) == ()


def test_an_extra_occurrence_is_never_announced_as_cancelled():
    entries = announce.ledger([comment(1, claim("e2", extra=True, slack=State.SENT))], KEY)
    assert entries[0].extra
    assert announce.cancellation_targets(meeting(), entries) == ()


@pytest.mark.parametrize(("states", "summary"), [
    ({"slack": State.CLAIMED}, announce.CLAIMING.format(kind="created", date="2023-09-11", targets="slack")),
    ({"slack": State.SENT, "mail": State.FAILED},
     announce.SENT.format(kind="created", date="2023-09-11", targets="slack") + " "
     + announce.FAILED.format(targets="mail")),
    ({"mail": State.LOST},
     announce.NOTHING_SENT.format(kind="created", date="2023-09-11") + " " + announce.LOST.format(targets="mail")),
])
def test_the_comment_says_what_happened_in_words(states, summary):
    assert announce.claim_body(claim("a2", **states)).splitlines()[0] == summary


def test_titles_come_from_the_meeting_file_on_one_line():
    hostile = make_meeting(name="WG\n<b>@all")
    assert announce.title(meeting(), AnnounceKind.REMINDER, START.date()) == f"Reminder: {MEETING_NAME}, 2023-09-11"
    assert "\n" not in announce.title(hostile, AnnounceKind.CREATED, START.date())


@pytest.mark.parametrize("text", ["@channel", "<!here>", "<@U123>", "<b>x</b>", "@everyone", "[a](http://x)", "@&123"])
def test_chat_text_has_no_mention_markup_or_html(text):
    made = escape.chat_inline(text)
    assert "<" not in made and ">" not in made and "@" + text[1:2] not in made.replace("@\u2060", "")
    assert "](" not in made.replace("\\](", "")


def test_chat_text_cannot_become_a_slack_entity():
    made = escape.chat_inline("&lt;!here&gt; &lt;@U123&gt;")
    assert "&lt;" not in made and "&gt;" not in made


def test_an_entry_with_an_unknown_kind_or_state_is_ignored():
    line = announce.ENTRY.format(key=KEY, kind="created", target="slack", state="sent", run="ab", extra="")
    odd = [line.replace("kind=created", "kind=party"), line.replace("state=sent", "state=maybe")]
    assert announce.ledger([CommentRecord(1, BOT, "\n".join(odd), True)], KEY) == ()
    assert len(announce.ledger([CommentRecord(1, BOT, line, True)], KEY)) == 1
