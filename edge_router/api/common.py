"""Helpers shared by the HTTP front doors."""

from __future__ import annotations

import asyncio
import logging
import re
from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Match, Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from edge_router.api.auth import presented_key
from edge_router.api.throttle import client_address
from edge_router.config import ServerSettings
from edge_router.errors import AuthError, BadRequest, PayloadTooLarge, RequestTimeout, RouterError
from edge_router.routing.pipeline import Identity
from edge_router.state import AppState
from edge_router.wire.anthropic import anthropic_error
from edge_router.wire.json_body import parse_json_body

log = logging.getLogger("edge_router.api")


async def read_json(request: Request, server: ServerSettings) -> dict[str, Any]:
    """Read a JSON object body of at most ``server.max_body_bytes`` (413 past it), within
    ``server.body_timeout_s`` (408: a client that stalls mid-body must not hold a
    handler forever)."""
    limit = server.max_body_bytes
    ctype = request.headers.get("content-type", "application/json")
    if "json" not in ctype.split(";")[0].lower():
        raise BadRequest("Content-Type must be application/json.", code="unsupported_media_type")
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise PayloadTooLarge(f"Request body is larger than the {limit}-byte limit.")
    buf = bytearray()
    try:
        async with asyncio.timeout(server.body_timeout_s):
            async for chunk in request.stream():
                buf += chunk
                if len(buf) > limit:
                    raise PayloadTooLarge(f"Request body is larger than the {limit}-byte limit.")
    except TimeoutError as exc:
        raise RequestTimeout("The request body did not arrive in time.") from exc
    except ClientDisconnect as exc:
        raise BadRequest("The client closed the connection.") from exc
    return parse_json_body(bytes(buf))


async def authenticate(request: Request) -> Identity | None:
    """The caller's identity from its API key; 401 when auth requires one or the key is
    wrong, 429 while the caller's address is blocked for repeated failures. Anonymous
    callers are allowed unless ``auth.require_auth`` is set."""
    state: AppState = request.app.state.edge
    auth = state.auth
    if auth is None:
        return None
    key = presented_key(request.headers)
    if key is None:
        if auth.settings.require_auth:
            raise AuthError("Missing API key: send 'Authorization: Bearer <key>' or 'x-api-key'.")
        return None
    if not auth.settings.keys:
        return None  # no keys configured: SDK placeholder keys are fine
    ident = await auth.authenticate_async(request.headers)
    if ident is None:
        raise AuthError("Invalid API key.")
    identity = Identity(key_id=ident.key_id, tenant=ident.tenant, policy=ident.policy)
    request.state.identity = identity
    return identity


async def require_operator(request: Request, *, metrics: bool = False) -> None:
    """With ``auth.require_auth``, the operator endpoints (/v1/models, /readyz, /metrics)
    take any client key or the admin token, and /metrics (``metrics``) also the metrics
    token; 401 otherwise, without saying which kinds of credential exist. Without
    require_auth they stay open, as before."""
    state: AppState = request.app.state.edge
    auth = state.auth
    if auth is None or not auth.settings.require_auth:
        return
    key = presented_key(request.headers)
    if key is None:
        raise AuthError("Missing credentials: send 'Authorization: Bearer <key>' or 'x-api-key'.")
    if not await auth.may_operate_async(key, metrics=metrics):
        raise AuthError("Invalid credentials.")


def error_response(exc: RouterError, extra_headers: dict[str, str] | None = None) -> Response:
    return JSONResponse(
        exc.body(), status_code=exc.status, headers={**exc.headers, **(extra_headers or {})}
    )


async def router_error_handler(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RouterError)
    return error_response(exc)


FOREIGN_ENDPOINTS: tuple[tuple[str, str], ...] = (
    ("/v1/responses", "The OpenAI Responses API"),
    ("/v1/chat/completions/", "Stored chat completions"),
    ("/v1/images", "Image generation"),
    ("/v1/audio", "Audio"),
    ("/v1/files", "Files"),
    ("/v1/uploads", "Uploads"),
    ("/v1/assistants", "Assistants"),
    ("/v1/threads", "Assistants threads"),
    ("/v1/vector_stores", "Vector stores"),
    ("/v1/batches", "Batches"),
    ("/v1/fine_tuning", "Fine-tuning"),
    ("/v1/moderations", "Moderations"),
    ("/v1/realtime", "The Realtime API"),
    ("/v1/edits", "Edits"),
    ("/v1/messages/batches", "Message Batches"),
    ("/v1/complete", "Anthropic's legacy Text Completions"),
)
"""Endpoints of the OpenAI and Anthropic APIs that edge-router does not offer, by path
prefix: a 404 names the one asked for from this list, never the client's path itself
(a path is the client's text and may carry data)."""
_METHODS = frozenset({"GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"})


