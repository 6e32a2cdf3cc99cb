"""Start-up: whole `meeting-bot --help` and `meeting-bot check` processes, and what they import."""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

from bench import measure

EXAMPLE_CONFIG = "config"  # the repository's example meeting, run from the repository root
# Libraries a command should only load when it needs them: the clients above all.
HEAVY = ("github", "googleapiclient", "google.auth", "google.oauth2", "httplib2", "requests", "urllib3",
         "jwt", "cryptography", "jinja2", "dateutil", "icalendar", "recurring_ical_events", "dotenv",
         "apprise")
CLIENTS = ("github", "googleapiclient")


@dataclass(frozen=True)
class Startup:
    name: str
    median: measure.Measured
    fastest: float
    slowest: float
    runs: int
    imported: tuple[str, ...]  # of HEAVY
    import_ms: float  # sum of the interpreter's own import times (-X importtime), one run
    ok: bool

    @property
    def loads_clients(self) -> bool:
        return any(name in self.imported for name in CLIENTS)


def command() -> list[str]:
    """The console script next to this interpreter, else `python -m bot`."""
    script = Path(sys.executable).with_name("meeting-bot")
    return [str(script)] if script.exists() else [sys.executable, "-m", "bot"]


def env() -> dict[str, str]:
    """As a user runs it: no loopback guard, no credentials; the project importable from the root."""
    return measure.clean_env(guard=False, PYTHONPATH=str(measure.ROOT))


def imports(argv: list[str]) -> tuple[tuple[str, ...], float]:
    """Which HEAVY modules `argv` imports, and the total import time, from PYTHONPROFILEIMPORTTIME."""
    done = measure.run(argv, {**env(), "PYTHONPROFILEIMPORTTIME": "1"}, measure.ROOT)
    names, total_us = set(), 0
    for line in done.stderr.splitlines():
        if not line.startswith("import time:") or "|" not in line or "self [us]" in line:
            continue
        self_us, _, name = line[len("import time:"):].split("|")
        total_us += int(self_us)
        names.add(name.strip())
    found = tuple(h for h in HEAVY if h in names)
    return found, total_us / 1000


def measure_startup(name: str, argv: list[str], runs: int) -> Startup:
    """The median of `runs` whole processes, after one uncounted run that warms the file cache."""
    measure.run(argv, env(), measure.ROOT)
    done = [measure.run(argv, env(), measure.ROOT) for _ in range(runs)]
    fastest, slowest = measure.spread(done)
    imported, import_ms = imports(argv)
    ok = all(d.returncode == 0 for d in done)
    return Startup(name, measure.median_of(done), fastest, slowest, runs, imported, import_ms, ok)


def all_startups(runs: int) -> list[Startup]:
    bot = command()
    return [
        measure_startup("python -c pass (the interpreter alone)", [sys.executable, "-c", "pass"], runs),
        measure_startup("meeting-bot --help", [*bot, "--help"], runs),
        measure_startup("meeting-bot check --config config", [*bot, "check", "--config", EXAMPLE_CONFIG], runs),
    ]
