"""The Calendar double, driven by the real google-api-python-client.

Every test talks to the double through ``googleapiclient.discovery.build``
with real service-account credentials whose ``token_uri`` is the double's
token endpoint.  Besides conftest's connect guard, name resolution of any
host but loopback is refused and recorded, so even an attempt that a library
would swallow (a discovery fetch, a metadata-server probe) fails the test.
``running_calendar`` fails a test whose requests or answers do not fit the
Calendar v3 discovery document.
"""

from __future__ import annotations

import datetime as dt
import json
import socket
import threading

import httplib2
import pytest
from google.auth.exceptions import RefreshError
from google.oauth2 import service_account
from googleapiclient.discovery import build
from googleapiclient.errors import HttpError

from tests.doubles import gcal_check
from tests.doubles.gcal import (
    SCOPE_CALENDAR,
    SCOPE_EVENTS,
    calendar_service,
    make_service_account_key,
    new_private_key_pem,
    public_key_pem,
    running_calendar,
)

BOT = "meeting-bot@meeting-bot-test.iam.gserviceaccount.com"
TEAM = "wg-team@group.calendar.google.com"
READONLY = "read-only@group.calendar.google.com"
HIDDEN = "not-shared@group.calendar.google.com"


def timed(start: str, end: str, zone: str = "Europe/Berlin", **fields) -> dict:
    """An event body with local dateTimes in ``zone``."""
    return {"start": {"dateTime": start, "timeZone": zone}, "end": {"dateTime": end, "timeZone": zone}, **fields}


MEETING = timed("2025-03-04T17:00:00", "2025-03-04T18:00:00", summary="WG meeting",
                extendedProperties={"private": {"meetingBot": "wg-1"}})


