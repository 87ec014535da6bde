"""One access-log line per HTTP request, without any content.

A pure ASGI middleware (a ``BaseHTTPMiddleware`` would buffer streams through a task
group). It logs on logger ``edge_router.access`` once the response's last byte is
sent (for a stream, when the stream ends) or the request ends without one. Fields:
``method``, ``path``, ``status``, ``route``, ``rule``, ``latency_ms``, ``request_id``
and, for a response cut short, ``complete: false``.

- ``path`` is the matched route's template (``/v1/models/{model_id}``), never the raw
  path or query string, which a client may fill with anything. An unmatched path keeps
  only its segments that look like API words (lower-case letters, digits, ``_``,
  ``-``, at most 32 characters); every other segment is logged as ``*``.
- ``route`` and ``rule`` come from the ``x-edge-router-route``/``-rule`` response
  headers the chat handlers already set (their decision); ``-`` for other requests.
- ``request_id`` is the response's ``x-request-id``; a response without one (health
  checks, 401s, 404s) gets a fresh ``req-...`` id in that header, so every logged line
  can be matched with what the client saw.

Example::

    Starlette(routes=..., middleware=[Middleware(AccessLog, enabled=True), ...])
"""

from __future__ import annotations

import logging
import re
import time
import uuid
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

log = logging.getLogger("edge_router.access")

_API_WORD = re.compile(r"^[a-z0-9][a-z0-9_-]{0,31}$")


def logged_path(scope: Scope) -> str:
    """The path as the access log may show it (see the module docstring)."""
    route = scope.get("route")
    template = getattr(route, "path", None)
    if isinstance(template, str) and template:
        return template
    raw = str(scope.get("path", ""))
    return "/".join(s if not s or _API_WORD.match(s) else "*" for s in raw.split("/")) or "/"


def _header(headers: list[tuple[bytes, bytes]], name: bytes) -> str | None:
    for key, value in headers:
        if key.lower() == name:
            return value.decode("latin-1")
    return None


class AccessLog:
    """Logs each HTTP request once, with its status, decision and latency."""

    def __init__(self, app: ASGIApp, *, enabled: bool = True) -> None:
        self.app = app
        self.enabled = enabled

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not self.enabled:
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        line: dict[str, Any] = {"status": 0, "route": "-", "rule": "-", "request_id": "-"}
        done = False

        async def logging_send(message: Message) -> None:
            nonlocal done
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                rid = _header(headers, b"x-request-id")
                if rid is None:
                    rid = "req-" + uuid.uuid4().hex
                    headers.append((b"x-request-id", rid.encode("ascii")))
                    message = {**message, "headers": headers}
                line["status"] = int(message["status"])
                line["request_id"] = rid
                line["route"] = _header(headers, b"x-edge-router-route") or "-"
                line["rule"] = _header(headers, b"x-edge-router-rule") or "-"
            await send(message)
            if message["type"] == "http.response.body" and not message.get("more_body"):
                done = True
                self._log(scope, line, started, complete=True)

        try:
            await self.app(scope, receive, logging_send)
        finally:
            if not done:
                # The client went away mid-stream, or the app ended without an answer.
                self._log(scope, line, started, complete=False)

    @staticmethod
    def _log(scope: Scope, line: dict[str, Any], started: float, *, complete: bool) -> None:
        method = str(scope.get("method", "-"))
        path = logged_path(scope)
        fields = {
            "method": method,
            "path": path,
            **line,
            "latency_ms": round((time.perf_counter() - started) * 1000, 1),
        }
        if not complete:
            fields["complete"] = False
        log.info(f"{method} {path} {line['status']}", extra={"fields": fields})
