"""The NotesStore for `provider = "hackmd"`: one HackMD note per occurrence, through HackMD's REST API v1.

Where each shape comes from (HackMD's published API documentation):

- [USER] https://hackmd.io/@hackmd-api/user-notes-api: `GET /notes` (metadata, no content),
  `GET /notes/{noteId}` (with `content`), `POST /notes` (201, the note), `PATCH /notes/{noteId}` (202).
- [TEAM] https://hackmd.io/@hackmd-api/team-notes-api: `GET|POST /teams/{teamPath}/notes`,
  `PATCH /teams/{teamPath}/notes/{noteId}`; "use GET /notes/:noteId to retrieve the note content".
- [AUTH] https://hackmd.io/@hackmd-api/api-authorization: `Authorization: Bearer <token>`.
- [POLICY] https://hackmd.io/@hackmd-api/api-policy: 100 calls every 5 minutes and a monthly quota;
  `X-RateLimit-UserLimit`, `X-RateLimit-UserRemaining`, `X-RateLimit-UserReset` (a Unix time).
- [OPENAPI] HackMD's OpenAPI description ("HackMD OpenAPI" 1.0.0, as generated into the official client,
  hackmdio/api-client `nodejs/src/generated/types.gen.ts`): the `NoteType` fields, the permission enums,
  201 or 207 `{note, error}` on create, 202 on update, error bodies `{"error": ...}` or `{"message": ...}`,
  429 `{"error": {"code": "quota_exceeded", ...}}` when the monthly quota is spent.

Finding a note again by its key, not its title: the list endpoints return metadata without content [TEAM],
so at creation the note also gets a tag derived from the key, `meeting-bot-<meeting-id>-<date>`, where
HackMD reads tags [USER example: "###### tags: `Personal` `test`" gives tags ["Personal", "test"]]: a
`###### tags:` line after the key line, or a `tags:` line in the content's YAML front matter when it has
one (front matter tags replace the `######` line's, as in HackMD's open-source CodiMD, `extractNoteTags`).
`find` lists the workspace (team or personal), fetches the notes carrying the tag, oldest first, and
takes the first whose content carries the key line. Two calls a pass when the note exists. Right after
creating, `create` looks again: if another run made the occurrence's note at the same moment, the oldest
stays, the one just made is deleted, and Conflict tells the runner to read again, so one note remains.

Permissions (`readPermission`, `writePermission`, `commentPermission`) are sent once, at creation; later
writes send only `content`, so the bot never reverts permissions a human changed, and only the agenda
region the planner rewrote differs. The note's URL is its `publishLink`, unknown until the note exists,
so `url_for` gives None and the planner links the issue on the next round.
"""

from __future__ import annotations

import logging
import time
from typing import Any, Callable
from urllib.parse import quote

import requests

from bot import markers
from bot.adapters.hackmd_text import (  # what a note's text and HackMD's answers mean, offered here too
    note_tag as note_tag,
    tagged as tagged,
    has_tag as has_tag,
    record as record,
    error_message as error_message,
    translate as translate,
    rate_wait as rate_wait,
    quota_code,
    RESET_MARGIN_SECONDS as RESET_MARGIN_SECONDS,
    MESSAGE_LIMIT as MESSAGE_LIMIT,
    TAG_PREFIX as TAG_PREFIX,
    TAGS_LINE as TAGS_LINE,
    QUOTA_CODE as QUOTA_CODE,
    BAD_TOKEN as BAD_TOKEN,
    FORBIDDEN as FORBIDDEN,
    NOT_FOUND as NOT_FOUND,
    RATE_LIMITED as RATE_LIMITED,
    QUOTA_SPENT as QUOTA_SPENT,
    FAILED as FAILED,
    FRONT_MATTER_TAGS as FRONT_MATTER_TAGS,
)
from bot.adapters.retry import TRANSIENT, Failure, Kind, Policy
from bot.logs import LOGGER
from bot.model import Meeting, NotesRecord
from bot.ports import Conflict, NotFound, ServiceError
from bot.settings import Settings

log = logging.getLogger(LOGGER)

DEFAULT_TIMEOUT = 15.0
USER_AGENT = "meeting-bot"

