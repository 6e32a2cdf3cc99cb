"""Announcements end to end (SPEC section 10): the real command and the real Apprise, delivering to an SMTP
server and a JSON webhook on loopback, against the GitHub double."""

from __future__ import annotations

import datetime as dt

import pytest

from bot import announce
from bot.adapters.apprise_sender import SEND_FAILED
from bot.announcing import ANNOUNCED, WOULD_ANNOUNCE
from bot.model import AnnounceKind
from tests.announce_targets import (
    HOOK_PASSWORD, MAIL_PASSWORD, Mailbox, Webhook, mailbox, webhook,  # noqa: F401 (the fixtures)
)
from tests.doubles.github import DEFAULT_TOKEN
from tests.e2e import DATE, LABEL, NAME, NOW, OTHER, REPO, World, world  # noqa: F401 (the fixture)
from tests.waiting import wait_until

REMINDING = "2024-03-10T16:00:00Z"  # inside the last 24 hours before DATE's 15:00 UTC start
LATER_REMINDING = "2024-03-11T09:00:00Z"
STARTED = "2024-03-11T15:30:00Z"
HOSTILE = "@channel <!here> @everyone <b>bold</b> <script>alert(1)</script> ping @alice and @&123456 <@987>"
SEARCH = r"^/search/issues$"  # the agenda search: one or more in every pass
INERT_FORBIDDEN = ("@channel", "<!here>", "@everyone", "<b>", "<script", "@alice", "@&", "@9", "<@")


def _title(kind: AnnounceKind) -> str:
    return announce.TITLES[kind].format(name=NAME, date=DATE)


@pytest.fixture
def announcing(world: World, mailbox: Mailbox, webhook: Webhook) -> World:
    world.meeting(announce={"targets": ["mail", "hook"]})
    world.bot.env.update(MEETING_BOT_ANNOUNCE_MAIL=mailbox.url, MEETING_BOT_ANNOUNCE_HOOK=webhook.url)
    world.topic("A topic for the meeting")
    return world


def _no_secret(*results) -> None:
    for result in results:
        text = result.stdout + result.stderr
        for secret in (MAIL_PASSWORD, HOOK_PASSWORD, "mailto://", "json://"):
            assert secret not in text


def _kinds(mailbox: Mailbox, webhook: Webhook) -> tuple[list[str], list[str]]:
    return mailbox.subjects(), webhook.titles()


def test_each_kind_reaches_each_target_exactly_once_across_repeated_runs(announcing, mailbox, webhook):
    results = [announcing.run("run"), announcing.run("run")]
    assert all(r.returncode == 0 for r in results), results[-1].stderr
    assert _kinds(mailbox, webhook) == ([_title(AnnounceKind.CREATED)], [_title(AnnounceKind.CREATED)])
    assert ANNOUNCED.format(kind="created", date=DATE, target="hook") in results[0].stdout
    results += [announcing.run("run", now=REMINDING), announcing.run("run", now=LATER_REMINDING)]
    expected = [_title(AnnounceKind.CREATED), _title(AnnounceKind.REMINDER)]
    assert _kinds(mailbox, webhook) == (expected, expected)
    results.append(announcing.run("run", now=STARTED))  # the next week's issue is made, and announced
    for titles in _kinds(mailbox, webhook):
        assert [t for t in titles if DATE in t] == expected and len(titles) == 3
    _no_secret(*results)


def test_a_run_with_nothing_new_to_announce_writes_nothing(announcing):
    announcing.run("run")
    writes = len(announcing.github.writes())
    assert announcing.run("run").returncode == 0
    assert len(announcing.github.writes()) == writes


