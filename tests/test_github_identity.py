"""The bot's own identity, found once per process, with the real PyGithub against the GitHub double."""

from __future__ import annotations

import pytest

from bot.adapters import github_identity
from bot.adapters.installations import Clients
from bot.adapters.github_identity import ACTIONS_BOT, IDENTITY_UNKNOWN, identity
from bot.ports import RateLimited, ServiceError
from bot.settings import Secret, Settings
from tests.factories import app_key_pair
from tests.doubles.github import DEFAULT_LOGIN, DEFAULT_TOKEN

REPO = "acme/meetings"
INSTALLATION_TOKEN = "ghs_" + "i" * 36
APP_ID = 4242


@pytest.fixture(autouse=True)
def fresh():
    github_identity.forget()
    yield
    github_identity.forget()


def settings(double, **fields) -> Settings:
    return Settings(github_api_url=double.url, **fields)


def whoami(double, **fields) -> str | None:
    config = settings(double, **fields)
    return identity(config, Clients(config).for_repo(REPO), REPO)


def test_a_token_is_its_users_login_asked_once_per_process(github):
    assert whoami(github, github_token=Secret(DEFAULT_TOKEN)) == DEFAULT_LOGIN
    assert whoami(github, github_token=Secret(DEFAULT_TOKEN)) == DEFAULT_LOGIN
    assert github.count("GET", r"^/user$") == 1


def test_under_actions_the_runners_token_costs_no_request(github):
    github.add_token(INSTALLATION_TOKEN, login=ACTIONS_BOT, installation_id=1)
    found = whoami(github, github_token=Secret(INSTALLATION_TOKEN), github_actions=True, runner_token=True)
    assert found == ACTIONS_BOT and github.requests == []


def test_an_installation_token_is_github_actions_bot_only_under_actions(github):
    github.add_token(INSTALLATION_TOKEN, login=ACTIONS_BOT, installation_id=1)
    assert whoami(github, github_token=Secret(INSTALLATION_TOKEN), github_actions=True) == ACTIONS_BOT
    github_identity.forget()
    with pytest.raises(ServiceError) as raised:
        whoami(github, github_token=Secret(INSTALLATION_TOKEN))
    assert str(raised.value) == IDENTITY_UNKNOWN


def test_a_rate_limited_user_lookup_is_not_taken_for_an_installation_token(github):
    github.set_rate_limit("core", 0)
    with pytest.raises(RateLimited):
        whoami(github, github_token=Secret(DEFAULT_TOKEN), github_actions=True, max_rate_limit_wait=0)


def test_no_credentials_no_identity(github):
    assert whoami(github) is None and github.requests == []


def _app(github) -> dict:
    private, public = app_key_pair()
    github.add_repo(REPO)
    github.configure_app(APP_ID, public, slug="wg-helper")
    github.add_installation(77, "acme")
    return {"github_app_id": str(APP_ID), "github_app_private_key": Secret(private)}


def test_an_app_is_its_slug_bot_learnt_with_the_installation_at_no_extra_cost(github):
    assert whoami(github, **_app(github)) == "wg-helper[bot]"
    assert github.count("GET", rf"^/repos/{REPO}/installation$") == 1  # the lookup the client needs anyway


def test_an_app_with_its_installation_id_asks_for_the_slug_once(github):
    fields = {**_app(github), "github_app_installation_id": 77}
    assert whoami(github, **fields) == whoami(github, **fields) == "wg-helper[bot]"
    assert github.count("GET", rf"^/repos/{REPO}/installation$") == 1
