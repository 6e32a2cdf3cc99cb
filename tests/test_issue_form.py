"""The agenda-request issue form shipped with the templates: GitHub's issue-form schema, and the agenda label."""

from __future__ import annotations

import subprocess
import sys
import tomllib

import yaml

from bot import render
from tests.conftest import ROOT

FORM = render.default_templates_dir() / "ISSUE_TEMPLATE" / "agenda-request.yml"
EXAMPLE = ROOT / "config" / "security-collab-space.toml"


def check(path) -> subprocess.CompletedProcess:
    """check-jsonschema with its vendored copy of GitHub's issue-forms schema."""
    return subprocess.run(
        [sys.executable, "-m", "check_jsonschema", "--builtin-schema", "vendor.github-issue-forms", str(path)],
        capture_output=True, text=True, timeout=120,
    )


def test_the_form_fits_githubs_issue_form_schema():
    result = check(FORM)
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_schema_check_can_fail(tmp_path):
    broken = yaml.safe_load(FORM.read_text(encoding="utf-8"))
    broken["body"][1]["type"] = "essay"
    path = tmp_path / "broken.yml"
    path.write_text(yaml.safe_dump(broken), encoding="utf-8")
    assert check(path).returncode != 0


def test_the_form_applies_the_example_meetings_agenda_label_and_asks_for_a_topic():
    form = yaml.safe_load(FORM.read_text(encoding="utf-8"))
    label = tomllib.loads(EXAMPLE.read_text(encoding="utf-8"))["agenda"]["label"]
    assert form["labels"] == [label]
    (topic,) = [field for field in form["body"] if field.get("id") == "topic"]
    assert topic["validations"]["required"] is True
