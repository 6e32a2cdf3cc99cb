"""Notes in HackMD (SPEC sections 3, 4, 6): the adapter over the HackMD double, then the real command.

The first half drives `bot.adapters.hackmd.HackMDNotes` in process against the double (finding by tag and
key, errors, rate limits, retries); the second runs `meeting-bot` as a subprocess against the GitHub and
HackMD doubles, its clock pinned by `--now`.
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterator

import pytest
import requests

from bot import markers, runner
from bot.adapters import hackmd as adapter
from bot.adapters import retry
from bot.adapters.hackmd import (
    BAD_TOKEN,
    NO_TOKEN,
    QUOTA_SPENT,
    RATE_LIMITED,
    TEAM,
    HackMDNotes,
    note_tag,
    tagged,
)
from bot.apply import CREATED_NOTES, UPDATED_NOTES
from bot.model import NotesConfig, NotesProvider, NotesRecord
from bot.ports import Conflict, Forbidden, NotFound, RateLimited, ServiceError
from bot.settings import Secret, Settings, from_environment
from tests.waiting import wait_until
from tests.doubles.github import DEFAULT_TOKEN as GITHUB_TOKEN
from tests.doubles.hackmd import DEFAULT_TOKEN, QUOTA_MESSAGE, HackMDDouble
from tests.e2e import DATE, MEETING_ID, NOW, OTHER, REPO, STARTED, TRACEBACK, World, world  # noqa: F401
from tests.factories import make_meeting

TEAM_PATH = "wg-team"
KEY = f"{MEETING_ID}/{DATE}"
OTHER_KEY = f"{MEETING_ID}/2024-03-18"
BAD_HACKMD_TOKEN = "hackmd-wrong-token-1234567890abcdef"
TEAM_NOTES = rf"^/v1/teams/{TEAM_PATH}/notes$"
CAP = 60.0


def hackmd_meeting(team: str | None = TEAM_PATH, **permissions: str):
    return make_meeting(id=MEETING_ID, notes=NotesConfig(NotesProvider.HACKMD, hackmd_team=team, **permissions))


def content(key: str = KEY) -> str:
    """Notes as the renderer makes them: the agenda region and the key line at the end."""
    agenda = f"{markers.AGENDA_START}\n* topic\n{markers.AGENDA_END}"
    return f"# WG {key}\n\n## Present\n\n{agenda}\n{markers.make_key(key)}\n"


class Clock:
    """One fake time for the adapter and the double: the adapter's sleeps move it on."""

    def __init__(self) -> None:
        self.now, self.sleeps = 1_700_000_000.0, []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def hackmd(clock: Clock) -> Iterator[HackMDDouble]:
    with HackMDDouble(clock=clock) as double:
        double.add_team(TEAM_PATH)
        yield double


@pytest.fixture
def store(hackmd: HackMDDouble, clock: Clock) -> HackMDNotes:
    return HackMDNotes(DEFAULT_TOKEN, hackmd.url, CAP, sleep=clock.sleep, clock=clock)


# ================================================================== the adapter over the double
def test_the_note_is_found_again_by_its_tag_and_key_with_two_calls(store, hackmd):
    meeting = hackmd_meeting()
    assert store.find(meeting, KEY, KEY) is None
    assert store.url_for(meeting, KEY) is None  # the link exists only once the note does

    made = store.create(meeting, KEY, KEY, "WG 2024-03-11", content())
    hackmd.reset_log()
    found = store.find(meeting, KEY, KEY)

    note = hackmd.note(made.ref)
    assert found == made and made.url == note["publishLink"] and made.content == note["content"]
    assert note["tags"] == [note_tag(KEY)] == ["meeting-bot-wg-2024-03-11"]
    assert markers.find_key(note["content"]) == KEY
    calls = [(e.method, e.path) for e in hackmd.requests]
    assert calls == [("GET", f"/v1/teams/{TEAM_PATH}/notes"), ("GET", f"/v1/notes/{made.ref}")]