@pytest.fixture(autouse=True)
def no_name_lookups(monkeypatch):
    """Refuse and record resolving any host but loopback; none may be tried."""
    refused, real = [], socket.getaddrinfo

    def loopback_only(host, *args, **kwargs):
        if host not in ("127.0.0.1", "localhost", "::1"):
            refused.append(host)
            raise socket.gaierror(socket.EAI_NONAME, f"{host} is not loopback")
        return real(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", loopback_only)
    yield
    assert refused == [], f"tried to reach {refused}"


def assert_log_fits_discovery(double) -> None:
    """Each answered API call of the log: its answer, and for a success its request, fit the document."""
    for call in double.api_requests():
        if call.status is None or call.fault:
            continue
        method = gcal_check.method_by_id(call.api_method)
        problems = gcal_check.check_response(method, call.status, call.response)
        if call.status < 400:
            relative = call.path.removeprefix("/calendar/v3/")
            problems += gcal_check.check_request(call.method, relative, call.params, call.body)[2]
        assert problems == [], f"{call.method} {call.path}: {problems}"


@pytest.fixture
def double():
    """A running double with a writable, a read-only and an unshared calendar."""
    access = {TEAM: {BOT: "writer"}, READONLY: {BOT: "reader"}, HIDDEN: {BOT: "none"}}
    with running_calendar(calendars=access, time_zone="Europe/Berlin") as running:
        yield running
        assert_log_fits_discovery(running)


@pytest.fixture(scope="module")
def rsa_pem() -> str:
    """One RSA key for the module's service accounts (generating one is slow)."""
    return new_private_key_pem()


@pytest.fixture
def key(double, rsa_pem):
    """The bot's service-account key, trusted by the double."""
    return double.new_service_account(BOT, rsa_pem)


@pytest.fixture
def events(double, key):
    """``service.events()`` of a client scoped to calendar.events."""
    return calendar_service(double.url, key, timeout=5).events()


def fail(request, **kw) -> HttpError:
    """Execute a request that must fail; the HttpError (its body checked)."""
    with pytest.raises(HttpError) as caught:
        request.execute(**kw)
    assert gcal_check.validate("ErrorResponse", _json(caught.value.content)) == []
    return caught.value


def _json(content: bytes) -> object:
    """Decode an error body."""
    return json.loads(content)


def reason(error: HttpError) -> str:
    """The ``reason`` of Google's first error item."""
    return _json(error.content)["error"]["errors"][0]["reason"]


def insert(events, body=MEETING, calendar=TEAM, **kw) -> dict:
    """Insert an event through the client."""
    return events.insert(calendarId=calendar, body=body, **kw).execute()


def list_all(events, max_pages: int = 10, **kw) -> list[dict]:
    """Every event of TEAM over all pages, with the client's own paging."""
    request, items = events.list(calendarId=TEAM, **kw), []
    for _ in range(max_pages):
        page = request.execute()
        items += page["items"]
        request = events.list_next(request, page)
        if request is None:
            return items
    pytest.fail(f"still more pages after {max_pages}")


# --- OAuth ----------------------------------------------------------------------------------------


def test_token_grant_verifies_the_assertion_and_records_the_narrow_scope(double, events):
    events.list(calendarId=TEAM).execute()
    [grant] = double.grants
    assert grant.client_email == BOT
    assert grant.scopes == (SCOPE_EVENTS,)
    assert grant.claims["aud"] == "https://oauth2.googleapis.com/token"
    assert grant.claims["exp"] - grant.claims["iat"] == 3600
    token_call = double.requests[0]
    assert (token_call.path, token_call.form["grant_type"]) == ("/token", "urn:ietf:params:oauth:grant-type:jwt-bearer")


def test_build_as_the_bot_does_reaches_the_double(double, key):
    credentials = service_account.Credentials.from_service_account_info(key, scopes=[SCOPE_EVENTS])
    for endpoint in (double.url, double.url.rstrip("/")):
        service = build("calendar", "v3", credentials=credentials, static_discovery=True,
                        client_options={"api_endpoint": endpoint})
        assert service.events().list(calendarId=TEAM).execute()["kind"] == "calendar#events"
    assert [r.path for r in double.api_requests()] == [f"/calendar/v3/calendars/{TEAM}/events"] * 2


def test_endpoint_without_the_api_path_is_refused(double, key):
    service = calendar_service(double.origin, key)
    assert fail(service.events().list(calendarId=TEAM)).status_code == 404
    assert double.take_violations() == [f"request outside /calendar/v3/: GET /calendars/{TEAM}/events"]


def test_signature_by_an_untrusted_key_is_refused(double, key):
    forged = make_service_account_key(double.token_url, BOT)
    with pytest.raises(RefreshError, match="invalid_grant: Invalid JWT Signature."):
        calendar_service(double.url, forged).events().list(calendarId=TEAM).execute()
    assert double.grants == []
    assert [r.status for r in double.requests] == [400]


def test_service_accounts_configured_by_public_key_are_accepted(rsa_pem):
    with running_calendar(service_accounts={BOT: public_key_pem(rsa_pem)}, calendars={TEAM: {BOT: "owner"}}) as running:
        key = make_service_account_key(running.token_url, BOT, private_key_pem=rsa_pem)
        assert calendar_service(running.url, key).events().list(calendarId=TEAM).execute()["accessRole"] == "owner"


def test_unknown_service_account_is_refused(double, key, rsa_pem):
    stranger = make_service_account_key(double.token_url, "stranger@other.iam.gserviceaccount.com",
                                        private_key_pem=rsa_pem)
    with pytest.raises(RefreshError, match="account not found"):
        calendar_service(double.url, stranger).events().list(calendarId=TEAM).execute()


@pytest.mark.parametrize(("authorization", "why"), [(None, "required"), ("Bearer forged", "authError")])
def test_api_calls_need_a_token_the_double_issued(double, authorization, why):
    headers = {"Authorization": authorization} if authorization else {}
    response, content = httplib2.Http(timeout=5, proxy_info=None).request(
        f"{double.url}calendars/{TEAM}/events", headers=headers)
    error = _json(content)["error"]
    assert (response.status, error["errors"][0]["reason"], error["status"]) == (401, why, "UNAUTHENTICATED")
    assert gcal_check.validate("ErrorResponse", {"error": error}) == []


def test_expired_token_is_refreshed_by_the_client(double, events):
    events.list(calendarId=TEAM).execute()
    double.expire_tokens()
    events.list(calendarId=TEAM).execute()
    assert [(r.path.split("/")[-1], r.status) for r in double.requests] == [
        ("token", 200), ("events", 200), ("events", 401), ("token", 200), ("events", 200)]
    assert len(double.grants) == 2


def test_a_method_outside_the_granted_scope_is_forbidden(double, key):
    narrow = calendar_service(double.url, key, (SCOPE_EVENTS,))
    error = fail(narrow.calendars().get(calendarId=TEAM))
    assert (error.status_code, reason(error)) == (403, "insufficientPermissions")
    wide = calendar_service(double.url, key, (SCOPE_CALENDAR,))
    assert wide.calendars().get(calendarId=TEAM).execute()["timeZone"] == "Europe/Berlin"


# --- events: round trips ------------------------------------------------------------------------------


def test_insert_returns_googles_fields_and_records_send_updates(double, events):
    created = insert(events, sendUpdates="none")
    assert created["status"] == "confirmed" and created["sequence"] == 0
    # Google answers every dateTime with its offset, in the calendar's zone (Europe/Berlin here)
    assert created["start"] == {"dateTime": "2025-03-04T17:00:00+01:00", "timeZone": "Europe/Berlin"}
    assert created["end"] == {"dateTime": "2025-03-04T18:00:00+01:00", "timeZone": "Europe/Berlin"}
    assert created["creator"] == {"email": BOT}
    assert created["organizer"]["email"] == TEAM and created["iCalUID"] == created["id"] + "@google.com"
    assert created["htmlLink"].startswith("https://www.google.com/calendar/event?eid=")
    assert events.get(calendarId=TEAM, eventId=created["id"]).execute() == created
    (stored,) = double.events(TEAM)
    assert stored["start"] == MEETING["start"] and {**stored, "start": None, "end": None} == {
        **created, "start": None, "end": None}  # stored as sent
    assert double.api_requests("calendar.events.insert")[0].query["sendUpdates"] == "none"


def test_patch_merges_extended_properties_and_bumps_sequence_on_time_change(events):
    created = insert(events)
    renamed = events.patch(calendarId=TEAM, eventId=created["id"], body={
        "summary": "WG meeting #2", "extendedProperties": {"private": {"agendaIssue": "42"}}}).execute()
    assert renamed["extendedProperties"]["private"] == {"meetingBot": "wg-1", "agendaIssue": "42"}
    assert (renamed["sequence"], renamed["start"]) == (0, created["start"])
    moved = events.patch(calendarId=TEAM, eventId=created["id"],
                         body={"start": {"dateTime": "2025-03-04T16:30:00"}}).execute()
    assert moved["sequence"] == 1
    assert moved["start"] == {"dateTime": "2025-03-04T16:30:00+01:00", "timeZone": "Europe/Berlin"}
    assert len({created["etag"], renamed["etag"], moved["etag"]}) == 3


def test_update_replaces_the_event_but_keeps_server_fields(events):
    created = insert(events)
    replaced = events.update(calendarId=TEAM, eventId=created["id"],
                             body=timed("2025-03-04T17:00:00", "2025-03-04T18:30:00", summary="Longer")).execute()
    assert "extendedProperties" not in replaced
    assert (replaced["id"], replaced["created"], replaced["summary"]) == (created["id"], created["created"], "Longer")
    assert replaced["sequence"] == 1


def test_delete_cancels_and_a_second_delete_is_gone(double, events):
    created = insert(events)
    assert events.delete(calendarId=TEAM, eventId=created["id"]).execute() == ""
    assert double.events(TEAM) == []
    assert [e["status"] for e in double.events(TEAM, include_cancelled=True)] == ["cancelled"]
    assert events.list(calendarId=TEAM).execute()["items"] == []
    assert [e["id"] for e in events.list(calendarId=TEAM, showDeleted=True).execute()["items"]] == [created["id"]]
    error = fail(events.delete(calendarId=TEAM, eventId=created["id"]))
    assert (error.status_code, reason(error), error.reason) == (410, "deleted", "Resource has been deleted")


# --- events.list --------------------------------------------------------------------------------------


def test_private_extended_properties_must_all_match(double, events):
    def human(name: str, props: dict) -> str:
        body = timed("2025-03-04T10:00:00", "2025-03-04T11:00:00", summary=name,
                     extendedProperties={"private": props, "shared": {"team": "wg"}})
        return double.add_event(TEAM, body)["summary"]

    human("both", {"meetingBot": "wg-1", "date": "2025-03-04"})
    human("other date", {"meetingBot": "wg-1", "date": "2025-03-11"})
    human("no bot", {"date": "2025-03-04"})
    page = events.list(calendarId=TEAM, privateExtendedProperty=["meetingBot=wg-1", "date=2025-03-04"]).execute()
    assert [e["summary"] for e in page["items"]] == ["both"]
    assert len(events.list(calendarId=TEAM, sharedExtendedProperty="team=wg").execute()["items"]) == 3
    assert [e["summary"] for e in events.list(calendarId=TEAM, q="OTHER").execute()["items"]] == ["other date"]


def test_pages_cover_every_event_once(double, events):
    for day in range(1, 8):
        double.add_event(TEAM, timed(f"2025-04-0{day}T10:00:00", f"2025-04-0{day}T11:00:00", summary=f"d{day}"))
    items = list_all(events, maxResults=3)
    assert [e["summary"] for e in items] == [f"d{day}" for day in range(1, 8)]
    pages = double.api_requests("calendar.events.list")
    assert ["pageToken" in r.query for r in pages] == [False, True, True]


def test_a_page_token_of_another_query_is_refused(double, events):
    for day in range(1, 4):
        double.add_event(TEAM, timed(f"2025-04-0{day}T10:00:00", f"2025-04-0{day}T11:00:00"))
    token = events.list(calendarId=TEAM, maxResults=1).execute()["nextPageToken"]
    error = fail(events.list(calendarId=TEAM, pageToken=token, q="other"))
    assert error.status_code == 400


def test_time_window_and_single_events_expand_a_weekly_series(double, events):
    double.add_event(TEAM, timed("2025-03-04T17:00:00", "2025-03-04T18:00:00", summary="weekly",
                                 recurrence=["RRULE:FREQ=WEEKLY;COUNT=10"]))
    double.add_event(TEAM, timed("2025-03-12T09:00:00", "2025-03-12T09:30:00", summary="single"))
    window = dict(timeMin="2025-03-10T00:00:00Z", timeMax="2025-03-26T00:00:00Z")
    page = events.list(calendarId=TEAM, singleEvents=True, orderBy="startTime", **window).execute()
    assert [(e["summary"], e["start"]["dateTime"]) for e in page["items"]] == [
        ("weekly", "2025-03-11T17:00:00+01:00"), ("single", "2025-03-12T09:00:00+01:00"),
        ("weekly", "2025-03-18T17:00:00+01:00"), ("weekly", "2025-03-25T17:00:00+01:00")]
    series = events.list(calendarId=TEAM, **window).execute()["items"]
    assert [e["summary"] for e in series] == ["weekly", "single"]


def test_times_come_back_with_their_offset_in_the_zone_asked_for(double, events):
    """Discovery document: events.get/list `timeZone` is the "time zone used in the response", by default the
    calendar's; EventDateTime.dateTime is RFC 3339 with an offset unless `timeZone` says the zone."""
    created = insert(events)
    in_utc = events.get(calendarId=TEAM, eventId=created["id"], timeZone="UTC").execute()
    assert in_utc["start"] == {"dateTime": "2025-03-04T16:00:00+00:00", "timeZone": "Europe/Berlin"}
    (listed,) = events.list(calendarId=TEAM, timeZone="America/New_York").execute()["items"]
    assert listed["start"]["dateTime"] == "2025-03-04T11:00:00-05:00"
    for answer in (created, in_utc, listed):
        assert dt.datetime.fromisoformat(answer["start"]["dateTime"]).utcoffset() is not None


def test_order_by_start_time_needs_single_events(events):
    assert reason(fail(events.list(calendarId=TEAM, orderBy="startTime"))) == "badRequest"


# --- validation like Google's -------------------------------------------------------------------------


@pytest.mark.parametrize(("body", "why", "message"), [
    (timed("2025-03-04T18:00:00", "2025-03-04T17:00:00"), "timeRangeEmpty", "The specified time range is empty."),
    ({"end": MEETING["end"]}, "required", "Missing start time."),
    (timed("2025-03-04T17:00:00", "2025-03-04T18:00:00", zone="Mars/Olympus"), "invalid",
     "Invalid time zone definition for start time."),
    ({"start": {"dateTime": "2025-03-04T17:00:00"}, "end": {"dateTime": "2025-03-04T18:00:00"}}, "required",
     "Missing time zone definition for start time."),
    ({**MEETING, "recurrence": ["RRULE:FREQ=SOMETIMES"]}, "invalid", "Invalid recurrence rule."),
])
def test_bad_event_times_are_refused_like_google_does(double, events, body, why, message):
    error = fail(events.insert(calendarId=TEAM, body=body))
    assert (error.status_code, reason(error), error.reason) == (400, why, message)
    assert double.events(TEAM) == []
    double.take_violations()


def test_an_empty_list_window_is_refused(events):
    error = fail(events.list(calendarId=TEAM, timeMin="2025-03-05T00:00:00Z", timeMax="2025-03-04T00:00:00Z"))
    assert (reason(error), _json(error.content)["error"]["errors"][0]["location"]) == ("timeRangeEmpty", "timeMax")


def test_a_field_the_discovery_document_lacks_is_refused_and_reported(double, events):
    misspelt = {**MEETING, "extendedProperty": {"private": {"meetingBot": "wg-1"}}}
    assert fail(events.insert(calendarId=TEAM, body=misspelt)).status_code == 400
    [violation] = double.take_violations()
    assert "'extendedProperty' was unexpected" in violation


def test_strict_running_calendar_fails_on_violations():
    with pytest.raises(AssertionError, match="contract violations"):
        with running_calendar() as running:
            running.record_violation("a request did not fit")


# --- access -------------------------------------------------------------------------------------------


def test_unshared_calendar_is_not_found_and_reader_cannot_write(events):
    hidden = fail(events.list(calendarId=HIDDEN))
    assert (hidden.status_code, reason(hidden), hidden.reason) == (404, "notFound", "Not Found")
    assert events.list(calendarId=READONLY).execute()["accessRole"] == "reader"
    denied = fail(events.insert(calendarId=READONLY, body=MEETING))
    assert (denied.status_code, reason(denied)) == (403, "requiredAccessLevel")
    assert denied.reason == "You need to have writer access to this calendar."
    assert reason(fail(events.get(calendarId=TEAM, eventId="nosuchevent"))) == "notFound"


# --- faults -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("status", "why"), [
    (403, "rateLimitExceeded"), (403, "userRateLimitExceeded"), (429, "rateLimitExceeded")])
