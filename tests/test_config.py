"""Tests for bot.config: meeting files to `Meeting` values, and every problem with its file and line."""

from __future__ import annotations

import datetime as dt
import json
import tomllib
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot import config, config_schedule, model, suggest, tomlines
from bot.config import load_meeting, load_meetings
from bot.model import CalendarProvider, NotesProvider, Problem

EXAMPLE_DIR = Path(__file__).resolve().parents[1] / "config"

VALID = """\
name = "Test Meeting"
repo = "octo-org/meetings"

[schedule]
timezone = "Europe/Amsterdam"
start = 2023-09-11T08:30:00
rrule = "FREQ=WEEKLY;BYDAY=MO"

[agenda]
label = "agenda"
"""


def everything(name: str) -> bool:
    return True


def write(directory: Path, text: str | bytes, name: str = "meeting.toml") -> Path:
    path = directory / name
    path.write_bytes(text if isinstance(text, bytes) else text.encode())
    return path


def load(tmp_path: Path, text: str, exists=everything) -> tuple[model.Meeting | None, list[Problem]]:
    return load_meeting(write(tmp_path, text), exists)


def meeting_of(tmp_path: Path, text: str) -> model.Meeting:
    meeting, problems = load(tmp_path, text)
    assert problems == []
    return meeting


def problem_of(tmp_path: Path, text: str, exists=everything) -> tuple[int, str]:
    """The line and message of the one problem of `text`."""
    meeting, problems = load(tmp_path, text, exists)
    assert meeting is None
    assert len(problems) == 1, [str(problem) for problem in problems]
    assert problems[0].file == tmp_path / "meeting.toml"
    return problems[0].line, problems[0].message


def at(tmp_path: Path, line: int, message: str) -> Problem:
    return Problem(tmp_path / "meeting.toml", line, message)


def line_of(text: str, fragment: str) -> int:
    """The number of the first line of `text` that contains `fragment`."""
    return next(number for number, line in enumerate(text.splitlines(), 1) if fragment in line)


def edit(old: str, new: str, text: str = VALID) -> str:
    assert old in text
    return text.replace(old, new, 1)


# The example and the defaults


def test_the_example_loads():
    meetings, problems = load_meetings(EXAMPLE_DIR, everything)
    assert problems == []
    (meeting,) = meetings
    assert meeting.id == "security-collab-space"
    assert meeting.source == EXAMPLE_DIR / "security-collab-space.toml"
    assert meeting.name == "OpenJS Foundation Security Collab Space Meeting"
    assert meeting.repo == "openjs-foundation/security-collab-space"
    assert meeting.slots == (model.Slot(
        timezone="America/Los_Angeles", start=dt.datetime(2023, 9, 11, 8, 30), rrule="FREQ=WEEKLY;BYDAY=MO",
        duration_minutes=60, create_days_before=7),)
    assert meeting.agenda == model.AgendaConfig(label="security-agenda", orgs=("openjs-foundation",))
    assert meeting.issue.labels == ("security-meeting-agenda",)
    assert meeting.notes == model.NotesConfig(provider=NotesProvider.REPO, path="meetings/{{ date }}.md")
    assert meeting.calendar.provider is CalendarProvider.NONE
    assert meeting.vars["calendar_url"] == "https://calendar.openjsf.org"
    assert meeting.vars["join_url"].startswith("https://zoom-lfx.platform.linuxfoundation.org/meeting/")


def test_the_example_asks_only_for_the_templates_it_uses():
    asked = []
    load_meetings(EXAMPLE_DIR, lambda name: asked.append(name) or True)
    assert asked == [model.DEFAULT_ISSUE_TEMPLATE, model.DEFAULT_NOTES_TEMPLATE]


def test_a_minimal_file_gets_the_defaults(tmp_path):
    meeting = meeting_of(tmp_path, VALID)
    assert meeting.id == "meeting"
    assert meeting.title == model.DEFAULT_TITLE
    assert meeting.issue == model.IssueConfig()
    assert meeting.notes == model.NotesConfig()
    assert meeting.calendar == model.CalendarConfig()
    assert meeting.vars == {}
    assert meeting.display_zones == model.DEFAULT_DISPLAY_ZONES
    assert meeting.slots[0].duration_minutes == model.DEFAULT_DURATION_MINUTES


def test_every_key_of_the_spec_is_read(tmp_path):
    text = VALID + """
orgs = ["octo-org"]
repos = ["other/repo"]
include_pull_requests = false
skip_if_empty = true

[issue]
template = "my-issue.md.j2"
labels = ["meeting", "agenda"]
close_previous = true

[notes]
provider = "hackmd"
template = "my-notes.md.j2"
hackmd_team = "octo-team"
hackmd_read_permission = "signed_in"
hackmd_write_permission = "owner"
hackmd_comment_permission = "everyone"

[calendar]
provider = "google"
calendar_id = "c_1@group.calendar.google.com"
template = "my-event.txt.j2"
"""
    text = edit('rrule = "FREQ=WEEKLY;BYDAY=MO"', 'rrule = "FREQ=WEEKLY;INTERVAL=2;COUNT=10"\n'
                'duration_minutes = 90\ncreate_days_before = 0\nskip_dates = [2023-12-25, 2024-01-01]', text)
    text = 'title = "{{ name }}: {{ date }}"\ndisplay_zones = ["UTC", "Asia/Tokyo"]\n' + text
    meeting = meeting_of(tmp_path, text)
    assert meeting.title == "{{ name }}: {{ date }}"
    assert meeting.display_zones == ("UTC", "Asia/Tokyo")
    assert meeting.slots[0].skip_dates == (dt.date(2023, 12, 25), dt.date(2024, 1, 1))
    assert (meeting.slots[0].duration_minutes, meeting.slots[0].create_days_before) == (90, 0)
    assert meeting.agenda == model.AgendaConfig("agenda", ("octo-org",), ("other/repo",), False, True)
    assert meeting.issue == model.IssueConfig("my-issue.md.j2", ("meeting", "agenda"), True)
    assert meeting.notes == model.NotesConfig(
        NotesProvider.HACKMD, "my-notes.md.j2", model.DEFAULT_NOTES_PATH, "octo-team", "signed_in", "owner",
        "everyone")
    assert meeting.calendar == model.CalendarConfig(
        CalendarProvider.GOOGLE, "c_1@group.calendar.google.com", "my-event.txt.j2")


