"""The published site's content, in process: which occurrences, cancelled or not, their links, the
agenda, the page (escaped, overridable) and meetings.json."""

from __future__ import annotations

import base64
import dataclasses
import datetime as dt
import hashlib
import html
import re

import pytest

from bot import ical, pages, site
from bot.model import Agenda, AgendaGroup, AgendaItem, IssueRecord
from bot.render import Links, RenderError, Renderer
from tests.factories import JOIN_URL, MEETING_ID, MEETING_REPO, make_meeting, make_slot

UTC = dt.timezone.utc
NOW = dt.datetime(2023, 10, 1, tzinfo=UTC)  # the reference meeting: every other Monday 08:30 Los Angeles
SKIP = dt.date(2023, 10, 23)
HOSTILE = "<script>alert(1)</script> & <b>bold</b>"
ITEM = AgendaItem("openjs-foundation/ideas", 7, HOSTILE, "https://github.com/openjs-foundation/ideas/issues/7")
AGENDA = Agenda("security-agenda", ("openjs-foundation",), groups=(AgendaGroup(ITEM.repo, (ITEM,)),))


def meeting(**changes):
    return make_meeting(slots=(make_slot(skip_dates=(SKIP,)),), **changes)


def window():
    return site.window(NOW, 8)


def keys(scheduled, cancelled: bool) -> list[str]:
    return [s.occurrence.key for s in scheduled if s.cancelled == cancelled]


def test_the_window_holds_the_recent_past_and_skipped_dates_stay_cancelled():
    scheduled = site.schedule(meeting(), *window(), {})
    assert keys(scheduled, False) == [f"{MEETING_ID}/{d}" for d in
                                      ("2023-09-11", "2023-09-25", "2023-10-09", "2023-11-06", "2023-11-20")]
    assert keys(scheduled, True) == [f"{MEETING_ID}/{SKIP}"]


FEED = """BEGIN:VCALENDAR\r
VERSION:2.0\r
PRODID:x\r
BEGIN:VEVENT\r
UID:a\r
SUMMARY:Security Collab\r
DTSTART:20231012T083000\r
DTEND:20231012T093000\r
STATUS:CANCELLED\r
END:VEVENT\r
BEGIN:VEVENT\r
UID:b\r
SUMMARY:Board\r
DTSTART:20231013T083000\r
STATUS:CANCELLED\r
END:VEVENT\r
BEGIN:VEVENT\r
UID:c\r
SUMMARY:Security Collab\r
DTSTART:20231019T083000\r
END:VEVENT\r
END:VCALENDAR\r
"""


def test_a_feeds_cancelled_events_that_the_meeting_follows_are_listed_cancelled():
    url = "https://example.org/feed.ics"
    feed_meeting = make_meeting(slots=(make_slot(start=None, rrule=None, ics_url=url, ics_match="security"),))
    scheduled = site.schedule(feed_meeting, *window(), {url: FEED})
    assert keys(scheduled, False) == [f"{MEETING_ID}/2023-10-19"]
    (cancelled,) = [s.occurrence for s in scheduled if s.cancelled]
    assert cancelled.key == f"{MEETING_ID}/2023-10-12"
    assert cancelled.start.strftime("%H:%M %Z") == "08:30 PDT"  # a floating time is in the slot's zone
    assert cancelled.end - cancelled.start == dt.timedelta(hours=1)


def test_without_a_match_every_cancelled_timed_event_counts_and_all_day_ones_do_not():
    url = "https://example.org/feed.ics"
    feed_meeting = make_meeting(slots=(make_slot(start=None, rrule=None, ics_url=url, ics_match=None),))
    scheduled = site.schedule(feed_meeting, *window(), {url: FEED})
    board = [s.occurrence for s in scheduled if s.cancelled][1]
    assert board.key == f"{MEETING_ID}/2023-10-13" and board.end - board.start == dt.timedelta(hours=1)  # no DTEND
    all_day = FEED.replace("DTSTART:20231013T083000", "DTSTART;VALUE=DATE:20231013")
    assert keys(site.schedule(feed_meeting, *window(), {url: all_day}), True) == [f"{MEETING_ID}/2023-10-12"]