def test_rate_limits_surface_and_the_client_retries_them(double, events, status, why):
    double.inject_rate_limit(times=1, status=status, reason=why)
    error = fail(events.list(calendarId=TEAM))
    assert (error.status_code, reason(error)) == (status, why)
    double.inject_rate_limit(times=2, status=status, reason=why)
    request = events.list(calendarId=TEAM)
    request._sleep = lambda seconds: None  # the client's backoff, not what is tested
    assert request.execute(num_retries=2)["items"] == []
    assert [r.status for r in double.api_requests()][-3:] == [status, status, 200]


@pytest.mark.parametrize("status", [500, 503])
def test_server_errors_have_googles_shape(double, events, status):
    double.inject_server_error(status=status)
    error = fail(events.list(calendarId=TEAM))
    assert (error.status_code, reason(error)) == (status, "backendError")


def test_ambiguous_write_is_stored_although_the_client_sees_an_error(double, events):
    double.inject("POST", r"/events$", 503, apply=True)
    assert fail(events.insert(calendarId=TEAM, body=MEETING)).status_code == 503
    assert [e["summary"] for e in double.events(TEAM)] == ["WG meeting"]


@pytest.mark.parametrize(("apply", "stored"), [(False, 0), (True, 1)])
def test_connection_reset(double, events, apply, stored):
    double.reset_connection("POST", r"/events$", apply=apply)
    with pytest.raises(ConnectionResetError):
        insert(events)
    assert len(double.events(TEAM)) == stored
    assert (double.requests[-1].status, double.requests[-1].fault) == (None, True)