def test_hackmd_without_a_team_is_a_personal_workspace(tmp_path):
    meeting = meeting_of(tmp_path, VALID + '[notes]\nprovider = "hackmd"\n')
    assert meeting.notes.hackmd_team is None


def test_vars_take_any_toml_values(tmp_path):
    meeting = meeting_of(tmp_path, VALID + '[vars]\nurl = "https://x"\nn = 3\nlist = [1, "a"]\nt = {a = 1}\n')
    assert meeting.vars == {"url": "https://x", "n": 3, "list": [1, "a"], "t": {"a": 1}}


# The directory


def test_a_missing_directory_is_a_problem(tmp_path):
    assert load_meetings(tmp_path / "nope", everything) == (
        [], [Problem(tmp_path / "nope", 0, config.CONFIG_DIR_MISSING)])


def test_a_directory_without_meeting_files_is_a_problem(tmp_path):
    write(tmp_path, VALID, "meeting.txt")
    assert load_meetings(tmp_path, everything) == ([], [Problem(tmp_path, 1, config.NO_MEETING_FILES)])


def test_files_load_in_name_order_and_ids_are_stems(tmp_path):
    write(tmp_path, VALID, "b.toml")
    write(tmp_path, VALID, "a-1.x_y.toml")
    meetings, problems = load_meetings(tmp_path, everything)
    assert [meeting.id for meeting in meetings] == ["a-1.x_y", "b"]
    assert problems == []


@pytest.mark.parametrize("stem", ["Upper", "-dash", "with space", ".hidden", "_under"])
def test_a_meeting_id_must_be_lowercase_and_simple(tmp_path, stem):
    path = write(tmp_path, VALID, f"{stem}.toml")
    assert load_meeting(path, everything) == (
        None, [Problem(path, 1, config.BAD_MEETING_ID.format(id=stem, pattern=config.MEETING_ID))])


def test_problems_of_all_files_are_reported_together(tmp_path):
    first = edit('label = "agenda"', 'lable = "agenda"')
    first = edit('timezone = "Europe/Amsterdam"', 'timezone = "Mars/Olympus"', first)
    second = edit('repo = "octo-org/meetings"', 'repo = "meetings"')
    write(tmp_path, first, "a.toml")
    write(tmp_path, second, "b.toml")
    write(tmp_path, VALID, "c.toml")
    meetings, problems = load_meetings(tmp_path, everything)
    assert [meeting.id for meeting in meetings] == ["c"]
    assert [str(problem) for problem in problems] == [
        f"{tmp_path / 'a.toml'}:5: "
        + config.UNKNOWN_ZONE.format(key="schedule.timezone", value="Mars/Olympus", hint=""),
        # one mistake, one line: no "missing required key 'label'" besides the did-you-mean
        f"{tmp_path / 'a.toml'}:10: " + tomlines.UNKNOWN_KEY.format(
            key="lable", table="[agenda]", hint=tomlines.DID_YOU_MEAN.format(match="label"),
            allowed=", ".join(config.AGENDA_KEYS)),
        f"{tmp_path / 'b.toml'}:2: " + config.BAD_REPO.format(key="repo", value="meetings"),
    ]


# Reading the file


def test_a_toml_syntax_error_has_its_line_and_no_position_suffix(tmp_path):
    text = edit('rrule = "FREQ=WEEKLY;BYDAY=MO"', "rrule = FREQ=WEEKLY")
    with pytest.raises(tomllib.TOMLDecodeError) as raised:
        tomllib.loads(text)
    bare = str(raised.value).split(" (at line")[0]
    assert problem_of(tmp_path, text) == (line_of(text, "rrule"), config.TOML_SYNTAX.format(error=bare))


def test_a_syntax_error_at_the_end_is_on_the_last_line(tmp_path):
    text = VALID + 'title = "unterminated'
    line, message = problem_of(tmp_path, text)
    assert line == text.count("\n") + 1
    assert "(at" not in message


def test_newer_pythons_give_the_line_as_attributes():
    error = tomllib.TOMLDecodeError("Invalid value (at line 3, column 4)")
    error.msg, error.lineno = "Invalid value", 3
    assert config._syntax_error(error, "a\nb\nc\n") == (3, config.TOML_SYNTAX.format(error="Invalid value"))


def test_a_file_that_is_not_utf8_is_a_problem_at_the_bad_byte(tmp_path):
    path = write(tmp_path, VALID.encode() + b'title = "\xff"\n')
    assert load_meeting(path, everything) == (None, [Problem(path, VALID.count("\n") + 1, config.NOT_UTF8)])


