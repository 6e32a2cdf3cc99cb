"""A stateful double of HackMD's public REST API v1, served over HTTP on 127.0.0.1.

Real clients (``requests``, or the bot as a subprocess through ``HACKMD_API_URL``) talk to
:attr:`HackMDDouble.url`, which ends in ``/v1`` like ``https://api.hackmd.io/v1``.  The request
log, fault injection and ``with HackMDDouble() as double:`` come from :mod:`tests.doubles.http`.

Where each behaviour comes from (HackMD's published API documentation):

- [USER] https://hackmd.io/@hackmd-api/user-notes-api: ``GET /notes`` (metadata only),
  ``GET /notes/{noteId}`` (with ``content``), ``POST /notes`` → 201, ``PATCH /notes/{noteId}`` → 202,
  ``DELETE /notes/{noteId}``; the example note ``"content": "# Personal note title\\n###### tags:
  `Personal` `test`"`` has ``"tags": ["Personal", "test"]``.
- [TEAM] https://hackmd.io/@hackmd-api/team-notes-api: the same under ``/teams/{teamPath}/notes``;
  team notes have ``"userPath": null, "teamPath": "CAT"``; "use GET /notes/:noteId" for the content.
- [AUTH] https://hackmd.io/@hackmd-api/api-authorization: ``Authorization: Bearer <token>``; answers
  carry ``X-HackMD-API-Version: 1.0.0``; ``GET /me``.
- [POLICY] https://hackmd.io/@hackmd-api/api-policy: 100 calls every 5 minutes, 2000 a month (free
  plan); ``X-RateLimit-UserLimit``, ``X-RateLimit-UserRemaining``, ``X-RateLimit-UserReset`` (Unix time).
- [OPENAPI] HackMD's OpenAPI description ("HackMD OpenAPI" 1.0.0, as generated into the official
  client hackmdio/api-client ``nodejs/src/generated/types.gen.ts``): ``NoteType``/``SingleNote``,
  ``Team`` and ``User`` fields; enums ``NotePermissionRole`` and ``CommentPermissionType``; create
  201 ``SingleNote`` (or 207 ``{note, error}``), update 202; errors ``{"error": str}`` (401, 403,
  404, 409), ``{"message": str}`` (400), 422 ``{"message": "Validation Failed", "details": {...}}``,
  429 ``{"error": str}`` or ``{"error": {"upgradeUrl", "helpUrl", "message", "code": "quota_exceeded"}}``.
- [CODIMD] HackMD's open-source CodiMD, ``lib/models/note.js``: a note's title is the front matter's
  ``title`` or the first ``#`` heading, else "Untitled"; its tags are the front matter's ``tags``
  (a comma-separated string or a list) or else the code spans of ``###### tags`` headings.

The double's own choices where the documentation is silent: permissions left out of a create are
``owner``/``owner``/``disabled``; ``PATCH``/``DELETE /notes/{id}`` serve the user's own notes and
team notes go through their team's path (403 otherwise); a team the user is not in is 403, an unknown
one 404; a ``permalink`` already used in the workspace is 409; ``publishLink`` is
``https://hackmd.io/@<teamPath or userPath>/<permalink or shortId>``; tags given in a body count only
when the content names none.
"""

from __future__ import annotations

import base64
import re
import secrets
import string
import time
import uuid
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

import yaml

from tests.doubles.http import HTTPDouble, Request, Response

DEFAULT_TOKEN = "hackmd-test-token-0000000000000000"
DEFAULT_USER = "meeting-bot"
WEB = "https://hackmd.io"
API_VERSION = "1.0.0"
PERMISSION_ROLES = ("owner", "signed_in", "guest")  # [OPENAPI NotePermissionRole]
COMMENT_PERMISSIONS = ("disabled", "forbidden", "owners", "signed_in_users", "everyone")  # [OPENAPI]
RATE_LIMIT, RATE_WINDOW = 100, 300  # [POLICY] 100 calls every 5 minutes
SHORT_ID_ALPHABET = string.ascii_letters + string.digits + "_-"
STRING_FIELDS = ("title", "content", "description", "permalink")
UNAUTHORIZED = "Unauthorized"
FORBIDDEN = "Forbidden"
NOT_FOUND = "Not Found"
TEAM_NOT_FOUND = "Team not found"
NOTE_NOT_FOUND = "Note not found"
RATE_LIMITED = "Too many requests"
PERMALINK_TAKEN = "Permalink is already in use"
VALIDATION_FAILED = "Validation Failed"
BAD_BODY = "Request body must be a JSON object"
QUOTA_MESSAGE = "You have reached the monthly API call quota"