def test_a_dropped_connection_is_silently_sent_again_by_httplib2(double, events):
    double.drop("POST", r"/events$", apply=True)
    insert(events)
    assert [e.status for e in double.writes(r"/events$")] == [None, 200]
    assert len(double.events(TEAM)) == 2, "the ambiguous insert was repeated: two events"


def test_slow_server_times_the_client_out(double, key):
    hasty = calendar_service(double.url, key, timeout=1).events()
    double.slow("GET", r"/events$", 30)  # stop() cuts the wait short
    with pytest.raises(TimeoutError):
        hasty.list(calendarId=TEAM).execute()
    assert hasty.list(calendarId=TEAM).execute()["items"] == []
    assert [e.fault for e in double.api_requests()] == [False, False]


def test_concurrent_clients_see_one_consistent_calendar(double, key):
    def worker(n: int) -> None:
        client = calendar_service(double.url, key, timeout=5).events()
        for i in range(4):
            insert(client, timed("2025-05-01T10:00:00", "2025-05-01T11:00:00", summary=f"{n}-{i}"))

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    stored = double.events(TEAM)
    assert sorted(e["summary"] for e in stored) == sorted(f"{n}-{i}" for n in range(6) for i in range(4))
    assert len({e["id"] for e in stored}) == len({e["etag"] for e in stored}) == 24


