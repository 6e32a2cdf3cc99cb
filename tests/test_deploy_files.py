"""The deployment files: the Procfile line, the GitHub Action and the example workflow."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
WORKFLOW = ROOT / ".github" / "workflows" / "meeting-bot.yml"
ACTION = ROOT / "action.yml"


def _schema_check(schema: str, path: Path) -> subprocess.CompletedProcess:
    """check-jsonschema with the workflow and action schemas it vendors (no network)."""
    code = "import sys; from check_jsonschema import main; sys.exit(main())"
    args = [sys.executable, "-c", code, "--builtin-schema", schema, str(path)]
    return subprocess.run(args, capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize("schema, path", [("vendor.github-workflows", WORKFLOW), ("vendor.github-actions", ACTION)])
def test_files_pass_the_schema_check(schema, path):
    result = _schema_check(schema, path)
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_schema_check_catches_a_broken_workflow(tmp_path):
    broken = tmp_path / "broken.yml"
    shutil.copy(WORKFLOW, broken)
    broken.write_text(broken.read_text().replace("runs-on:", "runs_on:"))
    assert _schema_check("vendor.github-workflows", broken).returncode != 0


def test_the_workflow_asks_for_the_least_permissions_and_the_chairs_inputs():
    workflow = yaml.safe_load(WORKFLOW.read_text())
    assert workflow["permissions"] == {"issues": "write", "contents": "write"}
    triggers = workflow[True]  # YAML 1.1 reads the key `on` as true
    assert set(triggers["workflow_dispatch"]["inputs"]) == {"meeting", "date", "force", "dry-run"}
    assert triggers["schedule"][0]["cron"]


def test_the_action_passes_inputs_through_the_environment_only():
    action = yaml.safe_load(ACTION.read_text())
    run_step = action["runs"]["steps"][-1]
    assert "${{" not in run_step["run"]
    assert run_step["env"]["GITHUB_API_URL"] == "${{ github.api_url }}"


def test_procfile_runs_the_worker():
    assert (ROOT / "Procfile").read_text().strip() == "worker: meeting-bot worker"


def _uses(steps) -> list[str]:
    return [step["uses"] for step in steps if "uses" in step and not step["uses"].startswith("./")]


def test_every_action_is_pinned_by_a_full_commit_sha():
    workflow = yaml.safe_load(WORKFLOW.read_text())
    action = yaml.safe_load(ACTION.read_text())
    used = _uses(action["runs"]["steps"]) + [u for job in workflow["jobs"].values() for u in _uses(job["steps"])]
    assert used and all(re.fullmatch(r"[\w.-]+/[\w.-]+@[0-9a-f]{40}", u) for u in used), used


def test_checkout_does_not_keep_the_token_in_the_git_config():
    workflow = yaml.safe_load(WORKFLOW.read_text())
    checkouts = [s for job in workflow["jobs"].values() for s in job["steps"] if "checkout" in s.get("uses", "")]
    assert checkouts and all(s["with"]["persist-credentials"] is False for s in checkouts)


def test_credentials_reach_only_the_step_that_runs_the_bot():
    workflow = yaml.safe_load(WORKFLOW.read_text())
    action = yaml.safe_load(ACTION.read_text())
    *others, run_step = action["runs"]["steps"]
    secret_names = ("GITHUB_TOKEN", "GOOGLE_SERVICE_ACCOUNT_JSON", "HACKMD_TOKEN")
    assert not any(name in step.get("env", {}) for step in others for name in secret_names)
    assert all(name in run_step["env"] for name in secret_names)
    assert all("env" not in step for job in workflow["jobs"].values() for step in job["steps"] if step.get("uses") == "./")
    assert run_step["env"]["MEETING_BOT_RUNNER_TOKEN"] == "${{ inputs.github-token == github.token }}"