def test_a_byte_order_mark_is_accepted(tmp_path):
    assert load_meeting(write(tmp_path, b"\xef\xbb\xbf" + VALID.encode()), everything)[1] == []


def test_an_unreadable_file_is_a_problem(tmp_path):
    (tmp_path / "dir.toml").mkdir()
    meeting, (problem,) = load_meeting(tmp_path / "dir.toml", everything)
    assert problem.line == 1
    assert problem.message.startswith(config.CANNOT_READ.format(error=""))


# Unknown and missing keys


@pytest.mark.parametrize("text, where, key, table, allowed, match", [
    ('nmae = "x"\n' + VALID, 'nmae', "nmae", tomlines.TOP_LEVEL, config.ROOT_KEYS, "name"),
    (VALID + "zzz = 1\n", "zzz", "zzz", "[agenda]", config.AGENDA_KEYS, None),
    (edit("rrule", "timezon = 1\nrrule"), "timezon =", "timezon", "[schedule]", config_schedule.SLOT_KEYS, "timezone"),
    (VALID + "[notes]\nprovder = 'repo'\n", "provder", "provder", "[notes]", config.NOTES_KEYS, "provider"),
    (VALID + "[issue]\nlabel = []\n", "label = []", "label", "[issue]", config.ISSUE_KEYS, "labels"),
    (VALID + "[calendar]\nid = ''\n", "id = ''", "id", "[calendar]", config.CALENDAR_KEYS, None),
])
def test_an_unknown_key_is_named_with_the_allowed_ones(tmp_path, text, where, key, table, allowed, match):
    hint = tomlines.DID_YOU_MEAN.format(match=match) if match else ""
    assert problem_of(tmp_path, text) == (line_of(text, where), tomlines.UNKNOWN_KEY.format(
        key=key, table=table, hint=hint, allowed=", ".join(allowed)))


@pytest.mark.parametrize("old, key, table, line", [
    ('name = "Test Meeting"\n', "name", tomlines.TOP_LEVEL, 1),
    ('repo = "octo-org/meetings"\n', "repo", tomlines.TOP_LEVEL, 1),
    ('timezone = "Europe/Amsterdam"\n', "timezone", "[schedule]", 4),
    ("start = 2023-09-11T08:30:00\n", "start", "[schedule]", 4),
    ('label = "agenda"\n', "label", "[agenda]", 9),
])
def test_a_missing_key_is_reported_at_its_table(tmp_path, old, key, table, line):
    assert problem_of(tmp_path, edit(old, "")) == (line, tomlines.MISSING_KEY.format(key=key, table=table))


SCHEDULE_TABLE = VALID[VALID.index("[schedule]"):VALID.index("\n[agenda]")]
AGENDA_TABLE = VALID[VALID.index("[agenda]"):]


@pytest.mark.parametrize("block, table", [(SCHEDULE_TABLE, "schedule"), (AGENDA_TABLE, "agenda")])
def test_a_missing_table_is_reported_at_line_one(tmp_path, block, table):
    assert problem_of(tmp_path, edit(block, "")) == (1, config.MISSING_TABLE.format(table=table))


# Wrong types


DURATION, CREATE, SKIP = "schedule.duration_minutes", "schedule.create_days_before", "schedule.skip_dates"
REPO = 'repo = "octo-org/meetings"'


@pytest.mark.parametrize("old, new, where, form, key", [
    ('name = "Test Meeting"', "name = 1", "name", tomlines.MUST_BE_STRING, "name"),
    ('name = "Test Meeting"', 'name = ""', "name", tomlines.MUST_NOT_BE_EMPTY, "name"),
    ("rrule", "duration_minutes = true\nrrule", "duration", tomlines.MUST_BE_INTEGER, DURATION),
    ("rrule", "duration_minutes = 60.0\nrrule", "duration", tomlines.MUST_BE_INTEGER, DURATION),
    ("rrule", 'create_days_before = "7"\nrrule', "create", tomlines.MUST_BE_INTEGER, CREATE),
    ("rrule", 'skip_dates = ["2023-12-25"]\nrrule', "skip", config_schedule.MUST_BE_DATES, SKIP),
    ("rrule", "skip_dates = [2023-12-25T08:30:00]\nrrule", "skip", config_schedule.MUST_BE_DATES, SKIP),
    ("rrule", "vars = 1\nrrule", "vars", tomlines.MUST_BE_TABLE, "schedule.vars"),
    ('label = "agenda"', 'label = "a"\norgs = "octo-org"', "orgs", tomlines.MUST_BE_STRINGS, "agenda.orgs"),
    ('label = "agenda"', 'label = "a"\nrepos = [1]', "repos", tomlines.MUST_BE_STRINGS, "agenda.repos"),
    ('label = "agenda"', 'label = "a"\ninclude_pull_requests = "yes"', "include", tomlines.MUST_BE_BOOLEAN,
     "agenda.include_pull_requests"),
    ('label = "agenda"', 'label = "a"\n[issue]\nclose_previous = 1', "close", tomlines.MUST_BE_BOOLEAN,
     "issue.close_previous"),
    ('label = "agenda"', 'label = "a"\n[issue]\ntemplate = 1', "template", tomlines.MUST_BE_STRING,
     "issue.template"),
    (REPO, REPO + "\nvars = []", "vars", tomlines.MUST_BE_TABLE, "vars"),
    (REPO, REPO + '\nissue = "x"', "issue", tomlines.MUST_BE_TABLE, "issue"),
    (REPO, REPO + "\nnotes = []", "notes", tomlines.MUST_BE_TABLE, "notes"),
    (REPO, REPO + "\ncalendar = 1", "calendar", tomlines.MUST_BE_TABLE, "calendar"),
    (REPO, REPO + "\ndisplay_zones = []", "display", tomlines.MUST_NOT_BE_EMPTY, "display_zones"),
])
def test_a_wrong_type_is_reported_at_its_key(tmp_path, old, new, where, form, key):
    text = edit(old, new)
    assert problem_of(tmp_path, text) == (line_of(text, where), form.format(key=key))


