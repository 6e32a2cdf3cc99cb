"""The [vars] the default templates read (invitees, livestream, RSVP, recording): checked where they are written."""

from __future__ import annotations

import re
from typing import Any

from bot.tomlines import Table

INVITEES = "invitees"  # "@org/team" or "@user", or a list of them: the one mention the bot makes on purpose
LIVESTREAM_URL = "livestream_url"  # where observers can watch
RECORDING_URL = "recording_url"  # filled into the notes' Recording line
RSVP = "rsvp"  # true: the issue asks for availability with reactions

BAD_HANDLE = (
    "{key}: {value!r} is not a GitHub team or user to invite; write it like \"@org/team\" or \"@user\" "
    "(the only mention the bot makes)"
)
MUST_BE_HANDLES = "{key} must be a handle like \"@org/team\" or a list of them"
BAD_URL = "{key} must be an http:// or https:// URL"
MUST_BE_BOOL = "{key} must be true or false"

_HANDLE = re.compile(r"@[A-Za-z0-9](?:[A-Za-z0-9]|-(?=[A-Za-z0-9])){0,38}(?:/[A-Za-z0-9][A-Za-z0-9_.-]{0,99})?")
_URL = re.compile(r"https?://[^\s<>\"'`]+")


def check(table: Table | None) -> None:
    """Report each bad value of the variables the default templates give a meaning to."""
    if table is None:
        return
    _handles(table)
    for key in (LIVESTREAM_URL, RECORDING_URL):
        table.typed(key, lambda value: isinstance(value, str) and _URL.fullmatch(value), BAD_URL)
    table.typed(RSVP, lambda value: isinstance(value, bool), MUST_BE_BOOL)


def _handles(table: Table) -> None:
    value: Any = table.data.get(INVITEES)
    if value is None:
        return
    if isinstance(value, str):
        if not _HANDLE.fullmatch(value):
            table.report(INVITEES, BAD_HANDLE, value=value)
        return
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        table.report(INVITEES, MUST_BE_HANDLES)
        return
    for index, item in enumerate(value):
        if not _HANDLE.fullmatch(item):
            table.report(INVITEES, BAD_HANDLE, at=(index,), value=item)
