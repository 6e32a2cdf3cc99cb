"""The bench's world: the GitHub and Calendar doubles, filled with meetings and agenda items of a shape."""

from __future__ import annotations

import contextlib
import datetime as dt
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

from tests.doubles.gcal import CalendarDouble, running_calendar
from tests.doubles.github import DEFAULT_TOKEN, GitHubDouble, running_github
from tests.e2e import NOW, write_meeting

UTC = dt.timezone.utc
ITEMS_FROM = dt.datetime(2024, 1, 1, tzinfo=UTC)  # agenda items are created one a minute from here
BUSY_FROM = dt.datetime(2023, 3, 8, tzinfo=UTC)  # other issues of a busy meeting repository: the year before NOW
UNLIMITED = 1_000_000  # the double's search limit while timing (see RESULTS.md: "GitHub's search limit")
SERVICE_ACCOUNT = "meeting-bot@bench.iam.gserviceaccount.com"
PR_EVERY = 4  # every 4th agenda item is a pull request


@dataclass(frozen=True)
class Shape:
    """One point of the matrix, per meeting: agenda items and organisations; meetings in one pass."""

    items: int
    orgs: int = 1
    meetings: int = 1
    calendar: bool = False
    busy: int = 0  # other issues in the meeting repository, created during the year before the run
    repos_per_org: int = 30
    discussions: int | None = None  # labelled discussions per meeting, with include_discussions; None: off

    @property
    def label(self) -> str:
        extra = (" + calendar" if self.calendar else "") + (f" + {self.busy:,} issues in meeting repo" if self.busy else "")
        if self.discussions is not None:
            extra += f" + {self.discussions:,} discussions"
        return f"{self.items:,} items, {self.orgs} org(s), {self.meetings} meeting(s){extra}"


def org_names(shape: Shape, meeting: int) -> list[str]:
    return [f"m{meeting:02d}-org{j:02d}" for j in range(shape.orgs)]


def meeting_repo(shape: Shape, meeting: int) -> str:
    return f"{org_names(shape, meeting)[0]}/meetings"


def item_slots(shape: Shape, count: int | None = None) -> Iterator[tuple[int, int]]:
    """(organisation, repository) index of each agenda item (or discussion) of one meeting: spread evenly."""
    for n in range(shape.items if count is None else count):
        yield n % shape.orgs, (n // shape.orgs) % shape.repos_per_org


@dataclass
class World:
    github: GitHubDouble
    calendar: CalendarDouble | None
    config: Path
    env: dict[str, str]

    def reset_logs(self) -> None:
        self.github.reset_log()
        if self.calendar is not None:
            self.calendar.reset_log()


def _fill_meeting(gh: GitHubDouble, shape: Shape, meeting: int, first: int) -> int:
    """The meeting's repositories and agenda items; returns the next free creation minute."""
    orgs = org_names(shape, meeting)
    gh.add_repo(meeting_repo(shape, meeting))
    for org in orgs:
        for k in range(shape.repos_per_org):
            gh.add_repo(f"{org}/r{k:02d}")
    label = f"agenda-{meeting:02d}"
    for n, (j, k) in enumerate(item_slots(shape)):
        when = ITEMS_FROM + dt.timedelta(minutes=first + n)
        gh.add_issue(f"{orgs[j]}/r{k:02d}", f"Topic {n}", labels=[label], created_at=when,
                     pull_request=n % PR_EVERY == PR_EVERY - 1)
    for n, (j, k) in enumerate(item_slots(shape, shape.discussions or 0)):
        when = ITEMS_FROM + dt.timedelta(minutes=first + shape.items + n)
        gh.add_discussion(f"{orgs[j]}/r{k:02d}", f"Discussion {n}", labels=[label], created_at=when)
    step = dt.timedelta(days=365) / max(shape.busy, 1)
    for n in range(shape.busy):
        gh.add_issue(meeting_repo(shape, meeting), f"Other issue {n}", created_at=BUSY_FROM + n * step)
    return first + shape.items + (shape.discussions or 0)


def _meeting_file(config: Path, shape: Shape, meeting: int) -> None:
    calendar = {"provider": "google", "calendar_id": f"m{meeting:02d}@group.calendar.google.com"}
    write_meeting(config, f"m{meeting:02d}", repo=meeting_repo(shape, meeting),
                  agenda={"label": f"agenda-{meeting:02d}", "orgs": org_names(shape, meeting),
                          "include_discussions": shape.discussions is not None},
                  **({"calendar": calendar} if shape.calendar else {}))


def _calendar_env(cal: CalendarDouble, shape: Shape) -> dict[str, str]:
    key = cal.new_service_account(SERVICE_ACCOUNT)
    for meeting in range(shape.meetings):
        cal.add_calendar(f"m{meeting:02d}@group.calendar.google.com", {SERVICE_ACCOUNT: "writer"})
    return {"GOOGLE_SERVICE_ACCOUNT_JSON": json.dumps(key), "GOOGLE_CALENDAR_API_URL": cal.url}


@contextlib.contextmanager
def world(shape: Shape, workdir: Path) -> Iterator[World]:
    """Fresh doubles holding `shape`, and a config directory with one file per meeting."""
    config = workdir / "config"
    config.mkdir(parents=True)
    with running_github() as gh, (running_calendar() if shape.calendar else contextlib.nullcontext()) as cal:
        gh.set_rate_limit("search", UNLIMITED)
        first = 0
        for meeting in range(shape.meetings):
            first = _fill_meeting(gh, shape, meeting, first)
            _meeting_file(config, shape, meeting)
        # The pause between writes (a second, as GitHub asks) is off while timing, like the search limit.
        env = {"GITHUB_API_URL": gh.url, "GITHUB_TOKEN": DEFAULT_TOKEN, "MEETING_BOT_WRITE_INTERVAL": "0"}
        if cal is not None:
            env.update(_calendar_env(cal, shape))
        yield World(gh, cal, config, env)


def bot_args(command: str, config: Path, *extra: str) -> list[str]:
    """`COMMAND --config CONFIG --now NOW EXTRA...`: NOW is inside the window of every meeting's next occurrence."""
    return [command, "--config", str(config), "--now", NOW, *extra]