def test_schedule_must_be_tables(tmp_path):
    text = edit("[schedule]\n", "schedule = 1\n[vars]\n")  # the schedule's keys become free vars
    assert problem_of(tmp_path, text) == (4, config_schedule.MUST_BE_SCHEDULE)


def test_a_required_table_of_the_wrong_type_is_one_problem(tmp_path):
    text = edit(AGENDA_TABLE, "", edit(REPO, REPO + "\nagenda = 1"))
    assert problem_of(tmp_path, text) == (3, tomlines.MUST_BE_TABLE.format(key="agenda"))


@pytest.mark.parametrize("value, form", [
    ("2023-09-11", config_schedule.START_DATE_ONLY),
    ("2023-09-11T08:30:00-07:00", config_schedule.START_HAS_OFFSET),
    ("2023-09-11T15:30:00Z", config_schedule.START_HAS_OFFSET),
    ("08:30:00", config_schedule.START_NOT_DATETIME),
    ('"2023-09-11T08:30:00"', config_schedule.START_NOT_DATETIME),
])
def test_start_must_be_a_local_date_time(tmp_path, value, form):
    text = edit("start = 2023-09-11T08:30:00", f"start = {value}")
    assert problem_of(tmp_path, text) == (line_of(text, "start"), form.format(key="schedule.start"))
    assert config_schedule.LOCAL_TIME_HINT in form


@pytest.mark.parametrize("key, value, low, high", [
    ("duration_minutes", 0, 1, 24 * 60),
    ("duration_minutes", 24 * 60 + 1, 1, 24 * 60),
    ("create_days_before", -1, 0, 366),
    ("create_days_before", 367, 0, 366),
])
def test_numbers_must_be_in_range(tmp_path, key, value, low, high):
    text = edit("rrule", f"{key} = {value}\nrrule")
    assert problem_of(tmp_path, text) == (line_of(text, key), tomlines.OUT_OF_RANGE.format(
        key=f"schedule.{key}", low=low, high=high))


def test_the_largest_values_in_range_are_fine(tmp_path):
    text = edit("rrule", "duration_minutes = 1440\ncreate_days_before = 366\nrrule")
    slot = meeting_of(tmp_path, text).slots[0]
    assert (slot.duration_minutes, slot.create_days_before) == (1440, 366)


# Time zones and rules


@pytest.mark.parametrize("zone", [
    "Mars/Olympus", "America", "utc", "../etc/passwd", "/etc/localtime", "Europe/Amsterdam ", "a" * 300,
])
def test_an_unknown_time_zone_is_a_problem(tmp_path, zone):
    text = edit('timezone = "Europe/Amsterdam"', f"timezone = {json.dumps(zone)}")
    assert problem_of(tmp_path, text) == (5, config.UNKNOWN_ZONE.format(
        key="schedule.timezone", value=zone, hint=suggest.zone_hint(zone)))


def test_a_bad_display_zone_is_reported_at_its_own_line(tmp_path):
    text = 'display_zones = [\n  "UTC",\n  "Nowhere/City",\n]\n' + VALID
    assert problem_of(tmp_path, text) == (3, config.UNKNOWN_ZONE.format(
        key="display_zones", value="Nowhere/City", hint=""))


@pytest.mark.parametrize("rule", [
    "FREQ=SOMETIMES", "FREQ=WEEKLY;BYDAY=XX", "FREQ=WEEKLY;BYHOUR=99", "WEEKLY", "X-NAME:1",
])
def test_an_invalid_rule_is_a_problem(tmp_path, rule):
    text = edit('rrule = "FREQ=WEEKLY;BYDAY=MO"', f'rrule = "{rule}"')
    line, message = problem_of(tmp_path, text)
    assert line == line_of(text, "rrule")
    prefix = config_schedule.BAD_RRULE.format(key="schedule.rrule", rule=rule, error="")
    assert message.startswith(prefix) and len(message) > len(prefix)


@pytest.mark.parametrize("rule", [
    "DTSTART:20230911T083000\\nRRULE:FREQ=WEEKLY", "FREQ=WEEKLY;dtstart=20230911",
])
def test_a_rule_must_not_carry_its_own_start(tmp_path, rule):
    text = edit('rrule = "FREQ=WEEKLY;BYDAY=MO"', f'rrule = "{rule}"')
    assert problem_of(tmp_path, text) == (line_of(text, "rrule"), config_schedule.RRULE_DTSTART.format(
        key="schedule.rrule"))


def test_a_rule_is_one_rrule_not_a_set(tmp_path):
    text = edit('rrule = "FREQ=WEEKLY;BYDAY=MO"', 'rrule = "RRULE:FREQ=WEEKLY\\nEXDATE:20230918T083000"')
    assert problem_of(tmp_path, text)[1] == config_schedule.RRULE_NOT_ONE_RULE.format(key="schedule.rrule")


