"""`meeting-bot publish` end to end (SPEC section 11): the real command against the GitHub double and
a feed on loopback; the feeds read back with icalendar and recurring-ical-events."""

from __future__ import annotations

import datetime as dt
import json
import os

import icalendar
import jsonschema
import pytest

from bot import ical, publish
from bot.errors import EXIT_FAILED, EXIT_OK, EXIT_USAGE
from tests.conftest import ROOT
from tests.e2e import DATE, KEY, MEETING_ID, REPO
from tests.publish_world import (
    FEED_CANCELLED, FEED_MOVED, FEED_ZONE, HOSTILE, NOW_MOMENT, SKIPPED, TOPIC, UNTIL, bot_issue, by_uid, confirmed,
    events, feed_text, site, world,  # noqa: F401 (fixtures)
)

FILES = {"index.html", "meetings.json", "calendar.ics", f"{MEETING_ID}.ics", "alt.ics", "security.ics"}
LATER = "2024-03-07T13:00:00Z"
SCHEMA = ROOT / "docs" / "meetings.schema.json"


def _next(site) -> list[tuple[str, str]]:
    """What `meeting-bot next --format json` gives within the published weeks: (meeting, start_utc)."""
    result = site.world.run("next", "--format", "json", "--count", "60")
    assert result.returncode == 0, result.stderr
    return [(o["meeting"], o["start_utc"]) for o in json.loads(result.stdout)
            if dt.datetime.fromisoformat(o["start_utc"].replace("Z", "+00:00")) < UNTIL]


