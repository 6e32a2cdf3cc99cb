"""Meeting files: one TOML file per meeting in, validated `Meeting` values or every problem out."""

from __future__ import annotations

import re
import tomllib
from enum import Enum
from pathlib import Path
from typing import Any, Callable

from bot import config_schedule, inline_templates, model, suggest
from bot.config_schedule import MISSING_TABLE, UNKNOWN_ZONE
from bot.model import (
    AfterConfig, AgendaConfig, AgendaSection, AnnounceConfig, AnnounceKind, ArchiveMode, CalendarConfig,
    CalendarProvider, IssueConfig, Meeting, NotesConfig, NotesProvider, Problem,
)
from bot.inline_templates import BAD_TEMPLATE_TEXT  # noqa: F401 (re-exported: tests and docs name it here)
from bot.tomlines import MUST_NOT_BE_EMPTY, Document, Table, locate

# Messages about keys and types in general (unknown, missing, wrong type) are in bot.tomlines.
CONFIG_DIR_MISSING = (
    "config directory not found; point to your meeting files with --config DIR or MEETING_BOT_CONFIG=DIR, "
    "or make a first one with `meeting-bot init`"
)
NO_MEETING_FILES = "no meeting files (*.toml) in the config directory"
CANNOT_READ = "cannot read the file: {error}"
NOT_UTF8 = "the file is not UTF-8 text"
TOML_SYNTAX = "invalid TOML: {error}"
BAD_MEETING_ID = "the file name makes the meeting id {id!r}, which must match {pattern}"
MUST_BE_SECTIONS = "agenda.sections must be [[agenda.sections]] tables, each with a title and labels"
DUPLICATE_SECTION = "{key}: a section titled {value!r} is already written above"
BAD_REPO = "{key}: {value!r} is not a GitHub repository like owner/name"
BAD_ORG = "{key}: {value!r} is not a GitHub organisation name"
BAD_LABEL = "{key}: {value!r} is not a GitHub label (1 to 50 characters on one line)"
REQUIRED_WHEN = "{key} = {value!r} requires {other}"
MISSING_TEMPLATE = "{key}: template {name!r} not found{hint}"
BAD_TARGET = "{key}: {value!r} is not a target name (letters, digits and _; its URL is in MEETING_BOT_ANNOUNCE_<NAME>)"
BAD_KIND = "{key}: {value!r} is not an announcement kind (created, reminder, cancelled or minutes)"
DUPLICATE_TARGET = "{key}: {value!r} names the same variable as another target"

MEETING_ID = r"^[a-z0-9][a-z0-9._-]*$"
_OWNER = r"[A-Za-z0-9][A-Za-z0-9-]{0,38}"  # a GitHub login
_REPO = re.compile(_OWNER + r"/(?!\.{1,2}$)[A-Za-z0-9._-]{1,100}")
_LOGIN = re.compile(_OWNER)
_LABEL_MAX = 50  # GitHub's limit
_TOML_POSITION = re.compile(r" \(at (?:line (\d+), column \d+|end of document)\)$")
HACKMD_PERMISSIONS = ("owner", "signed_in", "guest")
HACKMD_COMMENT_PERMISSIONS = ("disabled", "forbidden", "owners", "signed_in_users", "everyone")

ROOT_KEYS = ("name", "repo", "title", "schedule", "agenda", "issue", "notes", "calendar", "after", "vars",
             "display_zones", "announce")
AGENDA_KEYS = ("label", "orgs", "repos", "include_pull_requests", "skip_if_empty", "include_discussions", "sections")
SECTION_KEYS = ("title", "labels")
ISSUE_KEYS = ("template", "labels", "close_previous")
NOTES_KEYS = ("provider", "template", "path", "hackmd_team", "hackmd_read_permission",
              "hackmd_write_permission", "hackmd_comment_permission")
CALENDAR_KEYS = ("provider", "calendar_id", "template")
ANNOUNCE_KEYS = ("targets", "on", "reminder_hours", "template")
_TARGET = re.compile(r"[A-Za-z0-9_]{1,64}")
AFTER_KEYS = ("close_issue", "archive", "archive_path", "after_hours", "carry_over", "action_items",
              "remove_label")
MAX_AFTER_HOURS = 24 * 30

TemplateExists = Callable[[str], bool]
INLINE_TEMPLATES = {"title": ("title",), "notes.path": ("notes", "path"), "after.archive_path": ("after", "archive_path")}  # their errors name these lines


def load_meetings(
    config_dir: Path, template_exists: TemplateExists, template_names: tuple[str, ...] = ()
) -> tuple[list[Meeting], list[Problem]]:
    """Every `*.toml` meeting in `config_dir`, by file name, and the problems of all of them
    (`template_names`: the templates there are, for a did-you-mean when one is not found)."""
    if not config_dir.is_dir():
        return [], [Problem(config_dir, 0, CONFIG_DIR_MISSING)]  # a directory: no line to point at
    paths = sorted(config_dir.glob("*.toml"))
    if not paths:
        return [], [Problem(config_dir, 1, NO_MEETING_FILES)]
    meetings, problems = [], []
    for path in paths:
        meeting, found = load_meeting(path, template_exists, template_names)
        meetings += [meeting] if meeting else []
        problems += found
    return meetings, problems


