"""What the chair and the operator read (issue #16): each fact once where stdout and stderr are merged,
the next step in each outcome, warnings that look like warnings, a dry run as a plan with diffs, --debug
as the bot's reasoning and request lines, structured JSON logs, and did-you-mean hints.

The real `meeting-bot` runs as a subprocess against the GitHub double.
"""

from __future__ import annotations

import json
import os
import pty
import re
import subprocess
import sys

from bot import config, logs, occurrences, runner, suggest, template_errors, tomlines
from bot.apply import CREATED_ISSUE
from bot.commands import UNKNOWN_MEETING
from bot.commands import PROGRESS
from bot.http_log import REQUEST_LINE
from bot.preview import DRY_CREATE_ISSUE, DRY_LABELS, DRY_UPDATE_ISSUE, NEW_TEXT_HEADER, PLAN_HEADER
from bot.report import FINISHED
from tests.doubles.github import DEFAULT_TOKEN
from tests.e2e import DATE, MEETING_ID, NAME, REPO, planned, world  # noqa: F401 (the fixture)

TIMESTAMPED = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d+ (DEBUG|INFO|WARNING|ERROR) ")


def merged(result: subprocess.CompletedProcess) -> str:
    return result.stdout + result.stderr


def summary_lines(result) -> list[str]:
    return [line for line in result.stdout.splitlines() if line.startswith(f"{MEETING_ID}: ")]


# ------------------------------------------------------------------ 2. merged streams, next steps


def test_each_outcome_is_said_once_on_stdout_and_never_again_in_the_log(world):
    world.topic("Budget")
    first = world.run("run")
    assert first.returncode == 0, first.stderr
    issue = world.issue()
    created = CREATED_ISSUE.format(number=issue["number"], url=issue["html_url"])
    assert merged(first).count(created) == 1 and created in first.stdout
    assert all(TIMESTAMPED.match(line) for line in first.stderr.splitlines()), first.stderr
    again = world.run("run")
    nothing = runner.NOTHING_NEW.format(number=issue["number"])
    assert summary_lines(again) == [f"{MEETING_ID}: {nothing}"] and merged(again).count(nothing) == 1


def test_an_off_schedule_date_is_one_line_that_names_the_nearest_dates_and_force(world):
    refused = world.run("run", "--date", "2024-03-12")
    assert refused.returncode == 1
    (line,) = summary_lines(refused)
    assert "--force" in line and occurrences.MSG_NO_OCCURRENCE.split(";")[0].format(day="2024-03-12") in line
    assert merged(refused).count("no occurrence on 2024-03-12") == 1  # not again in the log


def test_a_meeting_not_yet_due_names_the_date_option_to_prepare_it_now(world):
    world.meeting(schedule={"create_days_before": 2})
    result = world.run("run", now="2024-03-05T12:00:00Z")  # 03-11's window opens on 03-09
    assert result.returncode == 0, result.stderr
    (line,) = summary_lines(result)
    assert "--date 2024-03-11" in line, line
    assert line == f"{MEETING_ID}: " + runner.NOTHING_DUE.format(
        start="2024-03-11 16:00 CET", opens="2024-03-09 16:00 CET", date="2024-03-11")
    assert merged(result).count("nothing to do") == 1


# 3. markers removed by hand: one warning saying how to restore them, in test_run_e2e.py


# ------------------------------------------------------------------ 4. a dry run as a plan


def test_a_dry_run_lists_every_action_first_then_the_new_texts_with_the_labels(world):
    world.topic("Dry topic")
    dry = world.run("run", "--dry-run")
    lines = dry.stdout.splitlines()
    assert lines[0] == PLAN_HEADER.format(meeting=MEETING_ID)
    assert planned(dry)[0] == DRY_CREATE_ISSUE.format(repo=REPO, title=f"{NAME} {DATE}") + DRY_LABELS.format(
        labels="meeting")
    first_detail = lines.index(NEW_TEXT_HEADER.format(number=1))
    assert first_detail > max(lines.index("  " + f"{n}. " + line) for n, line in enumerate(planned(dry), 1))
    assert world.writes() == []


