"""Running it for real: the worker and its signals, honcho with the Procfile, GitHub App auth, Enterprise Server URLs."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.waiting import wait_until
from tests.conftest import ROOT, Bot
from tests.doubles.github import DEFAULT_TOKEN, GitHubDouble, running_github
from tests.e2e import LABEL, OTHER, REPO, write_meeting
from tests.factories import app_key_pair

APP_ID = 424242
INSTALLATION = 77
TOKENS = r"^/app/installations/\d+/access_tokens$"


def _world(github: GitHubDouble, tmp_path: Path) -> Path:
    github.add_repo(REPO)
    github.add_repo(OTHER)
    github.add_issue(OTHER, "A topic for the meeting", labels=[LABEL])
    config = tmp_path / "config"
    config.mkdir()
    write_meeting(config)
    return config


def _meeting_issues(github: GitHubDouble) -> list[dict]:
    return [i for i in github.issues(REPO) if "meeting-bot:key=" in (i["body"] or "")]


def _stop(process: subprocess.Popen, sig: int = signal.SIGTERM) -> tuple[int, str, str]:
    process.send_signal(sig)
    out, err = process.communicate(timeout=10)
    return process.returncode, out, err


def test_worker_creates_then_writes_nothing_and_stops_on_sigterm(github, bot: Bot, tmp_path):
    config = _world(github, tmp_path)
    env = {"GITHUB_API_URL": github.url, "GITHUB_TOKEN": DEFAULT_TOKEN}
    process = bot.popen("worker", "--every", "1s", "--config", str(config), env=env)
    try:
        wait_until(lambda: github.count("GET", r"/search/issues") >= 2)  # a second pass has begun
        wait_until(lambda: github.count("GET", rf"^/repos/{REPO}/contents/") >= 2)
        writes_after_two = len(github.writes())
        time.sleep(1.2)
    finally:
        began = time.monotonic()
        code, out, err = _stop(process)
    assert code == 0 and time.monotonic() - began < 5
    assert len(_meeting_issues(github)) == 1
    assert len(github.writes()) == writes_after_two  # later passes wrote nothing
    assert "Traceback" not in err


def test_sigint_during_the_sleep_exits_at_once(github, bot: Bot, tmp_path):
    config = _world(github, tmp_path)
    env = {"GITHUB_API_URL": github.url, "GITHUB_TOKEN": DEFAULT_TOKEN}
    process = bot.popen("worker", "--every", "1h", "--config", str(config), env=env)
    wait_until(lambda: github.count("PUT", rf"^/repos/{REPO}/contents/") >= 1)
    time.sleep(0.3)
    began = time.monotonic()
    code, _, _ = _stop(process, signal.SIGINT)
    assert code == 0 and time.monotonic() - began < 3


@pytest.mark.skipif(shutil.which("honcho", path=os.path.dirname(sys.executable)) is None, reason="honcho not installed")
def test_honcho_runs_the_procfile_worker(github, bot: Bot, tmp_path):
    config = _world(github, tmp_path)
    env = {
        **bot.env,
        "GITHUB_API_URL": github.url,
        "GITHUB_TOKEN": DEFAULT_TOKEN,
        "MEETING_BOT_CONFIG": str(config),
        "PATH": os.path.dirname(sys.executable) + os.pathsep + bot.env["PATH"],
    }
    honcho = os.path.join(os.path.dirname(sys.executable), "honcho")
    process = subprocess.Popen(
        [honcho, "-f", str(ROOT / "Procfile"), "start"], cwd=bot.cwd, env=env,
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True,
    )
    try:
        wait_until(lambda: len(_meeting_issues(github)) == 1 and github.count("PUT", r"/contents/") == 1)
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        out, _ = process.communicate(timeout=15)
    assert "worker started" in out and "created issue" in out
    assert "Traceback" not in out


def _app_env(github: GitHubDouble, private: str, **extra: str) -> dict:
    return {"GITHUB_API_URL": github.url, "GITHUB_APP_ID": str(APP_ID), "GITHUB_APP_PRIVATE_KEY": private, **extra}


def test_github_app_auth_finds_its_installation_and_creates_the_meeting(github, bot: Bot, tmp_path):
    config = _world(github, tmp_path)
    private, public = app_key_pair()
    github.configure_app(APP_ID, public, slug="meeting-bot")
    github.add_installation(INSTALLATION, "acme")
    result = bot("run", "--config", str(config), "--now", "2024-03-07T12:00:00Z", env=_app_env(github, private))
    assert result.returncode == 0, result.stderr
    assert github.count("GET", rf"^/repos/{REPO}/installation$") == 1
    assert github.count("POST", TOKENS) == 1
    assert len(_meeting_issues(github)) == 1
    assert private.splitlines()[1] not in result.stdout + result.stderr


def test_the_worker_refreshes_the_installation_token_before_it_expires(github, bot: Bot, tmp_path):
    config = _world(github, tmp_path)
    private, public = app_key_pair()
    github.configure_app(APP_ID, public, slug="meeting-bot", token_lifetime=22)  # PyGithub renews 20 s ahead
    github.add_installation(INSTALLATION, "acme")
    env = _app_env(github, private, GITHUB_APP_INSTALLATION_ID=str(INSTALLATION))
    process = bot.popen("worker", "--every", "1s", "--config", str(config), env=env)
    try:
        wait_until(lambda: github.count("POST", TOKENS) >= 2 and github.count("GET", r"/search/issues") >= 4)
    finally:
        code, _, err = _stop(process)
    assert code == 0, err
    # The id was given: the installation is read once per process, for the App's slug (its identity).
    assert github.count("GET", rf"^/repos/{REPO}/installation$") == 1
    assert not [e for e in github.requests if e.status == 401]
    assert len(_meeting_issues(github)) == 1


def test_an_enterprise_server_url_with_api_v3_works(bot: Bot, tmp_path):
    with running_github(prefix="/api/v3") as ghes:
        config = _world(ghes, tmp_path)
        env = {"GITHUB_API_URL": ghes.url, "GITHUB_TOKEN": DEFAULT_TOKEN}
        result = bot("run", "--config", str(config), "--now", "2024-03-07T12:00:00Z", env=env)
        assert result.returncode == 0, result.stderr
        assert ghes.url.endswith("/api/v3")
        # REST under /api/v3; GraphQL (the repositories' visibility) at GHES's /api/graphql, answered,
        # so no REST fallback was needed.
        rest = [e for e in ghes.requests if e.path != "/api/graphql"]
        assert all(e.path.startswith("/api/v3/") for e in rest)
        assert [e.status for e in ghes.requests if e.path == "/api/graphql"] == [200]
        assert len(_meeting_issues(ghes)) == 1
        notes_url = ghes.url[: -len("/api/v3")] + f"/{REPO}/blob/HEAD/meetings/2024-03-11.md"
        assert notes_url in _meeting_issues(ghes)[0]["body"]


@pytest.mark.parametrize("log_format", ["text", "json"])
def test_debug_logs_never_show_the_apps_installation_token_or_jwt(github, bot: Bot, tmp_path, log_format):
    config = _world(github, tmp_path)
    private, public = app_key_pair()
    github.configure_app(APP_ID, public, slug="meeting-bot")
    github.add_installation(INSTALLATION, "acme")
    args = ("run", "--debug", "--log-format", log_format, "--config", str(config), "--now", "2024-03-07T12:00:00Z")
    result = bot(*args, env=_app_env(github, private))
    assert result.returncode == 0, result.stderr
    output = result.stdout + result.stderr
    (answer,) = [e for e in github.requests if e.method == "POST" and e.status == 201 and "access_tokens" in e.path]
    token = json.loads(answer.response)["token"] if isinstance(answer.response, (str, bytes)) else answer.response["token"]
    assert token.startswith("ghs_") and token not in output and "ghs_" not in output
    jwts = [e.headers.get("authorization", "").split()[-1] for e in github.requests if "/app/" in e.path]
    assert jwts and not any(jwt in output for jwt in jwts) and "eyJ" not in output
    assert "access_tokens" in output  # the debug lines are there, only masked
