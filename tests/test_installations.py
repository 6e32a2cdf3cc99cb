"""Many organisations with one GitHub App: each meeting acts through the installation on its repository's owner."""

from __future__ import annotations

from pathlib import Path

import pytest
from github import GithubException

from bot.adapters.installations import Clients
from bot.settings import Secret, Settings
from tests.conftest import Bot
from tests.doubles.github import GitHubDouble
from tests.e2e import LABEL, write_meeting
from tests.factories import app_key_pair

APP_ID = 515151
ORGS = {"acme": 71, "beta": 72, "gamma": 73}
TOKENS = r"^/app/installations/\d+/access_tokens$"
NOW = "2024-03-07T12:00:00Z"


@pytest.fixture(scope="module")
def app_key() -> tuple[str, str]:
    return app_key_pair()


def _installed(github: GitHubDouble, public: str, orgs=ORGS) -> None:
    github.configure_app(APP_ID, public, slug="meeting-bot")
    for org, installation in orgs.items():
        github.add_repo(f"{org}/meetings")
        github.add_issue(f"{org}/meetings", f"A topic of {org}", labels=[LABEL])
        github.add_installation(installation, org)


def _settings(github: GitHubDouble, private: str, installation: int | None = None) -> Settings:
    return Settings(
        github_api_url=github.url,
        github_app_id=str(APP_ID),
        github_app_private_key=Secret(private),
        github_app_installation_id=installation,
    )


def test_each_owner_is_looked_up_once_and_each_installation_has_its_own_client(github, app_key):
    private, public = app_key
    _installed(github, public)
    clients = Clients(_settings(github, private))
    acme = clients.for_repo("acme/meetings")
    assert clients.for_repo("ACME/other") is acme  # owners compare without case
    assert clients.for_repo("beta/meetings") is not acme
    assert github.count("GET", r"^/repos/[^/]+/[^/]+/installation$") == 2
    acme.get_repo("acme/meetings").create_issue(title="made with acme's installation")
    with pytest.raises(GithubException):
        acme.get_repo("beta/meetings").create_issue(title="acme's token may not write in beta")
    assert [i["title"] for i in github.issues("beta/meetings")] == ["A topic of beta"]


def test_a_given_installation_id_is_used_for_every_repository(github, app_key):
    private, public = app_key
    _installed(github, public)
    clients = Clients(_settings(github, private, installation=ORGS["acme"]))
    assert clients.for_repo("acme/meetings") is clients.for_repo("gamma/meetings")
    assert github.count("GET", r"/installation$") == 0


def test_an_owner_without_the_app_is_one_clear_error(github, app_key):
    from bot.ports import NotFound

    private, public = app_key
    _installed(github, public, {"acme": 71})
    github.add_repo("stranger/meetings")
    with pytest.raises(NotFound, match="not installed on stranger"):
        Clients(_settings(github, private)).for_repo("stranger/meetings")


def _config(tmp_path: Path, orgs) -> Path:
    config = tmp_path / "config"
    config.mkdir()
    for org in orgs:
        write_meeting(config, f"wg-{org}", repo=f"{org}/meetings", agenda={"label": LABEL, "orgs": [org]})
    return config


def test_one_run_serves_meetings_in_three_organisations_each_with_its_installation(github, bot: Bot, tmp_path, app_key):
    private, public = app_key
    _installed(github, public)
    env = {"GITHUB_API_URL": github.url, "GITHUB_APP_ID": str(APP_ID), "GITHUB_APP_PRIVATE_KEY": private}
    result = bot("run", "--config", str(_config(tmp_path, ORGS)), "--now", NOW, env=env)
    assert result.returncode == 0, result.stderr
    minted = sorted(e.path for e in github.requests if e.method == "POST" and e.status == 201)
    assert [p for p in minted if "access_tokens" in p] == [f"/app/installations/{i}/access_tokens" for i in (71, 72, 73)]
    for org in ORGS:
        (issue,) = [i for i in github.issues(f"{org}/meetings") if "meeting-bot:key=" in (i["body"] or "")]
        assert f"A topic of {org}" in issue["body"]  # its own organisation's agenda
        assert issue["user"]["login"] == "meeting-bot[bot]"
    assert github.count("GET", r"^/repos/[^/]+/meetings/installation$") == 3
    assert private.splitlines()[1] not in result.stdout + result.stderr


def test_a_meeting_whose_owner_lacks_the_app_fails_alone(github, bot: Bot, tmp_path, app_key):
    private, public = app_key
    _installed(github, public, {"acme": 71})
    github.add_repo("stranger/meetings")
    env = {"GITHUB_API_URL": github.url, "GITHUB_APP_ID": str(APP_ID), "GITHUB_APP_PRIVATE_KEY": private}
    result = bot("run", "--config", str(_config(tmp_path, ["acme", "stranger"])), "--now", NOW, env=env)
    assert result.returncode == 1
    (line,) = [line for line in result.stdout.splitlines() if line.startswith("wg-stranger: ")]  # its outcome
    assert "not installed on stranger" in line and (result.stdout + result.stderr).count("not installed on stranger") == 1
    assert "Traceback" not in result.stdout + result.stderr
    assert len([i for i in github.issues("acme/meetings") if "meeting-bot:key=" in (i["body"] or "")]) == 1