NO_TOKEN = "HackMD notes need HACKMD_TOKEN: set it to an API token made in HackMD under Settings > API"
NOTE_GONE = "HackMD note {id}: deleted meanwhile (404); the next round looks for the note again"
UNREACHABLE = "{what}: cannot reach HackMD at {url} ({kind})"
BAD_ANSWER = "{what}: HackMD's answer is not the JSON its API documents"
PARTLY_CREATED = "HackMD created note {url} but reported a problem (207): {message}"
CREATED_MEANWHILE = "another run made the notes at the same moment: keeping {url}, removed the second one"
TEAM = "HackMD team {team!r}"
PERSONAL = "the HACKMD_TOKEN user's HackMD workspace"
NOTE = "HackMD note {id}"

def _kind(exc: requests.RequestException) -> str:
    return "timed out" if isinstance(exc, requests.Timeout) else type(exc).__name__


class _Refused(Exception):
    """An answer the policy may repeat the request after (429, 5xx); it carries the answer."""

    def __init__(self, response: requests.Response) -> None:
        super().__init__(response.status_code)
        self.response = response


class HackMDNotes:
    """Notes in a HackMD team's workspace (`notes.hackmd_team`), or the token user's own."""

    def __init__(
        self,
        token: str,
        api_url: str,
        cap: float = 60.0,
        *,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.time,
        timeout: float = DEFAULT_TIMEOUT,
        policy: Policy | None = None,
    ) -> None:
        self._timeout = timeout
        self._api_url = api_url.rstrip("/")
        self._cap, self._clock = cap, clock
        self._policy = policy if policy is not None else Policy(cap, sleep=sleep)
        self._session = requests.Session()
        self._session.headers.update(
            {"Authorization": f"Bearer {token}", "Accept": "application/json", "User-Agent": USER_AGENT}
        )

    @classmethod
    def from_settings(cls, settings: Settings, policy: Policy | None = None) -> HackMDNotes:
        """The store for the settings; a missing HACKMD_TOKEN is one clear ServiceError."""
        if settings.hackmd_token is None:
            raise ServiceError(NO_TOKEN)
        return cls(
            settings.hackmd_token.reveal(), settings.hackmd_api_url, settings.max_rate_limit_wait,
            timeout=settings.http_timeout, policy=policy,
        )

    def url_for(self, meeting: Meeting, ref: str) -> str | None:
        return None  # the publishLink exists only once the note does

    def find(self, meeting: Meeting, ref: str, key: str) -> NotesRecord | None:
        tag = note_tag(key)
        _, listed = self._call("GET", _notes_path(meeting), _workspace(meeting))
        if not isinstance(listed, list):
            raise ServiceError(BAD_ANSWER.format(what=_workspace(meeting)))
        candidates = sorted((n for n in listed if isinstance(n, dict) and has_tag(n, tag)), key=_age)
        for listed_note in candidates:
            found = self._note_with_key(str(listed_note.get("id")), key)
            if found is not None:
                return found
        return None

    def create(self, meeting: Meeting, ref: str, key: str, title: str, content: str) -> NotesRecord:
        body = {"title": title, "content": tagged(content, note_tag(key)), **_permissions(meeting)}
        what = _workspace(meeting)
        status, note = self._call("POST", _notes_path(meeting), what, body)
        if status == 207 and isinstance(note, dict):  # created, with a problem beside [OPENAPI]
            problem, note = note.get("error"), note.get("note")
            url = note.get("publishLink") if isinstance(note, dict) else None
            log.warning("%s: %s", meeting.id, PARTLY_CREATED.format(url=url, message=error_message({"error": problem})))
        made = _as_record(note, body["content"], what)
        self._yield_to_older(meeting, made, key)
        return made

    def update(self, meeting: Meeting, record: NotesRecord, content: str, message: str) -> NotesRecord:
        try:
            path, what = _note_path(meeting, record.ref), NOTE.format(id=record.ref)
            self._call("PATCH", path, what, {"content": content}, Kind.SAFE_WRITE)  # sets the whole content
        except NotFound:
            raise Conflict(NOTE_GONE.format(id=record.ref)) from None
        return NotesRecord(url=record.url, content=content, ref=record.ref)

    def reload(self, meeting: Meeting, record: NotesRecord) -> NotesRecord | None:
        """The note as it is now, just before a write, or None when it was deleted."""
        what = NOTE.format(id=record.ref)
        try:
            _, note = self._call("GET", f"/notes/{quote(record.ref, safe='')}", what)
        except NotFound:
            return None
        return _as_record(note, None, what)

    def _yield_to_older(self, meeting: Meeting, made: NotesRecord, key: str) -> None:
        """Another run may have made the occurrence's note at the same moment: the oldest stays, ours goes."""
        first = self.find(meeting, key, key)
        if first is None or first.ref == made.ref:
            return
        try:
            # [TEAM, USER]: 204. Undoing this run's own duplicate is not a write to the meeting: no clock check.
            self._call("DELETE", _note_path(meeting, made.ref), NOTE.format(id=made.ref), kind=Kind.SAFE_WRITE, guard=False)
        except NotFound:
            pass  # gone already
        raise Conflict(CREATED_MEANWHILE.format(url=first.url))

    def _note_with_key(self, note_id: str, key: str) -> NotesRecord | None:
        """The note with its content [TEAM: "use GET /notes/:noteId"], if it is there and carries `key`."""
        what = NOTE.format(id=note_id)
        try:
            _, note = self._call("GET", f"/notes/{quote(note_id, safe='')}", what)
        except NotFound:
            return None  # deleted between the listing and now
        found = _as_record(note, None, what)
        return found if markers.find_key(found.content) == key else None

    def _call(
        self, method: str, path: str, what: str, body: Any = None, kind: Kind | None = None, *, guard: bool = True
    ) -> tuple[int, Any]:
        """One API call through the retry policy: rate limits waited out, transient failures of reads repeated."""
        kind = kind or (Kind.READ if method == "GET" else Kind.WRITE)
        policy = self._policy if guard else self._policy.unguarded()

        def send() -> requests.Response:
            response = self._session.request(method, self._api_url + path, json=body, timeout=self._timeout)
            if response.status_code == 429 or response.status_code >= 500:
                raise _Refused(response)
            return response

        try:
            response = policy.call(send, self._classify, kind)
        except _Refused as refused:
            response = refused.response
        except requests.RequestException as exc:
            raise ServiceError(UNREACHABLE.format(what=what, url=self._api_url, kind=_kind(exc))) from None
        return _answer(response, what, self._cap)

    def _classify(self, exc: BaseException) -> Failure | None:
        """429 [POLICY]: wait until it lifts (a spent monthly quota does not); 5xx and broken connections: transient."""
        if isinstance(exc, requests.RequestException):
            return TRANSIENT
        if not isinstance(exc, _Refused):
            return None
        response = exc.response
        if response.status_code != 429:
            return TRANSIENT
        if quota_code(_json(response)) == QUOTA_CODE:
            return None
        return Failure(rate_limit=True, wait=rate_wait(response.headers, self._clock()))


