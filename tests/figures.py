"""Counters the fault-injection suite fills and the session summary prints."""

FAULT_FIGURES = {"cases": 0, "duplicates": 0, "lost": 0}
