"""The HTTP server under the app: uvicorn with a header-read timeout.

uvicorn bounds idle kept-alive connections (``timeout_keep_alive``) but not the time a
client takes to send a request's line and headers: one header line every few seconds
held a connection (and its slot in the server) for as long as the client liked.
:class:`HeaderTimeoutProtocol` closes such connections after ``server.header_timeout_s``,
counted from the connection's start for its first request and from the first byte of
each later request on a kept-alive connection (the wait between requests is uvicorn's
keep-alive timeout). Once the headers are in, the body has ``server.body_timeout_s``
(enforced by the handlers).

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

log = logging.getLogger("edge_router.http")

KEEP_ALIVE_S = 5
"""How long a kept-alive connection may sit idle between requests (uvicorn closes it)."""


def _timeout_response() -> bytes:
    # The same JSON the handlers send when a body stalls (408 request_timeout).
    body = RequestTimeout("The request headers did not arrive in time.").body()
    return json.dumps(body).encode("ascii")


class HeaderTimeoutProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol, closing connections whose request headers are not
    complete within :attr:`header_timeout_s` seconds. Use :func:`header_timeout_protocol`
    to get a class with another timeout (uvicorn takes a class, not an instance)."""

    header_timeout_s: float = 10.0

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._header_timer: asyncio.TimerHandle | None = None
        self._in_headers = False

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
        super().connection_lost(exc)

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._in_headers = True
        # The first request keeps the timer started at connect; a later request on a
        # kept-alive connection gets the full timeout from its first byte.
        self._arm_header_timer()

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
            body = _timeout_response()
            head = [STATUS_LINE[408]]
            for name, value in self.server_state.default_headers:
                head += [name, b": ", value, b"\r\n"]
            head += [
                b"content-type: application/json\r\n",
                b"content-length: " + str(len(body)).encode("ascii") + b"\r\n",
                b"connection: close\r\n\r\n",
                body,
            ]
            self.transport.write(b"".join(head))
        self.transport.close()


def header_timeout_protocol(timeout_s: float) -> type[HeaderTimeoutProtocol]:
    """A :class:`HeaderTimeoutProtocol` with ``timeout_s``, for ``uvicorn.Config(http=...)``."""

    class Configured(HeaderTimeoutProtocol):
        header_timeout_s = timeout_s

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
        "http": header_timeout_protocol(server.header_timeout_s),
        **overrides,
    }
    return uvicorn.Config(app, **options)