def test_a_tagged_note_without_the_key_is_not_ours_and_the_oldest_with_the_key_wins(store, hackmd, clock):
    meeting = hackmd_meeting()
    tag_line = f"###### tags: `{note_tag(KEY)}`\n"
    hackmd.add_note(content(OTHER_KEY) + tag_line, team=TEAM_PATH)  # a copy made by hand, for another date
    hackmd.add_note(content(KEY), team=TEAM_PATH)  # the key, but no tag: not looked at
    clock.now += 1
    first = hackmd.add_note(content(KEY) + tag_line, team=TEAM_PATH)
    clock.now += 1
    hackmd.add_note(content(KEY) + tag_line, team=TEAM_PATH)

    assert store.find(meeting, KEY, KEY).ref == first
    assert hackmd.count("GET", r"^/v1/notes/") == 2  # the copy for another date, then the first match


def test_without_a_team_the_note_is_in_the_token_users_own_workspace(store, hackmd):
    meeting = hackmd_meeting(team=None)
    made = store.create(meeting, KEY, KEY, "WG", content())

    assert [n["id"] for n in hackmd.notes()] == [made.ref] and hackmd.notes(TEAM_PATH) == []
    assert store.find(meeting, KEY, KEY) == made
    assert hackmd.count("POST", r"^/v1/notes$") == 1


def test_the_meeting_files_permissions_are_sent_at_creation(store, hackmd):
    meeting = hackmd_meeting(hackmd_read_permission="signed_in", hackmd_write_permission="owner",
                             hackmd_comment_permission="everyone")
    made = store.create(meeting, KEY, KEY, "WG", content())

    (post,) = hackmd.writes()
    assert {k: post.body[k] for k in ("readPermission", "writePermission", "commentPermission")} == {
        "readPermission": "signed_in", "writePermission": "owner", "commentPermission": "everyone"}
    assert (hackmd.note(made.ref)["readPermission"], hackmd.note(made.ref)["writePermission"]) == ("signed_in", "owner")


def test_an_update_sends_only_the_content(store, hackmd):
    meeting = hackmd_meeting()
    made = store.create(meeting, KEY, KEY, "WG", content())
    new = made.content.replace("* topic", "* topic\n* another")

    updated = store.update(meeting, made, new, "refresh")

    (patch,) = [e for e in hackmd.writes() if e.method == "PATCH"]
    assert patch.path == f"/v1/teams/{TEAM_PATH}/notes/{made.ref}" and patch.body == {"content": new}
    assert updated == NotesRecord(url=made.url, content=new, ref=made.ref)
    assert hackmd.note(made.ref)["content"] == new and hackmd.note(made.ref)["tags"] == [note_tag(KEY)]


@pytest.mark.parametrize("gone_already", [False, True])
def test_a_note_made_by_another_run_at_the_same_moment_wins_and_ours_is_removed(store, hackmd, clock, gone_already):
    older = hackmd.add_note(content(KEY) + f"###### tags: `{note_tag(KEY)}`\n", team=TEAM_PATH)
    clock.now += 1  # made after our find, before our create
    if gone_already:
        hackmd.inject("DELETE", TEAM_NOTES.rstrip("$") + "/", 404, apply=True)

    with pytest.raises(Conflict, match="another run made the notes"):
        store.create(hackmd_meeting(), KEY, KEY, "WG", content())

    assert [n["id"] for n in hackmd.notes(TEAM_PATH)] == [older]
    (delete,) = [e for e in hackmd.writes() if e.method == "DELETE"]
    assert delete.status == (404 if gone_already else 204) and delete.path.startswith(f"/v1/teams/{TEAM_PATH}/notes/")


def test_an_update_of_a_note_deleted_meanwhile_is_a_conflict(store, hackmd):
    meeting = hackmd_meeting()
    made = store.create(meeting, KEY, KEY, "WG", content())
    del hackmd.state[made.ref]

    with pytest.raises(Conflict):
        store.update(meeting, made, made.content + "x", "refresh")


def test_a_created_note_with_a_problem_207_still_counts(store, hackmd):
    meeting = hackmd_meeting()
    note = {"id": "abc", "publishLink": "https://hackmd.io/@wg-team/abc", "content": "c"}
    hackmd.inject("POST", TEAM_NOTES, 207, body={"note": note, "error": "folder not found"})

    made = store.create(meeting, KEY, KEY, "WG", content())

    assert (made.ref, made.url) == ("abc", note["publishLink"])


# ------------------------------------------------------------------ the tag, where HackMD reads it
def test_the_tag_goes_into_yaml_front_matter_when_the_notes_have_one(store, hackmd):
    meeting = hackmd_meeting()
    made = store.create(meeting, KEY, KEY, "WG", "---\ntitle: WG\n---\n" + content())

    assert hackmd.note(made.ref)["tags"] == [note_tag(KEY)]
    assert made.content.startswith(f"---\ntitle: WG\ntags: {note_tag(KEY)}\n---\n")


