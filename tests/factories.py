"""Valid values for tests: the Security Collab Space meeting with sensible defaults, and a machine zone switch."""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import time
from pathlib import Path
from typing import Iterator, Mapping

from bot.model import AgendaConfig, IssueConfig, Meeting, Occurrence, Slot

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


def due(meeting: Meeting, now: dt.datetime, feeds: Mapping[str, str] | None = None) -> Occurrence | None:
    """The occurrence a run without --date acts on, as the runner chooses it."""
    from bot.runner import RunRequest, choose

    return choose(meeting, RunRequest(), now, feeds or {}, lambda line: None)


def scheduled(meeting: Meeting, occurrence: Occurrence, feeds: Mapping[str, str] | None = None) -> bool:
    """Whether the schedule (not skipped, not cancelled) still has an occurrence with this key, as the sweep asks."""
    from bot.occurrences import occurrences

    day = dt.timedelta(days=1)
    found = occurrences(meeting, occurrence.start - day, occurrence.start + day, feeds or {})
    return any(candidate.key == occurrence.key for candidate in found)


def app_key_pair() -> tuple[str, str]:
    """A fresh RSA key pair for a GitHub App, (private, public) in PEM: the private one for the bot,
    the public one for the GitHub double's `configure_app`."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL, serialization.NoEncryption()
    ).decode()
    public = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    ).decode()
    return private, public