def test_until_in_utc_gets_a_hint(tmp_path):
    text = edit('rrule = "FREQ=WEEKLY;BYDAY=MO"', 'rrule = "FREQ=WEEKLY;UNTIL=20241231T235959Z"')
    assert problem_of(tmp_path, text)[1] == config_schedule.RRULE_UNTIL_UTC.format(key="schedule.rrule")


@pytest.mark.parametrize("rule", [
    "FREQ=WEEKLY;COUNT=10", "FREQ=WEEKLY;UNTIL=20241231T235959", "RRULE:FREQ=MONTHLY;BYDAY=2TU",
])
def test_count_until_and_the_rrule_prefix_are_fine(tmp_path, rule):
    text = edit('rrule = "FREQ=WEEKLY;BYDAY=MO"', f'rrule = "{rule}"')
    assert meeting_of(tmp_path, text).slots[0].rrule == rule


def test_without_a_rule_the_meeting_is_a_one_off(tmp_path):
    assert meeting_of(tmp_path, edit('rrule = "FREQ=WEEKLY;BYDAY=MO"\n', "")).slots[0].rrule is None


# Feeds


FEED = VALID.replace('start = 2023-09-11T08:30:00\nrrule = "FREQ=WEEKLY;BYDAY=MO"\n',
                     'ics_url = "https://calendar.example.org/feed.ics"\nics_match = "Security"\n')


def test_a_feed_replaces_start_and_rule(tmp_path):
    slot = meeting_of(tmp_path, FEED).slots[0]
    assert (slot.start, slot.rrule) == (None, None)
    assert (slot.ics_url, slot.ics_match) == ("https://calendar.example.org/feed.ics", "Security")


def test_a_feed_is_exclusive_with_start_and_rule(tmp_path):
    text = edit("ics_match", "start = 2023-09-11T08:30:00\nics_match", FEED)
    assert problem_of(tmp_path, text) == (line_of(text, "ics_url"), config_schedule.ICS_EXCLUSIVE.format(
        key="schedule.ics_url"))


@pytest.mark.parametrize("url", [
    "ftp://example.org/feed.ics", "calendar.example.org", "https://", "https://a b", "https:///path",
])
def test_a_feed_url_must_be_http(tmp_path, url):
    text = edit("https://calendar.example.org/feed.ics", url, FEED)
    assert problem_of(tmp_path, text) == (line_of(text, "ics_url"), config_schedule.ICS_URL_NOT_HTTP.format(
        key="schedule.ics_url"))


def test_a_feed_match_needs_a_feed(tmp_path):
    text = edit("rrule", 'ics_match = "x"\nrrule')
    assert problem_of(tmp_path, text) == (line_of(text, "ics_match"), config_schedule.ICS_MATCH_WITHOUT_URL.format(
        key="schedule.ics_match"))


# GitHub names


@pytest.mark.parametrize("repo", ["a" * 39 + "/x", "o/.github", "O-1/a.b_c-d", "o/" + "r" * 100])
def test_valid_repositories(tmp_path, repo):
    assert meeting_of(tmp_path, edit("octo-org/meetings", repo)).repo == repo


@pytest.mark.parametrize("repo", [
    "meetings", "octo/", "/x", "-octo/x", "a" * 40 + "/x", "o/..", "o/.", "o r/x", "o/x/y", "o/" + "r" * 101,
    "o_o/x", "o/x y",
])
def test_invalid_repositories(tmp_path, repo):
    text = edit("octo-org/meetings", repo)
    assert problem_of(tmp_path, text) == (2, config.BAD_REPO.format(key="repo", value=repo))


def test_each_bad_agenda_repository_is_reported_at_its_line(tmp_path):
    text = VALID + 'repos = [\n  "ok/one",\n  "bad",\n  "ok/two",\n  "-bad/x",\n]\n'
    meeting, problems = load(tmp_path, text)
    assert problems == [
        at(tmp_path, line_of(text, '"bad"'), config.BAD_REPO.format(key="agenda.repos", value="bad")),
        at(tmp_path, line_of(text, "-bad/x"), config.BAD_REPO.format(
            key="agenda.repos", value="-bad/x")),
    ]


@pytest.mark.parametrize("org", ["-octo", "octo/org", "a" * 40, ""])
def test_invalid_organisations(tmp_path, org):
    text = VALID + f'orgs = ["{org}"]\n'
    assert problem_of(tmp_path, text) == (line_of(text, "orgs"), config.BAD_ORG.format(
        key="agenda.orgs", value=org))


@pytest.mark.parametrize("label", ["x" * 51, "two\\nlines", "cr\\r"])
def test_invalid_agenda_labels(tmp_path, label):
    text = edit('label = "agenda"', f'label = "{label}"')
    value = tomllib.loads(text)["agenda"]["label"]
    assert problem_of(tmp_path, text) == (10, config.BAD_LABEL.format(
        key="agenda.label", value=value))


def test_an_empty_label_is_a_problem(tmp_path):
    text = edit('label = "agenda"', 'label = ""')
    assert problem_of(tmp_path, text) == (10, tomlines.MUST_NOT_BE_EMPTY.format(key="agenda.label"))


def test_a_label_of_fifty_characters_is_fine(tmp_path):
    assert meeting_of(tmp_path, edit('label = "agenda"', f'label = "{"x" * 50}"')).agenda.label == "x" * 50


