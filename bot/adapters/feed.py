"""The iCalendar feed adapter: a public feed's text over HTTP, bounded in time and size.

A feed is hostile input. Its address and every redirect must be http(s) and resolve only to public
addresses (loopback, private, link-local, metadata and other non-global ones are refused unless
`allow_private`, from MEETING_BOT_ALLOW_PRIVATE_FEEDS=1); the whole fetch has a deadline, each read
a timeout, the body a size limit; no error quotes what the server sent.
"""

from __future__ import annotations

import ipaddress
import socket
import threading
import time
from typing import Callable
from urllib.parse import urljoin, urlsplit, urlunsplit

import requests
import urllib3

from bot.adapters.retry import TRANSIENT, Failure, Kind, Policy
from bot.feeds import FeedError

DEFAULT_TIMEOUT = 10  # seconds, for connecting and for each read
DEFAULT_DEADLINE = 60  # seconds for the whole fetch, redirects included
MAX_REDIRECTS = 5
MAX_FEED_BYTES = 5 * 1024 * 1024
CHUNK_BYTES = 64 * 1024
WEBCAL_SCHEMES = {"webcal": "https", "webcals": "https"}
HTTP_SCHEMES = ("http", "https")
PRIVATE_PREFIX = "private-"  # Google Calendar's secret-address path segment
REDACTED = "***"
ENCODING = "utf-8-sig"  # RFC 5545's charset, tolerating a byte-order mark

MSG_BAD_SCHEME = "feed {url}: only http, https and webcal addresses are supported"
MSG_HTTP_STATUS = "feed {url}: HTTP {status}"
MSG_TIMEOUT = "feed {url}: no answer within {timeout} s"
MSG_UNREACHABLE = "feed {url}: cannot be fetched ({kind})"
MSG_TOO_LARGE = "feed {url}: larger than {limit} bytes"
MSG_NOT_PUBLIC = (
    "feed {url}: refused, {host} is not a public address (loopback, private, link-local or metadata); "
    "set MEETING_BOT_ALLOW_PRIVATE_FEEDS=1 for a local set-up"
)
MSG_NO_ADDRESS = "feed {url}: cannot resolve {host}"
MSG_REDIRECTS = "feed {url}: more than {limit} redirects"
MSG_BAD_REDIRECT = "feed {url}: redirected to an address that is not http or https"
MSG_DEADLINE = "feed {url}: not fetched within {deadline} s"


def http_url(url: str) -> str:
    """webcal://host/path -> https://host/path; other addresses unchanged."""
    parts = urlsplit(url.strip())
    scheme = WEBCAL_SCHEMES.get(parts.scheme.lower(), parts.scheme.lower())
    return urlunsplit(parts._replace(scheme=scheme))


def redact_url(url: str) -> str:
    """The address as it may appear in messages: no user info, query, fragment or private token."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    netloc = f"{host}:{parts.port}" if parts.port else host
    segments = [REDACTED if segment.startswith(PRIVATE_PREFIX) else segment for segment in parts.path.split("/")]
    return urlunsplit((parts.scheme, netloc, "/".join(segments), "", ""))


class _StatusError(FeedError):
    """The feed's server answered an error status."""

    def __init__(self, message: str, status: int) -> None:
        super().__init__(message)
        self.status = status


_BROKEN = (requests.ConnectionError, requests.Timeout, requests.exceptions.ChunkedEncodingError, urllib3.exceptions.HTTPError)


def _classify(exc: BaseException) -> Failure | None:
    """A broken connection (a reset mid-body included), a timeout, a 5xx or a 429 may pass: the read is repeated."""
    if isinstance(exc, _BROKEN):
        return TRANSIENT
    if isinstance(exc, _StatusError) and (exc.status >= 500 or exc.status == 429):
        return TRANSIENT
    return None


def fetch_feed(
    url: str,
    *,
    timeout: float = DEFAULT_TIMEOUT,
    session: requests.Session | None = None,
    allow_private: bool = False,
    deadline: float = DEFAULT_DEADLINE,
    resolve: Callable[[str], list[str]] | None = None,
    policy: Policy | None = None,
) -> str:
    """The feed's text; FeedError (one line, no secrets, nothing the server sent) on any problem.

    `resolve` gives a host's addresses (the system resolver by default). With a policy (the wiring
    gives the run's), transient failures are repeated, every attempt within the one deadline; without
    one, none is.
    """
    target = http_url(url)
    shown = redact_url(target)
    if urlsplit(target).scheme not in HTTP_SCHEMES:
        raise FeedError(MSG_BAD_SCHEME.format(url=shown))
    http = session if session is not None else requests.Session()
    policy = policy if policy is not None else Policy(0.0)
    fetch = _Fetch(http, shown, timeout, allow_private, deadline, resolve or _addresses)
    try:
        return _within(lambda: fetch.run(target, policy), deadline, shown).decode(ENCODING, errors="replace")
    finally:
        if session is None:
            http.close()


