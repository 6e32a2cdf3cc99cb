"""`meeting-bot publish`: reads each meeting's schedule, agenda and issues, and writes the static site."""

# It only reads (feeds, one agenda collection per meeting, the issues listing of the meeting
# repository) and writes nothing unless every meeting was read: a failed read leaves the previous
# site as it was. Each file is written whole (a temporary file, then a rename), and only when its
# bytes change, so a publish with nothing new writes nothing.

from __future__ import annotations

import datetime as dt
import logging
import os
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Mapping, Sequence

from bot import ical, pages, site
from bot import occurrences as occ_mod
from bot.errors import BotError
from bot.logs import LOGGER
from bot.model import Agenda, IssueRecord, Meeting, NotesProvider
from bot.plan import notes_ref, survivor
from bot.ports import ServiceError, Services
from bot.render import RenderError, Renderer

log = logging.getLogger(LOGGER)

MAX_PREVIOUS_BYTES = 5 * 1024 * 1024
SEARCH_HORIZON = dt.timedelta(days=400)  # how long before its window an occurrence's issue may have been made
PUBLISHED = "published {meetings} meeting(s), {events} event(s) to {out}: {what}"
WROTE = "wrote {files}"
UNCHANGED = "nothing changed"
MEETING_FAILED = "{id}: {message}"
NOTHING_WRITTEN = "nothing was written: {count} meeting(s) could not be read"
NOT_A_DIRECTORY = "--out {out}: not a directory"
BAD_URL = "--url {url!r}: not an absolute http(s) URL"
BAD_WEEKS = "--weeks must be from 1 to {most}"
MAX_WEEKS = 104  # two years, as far ahead as schedules are searched
CANNOT_WRITE = "--out {out}: cannot write {name}: {reason}"
RESERVED_ID = "meeting {id!r}: {file} is the feed of all meetings; rename the meeting file to publish it"
PREVIOUS_TOO_BIG = "{name}: larger than {limit} bytes, so its revisions are not carried over"
PREVIOUS_NOT_FILE = "{name}: not a regular file, so its revisions are not carried over"


class PublishError(Exception):
    """A usage problem: bad --out, a meeting that cannot be published, a template error."""


@dataclass(frozen=True)
class PublishRequest:
    out: Path
    weeks: int = 8
    base_url: str | None = None


def publish(
    meetings: Sequence[Meeting], services: Services, renderer: Renderer, request: PublishRequest,
    now: dt.datetime, say: Callable[[str], None],
) -> bool:
    """Read every meeting, then write the site; False (and nothing written) when a meeting failed."""
    _check(request, meetings)
    names = [site.ALL_FEED, *(site.feed_name(m.id) for m in meetings)]
    previous, warnings = ical.read_previous(_previous_files(request.out, names), now)
    for warning in warnings:
        log.warning("%s", warning)
    published, failed = [], 0
    services.agenda.expect(meetings)  # every meeting with an upcoming occurrence reads its agenda: shared searches
    for meeting in meetings:
        try:
            published.append(_read_meeting(meeting, services, renderer, request, previous, now))
        except BotError as exc:
            log.error(MEETING_FAILED.format(id=meeting.id, message=str(exc).splitlines()[0] if str(exc) else type(exc).__name__))
            failed += 1
        except RenderError as exc:
            raise PublishError(str(exc)) from None
    if failed:
        log.error(NOTHING_WRITTEN.format(count=failed))
        return False
    files = _documents(published, renderer, request, previous, now)
    written = _write_changed(request.out, files)
    events = sum(len(item.entries) for item in published)
    what = WROTE.format(files=", ".join(written)) if written else UNCHANGED
    say(PUBLISHED.format(meetings=len(published), events=events, out=request.out, what=what))
    return True


def _check(request: PublishRequest, meetings: Sequence[Meeting]) -> None:
    out = request.out
    if not 1 <= request.weeks <= MAX_WEEKS:
        raise PublishError(BAD_WEEKS.format(most=MAX_WEEKS))
    if request.base_url is not None and site.web_url(request.base_url) is None:
        raise PublishError(BAD_URL.format(url=request.base_url))
    for meeting in meetings:
        if meeting.id in site.RESERVED_IDS:
            raise PublishError(RESERVED_ID.format(id=meeting.id, file=site.ALL_FEED))
    if out.exists() and not out.is_dir():
        raise PublishError(NOT_A_DIRECTORY.format(out=out))


