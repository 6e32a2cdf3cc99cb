"""Shared by the end-to-end tests: a weekly meeting file, the real command against the GitHub double."""

from __future__ import annotations

import datetime as dt
import json
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

from bot import markers
from tests.waiting import wait_until
from tests.conftest import Bot
from tests.doubles.github import DEFAULT_TOKEN, GitHubDouble

REPO = "acme/meetings"  # the meeting's repository: issue and notes
OTHER = "acme/lib"  # another repository of the org, where topics live
LABEL = "wg-agenda"
MEETING_ID = "wg"
NAME = "WG Meeting"
ZONE = "Europe/Berlin"
JOIN_URL = "https://meet.example.org/wg"
# Every Monday at 16:00 in Berlin, from 2024-01-08; each occurrence's window opens a week ahead.
FIRST_START = dt.datetime(2024, 1, 8, 16, 0)
DATE = "2024-03-11"  # the occurrence the runs act on
PREVIOUS = "2024-03-04"
NOW = "2024-03-07T12:00:00Z"  # inside DATE's window; PREVIOUS has started
BEFORE_PREVIOUS = "2024-03-04T10:00:00Z"  # PREVIOUS is due and has not started
STARTED = "2024-03-11T15:30:00Z"  # DATE started at 15:00 UTC
KEY = f"{MEETING_ID}/{DATE}"
ISSUES = rf"^/repos/{REPO}/issues$"  # listing (GET) and creating (POST) issues
TRACEBACK = "Traceback"

MEETING = {
    "name": NAME,
    "repo": REPO,
    "schedule": {"timezone": ZONE, "start": FIRST_START, "rrule": "FREQ=WEEKLY"},
    "agenda": {"label": LABEL, "orgs": ["acme"]},
    "issue": {"labels": ["meeting"]},
    "vars": {"join_url": JOIN_URL},
}


def toml_value(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    if isinstance(value, (dt.date, int)):
        return value.isoformat() if isinstance(value, dt.date) else str(value)
    return json.dumps(value)


def write_meeting(config: Path, meeting_id: str = MEETING_ID, **changes: object) -> Path:
    """The meeting file `config/<meeting_id>.toml`: MEETING with `changes` (a dict merges into its table)."""
    values = dict(MEETING)
    for key, change in changes.items():
        values[key] = {**values.get(key, {}), **change} if isinstance(change, dict) else change
    scalars = [f"{k} = {toml_value(v)}" for k, v in values.items() if not isinstance(v, dict)]
    tables = [
        "\n".join([f"[{name}]", *(f"{k} = {toml_value(v)}" for k, v in table.items())])
        for name, table in values.items()
        if isinstance(table, dict)
    ]
    path = config / f"{meeting_id}.toml"
    path.write_text("\n\n".join(["\n".join(scalars), *tables]) + "\n", encoding="utf-8")
    return path


def notes_path(date: str = DATE) -> str:
    return f"meetings/{date}.md"


@dataclass
class World:
    """The GitHub double with the meeting's repositories, a config directory, and the bot pointed at both."""

    github: GitHubDouble
    bot: Bot
    config: Path

    def _args(self, args: tuple[str, ...], now: str) -> list[str]:
        return [*args, "--config", str(self.config), "--now", now]

    def _env(self, token: str) -> dict:
        return {"GITHUB_API_URL": self.github.url, "GITHUB_TOKEN": token}

    def run(
        self, *args: str, now: str = NOW, token: str = DEFAULT_TOKEN, process: bool = False
    ) -> subprocess.CompletedProcess:
        """`meeting-bot ARGS --config CONFIG --now NOW` (in a process of its own with `process`);
        never a traceback, unless asked with --debug."""
        command = self.bot.spawn if process else self.bot
        result = command(*self._args(args, now), env=self._env(token))
        if "--debug" not in args:
            assert TRACEBACK not in result.stdout + result.stderr, result.stderr
        return result

    def popen(self, *args: str, now: str = NOW) -> subprocess.Popen:
        return self.bot.popen(*self._args(args, now), env=self._env(DEFAULT_TOKEN))

    def meeting(self, meeting_id: str = MEETING_ID, **changes: object) -> Path:
        return write_meeting(self.config, meeting_id, **changes)

    def topic(self, title: str, repo: str = OTHER, **fields) -> int:
        """An issue carrying the agenda label; its number."""
        return self.github.add_issue(repo, title, labels=[LABEL], **fields)

    def issues(self, key: str = KEY) -> list[dict]:
        """The meeting repository's issues whose body carries `key`, by number."""
        return [i for i in self.github.issues(REPO) if markers.find_key(i["body"] or "") == key]

    def issue(self, key: str = KEY) -> dict:
        (found,) = self.issues(key)
        return found

    def notes(self, date: str = DATE) -> str | None:
        return self.github.file(REPO, notes_path(date))

    def notes_commits(self, path: str = notes_path()) -> list[dict]:
        return [c for c in self.github.commits(REPO) if c["path"] == path]

    def writes(self) -> list[tuple[str, str, int | None]]:
        return [(e.method, e.path, e.status) for e in self.github.writes()]

    def wait_for(self, method: str, path_regex: str, timeout: float = 20) -> None:
        """Until the double has logged such a request (it is logged before a slow answer is sent)."""
        wait_until(lambda: self.github.count(method, path_regex), timeout, what=f"{method} {path_regex}")


@pytest.fixture
def world(github: GitHubDouble, bot: Bot, tmp_path: Path) -> World:
    github.add_repo(REPO)
    github.add_repo(OTHER)
    config = tmp_path / "config"
    config.mkdir()
    write_meeting(config)
    return World(github, bot, config)


def planned(result: subprocess.CompletedProcess) -> list[str]:
    """The numbered action lines of a dry run's plan on stdout, without their numbers."""
    found = (re.match(r"^  \d+\. (.*)$", line) for line in result.stdout.splitlines())
    return [match[1] for match in found if match]
