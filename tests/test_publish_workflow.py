"""The example GitHub Pages workflow: schema-checked offline, least permissions, pinned actions."""

from __future__ import annotations

import re
import shutil

import yaml

from tests.test_deploy_files import ROOT, WORKFLOW, _schema_check

PUBLISH = ROOT / ".github" / "workflows" / "publish.yml"
PINNED = re.compile(r"^[\w.-]+/[\w.-]+@[0-9a-f]{40}$")


def _workflow() -> dict:
    return yaml.safe_load(PUBLISH.read_text())


def _steps(job: str) -> list[dict]:
    return _workflow()["jobs"][job]["steps"]


def test_the_workflow_passes_the_schema_check():
    result = _schema_check("vendor.github-workflows", PUBLISH)
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_schema_check_catches_a_broken_copy(tmp_path):
    broken = tmp_path / "broken.yml"
    shutil.copy(PUBLISH, broken)
    broken.write_text(broken.read_text().replace("permissions: {}", "permissions: everything"))
    assert _schema_check("vendor.github-workflows", broken).returncode != 0


def test_each_job_has_the_least_permissions():
    workflow = _workflow()
    assert workflow["permissions"] == {}
    assert workflow["jobs"]["build"]["permissions"] == {"contents": "read", "issues": "read", "pages": "read"}
    assert workflow["jobs"]["deploy"]["permissions"] == {"pages": "write", "id-token": "write"}


def test_every_action_is_pinned_to_a_commit_and_pages_uses_the_official_actions():
    uses = [step["uses"] for job in ("build", "deploy") for step in _steps(job) if "uses" in step]
    assert uses and all(PINNED.match(use) for use in uses), uses
    names = {use.split("@")[0] for use in uses}
    assert {"actions/upload-pages-artifact", "actions/deploy-pages"} <= names


def test_it_runs_on_a_schedule_and_after_each_run_of_the_bot():
    triggers = _workflow()[True]  # YAML 1.1 reads the key `on` as true
    assert triggers["schedule"][0]["cron"]
    assert triggers["workflow_run"]["workflows"] == [yaml.safe_load(WORKFLOW.read_text())["name"]]


def test_it_publishes_what_it_uploads_and_pastes_no_expression_into_a_script():
    steps = _steps("build")
    (publish,) = [s for s in steps if "meeting-bot publish" in s.get("run", "")]
    (upload,) = [s for s in steps if s.get("uses", "").startswith("actions/upload-pages-artifact@")]
    assert f"--out {upload['with']['path']} " in publish["run"]
    assert all("${{" not in step.get("run", "") for step in steps)
