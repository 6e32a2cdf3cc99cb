"""Shared base for stateful HTTP doubles served on 127.0.0.1.

A double is a subclass of :class:`HTTPDouble` that implements
:meth:`HTTPDouble.handle`: it receives a parsed :class:`Request` and returns a
:class:`Response`.  The base takes care of the rest:

* a :class:`~http.server.ThreadingHTTPServer` on ``127.0.0.1``, port 0 (the OS
  picks one), served from a daemon thread: :meth:`start`, :meth:`stop`,
  :attr:`url`, or ``with double: ...``;
* one re-entrant lock, :attr:`lock`, held while ``handle`` runs, so handlers
  and test-side state helpers never interleave (take it in helpers too);
* a request log, :attr:`requests`, of :class:`Exchange` entries (method, path,
  query, every query value, request body, form and headers, the API method
  the double recognised, status, response body and headers), with
  :meth:`count`, :meth:`matching`, :meth:`writes` and :meth:`reset_log`;
* fault injection, matched by method and path regex, consumed in FIFO order:

  - :meth:`inject` answers with a given status/body/headers instead of the
    handler; with ``apply=True`` the handler runs first (its effect on the
    state is kept) and only its answer is replaced: an *ambiguous write*;
  - :meth:`drop` closes the connection without any answer (``apply`` too);
  - :meth:`reset_connection` aborts it with a TCP RST (status :data:`RESET`);
  - :meth:`slow` lets the request through normally but answers late;
  - every fault takes ``delay=`` seconds to wait before answering and
    ``times=`` (``None`` = until :meth:`clear_faults`);
* :meth:`stop` closes kept-alive connections and cuts pending delays short.

Subclasses may override :meth:`inspect` (sees every request, faulted or
not, before it is answered: e.g. to check it against the API's description
or to set :attr:`Request.api_method`), :meth:`error_body` (the body of an
injected error when none is given) and :meth:`finish_response` (called on
every answer, injected or not, to add the headers every answer of that
service carries).
"""

from __future__ import annotations

import contextlib
import http.client
import json
import re
import socket
import struct
import sys
import threading
import traceback
import urllib.parse
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

JSON_TYPE = "application/json; charset=utf-8"
FORM_TYPE = "application/x-www-form-urlencoded"
WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
RESET = "reset"  # the status of a fault that aborts the connection with a TCP RST
RESET_MID_BODY = "reset-mid-body"  # the real answer's headers and half its body, then a TCP RST


@dataclass(frozen=True)
class Raw:
    """A body sent as it is, not as JSON: an HTML error page of a proxy, say."""

    content: bytes
    content_type: str


@dataclass
class Request:
    """One parsed HTTP request, as handlers see it.

    ``path`` is the URL path without the query string, percent-decoded;
    ``raw_path`` is the path as sent.  ``query`` keeps the last value of each
    parameter, ``params`` every value in order (for repeated parameters).
    ``body`` is the decoded JSON body, or the text when it is not JSON (then
    ``json_error`` says why), or ``None`` when empty; ``form`` holds the
    fields of an ``application/x-www-form-urlencoded`` body (last value of
    each).  Header names are lower-case.  ``context`` lets a subclass keep
    what it worked out about the request (e.g. who sent it) between
    :meth:`HTTPDouble.inspect`, :meth:`HTTPDouble.handle` and
    :meth:`HTTPDouble.finish_response`; ``api_method``, if the subclass sets
    it, names the API operation the request was recognised as and goes into
    the log.
    """

    method: str
    path: str
    raw_path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: Any
    target: str  # the request target as sent: raw path plus query
    context: dict[str, Any] = field(default_factory=dict)  # scratch space for the double
    params: dict[str, list[str]] = field(default_factory=dict)
    form: dict[str, str] | None = None
    json_error: str | None = None
    api_method: str | None = None
    read_only: bool = False  # a POST that only reads (a GraphQL query), set by the subclass's inspect


@dataclass
class Response:
    """What a handler answers: a status, a JSON-able body (or ``None``) and headers."""

    status: int
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class Exchange:
    """One entry of the request log: the request and the answer it got.

    ``status`` is ``None`` when the connection was dropped or reset without
    answer; ``fault`` tells whether an injected fault decided the answer.
    ``params``, ``form`` and ``api_method`` are those of the :class:`Request`.
    """

    method: str
    path: str
    query: dict[str, str]
    body: Any
    headers: dict[str, str]
    status: int | None
    response: Any
    response_headers: dict[str, str]
    fault: bool = False
    params: dict[str, list[str]] = field(default_factory=dict)
    form: dict[str, str] | None = None
    api_method: str | None = None
    read_only: bool = False

    @property
    def is_write(self) -> bool:
        """True for POST, PUT, PATCH and DELETE, unless the double marked the request as only reading."""
        return self.method in WRITE_METHODS and not self.read_only


