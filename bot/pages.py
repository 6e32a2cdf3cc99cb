"""The published documents: meetings.json's records, the page's context and the feeds' bytes."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
from dataclasses import dataclass
from typing import Any, Mapping, Sequence

from markupsafe import Markup

from bot import escape, ical, site
from bot.model import Agenda, Meeting
from bot.site import Entry
from bot.timefmt import MONTHS, WEEKDAYS, iso_local, iso_utc

SCHEMA_VERSION = 1
STATUS_CONFIRMED = "confirmed"
STATUS_CANCELLED = "cancelled"
KIND_ISSUE = "issue"
KIND_PULL_REQUEST = "pull_request"
DAY_FORMAT = "{weekday} {day} {month} {year}"
SPAN_FORMAT = "{start:%H:%M}–{end:%H:%M}"
LOCAL_FORMAT = "{day}, {span} {zone}"
UTC_FORMAT = "{day}, {span} UTC"

# The page's one script: each time also in the viewer's own zone, and webcal:// links made from the
# page's own address when the site's URL was not given. Its hash goes into the page's CSP.
SCRIPT = """
(function () {
  "use strict";
  var zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  var day = {weekday: "short", day: "numeric", month: "short", year: "numeric", timeZone: zone};
  var time = {hour: "2-digit", minute: "2-digit", hourCycle: "h23", timeZone: zone};
  var when = Object.assign({}, day, time, {timeZoneName: "short"});
  document.querySelectorAll("[data-viewer-start]").forEach(function (node) {
    var start = new Date(node.getAttribute("data-viewer-start"));
    var end = new Date(node.getAttribute("data-viewer-end"));
    var text = new Intl.DateTimeFormat(undefined, when).format(start);
    text += " \\u2013 " + new Intl.DateTimeFormat(undefined, time).format(end);
    node.textContent = node.getAttribute("data-label") + " (" + zone + "): " + text;
    node.hidden = false;
  });
  if (location.protocol === "http:" || location.protocol === "https:") {
    document.querySelectorAll("a[data-webcal]").forEach(function (link) {
      var target = new URL(link.getAttribute("data-webcal"), location.href);
      link.href = "webcal://" + target.host + target.pathname;
      link.hidden = false;
    });
  }
})();
""".strip()
SCRIPT_HASH = "sha256-" + base64.b64encode(hashlib.sha256(SCRIPT.encode("utf-8")).digest()).decode("ascii")
CSP = (
    "default-src 'none'; script-src '{hash}'; style-src 'unsafe-inline'; img-src data:; "
    "base-uri 'none'; form-action 'none'"
).format(hash=SCRIPT_HASH)


@dataclass(frozen=True)
class Published:
    """One meeting's entries: all of them go into the feeds, the upcoming ones onto the page."""

    meeting: Meeting
    entries: tuple[Entry, ...]


def upcoming(entries: Sequence[Entry], now: dt.datetime, weeks: int) -> list[Entry]:
    """What the page and meetings.json show: not ended, starting within `weeks` weeks."""
    until = now + dt.timedelta(weeks=weeks)
    return [entry for entry in entries if entry.occurrence.end > now and entry.occurrence.start < until]


def _agenda(agenda: Agenda | None) -> dict[str, Any] | None:
    if agenda is None:
        return None
    groups = [
        {
            "repo": group.repo,
            "items": [
                {
                    "repo": item.repo, "number": item.number, "title": escape.one_line(item.title).strip(),
                    "url": site.web_url(item.url),
                    "kind": KIND_PULL_REQUEST if item.is_pull_request else KIND_ISSUE,
                }
                for item in group.items
            ],
        }
        for group in agenda.groups
    ]
    return {"label": agenda.label, "groups": groups, "omitted": agenda.omitted}