def _template(route: Route) -> str:
    return re.sub(r"\{(\w+):\w+\}", r"{\1}", route.path)  # {model:path} -> {model}


def _offered(request: Request, *, api_only: bool) -> str:
    """The app's own endpoints ("POST /v1/chat/completions, ..."), as routed."""
    entries = [
        f"{method} {_template(r)}"
        for r in request.app.routes
        if isinstance(r, Route) and (not api_only or r.path.startswith("/v1/"))
        for method in sorted((r.methods or set()) - {"HEAD"})
    ]
    return ", ".join(entries)


def _foreign(path: str) -> str | None:
    """The name of the foreign endpoint ``path`` asks for (a prefix ending in "/" needs
    an id after it), or None."""
    for prefix, name in FOREIGN_ENDPOINTS:
        if prefix.endswith("/"):
            if path.startswith(prefix) and len(path) > len(prefix):
                return f"{name} ({prefix}{{id}})"
        elif path == prefix or path.startswith(prefix + "/"):
            return f"{name} ({prefix})"
    return None


def _is_anthropic(request: Request) -> bool:
    path = request.url.path
    return (
        path.startswith("/v1/messages")
        or path == "/v1/complete"
        or "anthropic-version" in request.headers
    )


def _routing_message(request: Request, status: int) -> tuple[str, str]:
    """(message, code) for an unknown path (404) or a wrong method (405), quoting
    nothing from the request but a method from a fixed set."""
    method = request.method if request.method in _METHODS else "This method"
    path = request.url.path
    if status == 405:
        route = next(
            (r for r in request.app.routes if r.matches(request.scope)[0] == Match.PARTIAL),
            None,
        )
        if isinstance(route, Route):
            allowed = ", ".join(sorted((route.methods or set()) - {"HEAD"}))
            return f"{method} is not allowed on {_template(route)}; it supports {allowed}.", (
                "method_not_allowed"
            )
        return f"{method} is not allowed here.", "method_not_allowed"
    what = _foreign(path) or "This endpoint"
    offered = _offered(request, api_only=path.startswith("/v1/"))
    return (
        f"{what} is not supported by edge-router; supported endpoints: {offered}.",
        "unsupported_endpoint",
    )


async def http_error_handler(request: Request, exc: Exception) -> Response:
    """Routing errors (unknown path 404, wrong method 405), shaped for the door asked
    (Anthropic's for its paths and for Anthropic SDK clients, OpenAI's otherwise)."""
    if not isinstance(exc, HTTPException):  # registered for HTTPException only
        raise exc
    status = exc.status_code
    if status in (404, 405):
        message, code = _routing_message(request, status)
    else:
        message, code = str(exc.detail), None
    if _is_anthropic(request):
        body = anthropic_error(status, None, message)
        return JSONResponse(body, status_code=status, headers=exc.headers)
    kind = "not_found" if status == 404 else "invalid_request_error"
    body = {"error": {"message": message, "type": kind, "param": None, "code": code}}
    return JSONResponse(body, status_code=status, headers=exc.headers)


INTERNAL_ERROR = {
    "error": {
        "message": "The router hit an internal error.",
        "type": "server_error",
        "param": None,
        "code": "internal_error",
    }
}


class CatchAll:
    """Last-resort handler inside Starlette's own: an unexpected exception becomes an
    OpenAI-shaped 500 and one log line with the exception *type* only. Starlette's
    ServerErrorMiddleware would re-raise it to the server, which logs the full
    traceback, message included (and messages of foreign exceptions may quote
    request content)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, tracking_send)
        except Exception as exc:
            log.error("unhandled error", extra={"fields": {"exc_type": type(exc).__name__}})
            if not started:
                await JSONResponse(INTERNAL_ERROR, status_code=500)(scope, receive, send)


class ClientAddress:
    """Makes the caller's address known to the authenticator for the whole request
    (:data:`edge_router.api.throttle.client_address`), so that failed authentications are
    counted per address wherever a key is checked (client, admin and operator paths)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        client = scope.get("client")
        token = client_address.set(str(client[0]) if client else "unknown")
        try:
            await self.app(scope, receive, send)
        finally:
            client_address.reset(token)
