"""`meeting-bot init`: a first, commented meeting file (checked at once), the default templates if asked."""

from __future__ import annotations

import datetime as dt
import json
import re
import shutil
from pathlib import Path


DEFAULT_ID = "meeting"
DEFAULT_TIMEZONE = "UTC"
DEFAULT_TEMPLATES_TARGET = "templates"
FIRST_HOUR = 16  # the first meeting: next Monday at 16:00 local time, to be edited

EXISTS = "meeting-bot: {path} already exists; nothing was written (choose another --id, or edit that file)"
TEMPLATE_EXISTS = "meeting-bot: {path} already exists; nothing was written (drop --templates, or move it away)"
BAD_ID = "meeting-bot: --id {id!r} must match {pattern} (it becomes the file name)"
NEEDS_REPO = "meeting-bot: init needs --repo OWNER/NAME: the repository where the meeting issues go"
INVALID = "meeting-bot: the new meeting file would not be valid, so nothing was written:\n{problems}"
WROTE = "wrote {path} (checked: valid)"
COPIED = "copied the default template {path}"
NEXT_STEPS = """next steps:
  1. edit {path}: the first meeting's start, the schedule, the join link and who to invite ([vars])
  2. put GITHUB_TOKEN (or the GitHub App variables) in .env, as .env.example shows
  3. meeting-bot check{config}              # the meeting files and templates, no network
  4. meeting-bot next{config}               # the coming meetings, as the bot sees them
  5. meeting-bot run --dry-run{config}      # what the bot would write; nothing is written"""

MEETING_FILE = '''\
# {title}: one file per meeting; the file name ({id}.toml) is the meeting id
# (`meeting-bot run --meeting {id}`). Check it with `meeting-bot check`.

name = {name}  # shown in the issue title and the templates
repo = {repo}  # where the meeting issue (and the notes file) go
# title = "{{{{ name }}}} {{{{ date }}}}"  # the issue title (this is the default)

[schedule]
timezone = {timezone}  # an IANA zone: the meeting keeps its wall-clock time across DST
start = {start}  # the first meeting, a local time without offset
rrule = "FREQ=WEEKLY"  # RFC 5545: "FREQ=WEEKLY;INTERVAL=2" is every other week
duration_minutes = 60
create_days_before = 7  # open the issue and the notes a week ahead
# skip_dates = [2026-12-28]  # local dates with no meeting

[agenda]
label = {label}  # maintainers put this label on issues and pull requests to discuss
repos = [{repo}]  # where to look for it; orgs = ["your-org"] searches a whole organisation

[notes]
provider = "repo"  # a Markdown file committed to `repo`; or "hackmd", or "none"
path = "meetings/{{{{ date }}}}.md"

# [calendar]  # a Google Calendar event per meeting, kept current
# provider = "google"
# calendar_id = "c_0123456789abcdef@group.calendar.google.com"

[vars]  # values the templates read
# join_url = "https://meet.example.org/your-room"  # the join link
# invitees = "@your-org/your-team"  # mentioned in each meeting issue (the only mention the bot makes)
# livestream_url = "https://www.youtube.com/@your-org/live"  # for observers
# recording_url = "https://www.youtube.com/@your-org/videos"  # the notes' Recording line
# rsvp = true  # ask for availability with reactions on the issue
'''


class InitError(Exception):
    """Bad arguments, or a file in the way: nothing was written."""


def first_start(today: dt.date) -> dt.datetime:
    """Next Monday (a week on, if today is one) at 16:00: a placeholder the chair edits."""
    days = (7 - today.weekday()) % 7 or 7
    return dt.datetime.combine(today + dt.timedelta(days=days), dt.time(FIRST_HOUR, 0))


def meeting_text(meeting_id: str, repo: str, label: str | None, timezone: str, start: dt.datetime) -> str:
    """The commented meeting file; values are written as TOML strings (JSON's quoting is TOML's too)."""
    name = meeting_id.replace("-", " ").replace("_", " ").replace(".", " ").title() + " Meeting"
    return MEETING_FILE.format(
        id=meeting_id, title=name, name=json.dumps(name), repo=json.dumps(repo),
        label=json.dumps(label or f"{meeting_id}-agenda"), timezone=json.dumps(timezone),
        start=start.isoformat(timespec="seconds"),
    )


def init(config_dir: Path, meeting_id: str, repo: str | None, label: str | None, timezone: str,
         templates_to: Path | None, today: dt.date) -> list[str]:
    """Write the meeting file (and the templates); the lines to print. Nothing is written on any problem."""
    from bot.config import MEETING_ID  # imported here: `meeting-bot --help` loads no template engine

    if not re.fullmatch(MEETING_ID, meeting_id):
        raise InitError(BAD_ID.format(id=meeting_id, pattern=MEETING_ID))
    if not repo:
        raise InitError(NEEDS_REPO)
    path = config_dir / f"{meeting_id}.toml"
    if path.exists():
        raise InitError(EXISTS.format(path=path))
    copies = _template_copies(templates_to)
    text = meeting_text(meeting_id, repo, label, timezone, first_start(today))
    _check(text, path, templates_to)
    config_dir.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    said = [WROTE.format(path=path)]
    for source, target in copies:
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, target)
        said.append(COPIED.format(path=target))
    return said


def _template_copies(templates_to: Path | None) -> list[tuple[Path, Path]]:
    from bot.render import default_templates_dir

    if templates_to is None:
        return []
    copies = [(source, templates_to / source.name) for source in sorted(default_templates_dir().glob("*.j2"))]
    for _, target in copies:
        if target.exists():
            raise InitError(TEMPLATE_EXISTS.format(path=target))
    return copies


def _check(text: str, path: Path, templates_to: Path | None) -> None:
    """The file as `check` would read it, before anything is written (in a scratch copy beside nothing)."""
    import tempfile

    from bot.config import load_meeting
    from bot.render import Renderer
    from bot.render_check import check_templates

    renderer = Renderer(None)  # the defaults: what --templates would copy, or the built-in ones
    with tempfile.TemporaryDirectory() as scratch:
        trial = Path(scratch) / path.name
        trial.write_text(text, encoding="utf-8")
        meeting, problems = load_meeting(trial, renderer.exists, renderer.names())
        if meeting is not None:
            problems += check_templates(renderer, meeting)
    if problems:
        shown = "\n".join(str(p).replace(str(trial), str(path)) for p in problems)
        raise InitError(INVALID.format(problems=shown))
