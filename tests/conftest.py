"""Shared fixtures: the loopback guard, the service doubles, and running the real command."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import hypothesis
import pytest

from tests import netguard

ROOT = Path(__file__).resolve().parent.parent
GUARD_DIR = Path(__file__).resolve().parent / "guard"
SAMPLES = Path(__file__).resolve().parent / "samples"

netguard.install()

# A shared 2-core CI machine can be slow: property tests are judged on their answers, not their speed.
hypothesis.settings.register_profile("meeting-bot", deadline=None)
hypothesis.settings.load_profile("meeting-bot")

from tests.figures import FAULT_FIGURES  # noqa: E402 - filled by tests/test_faults.py


def pytest_sessionfinish(session):
    """In a pytest-xdist worker: hand this worker's fault figures to the controller, which prints them."""
    workeroutput = getattr(session.config, "workeroutput", None)
    if workeroutput is not None:
        workeroutput["fault_figures"] = dict(FAULT_FIGURES)


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node, error):
    """In the pytest-xdist controller: add up the figures of each worker as it finishes."""
    for name, count in getattr(node, "workeroutput", {}).get("fault_figures", {}).items():
        FAULT_FIGURES[name] += count


def pytest_terminal_summary(terminalreporter):
    if FAULT_FIGURES["cases"]:
        terminalreporter.write_line(
            "fault injection: {cases} cases run, duplicates found: {duplicates}, artifacts lost: {lost}".format(
                **FAULT_FIGURES
            )
        )


@pytest.fixture(autouse=True)
def fresh_process_state():
    """What a process learns once (the bot's identity, repositories' facts) starts empty in every test:
    a double's port can be reused by a later test, so a cache keyed by its URL must not leak into it."""
    from bot.adapters import file_creators, github_identity, github_repos, github_visibility

    file_creators.forget()
    github_identity.forget()
    github_repos.forget()
    github_visibility.forget()
    yield


@pytest.fixture
def github():
    from tests.doubles.github import running_github

    with running_github() as double:
        yield double


@dataclass
class Bot:
    """The real `meeting-bot` command with the environment of SPEC section 3: in the test process
    (`cli.main` with that environment, working directory, stdout and stderr), or as a subprocess
    (`spawn`, `popen`) where the process itself is under test: exit on signals, a kill, two at once."""

    cwd: Path
    env: dict

    def __call__(self, *args: str, timeout: float = 60, env: dict | None = None) -> subprocess.CompletedProcess:
        from tests.inprocess import run_main

        return run_main(list(args), cwd=self.cwd, env={**self.env, **(env or {})})

    def spawn(self, *args: str, timeout: float = 60, env: dict | None = None) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "-m", "bot", *args],
            cwd=self.cwd,
            env={**self.env, **(env or {})},
            capture_output=True,
            text=True,
            timeout=timeout,
        )

    def popen(self, *args: str, env: dict | None = None) -> subprocess.Popen:
        return subprocess.Popen(
            [sys.executable, "-m", "bot", *args],
            cwd=self.cwd,
            env={**self.env, **(env or {})},
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )


def base_env(tmp_path: Path) -> dict:
    """A clean environment: no inherited credentials, the loopback guard preloaded, the project importable."""
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(tmp_path),
        "LANG": "C.UTF-8",
        "PYTHONPATH": os.pathsep.join([str(GUARD_DIR), str(ROOT)]),
        "PYTHONDONTWRITEBYTECODE": "1",
        "MEETING_BOT_ALLOW_PRIVATE_FEEDS": "1",  # the tests' feed servers listen on loopback
        "MEETING_BOT_WRITE_INTERVAL": "0",  # no pacing between writes: the doubles need none (tested on its own)
        **{k: v for k, v in os.environ.items() if k.startswith("COVERAGE_")},  # subprocess coverage, when measured
    }


@pytest.fixture
def bot(tmp_path: Path) -> Bot:
    work = tmp_path / "work"
    work.mkdir()
    return Bot(cwd=work, env=base_env(tmp_path))
