"""The `[schedule]` tables of a meeting file: zones, local start times, recurrence rules, feeds."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from dateutil.rrule import rrule, rrulestr

from bot import model, recurrence, suggest, template_vars
from bot.model import Slot
from bot.tomlines import Table

MISSING_TABLE = "missing required table [{table}]"
MUST_BE_DATES = "{key} must be a list of dates like 2023-12-25"

MUST_BE_SCHEDULE = "schedule must be one [schedule] table or several [[schedule]] tables"

LOCAL_TIME_HINT = "; write a local time like 2023-09-11T08:30:00; the zone comes from timezone"

START_DATE_ONLY = "{key} is a date without a time" + LOCAL_TIME_HINT

START_HAS_OFFSET = "{key} must not have a UTC offset" + LOCAL_TIME_HINT

START_NOT_DATETIME = "{key} must be a local date-time" + LOCAL_TIME_HINT

UNKNOWN_ZONE = "{key}: unknown time zone {value!r}{hint}; use an IANA name like America/Los_Angeles"

BAD_RRULE = "{key}: invalid recurrence rule {rule!r}: {error}"

RRULE_DTSTART = "{key} must not contain DTSTART; the first occurrence comes from start"

RRULE_NOT_ONE_RULE = "{key} must be one RRULE; use skip_dates for occurrences that do not happen"

RRULE_SUB_DAILY = "{key}: {rule!r} repeats more often than daily (by FREQ or BYHOUR/BYMINUTE/BYSECOND lists); a meeting happens at most once a day"

RRULE_UNTIL_UTC = "{key}: write UNTIL as a local time without Z, like UNTIL=20241231T235959"

ICS_URL_NOT_HTTP = "{key} must be an http:// or https:// URL"

ICS_EXCLUSIVE = "{key} cannot be combined with start or rrule; use one or the other"

ICS_MATCH_WITHOUT_URL = "{key} only applies with ics_url"

_HTTP_URL = re.compile(r"https?://[^\s/?#]+\S*")
_ANY_START = dt.datetime(2000, 1, 3, 12)  # to check a rule whose start is itself wrong
SLOT_KEYS = ("timezone", "start", "rrule", "duration_minutes", "create_days_before", "skip_dates",
             "ics_url", "ics_match", "vars")


def table_vars(table: Table) -> dict[str, Any]:
    found = table.table("vars")
    template_vars.check(found)
    return dict(found.data) if found else {}


def zone_exists(name: str) -> bool:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        return False
    return True


def slots(root: Table) -> tuple[Slot, ...]:
    """One `[schedule]` table, or several `[[schedule]]` tables."""
    value = root.data.get("schedule")
    if value is None:
        root.document.report((), MISSING_TABLE.format(table="schedule"))
        return ()
    if isinstance(value, dict):
        return (_slot(Table(value, ("schedule",), root.document)),)
    if isinstance(value, list) and value and all(isinstance(item, dict) for item in value):
        tables = (Table(item, ("schedule", index), root.document) for index, item in enumerate(value))
        return tuple(_slot(table) for table in tables)
    root.report("schedule", MUST_BE_SCHEDULE)
    return ()


def _slot(table: Table) -> Slot:
    table.only(SLOT_KEYS)
    ics_url = _ics_url(table)
    start = _start(table, required="ics_url" not in table.data)
    return Slot(
        timezone=table.matching("timezone", zone_exists, UNKNOWN_ZONE, required=True, suggest=suggest.zone_hint),
        start=start,
        rrule=_rrule(table, start),
        duration_minutes=table.integer("duration_minutes", model.DEFAULT_DURATION_MINUTES, 1, 24 * 60),
        create_days_before=table.integer("create_days_before", model.DEFAULT_CREATE_DAYS_BEFORE, 0, 366),
        skip_dates=tuple(table.typed("skip_dates", _is_dates, MUST_BE_DATES, ())),
        ics_url=ics_url,
        ics_match=_ics_match(table),
        vars=table_vars(table),
    )


def _is_date(value: Any) -> bool:
    return isinstance(value, dt.date) and not isinstance(value, dt.datetime)


def _is_dates(value: Any) -> bool:
    return isinstance(value, list) and all(_is_date(item) for item in value)


def _start(table: Table, required: bool) -> dt.datetime | None:
    if required and not table.require("start"):
        return None
    value = table.data.get("start")
    if value is None or isinstance(value, dt.datetime) and value.tzinfo is None:
        return value
    if isinstance(value, dt.datetime):
        table.report("start", START_HAS_OFFSET)
    else:
        table.report("start", START_DATE_ONLY if isinstance(value, dt.date) else START_NOT_DATETIME)
    return None


def _until_in_utc(rule: str) -> bool:
    """Whether the rule's UNTIL is a UTC time (ends in Z), which a floating wall-clock start cannot take."""
    parts = rule.upper().removeprefix("RRULE:").split(";")
    return any(part.strip().startswith("UNTIL=") and part.strip().endswith("Z") for part in parts)


def _rrule(table: Table, start: dt.datetime | None) -> str | None:
    rule: str | None = table.string("rrule")
    if not rule:
        return None
    if "DTSTART" in rule.upper():
        table.report("rrule", RRULE_DTSTART)
        return None
    if recurrence.sub_daily(rule):  # refused before dateutil expands anything
        table.report("rrule", RRULE_SUB_DAILY, rule=rule)
        return None
    try:
        parsed = rrulestr(rule, dtstart=start or _ANY_START)
    except (ValueError, TypeError, KeyError, IndexError, OverflowError) as error:
        form = RRULE_UNTIL_UTC if _until_in_utc(rule) else BAD_RRULE
        table.report("rrule", form, rule=rule, error=error)
        return None
    if not isinstance(parsed, rrule):
        table.report("rrule", RRULE_NOT_ONE_RULE)
    return rule


def _ics_url(table: Table) -> str | None:
    url: str | None = table.string("ics_url")
    if url and not _HTTP_URL.fullmatch(url):
        table.report("ics_url", ICS_URL_NOT_HTTP)
    if url and ("start" in table.data or "rrule" in table.data):
        table.report("ics_url", ICS_EXCLUSIVE)
    return url


def _ics_match(table: Table) -> str | None:
    match: str | None = table.string("ics_match")
    if match is not None and "ics_url" not in table.data:
        table.report("ics_match", ICS_MATCH_WITHOUT_URL)
    return match