def test_issue_labels_are_labels(tmp_path):
    text = VALID + '[issue]\nlabels = ["ok", ""]\n'
    assert problem_of(tmp_path, text) == (line_of(text, "labels"), config.BAD_LABEL.format(
        key="issue.labels", value=""))


# Providers and choices


@pytest.mark.parametrize("table, key, value, choices", [
    ("notes", "provider", "gdocs", "repo, hackmd, none"),
    ("notes", "provider", 1, "repo, hackmd, none"),
    ("notes", "hackmd_read_permission", "everyone", ", ".join(config.HACKMD_PERMISSIONS)),
    ("notes", "hackmd_write_permission", "anyone", ", ".join(config.HACKMD_PERMISSIONS)),
    ("notes", "hackmd_comment_permission", "guest", ", ".join(config.HACKMD_COMMENT_PERMISSIONS)),
    ("calendar", "provider", "outlook", "google, none"),
])
def test_a_value_outside_its_choices_is_a_problem(tmp_path, table, key, value, choices):
    text = VALID + f"[{table}]\n{key} = {json.dumps(value)}\n"
    assert problem_of(tmp_path, text) == (line_of(text, key + " ="), tomlines.BAD_CHOICE.format(
        key=f"{table}.{key}", choices=choices))


def test_google_needs_a_calendar_id(tmp_path):
    text = VALID + '[calendar]\nprovider = "google"\n'
    assert problem_of(tmp_path, text) == (line_of(text, "provider"), config.REQUIRED_WHEN.format(
        key="calendar.provider", value="google", other="calendar.calendar_id"))


# Templates


def test_a_missing_template_is_reported_at_its_key(tmp_path):
    text = VALID + '[issue]\ntemplate = "gone.md.j2"\n'
    assert problem_of(tmp_path, text, lambda name: name != "gone.md.j2") == (
        line_of(text, "gone"), config.MISSING_TEMPLATE.format(key="issue.template", name="gone.md.j2", hint=""))


def test_a_missing_default_template_is_reported_at_line_one(tmp_path):
    assert problem_of(tmp_path, VALID, lambda name: name != model.DEFAULT_NOTES_TEMPLATE) == (
        1, config.MISSING_TEMPLATE.format(key="notes.template", name=model.DEFAULT_NOTES_TEMPLATE, hint=""))


ISSUE_AND_NOTES = [model.DEFAULT_ISSUE_TEMPLATE, model.DEFAULT_NOTES_TEMPLATE]


@pytest.mark.parametrize("tables, used", [
    ("", ISSUE_AND_NOTES),
    ('[notes]\nprovider = "none"\n', [model.DEFAULT_ISSUE_TEMPLATE]),
    ('[notes]\nprovider = "hackmd"\n', ISSUE_AND_NOTES),
    ('[calendar]\nprovider = "none"\ntemplate = "e.j2"\n', ISSUE_AND_NOTES),
    ('[calendar]\nprovider = "google"\ncalendar_id = "c"\n', ISSUE_AND_NOTES + [model.DEFAULT_EVENT_TEMPLATE]),
])
def test_only_the_templates_in_use_are_checked(tmp_path, tables, used):
    asked = []
    load(tmp_path, VALID + tables, lambda name: asked.append(name) or True)
    assert asked == used


@pytest.mark.parametrize("key, table", [("title", ""), ("path", "[notes]\n")])
def test_template_text_must_parse(tmp_path, key, table):
    line = f'{key} = "{{{{ name "\n'
    text = VALID + table + line if table else line + VALID
    line, message = problem_of(tmp_path, text)
    assert line == line_of(text, f"{key} =")
    dotted = f"notes.{key}" if table else key
    assert message.startswith(config.BAD_TEMPLATE_TEXT.format(key=dotted, error=""))


# Several slots


SLOTS = """\
name = "Alternating"
repo = "octo-org/meetings"

[vars]
join_url = "https://example.org/default"

[[schedule]]
timezone = "UTC"
start = 2023-09-05T13:00:00
rrule = "FREQ=WEEKLY;INTERVAL=2"

[schedule.vars]
join_url = "https://example.org/early"

[[schedule]]
timezone = "UTC"
start = 2023-09-12T17:00:00
rrule = "FREQ=WEEKLY;INTERVAL=2"
vars = { join_url = "https://example.org/late", host = "Ana" }

[agenda]
label = "agenda"
"""


def test_several_schedule_tables_make_several_slots_with_their_vars(tmp_path):
    meeting = meeting_of(tmp_path, SLOTS)
    early, late = meeting.slots
    assert early.start == dt.datetime(2023, 9, 5, 13) and late.start == dt.datetime(2023, 9, 12, 17)
    assert early.vars == {"join_url": "https://example.org/early"}
    assert late.vars == {"join_url": "https://example.org/late", "host": "Ana"}
    assert meeting.vars == {"join_url": "https://example.org/default"}
    assert meeting.timezone == "UTC"


def test_a_single_schedule_may_have_vars(tmp_path):
    assert meeting_of(tmp_path, VALID + "[schedule.vars]\nroom = 3\n").slots[0].vars == {"room": 3}


def test_problems_in_the_second_slot_point_into_it(tmp_path):
    text = edit('start = 2023-09-12T17:00:00', 'start = 2023-09-12', SLOTS)
    text = edit('vars = { join', 'lenght = 1\nvars = { join', text)
    meeting, problems = load(tmp_path, text)
    assert problems == [
        at(tmp_path, 17, config_schedule.START_DATE_ONLY.format(key="schedule.start")),
        at(tmp_path, 19, tomlines.UNKNOWN_KEY.format(
            key="lenght", table="[[schedule]]", hint="", allowed=", ".join(config_schedule.SLOT_KEYS))),
    ]