def load_meeting(
    path: Path, template_exists: TemplateExists, template_names: tuple[str, ...] = ()
) -> tuple[Meeting | None, list[Problem]]:
    """One meeting file: the meeting, or None and its problems."""
    try:
        data, text = _parse(path.read_bytes())
    except _FileError as error:
        return None, [Problem(path, error.line, error.message)]
    except OSError as error:
        return None, [Problem(path, 1, CANNOT_READ.format(error=error.strerror or error))]
    document = Document(path, locate(text), [], text=text)
    meeting = _meeting(Table(data, (), document), template_exists, template_names)
    problems = sorted(document.problems, key=lambda problem: problem.line)
    return (None if problems else meeting), problems


class _FileError(Exception):
    def __init__(self, line: int, message: str) -> None:
        super().__init__(message)
        self.line, self.message = line, message


def _parse(raw: bytes) -> tuple[dict[str, Any], str]:
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise _FileError(raw.count(b"\n", 0, error.start) + 1, NOT_UTF8) from None
    try:
        return tomllib.loads(text), text
    except tomllib.TOMLDecodeError as error:
        raise _FileError(*_syntax_error(error, text)) from None


def _syntax_error(error: tomllib.TOMLDecodeError, text: str) -> tuple[int, str]:
    """The line and the bare message of a TOML error (Python 3.14+ has attributes for both)."""
    match = _TOML_POSITION.search(str(error))
    message = getattr(error, "msg", None) or _TOML_POSITION.sub("", str(error))
    line = getattr(error, "lineno", None) or (int(match[1]) if match and match[1] else None)
    return line or text.count("\n") + 1, TOML_SYNTAX.format(error=message)


def _meeting(root: Table, template_exists: TemplateExists, template_names: tuple[str, ...] = ()) -> Meeting:
    root.only(ROOT_KEYS)
    meeting_id = root.document.path.stem
    if not re.fullmatch(MEETING_ID, meeting_id):
        root.document.report((), BAD_MEETING_ID.format(id=meeting_id, pattern=MEETING_ID))
    meeting = Meeting(
        id=meeting_id,
        source=root.document.path,
        name=root.string("name", "", required=True),
        repo=root.matching("repo", _REPO.fullmatch, BAD_REPO, required=True),
        title=inline_templates.template_text(root, "title", model.DEFAULT_TITLE),
        slots=config_schedule.slots(root),
        agenda=_agenda(root),
        issue=_issue(root),
        notes=_notes(root),
        calendar=_calendar(root),
        announce=_announce(root),
        after=_after(root),
        vars=config_schedule.table_vars(root),
        display_zones=_display_zones(root),
        lines={name: root.document.lines.line(where) for name, where in INLINE_TEMPLATES.items()},
    )
    _check_templates(root, meeting, template_exists, template_names)
    return meeting


def _section(root: Table, key: str, allowed: tuple[str, ...], required: bool = False) -> Table | None:
    """An optional table (empty when absent), or a required one; None when it cannot be read."""
    if key not in root.data:
        if required:
            root.document.report((), MISSING_TABLE.format(table=key))
        return None if required else Table({}, (key,), root.document)
    table = root.table(key)
    if table:
        table.only(allowed)
    return table


def _display_zones(root: Table) -> tuple[str, ...]:
    zones = root.each("display_zones", config_schedule.zone_exists, UNKNOWN_ZONE, suggest.zone_hint)
    if root.data.get("display_zones") == []:
        root.report("display_zones", MUST_NOT_BE_EMPTY)
    return zones or model.DEFAULT_DISPLAY_ZONES


def _is_label(text: str) -> bool:
    return 0 < len(text) <= _LABEL_MAX and "\n" not in text and "\r" not in text


def _agenda(root: Table) -> AgendaConfig:
    agenda = _section(root, "agenda", AGENDA_KEYS, required=True)
    if agenda is None:
        return AgendaConfig(label="")
    return AgendaConfig(
        label=agenda.matching("label", _is_label, BAD_LABEL, required=True),
        orgs=agenda.each("orgs", _LOGIN.fullmatch, BAD_ORG),
        repos=agenda.each("repos", _REPO.fullmatch, BAD_REPO),
        include_pull_requests=agenda.boolean("include_pull_requests", True),
        skip_if_empty=agenda.boolean("skip_if_empty", False),
        include_discussions=agenda.boolean("include_discussions", False),
        sections=_agenda_sections(agenda),
    )


