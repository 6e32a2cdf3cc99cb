"""Time for people: time tables across zones, ISO and UTC forms, the world-clock link, durations.

Names of days and months are spelled out here, not taken from the process locale, so the output
is the same on every machine.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Iterable, Mapping
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from bot.model import Occurrence

UTC = dt.timezone.utc
WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
LOCAL_FORMAT = "{weekday} {day:02d}-{month}-{year} {hour:02d}:{minute:02d} ({hour12:02d}:{minute:02d} {meridiem})"
UTC_ISO_FORMAT = "%Y-%m-%dT%H:%M:%SZ"
WORLD_CLOCK_URL = "https://www.timeanddate.com/worldclock/fixedtime.html"
WORLD_CLOCK_ISO_FORMAT = "%Y%m%dT%H%M"
WORLD_CLOCK_UTC_PLACE = "1440"  # timeanddate.com's place id for UTC

# Labels in the style of the Node.js meeting issues; other zones show their city.
ZONE_LABELS = {
    "America/Los_Angeles": "US / Pacific",
    "America/Denver": "US / Mountain",
    "America/Chicago": "US / Central",
    "America/New_York": "US / Eastern",
    "Etc/UTC": "UTC",
}

DURATION_PATTERN = re.compile(r"\s*(\d+)\s*([smhd])\s*", re.IGNORECASE)
DURATION_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}
MSG_BAD_DURATION = "bad duration {text!r}: use a whole number and a unit, such as 30s, 15m, 1h or 1d"
MSG_ZERO_DURATION = "bad duration {text!r}: must be more than zero"


@dataclass(frozen=True)
class ZoneTime:
    """One row of the time table: the occurrence in one zone."""

    zone: str
    label: str
    start_local: str  # e.g. "Mon 11-Sep-2023 08:30 (08:30 AM)"
    end_local: str
    day_shift: int  # the local start date minus the meeting's local start date, in days
    abbreviation: str  # e.g. "PDT"


def zone_label(zone: str) -> str:
    """A short human name for an IANA zone: "US / Pacific", "Sao Paulo", "UTC"."""
    return ZONE_LABELS.get(zone, zone.rsplit("/", 1)[-1].replace("_", " "))


def format_local(moment: dt.datetime) -> str:
    """ "Mon 11-Sep-2023 08:30 (08:30 AM)", in the moment's own zone, whatever the locale."""
    hour12 = moment.hour % 12 or 12
    return LOCAL_FORMAT.format(
        weekday=WEEKDAYS[moment.weekday()],
        day=moment.day,
        month=MONTHS[moment.month - 1],
        year=moment.year,
        hour=moment.hour,
        minute=moment.minute,
        hour12=hour12,
        meridiem="AM" if moment.hour < 12 else "PM",
    )


def time_table(occ: Occurrence, zones: Iterable[str]) -> tuple[ZoneTime, ...]:
    """The occurrence's start and end in each display zone, in the order given."""
    return tuple(_zone_time(occ, zone) for zone in zones)


def _zone_time(occ: Occurrence, zone: str) -> ZoneTime:
    tz = ZoneInfo(zone)
    start, end = occ.start.astimezone(tz), occ.end.astimezone(tz)
    return ZoneTime(
        zone=zone,
        label=zone_label(zone),
        start_local=format_local(start),
        end_local=format_local(end),
        day_shift=(start.date() - occ.start.date()).days,
        abbreviation=start.tzname() or zone,
    )


def iso_local(moment: dt.datetime) -> str:
    """ISO 8601 with the zone's UTC offset: 2023-09-11T08:30:00-07:00."""
    return moment.replace(microsecond=0).isoformat()


def iso_utc(moment: dt.datetime) -> str:
    """ISO 8601 in UTC, ending in Z: 2023-09-11T15:30:00Z."""
    return moment.astimezone(UTC).strftime(UTC_ISO_FORMAT)


def world_clock_url(occ: Occurrence, title: str | None = None) -> str:
    """A timeanddate.com link that shows the start in the reader's own time zone."""
    params = {"msg": title} if title else {}
    params.update(iso=occ.start_utc.strftime(WORLD_CLOCK_ISO_FORMAT), p1=WORLD_CLOCK_UTC_PLACE)
    return f"{WORLD_CLOCK_URL}?{urlencode(params)}"


def occurrence_times(occ: Occurrence, zones: Iterable[str], title: str | None = None) -> Mapping[str, object]:
    """Everything a template needs about the occurrence's time, by name."""
    return {
        "start_local": format_local(occ.start),
        "end_local": format_local(occ.end),
        "start_iso": iso_local(occ.start),
        "end_iso": iso_local(occ.end),
        "start_utc": iso_utc(occ.start),
        "end_utc": iso_utc(occ.end),
        "timezone": occ.timezone,
        "abbreviation": occ.start.tzname(),
        "time_table": time_table(occ, zones),
        "world_clock_url": world_clock_url(occ, title),
    }


def parse_duration(text: str) -> dt.timedelta:
    """ "30s", "15m", "1h", "1d" -> timedelta (the worker's --every); ValueError otherwise."""
    match = DURATION_PATTERN.fullmatch(text)
    if match is None:
        raise ValueError(MSG_BAD_DURATION.format(text=text))
    amount, unit = int(match.group(1)), match.group(2).lower()
    if amount == 0:
        raise ValueError(MSG_ZERO_DURATION.format(text=text))
    return dt.timedelta(**{DURATION_UNITS[unit]: amount})
