"""The GitHub Action: its entry script run as the runner would (fake GITHUB_OUTPUT and GITHUB_STEP_SUMMARY,
the GitHub double behind it), its outputs, its job summary, its pip cache and the credentials it forwards."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
from pathlib import Path

import yaml

from bot import action, preview
from bot.settings import SECRET_VARIABLES
from tests.doubles.github import DEFAULT_TOKEN
from tests.e2e import MEETING_ID, REPO, world  # noqa: F401 (the fixture)

ROOT = Path(__file__).resolve().parent.parent
CREDENTIALS = (*SECRET_VARIABLES, "GITHUB_APP_ID", "GITHUB_APP_INSTALLATION_ID")


def _soon() -> dict:
    """A weekly schedule whose next meeting is two days from the real today, so its window is open now
    (the Action has no --now: it runs at the runner's time)."""
    day = dt.date.today() + dt.timedelta(days=2)
    return {"timezone": "UTC", "start": dt.datetime.combine(day, dt.time(12, 0)), "rrule": "FREQ=WEEKLY"}


def run_action(world, tmp_path: Path, **inputs: str) -> tuple[subprocess.CompletedProcess, dict, str]:
    """`python -m bot.action` with the inputs as the composite step passes them; (result, outputs, summary)."""
    output, summary = tmp_path / "github_output", tmp_path / "step_summary"
    env = {
        **world.bot.env, "GITHUB_API_URL": world.github.url, "GITHUB_TOKEN": DEFAULT_TOKEN,
        "GITHUB_OUTPUT": str(output), "GITHUB_STEP_SUMMARY": str(summary),
        "MB_CONFIG": str(world.config), "MB_TEMPLATES": "templates",
        **{"MB_" + key.upper(): value for key, value in inputs.items()},
    }
    result = subprocess.run([sys.executable, "-m", "bot.action"], cwd=world.bot.cwd, env=env,
                            capture_output=True, text=True, timeout=120)
    return result, parse_outputs(output.read_text() if output.exists() else ""), (
        summary.read_text() if summary.exists() else "")


def parse_outputs(text: str) -> dict:
    """$GITHUB_OUTPUT as the runner reads it: `name<<DELIMITER`, the value's lines, `DELIMITER`."""
    found, lines = {}, iter(text.splitlines())
    for line in lines:
        name, delimiter = line.split("<<", 1)
        value = []
        for part in lines:
            if part == delimiter:
                break
            value.append(part)
        found[name] = "\n".join(value)
    return found


def test_one_meeting_gives_plain_outputs_and_a_summary_table(world, tmp_path):
    world.meeting(schedule=_soon())
    world.topic("Budget")
    result, outputs, summary = run_action(world, tmp_path)
    assert result.returncode == 0, result.stderr
    (issue,) = [i for i in world.github.issues(REPO) if i["title"].startswith("WG Meeting")]
    assert outputs["issue-number"] == str(issue["number"]) and outputs["issue-url"] == issue["html_url"]
    assert outputs["notes-url"].startswith(world.github.url) and outputs["notes-url"].endswith(".md")
    assert summary.startswith(action.SUMMARY_TITLE.format(what=action.RUN))
    assert f"| {MEETING_ID} | {action.OK} | [#{issue['number']}]({issue['html_url']}) |" in summary
    assert f"{MEETING_ID}: created issue #{issue['number']}" in summary  # what the bot printed
    assert f"{MEETING_ID}: created issue" in result.stdout  # and the job log still shows it


def test_several_meetings_give_json_outputs_by_meeting_id(world, tmp_path):
    world.meeting(schedule=_soon())
    world.meeting("second", schedule=_soon(), notes={"path": "second/{{ date }}.md"})
    result, outputs, _ = run_action(world, tmp_path)
    assert result.returncode == 0, result.stderr
    import json

    numbers, urls = json.loads(outputs["issue-number"]), json.loads(outputs["issue-url"])
    assert set(numbers) == {MEETING_ID, "second"} and numbers[MEETING_ID] != numbers["second"]
    assert urls["second"].endswith(f"/issues/{numbers['second']}")
    assert set(json.loads(outputs["notes-url"])) == {MEETING_ID, "second"}
    assert [o["meeting"] for o in json.loads(outputs["outcomes"])] == ["second", MEETING_ID]  # by file name


def test_a_dry_run_puts_its_plan_in_the_summary_and_outputs_no_issue(world, tmp_path):
    world.meeting(schedule=_soon())
    world.github.reset_log()
    result, outputs, summary = run_action(world, tmp_path, dry_run="true")
    assert result.returncode == 0, result.stderr
    assert world.github.writes() == []
    assert outputs["issue-number"] == "" and outputs["issue-url"] == ""
    assert summary.startswith(action.SUMMARY_TITLE.format(what=action.DRY_RUN))
    assert preview.PLAN_HEADER.format(meeting=MEETING_ID) in summary and "```diff" in summary


def test_a_failed_meeting_is_a_failed_step_with_its_cause_in_the_summary(world, tmp_path):
    world.meeting("broken", schedule=_soon(), repo="acme/missing")
    world.meeting(schedule=_soon())
    result, outputs, summary = run_action(world, tmp_path)
    assert result.returncode == 1
    assert "| broken | failed: " in summary and f"| {MEETING_ID} | {action.OK} |" in summary
    assert json_of(outputs["issue-number"])["broken"] is None


def test_inputs_reach_the_command_as_options():
    env = {"MB_CONFIG": "meetings", "MB_MEETING": "wg", "MB_DATE": "2024-03-11", "MB_FORCE": "true",
           "MB_DRY_RUN": "true", "MB_TEMPLATES": "", "MB_SHARD": "2/4"}
    assert action.command(env) == ["run", "--config", "meetings", "--templates", "templates", "--meeting", "wg",
                                   "--date", "2024-03-11", "--force", "--dry-run", "--shard", "2/4"]


def test_a_value_cannot_end_its_output_early():
    values = {"issue-url": "x\nghadelimiter_forged\nissue-number<<y"}
    out = Path(__import__("tempfile").mkdtemp()) / "out"
    action.write_outputs(str(out), values)
    assert parse_outputs(out.read_text()) == values


def test_summary_cells_and_fences_hold_against_what_they_quote():
    outcomes = [{"meeting": "wg", "ok": False, "error": "a | b <img>\nc", "warnings": [], "issue_number": None,
                 "issue_url": None, "notes_url": "javascript:alert(1)"}]
    text = action.summary(outcomes, "```\nprinted\n```", dry_run=False, code=1)
    assert "| wg | failed: a \\| b &lt;img> c |  |  |" in text and "javascript:" not in text
    assert "````text" in text


def json_of(text: str):
    import json

    return json.loads(text)


# ------------------------------------------------------------------ the files themselves


def test_the_action_declares_its_outputs_from_the_entry_step():
    spec = yaml.safe_load((ROOT / "action.yml").read_text())
    steps = spec["runs"]["steps"]
    run = steps[-1]
    assert run["id"] == "run" and run["run"].strip() == "python -m bot.action"
    for name in (*action.OUTPUT_NAMES, "outcomes"):
        assert spec["outputs"][name]["value"] == "${{ steps.run.outputs.%s }}" % name


def test_the_action_caches_pip_on_the_pinned_requirements_and_installs_them_with_hashes():
    steps = yaml.safe_load((ROOT / "action.yml").read_text())["runs"]["steps"]
    cache = next(s for s in steps if s.get("uses", "").startswith("actions/cache@"))
    assert cache["with"]["path"] == "~/.cache/pip" and "steps.pins.outputs.hash" in cache["with"]["key"]
    pins = next(s for s in steps if s.get("id") == "pins")
    assert "requirements.txt" in pins["run"] and "sha256sum" in pins["run"]
    install = next(s for s in steps if s.get("name") == "Install meeting-bot")
    assert "--require-hashes -r \"$ACTION_PATH/requirements.txt\"" in install["run"]
    assert steps.index(cache) < steps.index(install)


def test_the_example_workflow_forwards_every_credential_as_an_input_the_bot_step_alone_sees():
    workflow = yaml.safe_load((ROOT / ".github" / "workflows" / "meeting-bot.yml").read_text())
    spec = yaml.safe_load((ROOT / "action.yml").read_text())
    steps = workflow["jobs"]["meeting-bot"]["steps"]
    bot_step = next(s for s in steps if s.get("uses") == "./")
    run_env = spec["runs"]["steps"][-1]["env"]
    inputs_to_env = {v.removeprefix("${{ inputs.").removesuffix(" }}"): k for k, v in run_env.items()
                     if v.startswith("${{ inputs.")}
    reached = {inputs_to_env[name] for name in bot_step["with"] if name in inputs_to_env}
    for name in CREDENTIALS:
        if name != "GITHUB_TOKEN":  # the action's github-token input, the runner's token by default
            assert name in reached, name
    assert "MB_ANNOUNCE" in reached  # becomes MEETING_BOT_ANNOUNCE_<NAME> in the bot's environment
    assert not [v for v in bot_step["with"].values() if "secrets.GITHUB_" in str(v)]  # GitHub refuses such names
    later = " ".join(str(s.get("env", {})) for s in steps[steps.index(bot_step) + 1:])
    assert "steps.bot.outputs.issue-url" in later


def test_announce_urls_become_one_variable_per_target_for_the_bot_only():
    env = action.bot_environment({"MB_ANNOUNCE": "slack=slack://a/b/c\n matrix = matrixs://x \nbad line\nbad-name=x\nmail=\n",
                                  "PATH": "/bin"})
    assert env["MEETING_BOT_ANNOUNCE_SLACK"] == "slack://a/b/c" and env["MEETING_BOT_ANNOUNCE_MATRIX"] == "matrixs://x"
    assert "MB_ANNOUNCE" not in env and env["PATH"] == "/bin"
    assert not [k for k in env if k.startswith("MEETING_BOT_ANNOUNCE_") and k not in (
        "MEETING_BOT_ANNOUNCE_SLACK", "MEETING_BOT_ANNOUNCE_MATRIX")]