def _record(key: str, start: dt.datetime, repo: str = MEETING_REPO) -> ical.Published:
    return ical.Published(ical.uid(repo, key), key, 0, NOW, "0" * 64, start, start + dt.timedelta(hours=1))


def test_an_occurrence_the_previous_feed_listed_and_the_schedule_dropped_stays_cancelled():
    gone = dt.datetime(2023, 10, 30, 15, 30, tzinfo=UTC)
    previous = {
        r.uid: r for r in (
            _record(f"{MEETING_ID}/2023-10-30", gone),
            _record(f"{MEETING_ID}/2023-10-31", gone + dt.timedelta(days=1), repo="someone/else"),
            _record(f"{MEETING_ID}/2022-10-30", gone - dt.timedelta(days=365)),  # long gone: out of the window
            _record(f"{MEETING_ID}/2023-10-09", dt.datetime(2023, 10, 9, 15, 30, tzinfo=UTC)),  # still scheduled
            _record(f"{MEETING_ID}/2023-11-01", gone),  # a key that does not match its time: forged
        )
    }
    listed = site.schedule(meeting(), *window(), {})
    found = site.previously_published(meeting(), previous, *window(), listed)
    assert keys(found, True) == [f"{MEETING_ID}/{SKIP}", f"{MEETING_ID}/2023-10-30"]
    assert len(found) == len(listed) + 1


def test_the_agenda_goes_to_the_next_occurrence_and_issues_and_notes_are_linked():
    scheduled = site.schedule(meeting(), *window(), {})
    issue = IssueRecord(60, f"https://github.com/{MEETING_REPO}/issues/60", "t", "", "open")
    found = site.Found(AGENDA, {f"{MEETING_ID}/2023-10-09": issue}, {f"{MEETING_ID}/2023-10-09": "https://n.example/x"})
    entries = site.entries(meeting(), scheduled, found, Renderer(), NOW)
    by_key = {e.occurrence.key: e for e in entries}
    nxt = by_key[f"{MEETING_ID}/2023-10-09"]
    assert nxt.agenda == AGENDA and [e.agenda for e in entries].count(None) == len(entries) - 1
    assert nxt.links == Links(issue.url, "https://n.example/x", "https://calendar.openjsf.org", JOIN_URL)
    assert "&lt;script&gt;" in nxt.description  # the calendar template's |plain
    assert by_key[f"{MEETING_ID}/{SKIP}"].cancelled and nxt.title == f"{make_meeting().name} 2023-10-09"


@pytest.mark.parametrize("value, expected", [
    ("https://meet.example.org/x?a=1", "https://meet.example.org/x?a=1"),
    ("http://meet.example.org", "http://meet.example.org"),
    ("javascript:alert(1)", None),
    ("JAVASCRIPT:alert(1)", None),
    ("data:text/html,<script>", None),
    ("//evil.example", None),
    ("https://a.example/\nb", None),
    ("https://a.example/ b", None),
    ("https://[::1", None),
    (42, None),
    (None, None),
])
def test_only_absolute_web_links_are_linked(value, expected):
    assert site.web_url(value) == expected


def test_a_hostile_join_link_is_not_published():
    hostile = make_meeting(vars={"join_url": "javascript:alert(1)"})
    (entry, *_) = site.entries(hostile, site.schedule(hostile, *window(), {}), site.Found(), Renderer(), NOW)
    assert entry.links.join is None and site.feed_event(hostile, entry).location is None


def test_subscribe_links():
    assert site.subscribe_urls(None, "wg.ics") == ("wg.ics", None)
    assert site.subscribe_urls("https://acme.github.io/m/", "wg.ics") == (
        "https://acme.github.io/m/wg.ics", "webcal://acme.github.io/m/wg.ics")