# --- the discovery checks themselves ------------------------------------------------------------------


def test_discovery_check_knows_the_methods_and_parameters_the_bot_uses():
    query = {"privateExtendedProperty": ["a=b", "c=d"], "timeMin": ["2025-03-04T00:00:00Z"], "pageToken": ["x"],
             "maxResults": ["2500"], "showDeleted": ["true"], "singleEvents": ["false"], "alt": ["json"]}
    method, params, problems = gcal_check.check_request("GET", f"calendars/{TEAM}/events", query, None)
    assert (method.id, params, problems) == ("calendar.events.list", {"calendarId": TEAM}, [])
    insert_method, _, _ = gcal_check.check_request("POST", "calendars/c/events", {"sendUpdates": ["all"]}, MEETING)
    assert insert_method.id == "calendar.events.insert"


@pytest.mark.parametrize(("verb", "path", "query", "body", "where"), [
    ("GET", "calendars/c/events", {"privateExtendedPropety": ["a=b"]}, None, "query"),
    ("GET", "calendars/c/events", {"timeMin": ["2025-03-04T00:00:00"]}, None, "query"),
    ("GET", "calendars/c/events", {"q": ["a", "b"]}, None, "query"),
    ("POST", "calendars/c/events", {"sendUpdates": ["everyone"]}, MEETING, "query"),
    ("POST", "calendars/c/events", {}, {"summary": "no times"}, "body"),
    ("PATCH", "calendars/c/events/e", {}, {"start": {"dateTime": 5}}, "body"),
    ("POST", "calendars/c/meetings", {}, None, "path"),
])
def test_discovery_check_finds_what_does_not_fit(verb, path, query, body, where):
    problems = gcal_check.check_request(verb, path, query, body)[2]
    assert [p.where for p in problems][:1] == [where]
