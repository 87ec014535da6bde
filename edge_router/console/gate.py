"""The console's front door: the session check every handler passes, login and logout.

``@guarded()`` wraps a handler ``(request, ctx) -> Response``: it refuses a disabled
console, sends a visitor without a session to the login form (pages) or answers 401
(``api=True``), checks origin and CSRF token on POSTs, and adds the security headers
(and, in open mode, the fresh session cookie) to whatever the handler returns.
Redirects carry path-only ``Location`` values, never built from the Host header.
"""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from edge_router.api.throttle import TooManyAuthFailures
from edge_router.console.render import render
from edge_router.console.session import (
    COOKIE,
    LOGIN_COOKIE,
    SESSION_TTL_S,
    Mode,
    Session,
    Sessions,
    clear_cookie,
    console_mode,
    harden,
    same_origin,
    set_cookie,
    token_matches,
)
from edge_router.state import AppState

MAX_FORM_BYTES = 64 * 1024


@dataclass(frozen=True)
class Ctx:
    """What a console handler is given besides the request."""

    state: AppState
    session: Session
    mode: Mode

    def page(self, **context: Any) -> dict[str, Any]:
        """The context every page template needs, plus ``context``."""
        return {
            "mode": self.mode,
            "csrf": self.session.csrf,
            "admin": self.session.admin,
            **context,
        }


Handler = Callable[[Request, Ctx], Awaitable[Response]]


def sessions(request: Request) -> Sessions:
    """The app's console sessions (made on first use: one table per app)."""
    found: Sessions | None = getattr(request.app.state, "console_sessions", None)
    if found is None:
        found = request.app.state.console_sessions = Sessions()
    return found


def redirect(path: str) -> Response:
    """303 to a path on this server (a relative reference: no Host header involved)."""
    assert path.startswith("/") and not path.startswith("//")
    return harden(Response(status_code=303, headers={"location": path}))


def refused(api: bool, status: int, message: str) -> Response:
    if api:
        body = {"error": {"message": message, "type": "console_error", "code": status}}
        return harden(JSONResponse(body, status_code=status))
    return render("message.html", status, title="Not allowed", message=message, mode="none")


async def read_form(request: Request) -> dict[str, str]:
    """A small urlencoded form, first value per field (413 past :data:`MAX_FORM_BYTES`).
    Parsed here because Starlette's form parser needs an extra package; cached on the
    request so the CSRF check and the handler read the body once."""
    cached: dict[str, str] | None = getattr(request.state, "console_form", None)
    if cached is not None:
        return cached
    declared = request.headers.get("content-length", "")
    if not declared.isdigit() or int(declared) > MAX_FORM_BYTES:
        raise _TooLarge
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_FORM_BYTES:
            raise _TooLarge
    try:
        pairs = parse_qsl(body.decode("utf-8", "replace"), max_num_fields=32)
    except ValueError:  # too many fields
        raise _TooLarge from None
    form: dict[str, str] = {}
    for name, value in pairs:
        form.setdefault(name, value)
    request.state.console_form = form
    return form


class _TooLarge(Exception):
    pass


async def _csrf_ok(request: Request, session: Session) -> bool:
    if not same_origin(request):
        return False
    given = request.headers.get("x-csrf-token")
    if given is None and "form" in request.headers.get("content-type", ""):
        given = (await read_form(request)).get("csrf")
    return token_matches(session.csrf, given)


DISABLED = (
    "The console is off: this daemon listens on a non-loopback address and has no admin "
    "token. Set auth.admin_token_hash (edge-router keys hash) to enable it."
)


def guarded(*, api: bool = False) -> Callable[[Handler], Callable[[Request], Awaitable[Response]]]:
    def wrap(handler: Handler) -> Callable[[Request], Awaitable[Response]]:
        async def endpoint(request: Request) -> Response:
            state: AppState = request.app.state.edge
            mode = console_mode(state.settings)
            if mode == "disabled":
                return refused(api, 403, DISABLED)
            table = sessions(request)
            sid = request.cookies.get(COOKIE)
            session = table.get(sid)
            fresh = None
            if session is None:
                if mode != "open":
                    return refused(api, 401, "Log in first.") if api else redirect("/ui/login")
                fresh, session = table.create(admin=False)
            try:
                if request.method == "POST" and not await _csrf_ok(request, session):
                    return refused(api, 403, "The form is stale or came from another site.")
                response = await handler(request, Ctx(state, session, mode))
            except _TooLarge:
                return refused(api, 413, "The form is too large.")
            if fresh is not None:
                set_cookie(response, COOKIE, fresh, state.settings, int(SESSION_TTL_S))
            return harden(response)

        endpoint.__doc__ = handler.__doc__
        return endpoint

    return wrap


async def login_form(request: Request) -> Response:
    """The login form; a double-submit cookie guards it (there is no session yet)."""
    state: AppState = request.app.state.edge
    mode = console_mode(state.settings)
    if mode != "token":
        return redirect("/ui") if mode == "open" else refused(False, 403, DISABLED)
    return _login_page(state, request, None, 200)


def _login_page(state: AppState, request: Request, error: str | None, status: int) -> Response:
    nonce = secrets.token_urlsafe(24)
    response = render("login.html", status, csrf=nonce, error=error, mode="token", admin=False)
    set_cookie(response, LOGIN_COOKIE, nonce, state.settings, 900)
    return response


async def login(request: Request) -> Response:
    state: AppState = request.app.state.edge
    if console_mode(state.settings) != "token" or state.auth is None:
        return redirect("/ui")
    try:
        form = await read_form(request)
    except _TooLarge:
        return refused(False, 413, "The form is too large.")
    nonce, token = form.get("csrf"), form.get("token")
    cookie = request.cookies.get(LOGIN_COOKIE, "")
    if not (same_origin(request) and token_matches(cookie, nonce)):
        return _login_page(state, request, "The form expired; please try again.", 403)
    if not token or not token.strip():
        return _login_page(state, request, "Enter the admin token.", 401)
    try:
        ok = await asyncio.to_thread(state.auth.is_admin, {"authorization": f"Bearer {token}"})
    except TooManyAuthFailures:
        return _login_page(state, request, "Too many failed attempts; wait a minute.", 429)
    if not ok:
        return _login_page(state, request, "That is not the admin token.", 401)
    sid, _ = sessions(request).create(admin=True)
    response = redirect("/ui")
    set_cookie(response, COOKIE, sid, state.settings, int(SESSION_TTL_S))
    clear_cookie(response, LOGIN_COOKIE, state.settings)
    return response


@guarded()
async def logout(request: Request, ctx: Ctx) -> Response:
    sessions(request).drop(request.cookies.get(COOKIE))
    response = redirect("/ui/login" if ctx.mode == "token" else "/ui")
    clear_cookie(response, COOKIE, ctx.state.settings)
    return response
