"""Carries out the after-meeting actions through the ports, or adds them to a dry run's plan; each returns what it left."""

from __future__ import annotations

import dataclasses
from typing import Callable

from bot import after, markers
from bot.after import (
    Cancel, CloseMeeting, CommitArchive, Ended, OpenArchive, RecordSteps, RemoveLabels, Step, UpdateArchive,
)
from bot.apply import CANCELLED_EVENT
from bot.model import ArchiveRecord, Meeting
from bot.plan import CancelEvent
from bot.ports import AfterStore, Calendar, Forbidden, IssueStore
from bot.preview import DRY_CANCEL_EVENT, Entry, Preview

REMOVED_LABELS = "removed the label {label!r} from {count} item(s) of the final agenda"
LABEL_REFUSED = (
    "{repo}: GitHub refused to remove the label {label!r} (403); give the credentials Issues: write "
    "there. Not tried again for this meeting"
)
OPENED_ARCHIVE = "opened the archive pull request {url}"
UPDATED_ARCHIVE = "updated the archived notes in {url}"
COMMITTED_ARCHIVE = "archived the notes in {url}"
RECORDED = "#{number} records: {steps}"
CLOSED = "closed #{number} as {reason}"

DRY_REMOVE_LABELS = "would remove the label {label!r} from {items}"
DRY_OPEN_ARCHIVE = "would open a pull request in {repo} from the branch {branch}, adding {path}:"
DRY_UPDATE_ARCHIVE = "would update {path} on the branch {branch}:"
DRY_COMMIT_ARCHIVE = "would commit {path} to {repo}:"
DRY_RECORD = "would record in #{number}: {steps}"
DRY_CLOSE = "would close #{number} as {reason} with the comment: {comment}"
DRY_PULL_URL = "https://github.com/{repo}/pull/(new)"


class AfterApplier:
    """The real writes, one report line each."""

    writes = True

    def __init__(self, issues: IssueStore, store: AfterStore, calendar: Callable[[], Calendar | None],
                 report: Callable[..., None]) -> None:
        """`report`: told each outcome line, with the action's name and, when there is one, its URL."""
        self.issues, self.store, self.calendar, self.report = issues, store, calendar, report

    def apply(self, meeting: Meeting, action: Step, ended: Ended) -> Ended:
        """One step of an ended occurrence; the result as it now is."""
        match action:
            case RemoveLabels():
                return self._remove_labels(action, ended)
            case OpenArchive():
                record = self.store.open_archive(action.repo, action.branch, action.path, action.content,
                                                 action.message, action.title, action.body)
                self.report(OPENED_ARCHIVE.format(url=record.url), "open_archive", record.url)
                return dataclasses.replace(ended, archive=record)
            case UpdateArchive() if ended.archive is not None:
                self.store.update_archive(action.repo, action.branch, action.path, action.content, action.message,
                                          action.version)
                self.report(UPDATED_ARCHIVE.format(url=ended.archive.url), "update_archive", ended.archive.url)
                return dataclasses.replace(ended, archive=dataclasses.replace(ended.archive, content=action.content))
            case CommitArchive():
                record = self.store.commit_archive(action.repo, action.path, action.content, action.message)
                self.report(COMMITTED_ARCHIVE.format(url=record.url), "commit_archive", record.url)
                steps = RecordSteps(action.repo, action.number, frozenset({after.ARCHIVED}))
                return self._record(steps, dataclasses.replace(ended, archive=record))
            case RecordSteps():
                return self._record(action, ended)
            case CloseMeeting():
                self.cancel(meeting, action)
                return self._fresh(ended, action.repo, action.number)
            case _:
                raise TypeError(type(action).__name__)  # pragma: no cover - every planned step is handled above

    def cancel(self, meeting: Meeting, action: Cancel) -> None:
        """A close (of an ended or a cancelled occurrence) or a cancelled event."""
        match action:
            case CloseMeeting():
                marker = after.COMMENT_MARKER.format(kind=action.kind)
                self.store.close_meeting(action.repo, action.number, action.comment, marker, action.reason)
                self.report(CLOSED.format(number=action.number, reason=action.reason), "close_issue")
            case CancelEvent():
                calendar = self.calendar()
                if calendar is not None:
                    calendar.cancel(action.calendar_id, action.event_id)
                    self.report(CANCELLED_EVENT.format(id=action.event_id, why=action.why), "cancel_event")

    def _record(self, action: RecordSteps, ended: Ended) -> Ended:
        self.store.record_steps(action.repo, action.number, action.steps)
        self.report(RECORDED.format(number=action.number, steps=", ".join(sorted(action.steps))), "record_steps")
        return self._fresh(ended, action.repo, action.number)

    def _fresh(self, ended: Ended, repo: str, number: int) -> Ended:
        return dataclasses.replace(ended, issue=self.issues.get(repo, number))

    def _remove_labels(self, action: RemoveLabels, ended: Ended) -> Ended:
        """Each item once; a repository that refuses is reported once and recorded, so never tried again."""
        refused: set[str] = set()
        removed = 0
        for repo, number in action.items:
            if repo.casefold() in {r.casefold() for r in refused}:
                continue
            try:
                self.store.remove_label(repo, number, action.label)
                removed += 1
            except Forbidden:
                refused.add(repo)
                self.report(LABEL_REFUSED.format(repo=repo, label=action.label))
        if removed:
            self.report(REMOVED_LABELS.format(label=action.label, count=removed), "remove_labels")
        steps = frozenset({after.LABELS} | {after.REFUSED.format(repo=repo) for repo in refused})
        return self._record(RecordSteps(action.repo, action.number, steps), ended)


