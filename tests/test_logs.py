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


DERIVED = {
    "installation token": '{"token": "ghs_' + "A1b2C3d4E5" * 4 + '", "expires_at": "2024-03-07T13:00:00Z"}',
    "OAuth token": "gho_" + "q" * 36,
    "user-to-server token": "ghu_" + "w" * 36,
    "refresh token": "ghr_" + "e" * 36,
    "fine-grained token": "github_pat_11ABCDEFG0" + "x" * 60,
    "JWT": "eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCJ9.eyJpc3MiOiI0MjQyIn0.c2lnbmF0dXJlLXBhcnQ",
    "bearer header": "{'Authorization': 'Bearer opaque-credential-1234'}",
    "Google access token": '{"access_token": "ya29.a0AfB_byC-secret-part", "token_type": "Bearer"}',
    "form field": "grant_type=jwt&assertion=opaque.assertion.value",
}


def test_derived_credentials_are_masked_by_their_form_at_every_level_in_text_and_json():
    for fmt in ("text", "json"):
        stream = io.StringIO()
        logs.setup(fmt, debug=True, secrets=(), stream=stream)
        library = logging.getLogger(logs.LIBRARY_LOGGER)
        for what, text in DERIVED.items():
            # A library speaks from WARNING only, also under --debug (its debug dumps stay off): mask there.
            library.warning("GET /x {} None ==> 200 {} %s", text)
            logging.getLogger(logs.LOGGER).error("%s: %s", what, text)
        output = stream.getvalue()
        for secret in ("A1b2C3d4E5", "q" * 36, "w" * 36, "e" * 36, "x" * 60, "c2lnbmF0dXJl", "opaque-credential",
                       "byC-secret", "opaque.assertion"):
            assert secret not in output, (fmt, secret)
        assert output.count(logs.MASK) >= 2 * len(DERIVED)


def test_ordinary_words_next_to_credential_names_are_kept():
    assert logs.redact("the token expired; token refreshed", ()) == "the token expired; token refreshed"


def test_json_logs_carry_the_bots_fields_and_mask_secrets_in_every_one_of_them():
    logger, stream = _logger("json")
    logger.info("created %s", "issue", extra={
        "meeting": "wg", "occurrence": "wg/2024-03-11", "action": "create_issue",
        "url": f"https://example.org/?token={TOKEN}", "requests": 4, "lines": [f"said {TOKEN}"],
    })
    (entry,) = [json.loads(line) for line in stream.getvalue().splitlines()]
    assert entry["meeting"] == "wg" and entry["occurrence"] == "wg/2024-03-11" and entry["requests"] == 4
    assert entry["url"] == f"https://example.org/?token={logs.MASK}" and entry["lines"] == [f"said {logs.MASK}"]
    assert TOKEN not in stream.getvalue() and "MIIEvQIBADAN" not in stream.getvalue()


def test_json_tracebacks_are_masked_too():
    logger, stream = _logger("json")
    try:
        raise RuntimeError(f"key {PEM}")
    except RuntimeError:
        logger.exception("failed")
    (entry,) = [json.loads(line) for line in stream.getvalue().splitlines()]
    assert "Traceback" in entry["traceback"] and "MIIEvQIBADAN" not in entry["traceback"]


def test_text_logs_leave_out_outcomes_which_are_the_summary_on_stdout():
    logger, stream = _logger("text")
    logging.getLogger(logs.OUTCOME_LOGGER).info("wg: created issue #1")
    logger.warning("wg: a warning")
    assert "created issue" not in stream.getvalue() and "WARNING wg: a warning" in stream.getvalue()


def test_libraries_stay_at_warning_even_under_debug():
    stream = io.StringIO()
    logs.setup("text", debug=True, stream=stream)
    logs.adopt(logs.LIBRARY_LOGGER)
    logging.getLogger(logs.LIBRARY_LOGGER).debug("GET /repos/x {'node_id': ...} body dump")
    logging.getLogger(logs.LOGGER).debug("the bot's own reasoning")
    assert "body dump" not in stream.getvalue() and "own reasoning" in stream.getvalue()


def test_request_lines_are_counted_and_logged_once_and_urllib3_warnings_still_pass():
    from bot import http_log

    stream = io.StringIO()
    logs.setup("text", debug=True, stream=stream)
    logs.adopt(None)
    http_log.install()
    pool = logging.getLogger(http_log.URLLIB3_LOGGER)
    before = http_log.Counter.total
    pool.debug('%s://%s:%s "%s %s %s" %s %s', "https", "api.github.com", 443, "GET", "/repos/a/b?page=2",
               "HTTP/1.1", 200, 17)
    pool.debug("Starting new HTTPS connection (%d): %s:%s", 1, "api.github.com", 443)
    pool.warning("Retrying (%s) after connection broken", "Retry(total=2)")
    lines = stream.getvalue().splitlines()
    assert http_log.Counter.total == before + 1
    assert [line.split(" ", 3)[3] for line in lines] == [
        http_log.REQUEST_LINE % ("GET", "/repos/a/b", 200), "Retrying (Retry(total=2)) after connection broken"]
