"""Benchmarks of meeting-bot: API economy, speed and memory, against the local test doubles."""