_FRONT_MATTER = re.compile(r"\A---[ \t]*\r?\n(?P<yaml>(?:.*\r?\n)*?)(?:---|\.\.\.)[ \t]*(?:\r?\n|\Z)")
_TAGS_HEADING = re.compile(r"^ {0,3}#{6}[ \t]+(?P<text>tags.*)$", re.IGNORECASE)
_H1 = re.compile(r"^ {0,3}#[ \t]+(?P<text>.+?)[ \t#]*$")
_CODE_SPAN = re.compile(r"`([^`]+)`")
_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")


class ApiError(Exception):
    """An error answer: a status and a documented body."""

    def __init__(self, status: int, body: Any) -> None:
        super().__init__(status)
        self.status, self.body = status, body


def error(status: int, message: str) -> ApiError:
    """An error with the ``{"error": message}`` body [OPENAPI ApiErrorResponse]."""
    return ApiError(status, {"error": message})


def invalid(name: str, value: Any, message: str) -> ApiError:
    """A 422 for one field [OPENAPI ApiValidationError]."""
    return ApiError(422, {"message": VALIDATION_FAILED, "details": {name: {"message": message, "value": value}}})


@dataclass
class User:
    name: str
    user_path: str
    id: str = field(default_factory=lambda: str(uuid.uuid4()))
    calls: list[float] = field(default_factory=list)  # times of the calls in the current rate window
    month_calls: int = 0

    def profile(self) -> dict:
        """[OPENAPI SimpleUserProfile]."""
        photo = f"{WEB}/avatar/{self.user_path}"
        return {"name": self.name, "userPath": self.user_path, "photo": photo, "biography": None}


@dataclass
class Team:
    path: str
    name: str
    owner: str
    members: set[str]
    created_at: int
    id: str = field(default_factory=lambda: str(uuid.uuid4()))

    def json(self) -> dict:
        """[OPENAPI Team]."""
        return {
            "id": self.id, "ownerId": self.owner, "name": self.name, "logo": "", "path": self.path,
            "description": None, "visibility": "private", "upgraded": False, "createdAt": self.created_at,
        }


@dataclass
class Note:
    id: str
    short_id: str
    owner: str  # userPath of the creator
    team: str | None
    content: str
    title: str
    tags: list[str]
    read: str
    write: str
    comment: str
    created_at: int
    changed_at: int
    changed_by: str
    permalink: str | None = None
    description: str = ""


def note_id() -> str:
    """A note id like the docs' ``ehgwc6a8RXSmcSaRwIQ2jw``: a UUID in unpadded base64url [USER, CODIMD]."""
    return base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")


def short_id() -> str:
    """A short id like the docs' ``SysJb0yAY`` [USER]."""
    return "".join(secrets.choice(SHORT_ID_ALPHABET) for _ in range(9))


def front_matter(content: str) -> tuple[dict, str]:
    """The YAML metadata and the Markdown after it; bad YAML counts as none [CODIMD extractMeta]."""
    found = _FRONT_MATTER.match(content)
    if found is None:
        return {}, content
    try:
        meta = yaml.safe_load(found.group("yaml")) or {}
    except yaml.YAMLError:
        return {}, content
    return (meta, content[found.end():]) if isinstance(meta, dict) else ({}, content)


def markdown_lines(markdown: str) -> Iterator[str]:
    """The lines outside fenced code blocks."""
    fence = ""
    for line in markdown.splitlines():
        opened = _FENCE.match(line)
        if fence:
            fence = "" if line.strip().startswith(fence) and not line.strip().strip(fence[0]) else fence
        elif opened:
            fence = opened.group(1)
        else:
            yield line


def parse_tags(content: str) -> list[str]:
    """A note's tags as HackMD reads them [CODIMD extractNoteTags], in order, without repeats."""
    meta, markdown = front_matter(content)
    raw = meta.get("tags")
    if isinstance(raw, (str, int, float)) and str(raw):
        found = str(raw).split(",")
    elif isinstance(raw, list) and raw:
        found = [str(tag) for tag in raw]
    else:
        found = [span for line in markdown_lines(markdown) for span in _heading_tags(line)]
    return list(dict.fromkeys(tag.strip() for tag in found if tag.strip()))


def _heading_tags(line: str) -> list[str]:
    heading = _TAGS_HEADING.match(line)
    return _CODE_SPAN.findall(heading.group("text")) if heading else []


def parse_title(content: str) -> str:
    """A note's title: front matter ``title``, else the first ``#`` heading, else Untitled [CODIMD]."""
    meta, markdown = front_matter(content)
    if isinstance(meta.get("title"), (str, int, float)) and str(meta["title"]):
        return str(meta["title"])
    for line in markdown_lines(markdown):
        heading = _H1.match(line)
        if heading:
            return heading.group("text")
    return "Untitled"


