"""The iCalendar feed adapter: a public feed's text over HTTP, bounded in time and size."""

from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit

import requests

from bot.feeds import FeedError

DEFAULT_TIMEOUT = 10  # seconds, for connecting and for each read
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


def fetch_feed(url: str, *, timeout: float = DEFAULT_TIMEOUT, session: requests.Session | None = None) -> str:
    """The feed's text; FeedError (one line, no secrets) on any network, HTTP or size problem."""
    target = http_url(url)
    shown = redact_url(target)
    if urlsplit(target).scheme not in HTTP_SCHEMES:
        raise FeedError(MSG_BAD_SCHEME.format(url=shown))
    http = session if session is not None else requests.Session()
    try:
        return _get(http, target, shown, timeout).decode(ENCODING, errors="replace")
    except requests.Timeout:
        raise FeedError(MSG_TIMEOUT.format(url=shown, timeout=timeout)) from None
    except requests.RequestException as error:
        raise FeedError(MSG_UNREACHABLE.format(url=shown, kind=type(error).__name__)) from None
    finally:
        if session is None:
            http.close()


def _get(http: requests.Session, target: str, shown: str, timeout: float) -> bytes:
    with http.get(target, timeout=timeout, stream=True) as response:
        if response.status_code >= 400:
            raise FeedError(MSG_HTTP_STATUS.format(url=shown, status=response.status_code))
        return _read_capped(response, shown)


def _read_capped(response: requests.Response, shown: str) -> bytes:
    body = bytearray()
    for chunk in response.iter_content(CHUNK_BYTES):
        body += chunk
        if len(body) > MAX_FEED_BYTES:
            raise FeedError(MSG_TOO_LARGE.format(url=shown, limit=MAX_FEED_BYTES))
    return bytes(body)