def _json(response: requests.Response) -> Any:
    try:
        return response.json() if response.content else None
    except ValueError:
        return None


def _answer(response: requests.Response, what: str, cap: float) -> tuple[int, Any]:
    """The status and JSON body (None if empty) of a success; an error status raises a typed error."""
    status, body = response.status_code, _json(response)
    if status >= 400:
        raise translate(status, body, what, cap)
    return status, body


def _as_record(note: Any, content: str | None, what: str) -> NotesRecord:
    found = record(note, content)
    if found is None:
        raise ServiceError(BAD_ANSWER.format(what=what))
    return found


def _age(note: dict) -> tuple:
    """Oldest first [OPENAPI `createdAt`: milliseconds], the id breaking ties, so every run picks the same."""
    created = note.get("createdAt")
    return (created if isinstance(created, (int, float)) else float("inf"), str(note.get("id")))


def _permissions(meeting: Meeting) -> dict:
    """The permissions of the meeting file [USER/TEAM: readPermission, writePermission, commentPermission]."""
    notes = meeting.notes
    return {
        "readPermission": notes.hackmd_read_permission,
        "writePermission": notes.hackmd_write_permission,
        "commentPermission": notes.hackmd_comment_permission,
    }


def _workspace(meeting: Meeting) -> str:
    team = meeting.notes.hackmd_team
    return TEAM.format(team=team) if team else PERSONAL


def _notes_path(meeting: Meeting) -> str:
    team = meeting.notes.hackmd_team
    return f"/teams/{quote(team, safe='')}/notes" if team else "/notes"


def _note_path(meeting: Meeting, note_id: str) -> str:
    return f"{_notes_path(meeting)}/{quote(note_id, safe='')}"