def test_concurrent_runs_send_each_announcement_once(announcing, mailbox, webhook):
    processes = [announcing.popen("run") for _ in range(3)]
    for process in processes:
        process.communicate(timeout=120)
    assert _kinds(mailbox, webhook) == ([_title(AnnounceKind.CREATED)], [_title(AnnounceKind.CREATED)])
    (meeting_issue,) = [i for i in announcing.issues() if i["state"] == "open"]
    ledger = [c for c in announcing.github.comments(REPO, meeting_issue["number"]) if "meeting-bot:announce" in c["body"]]
    assert len(ledger) == 1  # the runs that lost the race took their claims back
    processes = [announcing.popen("run", now=REMINDING) for _ in range(3)]
    for process in processes:
        process.communicate(timeout=120)
    assert webhook.titles().count(_title(AnnounceKind.REMINDER)) == 1
    assert mailbox.subjects().count(_title(AnnounceKind.REMINDER)) == 1


def test_a_failing_target_is_retried_on_the_next_run_and_the_other_is_not_resent(announcing, mailbox, webhook):
    webhook.failing = True
    failed = announcing.run("run")
    assert failed.returncode == 1
    assert SEND_FAILED.format(target="hook", title=_title(AnnounceKind.CREATED)) in failed.stdout
    assert _kinds(mailbox, webhook) == ([_title(AnnounceKind.CREATED)], [])
    webhook.failing = False
    recovered = announcing.run("run")
    assert recovered.returncode == 0, recovered.stdout
    assert _kinds(mailbox, webhook) == ([_title(AnnounceKind.CREATED)], [_title(AnnounceKind.CREATED)])
    _no_secret(failed, recovered, announcing.run("run", "--debug"))


def test_a_target_without_its_variable_fails_by_name_and_the_others_go_out(announcing, mailbox, webhook):
    del announcing.bot.env["MEETING_BOT_ANNOUNCE_HOOK"]
    result = announcing.run("run")
    assert result.returncode == 1
    assert "MEETING_BOT_ANNOUNCE_HOOK is not set" in result.stdout
    assert _kinds(mailbox, webhook) == ([_title(AnnounceKind.CREATED)], [])


def test_a_cancellation_after_the_announcement_is_announced_once(announcing, mailbox, webhook):
    announcing.run("run")
    announcing.meeting(announce={"targets": ["mail", "hook"]}, schedule={"skip_dates": [dt.date.fromisoformat(DATE)]})
    racing = [announcing.popen("run", now=REMINDING) for _ in range(3)]
    assert all(process.wait(timeout=120) == 0 for process in racing)
    again = announcing.run("run", now=REMINDING)
    assert again.returncode == 0, again.stdout + again.stderr
    expected = [_title(AnnounceKind.CREATED), _title(AnnounceKind.CANCELLED)]
    assert _kinds(mailbox, webhook) == (expected, expected)
    assert "cancelled" in webhook.posts[-1]["message"]


def test_an_occurrence_never_announced_is_not_announced_as_cancelled(announcing, mailbox, webhook):
    announcing.meeting(announce={"targets": ["mail", "hook"], "on": ["cancelled"]})
    announcing.run("run")
    announcing.meeting(announce={"targets": ["mail", "hook"]}, schedule={"skip_dates": [dt.date.fromisoformat(DATE)]})
    announcing.run("run", now=REMINDING)
    assert _kinds(mailbox, webhook) == ([], [])


def test_hostile_titles_arrive_inert(announcing, mailbox, webhook):
    announcing.topic(HOSTILE)
    announcing.run("run")
    announcing.github.set_issue(REPO, announcing.issue()["number"], title=HOSTILE)  # a person renames the issue
    announcing.run("run", now=REMINDING)
    (_, reminder) = mailbox.messages
    texts = [p["message"] for p in webhook.posts]
    texts += [mailbox.parts(reminder, "html"), mailbox.parts(reminder, "plain")]
    assert all("alert(1)" in text for text in texts)  # the agenda title is there, shown as text
    assert all(f"{NAME} {DATE}" in text and text.count("alert(1)") == 1 for text in texts)  # not the renamed title
    for text in texts:
        for forbidden in INERT_FORBIDDEN:
            assert forbidden not in text


