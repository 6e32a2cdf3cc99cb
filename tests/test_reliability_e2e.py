"""Faults and limits end to end: retries within bounds, rate limits, permissions and secrets."""

from __future__ import annotations

import time

import pytest

from bot import apply as apply_mod
from bot.adapters import github_agenda, github_client
from tests.doubles.github import DEFAULT_TOKEN
from tests.e2e import KEY, LABEL, OTHER, REPO, TRACEBACK, World, world  # noqa: F401 - world is a fixture

READ_ONLY = "ghp_" + "r3ad0nly" * 4 + "ab12"
APP_KEY_LINE = "MIIEowIBAAKCAQEAtotallyNotARealKeyButLooksLikeOne0123456789abcdef"
SEARCH = r"^/search/issues$"
LISTING = rf"^/repos/{REPO}/issues$"


def _ok(world: World, *args: str, env: dict | None = None):
    result = world.bot(*world._args(("run", *args), "2024-03-07T12:00:00Z"), env={**world._env(DEFAULT_TOKEN), **(env or {})})
    assert TRACEBACK not in result.stderr, result.stderr
    return result


def _one_issue(world: World) -> None:
    assert len(world.issues(KEY)) == 1


def test_a_read_only_token_is_explained_before_anything_is_written(world: World):
    world.github.add_token(READ_ONLY, login="reader", access="read")
    result = world.run("run", token=READ_ONLY)
    assert result.returncode == 1
    assert apply_mod.NO_PUSH.format(repo=REPO) in result.stdout
    assert world.github.writes() == []
    assert READ_ONLY not in result.stdout + result.stderr


def test_a_short_primary_search_limit_is_waited_out(world: World):
    # A second meeting on another scope: the pass needs two searches, the limit allows one per 3 s.
    world.meeting("wg2", agenda={"orgs": [], "repos": [OTHER]})
    world.github.set_rate_limit("search", 1, window=3)
    began = time.monotonic()
    result = world.run("run")
    assert result.returncode == 0, result.stdout + result.stderr
    assert 1 <= time.monotonic() - began < 30
    searches = [e.status for e in world.github.matching("GET", SEARCH)]
    # One agenda search per meeting (their scopes differ); the refused ones waited out.
    assert searches.count(200) == 2 and len(searches) > 2
    assert len(world.issues(KEY)) == 1 and len(world.issues("wg2/2024-03-11")) == 1


def test_a_long_rate_limit_fails_the_meeting_at_once_with_a_clear_line(world: World):
    world.github.set_rate_limit("search", 0, window=3600)
    began = time.monotonic()
    result = world.run("run")
    assert result.returncode == 1
    assert time.monotonic() - began < 20
    what = github_agenda.SEARCH_WHAT.format(label=LABEL)
    assert github_client.RATE_LIMITED.format(what=what, cap=60) in result.stdout
    assert world.github.writes() == []


def test_a_secondary_limit_with_retry_after_is_waited_out(world: World):
    world.github.inject_secondary_limit("GET", SEARCH, retry_after=1, times=1)
    result = world.run("run")
    assert result.returncode == 0, result.stdout + result.stderr
    assert world.github.count("GET", SEARCH) == 2  # refused, then the agenda search
    _one_issue(world)


@pytest.mark.parametrize("fault", ["502", "reset"])
def test_a_failed_read_is_retried(world: World, fault: str):
    if fault == "reset":
        world.github.drop("GET", LISTING, times=1)
    else:
        world.github.inject("GET", LISTING, 502, times=2)
    result = world.run("run")
    assert result.returncode == 0, result.stdout + result.stderr
    assert world.github.count("GET", LISTING) >= 3  # the retried read(s), then the check after the create
    _one_issue(world)


def test_a_slow_read_times_out_and_is_retried(world: World):
    world.github.slow("GET", SEARCH, delay=2.5, times=1)
    result = _ok(world, env={"MEETING_BOT_HTTP_TIMEOUT": "1"})
    assert result.returncode == 0, result.stdout + result.stderr
    _one_issue(world)


def test_github_down_for_good_is_one_clear_line(world: World):
    world.github.inject("GET", SEARCH, 503, times=None)
    result = world.run("run")
    assert result.returncode == 1
    assert "GitHub answered 503" in result.stdout
    assert world.github.writes() == []