def check_body(body: Any, *, create: bool) -> dict:
    """A create or update body as fields, validated against [OPENAPI]; a string is the content."""
    if body is None and create:
        return {}
    if isinstance(body, str) and create:
        return {"content": body}
    if not isinstance(body, dict):
        raise ApiError(400, {"message": BAD_BODY})
    for name in STRING_FIELDS:
        if name in body and not isinstance(body[name], str):
            raise invalid(name, body[name], "must be a string")
    tags = body.get("tags", [])
    if not isinstance(tags, list) or not all(isinstance(tag, str) for tag in tags):
        raise invalid("tags", tags, "must be an array of strings")
    _check_choice(body, "readPermission", PERMISSION_ROLES)
    _check_choice(body, "writePermission", PERMISSION_ROLES)
    if create:
        _check_choice(body, "commentPermission", COMMENT_PERMISSIONS)
    return body


def _check_choice(body: dict, name: str, allowed: tuple[str, ...]) -> None:
    if name in body and body[name] not in allowed:
        raise invalid(name, body[name], "must be one of " + ", ".join(allowed))


NOTE_ROUTES = (  # [USER], and the same under a team's path [TEAM]
    ("GET", r"/notes", "list_notes"),
    ("POST", r"/notes", "create_note"),
    ("GET", r"/notes/(?P<note>[^/]+)", "get_note"),
    ("PATCH", r"/notes/(?P<note>[^/]+)", "update_note"),
    ("DELETE", r"/notes/(?P<note>[^/]+)", "delete_note"),
)
ROUTES: tuple[tuple[str, re.Pattern[str], str], ...] = tuple(
    (method, re.compile(pattern), handler)
    for method, pattern, handler in (
        ("GET", r"/me", "me"),  # [AUTH]
        ("GET", r"/teams", "teams"),
        *((method, scope + path, handler)
          for scope in ("", r"/teams/(?P<team>[^/]+)")
          for method, path, handler in NOTE_ROUTES),
    )
)


