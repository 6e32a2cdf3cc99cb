"""The layering holds: the core imports no adapter, shell module or client library."""

from __future__ import annotations

import re
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def contracts() -> list[dict]:
    return tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["importlinter"]["contracts"]


def test_the_import_contracts_are_kept():
    result = subprocess.run(
        [sys.executable, "-c", "from importlinter.cli import lint_imports_command; lint_imports_command()"],
        cwd=ROOT, capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    kept = re.search(r"(\d+) kept, (\d+) broken", result.stdout)
    assert kept is not None and (int(kept[1]), int(kept[2])) == (len(contracts()), 0), result.stdout


def test_the_layers_run_from_the_command_line_down_to_the_domain():
    (layers,) = [contract["layers"] for contract in contracts() if contract["type"] == "layers"]
    order = [name.strip() for layer in layers for name in re.split(r"[:|]", layer)]
    for upper, lower in [("bot.cli", "bot.commands"), ("bot.commands", "bot.runner"), ("bot.runner", "bot.apply"),
                         ("bot.apply", "bot.plan"), ("bot.plan", "bot.model")]:
        assert order.index(upper) < order.index(lower)


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