def test_dry_run_prints_each_announcement_by_target_name_and_sends_nothing(announcing, mailbox, webhook):
    result = announcing.run("run", "--dry-run")
    assert result.returncode == 0
    for target in ("mail", "hook"):
        line = WOULD_ANNOUNCE.format(kind="created", date=DATE, target=target, title=_title(AnnounceKind.CREATED))
        assert line in result.stdout
    assert "A topic for the meeting" in result.stdout
    assert _kinds(mailbox, webhook) == ([], []) and announcing.github.writes() == []
    _no_secret(result)


def test_the_worker_sends_the_reminder_when_its_window_opens_between_two_passes(announcing, mailbox, webhook):
    start = dt.datetime.now(dt.timezone.utc).replace(microsecond=0) + dt.timedelta(hours=1, seconds=12)
    announcing.meeting(
        announce={"targets": ["mail", "hook"], "reminder_hours": 1},
        schedule={"timezone": "UTC", "start": start.replace(tzinfo=None), "rrule": "FREQ=DAILY;COUNT=1"},
    )
    process = announcing.bot.popen("worker", "--every", "1s", "--config", str(announcing.config),
                                   env={"GITHUB_API_URL": announcing.github.url, "GITHUB_TOKEN": DEFAULT_TOKEN})
    try:
        wait_until(lambda: len(webhook.posts) >= 2, 40, what="the announcement and the reminder")
        passes = announcing.github.count("GET", SEARCH)
        wait_until(lambda: announcing.github.count("GET", SEARCH) >= passes + 2, what="two more passes")  # nothing more
    finally:
        process.terminate()
        out, err = process.communicate(timeout=20)
    date = start.date().isoformat()
    titles = [announce.TITLES[k].format(name=NAME, date=date) for k in (AnnounceKind.CREATED, AnnounceKind.REMINDER)]
    assert webhook.titles() == titles, err
    assert mailbox.subjects() == titles
    assert MAIL_PASSWORD not in out + err and HOOK_PASSWORD not in out + err


def _ledger_requests(world: World, before: int) -> list[tuple[str, str]]:
    return [(e.method, "comments" if "/comments" in e.path else e.path.split("?")[0])
            for e in world.github.requests[before:] if "/comments" in e.path]


def test_what_each_kind_costs_in_requests(announcing):
    before = len(announcing.github.requests)
    announcing.run("run")
    assert _ledger_requests(announcing, before) == [
        ("GET", "comments"), ("POST", "comments"), ("GET", "comments"), ("PATCH", "comments")]
    before = len(announcing.github.requests)
    announcing.run("run")
    assert _ledger_requests(announcing, before) == [("GET", "comments")]
    announcing.meeting(announce={"targets": ["mail", "hook"]}, schedule={"skip_dates": [dt.date.fromisoformat(DATE)]})
    before = len(announcing.github.requests)
    announcing.run("run", now=REMINDING)
    # first the after-meeting step closes the dropped issue as not planned (read, comment, read back), which
    # a pass without announcements does too; then the ledger: read, claim, read back, record
    assert _ledger_requests(announcing, before) == [
        ("GET", "comments"), ("POST", "comments"), ("GET", "comments"),
        ("GET", "comments"), ("POST", "comments"), ("GET", "comments"), ("PATCH", "comments")]



def test_an_empty_agenda_cancellation_is_announced_once_to_each_target_told(announcing, mailbox, webhook):
    announcing.meeting(announce={"targets": ["mail", "hook"]},
                       agenda={"label": LABEL, "orgs": ["acme"], "skip_if_empty": True})
    assert announcing.run("run").returncode == 0
    (topic,) = [i["number"] for i in announcing.github.issues(OTHER)]
    announcing.github.unlabel(OTHER, topic, LABEL)
    webhook.failing = True

    emptied = announcing.run("run", now=REMINDING)

    assert emptied.returncode == 1  # the hook's send failed: tried again on the next run
    assert announcing.issue()["state_reason"] == "not_planned"
    cancelled = [_title(AnnounceKind.CREATED), _title(AnnounceKind.CANCELLED)]
    assert _kinds(mailbox, webhook) == (cancelled, [_title(AnnounceKind.CREATED)])
    webhook.failing = False
    assert announcing.run("run", now=REMINDING).returncode == 0
    assert _kinds(mailbox, webhook) == (cancelled, cancelled)
    assert "there is no meeting on" in webhook.posts[-1]["message"]
    writes = len(announcing.github.writes())
    assert announcing.run("run", now=LATER_REMINDING).returncode == 0
    assert _kinds(mailbox, webhook) == (cancelled, cancelled) and len(announcing.github.writes()) == writes


