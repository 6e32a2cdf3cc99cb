"""Settings from the environment: defaults, App keys, and secrets that never print."""

from __future__ import annotations

import pytest

from bot import settings
from bot.settings import Secret, SettingsError, from_environment

TOKEN = "ghp_" + "A1b2C3d4E5f6G7h8I9j0" * 2


def test_defaults_without_environment():
    s = from_environment({})
    assert s.github_api_url == settings.DEFAULT_GITHUB_API_URL
    assert s.github_token is None and s.config_dir == "config"
    assert s.max_rate_limit_wait == settings.DEFAULT_MAX_RATE_LIMIT_WAIT


def test_secrets_print_as_stars_everywhere():
    s = from_environment({"GITHUB_TOKEN": TOKEN, "HACKMD_TOKEN": "hackmd-secret-value"})
    for text in (str(s), repr(s), f"{s.github_token}", str([s.github_token])):
        assert TOKEN not in text and "hackmd-secret-value" not in text
    assert s.github_token.reveal() == TOKEN
    assert set(s.secrets()) == {TOKEN, "hackmd-secret-value"}


def test_enterprise_url_loses_its_trailing_slash():
    assert from_environment({"GITHUB_API_URL": "https://ghe.example.com/api/v3/"}).github_api_url.endswith("/api/v3")


def test_app_key_from_a_file_and_inline_with_escaped_newlines(tmp_path):
    pem = "-----BEGIN RSA PRIVATE KEY-----\nabc\n-----END RSA PRIVATE KEY-----\n"
    path = tmp_path / "app.pem"
    path.write_text(pem)
    assert from_environment({"GITHUB_APP_PRIVATE_KEY_PATH": str(path)}).github_app_private_key.reveal() == pem
    inline = from_environment({"GITHUB_APP_PRIVATE_KEY": pem.replace("\n", "\\n")})
    assert inline.github_app_private_key == Secret(pem)


@pytest.mark.parametrize(
    "env, fragment",
    [
        ({"GITHUB_APP_INSTALLATION_ID": "12x"}, "GITHUB_APP_INSTALLATION_ID"),
        ({"GITHUB_APP_PRIVATE_KEY_PATH": "/nonexistent/key.pem"}, "GITHUB_APP_PRIVATE_KEY_PATH"),
        ({"MEETING_BOT_MAX_RATE_LIMIT_WAIT": "soon"}, "MEETING_BOT_MAX_RATE_LIMIT_WAIT"),
    ],
)
def test_unusable_values_are_one_clear_error(env, fragment):
    with pytest.raises(SettingsError, match=fragment):
        from_environment(env)


def test_dotenv_is_read_but_the_real_environment_wins(tmp_path, monkeypatch):
    (tmp_path / ".env").write_text("MEETING_BOT_CONFIG=from-dotenv\nGITHUB_API_URL=https://dotenv.example\n")
    monkeypatch.setenv("GITHUB_API_URL", "https://real.example")
    monkeypatch.delenv("MEETING_BOT_CONFIG", raising=False)
    settings.load_dotenv_file(tmp_path)
    s = from_environment()
    assert s.config_dir == "from-dotenv" and s.github_api_url == "https://real.example"
    monkeypatch.delenv("MEETING_BOT_CONFIG")


def test_announce_urls_are_secrets_by_target_with_their_token_parts():
    hook = "slack://T1SJ3LB4L/B0ABCDEFG/abcdefghijklmnopqrstuvwx"
    mail = "mailtos://bot:pa%40ss-w0rd@mail.example.org?to=wg@example.org"
    s = from_environment({"MEETING_BOT_ANNOUNCE_slack": hook, "MEETING_BOT_ANNOUNCE_MAIL": mail, "MEETING_BOT_ANNOUNCE_X": " "})
    urls = dict(s.announce_urls)
    assert set(urls) == {"SLACK", "MAIL"} and urls["SLACK"].reveal() == hook and hash(s)
    assert hook not in repr(s) and "pa%40ss" not in repr(s)
    assert {hook, mail, "abcdefghijklmnopqrstuvwx", "pa%40ss-w0rd", "pa@ss-w0rd"} <= set(s.secrets())
    assert "mail.example.org" not in s.secrets()
