"""The Apprise adapter: targets by name, URLs that never show, Apprise's own log kept silent."""

from __future__ import annotations

import logging

import pytest

from bot.adapters import apprise_sender
from bot.adapters.apprise_sender import BAD_URL, NO_URL, SEND_FAILED, AppriseAnnouncer, SendFailed
from bot.ports import ServiceError
from bot.settings import Secret
from tests.announce_targets import Webhook, webhook  # noqa: F401 (the fixture)

SECRET_URL = "json://user:Sup3r-Secret-Pass@127.0.0.1:9/hook"


def test_a_target_without_its_variable_is_named():
    with pytest.raises(ServiceError) as caught:
        AppriseAnnouncer({}).check("slack")
    assert str(caught.value) == NO_URL.format(target="slack", variable="MEETING_BOT_ANNOUNCE_SLACK")


def test_an_unusable_url_is_named_by_its_variable_only():
    with pytest.raises(ServiceError) as caught:
        AppriseAnnouncer({"CHAT": Secret("nosuchscheme://Sup3r-Secret-Pass@x")}).check("chat")
    assert str(caught.value) == BAD_URL.format(target="chat", variable="MEETING_BOT_ANNOUNCE_CHAT")


def test_a_failed_send_names_the_target_and_logs_nothing(caplog):
    caplog.set_level(logging.DEBUG)
    with pytest.raises(SendFailed) as caught:
        AppriseAnnouncer({"HOOK": Secret(SECRET_URL)}).send("hook", "T", "body")  # port 9: nothing listens
    assert str(caught.value) == SEND_FAILED.format(target="hook", title="T")
    assert "Sup3r-Secret-Pass" not in caplog.text and not logging.getLogger(apprise_sender.APPRISE_LOGGER).propagate


def test_markdown_reaches_a_json_webhook(webhook):
    AppriseAnnouncer({"HOOK": Secret(webhook.url)}).send("hook", "Title", "**bold** text")
    assert [(p["title"], p["message"]) for p in webhook.posts] == [("Title", "**bold** text")]
