"""The published site's content: which occurrences, cancelled or not, with their links and agenda."""

# Pure: the shell (`bot.publish`) reads the agenda and the bot's issues and writes the files.

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass
from typing import Any, Mapping, Sequence, cast
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import recurring_ical_events

from bot import escape, ical
from bot import occurrences as occ_mod
from bot.feeds import STATUS_CANCELLED, parse_calendar
from bot.model import Agenda, IssueRecord, Meeting, Occurrence
from bot.render import Links, Renderer, build_context

RECENT_PAST = dt.timedelta(days=28)  # how far back the feeds still list occurrences
ALL_FEED = "calendar.ics"
JSON_FILE = "meetings.json"
PAGE_FILE = "index.html"
PAGE_TEMPLATE = "index.html.j2"
FEED_FILE = "{id}.ics"
RESERVED_IDS = frozenset({"calendar"})  # calendar.ics is the feed of all meetings
ALL_FEED_NAME = "Meetings"
WEB_SCHEMES = ("http", "https")
WEBCAL = "webcal"


@dataclass(frozen=True)
class Scheduled:
    occurrence: Occurrence
    cancelled: bool = False


@dataclass(frozen=True)
class Found:
    """What the shell read for one meeting: the agenda, the bot's issues and notes links by key."""

    agenda: Agenda | None = None
    issues: Mapping[str, IssueRecord] = dataclasses.field(default_factory=dict)
    notes: Mapping[str, str] = dataclasses.field(default_factory=dict)


@dataclass(frozen=True)
class Entry:
    """One occurrence as published."""

    occurrence: Occurrence
    cancelled: bool
    title: str
    links: Links
    agenda: Agenda | None  # the current agenda, on the next occurrence only
    description: str


def window(now: dt.datetime, weeks: int) -> tuple[dt.datetime, dt.datetime]:
    """The feeds' window: the recent past and the next `weeks` weeks."""
    return now - RECENT_PAST, now + dt.timedelta(weeks=weeks)


# -- which occurrences -----------------------------------------------------------------------------


def schedule(meeting: Meeting, after: dt.datetime, until: dt.datetime, feeds: occ_mod.Feeds) -> list[Scheduled]:
    """The occurrences in [after, until) and the cancelled ones (skip dates, feed cancellations)."""
    kept = occ_mod.occurrences(meeting, after, until, feeds)
    keys = {occ.key for occ in kept}
    unskipped = dataclasses.replace(meeting, slots=tuple(dataclasses.replace(s, skip_dates=()) for s in meeting.slots))
    dropped = [*occ_mod.occurrences(unskipped, after, until, feeds), *_feed_cancelled(meeting, after, until, feeds)]
    cancelled: dict[str, Occurrence] = {}
    for occ in sorted(dropped, key=lambda occ: occ.start):
        if occ.key not in keys:
            cancelled.setdefault(occ.key, occ)
    found = [Scheduled(occ) for occ in kept] + [Scheduled(occ, True) for occ in cancelled.values()]
    return sorted(found, key=lambda item: item.occurrence.start)


def _feed_cancelled(meeting: Meeting, after: dt.datetime, until: dt.datetime, feeds: occ_mod.Feeds) -> list[Occurrence]:
    """Timed events of a slot's feed that the feed marks STATUS:CANCELLED."""
    found = []
    for slot in meeting.slots:
        if not slot.ics_url or slot.ics_url not in feeds:
            continue
        # The same text and window that `occurrences` has just expanded: its errors were raised there.
        events = recurring_ical_events.of(parse_calendar(feeds[slot.ics_url])).between(after, until)
        found += [_cancelled(meeting, slot, event) for event in events if _is_cancelled(event, slot.ics_match)]
    return [occ for occ in found if after <= occ.start < until]


def _is_cancelled(event: Any, match: str | None) -> bool:
    if str(event.get("STATUS", "")).upper() != STATUS_CANCELLED:
        return False
    if not isinstance(event.get("DTSTART").dt, dt.datetime):
        return False
    return match is None or match.casefold() in str(event.get("SUMMARY", "")).casefold()