def test_an_empty_schedule_array_is_a_problem(tmp_path):
    text = 'schedule = []\n' + VALID.replace("[schedule]", "[other]")
    meeting, problems = load(tmp_path, text)
    assert at(tmp_path, 1, config_schedule.MUST_BE_SCHEDULE) in problems


# Any damage to a file gives problems, never an exception


BASES = [(EXAMPLE_DIR / "security-collab-space.toml").read_text(), SLOTS]
VALUES = [
    "1", "true", '"x"', '[1, "a"]', "{ a = 1 }", "2023-01-01", "08:00:00", "1979-05-27T07:32:00Z", "3.5", '""',
    "[]", "-1", "2023-09-11T08:30:00",
]


@st.composite
def damaged(draw) -> bytes:
    lines = draw(st.sampled_from(BASES)).splitlines(keepends=True)
    for _ in range(draw(st.integers(1, 4))):
        index = draw(st.integers(0, len(lines) - 1))
        kind = draw(st.sampled_from(["delete", "duplicate", "value", "string", "text", "bytes"]))
        if kind == "delete":
            del lines[index]
        elif kind == "duplicate":
            lines.insert(index, lines[index])
        elif kind in ("value", "string") and " = " in lines[index]:
            value = draw(st.sampled_from(VALUES) if kind == "value" else st.text(max_size=20).map(json.dumps))
            lines[index] = lines[index].split(" = ")[0] + " = " + value + "\n"
        elif kind == "text":
            lines.insert(index, draw(st.text(max_size=30)))
        lines = lines or [""]
    data = "".join(lines).encode("utf-8", "surrogatepass")
    if draw(st.booleans()) and draw(st.booleans()):
        at = draw(st.integers(0, len(data)))
        data = data[:at] + draw(st.binary(max_size=8)) + data[at:]
    return data


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=damaged())
def test_a_damaged_file_gives_a_meeting_or_problems_never_an_exception(tmp_path, data):
    path = write(tmp_path, data)
    meeting, problems = load_meeting(path, everything)
    assert (meeting is None) == bool(problems)
    for problem in problems:
        assert problem.file == path
        assert 1 <= problem.line <= len(data.splitlines()) + 1
        assert str(problem) == f"{path}:{problem.line}: {problem.message}"


EVERY_SECOND_OF_THE_DAY = (
    "FREQ=DAILY;BYHOUR=" + ",".join(map(str, range(24)))
    + ";BYMINUTE=" + ",".join(map(str, range(60))) + ";BYSECOND=" + ",".join(map(str, range(60)))
)


@pytest.mark.parametrize(
    "rule", ["FREQ=SECONDLY", "FREQ=HOURLY;INTERVAL=24", EVERY_SECOND_OF_THE_DAY, "FREQ=WEEKLY;BYDAY=MO;BYHOUR=9,17"]
)
def test_a_rule_that_repeats_more_often_than_daily_is_refused_before_expansion(tmp_path, rule):
    text = edit('rrule = "FREQ=WEEKLY;BYDAY=MO"', f'rrule = "{rule}"')
    assert problem_of(tmp_path, text) == (line_of(text, "rrule"), config_schedule.RRULE_SUB_DAILY.format(
        key="schedule.rrule", rule=rule))


def test_one_time_a_day_by_byhour_is_daily_enough(tmp_path):
    meeting, problems = load(tmp_path, edit('rrule = "FREQ=WEEKLY;BYDAY=MO"', 'rrule = "FREQ=DAILY;BYHOUR=9;BYMINUTE=30"'))
    assert problems == [] and meeting is not None


# Discussions and sections (SPEC section 9)

SECTIONS = VALID + """include_discussions = true

[[agenda.sections]]
title = "Needs a decision"
labels = ["needs-decision"]

[[agenda.sections]]
title = "Security"
labels = ["security", "a label nobody uses yet"]
"""


def test_discussions_and_sections_are_read_in_written_order(tmp_path):
    meeting = meeting_of(tmp_path, SECTIONS)
    assert meeting.agenda.include_discussions is True
    assert meeting.agenda.sections == (
        model.AgendaSection("Needs a decision", ("needs-decision",)),
        model.AgendaSection("Security", ("security", "a label nobody uses yet")),
    )
    assert meeting_of(tmp_path, VALID).agenda.sections == ()
    assert meeting_of(tmp_path, VALID).agenda.include_discussions is False


def test_an_empty_labels_list_is_an_error_at_its_line(tmp_path):
    text = edit('labels = ["needs-decision"]', "labels = []", SECTIONS)
    key = "agenda.sections.labels"
    assert problem_of(tmp_path, text) == (line_of(text, "labels = []"), tomlines.MUST_NOT_BE_EMPTY.format(key=key))


def _header_line(text: str, index: int) -> int:
    """The line of the `index`th `[[agenda.sections]]` header."""
    return [n for n, content in enumerate(text.splitlines(), 1) if content == "[[agenda.sections]]"][index]


