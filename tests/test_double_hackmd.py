"""The HackMD double, driven by plain ``requests`` over HTTP.

Every exchange a test causes is checked, when the test ends, against the shapes of HackMD's OpenAPI
description (the schemas below, transcribed from "HackMD OpenAPI" 1.0.0 as generated into the
official client, hackmdio/api-client ``nodejs/src/generated/types.gen.ts``), so these tests also pin
the double's JSON shapes and statuses to HackMD's.  Sources are named as in ``tests/doubles/hackmd.py``.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import requests
from openapi_schema_validator import OAS30Validator

from tests.doubles.hackmd import (
    API_VERSION,
    DEFAULT_TOKEN,
    FORBIDDEN,
    NOTE_NOT_FOUND,
    PERMALINK_TAKEN,
    RATE_LIMITED,
    TEAM_NOT_FOUND,
    UNAUTHORIZED,
    VALIDATION_FAILED,
    HackMDDouble,
    parse_tags,
    parse_title,
)
from tests.doubles.http import Exchange

TEAM = "wg-team"
OTHER_TEAM = "other-team"
STRANGER = "stranger"
STRANGER_TOKEN = "hackmd-stranger-token-000000000000"
ROLE = {"type": "string", "enum": ["owner", "signed_in", "guest"]}  # [OPENAPI NotePermissionRole]
PROFILE = {  # [OPENAPI SimpleUserProfile]
    "type": "object",
    "additionalProperties": False,
    "required": ["name", "userPath", "photo", "biography"],
    "properties": {
        "name": {"type": "string"}, "userPath": {"type": "string"}, "photo": {"type": "string"},
        "biography": {"type": "string", "nullable": True},
    },
}
NUMBER, NULLABLE_NUMBER = {"type": "number"}, {"type": "number", "nullable": True}
NULLABLE_STRING = {"type": "string", "nullable": True}
NOTE_TYPE = {  # [OPENAPI NoteType]
    "type": "object",
    "required": [
        "writePermission", "readPermission", "shortId", "publishLink", "permalink", "teamPath", "userPath",
        "publishedAt", "publishType", "lastChangeUser", "tagsUpdatedAt", "titleUpdatedAt", "createdAt",
        "lastChangedAt", "description", "tags", "title", "id",
    ],
    "properties": {
        "folderPaths": {"type": "array"},
        "writePermission": ROLE, "readPermission": ROLE,
        "shortId": {"type": "string"}, "publishLink": {"type": "string"},
        "permalink": NULLABLE_STRING, "teamPath": NULLABLE_STRING, "userPath": NULLABLE_STRING,
        "publishedAt": NULLABLE_NUMBER,
        "publishType": {"type": "string", "enum": ["edit", "view", "slide", "book"]},
        "lastChangeUser": {"allOf": [PROFILE], "nullable": True},
        "tagsUpdatedAt": NULLABLE_NUMBER, "titleUpdatedAt": NULLABLE_NUMBER,
        "createdAt": NUMBER, "lastChangedAt": NUMBER,
        "description": {"type": "string"}, "tags": {"type": "array", "items": {"type": "string"}},
        "title": {"type": "string"}, "id": {"type": "string"},
    },
}
WITH_CONTENT = {"type": "object", "required": ["content"], "properties": {"content": {"type": "string"}}}
SINGLE_NOTE = {"allOf": [NOTE_TYPE, WITH_CONTENT]}  # [OPENAPI SingleNote]
TEAM_SCHEMA = {  # [OPENAPI Team]
    "type": "object",
    "additionalProperties": False,
    "required": ["id", "ownerId", "name", "logo", "path", "description", "visibility", "upgraded", "createdAt"],
    "properties": {
        "id": {"type": "string"}, "ownerId": NULLABLE_STRING, "name": {"type": "string"},
        "logo": {"type": "string"}, "path": {"type": "string"}, "description": NULLABLE_STRING,
        "visibility": {"type": "string", "enum": ["public", "private"]}, "upgraded": {"type": "boolean"},
        "createdAt": NUMBER,
    },
}
USER_SCHEMA = {  # [OPENAPI User]
    "type": "object",
    "required": ["id", "email", "name", "userPath", "photo", "teams", "upgraded"],
    "properties": {
        "id": {"type": "string"}, "email": NULLABLE_STRING, "name": {"type": "string"},
        "userPath": {"type": "string"}, "photo": {"type": "string"},
        "teams": {"type": "array", "items": TEAM_SCHEMA}, "upgraded": {"type": "boolean"},
    },
}
ERROR_SCHEMA = {  # [OPENAPI ApiErrorResponse | ApiRequestErrorResponse | ApiValidationError | quota]
    "oneOf": [
        {"type": "object", "required": ["error"], "properties": {"error": {"type": "string"}}},
        {"type": "object", "required": ["message"], "not": {"required": ["error"]},
         "properties": {"message": {"type": "string"}, "details": {"type": "object"}}},
        {"type": "object", "required": ["error"], "properties": {"error": {
            "type": "object", "required": ["upgradeUrl", "helpUrl", "message", "code"],
            "properties": {"code": {"type": "string", "enum": ["quota_exceeded"]}},
        }}},
    ]
}
SUCCESS = {  # (method, path kind) → (status, schema of the body or None for no body)
    ("GET", "me"): (200, USER_SCHEMA),
    ("GET", "teams"): (200, {"type": "array", "items": TEAM_SCHEMA}),
    ("GET", "notes"): (200, {"type": "array", "items": NOTE_TYPE}),
    ("POST", "notes"): (201, SINGLE_NOTE),
    ("GET", "note"): (200, SINGLE_NOTE),
    ("PATCH", "note"): (202, None),
    ("DELETE", "note"): (204, None),
}


def kind(path: str) -> str:
    """What an API path names: me, teams, a notes collection or one note."""
    parts = path.removeprefix("/v1/").split("/")
    if parts[0] == "teams" and len(parts) > 2:
        parts = parts[2:]
    return {1: parts[0], 2: "note"}.get(len(parts), "?")


def check_exchange(entry: Exchange) -> None:
    """One answer fits HackMD's description: its status, its body's schema and the version header."""
    if entry.fault or entry.status is None:
        return
    assert entry.response_headers.get("X-HackMD-API-Version") == API_VERSION
    if entry.status >= 400:
        OAS30Validator(ERROR_SCHEMA).validate(entry.response)
        return
    status, schema = SUCCESS[(entry.method, kind(entry.path))]
    assert entry.status == status, (entry.method, entry.path)
    if schema is None:
        assert entry.response is None
    else:
        OAS30Validator(schema).validate(entry.response)


@pytest.fixture
def hackmd() -> Iterator[HackMDDouble]:
    """A running double with a team ``wg-team`` of the default user; all its traffic is checked after."""
    with HackMDDouble() as double:
        double.add_team(TEAM)
        yield double
        for entry in double.requests:
            check_exchange(entry)


def call(double: HackMDDouble, method: str, path: str, body: Any = None, token: str | None = DEFAULT_TOKEN):
    """One request to the double, as a client sends it."""
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return requests.request(method, double.url + path, json=body, headers=headers, timeout=10)


def create(double: HackMDDouble, content: str, path: str = f"/teams/{TEAM}/notes", **fields: Any) -> dict:
    answer = call(double, "POST", path, {"content": content, **fields})
    assert answer.status_code == 201, answer.text
    return answer.json()


# ----------------------------------------------------------------- notes and their shapes
def test_a_team_note_is_created_listed_without_content_and_read_with_it(hackmd):
    made = create(hackmd, "# Notes\n", title="WG 2024-03-11", readPermission="guest",
                  writePermission="signed_in", commentPermission="everyone")

    assert made["title"] == "WG 2024-03-11" and made["content"] == "# Notes\n"
    assert (made["teamPath"], made["userPath"]) == (TEAM, None)  # [TEAM example]
    assert (made["readPermission"], made["writePermission"]) == ("guest", "signed_in")
    assert made["publishLink"] == f"https://hackmd.io/@{TEAM}/{made['shortId']}"
    listed = call(hackmd, "GET", f"/teams/{TEAM}/notes").json()
    assert [note["id"] for note in listed] == [made["id"]] and "content" not in listed[0]
    assert call(hackmd, "GET", f"/notes/{made['id']}").json() == made
    assert call(hackmd, "GET", f"/teams/{TEAM}/notes/{made['id']}").json() == made


def test_personal_notes_are_apart_from_team_notes(hackmd):
    mine = create(hackmd, "# Mine\n", path="/notes")
    create(hackmd, "# Team\n")

    assert [note["id"] for note in call(hackmd, "GET", "/notes").json()] == [mine["id"]]
    assert (mine["userPath"], mine["teamPath"]) == ("meeting-bot", None)
    assert mine["publishLink"] == f"https://hackmd.io/@meeting-bot/{mine['shortId']}"


def test_a_string_body_is_the_content_and_no_body_an_empty_untitled_note(hackmd):
    from_string = call(hackmd, "POST", "/notes", "# From a string\n").json()
    empty = call(hackmd, "POST", "/notes").json()

    assert (from_string["content"], from_string["title"]) == ("# From a string\n", "From a string")
    assert (empty["content"], empty["title"]) == ("", "Untitled")


def test_me_and_teams_describe_the_token_user(hackmd):
    hackmd.add_user(STRANGER, STRANGER_TOKEN)
    hackmd.add_team(OTHER_TEAM, members=[STRANGER])

    me = call(hackmd, "GET", "/me").json()

    assert me["userPath"] == "meeting-bot" and [team["path"] for team in me["teams"]] == [TEAM]
    assert [team["path"] for team in call(hackmd, "GET", "/teams").json()] == [TEAM]


# ----------------------------------------------------------------- tags and titles, as HackMD reads them
@pytest.mark.parametrize(
    ("content", "tags"),
    [
        ("# Personal note title\n###### tags: `Personal` `test`", ["Personal", "test"]),  # [USER example]
        ("# A\n###### tags: `a`\n\ntext\n\n###### Tags: `b` `a`\n", ["a", "b"]),
        ("```\n###### tags: `in-code`\n```\n", []),
        ("---\ntags: one, two\n---\n###### tags: `ignored`\n", ["one", "two"]),
        ("---\ntags:\n  - one\n  - two\n---\n", ["one", "two"]),
        ("---\ntitle: T\n---\n###### tags: `kept`\n", ["kept"]),
        ("---\ntags: [unclosed\n---\n###### tags: `read-as-markdown`\n", ["read-as-markdown"]),
        ("###### not tags: `x`\n", []),
    ],
)
def test_tags_come_from_the_front_matter_or_else_the_tags_headings(content, tags):
    assert parse_tags(content) == tags


@pytest.mark.parametrize(
    ("content", "title"),
    [("# First\n# Second\n", "First"), ("---\ntitle: Meta\n---\n# Heading\n", "Meta"), ("text\n", "Untitled")],
)
def test_titles_come_from_the_front_matter_or_the_first_heading(content, title):
    assert parse_title(content) == title


def test_an_update_is_accepted_with_no_body_and_the_content_rederives_the_tags(hackmd):
    made = create(hackmd, "# Old\n###### tags: `old`\n")

    answer = call(hackmd, "PATCH", f"/teams/{TEAM}/notes/{made['id']}", {"content": "# New\n###### tags: `new`\n"})

    assert (answer.status_code, answer.content) == (202, b"")  # [OPENAPI UpdateTeamNote: 202]
    note = hackmd.note(made["id"])
    assert (note["title"], note["tags"], note["content"]) == ("New", ["new"], "# New\n###### tags: `new`\n")
    assert note["readPermission"] == made["readPermission"]  # only what the body names changes


def test_a_persons_edit_is_seen_by_the_api(hackmd):
    made = create(hackmd, "# Notes\n")
    hackmd.edit(made["id"], "# Notes\n\nAlice\n")

    assert call(hackmd, "GET", f"/notes/{made['id']}").json()["content"] == "# Notes\n\nAlice\n"


def test_a_note_is_deleted_with_204(hackmd):
    made = create(hackmd, "# Gone soon\n", path="/notes")

    assert call(hackmd, "DELETE", f"/notes/{made['id']}").status_code == 204
    assert call(hackmd, "GET", f"/notes/{made['id']}").json() == {"error": NOTE_NOT_FOUND}


# ----------------------------------------------------------------- validation
@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("readPermission", "sign_in"),  # the team page's table says sign_in; the enum says signed_in
        ("writePermission", "everyone"),
        ("commentPermission", "guest"),
        ("tags", "a,b"),
        ("title", 7),
    ],
)
def test_values_outside_the_documented_types_and_enums_are_422(hackmd, field, value):
    answer = call(hackmd, "POST", f"/teams/{TEAM}/notes", {"content": "x", field: value})

    assert answer.status_code == 422
    assert answer.json()["message"] == VALIDATION_FAILED and field in answer.json()["details"]
    assert hackmd.notes(TEAM) == []


def test_an_update_body_must_be_an_object(hackmd):
    made = create(hackmd, "# Notes\n")
    answer = call(hackmd, "PATCH", f"/teams/{TEAM}/notes/{made['id']}", "just text")
    assert answer.status_code == 400 and "message" in answer.json()


def test_a_permalink_used_in_the_workspace_is_409(hackmd):
    create(hackmd, "# One\n", permalink="wg-notes")

    assert call(hackmd, "POST", f"/teams/{TEAM}/notes", {"permalink": "wg-notes"}).json() == {"error": PERMALINK_TAKEN}
    assert create(hackmd, "# Mine\n", path="/notes", permalink="wg-notes")["publishLink"].endswith("/wg-notes")


# ----------------------------------------------------------------- credentials, teams, access
@pytest.mark.parametrize("token", [None, "wrong-token"])
def test_a_missing_or_unknown_token_is_401(hackmd, token):
    answer = call(hackmd, "GET", "/notes", token=token)
    assert (answer.status_code, answer.json()) == (401, {"error": UNAUTHORIZED})
    assert "X-RateLimit-UserRemaining" not in answer.headers


def test_a_revoked_token_is_401(hackmd):
    hackmd.remove_token(DEFAULT_TOKEN)
    assert call(hackmd, "GET", "/me").status_code == 401


def test_an_unknown_team_is_404_and_a_team_the_user_is_not_in_is_403(hackmd):
    hackmd.add_user(STRANGER, STRANGER_TOKEN)
    hackmd.add_team(OTHER_TEAM, members=[STRANGER])

    assert call(hackmd, "GET", "/teams/nobody/notes").json() == {"error": TEAM_NOT_FOUND}
    assert call(hackmd, "POST", f"/teams/{OTHER_TEAM}/notes", {}).json() == {"error": FORBIDDEN}
    assert call(hackmd, "GET", f"/teams/{OTHER_TEAM}/notes").status_code == 403


def test_notes_of_other_users_and_teams_are_not_readable(hackmd):
    hackmd.add_user(STRANGER, STRANGER_TOKEN)
    hackmd.add_team(OTHER_TEAM, members=[STRANGER])
    private = hackmd.add_note("# Private\n", owner=STRANGER)
    their_team = hackmd.add_note("# Theirs\n", team=OTHER_TEAM, owner=STRANGER)

    for note in (private, their_team):
        assert call(hackmd, "GET", f"/notes/{note}").status_code == 403
    assert call(hackmd, "GET", "/notes/no-such-note").status_code == 404


def test_a_team_note_is_changed_through_its_teams_path_only(hackmd):
    made = create(hackmd, "# Notes\n")

    assert call(hackmd, "PATCH", f"/notes/{made['id']}", {"content": "x"}).status_code == 403
    assert call(hackmd, "PATCH", f"/teams/{TEAM}/notes/{made['id']}", {"content": "x"}).status_code == 202


def test_an_unknown_path_is_404(hackmd):
    assert call(hackmd, "GET", "/history/nothing").json() == {"error": "Not Found"}


# ----------------------------------------------------------------- rate limits, quota, log, faults
def test_rate_limit_headers_count_down_and_the_limit_is_a_429_until_the_window_passes():
    now = [1_700_000_000.0]
    with HackMDDouble(clock=lambda: now[0]) as double:
        double.set_rate_limit(2, window=300)
        first, second, third = (call(double, "GET", "/notes") for _ in range(3))
        now[0] += 301
        later = call(double, "GET", "/notes")
        for entry in double.requests:
            check_exchange(entry)

    assert [a.headers["X-RateLimit-UserRemaining"] for a in (first, second)] == ["1", "0"]
    assert first.headers["X-RateLimit-UserLimit"] == "2"
    assert first.headers["X-RateLimit-UserReset"] == str(1_700_000_000 + 300)
    assert (third.status_code, third.json()) == (429, {"error": RATE_LIMITED})
    assert later.status_code == 200


def test_a_spent_monthly_quota_is_a_429_with_the_quota_code(hackmd):
    hackmd.set_quota(1)
    call(hackmd, "GET", "/notes")

    answer = call(hackmd, "GET", "/notes")

    assert answer.status_code == 429 and answer.json()["error"]["code"] == "quota_exceeded"


def test_the_log_records_each_exchange_and_faults_replace_answers(hackmd):
    hackmd.inject("GET", r"/notes$", 503)
    failed = call(hackmd, "GET", "/notes")
    made = create(hackmd, "# Notes\n")

    assert (failed.status_code, failed.json()) == (503, {"error": "Service Unavailable"})
    assert [(e.method, e.path, e.status, e.fault) for e in hackmd.requests] == [
        ("GET", "/v1/notes", 503, True),
        ("POST", f"/v1/teams/{TEAM}/notes", 201, False),
    ]
    assert hackmd.writes()[0].body["content"] == "# Notes\n" and made["id"] in {n["id"] for n in hackmd.notes(TEAM)}
