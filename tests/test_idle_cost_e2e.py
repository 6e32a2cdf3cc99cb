"""What a pass that prepares no meeting costs in GitHub requests, end to end: the real command and PyGithub
against the GitHub double, which records every request."""

from __future__ import annotations

import datetime as dt

from tests.announce_targets import Webhook, webhook  # noqa: F401 (the fixture)
from tests.e2e import REPO, World, world  # noqa: F401 (the fixture)

LISTING = rf"^/repos/{REPO}/issues$"
BETWEEN = "2024-03-06T12:00:00Z"  # the Monday meeting's window (one day) opens on 2024-03-10
ONE_DAY_WINDOW = {"timezone": "Europe/Berlin", "start": dt.datetime(2024, 1, 8, 16, 0), "rrule": "FREQ=WEEKLY",
                  "create_days_before": 1}


def idle_requests(world: World) -> list[tuple[str, str]]:
    world.github.reset_log()
    result = world.run("run", now=BETWEEN)
    assert result.returncode == 0, result.stderr
    assert "nothing to do: the next meeting is 2024-03-11" in result.stdout
    return [(e.method, e.path) for e in world.github.requests]


def test_an_idle_pass_reads_the_listing_once_for_the_steps_and_the_cancellations(world: World, webhook: Webhook):
    world.meeting(schedule=ONE_DAY_WINDOW)
    plain = idle_requests(world)
    assert plain == [("GET", "/user"), ("GET", f"/repos/{REPO}/issues")]

    world.meeting(schedule=ONE_DAY_WINDOW, announce={"targets": ["hook"]})
    world.bot.env.update(MEETING_BOT_ANNOUNCE_HOOK=webhook.url)
    assert idle_requests(world) == plain  # the cancelled announcements read the same listing
    assert world.github.writes() == [] and webhook.posts == []


def test_an_idle_pass_the_schedule_proves_empty_sends_no_request(world: World):
    # Daily, and nothing to do once a meeting is over: every coming day has its meeting (none can have been
    # dropped) and no ended one has a step. The window never opens (create_days_before = 0): runs use --date.
    world.meeting(schedule={**ONE_DAY_WINDOW, "rrule": "FREQ=DAILY", "create_days_before": 0},
                  after={"close_issue": False, "remove_label": False})
    world.github.reset_log()
    result = world.run("run", now=BETWEEN)
    assert result.returncode == 0, result.stderr
    assert "nothing to do" in result.stdout
    assert world.github.requests == []
