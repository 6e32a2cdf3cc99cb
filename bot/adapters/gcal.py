"""The Calendar over Google Calendar API v3: one event per occurrence, found by a private property."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import socket
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from bot.adapters import gcal_cache
from bot.adapters.conditional import NOT_MODIFIED, ETagCache
from bot.adapters.retry import TRANSIENT, Failure, Kind, Policy
from bot import http_log
from bot.model import EventRecord
from bot.markers import EVENT_EXTRA_PROPERTY, EVENT_KEY_PROPERTY, EVENT_MEETING_PROPERTY
from bot.ports import EventDraft, Forbidden, NotFound, RateLimited, ServiceError
from bot.settings import Settings

SCOPE = "https://www.googleapis.com/auth/calendar.events"  # the narrowest scope that can write events
PAGE_SIZE = 250
RATE_REASONS = frozenset({"rateLimitExceeded", "userRateLimitExceeded", "quotaExceeded"})

NO_KEY = "calendar: no service-account key; set GOOGLE_APPLICATION_CREDENTIALS or GOOGLE_SERVICE_ACCOUNT_JSON"
BAD_KEY = "calendar: the service-account key {where} is not usable ({why})"
AUTH_FAILED = "calendar {calendar}: Google refused the service account's token request ({why}); check the key"
NOT_SHARED = "calendar {calendar}: not found, or not shared with {email} (404); share it with 'Make changes to events'"
NO_WRITE = "calendar {calendar}: {email} may not change events (403 {reason}); share it with 'Make changes to events'"
RATE_LIMITED = "calendar {calendar}: Google's rate limit persisted after retries (403/429 {reason})"
FAILED = "calendar {calendar}: Google answered {status} ({reason})"
UNREACHABLE = "calendar {calendar}: cannot reach the Calendar API ({kind})"
NOT_OURS = ("calendar {calendar}: event {id} of {key} was not made by {email}, so it is left untouched "
            "and this occurrence gets no event (see Troubleshooting)")


def _load_key(settings: Settings) -> tuple[dict, str]:
    if settings.google_service_account_json is not None:
        where, text = "in GOOGLE_SERVICE_ACCOUNT_JSON", settings.google_service_account_json.reveal()
    elif settings.google_credentials_path:
        where = f"at {settings.google_credentials_path}"
        try:
            text = Path(settings.google_credentials_path).read_text(encoding="utf-8")
        except OSError as exc:
            raise ServiceError(BAD_KEY.format(where=where, why=exc.strerror)) from None
    else:
        raise ServiceError(NO_KEY)
    try:
        info = json.loads(text)
    except ValueError:
        raise ServiceError(BAD_KEY.format(where=where, why="not JSON")) from None
    if not isinstance(info, dict) or info.get("type") != "service_account":
        raise ServiceError(BAD_KEY.format(where=where, why="not a service-account key"))
    return info, where


def _wall(value: dict) -> tuple[str, str]:
    """An event time as (local wall-clock dateTime, zone), whatever offset Google wrote it with."""
    zone = value.get("timeZone") or "UTC"
    moment = dt.datetime.fromisoformat(value["dateTime"].replace("Z", "+00:00"))
    if moment.tzinfo is not None:
        moment = moment.astimezone(ZoneInfo(zone)).replace(tzinfo=None)
    return moment.isoformat(timespec="seconds"), zone


class _Exists(ServiceError):
    """Insert refused with 409: an event with that id is already there."""


def event_id_for(key: str) -> str:
    """A stable event id for an artifact key, in the base32hex alphabet Google requires."""
    return "mb" + hashlib.sha256(key.encode("utf-8")).hexdigest()[:40]


def record(event: dict) -> EventRecord:
    """Google's event as our value; all-day events have no dateTime and are not the bot's."""
    start, zone = _wall(event.get("start") or {"dateTime": "1970-01-01T00:00:00"})
    end, _ = _wall(event.get("end") or {"dateTime": "1970-01-01T00:00:00"})
    private = (event.get("extendedProperties") or {}).get("private") or {}
    return EventRecord(
        id=event["id"],
        summary=event.get("summary", ""),
        description=event.get("description", ""),
        location=event.get("location", ""),
        start=start,
        end=end,
        timezone=zone,
        status=event.get("status", "confirmed"),
        url=event.get("htmlLink", ""),
        key=private.get(EVENT_KEY_PROPERTY, ""),
        extra=private.get(EVENT_EXTRA_PROPERTY) == "1",
    )


def body(draft: EventDraft) -> dict:
    """The event resource for a draft; no attendees, so nobody is invited or e-mailed."""
    return {
        "summary": draft.summary,
        "description": draft.description,
        "location": draft.location,
        "start": {"dateTime": draft.start, "timeZone": draft.timezone},
        "end": {"dateTime": draft.end, "timeZone": draft.timezone},
        "status": "confirmed",
        "extendedProperties": {"private": dict(draft.private)},
    }


def _expected(draft: EventDraft, found: EventRecord) -> EventRecord:
    """The event as the draft would leave it, beside the fields a write does not set."""
    import dataclasses

    return dataclasses.replace(
        found, summary=draft.summary, description=draft.description, location=draft.location,
        start=draft.start, end=draft.end, timezone=draft.timezone, status="confirmed", key=draft.key,
    )


class GoogleCalendar:
    """Events in shared calendars, as a service account, with bounded retries."""

    def __init__(self, service, email: str, policy: Policy | None = None, cache: ETagCache | None = None) -> None:
        self._service = service
        self.email = email
        self.policy = policy if policy is not None else Policy(60.0)
        self.cache = cache if cache is not None else ETagCache()  # the process's one cache, shared with GitHub's

    @classmethod
    def from_settings(cls, settings: Settings, policy: Policy | None = None,
                      cache: ETagCache | None = None) -> GoogleCalendar:
        import google_auth_httplib2
        import httplib2
        from google.oauth2 import service_account
        from googleapiclient.discovery import build

        info, where = _load_key(settings)
        try:
            credentials = service_account.Credentials.from_service_account_info(info, scopes=[SCOPE])
        except (ValueError, KeyError) as exc:
            raise ServiceError(BAD_KEY.format(where=where, why=type(exc).__name__)) from None
        raw = http_log.timed_http(httplib2.Http)(timeout=settings.http_timeout)  # logs and counts each request
        http = google_auth_httplib2.AuthorizedHttp(credentials, http=raw)
        options = {"api_endpoint": settings.google_calendar_api_url} if settings.google_calendar_api_url else None
        service = build("calendar", "v3", http=http, static_discovery=True, client_options=options, cache_discovery=False)
        return cls(service, info.get("client_email", "the service account"), policy, cache)

    def find_meeting(self, calendar_id: str, meeting_id: str, after: dt.datetime) -> tuple[EventRecord, ...]:
        events = self._service.events()
        request = events.list(
            calendarId=calendar_id,
            privateExtendedProperty=f"{EVENT_MEETING_PROPERTY}={meeting_id}",
            timeMin=gcal_cache.list_from(after).isoformat().replace("+00:00", "Z"),  # one URL all month
            singleEvents=True,
            showDeleted=False,
            maxResults=PAGE_SIZE,
        )
        found: list[EventRecord] = []
        while request is not None:
            page = self._read(request, calendar_id)
            found.extend(record(e) for e in page.get("items", []) if _timed(e) and gcal_cache.ends_after(e, after)
                         and self._made(e))
            request = events.list_next(request, page)
        return tuple(found)

    def _read(self, request, calendar_id: str) -> dict:
        """A GET, conditional when an earlier answer is cached: a 304 is answered from the cache."""
        entry = gcal_cache.key(request, self.email)
        cached = gcal_cache.prepare(request, self.cache, entry)
        answer = self._execute(request, calendar_id, Kind.READ, cached)
        if cached is None or answer is not cached[1]:
            gcal_cache.keep(self.cache, entry, answer)
        return answer

    def _made(self, event: dict) -> bool:
        """Whether the service account created the event: anyone who can edit the calendar can copy
        the bot's private properties into an event of their own."""
        return str((event.get("creator") or {}).get("email", "")).casefold() == self.email.casefold()

    def create(self, calendar_id: str, draft: EventDraft) -> EventRecord:
        """Insert with an id derived from the key, so a repeated insert (after a 5xx or a dropped connection
        that may have been applied) is refused with 409 instead of duplicating: a safe write.
        A 409 means the event exists (perhaps cancelled by hand, or by our own first attempt): it is
        then read back and, when the service account made it, brought up to date by a PATCH. Anyone who
        can edit the calendar can make an event with that id first: that one is not touched (NOT_OURS).
        """
        event_id = event_id_for(draft.key)
        request = self._service.events().insert(
            calendarId=calendar_id, body={**body(draft), "id": event_id}, sendUpdates="none"
        )
        try:
            return record(self._execute(request, calendar_id, Kind.SAFE_WRITE))
        except _Exists:
            pass
        existing = self._read(self._service.events().get(calendarId=calendar_id, eventId=event_id), calendar_id)
        if not self._made(existing):
            raise ServiceError(NOT_OURS.format(calendar=calendar_id, id=event_id, key=draft.key, email=self.email))
        found = record(existing)
        if found == _expected(draft, found):
            return found  # our own first attempt (or another run) made it just so: nothing to write
        return self.update(calendar_id, event_id, draft)

    def update(self, calendar_id: str, event_id: str, draft: EventDraft) -> EventRecord:
        request = self._service.events().patch(
            calendarId=calendar_id, eventId=event_id, body=body(draft), sendUpdates="none"
        )
        return record(self._execute(request, calendar_id, Kind.SAFE_WRITE))  # sets the whole event

    def cancel(self, calendar_id: str, event_id: str) -> None:
        request = self._service.events().delete(calendarId=calendar_id, eventId=event_id, sendUpdates="none")
        try:
            self._execute(request, calendar_id, Kind.SAFE_WRITE)  # a repeat finds it gone (410)
        except NotFound:
            return  # already gone (410 Gone or 404): the goal is met

    def _execute(self, request, calendar_id: str, kind: Kind, cached: tuple[str, Any] | None = None):
        """One request through the retry policy; the client library's own retries are off (num_retries=0).
        A 304 to a conditional read is the `cached` answer (decided by status, as for every error)."""
        from googleapiclient.errors import HttpError

        try:
            return self.policy.call(lambda: request.execute(num_retries=0), _classify, kind)
        except HttpError as exc:
            if cached is not None and int(exc.resp.status) == NOT_MODIFIED:
                return cached[1]
            raise self._translate(exc, calendar_id) from None
        except Exception as exc:
            raise self._transport(exc, calendar_id) from None

    def _translate(self, exc, calendar_id: str) -> ServiceError:
        status = int(exc.resp.status)
        reason = _reason(exc)
        if status == 409:
            return _Exists(FAILED.format(calendar=calendar_id, status=status, reason=reason or "duplicate"))
        if status in (404, 410):
            return NotFound(NOT_SHARED.format(calendar=calendar_id, email=self.email))
        if status == 429 or reason in RATE_REASONS:
            return RateLimited(RATE_LIMITED.format(calendar=calendar_id, reason=reason or status))
        if status == 403:
            return Forbidden(NO_WRITE.format(calendar=calendar_id, email=self.email, reason=reason or "forbidden"))
        if status == 401:
            return ServiceError(AUTH_FAILED.format(calendar=calendar_id, why="401 unauthorized"))
        return ServiceError(FAILED.format(calendar=calendar_id, status=status, reason=reason or "no reason given"))

    def _transport(self, exc: Exception, calendar_id: str) -> ServiceError:
        from google.auth.exceptions import RefreshError, TransportError

        if isinstance(exc, RefreshError):
            why = str(exc.args[0]).splitlines()[0][:200] if exc.args and str(exc.args[0]) else "refused"
            return ServiceError(AUTH_FAILED.format(calendar=calendar_id, why=why))
        if isinstance(exc, (TransportError, OSError, socket.timeout)) or type(exc).__module__.startswith("httplib2"):
            return ServiceError(UNREACHABLE.format(calendar=calendar_id, kind=type(exc).__name__))
        raise exc


def _timed(event: dict) -> bool:
    """Whether an event has a start and end time (all-day events are not the bot's)."""
    return bool((event.get("start") or {}).get("dateTime") and (event.get("end") or {}).get("dateTime"))


def _classify(exc: BaseException) -> Failure | None:
    """Google's usage limits (403/429 with a rate reason: back off and repeat) and transient 5xx and transport errors."""
    from google.auth.exceptions import TransportError
    from googleapiclient.errors import HttpError

    if isinstance(exc, HttpError):
        status = int(exc.resp.status)
        if status == 429 or (status == 403 and _reason(exc) in RATE_REASONS):
            retry_after = str(exc.resp.get("retry-after") or "").strip()
            return Failure(rate_limit=True, wait=float(retry_after) if retry_after.isdigit() else None)
        return TRANSIENT if status >= 500 else None
    if isinstance(exc, (TransportError, OSError, socket.timeout)) or type(exc).__module__.startswith("httplib2"):
        return TRANSIENT
    return None


def _reason(exc) -> str:
    try:
        details = json.loads(exc.content.decode("utf-8"))["error"]
        return (details.get("errors") or [{}])[0].get("reason") or details.get("status") or ""
    except (ValueError, KeyError, TypeError, AttributeError, IndexError):
        return ""