def _previous_files(out: Path, names: Sequence[str]) -> dict[str, bytes]:
    """The feeds a previous publish left in --out: regular files only, of a bounded size."""
    found = {}
    for name in names:
        path = out / name
        try:
            info = path.lstat()
        except OSError:
            continue
        if not stat.S_ISREG(info.st_mode):
            log.warning(PREVIOUS_NOT_FILE.format(name=path))
        elif info.st_size > MAX_PREVIOUS_BYTES:
            log.warning(PREVIOUS_TOO_BIG.format(name=path, limit=MAX_PREVIOUS_BYTES))
        else:
            found[name] = path.read_bytes()
    return found


def _read_meeting(
    meeting: Meeting, services: Services, renderer: Renderer, request: PublishRequest,
    previous: Mapping[str, ical.Published], now: dt.datetime,
) -> pages.Published:
    feeds = {url: services.fetch_feed(url) for url in occ_mod.feed_urls(meeting)}
    after, until = site.window(now, request.weeks)
    scheduled = site.schedule(meeting, after, until, feeds)
    scheduled = site.previously_published(meeting, previous, after, until, scheduled)
    issues = _issues(meeting, services, scheduled, now)
    wanted = any(not s.cancelled and not occ_mod.has_started(s.occurrence, now) for s in scheduled)
    agenda = services.agenda.collect(meeting) if wanted else None  # one collection per meeting, at most
    for warning in agenda.warnings if agenda else ():
        log.warning("%s: %s", meeting.id, warning)
    found = site.Found(agenda, issues, _notes(meeting, services, renderer, scheduled, issues))
    return pages.Published(meeting, tuple(site.entries(meeting, scheduled, found, renderer, now)))


def _issues(
    meeting: Meeting, services: Services, scheduled: Sequence[site.Scheduled], now: dt.datetime
) -> dict[str, IssueRecord]:
    """The bot's issue of each occurrence (by key), read through the issues listing, not search."""
    if not scheduled:
        return {}
    keys = tuple(item.occurrence.key for item in scheduled)
    since = min(now, *(item.occurrence.window_opens for item in scheduled)) - SEARCH_HORIZON
    found = services.issues.find(meeting.repo, keys, since.astimezone(dt.timezone.utc))
    chosen = {key: survivor(tuple(records)) for key, records in found.items()}
    return {key: issue for key, issue in chosen.items() if issue is not None}


def _notes(
    meeting: Meeting, services: Services, renderer: Renderer, scheduled: Sequence[site.Scheduled],
    issues: Mapping[str, IssueRecord],
) -> dict[str, str]:
    """The notes link of each occurrence that has its issue (the notes are made with it)."""
    if meeting.notes.provider is NotesProvider.NONE or not issues:
        return {}
    try:
        store = services.notes(meeting)
    except ServiceError:
        return {}  # e.g. HackMD without a token: the page simply has no notes link
    links = {}
    empty = Agenda(meeting.agenda.label)
    for item in scheduled:
        issue = issues.get(item.occurrence.key)
        if issue is None or store is None:
            continue
        url = store.url_for(meeting, notes_ref(meeting, item.occurrence, empty, renderer, issue))
        if url:
            links[item.occurrence.key] = url
    return links


def _documents(
    published: Sequence[pages.Published], renderer: Renderer, request: PublishRequest,
    previous: Mapping[str, ical.Published], now: dt.datetime,
) -> dict[str, bytes]:
    doc = pages.document(published, now, request.weeks, request.base_url)
    context = pages.page_context(doc, published, now, request.weeks)
    try:
        page = renderer.page(site.PAGE_TEMPLATE, context)
    except RenderError as exc:
        raise PublishError(str(exc)) from None
    return {
        site.PAGE_FILE: page.encode("utf-8"),
        site.JSON_FILE: pages.document_json(doc),
        **pages.feeds(published, previous, now),
    }


def _write_changed(out: Path, files: Mapping[str, bytes]) -> list[str]:
    """Write each file whose bytes differ, whole: a temporary file renamed over the old one."""
    written, name = [], str(out)
    try:
        out.mkdir(parents=True, exist_ok=True)
        for name, data in files.items():
            path = out / name
            if path.is_file() and not path.is_symlink() and path.read_bytes() == data:
                continue
            _replace(out / f".{name}.{os.getpid()}.tmp", path, data)
            written.append(name)
    except OSError as exc:
        raise PublishError(CANNOT_WRITE.format(out=out, name=name, reason=exc.strerror or type(exc).__name__)) from None
    return written


def _replace(temporary: Path, path: Path, data: bytes) -> None:
    """`path` holds `data` whole, or is left as it was (and no temporary file stays behind)."""
    try:
        temporary.write_bytes(data)
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)