def test_a_dry_run_of_an_update_is_a_unified_diff_not_the_whole_text(world):
    world.topic("Early topic")
    world.run("run")
    issue = world.issue()
    world.topic("Late topic")
    world.github.reset_log()

    dry = world.run("run", "--dry-run")

    assert world.writes() == []
    assert DRY_UPDATE_ISSUE.format(repo=REPO, number=issue["number"]) in planned(dry)
    added = [line for line in dry.stdout.splitlines() if line.startswith("+") and "Late topic" in line]
    assert len(added) == 2  # the issue's diff and the notes' diff
    assert not [line for line in dry.stdout.splitlines() if line.startswith("-") and "Early topic" in line]
    assert "## Invitation" not in dry.stdout.replace(" ## Invitation", "")  # context lines only, no full body
    assert NEW_TEXT_HEADER.format(number=1) not in dry.stdout
    assert sum(1 for line in dry.stdout.splitlines() if line.startswith("@@ ")) == 2


# ------------------------------------------------------------------ 6. --debug


def test_debug_shows_the_bots_reasoning_and_one_line_per_request_not_bodies(world):
    world.topic("Budget")
    world.run("run")
    debug = world.run("run", "--debug")
    assert debug.returncode == 0, debug.stderr
    requests = [line for line in debug.stderr.splitlines() if " DEBUG HTTP " in line]
    assert requests and all(re.search(r" DEBUG HTTP (GET|POST|PATCH|PUT) /\S* \d{3}$", line) for line in requests)
    assert any(line.endswith(REQUEST_LINE % ("GET", f"/repos/{REPO}/issues", 200)) for line in requests)
    assert any(line.endswith(runner.DEBUG_FOUND.replace("%s", "{}").replace("%d", "{}").format(
        MEETING_ID, "#1 (open)", "meetings/2024-03-11.md", 0)) for line in debug.stderr.splitlines())
    assert len(debug.stderr.splitlines()) < 30, debug.stderr
    assert '"node_id"' not in debug.stderr and "Authorization" not in debug.stderr  # no library dumps


# ------------------------------------------------------------------ 7. helpful messages


def test_a_mistyped_zone_template_key_and_meeting_each_get_one_did_you_mean_line(world):
    path = world.meeting(schedule={"timezone": "Europe/Londn"}, issue={"template": "isue.md.j2"})
    path.write_text(path.read_text().replace("label = ", "lable = "))
    result = world.run("check")
    assert result.returncode == 2
    problems = result.stdout.splitlines()[:-1]
    assert len(problems) == 3, problems  # one line per mistake
    assert any(config.UNKNOWN_ZONE.format(key="schedule.timezone", value="Europe/Londn",
                                          hint=suggest.DID_YOU_MEAN.format(match="Europe/London")) in p for p in problems)
    assert any(suggest.DID_YOU_MEAN.format(match="issue.md.j2") in p for p in problems)
    assert any(tomlines.DID_YOU_MEAN.format(match="label") in p for p in problems)
    assert not [p for p in problems if "missing required key" in p]

    path.unlink()
    world.meeting()
    unknown = world.run("agenda", "--meeting", "wgg")
    assert unknown.returncode == 2
    assert unknown.stderr.strip() == UNKNOWN_MEETING.format(
        id="wgg", hint=suggest.DID_YOU_MEAN.format(match="wg"), known="wg")


def test_a_jinja_syntax_error_is_reported_at_its_line_without_a_character_offset(world, tmp_path):
    templates = tmp_path / "templates"
    templates.mkdir()
    lines = ["# {{ name }}", "", "{{ markers.agenda_start }}", "{{ markers.agenda_end }}", "", "broken {{ x ! }}"]
    (templates / "issue.md.j2").write_text("\n".join(lines) + "\n")
    result = world.run("check", "--templates", str(templates))
    assert result.returncode == 2
    (problem,) = [line for line in result.stdout.splitlines() if "issue.md.j2" in line]
    assert problem.startswith(f"{templates / 'issue.md.j2'}:6: ") and not re.search(r" at \d+$", problem)