def _agenda_sections(agenda: Table) -> tuple[AgendaSection, ...]:
    """`[[agenda.sections]]`: each a title and at least one label (labels nobody uses yet are fine)."""
    value = agenda.data.get("sections")
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(item, dict) for item in value):
        agenda.report("sections", MUST_BE_SECTIONS)
        return ()
    sections: list[AgendaSection] = []
    for index, data in enumerate(value):
        table = Table(data, agenda.where + ("sections", index), agenda.document)
        table.only(SECTION_KEYS)
        title = table.string("title", "", required=True)
        if not table.require("labels"):
            continue
        labels = table.each("labels", _is_label, BAD_LABEL)
        if data["labels"] == []:
            table.report("labels", MUST_NOT_BE_EMPTY)
        if title and any(s.title == title for s in sections):
            table.report("title", DUPLICATE_SECTION, value=title)
        sections.append(AgendaSection(title, labels))
    return tuple(sections)


def _issue(root: Table) -> IssueConfig:
    issue, default = _section(root, "issue", ISSUE_KEYS), IssueConfig()
    if issue is None:
        return default
    return IssueConfig(
        template=issue.string("template", default.template),
        labels=issue.each("labels", _is_label, BAD_LABEL),
        close_previous=issue.boolean("close_previous", default.close_previous),
    )


def _notes(root: Table) -> NotesConfig:
    notes, default = _section(root, "notes", NOTES_KEYS), NotesConfig()
    if notes is None:
        return default
    provider = NotesProvider(notes.choice("provider", _values(NotesProvider), default.provider.value))
    return NotesConfig(
        provider=provider,
        template=notes.string("template", default.template),
        path=inline_templates.template_text(notes, "path", default.path),
        hackmd_team=notes.string("hackmd_team"),
        hackmd_read_permission=notes.choice(
            "hackmd_read_permission", HACKMD_PERMISSIONS, default.hackmd_read_permission),
        hackmd_write_permission=notes.choice(
            "hackmd_write_permission", HACKMD_PERMISSIONS, default.hackmd_write_permission),
        hackmd_comment_permission=notes.choice(
            "hackmd_comment_permission", HACKMD_COMMENT_PERMISSIONS, default.hackmd_comment_permission),
    )


def _calendar(root: Table) -> CalendarConfig:
    calendar, default = _section(root, "calendar", CALENDAR_KEYS), CalendarConfig()
    if calendar is None:
        return default
    provider = CalendarProvider(
        calendar.choice("provider", _values(CalendarProvider), default.provider.value))
    calendar_id = calendar.string("calendar_id")
    if provider is CalendarProvider.GOOGLE and "calendar_id" not in calendar.data:
        calendar.report("provider", REQUIRED_WHEN, other=calendar.name("calendar_id"), value=provider.value)
    return CalendarConfig(provider, calendar_id, calendar.string("template", default.template))


def _announce(root: Table) -> AnnounceConfig:
    table, default = _section(root, "announce", ANNOUNCE_KEYS), AnnounceConfig()
    if table is None:
        return default
    targets = table.each("targets", _TARGET.fullmatch, BAD_TARGET)
    if len({t.upper() for t in targets}) < len(targets):
        table.report("targets", DUPLICATE_TARGET, value=", ".join(targets))
    kinds = _values(AnnounceKind)
    on = tuple(AnnounceKind(k) for k in dict.fromkeys(table.each("on", kinds.__contains__, BAD_KIND)) if k in kinds)
    return AnnounceConfig(
        targets=targets,
        on=on if "on" in table.data else default.on,
        reminder_hours=table.integer("reminder_hours", default.reminder_hours, 1, 24 * 30),
        template=table.string("template", default.template),
    )


def _after(root: Table) -> AfterConfig:
    after, default = _section(root, "after", AFTER_KEYS), AfterConfig()
    if after is None:
        return default
    return AfterConfig(
        close_issue=after.boolean("close_issue", default.close_issue),
        archive=ArchiveMode(after.choice("archive", _values(ArchiveMode), default.archive.value)),
        archive_path=inline_templates.template_text(after, "archive_path", default.archive_path),
        after_hours=after.integer("after_hours", default.after_hours, 0, MAX_AFTER_HOURS),
        carry_over=after.boolean("carry_over", default.carry_over),
        action_items=after.boolean("action_items", default.action_items),
        remove_label=after.boolean("remove_label", default.remove_label),
    )


def _values(enum: type[Enum]) -> tuple[str, ...]:
    return tuple(member.value for member in enum)


def _check_templates(root: Table, meeting: Meeting, template_exists: TemplateExists, names: tuple[str, ...]) -> None:
    """Only the templates this meeting uses: notes unless there are none, the event only for Google."""
    used = [("issue", meeting.issue.template)]
    if meeting.notes.provider is not NotesProvider.NONE:
        used.append(("notes", meeting.notes.template))
    if meeting.calendar.provider is CalendarProvider.GOOGLE:
        used.append(("calendar", meeting.calendar.template))
    if meeting.announce.targets:
        used.append(("announce", meeting.announce.template))
    for table, name in used:
        if name and not template_exists(name):
            message = MISSING_TEMPLATE.format(key=f"{table}.template", name=name, hint=suggest.hint(name, names))
            root.document.report((table, "template"), message)
