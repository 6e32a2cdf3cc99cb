"""Sandboxed Jinja2: titles, issues, notes, events and notes paths from templates, and their context."""

from __future__ import annotations

import contextlib
import datetime as dt
import traceback
from pathlib import Path
from typing import Callable, Iterable, Iterator, Mapping
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import jinja2
from jinja2.sandbox import ImmutableSandboxedEnvironment

import bot
from bot import escape, markers, template_errors
from bot.errors import TemplateError
from bot.model import Meeting, Occurrence
# The context is built in render_context; callers take its names from here, beside the renderer.
from bot.render_context import Context as Context, Links as Links, build_context as build_context, complete as complete, time_values

RenderError = TemplateError  # the name the rendering code and its tests use

TITLE_LIMIT = 256  # GitHub's longest issue title
TITLE_SETTING = "title"  # the inline templates' names in `Meeting.lines`
PATH_SETTING = "notes.path"
ARCHIVE_PATH_SETTING = "after.archive_path"
TEMPLATE_NOT_FOUND = "template {name!r} not found"
UNKNOWN_ZONE = "unknown time zone {zone!r}"
EMPTY_TITLE = "title renders to nothing; an issue needs a title"
NO_REGION = "{kind} template has no agenda region ({start} ... {end}); the bot could not refresh the agenda"
UNESCAPED = ("{kind} template places an agenda title without |{filter}: "
             "a title could then mention people or inject HTML")
PATH_EMPTY = "{setting} renders to an empty path"
PATH_ABSOLUTE = "{setting} must be relative to the repository, not {path!r}"
PATH_BACKSLASH = "{setting} must separate folders with /, not a backslash: {path!r}"
PATH_PARTS = "{setting} must not have empty, '.' or '..' parts: {path!r}"
PATH_CONTROL = "{setting} must be one line without control characters: {path!r}"

SAMPLE_TAG = "<img src=x onerror=alert(1)>"
SAMPLE_MENTION = "@sample-org/everyone"
SAMPLE_OTHER_REPO = "example-org/example-repo"


def default_templates_dir() -> Path:
    """The shipped templates: inside the package when installed from a wheel, else the checkout's."""
    package = Path(bot.__file__).parent
    installed = package / "default_templates"
    return installed if installed.is_dir() else package.parent / "templates"


def _tz(moment: dt.datetime, zone: str) -> dt.datetime:
    try:
        return moment.astimezone(ZoneInfo(zone))
    except (ZoneInfoNotFoundError, ValueError):
        raise jinja2.TemplateRuntimeError(UNKNOWN_ZONE.format(zone=zone)) from None


def _series(values: Iterable[object]) -> str:
    """"a", "a and b", "a, b and c"."""
    words = [str(value) for value in values]
    return " and ".join(filter(None, [", ".join(words[:-1]), *words[-1:]]))