def test_a_person_closing_the_issue_as_not_planned_announces_nothing(announcing, mailbox, webhook):
    """Anyone with triage access can close an issue as not planned: only a cancellation the bot itself
    made (its own closing comment) is announced."""
    assert announcing.run("run").returncode == 0
    issue = announcing.issue()
    announcing.github.set_issue(REPO, issue["number"], state="closed", state_reason="not_planned")
    forged = "<!-- meeting-bot:comment=cancelled -->"  # the bot's marker, in a member's comment
    announcing.github.add_comment(REPO, issue["number"], forged, user="member")

    assert announcing.run("run", now=REMINDING).returncode == 0

    created = [_title(AnnounceKind.CREATED)]
    assert _kinds(mailbox, webhook) == (created, created)


def test_the_minutes_go_out_once_with_the_link_the_close_gave(announcing, mailbox, webhook):
    from bot import after, markers
    from bot.adapters.repo_notes import web_url
    from tests.e2e import notes_path

    due, later = "2024-03-12T17:00:00Z", "2024-03-13T09:00:00Z"  # 25 hours after DATE's end, and later
    assert announcing.run("run").returncode == 0
    assert announcing.run("run", now="2024-03-11T18:00:00Z").returncode == 0  # ended, after_hours not passed
    assert _title(AnnounceKind.MINUTES) not in webhook.titles()
    webhook.failing = True

    closed = announcing.run("run", now=due)

    assert closed.returncode == 1 and announcing.issue()["state"] == "closed"  # the hook failed: next run
    link = f"{web_url(announcing.github.url)}/{REPO}/blob/HEAD/{notes_path()}"
    closing = [c["body"] for c in announcing.github.comments(REPO, 1) if after.COMMENT_MARKER.format(kind=after.MINUTES_KIND) in c["body"]]
    assert any(link in body for body in closing)
    webhook.failing = False
    assert announcing.run("run", now=later).returncode == 0
    for titles in _kinds(mailbox, webhook):
        assert titles.count(_title(AnnounceKind.MINUTES)) == 1
    (message,) = [p["message"] for p in webhook.posts if p["title"] == _title(AnnounceKind.MINUTES)]
    assert link in message
    assert after.ANNOUNCED in markers.find_status(announcing.issue()["body"])
    announcing.github.reset_log()
    assert announcing.run("run", now=later).returncode == 0
    assert announcing.github.writes() == [] and announcing.github.count("GET", r"/issues/1/comments") == 0


def test_a_dry_run_after_the_meeting_shows_the_minutes_announcement_and_sends_nothing(announcing, mailbox, webhook):
    assert announcing.run("run").returncode == 0  # the issue, and the "created" announcements
    sent = _kinds(mailbox, webhook)
    announcing.github.reset_log()

    dry = announcing.run("run", "--dry-run", now="2024-03-12T17:00:00Z")  # 25 hours after the end

    assert dry.returncode == 0, dry.stdout + dry.stderr
    for target in ("mail", "hook"):
        line = WOULD_ANNOUNCE.format(kind="minutes", date=DATE, target=target, title=_title(AnnounceKind.MINUTES))
        assert line in dry.stdout
    assert _kinds(mailbox, webhook) == sent and announcing.github.writes() == []
    assert announcing.issue()["state"] == "open"
