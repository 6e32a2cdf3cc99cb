"""The layering holds: the core imports no adapter, shell module or client library."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_the_import_contract_is_kept():
    result = subprocess.run(
        [sys.executable, "-c", "from importlinter.cli import lint_imports_command; lint_imports_command()"],
        cwd=ROOT, capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 kept, 0 broken" in result.stdout


def test_help_imports_no_client_library():
    code = (
        "import sys; from bot import cli\n"
        "try:\n    cli.main(['--help'])\nexcept SystemExit:\n    pass\n"
        "heavy = [m for m in ('github', 'googleapiclient', 'google.auth', 'jinja2', 'requests', 'apprise') if m in sys.modules]\n"
        "print('HEAVY=' + ','.join(heavy))"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "HEAVY="


def test_check_of_an_announcing_meeting_does_not_import_apprise(tmp_path):
    config = tmp_path / "config"
    config.mkdir()
    text = (ROOT / "config" / "security-collab-space.toml").read_text()
    (config / "wg.toml").write_text(text + '\n[announce]\ntargets = ["slack"]\n')
    code = (
        "import sys; from bot import cli\n"
        f"code = cli.main(['check', '--config', {str(config)!r}])\n"
        "print('CODE=%s APPRISE=%s' % (code, 'apprise' in sys.modules))"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert result.stdout.strip().splitlines()[-1] == "CODE=0 APPRISE=False", result.stdout + result.stderr
