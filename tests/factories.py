"""Valid values for tests: the Security Collab Space meeting with sensible defaults, and a machine zone switch."""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import time
from pathlib import Path
from typing import Iterator

from bot.model import AgendaConfig, IssueConfig, Meeting, Slot

MEETING_ID = "security-collab-space"
MEETING_NAME = "OpenJS Foundation Security Collab Space Meeting"
MEETING_REPO = "openjs-foundation/security-collab-space"
JOIN_URL = "https://zoom-lfx.platform.linuxfoundation.org/meeting/95370004355"
CALENDAR_URL = "https://calendar.openjsf.org"

# The reference meeting: every other Monday, 08:30 in Los Angeles, from 2023-09-11.
HOME_ZONE = "America/Los_Angeles"
FIRST_START = dt.datetime(2023, 9, 11, 8, 30)
FORTNIGHTLY = "FREQ=WEEKLY;INTERVAL=2"

# The machine zones the key tests run under: results must not depend on them.
MACHINE_ZONES = ("UTC", "Asia/Kolkata", "America/Los_Angeles")


def make_slot(**overrides) -> Slot:
    """One `[schedule]` table; by default the reference meeting's."""
    values = dict(
        timezone=HOME_ZONE,
        start=FIRST_START,
        rrule=FORTNIGHTLY,
        duration_minutes=60,
        create_days_before=7,
    )
    values.update(overrides)
    return Slot(**values)


def make_meeting(**overrides) -> Meeting:
    """A valid Meeting for security-collab-space; any field can be overridden (slots=(make_slot(...),))."""
    values = dict(
        id=MEETING_ID,
        source=Path(f"config/{MEETING_ID}.toml"),
        name=MEETING_NAME,
        repo=MEETING_REPO,
        slots=(make_slot(),),
        agenda=AgendaConfig(label="security-agenda", orgs=("openjs-foundation",)),
        issue=IssueConfig(labels=("security-meeting-agenda",)),
        vars={"join_url": JOIN_URL, "calendar_url": CALENDAR_URL},
    )
    values.update(overrides)
    return Meeting(**values)


@contextlib.contextmanager
def machine_zone(zone: str) -> Iterator[str]:
    """Run the body as if the machine's own time zone were `zone` (TZ and time.tzset)."""
    before = os.environ.get("TZ")
    os.environ["TZ"] = zone
    time.tzset()
    try:
        yield zone
    finally:
        if before is None:
            os.environ.pop("TZ", None)
        else:
            os.environ["TZ"] = before
        time.tzset()
