"""What one pass is given: the request, the shared inputs of every meeting (`Pass`), and where a meeting reports."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Callable

from bot.ports import Services
from bot.preview import Preview
from bot.render import Renderer
from bot.report import Voice

Say = Callable[[str], None]


@dataclass(frozen=True)
class RunRequest:
    meeting_ids: tuple[str, ...] = ()
    date: dt.date | None = None
    force: bool = False
    dry_run: bool = False


@dataclass(frozen=True)
class Pass:
    """What every meeting of one pass shares: the outside world, the templates, the request, the clock, stdout
    (and `progress`, told each meeting's id as it starts: a line on a terminal)."""

    services: Services
    renderer: Renderer
    request: RunRequest
    clock: Callable[[], dt.datetime]
    out: Callable[[str], None]
    progress: Callable[[str], None] | None = None


@dataclass(frozen=True)
class Tell:
    """Where one meeting's run reports: outcome lines, warnings and the error (`say`), a dry run's plan (`preview`)."""

    say: Voice
    preview: Preview