def _within(work, deadline: float, shown: str) -> bytes:
    """`work()` in a helper thread, given up at the deadline: a server that answers a byte at a time
    cannot hold the pass (the helper stops by itself at its next read, see `_Fetch`)."""
    outcome: dict[str, object] = {}

    def run() -> None:
        try:
            outcome["value"] = work()
        except BaseException as exc:  # handed over to the caller's thread
            outcome["error"] = exc

    helper = threading.Thread(target=run, name="feed-fetch", daemon=True)
    helper.start()
    helper.join(deadline)
    if helper.is_alive():
        raise FeedError(MSG_DEADLINE.format(url=shown, deadline=deadline))
    error, value = outcome.get("error"), outcome.get("value")
    if isinstance(error, BaseException):
        raise error
    assert isinstance(value, bytes)
    return value


class _Fetch:
    """One fetch: each hop's addresses checked, redirects followed by hand, the body read against the clock."""

    def __init__(self, http, shown: str, timeout: float, allow_private: bool, deadline: float, resolve) -> None:
        self.http, self.shown, self.timeout, self.resolve = http, shown, timeout, resolve
        self.allow_private, self.deadline = allow_private, deadline
        self.stop_at = time.monotonic() + deadline

    def run(self, target: str, policy: Policy) -> bytes:
        """Every attempt of the policy shares the one deadline set when the fetch began."""
        try:
            return policy.call(lambda: self._follow(target), _classify, Kind.READ)
        except (requests.Timeout, urllib3.exceptions.TimeoutError):
            raise FeedError(MSG_TIMEOUT.format(url=self.shown, timeout=self.timeout)) from None
        except _BROKEN as error:
            raise FeedError(MSG_UNREACHABLE.format(url=self.shown, kind=type(error).__name__)) from None

    def _follow(self, target: str) -> bytes:
        for _ in range(MAX_REDIRECTS + 1):
            self._check(target)
            with self.http.get(target, timeout=self._left(), stream=True, allow_redirects=False) as response:
                if response.is_redirect:
                    target = urljoin(target, response.headers["location"])
                    if urlsplit(target).scheme not in HTTP_SCHEMES:
                        raise FeedError(MSG_BAD_REDIRECT.format(url=self.shown))
                    continue
                if response.status_code >= 400:
                    status = response.status_code
                    raise _StatusError(MSG_HTTP_STATUS.format(url=self.shown, status=status), status)
                return self._read(response)
        raise FeedError(MSG_REDIRECTS.format(url=self.shown, limit=MAX_REDIRECTS))

    def _left(self) -> float:
        left = self.stop_at - time.monotonic()
        if left <= 0:
            raise FeedError(MSG_DEADLINE.format(url=self.shown, deadline=self.deadline))
        return min(self.timeout, left)

    def _check(self, target: str) -> None:
        """Every address the host resolves to must be public (unless private feeds are allowed)."""
        if self.allow_private:
            return
        host = urlsplit(target).hostname or ""
        try:
            found = self.resolve(host)
        except (OSError, UnicodeError):
            raise FeedError(MSG_NO_ADDRESS.format(url=self.shown, host=host)) from None
        if not found or not all(_public(address) for address in found):
            raise FeedError(MSG_NOT_PUBLIC.format(url=self.shown, host=host))

    def _read(self, response: requests.Response) -> bytes:
        body = bytearray()
        while True:
            self._left()  # the deadline, between reads; each read waits at most the time left
            chunk = response.raw.read1(CHUNK_BYTES, decode_content=True)
            if not chunk:
                return bytes(body)
            body += chunk
            if len(body) > MAX_FEED_BYTES:
                raise FeedError(MSG_TOO_LARGE.format(url=self.shown, limit=MAX_FEED_BYTES))


def _addresses(host: str) -> list[str]:
    """Every address the system resolver gives for `host`."""
    return [str(info[4][0]) for info in socket.getaddrinfo(host, None, type=socket.SOCK_STREAM)]


def _public(address: str) -> bool:
    """A globally routable unicast address (an IPv4-mapped IPv6 address is judged as IPv4)."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast
