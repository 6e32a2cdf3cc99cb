"""A stateful HTTP double of Google Calendar API v3 and Google's OAuth2 token endpoint.

Meant to be driven by the real ``google-api-python-client`` with real
``google.oauth2.service_account.Credentials``:

* ``POST /token`` is Google's token endpoint for the JWT-bearer grant a
  service account uses.  The RS256 assertion is verified against the public
  keys the double trusts; issuer, audience, scope, ``iat``/``exp`` are
  checked like Google does and every grant (with its scopes) is recorded.
* ``/calendar/v3/...`` is the Calendar API.  Calls need a bearer token the
  double issued, with a scope the discovery document lists for the method.
  Calendars are configured with per-service-account roles
  (owner/writer/reader/none); events are kept in memory, thread-safe.
* Every request is logged (``requests``; ``api_requests`` for the API
  calls, each with its discovery method id in ``api_method``), matched
  against the discovery document (``gcal_check``); its body and the double's
  answer are validated against the document's schemas.  Departures end up in
  ``violations``.
* Faults are injected with ``inject(...)``: any status with Google's error
  body, a slow answer, a dropped or reset connection, and "ambiguous writes"
  (the write is carried out, then the client gets the error).

The server, request log and fault injection are ``tests/doubles/http.py``'s
HTTPDouble; this module adds the Calendar on top.
"""

from __future__ import annotations

import base64
import contextlib
import copy
import datetime as dt
import hashlib
import http.client
import itertools
import json
import re
import secrets
import threading
import time
import traceback
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from urllib.parse import quote
from zoneinfo import ZoneInfo

import google_auth_httplib2
import httplib2
import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from dateutil.rrule import rrulestr
from google.oauth2 import service_account
from googleapiclient.discovery import build

from tests.doubles import gcal_check
from tests.doubles.http import RESET, Exchange, Fault, HTTPDouble, Request, Response  # noqa: F401 (RESET re-exported)

SCOPE_EVENTS = "https://www.googleapis.com/auth/calendar.events"
SCOPE_CALENDAR = "https://www.googleapis.com/auth/calendar"
JWT_BEARER = "urn:ietf:params:oauth:grant-type:jwt-bearer"
# google-auth always signs aud=https://oauth2.googleapis.com/token, whatever token_uri says.
GOOGLE_TOKEN_URLS = frozenset({
    "https://oauth2.googleapis.com/token",
    "https://www.googleapis.com/oauth2/v4/token",
    "https://accounts.google.com/o/oauth2/token",
})
API_BASE = "/calendar/v3/"
TOKEN_PATH = "/token"
TOKEN_LIFETIME = 3600
JSON_TYPE = "application/json; charset=UTF-8"  # as Google writes it
ROLES = ("none", "reader", "writer", "owner")
MAX_PAGE = 2500
DEFAULT_PAGE = 250
MAX_INSTANCES = 1000


# --- service-account keys ------------------------------------------------------------------


def make_service_account_key(
    token_uri: str,
    client_email: str = "meeting-bot@meeting-bot-test.iam.gserviceaccount.com",
    *,
    project_id: str | None = None,
    private_key_pem: str | None = None,
) -> dict:
    """A service-account JSON key whose token_uri is ``token_uri``.

    The RSA key is ``private_key_pem`` if given (generating one takes ~0.1 s;
    see new_private_key_pem), else a fresh 2048-bit one.
    """
    pem = private_key_pem or new_private_key_pem()
    return {
        "type": "service_account",
        "project_id": project_id or client_email.split("@")[-1].split(".")[0],
        "private_key_id": secrets.token_hex(20),
        "private_key": pem,
        "client_email": client_email,
        "client_id": str(10**20 + secrets.randbelow(9 * 10**20)),
        "auth_uri": "https://accounts.google.com/o/oauth2/auth",
        "token_uri": token_uri,
        "auth_provider_x509_cert_url": "https://www.googleapis.com/oauth2/v1/certs",
        "client_x509_cert_url": "https://www.googleapis.com/robot/v1/metadata/x509/"
        + quote(client_email),
        "universe_domain": "googleapis.com",
    }


def new_private_key_pem() -> str:
    """A fresh RSA 2048 private key, PKCS#8 PEM, as in Google's JSON keys."""
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return private.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()


def public_key_pem(key: dict | str) -> str:
    """The public half (PEM) of a service-account key dict or of a private key PEM."""
    private_pem = key["private_key"] if isinstance(key, dict) else key
    # The key is a test key; its (slow, ~50 ms) consistency check is pointless here.
    private = serialization.load_pem_private_key(private_pem.encode(), password=None,
                                                 unsafe_skip_rsa_key_validation=True)
    return private.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    ).decode()


# --- Google's error bodies ---------------------------------------------------------------------


def google_error(
    code: int,
    reason: str,
    message: str,
    *,
    domain: str = "global",
    item_message: str | None = None,
    status: str | None = None,
    location: str | None = None,
    location_type: str | None = None,
    details: list | None = None,
) -> dict:
    """A JSON error body in the shape Google's (Calendar) APIs answer with."""
    item = {"domain": domain, "reason": reason, "message": item_message or message}
    if location:
        item.update(locationType=location_type or "parameter", location=location)
    error: dict = {"errors": [item], "code": code, "message": message}
    if status:
        error["status"] = status
    if details:
        error["details"] = details
    return {"error": error}


# status -> (domain, reason, message, status); the bodies Google documents for Calendar.
_STANDARD_ERRORS = {
    400: ("global", "badRequest", "Bad Request", None),
    401: ("global", "authError", "Invalid Credentials", "UNAUTHENTICATED"),
    403: ("global", "forbidden", "Forbidden", None),
    404: ("global", "notFound", "Not Found", None),
    409: ("global", "duplicate", "The requested identifier already exists.", None),
    410: ("global", "deleted", "Resource has been deleted", None),
    412: ("global", "conditionNotMet", "Precondition Failed", None),
    429: ("usageLimits", "rateLimitExceeded", "Rate Limit Exceeded", None),
    500: ("global", "backendError", "Backend Error", None),
    501: ("global", "notImplemented", "Not implemented by the Calendar double", None),
    503: ("global", "backendError", "The service is currently unavailable.", "UNAVAILABLE"),
}
RATE_LIMIT_MESSAGES = {
    "rateLimitExceeded": "Rate Limit Exceeded",
    "userRateLimitExceeded": "User Rate Limit Exceeded",
    "quotaExceeded": "Calendar usage limits exceeded.",
}


def standard_error(status: int) -> dict:
    """Google's error body for ``status`` (a generic one for unlisted codes)."""
    phrase = http.client.responses.get(status, "Error")
    domain, reason, message, grpc = _STANDARD_ERRORS.get(status, ("global", "error", phrase, None))
    return google_error(status, reason, message, domain=domain, status=grpc)


def rate_limit_error(status: int = 403, reason: str = "rateLimitExceeded") -> dict:
    """Calendar's rate-limit body: 403 or 429, rateLimitExceeded/userRateLimitExceeded/quotaExceeded."""
    return google_error(status, reason, RATE_LIMIT_MESSAGES[reason], domain="usageLimits")


class ApiError(Exception):
    """Raised inside the double to answer with an error status and body."""

    def __init__(self, status: int, body: object, headers: Mapping[str, str] | None = None):
        super().__init__(f"{status}: {body}")
        self.response = Response(status, body, dict(headers or {}))


def api_error(code: int, reason: str, message: str, **kw) -> ApiError:
    """An ApiError with a google_error body (keywords as for google_error)."""
    return ApiError(code, google_error(code, reason, message, **kw))


def _bad_request(message: str, reason: str = "invalid", **kw) -> ApiError:
    """A 400 answer."""
    return api_error(400, reason, message, **kw)


# --- OAuth2 token endpoint -----------------------------------------------------------------------


@dataclass
class Grant:
    """An access token the double issued."""

    token: str
    client_email: str
    scopes: tuple[str, ...]
    expires_at: float
    claims: dict

    def active(self) -> bool:
        """Whether the token is still valid."""
        return time.time() < self.expires_at


def _oauth_error(error: str, description: str, status: int = 400) -> ApiError:
    """The token endpoint's error answer."""
    return ApiError(status, {"error": error, "error_description": description})


_SHORT_LIVED = ("Invalid JWT: Token must be a short-lived token (60 minutes) and in a reasonable "
                "timeframe. Check your iat and exp values in the JWT claim.")
_JWT_ERRORS: tuple[tuple[type[Exception], str], ...] = (
    (jwt.InvalidSignatureError, "Invalid JWT Signature."),
    (jwt.InvalidAudienceError, "Invalid JWT: Failed audience check."),
    (jwt.ExpiredSignatureError, _SHORT_LIVED),
    (jwt.ImmatureSignatureError, _SHORT_LIVED),
    (jwt.MissingRequiredClaimError, _SHORT_LIVED),
    (jwt.InvalidTokenError, "Invalid JWT Signature."),
)
_LOGIN_REQUIRED = ("Request is missing required authentication credential. Expected OAuth 2 "
                   "access token, login cookie or other valid authentication credential.")
_BAD_CREDENTIALS = ("Request had invalid authentication credentials. Expected OAuth 2 access "
                    "token, login cookie or other valid authentication credential.")


class TokenIssuer:
    """Google's token endpoint for service accounts (JWT-bearer grant)."""

    def __init__(self, accepted: Mapping[str, str] | None = None):
        self._keys: dict[str, object] = {}
        self._grants: dict[str, Grant] = {}
        self._lock = threading.Lock()
        self.audiences: set[str] = set(GOOGLE_TOKEN_URLS)
        for email, pem in (accepted or {}).items():
            self.trust(email, pem)

    def trust(self, client_email: str, public_pem: str) -> None:
        """Accept assertions of ``client_email`` signed by the key of ``public_pem``."""
        with self._lock:
            self._keys[client_email] = serialization.load_pem_public_key(public_pem.encode())

    @property
    def grants(self) -> list[Grant]:
        """Every token issued, oldest first."""
        with self._lock:
            return list(self._grants.values())

    def expire_all(self) -> None:
        """Make every issued token invalid (expiry or revocation)."""
        with self._lock:
            for grant in self._grants.values():
                grant.expires_at = 0

    def exchange(self, request: Request) -> Response:
        """Answer a token request."""
        form = request.form or {}
        if form.get("grant_type") != JWT_BEARER:
            raise _oauth_error("unsupported_grant_type", f"Invalid grant_type: {form.get('grant_type', '')}")
        claims = self._verify(form.get("assertion", ""))
        scopes = tuple(str(claims.get("scope", "")).split())
        if not scopes:
            raise _oauth_error("invalid_scope", "Invalid OAuth scope or ID token audience provided.")
        if claims.get("sub"):
            raise _oauth_error("unauthorized_client", "Client is unauthorized to retrieve access tokens "
                               "using this method, or client not authorized for any of the scopes requested.", 401)
        grant = Grant("ya29.double-" + secrets.token_urlsafe(24), claims["iss"], scopes,
                      time.time() + TOKEN_LIFETIME, claims)
        with self._lock:
            self._grants[grant.token] = grant
        return Response(200, {"access_token": grant.token, "expires_in": TOKEN_LIFETIME,
                              "token_type": "Bearer"})

    def _verify(self, assertion: str) -> dict:
        """Verify the RS256 assertion; its claims, or an OAuth error."""
        try:
            issuer = jwt.decode(assertion, options={"verify_signature": False}).get("iss")
        except jwt.InvalidTokenError:
            raise _oauth_error("invalid_request", "Invalid JWT: the assertion is malformed.") from None
        key = self._keys.get(issuer)
        if key is None:
            raise _oauth_error("invalid_grant", "Invalid grant: account not found")
        try:
            claims = jwt.decode(assertion, key, algorithms=["RS256"], audience=sorted(self.audiences),
                                leeway=60, options={"require": ["iss", "aud", "iat", "exp"]})
        except jwt.InvalidTokenError as error:
            raise _oauth_error("invalid_grant", _jwt_message(error)) from None
        if claims["exp"] - claims["iat"] > TOKEN_LIFETIME:
            raise _oauth_error("invalid_grant", _SHORT_LIVED)
        return claims

    def authenticate(self, authorization: str | None) -> Grant:
        """The grant behind an ``Authorization: Bearer`` header, or a 401."""
        if not authorization:
            raise self._unauthenticated("required", _LOGIN_REQUIRED, "Login Required.")
        scheme, _, token = authorization.partition(" ")
        with self._lock:
            grant = self._grants.get(token.strip()) if scheme.lower() == "bearer" else None
        if grant is None or not grant.active():
            raise self._unauthenticated("authError", _BAD_CREDENTIALS, "Invalid Credentials")
        return grant

    @staticmethod
    def _unauthenticated(reason: str, message: str, item_message: str) -> ApiError:
        """Google's 401 answer."""
        body = google_error(401, reason, message, item_message=item_message, status="UNAUTHENTICATED",
                            location="Authorization", location_type="header")
        return ApiError(401, body, {"WWW-Authenticate": 'Bearer realm="https://accounts.google.com/"'})


def _jwt_message(error: Exception) -> str:
    """Google's error_description for a PyJWT error."""
    return next(message for kind, message in _JWT_ERRORS if isinstance(error, kind))


def insufficient_scope(method: gcal_check.ApiMethod) -> ApiError:
    """Google's 403 for a token without a scope the method accepts."""
    _, resource, verb = method.id.split(".")
    details = [{
        "@type": "type.googleapis.com/google.rpc.ErrorInfo",
        "reason": "ACCESS_TOKEN_SCOPE_INSUFFICIENT",
        "domain": "googleapis.com",
        "metadata": {"service": "calendar-json.googleapis.com",
                     "method": f"calendar.v3.{resource[0].upper()}{resource[1:]}.{verb[0].upper()}{verb[1:]}"},
    }]
    return api_error(403, "insufficientPermissions", "Request had insufficient authentication scopes.",
                     item_message="Insufficient Permission", status="PERMISSION_DENIED", details=details)


# --- times ---------------------------------------------------------------------------------------


def _timestamp() -> str:
    """Now, as Google writes ``created``/``updated``: UTC with milliseconds."""
    return dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _zone(name: str) -> ZoneInfo | None:
    """The IANA zone called ``name``, or None."""
    try:
        return ZoneInfo(name)
    except (ValueError, KeyError, OSError):
        return None


def _when(event: dict, key: str, calendar_tz: str) -> dt.datetime:
    """The instant of ``event[key]`` (start or end); a Google-like 400 if it has none."""
    value = event.get(key) or {}
    if ("date" in value) == ("dateTime" in value):
        raise _bad_request(f"Missing {key} time.", "required")
    zone_name = value.get("timeZone")
    if zone_name and _zone(zone_name) is None:
        raise _bad_request(f"Invalid time zone definition for {key} time.")
    if "date" in value:
        return dt.datetime.combine(dt.date.fromisoformat(value["date"]), dt.time(), _zone(calendar_tz))
    moment = gcal_check.parse_rfc3339(value["dateTime"])
    if moment.tzinfo is None:
        if not zone_name:
            raise _bad_request(f"Missing time zone definition for {key} time.", "required")
        moment = moment.replace(tzinfo=_zone(zone_name))
    return moment


def _span(event: dict, calendar_tz: str) -> tuple[dt.datetime, dt.datetime]:
    """Start and end instants of a valid event; 400 for an empty range or mixed kinds."""
    start, end = _when(event, "start", calendar_tz), _when(event, "end", calendar_tz)
    if ("date" in event["start"]) != ("date" in event["end"]):
        raise _bad_request("Start and end times must either both be date or both be dateTime.")
    if end < start:
        raise api_error(400, "timeRangeEmpty", "The specified time range is empty.", domain="calendar")
    return start, end


def _as_when(template: dict, moment: dt.datetime) -> dict:
    """An EventDateTime like ``template`` (date or dateTime) for ``moment``."""
    if "date" in template:
        return {"date": moment.date().isoformat()}
    out = {"dateTime": moment.isoformat()}
    if template.get("timeZone"):
        out["timeZone"] = template["timeZone"]
    return out


def rendered(event: dict, zone: str) -> dict:
    """The event as Google answers it: every dateTime with its UTC offset, in the response's time zone.

    Discovery document, events.get/list `timeZone`: "Time zone used in the response ... The default is
    the time zone of the calendar"; EventDateTime.dateTime is RFC 3339, "a time zone offset is required
    unless a time zone is explicitly specified in timeZone". The event's own `timeZone` is kept as sent.
    """
    out = copy.deepcopy(event)
    for key in ("start", "end", "originalStartTime"):
        value = out.get(key)
        if isinstance(value, dict) and "dateTime" in value:
            instant = _when(out, key, zone)
            value["dateTime"] = instant.astimezone(_zone(zone)).isoformat()
    return out


def _rules(event: dict, calendar_tz: str):
    """The event's RRULE/EXDATE/RDATE lines as a dateutil rruleset from its start."""
    start = _when(event, "start", calendar_tz)
    local = start.astimezone(_zone(event["start"].get("timeZone") or calendar_tz))
    return rrulestr("\n".join(event["recurrence"]), dtstart=local, forceset=True)


def _instances(event: dict, calendar_tz: str, until: dt.datetime | None) -> Iterator[dict]:
    """The occurrences of a recurring event (``singleEvents=true``)."""
    start, end = _span(event, calendar_tz)
    for moment in itertools.islice(_rules(event, calendar_tz), MAX_INSTANCES):
        if until is not None and moment >= until:
            break
        yield _instance(event, moment, moment + (end - start))