class HackMDDouble(HTTPDouble):
    """The HackMD API double; see the module docstring."""

    def __init__(self, *, prefix: str = "/v1", clock: Callable[[], float] = time.time) -> None:
        """An empty HackMD with one user, ``meeting-bot``, whose token is :data:`DEFAULT_TOKEN`."""
        super().__init__()
        self.prefix, self.clock = prefix.rstrip("/"), clock
        self.users: dict[str, User] = {}  # by userPath
        self.tokens: dict[str, str] = {}  # token → userPath
        self.teams: dict[str, Team] = {}
        self.state: dict[str, Note] = {}  # by note id, in creation order
        self.rate_limit, self.rate_window = RATE_LIMIT, RATE_WINDOW
        self.quota: int | None = None  # calls a month; None: not enforced
        self.add_user(DEFAULT_USER, DEFAULT_TOKEN)

    @property
    def url(self) -> str:
        """Base URL for clients, like ``https://api.hackmd.io/v1``."""
        return self.origin + self.prefix

    def _now_ms(self) -> int:
        return int(self.clock() * 1000)

    # =============================================================== dispatch
    def handle(self, request: Request) -> Response:
        """Authenticate, count the call against the limits, run the endpoint."""
        try:
            user = self._authenticate(request)
            self._spend(user)
            handler, params = self._route(request)
            return getattr(self, "_" + handler)(request, user, **params)
        except ApiError as failure:
            return Response(failure.status, failure.body)

    def finish_response(self, request: Request, response: Response) -> None:
        """Every answer names the API version [AUTH]; a known user's answers carry the rate headers [POLICY]."""
        response.headers.setdefault("X-HackMD-API-Version", API_VERSION)
        user = request.context.get("user")
        if user is not None:
            response.headers.update(self._rate_headers(user))

    def error_body(self, status: int) -> Any:
        """Injected errors get the ``{"error": ...}`` body [OPENAPI ApiErrorResponse]."""
        return {"error": super().error_body(status)["message"]}

    def _authenticate(self, request: Request) -> User:
        scheme, _, token = (request.headers.get("authorization") or "").partition(" ")
        user_path = self.tokens.get(token.strip()) if scheme.lower() == "bearer" else None
        if user_path is None:
            raise error(401, UNAUTHORIZED)
        request.context["user"] = self.users[user_path]
        return self.users[user_path]

    def _spend(self, user: User) -> None:
        """Count one call; over the monthly quota or the 5-minute limit it is a 429 [POLICY, OPENAPI]."""
        now = self.clock()
        user.calls = [t for t in user.calls if t > now - self.rate_window]
        if self.quota is not None and user.month_calls >= self.quota:
            raise ApiError(429, {"error": {
                "upgradeUrl": f"{WEB}/pricing", "helpUrl": f"{WEB}/@docs/issue-revoke-api-token-en",
                "message": QUOTA_MESSAGE, "code": "quota_exceeded",
            }})
        if len(user.calls) >= self.rate_limit:
            raise error(429, RATE_LIMITED)
        user.calls.append(now)
        user.month_calls += 1

    def _rate_headers(self, user: User) -> dict[str, str]:
        reset = (min(user.calls) if user.calls else self.clock()) + self.rate_window
        return {
            "X-RateLimit-UserLimit": str(self.rate_limit),
            "X-RateLimit-UserRemaining": str(max(0, self.rate_limit - len(user.calls))),
            "X-RateLimit-UserReset": str(int(reset)),
        }

    def _route(self, request: Request) -> tuple[str, dict[str, str]]:
        path = request.path
        if path.startswith(self.prefix + "/"):
            for method, pattern, handler in ROUTES:
                found = pattern.fullmatch(path[len(self.prefix):])
                if found and method == request.method:
                    return handler, found.groupdict()
        raise error(404, NOT_FOUND)

    # =============================================================== endpoints
    def _me(self, request: Request, user: User) -> Response:
        teams = [team.json() for team in self.teams.values() if user.user_path in team.members]
        return Response(200, {
            "id": user.id, "email": None, "name": user.name, "userPath": user.user_path,
            "photo": user.profile()["photo"], "teams": teams, "upgraded": False,
        })

    def _teams(self, request: Request, user: User) -> Response:
        return Response(200, [team.json() for team in self.teams.values() if user.user_path in team.members])

    def _list_notes(self, request: Request, user: User, team: str | None = None) -> Response:
        """Notes of the workspace, metadata only [USER, TEAM]."""
        workspace = self._workspace(user, team)
        notes = [n for n in self.state.values() if self._in_workspace(n, workspace, user)]
        return Response(200, [self.note_json(note, content=False) for note in notes])

    def _create_note(self, request: Request, user: User, team: str | None = None) -> Response:
        workspace = self._workspace(user, team)
        fields = check_body(request.body, create=True)
        self._check_permalink(fields.get("permalink"), workspace, None)
        now = self._now_ms()
        content = fields.get("content", "")
        note = Note(
            id=note_id(), short_id=short_id(), owner=user.user_path, team=workspace, content=content,
            title=fields.get("title") or parse_title(content), tags=parse_tags(content) or fields.get("tags", []),
            read=fields.get("readPermission", "owner"), write=fields.get("writePermission", "owner"),
            comment=fields.get("commentPermission", "disabled"), created_at=now, changed_at=now,
            changed_by=user.user_path, permalink=fields.get("permalink"), description=fields.get("description", ""),
        )
        self.state[note.id] = note
        return Response(201, self.note_json(note))

    def _get_note(self, request: Request, user: User, note: str, team: str | None = None) -> Response:
        return Response(200, self.note_json(self._visible(user, note, team)))

    def _update_note(self, request: Request, user: User, note: str, team: str | None = None) -> Response:
        found = self._writable(user, note, team)
        fields = check_body(request.body, create=False)
        self._check_permalink(fields.get("permalink"), found.team, found.id)
        self._apply(found, fields, user)
        return Response(202, None)

    def _delete_note(self, request: Request, user: User, note: str, team: str | None = None) -> Response:
        del self.state[self._writable(user, note, team).id]
        return Response(204, None)

    # =============================================================== rules
    def _workspace(self, user: User, team: str | None) -> str | None:
        """The team path (checked: 404 unknown, 403 not a member), or None for the user's own notes."""
        if team is None:
            return None
        if team not in self.teams:
            raise error(404, TEAM_NOT_FOUND)
        if user.user_path not in self.teams[team].members:
            raise error(403, FORBIDDEN)
        return team

    @staticmethod
    def _in_workspace(note: Note, workspace: str | None, user: User) -> bool:
        return note.team == workspace and (workspace is not None or note.owner == user.user_path)

    def _visible(self, user: User, note_id: str, team: str | None) -> Note:
        """A note the user may read: their own, or one of a team they are in [OPENAPI GetNote]."""
        workspace = self._workspace(user, team)
        note = self.state.get(note_id)
        if note is None or (team is not None and note.team != workspace):
            raise error(404, NOTE_NOT_FOUND)
        mine = note.owner == user.user_path and note.team is None
        if not mine and (note.team is None or user.user_path not in self.teams[note.team].members):
            raise error(403, FORBIDDEN)
        return note

    def _writable(self, user: User, note_id: str, team: str | None) -> Note:
        """A note the user may change through this path: a team's through the team's path."""
        note = self._visible(user, note_id, team)
        if note.team != team:
            raise error(403, FORBIDDEN)
        return note

    def _check_permalink(self, permalink: str | None, workspace: str | None, own_id: str | None) -> None:
        taken = any(n.permalink == permalink and n.team == workspace and n.id != own_id for n in self.state.values())
        if permalink and taken:
            raise error(409, PERMALINK_TAKEN)

    def _apply(self, note: Note, fields: dict, user: User) -> None:
        """An update: the content re-derives title and tags, as HackMD's editor does [CODIMD]."""
        if "content" in fields:
            note.content = fields["content"]
            note.title, note.tags = parse_title(note.content), parse_tags(note.content)
        note.title = fields.get("title") or note.title
        note.tags = note.tags or fields.get("tags", [])
        note.read = fields.get("readPermission", note.read)
        note.write = fields.get("writePermission", note.write)
        note.permalink = fields.get("permalink", note.permalink)
        note.description = fields.get("description", note.description)
        note.changed_at, note.changed_by = self._now_ms(), user.user_path

    def note_json(self, note: Note, content: bool = True) -> dict:
        """The note as the API shows it [OPENAPI NoteType, SingleNote with ``content``]."""
        body = {
            "id": note.id, "title": note.title, "tags": list(note.tags), "description": note.description,
            "createdAt": note.created_at, "lastChangedAt": note.changed_at, "tagsUpdatedAt": note.changed_at,
            "titleUpdatedAt": note.changed_at, "publishType": "view", "publishedAt": None,
            "permalink": note.permalink, "shortId": note.short_id, "folderPaths": [],
            "lastChangeUser": self.users[note.changed_by].profile(),
            "userPath": None if note.team else note.owner, "teamPath": note.team,
            "readPermission": note.read, "writePermission": note.write,
            "publishLink": f"{WEB}/@{note.team or note.owner}/{note.permalink or note.short_id}",
        }
        return {**body, "content": note.content} if content else body

    # =============================================================== test API
    def add_user(self, user_path: str, token: str, *, name: str | None = None) -> User:
        """A user with an API token."""
        with self.lock:
            user = self.users.setdefault(user_path, User(name or user_path, user_path))
            self.tokens[token] = user_path
            return user

    def remove_token(self, token: str) -> None:
        """Revoke a token: 401 from now on."""
        with self.lock:
            self.tokens.pop(token, None)

    def add_team(self, path: str, *, name: str | None = None, members: Iterable[str] = (DEFAULT_USER,)) -> Team:
        """A team workspace whose members are these users."""
        with self.lock:
            members = set(members)
            team = Team(path, name or path, next(iter(sorted(members)), ""), members, self._now_ms())
            self.teams[path] = team
            return team

    def add_note(self, content: str, *, team: str | None = None, owner: str = DEFAULT_USER, **fields: Any) -> str:
        """A note made by a person, outside the bot; its id. ``fields`` as in a create body."""
        with self.lock:
            request = Request("POST", "", "", {}, {}, {"content": content, **fields}, "")
            answer = self._create_note(request, self.users[owner], team)
            return answer.body["id"]

    def edit(self, note_id: str, content: str, *, user: str = DEFAULT_USER) -> None:
        """A person's edit in HackMD's editor: the whole content replaced."""
        with self.lock:
            self._apply(self.state[note_id], {"content": content}, self.users[user])

    def note(self, note_id: str) -> dict:
        """One note as ``GET /notes/{noteId}`` shows it."""
        with self.lock:
            return self.note_json(self.state[note_id])

    def notes(self, team: str | None = None, owner: str = DEFAULT_USER) -> list[dict]:
        """The notes of a team (or of ``owner``'s own workspace), oldest first, with content."""
        with self.lock:
            return [self.note_json(n) for n in self.state.values() if self._in_workspace(n, team, self.users[owner])]

    def set_rate_limit(self, limit: int, window: float = RATE_WINDOW) -> None:
        """Allow ``limit`` calls per ``window`` seconds and user (HackMD: 100 per 300 s)."""
        with self.lock:
            self.rate_limit, self.rate_window = limit, window

    def set_quota(self, calls: int | None) -> None:
        """Allow ``calls`` more calls this month per user (``None``: no quota)."""
        with self.lock:
            self.quota = calls
            for user in self.users.values():
                user.month_calls = 0