def test_front_matter_that_sets_tags_is_refused_with_a_clear_line():
    with pytest.raises(ServiceError, match="front matter sets tags"):
        tagged("---\ntags: wg\n---\n# WG\n", note_tag(KEY))


def test_the_tag_is_one_to_one_with_the_key():
    assert note_tag("wg-2024/2024-03-11") != note_tag("wg/2024-03-11")


# ------------------------------------------------------------------ errors
def test_a_missing_token_is_one_clear_line_and_setting_the_variable_it_names_is_the_fix(hackmd):
    with pytest.raises(ServiceError) as caught:
        HackMDNotes.from_settings(from_environment({"HACKMD_API_URL": hackmd.url}))
    assert str(caught.value) == NO_TOKEN
    fixed = from_environment({"HACKMD_API_URL": hackmd.url, "HACKMD_TOKEN": DEFAULT_TOKEN})
    assert HackMDNotes.from_settings(fixed).find(hackmd_meeting(), KEY, KEY) is None  # it authenticates


def test_a_rejected_token_names_hackmd_token_and_never_shows_it(hackmd, clock):
    store = HackMDNotes(BAD_HACKMD_TOKEN, hackmd.url, sleep=clock.sleep, clock=clock)
    with pytest.raises(ServiceError) as caught:
        store.find(hackmd_meeting(), KEY, KEY)
    assert str(caught.value) == BAD_TOKEN and BAD_HACKMD_TOKEN not in str(caught.value)
    assert type(caught.value) is ServiceError and clock.sleeps == []


def test_an_unknown_team_is_not_found_and_a_team_without_the_user_is_forbidden(store, hackmd):
    hackmd.add_user("stranger", "stranger-token")
    hackmd.add_team("their-team", members=["stranger"])

    with pytest.raises(NotFound, match=TEAM.format(team="nobody")):
        store.find(hackmd_meeting(team="nobody"), KEY, KEY)
    with pytest.raises(Forbidden):
        store.create(hackmd_meeting(team="their-team"), KEY, KEY, "WG", content())


def test_an_invalid_answer_is_a_service_error(store, hackmd):
    hackmd.inject("GET", TEAM_NOTES, 200, body={"not": "a list"})
    with pytest.raises(ServiceError, match="not the JSON"):
        store.find(hackmd_meeting(), KEY, KEY)


def test_the_store_is_built_from_the_settings(hackmd):
    settings = Settings(hackmd_token=Secret(DEFAULT_TOKEN), hackmd_api_url=hackmd.url)
    assert HackMDNotes.from_settings(settings).find(hackmd_meeting(), KEY, KEY) is None


def test_a_note_deleted_between_the_listing_and_the_read_is_skipped(store, hackmd):
    made = store.create(hackmd_meeting(), KEY, KEY, "WG", content())
    hackmd.inject("GET", rf"^/v1/notes/{made.ref}$", 404)
    assert store.find(hackmd_meeting(), KEY, KEY) is None


@pytest.mark.parametrize("answer", [{}, [], None])
def test_a_malformed_create_answer_is_a_service_error(store, hackmd, answer):
    hackmd.inject("POST", TEAM_NOTES, 201, body=answer)
    with pytest.raises(ServiceError, match="not the JSON"):
        store.create(hackmd_meeting(), KEY, KEY, "WG", content())


def test_a_proxys_error_page_is_one_line_without_markup():
    page = requests.Response()
    page.status_code, page._content = 502, b"<html><body>Bad Gateway</body></html>"
    with pytest.raises(ServiceError) as caught:
        adapter._answer(page, "HackMD team 'wg-team'", CAP)
    assert str(caught.value) == "HackMD team 'wg-team': HackMD answered 502: no message"


# ------------------------------------------------------------------ rate limits and retries
def _backoff(repeat: int, slept: float) -> bool:
    """Whether `slept` is the policy's backoff before the `repeat`-th repeat: doubling, plus jitter."""
    base = retry.BACKOFF_FIRST * 2 ** (repeat - 1)
    return base <= slept <= base + retry.JITTER