def _environment(templates_dir: Path | None) -> ImmutableSandboxedEnvironment:
    """The sandbox: read-only, undefined names are errors, no autoescape (Markdown), trailing newlines kept.

    A line holding only `{% ... %}` tags leaves nothing behind (trim_blocks, lstrip_blocks), so
    Markdown templates can be written line for line.  Filters: `md` (GitHub text in Markdown), `chat`
    (the same in an announcement),
    `plain` (one line for plain text or calendar HTML), `tz(zone)`, `utc`, `fmt(format)` (strftime)
    and `series` ("a, b and c").
    """
    dirs = [templates_dir] if templates_dir is not None and templates_dir.is_dir() else []
    loaders = [jinja2.FileSystemLoader(path) for path in [*dirs, default_templates_dir()]]
    env = ImmutableSandboxedEnvironment(
        loader=jinja2.ChoiceLoader(loaders),
        undefined=jinja2.StrictUndefined,
        autoescape=False,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(
        md=lambda text: escape.markdown_inline(str(text)),
        chat=lambda text: escape.chat_inline(str(text)),
        plain=lambda text: escape.plain(str(text)),
        tz=_tz,
        utc=lambda moment: moment.astimezone(dt.timezone.utc),
        fmt=lambda moment, form: moment.strftime(form),
        series=_series,
    )
    return env


class Renderer:
    """Renders a meeting's templates: the user's templates directory first, then the shipped ones."""

    def __init__(self, templates_dir: Path | None = None) -> None:
        self.templates_dir = templates_dir
        self.env = _environment(templates_dir)

    def exists(self, name: str) -> bool:
        loader = self.env.loader
        assert loader is not None  # _environment always sets one
        try:
            loader.get_source(self.env, name)
        except jinja2.TemplateNotFound:
            return False
        return True

    def names(self) -> tuple[str, ...]:
        """Every template there is (the user's and the shipped ones), for did-you-mean hints."""
        return tuple(self.env.list_templates())

    def title(self, meeting: Meeting, occurrence: Occurrence) -> str:
        """The issue title: one line, at most GitHub's 256 characters."""
        values = time_values(meeting, occurrence, {**meeting.vars, **occurrence.vars})
        text = escape.one_line(self._inline(meeting.title, values, meeting, TITLE_SETTING)).strip()
        if not text:
            raise RenderError(str(meeting.source), meeting.line(TITLE_SETTING), EMPTY_TITLE)
        return escape.truncate(text, TITLE_LIMIT)

    def issue(self, ctx: Context) -> str:
        return _with_key(self._file(ctx.meeting.issue.template, ctx.values), ctx.occurrence.key)

    def notes(self, ctx: Context) -> str:
        return _with_key(self._file(ctx.meeting.notes.template, ctx.values), ctx.occurrence.key)

    def event(self, ctx: Context) -> str:
        return self._file(ctx.meeting.calendar.template, ctx.values)

    def page(self, name: str, values: Mapping[str, object]) -> str:
        """An HTML page (`publish`): the same sandbox and filters, with HTML autoescaping on."""
        with _errors(lambda: (name, 1)):
            return self.env.overlay(autoescape=True).get_template(name).render(values)
    def announcement(self, ctx: Context, kind: str) -> str:
        """One announcement's text; the template also reads `kind` (created, reminder, cancelled, minutes)."""
        return self._file(ctx.meeting.announce.template, {**ctx.values, "kind": kind})

    def path(self, template_str: str, ctx: Context, setting: str = PATH_SETTING) -> str:
        """A file's path in the repository (notes.path, after.archive_path), checked to stay inside it."""
        path = self._inline(template_str, ctx.values, ctx.meeting, setting)
        problem = path_problem(path)
        if problem:
            raise RenderError(str(ctx.meeting.source), ctx.meeting.line(setting), problem.format(path=path, setting=setting))
        return path

    def _file(self, name: str, values: Mapping[str, object]) -> str:
        with _errors(lambda: (name, 1)):
            return self.env.get_template(name).render(values)

    def _inline(self, src: str, values: Mapping[str, object], meeting: Meeting, setting: str) -> str:
        """A template written in the meeting file; its errors point at that setting's line."""
        with _errors(lambda: (str(meeting.source), meeting.line(setting)), inline=True):
            return self.env.from_string(src).render(values)

    def filename(self, name: str) -> str:
        """The file a template name resolves to (for problems that concern the whole template)."""
        return self.env.get_template(name).filename or name


def _with_key(body: str, key: str) -> str:
    """`body` with the artifact key line at the end, unless the template placed it already."""
    if markers.find_key(body) == key:
        return body
    return body + ("" if body.endswith("\n") or not body else "\n") + markers.make_key(key) + "\n"


def path_problem(path: str) -> str | None:
    """Why a notes path is unusable in a repository (a message with {path}), or None."""
    parts = path.split("/")
    if not path.strip():
        return PATH_EMPTY
    if escape.one_line(path) != path:
        return PATH_CONTROL
    if "\\" in path:
        return PATH_BACKSLASH
    if path.startswith("/") or (len(path) > 1 and path[1] == ":"):
        return PATH_ABSOLUTE
    if any(part in ("", ".", "..") for part in parts):
        return PATH_PARTS
    return None


@contextlib.contextmanager
def _errors(place: Callable[[], tuple[str, int]], inline: bool = False) -> Iterator[None]:
    """Turns any failure while rendering into a RenderError at the template's file and line.

    `place` is where to point when the error itself does not know; templates written inline in
    the meeting file (title, notes.path) always point at their setting's line.
    """
    try:
        yield
    except Exception as error:
        raise _located(error, *place(), inline) from error


def _located(error: Exception, template: str, line: int, inline: bool) -> RenderError:
    if isinstance(error, jinja2.TemplateNotFound):
        return RenderError(template, line, TEMPLATE_NOT_FOUND.format(name=error.name))
    if isinstance(error, jinja2.TemplateSyntaxError):
        filename = error.filename
        lineno: int | None
        lineno, message = template_errors.located(_environment(None), error)
    else:
        (filename, lineno), message = _template_frame(error), _message(error)
    if inline or not filename or filename == "<template>":
        return RenderError(template, line if inline else lineno or line, message)
    return RenderError(filename, lineno or line, message)


def _template_frame(error: Exception) -> tuple[str | None, int | None]:
    """The innermost template line in the traceback (Jinja marks its template frames)."""
    found: tuple[str | None, int | None] = (None, None)
    for frame, lineno in traceback.walk_tb(error.__traceback__):
        if "__jinja_exception__" in frame.f_globals:
            found = (frame.f_code.co_filename, lineno)
    return found


def _message(error: Exception) -> str:
    text = str(error) if isinstance(error, jinja2.TemplateError) else f"{type(error).__name__}: {error}"
    return text or type(error).__name__
