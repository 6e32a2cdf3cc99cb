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
    # The buildpacks install requirements.txt (hashed pins), not the project: the worker runs from the checkout.
    assert (ROOT / "Procfile").read_text().strip() == "worker: python -m bot worker"


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


SHARDS_WORKFLOW = ROOT / ".github" / "workflows" / "meeting-bot-shards.yml"
CRONJOB = ROOT / "deploy" / "kubernetes" / "cronjob.yaml"


def _k8s_check(path: Path) -> subprocess.CompletedProcess:
    """kubernetes-validate with the Kubernetes schemas it ships (no network, no cluster)."""
    code = "import sys; from kubernetes_validate.__main__ import main; sys.exit(main())"
    args = [sys.executable, "-c", code, "--strict", "--quiet", str(path)]
    return subprocess.run(args, capture_output=True, text=True, timeout=120)


def test_the_shards_workflow_passes_the_schema_check_and_runs_each_shard_apart():
    assert _schema_check("vendor.github-workflows", SHARDS_WORKFLOW).returncode == 0
    workflow = yaml.safe_load(SHARDS_WORKFLOW.read_text())
    run = workflow["jobs"]["run"]
    assert run["strategy"]["fail-fast"] is False
    assert run["strategy"]["matrix"]["include"] == "${{ fromJSON(needs.matrix.outputs.shards) }}"
    assert "${{ matrix.shard }}" in run["concurrency"]["group"]
    assert "meeting-bot matrix --shards" in workflow["jobs"]["matrix"]["steps"][-1]["run"]
    steps = run["steps"]
    (cache,) = [s for s in steps if s.get("uses", "").startswith("actions/cache@")]
    (bot,) = [s for s in steps if s.get("uses") == "./"]
    assert cache["with"]["path"] == bot["env"]["MEETING_BOT_CACHE_DIR"]  # the shard's ETags from run to run
    assert "${{ matrix.shard }}" in cache["with"]["key"]


def test_the_cronjob_passes_the_kubernetes_schema_and_runs_one_shard_per_index():
    result = _k8s_check(CRONJOB)
    assert result.returncode == 0, result.stdout + result.stderr
    job = yaml.safe_load(CRONJOB.read_text())["spec"]["jobTemplate"]["spec"]
    container = job["template"]["spec"]["containers"][0]
    shards = next(e["value"] for e in container["env"] if e["name"] == "SHARDS")
    assert job["completionMode"] == "Indexed" and str(job["completions"]) == shards
    assert container["envFrom"] == [{"secretRef": {"name": "meeting-bot"}}]
    script = container["args"][0].replace("exec meeting-bot", "echo")  # the pod's shell line, without the bot
    last = subprocess.run(["/bin/sh", "-c", script], env={"JOB_COMPLETION_INDEX": "3", "SHARDS": shards},
                          capture_output=True, text=True, check=True)
    assert last.stdout.split() == ["run", "--config", "/config", "--shard", f"4/{shards}"]


def test_the_kubernetes_check_catches_a_broken_manifest(tmp_path):
    broken = tmp_path / "broken.yaml"
    broken.write_text(CRONJOB.read_text().replace("completionMode: Indexed", "completionMode: 4"))
    assert _k8s_check(broken).returncode != 0


@pytest.mark.parametrize("path", [WORKFLOW, ROOT / ".github" / "workflows" / "meeting-bot-shards.yml"])
def test_the_workflows_pass_each_announce_url_from_its_own_secret(path):
    workflow = yaml.safe_load(path.read_text())
    (step,) = [s for job in workflow["jobs"].values() for s in job["steps"] if s.get("uses") == "./"]
    lines = step["with"]["announce"].splitlines()
    assert lines and all(line == "%s=${{ secrets.MEETING_BOT_ANNOUNCE_%s }}" % (n, n.upper())
                         for line in lines for n in [line.split("=", 1)[0]])


def test_the_action_makes_announce_lines_variables_of_the_run_step_only():
    action = yaml.safe_load(ACTION.read_text())
    *others, run_step = action["runs"]["steps"]
    assert run_step["env"]["MB_ANNOUNCE"] == "${{ inputs.announce }}"
    assert not any("MB_ANNOUNCE" in step.get("env", {}) for step in others)
    assert run_step["run"].strip() == "python -m bot.action"  # bot.action.bot_environment: tests/test_action.py