def _instance(event: dict, start: dt.datetime, end: dt.datetime) -> dict:
    """One occurrence of a recurring event."""
    suffix = start.strftime("%Y%m%d") if "date" in event["start"] else \
        start.astimezone(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    occurrence = {k: copy.deepcopy(v) for k, v in event.items() if k != "recurrence"}
    occurrence.update(
        id=f"{event['id']}_{suffix}", recurringEventId=event["id"],
        originalStartTime=_as_when(event["start"], start),
        start=_as_when(event["start"], start), end=_as_when(event["end"], end),
    )
    return occurrence


def _check_recurrence(event: dict, calendar_tz: str) -> None:
    """400 if the RRULE/EXDATE/RDATE lines do not parse or do not fit the start."""
    if event.get("recurrence"):
        try:
            next(iter(_rules(event, calendar_tz)), None)
        except (ValueError, TypeError):
            raise _bad_request("Invalid recurrence rule.") from None


# --- events.list options -------------------------------------------------------------------------


def _pairs(values: list[str], name: str) -> list[tuple[str, str]]:
    """``name=value`` constraints of privateExtendedProperty/sharedExtendedProperty."""
    pairs = [value.partition("=") for value in values]
    if any(not sep or not key for key, sep, _ in pairs):
        raise _bad_request(f"Invalid {name} value.", location=name)
    return [(key, value) for key, _, value in pairs]


def _page_token(key: tuple, fingerprint: str) -> str:
    """An opaque page token: where the page ended and for which query."""
    return base64.urlsafe_b64encode(json.dumps([list(key), fingerprint]).encode()).decode().rstrip("=")


def _read_page_token(token: str, fingerprint: str) -> tuple:
    """The sort key a page token continues after; 400 if it is not one of ours."""
    try:
        key, owner = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
    except (ValueError, TypeError):
        raise _bad_request("Invalid page token value.", location="pageToken") from None
    if owner != fingerprint:
        raise _bad_request("The page token belongs to a different query.", location="pageToken")
    return tuple(key)


def _last(query: dict[str, list[str]], name: str) -> str | None:
    """The last value of a query parameter, or None."""
    return query.get(name, [None])[-1]


def _instant(query: dict[str, list[str]], name: str) -> dt.datetime | None:
    """A timestamp parameter (offset required, already checked), or None."""
    value = _last(query, name)
    return gcal_check.parse_rfc3339(value, require_offset=True) if value else None


def _fingerprint(query: dict[str, list[str]]) -> str:
    """What a page token is bound to: the query but for paging parameters."""
    kept = sorted((k, v) for k, v in query.items() if k not in ("pageToken", "maxResults"))
    return hashlib.sha256(json.dumps(kept).encode()).hexdigest()[:16]


def _haystack(event: dict) -> str:
    """The text ``q`` searches: summary, description, location, people."""
    people = [p.get(k, "") for p in event.get("attendees", []) + [event.get("organizer", {})]
              for k in ("email", "displayName")]
    return " ".join([event.get(k, "") for k in ("summary", "description", "location")] + people).lower()


@dataclass
class ListQuery:
    """The filters, order and page of an events.list call."""

    private: list[tuple[str, str]]
    shared: list[tuple[str, str]]
    time_min: dt.datetime | None
    time_max: dt.datetime | None
    updated_min: dt.datetime | None
    show_deleted: bool
    single_events: bool
    order_by: str | None
    max_results: int
    terms: list[str]
    ical_uid: str | None
    event_types: list[str]
    fingerprint: str
    after: tuple | None = None

    @classmethod
    def parse(cls, query: dict[str, list[str]]) -> ListQuery:
        """Read the (already type-checked) query; Google's 400s for bad combinations."""
        options = cls(
            private=_pairs(query.get("privateExtendedProperty", []), "privateExtendedProperty"),
            shared=_pairs(query.get("sharedExtendedProperty", []), "sharedExtendedProperty"),
            time_min=_instant(query, "timeMin"), time_max=_instant(query, "timeMax"),
            updated_min=_instant(query, "updatedMin"),
            show_deleted=_last(query, "showDeleted") == "true", single_events=_last(query, "singleEvents") == "true",
            order_by=_last(query, "orderBy"),
            max_results=min(int(_last(query, "maxResults") or DEFAULT_PAGE), MAX_PAGE),
            terms=(_last(query, "q") or "").lower().split(), ical_uid=_last(query, "iCalUID"),
            event_types=query.get("eventTypes", []), fingerprint=_fingerprint(query),
        )
        options._check()
        if _last(query, "pageToken"):
            options.after = _read_page_token(_last(query, "pageToken"), options.fingerprint)
        return options

    def _check(self) -> None:
        """Google's 400s for an empty time range and an unavailable ordering."""
        if self.time_min and self.time_max and self.time_max <= self.time_min:
            raise api_error(400, "timeRangeEmpty", "The specified time range is empty.",
                            domain="calendar", location="timeMax")
        if self.order_by == "startTime" and not self.single_events:
            raise _bad_request("The requested ordering is not available for the particular query.",
                               "badRequest")

    def expand(self, event: dict, calendar_tz: str) -> Iterator[dict]:
        """The event itself, or its occurrences when singleEvents is set."""
        if self.single_events and event.get("recurrence") and event.get("status") != "cancelled":
            yield from _instances(event, calendar_tz, self.time_max)
        else:
            yield event

    def _overlaps(self, start: dt.datetime, end: dt.datetime) -> bool:
        """Whether a span ends after timeMin and starts before timeMax."""
        return (self.time_min is None or end > self.time_min) and (self.time_max is None or start < self.time_max)

    def in_window(self, event: dict, calendar_tz: str) -> bool:
        """Whether the event (for a series: any occurrence) overlaps timeMin..timeMax."""
        if event.get("recurrence"):
            occurrences = _instances(event, calendar_tz, self.time_max)
            return any(self._overlaps(*_span(o, calendar_tz)) for o in occurrences)
        return self._overlaps(*_span(event, calendar_tz))

    def matches(self, event: dict, calendar_tz: str) -> bool:
        """Whether the event passes every filter."""
        props = event.get("extendedProperties", {})
        updated = gcal_check.parse_rfc3339(event["updated"])
        return all((
            self.show_deleted or event.get("status") != "cancelled",
            self.in_window(event, calendar_tz),
            self.updated_min is None or updated >= self.updated_min,
            all(props.get("private", {}).get(k) == v for k, v in self.private),
            all(props.get("shared", {}).get(k) == v for k, v in self.shared),
            self.ical_uid is None or event.get("iCalUID") == self.ical_uid,
            not self.event_types or event.get("eventType", "default") in self.event_types,
            all(term in _haystack(event) for term in self.terms),
        ))

    def sort_key(self, event: dict, order: int, calendar_tz: str) -> tuple:
        """A stable, total order: (orderBy value, insertion order, start)."""
        start = _span(event, calendar_tz)[0].timestamp()
        primary = {"startTime": start,
                   "updated": gcal_check.parse_rfc3339(event["updated"]).timestamp()}.get(self.order_by, 0)
        return (primary, order, start)

    def page(self, rows: list[tuple[tuple, dict]]) -> tuple[list[dict], str | None]:
        """This page's events and the token of the next page, if any."""
        remaining = [row for row in rows if self.after is None or row[0] > self.after]
        page = remaining[: self.max_results]
        more = len(remaining) > len(page)
        return [copy.deepcopy(e) for _, e in page], _page_token(page[-1][0], self.fingerprint) if more else None


# --- calendars and events ------------------------------------------------------------------------

_SERVER_FIELDS = ("kind", "etag", "htmlLink", "created", "updated", "creator", "organizer", "hangoutLink")
_EVENT_ID = re.compile(r"[a-v0-9]{5,1024}")
_ID_ALPHABET = "0123456789abcdefghijklmnopqrstuv"


@dataclass
class StoredEvent:
    """An event and its insertion order (for stable listing)."""

    order: int
    body: dict


@dataclass
class Calendar:
    """A calendar: id, who may do what, and its events."""

    id: str
    access: dict[str, str]
    summary: str
    time_zone: str
    events: dict[str, StoredEvent] = field(default_factory=dict)
    updated: str = field(default_factory=_timestamp)


def _merge(target: dict, patch: dict) -> dict:
    """PATCH semantics: objects merge, null deletes, anything else replaces."""
    for key, value in patch.items():
        if value is None:
            target.pop(key, None)
        elif isinstance(value, dict) and isinstance(target.get(key), dict):
            _merge(target[key], value)
        else:
            target[key] = copy.deepcopy(value)
    return target


def _client_fields(body: dict) -> dict:
    """The fields of a request body the client may set."""
    return {k: copy.deepcopy(v) for k, v in body.items() if k not in _SERVER_FIELDS}


def content_etag(answer: dict) -> str:
    """The etag of a collection or calendar answer: it changes exactly when what is answered changes
    (any item, a page token, the calendar's `updated`), so a repeated identical answer keeps it."""
    basis = json.dumps(answer, sort_keys=True, separators=(",", ":"))
    return '"' + hashlib.sha256(basis.encode()).hexdigest()[:20] + '"'


def _html_link(event_id: str, calendar_id: str) -> str:
    """Google's htmlLink: eid is base64url('<event id> <calendar id>')."""
    eid = base64.urlsafe_b64encode(f"{event_id} {calendar_id}".encode()).decode().rstrip("=")
    return f"https://www.google.com/calendar/event?eid={eid}"


class CalendarStore:
    """Calendars and events behind one lock; ``actor`` None means "a human, no checks"."""

    def __init__(self) -> None:
        self._lock = threading.RLock()
        self._calendars: dict[str, Calendar] = {}
        self._order = itertools.count()
        self._etags = itertools.count(3_400_000_000_000_000, 1000)

    def add_calendar(self, calendar_id: str, access: Mapping[str, str] | None = None, *,
                     summary: str | None = None, time_zone: str = "UTC") -> None:
        """Create a calendar; ``access`` maps service-account email to a role."""
        unknown = set((access or {}).values()) - set(ROLES)
        if unknown or _zone(time_zone) is None:
            raise ValueError(f"roles must be among {ROLES} and time_zone an IANA zone")
        with self._lock:
            self._calendars[calendar_id] = Calendar(calendar_id, dict(access or {}),
                                                    summary or calendar_id, time_zone)

    def set_access(self, calendar_id: str, email: str, role: str) -> None:
        """Give ``email`` a role on a calendar (``"none"`` takes access away)."""
        if role not in ROLES:
            raise ValueError(f"role must be one of {ROLES}")
        with self._lock:
            self._calendars[calendar_id].access[email] = role

    def _calendar(self, actor: str | None, calendar_id: str, need: str) -> tuple[Calendar, str]:
        """The calendar and the actor's role; 404 without access, 403 without write access."""
        if calendar_id == "primary" and actor:
            calendar_id = actor
            if actor not in self._calendars:
                self.add_calendar(actor, {actor: "owner"})
        calendar = self._calendars.get(calendar_id)
        role = "owner" if actor is None else (calendar.access.get(actor, "none") if calendar else "none")
        if calendar is None or role == "none":
            raise ApiError(404, standard_error(404))
        if ROLES.index(role) < ROLES.index(need):
            raise api_error(403, "requiredAccessLevel", "You need to have writer access to this calendar.",
                            domain="calendar")
        return calendar, role

    def _stored(self, calendar: Calendar, event_id: str) -> StoredEvent:
        """An event of the calendar, or 404."""
        stored = calendar.events.get(event_id)
        if stored is None:
            raise ApiError(404, standard_error(404))
        return stored

    def _etag(self) -> str:
        """A new etag (every write gets one)."""
        return f'"{next(self._etags)}"'

    def _new_id(self, calendar: Calendar, wanted: str | None) -> str:
        """The client's id if valid and free (400/409 else), or a fresh base32hex id."""
        if wanted is None:
            return "".join(secrets.choice(_ID_ALPHABET) for _ in range(26))
        if not _EVENT_ID.fullmatch(wanted):
            raise _bad_request("Invalid resource id value.")
        if wanted in calendar.events:
            raise ApiError(409, standard_error(409))
        return wanted

    def _finish(self, calendar: Calendar, event: dict, previous: dict | None) -> dict:
        """Validate times and recurrence; bump sequence, etag, updated."""
        span = _span(event, calendar.time_zone)
        _check_recurrence(event, calendar.time_zone)
        if previous is not None:
            if event.get("sequence", 0) < previous.get("sequence", 0):
                raise _bad_request("Invalid sequence value. The specified sequence number is below "
                                   "the current sequence number of the resource.")
            moved = span != _span(previous, calendar.time_zone) or \
                event.get("recurrence") != previous.get("recurrence")
            event["sequence"] = max(event.get("sequence", 0), previous.get("sequence", 0) + moved)
        event["etag"] = self._etag()
        event["updated"] = calendar.updated = _timestamp()
        return event

    def insert(self, actor: str | None, calendar_id: str, body: dict, *, creator: str | None = None) -> dict:
        """events.insert."""
        with self._lock:
            calendar, _ = self._calendar(actor, calendar_id, "writer")
            event_id = self._new_id(calendar, body.get("id"))
            event = {
                "kind": "calendar#event", "status": "confirmed",
                "htmlLink": _html_link(event_id, calendar.id), "created": _timestamp(),
                "creator": {"email": creator or actor},
                "organizer": {"email": calendar.id, "displayName": calendar.summary, "self": True},
                "iCalUID": f"{event_id}@google.com", "sequence": 0,
                "reminders": {"useDefault": True}, "eventType": "default",
                **_client_fields(body), "id": event_id,
            }
            self._finish(calendar, event, None)
            calendar.events[event_id] = StoredEvent(next(self._order), event)
            return copy.deepcopy(event)

    def get(self, actor: str | None, calendar_id: str, event_id: str) -> dict:
        """events.get (a deleted event comes back with status "cancelled")."""
        with self._lock:
            calendar, _ = self._calendar(actor, calendar_id, "reader")
            return copy.deepcopy(self._stored(calendar, event_id).body)

    def _rewrite(self, actor: str | None, calendar_id: str, event_id: str, if_match: str | None,
                 build: Callable[[dict], dict]) -> dict:
        """Shared part of patch and update: access, etag precondition, store."""
        with self._lock:
            calendar, _ = self._calendar(actor, calendar_id, "writer")
            stored = self._stored(calendar, event_id)
            if if_match and if_match not in ("*", stored.body["etag"]):
                raise ApiError(412, standard_error(412))
            event = build(copy.deepcopy(stored.body))
            event["id"] = event_id
            stored.body = self._finish(calendar, event, stored.body)
            return copy.deepcopy(stored.body)

    def patch(self, actor: str | None, calendar_id: str, event_id: str, body: dict,
              if_match: str | None = None) -> dict:
        """events.patch: merge ``body`` into the event."""
        return self._rewrite(actor, calendar_id, event_id, if_match,
                             lambda old: _merge(old, _client_fields(body)))

    def update(self, actor: str | None, calendar_id: str, event_id: str, body: dict,
               if_match: str | None = None) -> dict:
        """events.update: replace what the client may set, keep what the server set."""
        def build(old: dict) -> dict:
            kept = {k: old[k] for k in (*_SERVER_FIELDS, "iCalUID", "sequence") if k in old}
            return {"status": "confirmed", "reminders": {"useDefault": True}, "eventType": "default",
                    **kept, **_client_fields(body)}
        return self._rewrite(actor, calendar_id, event_id, if_match, build)

    def delete(self, actor: str | None, calendar_id: str, event_id: str, if_match: str | None = None) -> None:
        """events.delete: the event becomes "cancelled"; deleting again is 410."""
        def build(old: dict) -> dict:
            if old.get("status") == "cancelled":
                raise ApiError(410, standard_error(410))
            return {**old, "status": "cancelled"}
        self._rewrite(actor, calendar_id, event_id, if_match, build)

    def list_events(self, actor: str | None, calendar_id: str, query: dict[str, list[str]]) -> dict:
        """events.list: filters, singleEvents expansion, order, pages."""
        with self._lock:
            calendar, role = self._calendar(actor, calendar_id, "reader")
            options = ListQuery.parse(query)
            zone = calendar.time_zone
            rows = [(options.sort_key(event, stored.order, zone), event)
                    for stored in calendar.events.values()
                    for event in options.expand(stored.body, zone) if options.matches(event, zone)]
            items, next_token = options.page(sorted(rows, key=lambda row: row[0]))
            answer = {
                "kind": "calendar#events", "summary": calendar.summary,
                "updated": calendar.updated, "timeZone": query.get("timeZone", [zone])[-1],
                "accessRole": role, "defaultReminders": [], "items": items,
            }
            if next_token:
                answer["nextPageToken"] = next_token
            return {**answer, "etag": content_etag(answer)}

    def calendar_zone(self, calendar_id: str) -> str:
        with self._lock:
            return self._calendars[calendar_id].time_zone

    def calendar_resource(self, actor: str | None, calendar_id: str) -> dict:
        """calendars.get."""
        with self._lock:
            calendar, _ = self._calendar(actor, calendar_id, "reader")
            answer = {"kind": "calendar#calendar", "id": calendar.id, "summary": calendar.summary,
                      "timeZone": calendar.time_zone}
            return {**answer, "etag": content_etag(answer)}

    def events(self, calendar_id: str, include_cancelled: bool = False) -> list[dict]:
        """Copies of a calendar's events in insertion order (no access checks)."""
        with self._lock:
            stored = self._calendars[calendar_id].events.values()
            return [copy.deepcopy(s.body) for s in stored
                    if include_cancelled or s.body.get("status") != "cancelled"]


# --- the Calendar double -------------------------------------------------------------------------


def _if_match(request: Request) -> str | None:
    """The If-Match header (an etag precondition), if sent."""
    return request.headers.get("if-match")


def _names(header: str | None, etag: str) -> bool:
    """Whether an If-None-Match header names ``etag`` (``*`` names any; weak comparison, RFC 9110 13.1.2)."""
    tags = [t.strip() for t in (header or "").split(",") if t.strip()]
    return "*" in tags or etag.removeprefix("W/") in {t.removeprefix("W/") for t in tags}


def conditional(request: Request, response: Response) -> Response:
    """Conditional retrieval as Google documents it ("Get specific versions of resources"): a GET answer
    carries its resource's etag (also as the ETag header); with an If-None-Match naming it, the answer is a
    bodiless 304 (Not Modified) that carries the ETag a 200 would (RFC 9110 15.4.5)."""
    body = response.body
    if request.method != "GET" or response.status != 200 or not isinstance(body, dict) or "etag" not in body:
        return response
    response.headers["ETag"] = body["etag"]
    if not _names(request.headers.get("if-none-match"), body["etag"]):
        return response
    return Response(304, None, {"ETag": body["etag"]})


def _problem_error(problem: gcal_check.Problem) -> ApiError:
    """Google-like 400 for a request that does not fit the discovery document."""
    if problem.missing in ("start", "end"):
        return _bad_request(f"Missing {problem.missing} time.", "required")
    if problem.missing:
        return _bad_request(f"Required: {problem.location}", "required")
    if problem.where == "query":
        return _bad_request(f"Invalid value for {problem.location}: {problem.message}",
                            location=problem.location)
    return _bad_request(f"Invalid value at '{problem.location}': {problem.message}")


class CalendarDouble(HTTPDouble):
    """Google Calendar API v3 and the OAuth2 token endpoint, on 127.0.0.1.

    ``service_accounts`` maps client_email to the PEM public key to accept;
    ``calendars`` maps calendar id to ``{client_email: role}`` with roles
    ``owner``, ``writer``, ``reader`` or ``none``.
    """

    def __init__(
        self,
        *,
        service_accounts: Mapping[str, str] | None = None,
        calendars: Mapping[str, Mapping[str, str]] | None = None,
        time_zone: str = "UTC",
    ):
        super().__init__()
        self._violations: list[str] = []
        self.tokens = TokenIssuer(service_accounts)
        self.store = CalendarStore()
        for calendar_id, access in (calendars or {}).items():
            self.store.add_calendar(calendar_id, access, time_zone=time_zone)
        store = self.store
        # discovery method id -> (who, calendarId, eventId or None, request) -> answer body or None
        self._routes: dict[str, Callable[[str, str, str | None, Request], object]] = {
            "calendar.events.list": lambda who, cal, _, r: store.list_events(who, cal, r.params),
            "calendar.events.insert": lambda who, cal, _, r: store.insert(who, cal, r.body),
            "calendar.events.get": lambda who, cal, ev, _: store.get(who, cal, ev),
            "calendar.events.patch": lambda who, cal, ev, r: store.patch(who, cal, ev, r.body, _if_match(r)),
            "calendar.events.update": lambda who, cal, ev, r: store.update(who, cal, ev, r.body, _if_match(r)),
            "calendar.events.delete": lambda who, cal, ev, r: store.delete(who, cal, ev, _if_match(r)),
            "calendar.calendars.get": lambda who, cal, _, r: store.calendar_resource(who, cal),
        }

    # URLs and configuration

    @property
    def url(self) -> str:
        """The API base ``http://127.0.0.1:PORT/calendar/v3/``: the client's api_endpoint."""
        return self.origin + API_BASE

    @property
    def token_url(self) -> str:
        """The token endpoint ``http://127.0.0.1:PORT/token``, for a key's ``token_uri``."""
        return self.origin + TOKEN_PATH

    def start(self) -> CalendarDouble:
        """Serve; the double's own token URL becomes an accepted audience too."""
        super().start()
        self.tokens.audiences.add(self.token_url)
        return self

    def trust(self, key: dict) -> dict:
        """Accept a service-account key (the JSON key dict); returns the key."""
        self.tokens.trust(key["client_email"], public_key_pem(key))
        return key

    def new_service_account(self, client_email: str = "meeting-bot@meeting-bot-test.iam.gserviceaccount.com",
                            private_key_pem: str | None = None) -> dict:
        """A key pointing at this double's token endpoint, already trusted."""
        return self.trust(make_service_account_key(self.token_url, client_email, private_key_pem=private_key_pem))

    def add_calendar(self, calendar_id: str, access: Mapping[str, str] | None = None, **kw) -> None:
        """Create a calendar (keywords: summary, time_zone)."""
        self.store.add_calendar(calendar_id, access, **kw)

    def set_access(self, calendar_id: str, client_email: str, role: str) -> None:
        """Give a service account a role on a calendar."""
        self.store.set_access(calendar_id, client_email, role)

    # state for tests

    def events(self, calendar_id: str, include_cancelled: bool = False) -> list[dict]:
        """The calendar's events as stored (copies)."""
        return self.store.events(calendar_id, include_cancelled)

    def add_event(self, calendar_id: str, body: dict, *, creator: str = "someone@example.com") -> dict:
        """Create an event as a human would in the Calendar UI (no token, no access check)."""
        problems = gcal_check.validate("Event", body, "calendar.events.insert")
        if problems:
            raise ValueError("; ".join(map(str, problems)))
        return self.store.insert(None, calendar_id, body, creator=creator)

    @property
    def grants(self) -> list[Grant]:
        """Every access token issued (client_email, scopes, claims)."""
        return self.tokens.grants

    def expire_tokens(self) -> None:
        """Invalidate every issued token: the next API call gets 401."""
        self.tokens.expire_all()

    def api_requests(self, method_id: str | None = None) -> list[Exchange]:
        """Logged API calls, optionally only those of one discovery method."""
        return [r for r in self.requests if r.api_method and method_id in (None, r.api_method)]

    # fault helpers

    def inject_rate_limit(self, times: int | None = 1, *, status: int = 403, reason: str = "rateLimitExceeded",
                          method: str = "*", path_regex: str = API_BASE, **kw) -> Fault:
        """Answer with Calendar's 403/429 rate-limit error (reason as in RATE_LIMIT_MESSAGES)."""
        return self.inject(method, path_regex, status, times=times, body=rate_limit_error(status, reason), **kw)

    def inject_server_error(self, times: int | None = 1, *, status: int = 500, method: str = "*",
                            path_regex: str = API_BASE, **kw) -> Fault:
        """Answer with Google's 500 backendError or 503 body."""
        return self.inject(method, path_regex, status, times=times, **kw)

    def error_body(self, status: int) -> object:
        """Google's error body for an injected status (pass ``body=`` for the token endpoint)."""
        return standard_error(status)

    def finish_response(self, request: Request, response: Response) -> None:
        """Every answer with a body, injected ones included, says JSON as Google does."""
        if response.body is not None:
            response.headers.setdefault("Content-Type", JSON_TYPE)

    # contract violations

    @property
    def violations(self) -> list[str]:
        """Departures from the API contract seen so far (requests and answers)."""
        with self.lock:
            return list(self._violations)

    def take_violations(self) -> list[str]:
        """Return the violations and forget them (for tests that provoke some)."""
        with self.lock:
            taken, self._violations = self._violations, []
            return taken

    def record_violation(self, text: str) -> None:
        """Note a departure from the API contract."""
        with self.lock:
            self._violations.append(text)

    # serving

    def inspect(self, request: Request) -> None:
        """Identify the discovery method and note what does not fit the document.

        Fills ``request.api_method`` (the method id, logged) and the
        request's ``context``: ``method`` (gcal_check.ApiMethod),
        ``path_params`` and ``problems``.
        """
        if request.path == TOKEN_PATH:
            return
        if not request.path.startswith(API_BASE):
            self.record_violation(f"request outside {API_BASE}: {request.method} {request.path}")
            return
        relative = request.raw_path[len(API_BASE):]
        body = None if request.json_error else request.body
        method, params, problems = gcal_check.check_request(request.method, relative, request.params, body)
        if request.json_error:
            problems.insert(0, gcal_check.Problem("body", ".", f"not JSON: {request.json_error}"))
        request.context.update(method=method, path_params=params, problems=problems)
        request.api_method = method.id if method is not None else None
        for problem in problems:
            self.record_violation(f"request {request.method} {request.path}: {problem}")

    def handle(self, request: Request) -> Response:
        """Answer, then check the answer; a crash of the double is a 500 and a violation."""
        try:
            return self._checked_answer(request)
        except Exception:  # noqa: BLE001 - a bug in the double must reach the test
            self.record_violation(f"double crashed on {request.method} {request.path}:\n" + traceback.format_exc())
            return Response(500, standard_error(500))

    def _checked_answer(self, request: Request) -> Response:
        """Answer, then check the answer against the discovery document."""
        try:
            response = self._answer_api(request)
        except ApiError as error:
            response = error.response
        method = request.context.get("method")
        if method is not None:
            problems = gcal_check.check_response(method, response.status, response.body)
            problems += gcal_check.check_validators(method, request.headers, response.status, response.headers,
                                                    response.body)
            for problem in problems:
                self.record_violation(f"response to {request.method} {request.path}: {problem}")
        return response

    def _answer_api(self, request: Request) -> Response:
        """Token endpoint or API call: authenticate, authorise, validate, route."""
        if request.path == TOKEN_PATH and request.method == "POST":
            return self.tokens.exchange(request)
        method = request.context.get("method")
        if method is None:
            raise ApiError(404, standard_error(404))
        grant = self.tokens.authenticate(request.headers.get("authorization"))
        if not set(grant.scopes) & method.scopes:
            raise insufficient_scope(method)
        if request.json_error:
            raise _bad_request("Parse Error", "parseError")
        if request.context["problems"]:
            raise _problem_error(request.context["problems"][0])
        route = self._routes.get(method.id)
        if route is None:
            raise ApiError(501, standard_error(501))
        path_params = request.context["path_params"]
        body = route(grant.client_email, path_params["calendarId"], path_params.get("eventId"), request)
        if body is None:
            return Response(204)
        return conditional(request, Response(200, self._in_response_zone(body, path_params["calendarId"], request)))

    def _in_response_zone(self, body: dict, calendar_id: str, request: Request) -> dict:
        """Event times as Google answers them: with their offset, in the `timeZone` asked for or the calendar's."""
        if body.get("kind") not in ("calendar#event", "calendar#events"):
            return body
        zone = request.query.get("timeZone") or self.store.calendar_zone(calendar_id)
        if body["kind"] == "calendar#event":
            return rendered(body, zone)
        return {**body, "items": [rendered(item, zone) for item in body.get("items", [])]}


@contextlib.contextmanager
def running_calendar(*, strict: bool = True, **kw) -> Iterator[CalendarDouble]:
    """Run a CalendarDouble (keywords as for it) for the ``with`` block.

    With ``strict``, leaving the block cleanly fails if any request or answer
    did not fit the discovery document (see ``violations``).
    """
    double = CalendarDouble(**kw).start()
    try:
        yield double
    finally:
        double.stop()
    if strict and double.violations:
        raise AssertionError("Calendar double saw contract violations:\n" + "\n".join(double.violations))


# --- client side helpers for tests ---------------------------------------------------------------


def calendar_service(url: str, key: dict, scopes: tuple[str, ...] = (SCOPE_EVENTS,), *, timeout: float = 10):
    """The real discovery-built Calendar client, its api_endpoint ``url`` (CalendarDouble.url).

    The same build() the bot is meant to do, with an explicit httplib2 timeout
    and no proxy: static discovery (no discovery fetch), service-account
    credentials from the key (its token_uri names the token endpoint).
    """
    credentials = service_account.Credentials.from_service_account_info(key, scopes=list(scopes))
    http = google_auth_httplib2.AuthorizedHttp(credentials, http=httplib2.Http(timeout=timeout, proxy_info=None))
    return build("calendar", "v3", http=http, static_discovery=True,
                 client_options={"api_endpoint": url})
