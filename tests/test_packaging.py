"""The package as users install it: the default templates ship inside the wheel."""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

from tests.conftest import ROOT

TEMPLATES = ("issue.md.j2", "notes.md.j2", "event.txt.j2", "index.html.j2", "announce.md.j2")
FORM = "ISSUE_TEMPLATE/agenda-request.yml"  # the agenda-request issue form, shipped beside the templates


def _source(tmp_path: Path) -> Path:
    """A copy of what a source distribution holds, so building leaves the checkout untouched."""
    src = tmp_path / "src"
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    for name in ("bot", "templates"):
        shutil.copytree(ROOT / name, src / name, ignore=ignore)
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, src / name)
    return src


def test_the_wheel_carries_the_default_templates_and_uses_them(tmp_path: Path):
    build = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(tmp_path), str(_source(tmp_path))],
        capture_output=True, text=True, timeout=300, cwd=tmp_path,
    )
    assert build.returncode == 0, build.stderr
    (wheel,) = tmp_path.glob("meeting_bot-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    assert {f"bot/default_templates/{name}" for name in (*TEMPLATES, FORM)} <= set(names)
    assert "bot/__main__.py" in names and any(n.endswith("entry_points.txt") for n in names)

    target = tmp_path / "site"
    install = subprocess.run(
        [sys.executable, "-m", "pip", "install", "--no-deps", "-q", "--target", str(target), str(wheel)],
        capture_output=True, text=True, timeout=300,
    )
    assert install.returncode == 0, install.stderr
    probe = (
        "from bot import render; d = render.default_templates_dir(); "
        "print(d); print(sorted(p.name for p in d.glob('*.j2')))"
    )
    shown = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=60,
        cwd=tmp_path, env={"PYTHONPATH": str(target), "PATH": "/usr/bin:/bin"},
    )
    assert shown.returncode == 0, shown.stderr
    where, listed = shown.stdout.splitlines()
    assert where.startswith(str(target)) and listed == str(sorted(TEMPLATES))