def test_an_unclosed_block_is_reported_where_it_opens_not_at_the_end(world, tmp_path):
    templates = tmp_path / "templates"
    templates.mkdir()
    lines = ["# {{ name }}", "", "{% if links.join %}", "Join: {{ links.join }}", "",
             "{{ markers.agenda_start }}", "{{ markers.agenda_end }}", "", "The end.", ""]
    (templates / "issue.md.j2").write_text("\n".join(lines))
    result = world.run("check", "--templates", str(templates))
    (problem,) = [line for line in result.stdout.splitlines() if "issue.md.j2" in line]
    assert problem.startswith(f"{templates / 'issue.md.j2'}:3: "), problem
    assert problem.endswith(template_errors.UNCLOSED.format(message="", tag="if", line=3).lstrip())


def test_a_syntax_error_in_a_multi_line_title_points_at_its_own_line(world):
    path = world.meeting()  # it has no title of its own: the first lines of the file set one
    path.write_text('title = """\n{{ name }}\n{{ date ! }}"""\n' + path.read_text())
    result = world.run("check")
    (problem,) = [line for line in result.stdout.splitlines() if "title" in line]
    assert problem.startswith(f"{path}:3: "), problem
    assert not re.search(r" at \d+$", problem)


def test_a_missing_config_directory_names_the_option_and_the_variable(bot, tmp_path):
    result = bot("check", "--config", str(tmp_path / "nowhere"))
    assert result.returncode == 2
    assert result.stdout.splitlines()[0] == f"{tmp_path / 'nowhere'}: {config.CONFIG_DIR_MISSING}"
    assert "--config" in config.CONFIG_DIR_MISSING and "MEETING_BOT_CONFIG" in config.CONFIG_DIR_MISSING


# ------------------------------------------------------------------ 8. JSON logs, agenda, progress


def test_json_logs_carry_meeting_occurrence_action_url_and_request_counts_and_stdout_stays_empty(world):
    world.topic("Budget")
    result = world.run("run", "--log-format", "json")
    assert result.returncode == 0, result.stderr
    assert result.stdout == ""  # the outcomes are the records: said once
    records = [json.loads(line) for line in result.stderr.splitlines()]
    issue = world.issue()
    (created,) = [r for r in records if r.get("action") == "create_issue"]
    assert created["meeting"] == MEETING_ID and created["occurrence"] == f"{MEETING_ID}/{DATE}"
    assert created["url"] == issue["html_url"] and created["level"] == "info"
    (finished,) = [r for r in records if r.get("action") == "finished"]
    assert finished["requests"] > 0
    assert finished["message"] == FINISHED.format(meeting=MEETING_ID, requests=finished["requests"])
    assert {r["logger"] for r in records} <= {logs.LOGGER, logs.OUTCOME_LOGGER}


def test_agenda_needs_no_meeting_option_when_there_is_only_one(world):
    world.topic("Budget")
    result = world.run("agenda")
    assert result.returncode == 0, result.stderr
    assert "Budget" in result.stdout
    world.meeting("other")
    two = world.run("agenda")
    assert two.returncode == 2 and "--meeting" in two.stderr


def test_a_progress_line_per_meeting_on_a_terminal_only(world):
    world.meeting("second")
    args = [sys.executable, "-m", "bot", "run", "--config", str(world.config), "--now", "2024-03-07T12:00:00Z"]
    env = {**world.bot.env, "GITHUB_API_URL": world.github.url, "GITHUB_TOKEN": DEFAULT_TOKEN}
    leader, follower = pty.openpty()
    try:
        done = subprocess.run(args, cwd=world.bot.cwd, env=env, stdout=subprocess.PIPE, stderr=follower,
                              text=True, timeout=60)
        os.close(follower)
        follower = -1
        seen = _drain(leader)
    finally:
        os.close(leader)
        if follower >= 0:
            os.close(follower)
    assert done.returncode == 0
    assert PROGRESS.format(meeting="second") in seen and PROGRESS.format(meeting=MEETING_ID) in seen
    piped = world.run("run")
    assert PROGRESS.format(meeting=MEETING_ID) not in merged(piped)


def _drain(fd: int) -> str:
    chunks = []
    while True:
        try:
            chunk = os.read(fd, 4096)
        except OSError:
            break
        if not chunk:
            break
        chunks.append(chunk)
    return b"".join(chunks).decode(errors="replace")