@dataclass
class Fault:
    """A queued fault; see :meth:`HTTPDouble.inject`."""

    method: str
    pattern: re.Pattern[str]
    status: int | str | None  # an HTTP status, None (drop) or RESET
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    apply: bool = False
    delay: float = 0.0
    times: int | None = 1
    passthrough: bool = False

    def matches(self, method: str, path: str) -> bool:
        """Whether this fault applies to a request."""
        return self.method in ("*", method) and self.pattern.search(path) is not None


class _Handler(BaseHTTPRequestHandler):
    """Turns each HTTP request into a call of :meth:`HTTPDouble._serve`."""

    protocol_version = "HTTP/1.1"  # keep-alive, as clients pool connections
    # TCP_NODELAY: headers and body go out in separate writes; with Nagle's
    # algorithm (and the client's delayed ACK) each answer would take ~40 ms.
    disable_nagle_algorithm = True
    server: _Server

    def finish(self) -> None:
        """Flush and close the streams; the client may be gone already."""
        with contextlib.suppress(OSError):
            super().finish()

    def do_GET(self) -> None:  # noqa: N802 (the stdlib's naming)
        """Serve any method: they all go through the double."""
        self.server.double._serve(self)

    do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_GET

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        """Keep test output quiet: the double has its own log."""


