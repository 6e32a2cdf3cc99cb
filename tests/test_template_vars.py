"""The default templates' options from [vars]: invitees, livestream, RSVP legend, recording link (issue #16)."""

from __future__ import annotations

import json

import pytest

from bot import config, markers, template_vars
from bot.render import Links, Renderer
from tests.factories import CALENDAR_URL, JOIN_URL, make_meeting
from tests.test_config import VALID, problem_of
from tests.e2e import world  # noqa: F401 (the fixture)
from tests.test_render import ISSUE_URL, REFERENCE, context, skeleton

TEAM = "@openjs-foundation/security-collab-space"
STREAM = "https://www.youtube.com/@openjsf/live"
RECORDING = "https://www.youtube.com/watch?v=hXpyRT1t5RI"
RSVP_LINE = "👍 attending · 👎 not attending · 😕 not sure yet"


def _meeting(**more):
    return make_meeting(vars={"join_url": JOIN_URL, "calendar_url": CALENDAR_URL, **more})


def issue(**more) -> list[str]:
    return Renderer().issue(context(_meeting(**more))).splitlines()


def notes(**more) -> list[str]:
    return Renderer().notes(context(_meeting(**more), links=Links(ISSUE_URL))).splitlines()


def test_without_the_options_the_issue_has_no_invited_observers_or_rsvp_lines():
    lines = issue()
    assert "## Invited" not in lines and RSVP_LINE not in lines
    assert not [line for line in lines if "Observers" in line or "@" in line]


def test_invitees_are_mentioned_once_each_outside_the_regions_the_bot_rewrites():
    lines = issue(invitees=[TEAM, "@octocat"])
    invited = lines.index("## Invited")
    assert lines[invited + 2 : invited + 4] == [f"* {TEAM}", "* @octocat"]
    body = "\n".join(lines)
    assert body.count(TEAM) == 1
    for region in (markers.AGENDA, markers.LINKS):
        assert TEAM not in (markers.find_region(body, region) or "")
    assert issue(invitees=TEAM)[invited + 2] == f"* {TEAM}"  # one handle as a plain string


def test_the_livestream_is_a_link_for_observers_and_the_rsvp_legend_is_opt_in():
    lines = issue(livestream_url=STREAM, rsvp=True)
    assert f"* **Observers**: watch the livestream at {STREAM}" in lines
    assert lines[-2:] == [RSVP_LINE, markers.make_key("security-collab-space/2023-09-11")]
    assert RSVP_LINE not in issue(rsvp=False)


def test_the_notes_recording_line_is_filled_from_recording_url():
    assert f"* **Recording**: {RECORDING}" in notes(recording_url=RECORDING)
    assert "* **Recording**: " in notes()
    reference = REFERENCE.read_text(encoding="utf-8").splitlines()
    recording = [line for line in reference if line.startswith("* **Recording**:")]
    assert recording == [f"* **Recording**: {RECORDING}"]  # the reference's own line, word for word


def test_the_default_notes_keep_the_reference_shape_with_or_without_a_recording():
    assert skeleton(notes())[:6] == skeleton(notes(recording_url=RECORDING))[:6]


@pytest.mark.parametrize("value, problem", [
    ('"@everyone <img src=x>"', template_vars.BAD_HANDLE),
    ('"openjs-foundation/team"', template_vars.BAD_HANDLE),
    ('["@ok", "@bad team"]', template_vars.BAD_HANDLE),
    ("42", template_vars.MUST_BE_HANDLES),
])
def test_invitees_must_be_team_or_user_handles(tmp_path, value, problem):
    text = VALID + f"\n[vars]\ninvitees = {value}\n"
    line, message = problem_of(tmp_path, text)
    assert line == text.splitlines().index(f"invitees = {value}") + 1
    assert message.startswith("vars.invitees") and problem.split("}")[-1].split(";")[0] in message


@pytest.mark.parametrize("key, value", [
    ("livestream_url", '"javascript:alert(1)"'), ("recording_url", '"not a url"'), ("rsvp", '"yes"'),
])
def test_the_other_options_are_checked_too(tmp_path, key, value):
    text = VALID + f"\n[vars]\n{key} = {value}\n"
    line, message = problem_of(tmp_path, text)
    assert line == text.splitlines().index(f"{key} = {value}") + 1 and message.startswith(f"vars.{key}")


def test_valid_options_pass(tmp_path):
    text = VALID + f'\n[vars]\ninvitees = [{json.dumps(TEAM)}, "@octocat"]\nlivestream_url = "{STREAM}"\nrsvp = true\n'
    (tmp_path / "m.toml").write_text(text)
    meetings, problems = config.load_meetings(tmp_path, lambda name: True)
    assert problems == [] and meetings[0].vars["invitees"] == [TEAM, "@octocat"]


def test_a_real_run_mentions_the_invitees_once_and_a_refresh_never_mentions_them_again(world):
    world.meeting(vars={"join_url": "https://meet.example.org/wg", "invitees": TEAM, "rsvp": True})
    world.topic("First topic")
    assert world.run("run").returncode == 0
    body = world.issue()["body"]
    assert body.count(TEAM) == 1 and f"* {TEAM}" in body.splitlines() and RSVP_LINE in body
    world.topic("Second topic")
    refreshed = world.run("run")
    assert refreshed.returncode == 0, refreshed.stderr
    after = world.issue()["body"]
    assert "Second topic" in after and after.count(TEAM) == 1
