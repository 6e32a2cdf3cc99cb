"""Only a notes file the bot's own identity created is the bot's (repo provider): a copied key is not enough.

The bot runs as itself; the member commits with their own token through real PyGithub, as a person
with push access would.
"""

from __future__ import annotations

import github

from bot import markers, plan
from bot.adapters import conditional, file_creators
from bot.apply import UPDATED_NOTES
from tests.doubles.github import DEFAULT_TOKEN, GitHubDouble
from tests.e2e import DATE, KEY, REPO, World, notes_path, world  # noqa: F401 - world is a fixture
from tests.test_conditional_e2e import core_spent, run_cached

MEMBER_TOKEN = "ghp_mallory00000000000000000000000000000"
MEMBER = "mallory"
NEXT = "2024-03-18"
COMMITS = rf"^/repos/{REPO}/commits$"


def new_process() -> None:
    """`world.run` runs the command in this test process: forget what an earlier run learned, as a new
    process (each run of the CLI) starts without it."""
    file_creators.forget()


def as_member(world: World) -> github.Repository.Repository:
    """The meeting repository through PyGithub with the token of a member who has push access."""
    world.github.add_member("acme", MEMBER)
    world.github.add_token(MEMBER_TOKEN, login=MEMBER)
    client = github.Github(base_url=world.github.url, auth=github.Auth.Token(MEMBER_TOKEN), retry=None)
    return client.get_repo(REPO)


def copied_notes(world: World) -> str:
    """Notes for DATE as a member would copy them: the bot's own file of the next week, dates changed."""
    assert world.run("run", "--date", NEXT).returncode == 0
    copied = world.notes(NEXT)
    assert copied is not None
    return copied.replace(NEXT, DATE)


def test_a_members_file_with_a_copied_key_is_never_edited(world: World):
    text = copied_notes(world)
    assert markers.find_key(text) == KEY
    as_member(world).create_file(notes_path(), "Notes for the meeting", text)
    commits = world.github.commits(REPO)
    topic = world.topic("Late topic")  # the agenda changed: the bot's own file would be refreshed
    warning = plan.NOTES_FOREIGN.format(ref=notes_path(), creator=MEMBER)
    world.github.reset_log()
    for _ in range(2):
        new_process()
        result = world.run("run")
        assert result.returncode == 0, result.stderr
        assert result.stderr.count(warning) == 1 and warning not in result.stdout  # one line, a warning
    assert world.notes() == text and world.github.commits(REPO) == commits
    assert not world.github.writes(r"/contents/")
    assert f"#{topic}" in world.issue()["body"]  # the run went on: the issue carries the new topic
    planned = world.run("run", "--dry-run")
    assert warning in planned.stderr and "notes" not in "".join(line for line in planned.stdout.splitlines()
                                                                if "update" in line)


def test_the_bots_own_file_edited_by_a_member_is_still_refreshed(world: World):
    assert world.run("run").returncode == 0
    path = notes_path()
    member = as_member(world)
    current = member.get_contents(path)
    edited = world.notes().replace("## Present\n", "## Present\n\n* Mallory\n")
    member.update_file(path, "Who was there", edited, current.sha)
    topic = world.topic("Late topic")
    world.github.reset_log()
    new_process()
    result = world.run("run")
    assert result.returncode == 0, result.stderr
    assert UPDATED_NOTES.split(" {")[0] in result.stdout
    notes = world.notes()
    assert "* Mallory" in notes and f"[#{topic}]" in markers.find_region(notes, markers.AGENDA)
    assert world.github.commits(REPO)[-1]["author"]["email"].endswith("+meeting-bot@users.noreply.github.com")
    assert world.github.count("GET", COMMITS) == 1


def test_a_file_made_in_the_same_process_needs_no_check_and_a_rerun_costs_one_request(world: World):
    world.topic("A topic")
    assert world.run("run").returncode == 0  # creates the notes: known to be the bot's
    assert world.github.count("GET", COMMITS) == 0
    world.github.reset_log()
    new_process()
    assert world.run("run").returncode == 0  # a new process asks once, one page (fewer than 100 commits)
    assert world.github.count("GET", COMMITS) == 1
    assert world.writes() == []


def test_a_cached_rerun_spends_no_core_quota_on_the_check(world: World, tmp_path):
    cache = tmp_path / "cache"
    world.topic("A topic")
    run_cached(world, cache, "run")
    new_process()
    run_cached(world, cache, "run")  # asks who created the notes: answered in full, kept in the cache
    world.github.reset_log()
    new_process()
    run_cached(world, cache, "run")
    assert [e.status for e in world.github.matching("GET", COMMITS)] == [304]
    assert core_spent(world) == []


def test_past_a_hundred_commits_the_creator_is_on_the_last_page(github: GitHubDouble):
    github.add_repo(REPO)
    github.add_token(MEMBER_TOKEN, login=MEMBER)
    member = github_repo(github, MEMBER_TOKEN)
    sha = member.create_file("notes/a.md", "Add", "0\n")["content"].sha
    for n in range(1, 101):
        github.put_file(REPO, "notes/a.md", f"{n}\n", message=f"edit {n}")
    client = github_client(github, DEFAULT_TOKEN)
    cache = conditional.ETagCache()
    assert file_creators.creator(client.requester, cache, github.url, REPO, "notes/a.md") == MEMBER
    pages = [e.query.get("page") for e in github.matching("GET", r"/commits$")]
    assert pages == [None, "2"]  # the first page's Link names the last: two requests
    file_creators.forget()  # a new process with the same cache
    github.reset_log()
    assert file_creators.creator(client.requester, cache, github.url, REPO, "notes/a.md") == MEMBER
    assert [e.status for e in github.matching("GET", r"/commits$")] == [304, 304]
    assert file_creators.creator(client.requester, cache, github.url, REPO, "notes/a.md") == MEMBER
    assert len(github.matching("GET", r"/commits$")) == 2  # known for the rest of the process
    assert sha and file_creators.last_page("") is None


def github_client(double: GitHubDouble, token: str) -> github.Github:
    return github.Github(base_url=double.url, auth=github.Auth.Token(token), retry=None)


def github_repo(double: GitHubDouble, token: str) -> github.Repository.Repository:
    return github_client(double, token).get_repo(REPO)


def test_action_items_are_not_taken_from_a_members_file_for_the_previous_meeting(world: World):
    world.meeting(notes={"provider": "none"}, after={"action_items": True})
    assert world.run("run", "--date", "2024-03-04", now="2024-03-01T12:00:00Z").returncode == 0
    items = "\n## Action items\n\n- [ ] Ann: wire the money\n"
    as_member(world).create_file(notes_path("2024-03-04"), "Notes", markers.make_key("wg/2024-03-04") + "\n" + items)
    world.meeting(after={"action_items": True})
    new_process()
    assert world.run("run").returncode == 0
    assert "wire the money" not in world.notes()
