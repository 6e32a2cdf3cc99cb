"""The Calendar double's ETags, as Google documents them ("Get specific versions of resources").

Every resource has an etag that changes every time the resource changes; a GET with If-None-Match naming
the current one is answered 304 (Not modified), a write with an If-Match naming an older one 412
(Precondition failed). Driven by the real google-api-python-client, headers set on its HttpRequest.
"""

from __future__ import annotations

import pytest

from tests.doubles import gcal_check
from tests.doubles.gcal import content_etag
from tests.test_double_gcal import (  # noqa: F401 - fixtures
    TEAM, double, events, fail, insert, key, no_name_lookups, reason, rsa_pem, timed,
)


def conditionally(request, etag: str):
    """The request with If-None-Match set, as the client's public `headers` allow."""
    request.headers = {**request.headers, "If-None-Match": etag}
    return request


def not_modified(request) -> None:
    error = fail_304(request)
    assert error.resp.status == 304 and error.content == b""


def fail_304(request):
    from googleapiclient.errors import HttpError

    with pytest.raises(HttpError) as caught:
        request.execute()
    return caught.value


def test_an_event_is_not_sent_again_while_its_etag_stands(double, events):
    created = insert(events)
    got = events.get(calendarId=TEAM, eventId=created["id"]).execute()
    assert got["etag"] == created["etag"]

    not_modified(conditionally(events.get(calendarId=TEAM, eventId=created["id"]), got["etag"]))
    (answer,) = [c for c in double.api_requests("calendar.events.get") if c.status == 304]
    assert answer.response_headers["ETag"] == got["etag"]

    double.store.patch(None, TEAM, created["id"], {"summary": "Renamed in the Calendar UI"})  # a person edits it
    fresh = conditionally(events.get(calendarId=TEAM, eventId=created["id"]), got["etag"]).execute()
    assert fresh["summary"] == "Renamed in the Calendar UI" and fresh["etag"] != got["etag"]


def test_an_if_none_match_list_and_star_follow_rfc_9110(events):
    created = insert(events)
    request = events.get(calendarId=TEAM, eventId=created["id"])
    not_modified(conditionally(request, f'"other", W/{created["etag"]}'))  # weak comparison, one of several
    not_modified(conditionally(events.get(calendarId=TEAM, eventId=created["id"]), "*"))
    assert conditionally(events.get(calendarId=TEAM, eventId=created["id"]), '"other"').execute()["id"] == created["id"]


def test_a_list_answer_keeps_its_etag_until_what_it_lists_changes(double, events):
    first = insert(events)
    query = {"calendarId": TEAM, "privateExtendedProperty": "meetingBot=wg-1", "singleEvents": True}
    answer = events.list(**query).execute()
    assert events.list(**query).execute()["etag"] == answer["etag"]  # the same answer, the same etag
    not_modified(conditionally(events.list(**query), answer["etag"]))

    double.store.patch(None, TEAM, first["id"], {"description": "edited by hand"})
    edited = conditionally(events.list(**query), answer["etag"]).execute()
    assert edited["etag"] != answer["etag"] and edited["items"][0]["description"] == "edited by hand"

    insert(events, timed("2025-03-11T17:00:00", "2025-03-11T18:00:00", extendedProperties={"private": {"x": "y"}}))
    other = conditionally(events.list(**query), edited["etag"]).execute()  # the calendar's `updated` moved
    assert other["etag"] != edited["etag"] and [e["id"] for e in other["items"]] == [first["id"]]


def test_each_page_has_its_own_etag(events):
    for day in (4, 11, 18):
        insert(events, timed(f"2025-03-{day:02}T17:00:00", f"2025-03-{day:02}T18:00:00"))
    page = events.list(calendarId=TEAM, maxResults=2).execute()
    following = events.list_next(events.list(calendarId=TEAM, maxResults=2), page)
    second = following.execute()
    assert page["etag"] != second["etag"]
    not_modified(conditionally(events.list_next(events.list(calendarId=TEAM, maxResults=2), page), second["etag"]))


def test_a_write_with_a_stale_if_match_is_refused_412(double, events):
    created = insert(events)
    double.store.patch(None, TEAM, created["id"], {"summary": "Someone else's edit"})
    request = events.patch(calendarId=TEAM, eventId=created["id"], body={"summary": "Ours"})
    request.headers = {**request.headers, "If-Match": created["etag"]}
    error = fail(request)
    assert (error.resp.status, reason(error)) == (412, "conditionNotMet")
    current = double.events(TEAM)[0]
    assert current["summary"] == "Someone else's edit"
    request = events.patch(calendarId=TEAM, eventId=created["id"], body={"summary": "Ours"})
    request.headers = {**request.headers, "If-Match": current["etag"]}
    assert request.execute()["summary"] == "Ours"


# --- the checks themselves ---------------------------------------------------------------------------


GET_EVENT = gcal_check.method_by_id("calendar.events.get")
LIST = gcal_check.method_by_id("calendar.events.list")
PATCH = gcal_check.method_by_id("calendar.events.patch")
CONDITIONAL = {"if-none-match": '"1"'}


@pytest.mark.parametrize(("method", "request_headers", "status", "headers", "body", "where"), [
    (GET_EVENT, CONDITIONAL, 304, {}, None, "ETag"),  # a 304 names the current etag
    (PATCH, CONDITIONAL, 304, {"ETag": '"1"'}, None, "."),  # only a GET is answered 304
    (GET_EVENT, {}, 304, {"ETag": '"1"'}, None, "."),  # and only a conditional one
    (LIST, {}, 200, {}, {"kind": "calendar#events", "items": []}, ".etag"),  # Events declares etag
    (GET_EVENT, {}, 200, {"ETag": '"2"'}, {"etag": '"1"'}, "ETag"),  # header and body agree
])
def test_the_validator_check_finds_what_does_not_fit(method, request_headers, status, headers, body, where):
    problems = gcal_check.check_validators(method, request_headers, status, headers, body)
    assert [p.location for p in problems] == [where]


def test_a_304_with_a_body_does_not_fit():
    assert gcal_check.check_response(GET_EVENT, 304, {"etag": '"1"'})
    assert gcal_check.check_response(GET_EVENT, 304, None) == []


def test_the_content_etag_depends_on_every_field():
    answer = {"kind": "calendar#events", "items": [{"id": "a"}]}
    assert content_etag(answer) == content_etag(dict(reversed(list(answer.items()))))
    assert content_etag(answer) != content_etag({**answer, "items": [{"id": "b"}]})
    assert gcal_check.validate("Events", {**answer, "etag": content_etag(answer)}) == []