@pytest.mark.parametrize("debug", [False, True])
def test_secrets_never_show_whatever_fails(world: World, debug: bool):
    bad_token = "ghp_" + "s3cr3tT0k3n" * 3 + "xy"
    flags = ("--debug",) if debug else ()
    result = world.bot.spawn(*world._args(("run", *flags), "2024-03-07T12:00:00Z"), env=world._env(bad_token))
    assert result.returncode == 1
    assert ("Traceback" in result.stderr) == debug  # --debug shows where, and still no secret
    assert github_client.BAD_CREDENTIALS in result.stdout
    pem = "-----BEGIN RSA PRIVATE KEY-----\n" + APP_KEY_LINE + "\n-----END RSA PRIVATE KEY-----\n"
    app = world.bot(
        *world._args(("run", *flags), "2024-03-07T12:00:00Z"),
        env={"GITHUB_API_URL": world.github.url, "GITHUB_APP_ID": "1", "GITHUB_APP_PRIVATE_KEY": pem},
    )
    assert app.returncode == 1
    for output in (result.stdout + result.stderr, app.stdout + app.stderr):
        assert bad_token not in output and APP_KEY_LINE not in output


def test_a_protected_default_branch_is_explained_not_retried(world: World):
    message = {"message": "Changes must be made through a pull request.", "documentation_url": "https://docs.github.com"}
    world.github.inject("PUT", r"/contents/", 409, body=message, times=None)
    result = world.run("run")
    assert result.returncode == 1
    assert "the default branch is protected" in result.stdout
    assert world.github.count("PUT", r"/contents/") == 1  # refused once, not retried in a loop
    _one_issue(world)


def test_a_listing_that_lags_behind_a_create_makes_no_second_issue(world: World):
    world.github.inject("GET", LISTING, 200, body=[], times=2)  # the first read and the look after the create
    result = world.run("run")
    assert result.returncode == 0, result.stdout + result.stderr
    assert world.github.count("POST", rf"^/repos/{REPO}/issues$") == 1
    _one_issue(world)


def test_an_unusable_app_key_is_one_line_naming_the_meeting(world: World):
    pem = "-----BEGIN RSA PRIVATE KEY-----\n" + APP_KEY_LINE + "\n-----END RSA PRIVATE KEY-----\n"
    env = {"GITHUB_API_URL": world.github.url, "GITHUB_APP_ID": "1", "GITHUB_APP_PRIVATE_KEY": pem}
    result = world.bot(*world._args(("run",), "2024-03-07T12:00:00Z"), env=env)
    assert result.returncode == 1 and TRACEBACK not in result.stderr
    assert result.stdout.startswith("wg: ") and "GitHub App" in result.stdout


def test_a_dotenv_that_is_not_text_is_a_usage_error(world: World):
    (world.bot.cwd / ".env").write_bytes(b"GITHUB_TOKEN=\xff\xfe\n")
    result = world.bot.spawn("check", "--config", str(world.config))
    assert result.returncode == 2 and TRACEBACK not in result.stderr
    assert ".env: cannot read it" in result.stderr


def test_an_outsider_cannot_take_a_meeting_over_by_copying_its_key(world: World):
    from bot import markers

    forged_body = markers.make_key(KEY) + "\n" + markers.AGENDA_START + "\n" + markers.AGENDA_END
    forged = world.github.add_issue(REPO, "Mallory's meeting", user="mallory", body=forged_body)
    result = world.run("run")
    assert result.returncode == 0, result.stdout + result.stderr
    ours = [i for i in world.issues(KEY) if i["user"]["login"] != "mallory"]
    assert len(ours) == 1 and ours[0]["number"] != forged
    mallory = world.github.get_issue(REPO, forged)
    assert mallory["body"] == forged_body and mallory["state"] == "open"  # neither edited nor closed
    assert f"/issues/{ours[0]['number']}" in world.notes()


def test_a_template_error_stops_run_with_exit_2_before_any_request(world: World):
    world.meeting(title="{{ name }} {{ vars.nope }}")
    result = world.run("run")
    assert result.returncode == 2
    assert f"{world.config / 'wg.toml'}:" in result.stderr and "nope" in result.stderr
    assert world.github.requests == []