def test_a_short_rate_limit_is_waited_out_until_its_reset(store, hackmd, clock):
    hackmd.set_rate_limit(1, window=30)
    store.find(hackmd_meeting(), KEY, KEY)

    assert store.create(hackmd_meeting(), KEY, KEY, "WG", content()) is not None  # a 429 is safe to repeat

    assert clock.sleeps == [30 + adapter.RESET_MARGIN_SECONDS] * 3  # the POST, then the look after it: list, read
    assert hackmd.count("POST") == 2 and len(hackmd.notes(TEAM_PATH)) == 1


def test_a_rate_limit_longer_than_the_cap_is_rate_limited_at_once(hackmd, clock):
    store = HackMDNotes(DEFAULT_TOKEN, hackmd.url, 10.0, sleep=clock.sleep, clock=clock)
    hackmd.set_rate_limit(1, window=300)
    store.find(hackmd_meeting(), KEY, KEY)

    with pytest.raises(RateLimited) as caught:
        store.find(hackmd_meeting(), KEY, KEY)
    assert str(caught.value) == RATE_LIMITED.format(what=TEAM.format(team=TEAM_PATH), cap=10.0)
    assert clock.sleeps == []


def test_a_spent_monthly_quota_is_rate_limited_without_waiting(store, hackmd, clock):
    hackmd.set_quota(0)
    with pytest.raises(RateLimited) as caught:
        store.find(hackmd_meeting(), KEY, KEY)
    expected = QUOTA_SPENT.format(what=TEAM.format(team=TEAM_PATH), code="quota_exceeded", message=QUOTA_MESSAGE)
    assert str(caught.value) == expected and clock.sleeps == []


def test_a_429_without_a_reset_time_backs_off(store, hackmd, clock):
    hackmd.inject("GET", TEAM_NOTES, 429)
    assert store.find(hackmd_meeting(), KEY, KEY) is None
    assert len(clock.sleeps) == 1 and _backoff(1, clock.sleeps[0])


def test_retry_after_is_honoured_when_sent(store, hackmd, clock):
    hackmd.inject("GET", TEAM_NOTES, 429, headers={"Retry-After": "3"})
    assert store.find(hackmd_meeting(), KEY, KEY) is None
    assert clock.sleeps == [3.0]


def test_server_errors_on_reads_are_retried_a_bounded_number_of_times(store, hackmd, clock):
    hackmd.inject("GET", TEAM_NOTES, 503, times=2)
    assert store.find(hackmd_meeting(), KEY, KEY) is None
    assert len(clock.sleeps) == 2 and _backoff(1, clock.sleeps[0]) and _backoff(2, clock.sleeps[1])

    hackmd.inject("GET", TEAM_NOTES, 502, times=None)
    with pytest.raises(ServiceError, match="HackMD answered 502"):
        store.find(hackmd_meeting(), KEY, KEY)
    assert hackmd.count("GET", TEAM_NOTES) == 3 + retry.ATTEMPTS


@pytest.mark.parametrize("fault", ["status", "drop"])
def test_a_failed_write_is_never_repeated_blindly(store, hackmd, clock, fault):
    if fault == "status":
        hackmd.inject("POST", TEAM_NOTES, 502, apply=True)
    else:
        hackmd.drop("POST", TEAM_NOTES, apply=True)

    with pytest.raises(ServiceError):
        store.create(hackmd_meeting(), KEY, KEY, "WG", content())

    assert hackmd.count("POST") == 1 and clock.sleeps == []
    assert store.find(hackmd_meeting(), KEY, KEY) is not None  # the next pass finds what it made


def test_a_dropped_read_is_retried(store, hackmd, clock):
    hackmd.drop("GET", TEAM_NOTES)
    assert store.find(hackmd_meeting(), KEY, KEY) is None
    assert hackmd.count("GET", TEAM_NOTES) == 2 and len(clock.sleeps) == 1 and _backoff(1, clock.sleeps[0])


def test_a_write_that_times_out_is_one_clear_line(hackmd, clock):
    store = HackMDNotes(DEFAULT_TOKEN, hackmd.url, CAP, sleep=clock.sleep, clock=clock, timeout=0.2)
    hackmd.slow("POST", TEAM_NOTES, delay=1.0)
    with pytest.raises(ServiceError, match=r"cannot reach HackMD at .* \(timed out\)"):
        store.create(hackmd_meeting(), KEY, KEY, "WG", content())


