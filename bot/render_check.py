"""`check` for templates: every template a meeting uses, rendered with sample data (hostile titles too)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Callable
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot import escape, markers
from bot.model import (
    Agenda, AgendaGroup, AgendaItem, AnnounceKind, ArchiveMode, CalendarProvider, Meeting, NotesProvider, Occurrence,
    Problem,
    SectionGroup,
)
from bot.render import (
    NO_REGION,
    SAMPLE_MENTION,
    SAMPLE_OTHER_REPO,
    SAMPLE_TAG,
    UNESCAPED,
    ARCHIVE_PATH_SETTING,
    Context,
    Links,
    RenderError,
    Renderer,
    build_context,
)


def check_templates(renderer: Renderer, meeting: Meeting) -> list[Problem]:
    """Every template the meeting uses, rendered with sample data: the problems found."""
    return TemplateCheck(renderer, meeting).run()


class TemplateCheck:
    """`check_templates` for one meeting: sample data through each template the meeting uses."""

    def __init__(self, renderer: Renderer, meeting: Meeting) -> None:
        self.renderer, self.meeting = renderer, meeting
        self.problems: list[Problem] = []

    def run(self) -> list[Problem]:
        occurrence = sample_occurrence(self.meeting)
        title = self._attempt(lambda: self.renderer.title(self.meeting, occurrence)) or self.meeting.name
        links = Links(f"https://github.com/{self.meeting.repo}/issues/1", f"https://github.com/{self.meeting.repo}")
        ctx = build_context(self.meeting, occurrence, sample_agenda(self.meeting), links, title)
        self._document("issue", self.meeting.issue.template, self.renderer.issue, ctx)
        if self.meeting.notes.provider is not NotesProvider.NONE:
            self._document("notes", self.meeting.notes.template, self.renderer.notes, ctx)
        if self.meeting.calendar.provider is CalendarProvider.GOOGLE:
            self._event(ctx)
        if self.meeting.notes.provider is NotesProvider.REPO:
            self._attempt(lambda: self.renderer.path(self.meeting.notes.path, ctx))
        if self.meeting.announce.targets:
            self._announcements(ctx)
        if self.meeting.notes.provider is NotesProvider.HACKMD and self.meeting.after.archive is not ArchiveMode.NONE:
            self._attempt(lambda: self.renderer.path(self.meeting.after.archive_path, ctx, ARCHIVE_PATH_SETTING))
        return self.problems

    def _attempt(self, render: Callable[[], str]) -> str | None:
        try:
            return render()
        except RenderError as error:
            self.problems.append(error.problem())
            return None

    def _document(self, kind: str, name: str, render: Callable[[Context], str], ctx: Context) -> None:
        body = self._attempt(lambda: render(ctx)) if self.renderer.exists(name) else None
        if body is None:  # a missing template is the meeting file's problem, reported by config
            return
        if SAMPLE_TAG in body or SAMPLE_MENTION in body:
            self._report(name, UNESCAPED.format(kind=kind, filter="md"))
        elif markers.find_region(body, markers.AGENDA) is None:
            start, end = markers.AGENDA_START, markers.AGENDA_END
            self._report(name, NO_REGION.format(kind=kind, start=start, end=end))

    def _event(self, ctx: Context) -> None:
        name = self.meeting.calendar.template
        body = self._attempt(lambda: self.renderer.event(ctx)) if self.renderer.exists(name) else None
        if body is not None and SAMPLE_TAG in body:
            self._report(self.meeting.calendar.template, UNESCAPED.format(kind="event", filter="plain"))

    def _announcements(self, ctx: Context) -> None:
        """Each kind rendered; a hostile title must arrive with no `<`, mention or entity of its own."""
        name = self.meeting.announce.template
        if not self.renderer.exists(name):
            return
        unsafe = (SAMPLE_TAG, SAMPLE_MENTION, escape.markdown_inline(SAMPLE_TAG))
        for kind in AnnounceKind:
            body = self._attempt(lambda: self.renderer.announcement(ctx, kind.value))
            if body is None:
                return  # one error per template is enough
            if any(text in body for text in unsafe):
                self._report(name, UNESCAPED.format(kind="announce", filter="chat"))
                return

    def _report(self, name: str, message: str) -> None:
        self.problems.append(Problem(Path(self.renderer.filename(name)), 1, message))


def sample_occurrence(meeting: Meeting) -> Occurrence:
    """The meeting's first scheduled start (or a fixed day for feeds), for checking templates."""
    slot = meeting.slots[0]
    try:
        zone = ZoneInfo(slot.timezone)
    except (ZoneInfoNotFoundError, ValueError):
        zone = ZoneInfo("UTC")
    start = (slot.start or dt.datetime(2024, 1, 1, 12, 0)).replace(tzinfo=zone)
    end = start + dt.timedelta(minutes=slot.duration_minutes)
    variables = {**meeting.vars, **slot.vars}
    return Occurrence(meeting.id, start, end, slot.timezone, slot.create_days_before, variables)


def sample_agenda(meeting: Meeting) -> Agenda:
    """A section with a hostile discussion, then two repositories, three items, one of them hostile."""
    own, other = meeting.repo, SAMPLE_OTHER_REPO
    hostile = f"Hostile {SAMPLE_TAG} {SAMPLE_MENTION} {markers.AGENDA_END} [click](https://example.invalid)"
    return Agenda(
        label=meeting.agenda.label,
        orgs=meeting.agenda.orgs,
        repos=meeting.agenda.repos,
        groups=(
            AgendaGroup(own, (_sample_item(own, 1, "A sample topic"), _sample_item(own, 2, hostile, pr=True))),
            AgendaGroup(other, (_sample_item(other, 3, "Another sample topic"),)),
        ),
        sections=(SectionGroup(_sample_section(meeting), (_sample_discussion(other, 4, hostile),)),),
        discussions=meeting.agenda.include_discussions,
    )


def _sample_section(meeting: Meeting) -> str:
    sections = meeting.agenda.sections
    return sections[0].title if sections else "Sample section"


def _sample_discussion(repo: str, number: int, title: str) -> AgendaItem:
    url = f"https://github.com/{repo}/discussions/{number}"
    return AgendaItem(repo, number, title, url, labels=("sample",), author="octocat", is_discussion=True, visibility="public")


def _sample_item(repo: str, number: int, title: str, pr: bool = False) -> AgendaItem:
    kind = "pull" if pr else "issues"
    return AgendaItem(repo, number, title, f"https://github.com/{repo}/{kind}/{number}", pr, ("sample",), "octocat")