class _Server(ThreadingHTTPServer):
    """The stdlib threading server, knowing its double and open connections."""

    daemon_threads = True
    double: HTTPDouble

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self._open: set[socket.socket] = set()
        self._open_lock = threading.Lock()

    def process_request(self, request: Any, client_address: Any) -> None:
        """Note the accepted connection (before its thread starts), then serve it."""
        with self._open_lock:
            self._open.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request: Any) -> None:
        """Forget a connection once its thread is done with it."""
        with self._open_lock:
            self._open.discard(request)
        super().shutdown_request(request)

    def close_connections(self) -> None:
        """Shut down every kept-alive client connection, so its thread ends."""
        with self._open_lock:
            for connection in list(self._open):
                with contextlib.suppress(OSError):
                    connection.shutdown(socket.SHUT_RDWR)

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that went away (or a reset) is no error worth printing."""
        if not isinstance(sys.exc_info()[1], OSError):
            super().handle_error(request, client_address)


class HTTPDouble:
    """Base of the HTTP doubles; subclasses implement :meth:`handle`."""

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self._log: list[Exchange] = []
        self._faults: list[Fault] = []
        self._stopping = threading.Event()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    # ----------------------------------------------------------- lifecycle
    def start(self) -> HTTPDouble:
        """Bind 127.0.0.1 on a free port and serve from a daemon thread."""
        server = _Server(("127.0.0.1", 0), _Handler)
        server.double = self
        self._server = server
        self._stopping.clear()
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.02}, name=type(self).__name__, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving, close open connections and the socket; delays are cut short."""
        self._stopping.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.close_connections()
            self._server.server_close()
            if self._thread is not None:
                self._thread.join(timeout=5)
            self._server = None

    def __enter__(self) -> HTTPDouble:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def origin(self) -> str:
        """``http://127.0.0.1:PORT``, without any path."""
        assert self._server is not None, "the double is not started"
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    @property
    def url(self) -> str:
        """Base URL clients are given; subclasses may add a path prefix."""
        return self.origin

    # ----------------------------------------------------------- subclass API
    def inspect(self, request: Request) -> None:
        """Hook that sees every request, faulted or not, before it is answered (lock held).

        It may fill :attr:`Request.api_method` and :attr:`Request.context`
        for :meth:`handle` and the log, or note what does not fit the API.
        """

    def handle(self, request: Request) -> Response:
        """Answer one request (called with :attr:`lock` held)."""
        raise NotImplementedError

    def error_body(self, status: int) -> Any:
        """Body of an injected error answer when ``inject`` was given none."""
        return {"message": _phrase(status)}

    def finish_response(self, request: Request, response: Response) -> None:
        """Hook called on every answer before it is sent (lock held)."""

    # ----------------------------------------------------------- faults
    def inject(
        self,
        method: str,
        path_regex: str,
        status: int | str | None,
        *,
        times: int | None = 1,
        body: Any = None,
        headers: dict[str, str] | None = None,
        apply: bool = False,
        delay: float = 0.0,
    ) -> Fault:
        """Answer the next ``times`` requests matching with ``status``.

        ``method`` is an HTTP method or ``"*"``; ``path_regex`` is searched
        (``re.search``) in the request path, query excluded.  ``body``
        defaults to :meth:`error_body`; ``headers`` are added to the answer.
        ``apply=True`` runs the real handler first (the state changes) and
        then answers with the fault.  ``delay`` seconds pass before the
        answer.  ``status=None`` closes the connection without answering;
        ``status=RESET`` aborts it with a TCP RST (the client sees a
        connection reset).  ``times=None`` keeps the fault until
        :meth:`clear_faults`.
        """
        fault = Fault(
            method=method.upper(),
            pattern=re.compile(path_regex),
            status=status,
            body=body,
            headers=dict(headers or {}),
            apply=apply,
            delay=delay,
            times=times,
        )
        with self.lock:
            self._faults.append(fault)
        return fault

    def drop(
        self, method: str, path_regex: str, *, times: int | None = 1, apply: bool = False, delay: float = 0.0
    ) -> Fault:
        """Close the connection of matching requests without answering."""
        return self.inject(method, path_regex, None, times=times, apply=apply, delay=delay)

    def reset_connection(
        self, method: str, path_regex: str, *, times: int | None = 1, apply: bool = False, delay: float = 0.0
    ) -> Fault:
        """Abort the connection of matching requests with a TCP RST instead of an answer."""
        return self.inject(method, path_regex, RESET, times=times, apply=apply, delay=delay)

    def reset_mid_body(self, method: str, path_regex: str, *, times: int | None = 1) -> Fault:
        """Carry the request out, send the answer's headers and half its body, then abort with a TCP RST.

        The client sees the connection reset while reading the body of an answer to a request that
        was carried out (RFC 9112 section 6.3: a message shorter than its Content-Length is incomplete).
        """
        return self.inject(method, path_regex, RESET_MID_BODY, times=times, apply=True)

    def slow(self, method: str, path_regex: str, delay: float, *, times: int | None = 1) -> Fault:
        """Serve matching requests normally, but only after ``delay`` seconds."""
        fault = self.inject(method, path_regex, None, times=times, apply=True, delay=delay)
        fault.passthrough = True
        return fault

    def clear_faults(self) -> None:
        """Forget every queued fault."""
        with self.lock:
            self._faults.clear()

    def _take_fault(self, method: str, path: str) -> Fault | None:
        """Pop one use of the first fault matching the request (lock held)."""
        for fault in self._faults:
            if fault.matches(method, path):
                if fault.times is not None:
                    fault.times -= 1
                    if fault.times <= 0:
                        self._faults.remove(fault)
                return fault
        return None

    # ----------------------------------------------------------- request log
    @property
    def requests(self) -> list[Exchange]:
        """A copy of the request log, oldest first."""
        with self.lock:
            return list(self._log)

    def matching(self, method: str | None = None, path_regex: str | None = None) -> list[Exchange]:
        """Log entries with that method (any if ``None``) whose path matches."""
        pattern = re.compile(path_regex) if path_regex else None
        return [
            e
            for e in self.requests
            if (method is None or e.method == method.upper()) and (pattern is None or pattern.search(e.path))
        ]

    def count(self, method: str | None = None, path_regex: str | None = None) -> int:
        """How many logged requests :meth:`matching` selects."""
        return len(self.matching(method, path_regex))

    def writes(self, path_regex: str | None = None) -> list[Exchange]:
        """Logged POST/PUT/PATCH/DELETE requests, optionally filtered by path."""
        return [e for e in self.matching(None, path_regex) if e.is_write]

    def reset_log(self) -> None:
        """Empty the request log."""
        with self.lock:
            self._log.clear()

    # ----------------------------------------------------------- serving
    def _serve(self, handler: _Handler) -> None:
        """Parse, inspect, dispatch (through faults), log and answer one request."""
        request = _parse(handler)
        with self.lock:
            self.inspect(request)
            fault = self._take_fault(request.method, request.path)
            response = self._respond(request, fault)
            if response is not None:
                self.finish_response(request, response)
            self._log.append(_exchange(request, response, fault))
        if fault is not None and fault.delay:
            self._stopping.wait(fault.delay)
        if response is not None and fault is not None and fault.status == RESET_MID_BODY:
            _write(handler, request, response, cut=True)
            _reset(handler)
        elif response is not None:
            _write(handler, request, response)
        elif fault is not None and fault.status == RESET:
            _reset(handler)
        else:
            _drop(handler)

    def _respond(self, request: Request, fault: Fault | None) -> Response | None:
        """The answer to send, or ``None`` to drop or reset the connection (lock held)."""
        if fault is None or fault.apply:
            response = self._handle_safely(request)
            if fault is None or fault.passthrough or fault.status == RESET_MID_BODY:
                return response
        if fault.status is None or fault.status == RESET:
            return None
        body = self.error_body(fault.status) if fault.body is None else fault.body
        return Response(fault.status, body, dict(fault.headers))

    def _handle_safely(self, request: Request) -> Response:
        """Run :meth:`handle`; a bug in it becomes a 500 that names it."""
        try:
            return self.handle(request)
        except Exception as exc:  # the test sees the 500, and the traceback in the log
            trace = traceback.format_exc().splitlines()
            return Response(500, {"message": f"double crashed: {type(exc).__name__}: {exc}", "trace": trace})


