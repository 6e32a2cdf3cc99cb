"""The `meeting-bot` command run inside the test process, as a subprocess would run it, only faster."""

from __future__ import annotations

import contextlib
import io
import logging
import os
import subprocess
import sys
import warnings
from pathlib import Path
from typing import Iterator

from bot import cli, logs
from bot.adapters import github_identity, github_repos

LOGGERS = ("", logs.LOGGER, logs.LIBRARY_LOGGER)


@contextlib.contextmanager
def _environment(env: dict) -> Iterator[None]:
    """os.environ as the subprocess would see it (so `.env` loading works as it does there), then back."""
    saved = dict(os.environ)
    os.environ.clear()
    os.environ.update(env)
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


@contextlib.contextmanager
def _logging_kept() -> Iterator[None]:
    """The command sets up logging for its process; the test process gets its own set-up back."""
    saved = [(logging.getLogger(name), logging.getLogger(name).handlers[:], logging.getLogger(name).level,
              logging.getLogger(name).propagate) for name in LOGGERS]
    try:
        with warnings.catch_warnings():
            yield
    finally:
        for logger, handlers, level, propagate in saved:
            logger.handlers[:] = handlers
            logger.setLevel(level)
            logger.propagate = propagate


def run_main(args: list[str], cwd: Path, env: dict) -> subprocess.CompletedProcess:
    """`python -m bot ARGS` in `cwd` with `env`: its exit code, stdout and stderr. Like a new process,
    it starts knowing nothing of earlier runs (the bot's identity and repositories are read again)."""
    github_identity.forget()
    github_repos.forget()
    out, err = io.StringIO(), io.StringIO()
    with _environment(env), contextlib.chdir(cwd), _logging_kept(), \
            contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = cli.main(args)
        except SystemExit as stop:  # argparse: --help, or bad arguments
            code = stop.code if isinstance(stop.code, int) else 1
    return subprocess.CompletedProcess([sys.executable, "-m", "bot", *args], code, out.getvalue(), err.getvalue())
