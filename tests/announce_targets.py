"""Real receivers for announcements on loopback: an SMTP server (aiosmtpd) and a JSON webhook server."""

from __future__ import annotations

import base64
import email
import email.policy
import json
import socket
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Iterator

import pytest

MAIL_USER = "announcer"
MAIL_PASSWORD = "s3cret-Mail-Pa55word"
HOOK_USER = "hook"
HOOK_PASSWORD = "s3cret-Hook-Pa55word"
MAIL_FROM = "bot@example.org"
MAIL_TO = "wg@example.org"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Mailbox:
    """What the SMTP server accepted: one parsed message per delivery."""

    port: int
    messages: list = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def url(self) -> str:
        return (f"mailto://{MAIL_USER}:{MAIL_PASSWORD}@127.0.0.1:{self.port}"
                f"?from={MAIL_FROM}&to={MAIL_TO}&mode=insecure")

    def subjects(self) -> list[str]:
        with self.lock:
            return [str(m["Subject"]) for m in self.messages]

    def parts(self, message, kind: str) -> str:
        part = message.get_body(preferencelist=(kind,))
        return part.get_content() if part is not None else ""


class _Handler:
    def __init__(self, box: Mailbox) -> None:
        self.box = box

    async def handle_DATA(self, server, session, envelope):
        message = email.message_from_bytes(envelope.original_content, policy=email.policy.default)
        with self.box.lock:
            self.box.messages.append(message)
        return "250 OK"


def _authenticator(server, session, envelope, mechanism, data):
    from aiosmtpd.smtp import AuthResult, LoginPassword

    ok = isinstance(data, LoginPassword) and data.login.decode() == MAIL_USER and data.password.decode() == MAIL_PASSWORD
    return AuthResult(success=ok)


@pytest.fixture
def mailbox() -> Iterator[Mailbox]:
    from aiosmtpd.controller import Controller

    box = Mailbox(free_port())
    controller = Controller(_Handler(box), hostname="127.0.0.1", port=box.port,
                            authenticator=_authenticator, auth_require_tls=False)
    controller.start()
    try:
        yield box
    finally:
        controller.stop()


@dataclass
class Webhook:
    """A JSON webhook: records each authenticated POST; answers 500 while `failing` is set."""

    port: int
    posts: list = field(default_factory=list)
    failing: bool = False
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def url(self) -> str:
        return f"json://{HOOK_USER}:{HOOK_PASSWORD}@127.0.0.1:{self.port}/announce"

    def titles(self) -> list[str]:
        with self.lock:
            return [p["title"] for p in self.posts]


def _hook_handler(hook: Webhook):
    expected = "Basic " + base64.b64encode(f"{HOOK_USER}:{HOOK_PASSWORD}".encode()).decode()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802 - http.server's name
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            if self.headers.get("Authorization") != expected:
                return self._answer(401)
            if hook.failing:
                return self._answer(500)
            with hook.lock:
                hook.posts.append(json.loads(body))
            return self._answer(200)

        def _answer(self, status: int) -> None:
            self.send_response(status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args) -> None:
            pass

    return Handler


@pytest.fixture
def webhook() -> Iterator[Webhook]:
    hook = Webhook(0)
    server = ThreadingHTTPServer(("127.0.0.1", 0), _hook_handler(hook))
    hook.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield hook
    finally:
        server.shutdown()
        server.server_close()