# ================================================================== the real command
@pytest.fixture
def hackmd_world(world: World) -> Iterator[tuple[World, HackMDDouble]]:
    """The e2e world, its meeting keeping notes in the HackMD team `wg-team` of a running double."""
    with HackMDDouble() as double:
        double.add_team(TEAM_PATH)
        world.meeting(notes={"provider": "hackmd", "hackmd_team": TEAM_PATH})
        yield world, double


def run(world: World, double: HackMDDouble, *args: str, now: str = NOW, token: str | None = DEFAULT_TOKEN):
    """`meeting-bot ARGS --config CONFIG --now NOW` with GitHub and HackMD pointed at the doubles."""
    env = {"GITHUB_API_URL": world.github.url, "GITHUB_TOKEN": GITHUB_TOKEN, "HACKMD_API_URL": double.url}
    if token is not None:
        env["HACKMD_TOKEN"] = token
    result: subprocess.CompletedProcess = world.bot(*args, "--config", str(world.config), "--now", now, env=env)
    assert TRACEBACK not in result.stdout + result.stderr, result.stderr
    return result


def summary(result: subprocess.CompletedProcess) -> list[str]:
    return [line for line in result.stdout.splitlines() if line.startswith(f"{MEETING_ID}: ")]


def said(result: subprocess.CompletedProcess) -> list[str]:
    """The lines of the meeting's one-line summary."""
    (line,) = summary(result)
    return line.removeprefix(f"{MEETING_ID}: ").split("; ")


def the_note(double: HackMDDouble) -> dict:
    (note,) = double.notes(TEAM_PATH)
    return note


def outside_agenda(text: str) -> tuple[str, str]:
    return text.split(markers.AGENDA_START)[0], text.split(markers.AGENDA_END)[1]


def issue_edits(world: World, number: int) -> int:
    return world.github.count("PATCH", rf"^/repos/{REPO}/issues/{number}$")


def test_the_first_run_makes_one_team_note_linked_both_ways_and_the_next_writes_nothing(hackmd_world):
    world, double = hackmd_world
    topic = world.topic("Threat model review")

    first = run(world, double, "run")

    assert first.returncode == 0, first.stderr
    note, issue = the_note(double), world.issue()
    region = markers.find_region(note["content"], markers.AGENDA)
    assert f"[#{topic}](https://github.com/{OTHER}/issues/{topic})" in region
    assert issue["html_url"] in note["content"] and note["publishLink"] in issue["body"]
    assert markers.find_key(note["content"]) == KEY and note["teamPath"] == TEAM_PATH
    assert CREATED_NOTES.format(url=note["publishLink"]) in said(first)
    assert double.count("POST") == 1 and issue_edits(world, issue["number"]) == 1  # the link, once known
    assert world.notes() is None  # nothing committed to the repository

    world.github.reset_log()
    double.reset_log()
    again = run(world, double, "run")
    assert again.returncode == 0, again.stderr
    assert summary(again) == [f"{MEETING_ID}: " + runner.NOTHING_NEW.format(number=issue["number"])]
    assert world.writes() == [] and double.writes() == []
    assert the_note(double) == note


def test_a_new_agenda_item_updates_the_note_while_a_human_edit_in_present_survives(hackmd_world):
    world, double = hackmd_world
    old = world.topic("Topic 0")
    run(world, double, "run")
    note = the_note(double)
    edited = note["content"].replace("## Present\n", "## Present\n\n* Alice (chair)\n")
    double.edit(note["id"], edited)
    new = world.topic("Topic 1")
    double.reset_log()

    result = run(world, double, "run")

    assert result.returncode == 0, result.stderr
    after = the_note(double)["content"]
    assert outside_agenda(after) == outside_agenda(edited) and "* Alice (chair)" in after
    region = markers.find_region(after, markers.AGENDA)
    assert f"[#{new}]" in region and f"[#{old}]" in region
    (patch,) = double.writes()
    assert patch.method == "PATCH" and set(patch.body) == {"content"}
    assert UPDATED_NOTES.format(url=note["publishLink"]) in said(result)


def test_nothing_changes_once_the_meeting_has_started(hackmd_world):
    world, double = hackmd_world
    world.topic("Early topic")
    run(world, double, "run")
    before = (world.issue(), the_note(double))
    world.topic("Late topic")
    world.github.reset_log()
    double.reset_log()

    late = run(world, double, "run", "--date", DATE, "--force", now=STARTED)

    assert late.returncode == 0, late.stderr
    assert summary(late) == [f"{MEETING_ID}: " + runner.STARTED.format(date=DATE)]
    assert world.writes() == [] and double.requests == []
    assert (world.issue(), the_note(double)) == before


def test_a_dry_run_sends_hackmd_no_write(hackmd_world):
    world, double = hackmd_world
    world.topic("Dry topic")
    dry = run(world, double, "run", "--dry-run")
    assert dry.returncode == 0, dry.stderr
    assert world.writes() == [] and double.writes() == []


def test_a_missing_hackmd_token_fails_the_meeting_with_one_clear_line(hackmd_world):
    world, double = hackmd_world
    world.topic("Topic")

    result = run(world, double, "run", token=None)

    assert result.returncode == 1
    assert summary(result) == [f"{MEETING_ID}: {NO_TOKEN}"]
    assert world.writes() == [] and double.requests == []


def test_a_rejected_hackmd_token_fails_with_one_line_that_never_shows_it(hackmd_world):
    world, double = hackmd_world

    result = run(world, double, "run", token=BAD_HACKMD_TOKEN)

    assert result.returncode == 1 and summary(result) == [f"{MEETING_ID}: {BAD_TOKEN}"]
    assert BAD_HACKMD_TOKEN not in result.stdout + result.stderr
    assert world.writes() == [] and double.writes() == []


def test_the_permissions_of_the_meeting_file_are_sent(hackmd_world):
    world, double = hackmd_world
    world.meeting(notes={"provider": "hackmd", "hackmd_team": TEAM_PATH, "hackmd_read_permission": "signed_in",
                         "hackmd_write_permission": "owner", "hackmd_comment_permission": "everyone"})

    assert run(world, double, "run").returncode == 0

    (post,) = double.writes()
    assert (post.body["readPermission"], post.body["writePermission"], post.body["commentPermission"]) == (
        "signed_in", "owner", "everyone")
    note = the_note(double)
    assert (note["readPermission"], note["writePermission"]) == ("signed_in", "owner")


def test_a_note_deleted_by_hand_is_made_again_and_the_issue_follows_it(hackmd_world):
    world, double = hackmd_world
    run(world, double, "run")
    gone = the_note(double)
    del double.state[gone["id"]]

    assert run(world, double, "run").returncode == 0

    again = the_note(double)
    assert again["id"] != gone["id"]
    assert again["publishLink"] in world.issue()["body"] and gone["publishLink"] not in world.issue()["body"]


def test_a_note_edited_live_while_the_run_works_keeps_the_edit(hackmd_world):
    world, double = hackmd_world
    world.topic("Topic 0")
    run(world, double, "run")
    note = the_note(double)
    new = world.topic("Topic 1")
    note_path = rf"^/v1/notes/{note['id']}$"
    double.reset_log()
    double.slow("GET", note_path, delay=1.0, times=1)  # the plan's read of the note comes back late
    env = {"GITHUB_API_URL": world.github.url, "GITHUB_TOKEN": GITHUB_TOKEN, "HACKMD_API_URL": double.url,
           "HACKMD_TOKEN": DEFAULT_TOKEN}
    process = world.bot.popen("run", "--config", str(world.config), "--now", NOW, env=env)
    wait_until(lambda: double.count("GET", note_path), what="the read of the note")
    live = note["content"].replace("## Present\n", "## Present\n\n* Bob (typing right now)\n")
    double.edit(note["id"], live)
    process.communicate(timeout=60)
    after = the_note(double)["content"]
    assert "* Bob (typing right now)" in after
    assert f"[#{new}]" in markers.find_region(after, markers.AGENDA)


def test_an_unclosed_front_matter_with_crlf_endings_is_read_in_linear_time():
    content = "---\r\n" + "key: value\r\n" * 5000  # never closed: no front matter at all
    assert tagged(content, note_tag(KEY)) == content + adapter.TAGS_LINE.format(tag=note_tag(KEY)) + "\n"


def test_a_closed_front_matter_with_crlf_endings_gets_the_tag():
    content = "---\r\ntitle: WG\r\n---\r\n# WG\r\n"
    assert tagged(content, "t") == "---\r\ntitle: WG\r\ntags: t\n---\r\n# WG\r\n"