def _phrase(status: int) -> str:
    """The standard reason phrase of a status code."""
    return http.client.responses.get(status, "Error")


def _parse(handler: _Handler) -> Request:
    """Build a :class:`Request` from what the stdlib handler read."""
    split = urllib.parse.urlsplit(handler.path)
    length = int(handler.headers.get("Content-Length") or 0)
    raw = handler.rfile.read(length) if length else b""
    params = urllib.parse.parse_qs(split.query, keep_blank_values=True)
    headers = {k.lower(): v for k, v in handler.headers.items()}
    body, json_error = _decode_body(raw)
    form = None
    if raw and FORM_TYPE in headers.get("content-type", ""):
        text = raw.decode("utf-8", errors="replace")
        form = dict(urllib.parse.parse_qsl(text, keep_blank_values=True))
    return Request(
        method=handler.command,
        path=urllib.parse.unquote(split.path),
        raw_path=split.path,
        query={name: values[-1] for name, values in params.items()},
        headers=headers,
        body=body,
        target=handler.path,
        params=params,
        form=form,
        json_error=json_error,
    )


def _decode_body(raw: bytes) -> tuple[Any, str | None]:
    """JSON-decode a request body; fall back to text (and why); ``None`` when empty."""
    if not raw:
        return None, None
    text = raw.decode("utf-8", errors="replace")
    try:
        return json.loads(text), None
    except ValueError as error:
        return text, str(error)


def _exchange(request: Request, response: Response | None, fault: Fault | None) -> Exchange:
    """The log entry of one request and its answer."""
    return Exchange(
        method=request.method,
        path=request.path,
        query=dict(request.query),
        body=request.body,
        headers=dict(request.headers),
        status=None if response is None else response.status,
        response=None if response is None else response.body,
        response_headers={} if response is None else dict(response.headers),
        fault=fault is not None and not fault.passthrough,
        params={name: list(values) for name, values in request.params.items()},
        form=None if request.form is None else dict(request.form),
        api_method=request.api_method,
        read_only=request.read_only,
    )


def _write(handler: _Handler, request: Request, response: Response, *, cut: bool = False) -> None:
    """Send a response; JSON bodies get Content-Type and Content-Length, a :class:`Raw` body its own type.

    ``cut`` sends only the first half of the body (Content-Length still announcing all of it).
    """
    if isinstance(response.body, Raw):
        payload, content_type = response.body.content, response.body.content_type
    else:
        payload = b"" if response.body is None else json.dumps(response.body).encode()
        content_type = JSON_TYPE
    try:
        handler.send_response(response.status)
        headers = dict(response.headers)
        if payload:
            headers.setdefault("Content-Type", content_type)
        headers["Content-Length"] = str(len(payload))
        for name, value in headers.items():
            handler.send_header(name, value)
        handler.end_headers()
        if request.method != "HEAD":
            handler.wfile.write(payload[: len(payload) // 2] if cut else payload)
        handler.wfile.flush()
    except OSError:  # the client went away (e.g. its own timeout)
        handler.close_connection = True


def _drop(handler: _Handler) -> None:
    """Close the connection (FIN) without a byte of answer."""
    handler.close_connection = True
    with contextlib.suppress(OSError):
        handler.connection.shutdown(socket.SHUT_RDWR)


def _reset(handler: _Handler) -> None:
    """Abort the connection with a TCP RST (SO_LINGER 0, then close) instead of an answer."""
    handler.close_connection = True
    connection = handler.connection
    with contextlib.suppress(OSError):
        connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        handler.rfile.close()
        connection.close()
