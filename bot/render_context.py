"""What a template sees: the context built from a meeting, an occurrence, its agenda and its links."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from types import MappingProxyType
from typing import Iterator, Mapping

from bot import markers, timefmt
from bot.model import Agenda, Meeting, Occurrence


@dataclass(frozen=True)
class Links:
    issue: str | None = None
    notes: str | None = None
    calendar: str | None = None
    join: str | None = None


@dataclass(frozen=True)
class MeetingView:
    id: str
    name: str
    repo: str
    timezone: str


@dataclass(frozen=True)
class OccurrenceView:
    start: dt.datetime
    end: dt.datetime
    start_utc: dt.datetime
    end_utc: dt.datetime
    timezone: str
    date: str
    key: str
    extra: bool


@dataclass(frozen=True)
class MarkerView:
    agenda_start: str
    agenda_end: str
    links_start: str
    links_end: str
    key: str


@dataclass(frozen=True, eq=False)
class Context(Mapping[str, object]):
    """The template context (read it like a dict), with the meeting and occurrence it was made for.

    What every template sees, a stable contract:

    - `meeting`: id, name, repo, timezone.  `name`: the meeting's name.  `date`: local, YYYY-MM-DD.
    - `occurrence`: start, end (aware, in the meeting's zone), start_utc, end_utc, timezone, date,
      key, extra.  `title`: the issue title.  `vars`: the meeting's vars, the slot's over them.
    - `agenda`: label, orgs, repos, empty, items, sections, groups, discussions (whether discussions
      were searched); a section has title and items, a group has repo and items; an item has repo,
      number, title, url, kind ("issue", "pull_request", "discussion"), is_pull_request,
      is_discussion, labels, author (GitHub text: place it with |md), and first_appeared (the date
      of the earlier meeting whose agenda first had it, or None).
    - `action_items`: the open task lines ("- [ ] ...") of the previous meeting's notes, as written there.
    - `links`: issue, notes, calendar, join; each a URL or None.
    - `times`: a row per display zone: zone, label, start_local, end_local, day_shift, abbreviation.
    - `world_clock_url`: a timeanddate.com link.  `markers`: agenda_start, agenda_end, links_start,
      links_end and key: the lines by which the bot finds its regions and its artifacts.
    """

    meeting: Meeting
    occurrence: Occurrence
    values: Mapping[str, object]  # type: ignore[assignment]  # the context's values, in place of Mapping.values()

    def __getitem__(self, name: str) -> object:
        return self.values[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self.values)

    def __len__(self) -> int:
        return len(self.values)


def build_context(
    meeting: Meeting, occurrence: Occurrence, agenda: Agenda, links: Links, title: str,
    action_items: tuple[str, ...] = (),
) -> Context:
    """Everything a template may read; `calendar` and `join` links default to vars calendar_url, join_url."""
    variables = {**meeting.vars, **occurrence.vars}
    values = {
        **time_values(meeting, occurrence, variables),
        "title": title,
        "agenda": agenda,
        "links": complete(links, meeting, occurrence),
        "times": timefmt.time_table(occurrence, meeting.display_zones),
        "world_clock_url": timefmt.world_clock_url(occurrence, title),
        "markers": _marker_view(occurrence),
        "action_items": action_items,
    }
    return Context(meeting, occurrence, MappingProxyType(values))


def time_values(meeting: Meeting, occurrence: Occurrence, variables: Mapping[str, object]) -> dict[str, object]:
    """What the title template sees too: name, date, meeting, occurrence, vars."""
    view = OccurrenceView(
        occurrence.start, occurrence.end, occurrence.start_utc, occurrence.end_utc,
        occurrence.timezone, occurrence.date.isoformat(), occurrence.key, occurrence.extra,
    )
    return {
        "meeting": MeetingView(meeting.id, meeting.name, meeting.repo, meeting.timezone),
        "name": meeting.name,
        "date": view.date,
        "occurrence": view,
        "vars": MappingProxyType(variables),
    }


def complete(links: Links, meeting: Meeting, occurrence: Occurrence) -> Links:
    """`links` with the calendar and join links taken from vars `calendar_url`, `join_url` when unset."""
    variables = {**meeting.vars, **occurrence.vars}
    calendar = links.calendar or _text(variables.get("calendar_url"))
    return Links(links.issue, links.notes, calendar, links.join or _text(variables.get("join_url")))


def _text(value: object) -> str | None:
    return str(value) if value else None


def _marker_view(occurrence: Occurrence) -> MarkerView:
    return MarkerView(
        markers.AGENDA_START, markers.AGENDA_END,
        markers.region_start(markers.LINKS), markers.region_end(markers.LINKS),
        markers.make_key(occurrence.key),
    )
