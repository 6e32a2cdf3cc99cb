"""How often a recurrence rule repeats, read from its text before anything is expanded."""

from __future__ import annotations

SUB_DAILY_FREQS = frozenset({"HOURLY", "MINUTELY", "SECONDLY"})
TIME_PARTS = ("BYHOUR", "BYMINUTE", "BYSECOND")  # each value of these multiplies the times per day


def sub_daily(rule: str) -> bool:
    """Whether an RRULE value (`FREQ=...;...`, with or without `RRULE:`) can repeat more than once a day.

    By its FREQ, or by BYHOUR/BYMINUTE/BYSECOND lists that expand one day into several times.
    """
    body = rule.strip()
    if body.upper().startswith("RRULE:"):
        body = body[len("RRULE:") :]
    parts: dict[str, str] = {}
    for part in body.split(";"):
        name, _, value = part.partition("=")
        parts[name.strip().upper()] = value.strip().upper()
    if parts.get("FREQ") in SUB_DAILY_FREQS:
        return True
    times = 1
    for name in TIME_PARTS:
        if name in parts:
            times *= len({value for value in parts[name].split(",") if value.strip()})
    return times > 1
