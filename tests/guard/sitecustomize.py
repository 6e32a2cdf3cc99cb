"""Loaded by subprocesses that tests start (PYTHONPATH includes this folder): the loopback-only guard."""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import netguard  # noqa: E402

netguard.install()

if os.environ.get("COVERAGE_PROCESS_START"):  # measure the bot in subprocesses too, when asked
    try:
        import coverage

        coverage.process_startup()
    except ImportError:
        pass