# -- the page and meetings.json -----------------------------------------------------------------------


def _published(renderer=None, m=None):
    m = m or meeting()
    entries = site.entries(m, site.schedule(m, *window(), {}), site.Found(AGENDA), renderer or Renderer(), NOW)
    return [pages.Published(m, tuple(entries))]


def _page(renderer=None, published=None):
    renderer = renderer or Renderer()
    published = published or _published(renderer)
    doc = pages.document(published, NOW, 8, None)
    return renderer.page(site.PAGE_TEMPLATE, pages.page_context(doc, published, NOW, 8))


def test_the_page_escapes_github_text_and_its_one_script_matches_its_policy():
    page = _page()
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; &lt;b&gt;bold&lt;/b&gt;" in page
    assert "<script>alert(1)" not in page and "<b>bold" not in page
    (script,) = re.findall(r"<script>(.*?)</script>", page, re.S)
    digest = base64.b64encode(hashlib.sha256(script.encode()).digest()).decode()
    assert f"script-src 'sha256-{digest}'" in html.unescape(page) and script == pages.SCRIPT
    assert "http://" not in page.replace("http://www.w3.org", "")  # nothing loaded from elsewhere
    assert '<meta name="viewport"' in page and "<main>" in page


def test_the_page_shows_each_time_in_the_meetings_zone_and_in_utc():
    page = _page()
    assert "Mon 9 Oct 2023, 08:30–09:30 PDT" in page and "Mon 9 Oct 2023, 15:30–16:30 UTC" in page
    assert "Mon 6 Nov 2023, 08:30–09:30 PST" in page and "Mon 6 Nov 2023, 16:30–17:30 UTC" in page


def test_a_template_of_ones_own_overrides_the_page(tmp_path):
    (tmp_path / site.PAGE_TEMPLATE).write_text("{% for m in meetings %}{{ m.name }}|{{ m.occurrences|length }}{% endfor %}")
    assert _page(Renderer(tmp_path)) == f"{make_meeting().name}|4"


def test_a_broken_page_template_is_a_render_error_with_its_line(tmp_path):
    (tmp_path / site.PAGE_TEMPLATE).write_text("ok\n{{ meetings[0].nope.deeper }}\n")
    with pytest.raises(RenderError) as caught:
        _page(Renderer(tmp_path))
    assert caught.value.line == 2 and caught.value.template.endswith(site.PAGE_TEMPLATE)


def test_the_document_lists_the_upcoming_occurrences_only():
    doc = pages.document(_published(), NOW, 8, None)
    (m,) = doc["meetings"]
    assert [o["date"] for o in m["occurrences"]] == ["2023-10-09", str(SKIP), "2023-11-06", "2023-11-20"]
    assert [o["status"] for o in m["occurrences"]] == ["confirmed", "cancelled", "confirmed", "confirmed"]
    assert m["occurrences"][0]["agenda"]["groups"][0]["items"][0]["title"] == HOSTILE


def test_a_started_meeting_stays_on_the_page_until_it_ends():
    during = dt.datetime(2023, 10, 9, 16, 0, tzinfo=UTC)
    published = _published()
    shown = pages.upcoming(published[0].entries, during, 1)
    assert [e.occurrence.date.isoformat() for e in shown] == ["2023-10-09"]


def test_one_meeting_names_the_whole_feed_after_itself():
    published = _published()
    feeds = pages.feeds(published, {}, NOW)
    assert set(feeds) == {"calendar.ics", f"{MEETING_ID}.ics"}
    assert f"X-WR-CALNAME:{make_meeting().name}".encode() in feeds["calendar.ics"]
    two = [*published, dataclasses.replace(published[0], meeting=make_meeting(id="other"))]
    assert f"X-WR-CALNAME:{site.ALL_FEED_NAME}".encode() in pages.feeds(two, {}, NOW)["calendar.ics"]
