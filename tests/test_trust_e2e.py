"""Trust by identity: only what the bot's own login made is the bot's, whatever markers others copy."""

from __future__ import annotations

from bot import agenda, markers, plan
from bot.adapters import feed
from bot.adapters.github_identity import ACTIONS_BOT, IDENTITY_UNKNOWN
from bot.adapters.repo_notes import CREATE_MESSAGE
from tests.doubles.github import DEFAULT_TOKEN
from tests.e2e import DATE, ISSUES, KEY, NAME, REPO, notes_path, world  # noqa: F401 - world is a fixture

PWN = ".github/workflows/pwn.yml"
HIJACK_TITLE = "Sync closes #1, fixes #1"
ACTIONS_TOKEN = "ghs_actions000000000000000000000000000000"


def _forged_body() -> str:
    return "\n".join([markers.make_key(KEY), markers.make_notes_ref(PWN), "we run this meeting now"])


def _bot_issues(world) -> list[dict]:
    return [i for i in world.issues() if i["user"]["login"] == "meeting-bot"]


def test_an_org_member_cannot_hijack_the_meeting_with_a_forged_issue(world):
    world.github.add_member("acme", "mallory")
    forged = world.github.add_issue(REPO, HIJACK_TITLE, user="mallory", body=_forged_body())
    assert world.github.get_issue(REPO, forged)["author_association"] == "MEMBER"
    world.topic("A topic")
    result = world.run("run")
    assert result.returncode == 0, result.stderr
    (own,) = _bot_issues(world)
    assert own["number"] != forged and own["title"] == f"{NAME} {DATE}"
    assert world.github.file(REPO, PWN) is None
    assert [c["message"] for c in world.github.commits(REPO)] == [CREATE_MESSAGE.format(title=own["title"])]
    assert [c["path"] for c in world.github.commits(REPO)] == [notes_path()]
    untouched = world.github.get_issue(REPO, forged)
    assert untouched["state"] == "open" and untouched["body"] == _forged_body() and untouched["comments"] == 0


def test_another_apps_bot_account_is_not_the_bot(world):
    world.github.state.user("other-app[bot]", "Bot")
    other = world.github.add_issue(REPO, "WG", user="other-app[bot]", body=markers.make_key(KEY))
    result = world.run("run")
    assert result.returncode == 0, result.stderr
    (own,) = _bot_issues(world)
    assert own["number"] != other
    assert world.github.get_issue(REPO, other)["state"] == "open"  # not the bot's to close as a duplicate


def test_an_outsiders_copy_of_the_key_after_the_bots_issue_changes_nothing(world):
    world.topic("A topic")
    assert world.run("run").returncode == 0
    own = world.issue()
    copy = world.github.add_issue(REPO, "copy", user="eve", body=markers.make_key(KEY))
    world.github.reset_log()
    result = world.run("run")
    assert result.returncode == 0, result.stderr
    assert world.writes() == []
    assert [i["number"] for i in _bot_issues(world)] == [own["number"]]
    assert world.github.get_issue(REPO, copy)["state"] == "open"


def test_a_human_renaming_the_bots_issue_does_not_reach_commits_or_other_artifacts(world):
    world.topic("A topic")
    assert world.run("run").returncode == 0
    own = world.issue()
    world.github.set_issue(REPO, own["number"], title=HIJACK_TITLE)
    world.topic("Another topic")
    assert world.run("run").returncode == 0
    assert all(HIJACK_TITLE not in c["message"] for c in world.github.commits(REPO))
    assert HIJACK_TITLE not in world.notes()


def test_under_actions_the_runners_token_is_github_actions_bot(world):
    world.github.add_token(ACTIONS_TOKEN, login=ACTIONS_BOT, installation_id=1)  # GET /user: 403, as on GitHub
    env = {"GITHUB_API_URL": world.github.url, "GITHUB_TOKEN": ACTIONS_TOKEN, "GITHUB_ACTIONS": "true"}
    args = ("run", "--config", str(world.config), "--now", "2024-03-07T12:00:00Z")
    assert world.bot(*args, env=env).returncode == 0
    assert world.bot(*args, env=env).returncode == 0
    assert [i["user"]["login"] for i in world.issues()] == [ACTIONS_BOT]
    assert world.github.count("POST", ISSUES) == 1
    with_flag = world.bot(*args, env={**env, "MEETING_BOT_RUNNER_TOKEN": "true"})
    assert with_flag.returncode == 0 and world.github.count("GET", r"^/user$") == 2  # the flag spares the request


def test_an_installation_token_outside_actions_stops_with_a_clear_error(world):
    world.github.add_token(ACTIONS_TOKEN, login="some-app[bot]", installation_id=1)
    result = world.run("run", token=ACTIONS_TOKEN)
    assert result.returncode != 0
    assert (result.stdout + result.stderr).count(IDENTITY_UNKNOWN) == 1  # the meeting's outcome line, said once
    assert world.github.count("POST", ISSUES) == 0


EMBARGOED = "EMBARGOED: pre-auth RCE"


def test_a_private_repositorys_labelled_issue_is_not_published_by_a_public_meeting(world):
    world.github.add_repo("acme/embargo", private=True)
    world.topic(EMBARGOED, repo="acme/embargo")
    world.topic("A public topic")
    result = world.run("run")
    assert result.returncode == 0, result.stderr
    published = world.issue()["body"] + world.notes()
    assert "A public topic" in published and EMBARGOED not in published
    assert agenda.WITHHELD.format(count=1, repo=REPO, visibility="public") in result.stderr
    assert EMBARGOED not in result.stdout + result.stderr
    shown = world.bot("agenda", "--meeting", "wg", "--config", str(world.config), env=world._env(DEFAULT_TOKEN))
    assert shown.returncode == 0, shown.stderr
    assert agenda.WITHHELD_NOTE.format(count=1) in shown.stdout and EMBARGOED not in shown.stdout + shown.stderr


def test_a_feed_on_loopback_is_refused_without_the_opt_in(world):
    feed_url = world.github.url + "/feed.ics"
    (world.config / "wg.toml").write_text(
        f'name = "WG"\nrepo = "{REPO}"\n\n[schedule]\ntimezone = "Europe/Berlin"\nics_url = "{feed_url}"\n\n'
        '[agenda]\nlabel = "wg-agenda"\n',
        encoding="utf-8",
    )
    result = world.bot("next", "--config", str(world.config), env={"MEETING_BOT_ALLOW_PRIVATE_FEEDS": ""})
    assert result.returncode != 0
    assert feed.MSG_NOT_PUBLIC.format(url=feed_url, host="127.0.0.1") in result.stderr
    assert not world.github.matching("GET", r"feed\.ics")