def _pairs(found: list) -> list[tuple[str, str]]:
    return sorted(
        (ical.key_of(str(e["UID"])).split("/")[0], e.start.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"))
        for e in found
    )


def test_the_feeds_give_exactly_the_occurrences_next_gives(site):
    result = site.publish()
    assert result.returncode == EXIT_OK, result.stderr
    assert {p.name for p in site.out.iterdir()} == FILES

    expected = _next(site)
    assert _pairs(confirmed(events(site.file("calendar.ics")))) == sorted(expected)
    for meeting in (MEETING_ID, "alt", "security"):
        mine = [pair for pair in expected if pair[0] == meeting]
        assert mine and _pairs(confirmed(events(site.file(f"{meeting}.ics")))) == sorted(mine)
    # Berlin's DST change (2024-03-31): 16:00 local stays, UTC moves from 15:00 to 14:00.
    assert (MEETING_ID, "2024-03-25T15:00:00Z") in expected and (MEETING_ID, "2024-04-08T14:00:00Z") in expected
    # New York's (2024-03-10): 10:00 local, 15:00 UTC before and 14:00 after.
    assert ("security", "2024-03-07T15:00:00Z") in expected and ("security", "2024-03-14T14:00:00Z") in expected
    # Alternating slots, each with its own join link.
    alt = by_uid(site.file("alt.ics"))
    locations = {str(e["DTSTART"].dt.hour): str(e["LOCATION"]) for e in alt.values()}
    assert locations == {"13": "https://meet.example.org/early", "17": "https://meet.example.org/late"}


def test_skipped_and_feed_cancelled_occurrences_stay_listed_as_cancelled(site):
    assert site.publish().returncode == EXIT_OK
    cancelled = _pairs([e for e in events(site.file("calendar.ics")) if str(e["STATUS"]) == "CANCELLED"])
    assert cancelled == sorted([
        (MEETING_ID, "2024-04-01T14:00:00Z"),
        ("security", FEED_CANCELLED.replace(tzinfo=_ny()).astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")),
    ])
    page = site.file("index.html").decode()
    assert f'id="{MEETING_ID}-{SKIPPED}"' in page and "Cancelled" in page
    statuses = {o["key"]: o["status"] for m in site.document()["meetings"] for o in m["occurrences"]}
    assert statuses[f"{MEETING_ID}/{SKIPPED}"] == "cancelled" and statuses[KEY] == "confirmed"


def _ny():
    from zoneinfo import ZoneInfo

    return ZoneInfo(FEED_ZONE)


def test_the_feed_format_is_what_calendar_clients_need(site):
    assert site.publish().returncode == EXIT_OK
    raw = site.file(f"{MEETING_ID}.ics")
    lines = raw.split(b"\r\n")
    assert raw.endswith(b"\r\n") and b"\n" not in raw.replace(b"\r\n", b"")
    assert all(len(line) <= 75 for line in lines)  # folded
    calendar = icalendar.Calendar.from_ical(raw)
    assert str(calendar["METHOD"]) == "PUBLISH" and str(calendar["VERSION"]) == "2.0"
    assert str(calendar["PRODID"]) == ical.PRODID
    assert str(calendar["X-WR-CALNAME"]) == "WG Meeting" and str(calendar["X-WR-TIMEZONE"]) == "Europe/Berlin"
    (zone,) = calendar.walk("VTIMEZONE")
    assert str(zone["TZID"]) == "Europe/Berlin"
    event = by_uid(raw)[ical.uid(REPO, KEY)]
    assert b"DTSTART;TZID=Europe/Berlin:20240311T160000" in raw
    assert event["DTSTART"].dt == dt.datetime(2024, 3, 11, 16, 0, tzinfo=event["DTSTART"].dt.tzinfo)
    description = str(event["DESCRIPTION"])
    assert TOPIC in description and "https://github.com/acme/lib/issues/" in description
    assert "Join: https://meet.example.org/wg" in description
    # RFC 5545 escaping: line breaks in text are written as \\n and read back.
    assert b"\\n" in raw and str(event["SUMMARY"]) == "WG Meeting 2024-03-11"


def _links(site) -> dict:
    meeting = next(m for m in site.document()["meetings"] if m["id"] == MEETING_ID)
    return {o["key"]: o["links"] for o in meeting["occurrences"]}


def test_issues_are_linked_only_when_the_bots_own_identity_made_them(site):
    mine = bot_issue(site.world, KEY)
    bot_issue(site.world, f"{MEETING_ID}/2024-03-18", user="mallory")  # an outsider copying the key
    assert site.publish(token="").returncode == EXIT_OK  # no credentials: no identity, so no issue is the bot's
    assert all(link["issue"] is None for link in _links(site).values())
    assert site.publish().returncode == EXIT_OK  # with a token: its user is the bot, as for `run`
    links = _links(site)
    assert links[KEY]["issue"] == f"https://github.com/{REPO}/issues/{mine}"
    assert links[KEY]["notes"].endswith(f"/{REPO}/blob/HEAD/meetings/{DATE}.md")
    assert links[f"{MEETING_ID}/2024-03-18"]["issue"] is None
    event = by_uid(site.file("calendar.ics"))[ical.uid(REPO, KEY)]
    assert str(event["URL"]) == links[KEY]["issue"]


def test_it_only_reads_one_agenda_search_per_scope_and_needs_no_token(site):
    assert site.publish(token="").returncode == EXIT_OK
    github = site.world.github
    assert site.world.writes() == []
    searches = [r.query["q"] for r in github.matching("GET", r"/search/issues")]
    # Three meetings, two scopes: "wg" and "security" search org:acme together, "alt" searches acme/lib.
    assert sorted(searches) == ['is:open label:"alt-agenda" repo:acme/lib',
                                'is:open label:"security-agenda","wg-agenda" org:acme']  # in the meetings' order
    assert all("authorization" not in r.headers for r in github.requests)


def test_uids_are_the_same_across_publishes_and_an_unchanged_site_is_not_rewritten(site, tmp_path):
    assert site.publish().returncode == EXIT_OK
    other = tmp_path / "elsewhere"
    assert site.publish(out=other, now=LATER).returncode == EXIT_OK  # another machine, an hour later
    assert set(by_uid(site.file("calendar.ics"))) == set(by_uid(site.file("calendar.ics", other)))

    stamps = {p.name: p.stat().st_mtime_ns for p in site.out.iterdir()}
    again = site.publish(now=LATER)
    assert again.returncode == EXIT_OK and publish.UNCHANGED in again.stdout
    assert {p.name: p.stat().st_mtime_ns for p in site.out.iterdir()} == stamps


def test_sequence_rises_only_for_the_moved_occurrence(site):
    assert site.publish().returncode == EXIT_OK
    before = by_uid(site.file("calendar.ics"))
    site.feed.text = feed_text(moved=True, dropped=True)
    assert site.publish(now=LATER).returncode == EXIT_OK
    after = by_uid(site.file("calendar.ics"))

    moved = ical.uid(REPO, f"security/{FEED_MOVED.date()}")
    dropped = ical.uid(REPO, "security/2024-04-04")
    changed = {uid for uid in after if int(after[uid]["SEQUENCE"]) != int(before[uid]["SEQUENCE"])}
    assert changed == {moved, dropped}
    assert int(after[moved]["SEQUENCE"]) == 1 and after[moved]["DTSTART"].dt.hour == 11
    assert str(after[dropped]["STATUS"]) == "CANCELLED"  # gone from the feed: listed, cancelled
    later = dt.datetime.fromisoformat(LATER.replace("Z", "+00:00"))
    assert after[moved]["LAST-MODIFIED"].dt == later
    assert all(after[u]["LAST-MODIFIED"].dt == NOW_MOMENT for u in after if u not in changed)


def test_a_hostile_previous_feed_is_checked_not_trusted(site):
    site.out.mkdir()
    forged = by_uid_text(KEY, sequence=7, modified="20990101T000000Z")
    (site.out / "calendar.ics").write_bytes(forged)
    (site.out / f"{MEETING_ID}.ics").write_bytes(b"\x00not a calendar")
    result = site.publish()
    assert result.returncode == EXIT_OK, result.stderr
    assert ical.SKIPPED_PREVIOUS.format(name="calendar.ics", count=1) in result.stderr
    assert ical.BAD_PREVIOUS.format(name=f"{MEETING_ID}.ics") in result.stderr
    assert int(by_uid(site.file("calendar.ics"))[ical.uid(REPO, KEY)]["SEQUENCE"]) == 0


def by_uid_text(key: str, sequence: int, modified: str) -> bytes:
    """A previous feed whose one event claims a revision from the future."""
    return (
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:x\r\nBEGIN:VEVENT\r\n"
        f"UID:{ical.uid(REPO, key)}\r\nSEQUENCE:{sequence}\r\nLAST-MODIFIED:{modified}\r\n"
        f"{ical.DIGEST_PROPERTY}:{'0' * 64}\r\nDTSTAMP:20240101T000000Z\r\n"
        "DTSTART:20240311T150000Z\r\nDTEND:20240311T160000Z\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
    ).encode()


def test_meetings_json_follows_its_documented_schema(site):
    assert site.publish("--url", "https://acme.github.io/meetings/").returncode == EXIT_OK
    doc = site.document()
    jsonschema.validate(doc, json.loads(SCHEMA.read_text()))
    assert doc["feed"] == {
        "file": "calendar.ics", "url": "https://acme.github.io/meetings/calendar.ics",
        "webcal": "webcal://acme.github.io/meetings/calendar.ics",
    }
    wg = next(m for m in doc["meetings"] if m["id"] == MEETING_ID)
    (first,) = [o for o in wg["occurrences"] if o["key"] == KEY]
    titles = [i["title"] for g in first["agenda"]["groups"] for i in g["items"]]
    assert TOPIC in titles and HOSTILE in titles  # data for other tools: as written, each one line
    assert all(o["agenda"] is None for o in wg["occurrences"] if o["key"] != KEY)  # the next one only
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({**doc, "meetings": [{**wg, "occurrences": [{**first, "status": "maybe"}]}]},
                            json.loads(SCHEMA.read_text()))


def test_a_meeting_that_cannot_be_read_fails_and_nothing_is_written(site):
    site.world.meeting("lost", repo="acme/missing")
    result = site.publish()
    assert result.returncode == EXIT_FAILED
    assert "lost: " in result.stderr and publish.NOTHING_WRITTEN.format(count=1) in result.stderr
    assert not site.out.exists()


@pytest.mark.parametrize("args, message", [
    (("--weeks", "0"), publish.BAD_WEEKS.format(most=publish.MAX_WEEKS)),
    (("--weeks", "105"), publish.BAD_WEEKS.format(most=publish.MAX_WEEKS)),
    (("--url", "javascript:alert(1)"), publish.BAD_URL.format(url="javascript:alert(1)")),
])
def test_usage_errors_exit_2(site, args, message):
    result = site.publish(*args)
    assert result.returncode == EXIT_USAGE and message in result.stderr
    assert not site.out.exists()


def test_an_out_that_is_a_file_is_refused(site):
    site.out.write_text("x")
    result = site.publish()
    assert result.returncode == EXIT_USAGE
    assert publish.NOT_A_DIRECTORY.format(out=site.out) in result.stderr
    assert os.path.isfile(site.out)


def test_a_broken_page_template_is_a_usage_error_naming_its_line(site, tmp_path):
    templates = tmp_path / "templates"
    templates.mkdir()
    (templates / "index.html.j2").write_text("<p>\n{{ meetings[0].nope.deeper }}\n")
    result = site.publish("--templates", str(templates))
    assert result.returncode == EXIT_USAGE
    assert f"{templates / 'index.html.j2'}:2: " in result.stderr
    assert not site.out.exists()


def test_a_file_in_the_way_is_a_usage_error_and_leaves_no_temporary_file(site):
    (site.out / "index.html").mkdir(parents=True)
    result = site.publish()
    assert result.returncode == EXIT_USAGE and "cannot write index.html" in result.stderr
    assert sorted(p.name for p in site.out.iterdir()) == ["index.html"]


def test_a_previous_feed_that_is_a_link_or_too_big_is_not_read_and_a_link_is_replaced_not_followed(site, tmp_path):
    target = tmp_path / "elsewhere.ics"
    target.write_bytes(by_uid_text(KEY, sequence=3, modified="20240301T000000Z"))
    site.out.mkdir()
    (site.out / "calendar.ics").symlink_to(target)
    (site.out / f"{MEETING_ID}.ics").write_bytes(b"x" * (publish.MAX_PREVIOUS_BYTES + 1))
    result = site.publish()
    assert result.returncode == EXIT_OK, result.stderr
    assert publish.PREVIOUS_NOT_FILE.format(name=site.out / "calendar.ics") in result.stderr
    assert publish.PREVIOUS_TOO_BIG.format(name=site.out / f"{MEETING_ID}.ics", limit=publish.MAX_PREVIOUS_BYTES) in result.stderr
    assert not (site.out / "calendar.ics").is_symlink()
    assert b"SEQUENCE:3" in target.read_bytes()  # the link's target is untouched
    assert int(by_uid(site.file("calendar.ics"))[ical.uid(REPO, KEY)]["SEQUENCE"]) == 0


def test_hackmd_notes_without_a_token_only_lose_their_link(site):
    site.world.meeting(notes={"provider": "hackmd"}, schedule={"skip_dates": [dt.date.fromisoformat(SKIPPED)]})
    number = bot_issue(site.world, KEY)
    result = site.publish()
    assert result.returncode == EXIT_OK, result.stderr
    meeting = next(m for m in site.document()["meetings"] if m["id"] == MEETING_ID)
    (first,) = [o for o in meeting["occurrences"] if o["key"] == KEY]
    assert first["links"]["issue"].endswith(f"/issues/{number}") and first["links"]["notes"] is None
