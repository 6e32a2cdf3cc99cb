"""Logs: text and JSON lines on stderr, with secrets masked, tracebacks included."""

from __future__ import annotations

import io
import json
import logging

from bot import logs

TOKEN = "ghp_" + "Z9y8X7w6V5u4T3s2R1q0" * 2
PEM = "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7\n-----END PRIVATE KEY-----\n"


def _logger(fmt: str) -> tuple[logging.Logger, io.StringIO]:
    stream = io.StringIO()
    return logs.setup(fmt, debug=False, secrets=(TOKEN, PEM), stream=stream), stream


def test_redact_masks_whole_secrets_and_lines_of_keys():
    text = f"token {TOKEN} and key line MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7 end"
    redacted = logs.redact(text, (TOKEN, PEM))
    assert TOKEN not in redacted and "MIIEvQIBADAN" not in redacted and redacted.count(logs.MASK) == 2


def test_text_logs_mask_secrets_in_messages_and_tracebacks():
    logger, stream = _logger("text")
    try:
        raise RuntimeError(f"failed with {TOKEN}")
    except RuntimeError:
        logger.exception("request with Authorization: token %s", TOKEN)
    assert TOKEN not in stream.getvalue() and "Traceback" in stream.getvalue()


def test_json_logs_are_one_object_per_line():
    logger, stream = _logger("json")
    logger.info("created issue #%d", 60)
    logger.warning("secret %s", TOKEN)
    entries = [json.loads(line) for line in stream.getvalue().splitlines()]
    assert [e["message"] for e in entries] == ["created issue #60", f"secret {logs.MASK}"]
    assert [e["level"] for e in entries] == ["info", "warning"]


def test_a_library_that_adds_its_own_handler_is_brought_back_under_the_filter():
    logger, stream = _logger("json")
    library = logging.getLogger(logs.LIBRARY_LOGGER)
    library.addHandler(logging.StreamHandler(io.StringIO()))  # what `import github` does
    library.setLevel(logging.INFO)
    logs.adopt(logs.LIBRARY_LOGGER)
    library.info("retrying")  # below WARNING: silent
    library.warning("token %s", TOKEN)
    (entry,) = [json.loads(line) for line in stream.getvalue().splitlines()]
    assert entry["logger"] == logs.LIBRARY_LOGGER and entry["message"] == f"token {logs.MASK}"
    assert library.handlers == logger.handlers