def occurrence_record(meeting: Meeting, entry: Entry) -> dict[str, Any]:
    occ = entry.occurrence
    return {
        "key": occ.key,
        "uid": ical.uid(meeting.repo, occ.key),
        "date": occ.date.isoformat(),
        "start": iso_local(occ.start),
        "end": iso_local(occ.end),
        "start_utc": iso_utc(occ.start),
        "end_utc": iso_utc(occ.end),
        "status": STATUS_CANCELLED if entry.cancelled else STATUS_CONFIRMED,
        "title": entry.title,
        "links": {"issue": entry.links.issue, "notes": entry.links.notes, "join": entry.links.join},
        "agenda": _agenda(entry.agenda),
    }


def meeting_record(item: Published, now: dt.datetime, weeks: int, base_url: str | None) -> dict[str, Any]:
    meeting = item.meeting
    https, webcal = site.subscribe_urls(base_url, site.feed_name(meeting.id))
    return {
        "id": meeting.id,
        "name": meeting.name,
        "repo": meeting.repo,
        "timezone": meeting.timezone,
        "feed": {"file": site.feed_name(meeting.id), "url": https, "webcal": webcal},
        "calendar_url": site.web_url(meeting.vars.get("calendar_url")),
        "occurrences": [occurrence_record(meeting, entry) for entry in upcoming(item.entries, now, weeks)],
    }


def document(published: Sequence[Published], now: dt.datetime, weeks: int, base_url: str | None) -> dict[str, Any]:
    """meetings.json (its schema: docs/meetings.schema.json)."""
    https, webcal = site.subscribe_urls(base_url, site.ALL_FEED)
    return {
        "version": SCHEMA_VERSION,
        "weeks": weeks,
        "feed": {"file": site.ALL_FEED, "url": https, "webcal": webcal},
        "meetings": [meeting_record(item, now, weeks, base_url) for item in published],
    }


def document_json(doc: Mapping[str, Any]) -> bytes:
    return (json.dumps(doc, indent=2, ensure_ascii=False) + "\n").encode("utf-8")


def _day(moment: dt.datetime) -> str:
    return DAY_FORMAT.format(
        weekday=WEEKDAYS[moment.weekday()], day=moment.day, month=MONTHS[moment.month - 1], year=moment.year
    )


def _display(entry: Entry) -> dict[str, Any]:
    occ = entry.occurrence
    start_utc, end_utc = occ.start_utc, occ.end_utc
    return {
        "local": LOCAL_FORMAT.format(
            day=_day(occ.start), span=SPAN_FORMAT.format(start=occ.start, end=occ.end), zone=occ.start.tzname()
        ),
        "utc": UTC_FORMAT.format(day=_day(start_utc), span=SPAN_FORMAT.format(start=start_utc, end=end_utc)),
    }


def page_context(doc: Mapping[str, Any], published: Sequence[Published], now: dt.datetime, weeks: int) -> dict[str, Any]:
    """What index.html.j2 sees: meetings.json's document, each occurrence with a `display` pair."""
    meetings = []
    for record, item in zip(doc["meetings"], published):
        shown = upcoming(item.entries, now, weeks)
        occurrences = [{**occ, "display": _display(entry)} for occ, entry in zip(record["occurrences"], shown)]
        meetings.append({**record, "occurrences": occurrences})
    return {**doc, "meetings": meetings, "script": Markup(SCRIPT), "csp": CSP}


def feeds(published: Sequence[Published], previous: Mapping[str, ical.Published], now: dt.datetime) -> dict[str, bytes]:
    """calendar.ics and one MEETING-ID.ics per meeting."""
    out = {}
    every = []
    for item in published:
        events = [site.feed_event(item.meeting, entry) for entry in item.entries]
        every += events
        out[site.feed_name(item.meeting.id)] = ical.feed(item.meeting.name, item.meeting.timezone, events, previous, now)
    name = site.ALL_FEED_NAME if len(published) != 1 else published[0].meeting.name
    zone = ical.zone_of(item.meeting.timezone for item in published)
    return {site.ALL_FEED: ical.feed(name, zone, every, previous, now), **out}
