"""The command line: arguments that cannot be used are one line and exit code 2 (in the test process)."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot import cli, commands
from bot.errors import EXIT_USAGE
from tests.e2e import write_meeting
from tests.inprocess import run_main


@pytest.fixture
def config(tmp_path: Path) -> Path:
    folder = tmp_path / "config"
    folder.mkdir()
    write_meeting(folder)
    return folder


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["run", "--date", "11 March"], cli.BAD_DATE.format(value="11 March")),
        (["run", "--now", "2024-03-07T12:00:00"], cli.BAD_MOMENT.format(value="2024-03-07T12:00:00")),
        (["run", "--now", "yesterday"], cli.BAD_MOMENT.format(value="yesterday")),
    ],
)
def test_bad_arguments_are_usage_errors(tmp_path: Path, config: Path, args: list[str], message: str):
    result = run_main([*args, "--config", str(config)], cwd=tmp_path, env={})
    assert result.returncode == EXIT_USAGE and message in result.stderr


def test_a_bad_interval_stops_the_worker_before_it_starts(tmp_path: Path, config: Path):
    result = run_main(["worker", "--every", "soon", "--config", str(config)], cwd=tmp_path, env={})
    assert result.returncode == EXIT_USAGE and result.stderr.startswith("--every: ")


def test_an_unknown_meeting_names_the_known_ones(tmp_path: Path, config: Path):
    result = run_main(["run", "--meeting", "nope", "--config", str(config)], cwd=tmp_path, env={})
    assert result.returncode == EXIT_USAGE
    assert result.stderr.strip() == commands.UNKNOWN_MEETING.format(id="nope", hint="", known="wg")


def test_next_needs_a_positive_count(tmp_path: Path, config: Path):
    result = run_main(["next", "--count", "0", "--config", str(config)], cwd=tmp_path, env={})
    assert result.returncode == EXIT_USAGE and result.stderr.strip() == commands.COUNT_TOO_SMALL
