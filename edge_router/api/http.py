"""The HTTP server under the app: uvicorn with a header-read timeout.

uvicorn bounds idle kept-alive connections (``timeout_keep_alive``) but not the time a
client takes to send a request's line and headers: one header line every few seconds
held a connection (and its slot in the server) for as long as the client liked.
:class:`HeaderTimeoutProtocol` closes such connections after ``server.header_timeout_s``,
counted from the connection's start for its first request and from the first byte of
each later request on a kept-alive connection (the wait between requests is uvicorn's
keep-alive timeout). Once the headers are in, the body has ``server.body_timeout_s``
(enforced by the handlers).

Neither uvicorn nor httptools bounds the size of a request's head: a 1 MiB header or
2,000 header lines were read and handed to the app. The protocol refuses a request
target longer than ``server.max_header_bytes`` with 414, and headers past
``server.max_header_bytes`` in total or ``server.max_headers`` lines with 431 (a JSON
error in the caller's shape), then closes the connection (after up to ``LINGER_S`` of
reading and dropping what the client still sends, so that it reads the answer rather
than a reset). Malformed heads keep uvicorn's own 400.

Example::

    server = uvicorn.Server(server_config(create_app(settings), settings.server))
    server.run()
"""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any

import uvicorn
from uvicorn.protocols.http.httptools_impl import STATUS_LINE, HttpToolsProtocol

from edge_router.config import ServerSettings
from edge_router.errors import RequestTimeout
from edge_router.wire.anthropic import anthropic_error

log = logging.getLogger("edge_router.http")

KEEP_ALIVE_S = 5
"""How long a kept-alive connection may sit idle between requests (uvicorn closes it)."""

LINGER_S = 2.0
"""After refusing a request head, how long to go on reading (and dropping) what the
client is still sending before closing: closing on unread data sends a TCP reset, which
can destroy the refusal before the client reads it (nginx's "lingering close")."""


def _timeout_response() -> bytes:
    # The same JSON the handlers send when a body stalls (408 request_timeout).
    body = RequestTimeout("The request headers did not arrive in time.").body()
    return json.dumps(body).encode("ascii")


_TOO_LARGE = {
    414: ("uri_too_long", "The request target is longer than the {limit}-byte limit."),
    431: ("headers_too_large", "The request headers exceed the {limit} limit."),
}


class _HeadTooLarge(Exception):
    """Raised from a parser callback to stop reading a request head that is too large."""


def _too_large_response(status: int, limit: str, url: bytes) -> bytes:
    code, text = _TOO_LARGE[status]
    message = text.format(limit=limit)
    if url.startswith(b"/v1/messages"):
        body: dict[str, Any] = anthropic_error(status, "invalid_request_error", message)
    else:
        err = {"message": message, "type": "invalid_request_error", "param": None, "code": code}
        body = {"error": err}
    return json.dumps(body).encode("ascii")


class HeaderTimeoutProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol, closing connections whose request headers are not
    complete within :attr:`header_timeout_s` seconds. Use :func:`header_timeout_protocol`
    to get a class with another timeout (uvicorn takes a class, not an instance)."""

    header_timeout_s: float = 10.0
    max_header_bytes: int = 32_768
    max_headers: int = 100

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._header_timer: asyncio.TimerHandle | None = None
        self._in_headers = False
        self._url_bytes = 0
        self._header_bytes = 0
        self._header_count = 0
        self._refusal: tuple[int, str] | None = None
        self._linger_timer: asyncio.TimerHandle | None = None

    def _arm_header_timer(self) -> None:
        if self._header_timer is None:
            self._header_timer = self.loop.call_later(self.header_timeout_s, self._header_timeout)

    def _disarm_header_timer(self) -> None:
        if self._header_timer is not None:
            self._header_timer.cancel()
            self._header_timer = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        # A connection that never sends a byte is bounded too.
        self._arm_header_timer()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm_header_timer()
        if self._linger_timer is not None:
            self._linger_timer.cancel()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        if self._linger_timer is not None:
            return  # the rest of a refused request: read and dropped
        super().data_received(data)

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._in_headers = True
        self._url_bytes = self._header_bytes = self._header_count = 0
        # The first request keeps the timer started at connect; a later request on a
        # kept-alive connection gets the full timeout from its first byte.
        self._arm_header_timer()

    def on_url(self, url: bytes) -> None:
        self._url_bytes += len(url)
        if self._url_bytes > self.max_header_bytes:
            self._refuse(414, f"{self.max_header_bytes}-byte")
        super().on_url(url)

    def on_header(self, name: bytes, value: bytes) -> None:
        self._header_count += 1
        self._header_bytes += len(name) + len(value)
        if self._header_count > self.max_headers:
            self._refuse(431, f"{self.max_headers}-line")
        if self._header_bytes > self.max_header_bytes:
            self._refuse(431, f"{self.max_header_bytes}-byte")
        super().on_header(name, value)

    def _refuse(self, status: int, limit: str) -> None:
        # httptools turns the exception into HttpParserError, and uvicorn answers that
        # with send_400_response, which sends this refusal instead.
        self._refusal = (status, limit)
        raise _HeadTooLarge

    def send_400_response(self, msg: str) -> None:
        if self._refusal is None:
            super().send_400_response(msg)
            return
        status, limit = self._refusal
        self._refusal = None
        self._disarm_header_timer()
        log.debug("request head too large", extra={"fields": {"status": status}})
        self._reply(status, _too_large_response(status, limit, self.url[:32]))
        # Half-close: the client reads the answer, then EOF (asyncio closes the transport
        # when the client's EOF arrives); the timer bounds a client that keeps sending.
        if self.transport.can_write_eof():
            self.transport.write_eof()
        self._linger_timer = self.loop.call_later(LINGER_S, self.transport.close)

    def _reply(self, status: int, body: bytes) -> None:
        head = [STATUS_LINE[status]]
        for name, value in self.server_state.default_headers:
            head += [name, b": ", value, b"\r\n"]
        head += [
            b"content-type: application/json\r\n",
            b"content-length: " + str(len(body)).encode("ascii") + b"\r\n",
            b"connection: close\r\n\r\n",
            body,
        ]
        self.transport.write(b"".join(head))

    def on_headers_complete(self) -> None:
        self._disarm_header_timer()
        self._in_headers = False
        super().on_headers_complete()

    def _header_timeout(self) -> None:
        self._header_timer = None
        if self.transport.is_closing():
            return
        busy = (self.cycle is not None and not self.cycle.response_complete) or self.pipeline
        if busy or self.flow.read_paused:
            # A pipelined request waiting behind one we are still answering: the delay
            # is ours, not the client's. Look again later.
            self._arm_header_timer()
            return
        client = self.client[0] if self.client else "-"
        log.debug("request headers timed out; closing", extra={"fields": {"client": client}})
        if self._in_headers:
            # A request had begun: say why it ends. An idle new connection just closes.
            self._reply(408, _timeout_response())
        self.transport.close()


def header_timeout_protocol(
    timeout_s: float, *, max_header_bytes: int = 32_768, max_headers: int = 100
) -> type[HeaderTimeoutProtocol]:
    """A :class:`HeaderTimeoutProtocol` with these limits, for ``uvicorn.Config(http=...)``."""

    class Configured(HeaderTimeoutProtocol):
        header_timeout_s = timeout_s

    Configured.max_header_bytes = max_header_bytes
    Configured.max_headers = max_headers
    return Configured


def server_config(app: Any, server: ServerSettings, **overrides: Any) -> uvicorn.Config:
    """The daemon's uvicorn configuration (``edge-router serve``; tests use it too)."""
    options: dict[str, Any] = {
        "host": server.host,
        "port": server.port,
        "log_config": None,
        "access_log": False,
        "timeout_graceful_shutdown": int(server.drain_timeout_s),
        "lifespan": "on",
        "timeout_keep_alive": KEEP_ALIVE_S,
        "http": header_timeout_protocol(
            server.header_timeout_s,
            max_header_bytes=server.max_header_bytes,
            max_headers=server.max_headers,
        ),
        **overrides,
    }
    return uvicorn.Config(app, **options)
