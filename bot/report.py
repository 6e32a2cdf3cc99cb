"""What one meeting's run tells: outcome lines for the summary, warnings and errors for the log, with fields."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from bot.http_log import Counter
from bot.logs import LOGGER, OUTCOME_LOGGER
from bot.model import IssueRecord

FINISHED = "{meeting}: finished after {requests} request(s)"
STARTING = "{meeting}: starting"
TRACEBACK = "{meeting}: traceback"

log = logging.getLogger(LOGGER)
outcome_log = logging.getLogger(OUTCOME_LOGGER)


@dataclass(frozen=True)
class Outcome:
    """A meeting's run: what it did (lines), and where its artifacts are for callers such as the Action."""

    meeting_id: str
    ok: bool
    lines: tuple[str, ...]
    occurrence: str | None = None
    error: str | None = None
    warnings: tuple[str, ...] = ()
    issue_number: int | None = None
    issue_url: str | None = None
    notes_url: str | None = None
    requests: int = 0

    def summary(self) -> str:
        """One line for stdout (a failure's cause last), or "" when there is nothing to tell there:
        warnings are on stderr, each said once."""
        return f"{self.meeting_id}: " + "; ".join(self.lines) if self.lines else ""

    def as_json(self) -> dict[str, object]:
        return {
            "meeting": self.meeting_id, "ok": self.ok, "occurrence": self.occurrence, "lines": list(self.lines),
            "error": self.error, "warnings": list(self.warnings), "issue_number": self.issue_number,
            "issue_url": self.issue_url, "notes_url": self.notes_url, "requests": self.requests,
        }


class Voice:
    """Says each thing once: outcome lines (summary, or JSON records), warnings and errors (the log)."""

    def __init__(self, meeting_id: str) -> None:
        self.meeting_id = meeting_id
        self.occurrence: str | None = None
        self.lines: list[str] = []
        self.warnings: list[str] = []
        self.error: str | None = None
        self.started = Counter.total

    def fields(self, **more: object) -> dict[str, object]:
        return {"meeting": self.meeting_id, "occurrence": self.occurrence, **more}

    def __call__(self, line: str, action: str | None = None, url: str | None = None) -> None:
        """An outcome line (each line once, however many rounds repeat it)."""
        if line in self.lines:
            return
        self.lines.append(line)
        outcome_log.info("%s: %s", self.meeting_id, line, extra=self.fields(action=action, url=url))

    def warn(self, line: str) -> None:
        if line not in self.warnings:
            self.warnings.append(line)
            log.warning("%s: %s", self.meeting_id, line, extra=self.fields(action="warning"))

    def fail(self, message: str, exc: BaseException | None = None) -> None:
        """The cause as the summary's last part (an error record in JSON mode); the traceback only under --debug."""
        self.error = message
        self.lines.append(message)
        outcome_log.error("%s: %s", self.meeting_id, message, extra=self.fields(action="failed"))
        log.debug(TRACEBACK.format(meeting=self.meeting_id), exc_info=exc if exc is not None else True)

    def outcome(self, issue: IssueRecord | None = None, notes_url: str | None = None) -> Outcome:
        requests = Counter.total - self.started
        outcome_log.info(FINISHED.format(meeting=self.meeting_id, requests=requests),
                         extra=self.fields(action="finished", requests=requests))
        real = issue if issue is not None and issue.number > 0 else None  # a dry run's imagined issue has no number
        return Outcome(
            self.meeting_id, self.error is None, tuple(self.lines), self.occurrence, self.error,
            tuple(self.warnings), real.number if real else None, real.url if real else None,
            notes_url, requests,
        )