def _cancelled(meeting: Meeting, slot: Any, event: Any) -> Occurrence:
    home = ZoneInfo(meeting.timezone)
    start = _instant(event.get("DTSTART").dt, slot.timezone)
    end_property = event.get("DTEND")
    end = _instant(end_property.dt, slot.timezone) if end_property is not None else start
    if end <= start:
        end = start + dt.timedelta(minutes=slot.duration_minutes)
    return Occurrence(
        meeting.id, start.astimezone(home), end.astimezone(home), meeting.timezone,
        slot.create_days_before, {**meeting.vars, **slot.vars},
    )


def _instant(value: dt.datetime, zone: str) -> dt.datetime:
    return value if value.tzinfo is not None else occ_mod.localize(value, zone)


def previously_published(
    meeting: Meeting, previous: Mapping[str, ical.Published], after: dt.datetime, until: dt.datetime,
    listed: Sequence[Scheduled],
) -> list[Scheduled]:
    """Occurrences the previous feed listed that the schedule no longer has: they stay, cancelled.

    Only the key and the times are taken from the (untrusted) previous feed.
    """
    keys = {item.occurrence.key for item in listed}
    home = ZoneInfo(meeting.timezone)
    found = []
    for record in previous.values():
        if record.uid != ical.uid(meeting.repo, record.key) or record.key in keys:
            continue
        start, end = record.start.astimezone(home), record.end.astimezone(home)
        occ = Occurrence(meeting.id, start, end, meeting.timezone, vars=dict(meeting.vars))
        if after <= start < until and occ.key == record.key:
            found.append(Scheduled(occ, True))
    return sorted([*listed, *found], key=lambda item: item.occurrence.start)


# -- what each says ----------------------------------------------------------------------------------


def entries(
    meeting: Meeting, scheduled: Sequence[Scheduled], found: Found, renderer: Renderer, now: dt.datetime
) -> list[Entry]:
    """Each occurrence with its title, links and description; the agenda goes to the next one."""
    upcoming = [item for item in scheduled if not item.cancelled and not occ_mod.has_started(item.occurrence, now)]
    next_key = upcoming[0].occurrence.key if upcoming else None
    empty = Agenda(meeting.agenda.label, meeting.agenda.orgs, meeting.agenda.repos)
    made = []
    for item in scheduled:
        occ = item.occurrence
        agenda = found.agenda if occ.key == next_key else None
        issue = found.issues.get(occ.key)
        links = Links(issue.url if issue else None, found.notes.get(occ.key), None, None)
        title = renderer.title(meeting, occ)
        ctx = build_context(meeting, occ, agenda or empty, links, title)
        made.append(Entry(occ, item.cancelled, title, _safe_links(cast(Links, ctx["links"])), agenda, renderer.event(ctx)))
    return made


def _safe_links(links: Links) -> Links:
    return Links(*(web_url(value) for value in (links.issue, links.notes, links.calendar, links.join)))


def web_url(value: object) -> str | None:
    """`value` when it is an absolute http(s) URL on one line, else None (no javascript: links)."""
    if not isinstance(value, str) or escape.one_line(value) != value or " " in value:
        return None
    try:
        parts = urlsplit(value)
    except ValueError:
        return None
    return value if parts.scheme.lower() in WEB_SCHEMES and parts.netloc else None


def feed_event(meeting: Meeting, entry: Entry) -> ical.FeedEvent:
    """The VEVENT content of one entry: the issue (else the join link) as its URL."""
    return ical.FeedEvent(
        uid=ical.uid(meeting.repo, entry.occurrence.key),
        start=entry.occurrence.start,
        end=entry.occurrence.end,
        summary=entry.title,
        description=entry.description,
        location=entry.links.join,
        url=entry.links.issue or entry.links.join,
        cancelled=entry.cancelled,
    )


def feed_name(meeting_id: str) -> str:
    return FEED_FILE.format(id=meeting_id)


def subscribe_urls(base_url: str | None, name: str) -> tuple[str, str | None]:
    """The https (or relative) link of a feed, and its webcal:// link when the site's URL is known."""
    if not base_url:
        return name, None
    https = base_url.rstrip("/") + "/" + name
    return https, WEBCAL + "://" + https.split("://", 1)[1]
