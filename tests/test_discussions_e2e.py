"""Discussions and sections through the real `meeting-bot` against the GitHub double (SPEC section 9)."""

from __future__ import annotations

import json

from bot import discussions, escape, markers, runner
from tests.doubles.github_graphql import published_schema, query_errors
from tests.e2e import LABEL, MEETING_ID, OTHER, REPO, world  # noqa: F401 (the fixture)

GRAPHQL = r"graphql$"
SECTIONS = """
[[agenda.sections]]
title = "Needs a decision"
labels = ["needs-decision"]

[[agenda.sections]]
title = "Security"
labels = ["security", "needs-decision"]
"""


def with_discussions(world, sections: str = "") -> None:
    path = world.meeting(agenda={"include_discussions": True})
    path.write_text(path.read_text(encoding="utf-8") + sections, encoding="utf-8")


def region(world) -> str:
    found = markers.find_region(world.issue()["body"], markers.AGENDA)
    assert found is not None
    return found


def assert_valid_graphql(world) -> None:
    for entry in world.github.matching("POST", GRAPHQL):
        assert query_errors(entry.body["query"], published_schema()) == []


def discussion_link(number: int, repo: str = OTHER, section: bool = False) -> str:
    ref = f"{escape.markdown_inline(repo)} discussion #{number}" if section else f"discussion #{number}"
    return f"[{ref}](https://github.com/{repo}/discussions/{number})"


def test_a_discussion_appears_leaves_when_unlabelled_and_a_quiet_rerun_writes_nothing(world):
    with_discussions(world)
    talk = world.github.add_discussion(OTHER, "Roadmap talk", labels=[LABEL])
    issue = world.topic("An issue")

    assert world.run("run").returncode == 0
    assert discussion_link(talk) in region(world) and f"[#{issue}]" in region(world)
    assert "labeled issues, pull requests and discussions from" in world.issue()["body"]

    world.github.reset_log()
    again = world.run("run")
    assert again.returncode == 0 and world.writes() == []
    assert world.github.count("POST", GRAPHQL) == 1

    world.github.set_discussion(OTHER, talk, labels=["later"])
    assert world.run("run").returncode == 0
    assert discussion_link(talk) not in region(world) and f"[#{issue}]" in region(world)
    assert_valid_graphql(world)


def test_sections_with_overlapping_labels_in_the_issue_and_in_json(world):
    with_discussions(world, SECTIONS)
    both = world.github.add_discussion(OTHER, "Pick a licence", labels=[LABEL, "security", "needs-decision"])
    security = world.github.add_issue(OTHER, "Audit", labels=[LABEL, "security"])
    plain = world.topic("Plain")

    assert world.run("run").returncode == 0
    text = region(world)
    order = [text.index(part) for part in ("### Needs a decision", discussion_link(both, section=True),
                                           "### Security", f"#{security}](", f"### {escape.markdown_inline(OTHER)}",
                                           f"[#{plain}](")]
    assert order == sorted(order)
    assert text.count(f"/discussions/{both})") == 1

    document = json.loads(world.run("agenda", "--meeting", MEETING_ID, "--format", "json").stdout)
    assert [(i["number"], i["kind"], i["section"]) for i in document["items"]] == [
        (both, "discussion", "Needs a decision"),
        (security, "issue", "Security"),
        (plain, "issue", None),
    ]


def test_hostile_discussion_titles_stay_inert_in_the_issue(world):
    with_discussions(world)
    title = f"@acme/everyone <img src=x onerror=alert(1)> {markers.AGENDA_END} [x](javascript:y)\n# Owned"
    number = world.github.add_discussion(OTHER, title, labels=[LABEL])
    assert world.run("run").returncode == 0
    body = world.issue()["body"]
    assert f"{escape.markdown_inline(title)} {discussion_link(number)}" in region(world)
    assert "@acme" not in body and "<img" not in body and "\n# Owned" not in body
    assert body.count(markers.AGENDA_END) == 1


def test_a_token_that_cannot_read_discussions_warns_once_and_the_issue_is_still_made(world):
    with_discussions(world)
    world.github.add_token("ghp_nodiscussions", discussions=False)
    world.github.add_discussion(OTHER, "Hidden talk", labels=[LABEL])
    issue = world.topic("Visible issue")

    result = world.run("run", token="ghp_nodiscussions")

    assert result.returncode == 0, result.stderr
    warning = discussions.UNAVAILABLE.format(reason=discussions.NO_ACCESS)
    assert result.stderr.count(warning) == 1
    assert f"[#{issue}]" in region(world) and "Hidden talk" not in region(world)


def test_without_discussions_no_graphql_request_is_sent(world):
    world.github.add_discussion(OTHER, "Talk", labels=[LABEL])
    assert world.run("run").returncode == 0
    assert world.github.count("POST", GRAPHQL) == 0 and "Talk" not in region(world)
    assert summary_ok(world)


def summary_ok(world) -> bool:
    again = world.run("run")
    return again.returncode == 0 and runner.NOTHING_NEW.format(number=world.issue()["number"]) in again.stdout


def test_agenda_command_warns_once_when_discussions_cannot_be_read(world):
    with_discussions(world)
    world.github.add_token("ghp_nodiscussions", discussions=False)
    world.github.add_discussion(OTHER, "Hidden talk", labels=[LABEL])
    issue = world.topic("Visible issue")

    result = world.run("agenda", "--meeting", MEETING_ID, token="ghp_nodiscussions")

    assert result.returncode == 0, result.stderr
    warning = discussions.UNAVAILABLE.format(reason=discussions.NO_ACCESS)
    assert result.stderr.count(f"{MEETING_ID}: {warning}") == 1
    assert f"[#{issue}]" in result.stdout and "Hidden talk" not in result.stdout


def test_dry_run_shows_discussions_and_writes_nothing(world):
    with_discussions(world)
    talk = world.github.add_discussion(OTHER, "Roadmap talk", labels=[LABEL])
    result = world.run("run", "--dry-run")
    assert result.returncode == 0, result.stderr
    assert discussion_link(talk) in result.stdout
    assert world.writes() == [] and world.github.count("POST", GRAPHQL) == 1


def test_a_private_repositorys_discussion_never_reaches_a_public_meetings_issue(world):
    from bot import agenda

    with_discussions(world)
    world.github.add_repo("acme/embargo", private=True)
    world.github.add_discussion("acme/embargo", "Embargoed vulnerability", labels=[LABEL])
    talk = world.github.add_discussion(OTHER, "Public talk", labels=[LABEL])

    result = world.run("run")

    assert result.returncode == 0, result.stderr
    body = world.issue()["body"]
    assert discussion_link(talk) in region(world) and "Embargoed" not in body
    warning = agenda.WITHHELD.format(count=1, repo=REPO, visibility="public")
    assert result.stderr.count(warning) == 1 and "Embargoed" not in result.stdout + result.stderr