class DryAfterApplier:
    """Adds each action, with what it would write, to the dry run's plan; sends nothing, imagines the result."""

    writes = False

    def __init__(self, preview: Preview) -> None:
        self.preview = preview

    def _show(self, line: str, text: str | None = None, before: str | None = None, what: str = "") -> None:
        if before is not None:
            self.preview.add(Entry(line, None, before, text, what))  # an update: shown as a diff
        else:
            self.preview.add(Entry(line, new_text=text))

    def apply(self, meeting: Meeting, action: Step, ended: Ended) -> Ended:
        match action:
            case RemoveLabels():
                items = ", ".join(f"{repo}#{number}" for repo, number in action.items) or "no item"
                self._show(DRY_REMOVE_LABELS.format(label=action.label, items=items))
                return _imagine_steps(ended, frozenset({after.LABELS}))
            case OpenArchive():
                self._show(DRY_OPEN_ARCHIVE.format(repo=action.repo, branch=action.branch, path=action.path), action.content)
                record = ArchiveRecord(DRY_PULL_URL.format(repo=action.repo), "open", action.content)
                return dataclasses.replace(ended, archive=record)
            case UpdateArchive() if ended.archive is not None:
                line = DRY_UPDATE_ARCHIVE.format(path=action.path, branch=action.branch)
                self._show(line, action.content, ended.archive.content or "", action.path)
                return dataclasses.replace(ended, archive=dataclasses.replace(ended.archive, content=action.content))
            case CommitArchive():
                self._show(DRY_COMMIT_ARCHIVE.format(path=action.path, repo=action.repo), action.content)
                return _imagine_steps(ended, frozenset({after.ARCHIVED}))
            case RecordSteps():
                self._show(DRY_RECORD.format(number=action.number, steps=", ".join(sorted(action.steps))))
                return _imagine_steps(ended, action.steps)
            case CloseMeeting() if ended.issue is not None:
                self.cancel(meeting, action)
                return dataclasses.replace(ended, issue=dataclasses.replace(ended.issue, state="closed"))
            case _:
                raise TypeError(type(action).__name__)  # pragma: no cover - every planned step is handled above

    def cancel(self, meeting: Meeting, action: Cancel) -> None:
        match action:
            case CloseMeeting():
                self._show(DRY_CLOSE.format(number=action.number, reason=action.reason, comment=action.comment))
            case CancelEvent():
                self._show(DRY_CANCEL_EVENT.format(id=action.event_id, why=action.why))


def _imagine_steps(ended: Ended, steps: frozenset[str]) -> Ended:
    if ended.issue is None:
        return ended
    body = markers.with_status(ended.issue.body, markers.find_status(ended.issue.body) | steps)
    return dataclasses.replace(ended, issue=dataclasses.replace(ended.issue, body=body))
