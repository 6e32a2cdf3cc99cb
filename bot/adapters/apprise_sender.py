"""The Announcer over Apprise: one URL per target from the environment, silent logs, one-line errors."""

from __future__ import annotations

import logging
from typing import Mapping

from bot.ports import ServiceError
from bot.settings import ANNOUNCE_PREFIX, Secret

APPRISE_LOGGER = "apprise"
NO_URL = "announce target {target}: {variable} is not set (the target's Apprise URL)"
BAD_URL = "announce target {target}: {variable} is not a URL Apprise can use"
SEND_FAILED = "announce target {target}: sending the {title!r} message failed; the next run tries again"


class SendFailed(ServiceError):
    """A target did not take the message."""


def silence() -> None:
    """Apprise logs the services' URLs and answers: none of it may reach the output, at any level."""
    logger = logging.getLogger(APPRISE_LOGGER)
    logger.handlers[:] = [logging.NullHandler()]
    logger.setLevel(logging.CRITICAL + 1)
    logger.propagate = False


class AppriseAnnouncer:
    """Sends Markdown to each target's Apprise URL; the URL stays inside this object."""

    def __init__(self, urls: Mapping[str, Secret]) -> None:
        self._urls = dict(urls)

    @staticmethod
    def variable(target: str) -> str:
        return ANNOUNCE_PREFIX + target.upper()

    def _service(self, target: str):
        import apprise

        silence()  # again after the import, in case the library set up its logger then
        url = self._urls.get(target.upper())
        if url is None:
            raise ServiceError(NO_URL.format(target=target, variable=self.variable(target)))
        service = apprise.Apprise()
        try:
            added = service.add(url.reveal())
        except Exception:  # an unusable URL in any form: say which variable, never the URL
            added = False
        if not added:
            raise ServiceError(BAD_URL.format(target=target, variable=self.variable(target)))
        return service

    def check(self, target: str) -> None:
        self._service(target)

    def send(self, target: str, title: str, body: str) -> None:
        import apprise

        service = self._service(target)
        try:
            ok = service.notify(body=body, title=title, body_format=apprise.NotifyFormat.MARKDOWN)
        except Exception:  # a plugin's own failure: the message cannot name the URL, so no details
            ok = False
        if not ok:
            raise SendFailed(SEND_FAILED.format(target=target, title=title))