@pytest.mark.parametrize(
    "old, new, where, message",
    [
        ('title = "Security"\n', "", 1, tomlines.MISSING_KEY.format(key="title", table="[[agenda.sections]]")),
        ('labels = ["needs-decision"]\n', "", 0, tomlines.MISSING_KEY.format(key="labels", table="[[agenda.sections]]")),
        ('title = "Security"', 'title = ""', 'title = ""', tomlines.MUST_NOT_BE_EMPTY.format(key="agenda.sections.title")),
        ('labels = ["needs-decision"]', 'labels = ["ok", ""]', 'labels = ["ok", ""]',
         config.BAD_LABEL.format(key="agenda.sections.labels", value="")),
        ('labels = ["needs-decision"]', 'labels = "needs-decision"', 'labels = "needs',
         tomlines.MUST_BE_STRINGS.format(key="agenda.sections.labels")),
        ('title = "Security"', 'title = "Needs a decision"\n#', "#",
         config.DUPLICATE_SECTION.format(key="agenda.sections.title", value="Needs a decision")),
        ("include_discussions = true", 'include_discussions = "yes"', "include_discussions",
         tomlines.MUST_BE_BOOLEAN.format(key="agenda.include_discussions")),
    ],
)
def test_section_problems_point_at_their_line(tmp_path, old, new, where, message):
    text = edit(old, new, SECTIONS)
    if isinstance(where, int):
        line = _header_line(text, where)
    else:
        line = line_of(text, where) - (1 if where == "#" else 0)
    assert problem_of(tmp_path, text) == (line, message)


def test_sections_must_be_tables(tmp_path):
    text = VALID + 'sections = ["Needs a decision"]\n'
    assert problem_of(tmp_path, text) == (line_of(text, "sections ="), config.MUST_BE_SECTIONS)


def test_unknown_keys_in_a_section_are_errors(tmp_path):
    text = SECTIONS + 'colour = "red"\n'
    line, message = problem_of(tmp_path, text)
    assert line == line_of(text, "colour") and message.startswith("unknown key 'colour' in [[agenda.sections]]")
ANNOUNCE = VALID + """
[announce]
targets = ["slack", "mail_list"]
on = ["created", "reminder"]
reminder_hours = 12
"""


def test_the_announce_table_is_read(tmp_path):
    announce = meeting_of(tmp_path, ANNOUNCE).announce
    assert announce.targets == ("slack", "mail_list") and announce.reminder_hours == 12
    assert announce.on == (model.AnnounceKind.CREATED, model.AnnounceKind.REMINDER)
    assert announce.template == model.DEFAULT_ANNOUNCE_TEMPLATE


def test_without_an_announce_table_nothing_is_announced(tmp_path):
    announce = meeting_of(tmp_path, VALID).announce
    assert announce.targets == () and announce.on == tuple(model.AnnounceKind)


@pytest.mark.parametrize(("replace", "with_", "line", "message"), [
    ('"mail_list"', '"mail-list"', 13, config.BAD_TARGET.format(key="announce.targets", value="mail-list")),
    ('"mail_list"', '"SLACK"', 13, config.DUPLICATE_TARGET.format(key="announce.targets", value="slack, SLACK")),
    ('"reminder"]', '"reminded"]', 14, config.BAD_KIND.format(key="announce.on", value="reminded")),
])
def test_announce_problems_name_the_line(tmp_path, replace, with_, line, message):
    assert problem_of(tmp_path, ANNOUNCE.replace(replace, with_)) == (line, message)


def test_the_announce_template_must_exist_when_there_are_targets(tmp_path):
    exists = lambda name: name != model.DEFAULT_ANNOUNCE_TEMPLATE  # noqa: E731
    line, message = problem_of(tmp_path, ANNOUNCE, exists)
    expected = config.MISSING_TEMPLATE.format(key="announce.template", name=model.DEFAULT_ANNOUNCE_TEMPLATE, hint="")
    assert message == expected
    assert load(tmp_path, VALID, exists)[1] == []


def test_after_defaults_follow_the_spec(tmp_path):
    after = meeting_of(tmp_path, VALID).after
    assert after == model.AfterConfig(True, model.ArchiveMode.PULL_REQUEST, "meetings/{{ date }}.md", 24, True, True, False)


def test_after_table_is_read(tmp_path):
    text = VALID + (
        '[after]\nclose_issue = false\narchive = "commit"\narchive_path = "minutes/{{ date }}.md"\n'
        "after_hours = 2\ncarry_over = false\naction_items = false\nremove_label = true\n"
    )
    after = meeting_of(tmp_path, text).after
    assert after == model.AfterConfig(False, model.ArchiveMode.COMMIT, "minutes/{{ date }}.md", 2, False, False, True)


@pytest.mark.parametrize(("line", "message"), [
    ('archive = "email"', tomlines.BAD_CHOICE.format(key="after.archive", choices="pull-request, commit, none")),
    ("after_hours = -1", tomlines.OUT_OF_RANGE.format(key="after.after_hours", low=0, high=config.MAX_AFTER_HOURS)),
    ('remove_label = "yes"', tomlines.MUST_BE_BOOLEAN.format(key="after.remove_label")),
    ("archive_later = true", None),
])
def test_after_table_problems(tmp_path, line, message):
    text = VALID + f"[after]\n{line}\n"
    found_line, found = problem_of(tmp_path, text)
    assert found_line == line_of(text, line)
    assert found == message if message else "archive_later" in found


def test_after_must_be_a_table(tmp_path):
    line, message = problem_of(tmp_path, VALID.replace('name = "Test Meeting"', 'name = "Test Meeting"\nafter = 5'))
    assert line == 2 and "after" in message
