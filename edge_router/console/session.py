"""Who may use the console: the access mode, login sessions, cookies, CSRF and headers.

Access modes (:func:`console_mode`):

- ``token``: ``auth.admin_token_hash`` is set. The login form takes the admin token
  (checked like ``/admin/*``: scrypt, failures counted per client address) and sets a
  session cookie; every page and UI API needs it.
- ``open``: no admin token, no ``auth.require_auth``, and the daemon is bound to a
  loopback address. The console opens without a login (anyone who can reach the
  loopback port can already read the audit database with ``edge-router audit``), says
  so in a banner, and does not offer the policy reload (``/admin/reload`` is off too).
- ``disabled``: anything else (a non-loopback bind without an admin token): every
  console URL answers a page saying how to enable it.

Sessions live in memory (a daemon restart logs everyone out), keyed by a SHA-256 of
the cookie value so the table never holds a usable cookie. The cookie is ``HttpOnly``,
``SameSite=Strict``, ``Path=/ui``, and ``Secure`` unless the daemon is bound to a
loopback address: the daemon speaks plain HTTP, so a non-loopback deployment sits
behind a TLS proxy where ``Secure`` is right, while on ``http://127.0.0.1`` some browsers
would refuse to send a ``Secure`` cookie back (Chromium does send it; others vary).

CSRF: every session has a synchronizer token, sent back in forms (``csrf`` field) and by
the scripts (``x-csrf-token`` header, read from a ``<meta>`` tag); the login form, which
has no session yet, uses a double-submit cookie. On top of that every POST must come
from this origin (``Origin`` and ``Sec-Fetch-Site`` when the browser sends them), and
``SameSite=Strict`` keeps the cookie off cross-site requests.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass
from typing import Literal
from urllib.parse import urlsplit

from starlette.requests import Request
from starlette.responses import Response

from edge_router.api.auth import is_loopback
from edge_router.config import Settings

Mode = Literal["token", "open", "disabled"]
COOKIE = "er_console"
LOGIN_COOKIE = "er_console_login"
COOKIE_PATH = "/ui"
SESSION_TTL_S = 8 * 3600
_MAX_SESSIONS = 256

# A strict policy: only this origin's own files; no inline script or style, no frames.
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; "
    "object-src 'none'"
)
SECURITY_HEADERS = {
    "content-security-policy": CSP,
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    # same-origin, not no-referrer: with no-referrer Chromium sends "Origin: null" on form
    # posts, and the origin check would refuse our own forms.
    "referrer-policy": "same-origin",
    "cache-control": "no-store",
    "cross-origin-opener-policy": "same-origin",
}


def console_mode(settings: Settings) -> Mode:
    """How the console is reached under ``settings`` (see the module docstring)."""
    auth = settings.auth
    if auth.admin_token_hash:
        return "token"
    if not auth.require_auth and is_loopback(settings.server.host):
        return "open"
    return "disabled"


def secure_cookies(settings: Settings) -> bool:
    """Whether cookies carry ``Secure``: yes unless bound to loopback (plain HTTP there)."""
    return not is_loopback(settings.server.host)


@dataclass
class Session:
    csrf: str
    expires: float
    admin: bool
    """True when opened with the admin token (may reload policies)."""


def _digest(sid: str) -> bytes:
    return hashlib.sha256(sid.encode("utf-8", "replace")).digest()


class Sessions:
    """Console sessions in memory; thread-safe, bounded (the oldest go first)."""

    def __init__(self, ttl_s: float = SESSION_TTL_S) -> None:
        self.ttl_s = ttl_s
        self._lock = threading.Lock()
        self._table: OrderedDict[bytes, Session] = OrderedDict()

    def create(self, *, admin: bool) -> tuple[str, Session]:
        sid = secrets.token_urlsafe(32)
        session = Session(secrets.token_urlsafe(32), time.time() + self.ttl_s, admin)
        with self._lock:
            self._table[_digest(sid)] = session
            while len(self._table) > _MAX_SESSIONS:
                self._table.popitem(last=False)
        return sid, session

    def get(self, sid: str | None) -> Session | None:
        if not sid:
            return None
        key = _digest(sid)
        with self._lock:
            session = self._table.get(key)
            if session is not None and session.expires < time.time():
                del self._table[key]
                return None
            return session

    def drop(self, sid: str | None) -> None:
        if sid:
            with self._lock:
                self._table.pop(_digest(sid), None)


def set_cookie(response: Response, name: str, value: str, settings: Settings, max_age: int) -> None:
    response.set_cookie(
        name,
        value,
        max_age=max_age,
        path=COOKIE_PATH,
        secure=secure_cookies(settings),
        httponly=True,
        samesite="strict",
    )


def clear_cookie(response: Response, name: str, settings: Settings) -> None:
    response.delete_cookie(
        name, path=COOKIE_PATH, secure=secure_cookies(settings), httponly=True, samesite="strict"
    )


def same_origin(request: Request) -> bool:
    """False when the browser says the request comes from another site or origin.
    A client that sends neither header (curl) is judged by the CSRF token alone."""
    site = request.headers.get("sec-fetch-site")
    if site is not None and site not in ("same-origin", "none"):
        return False
    origin = request.headers.get("origin")
    if origin is None:
        return True
    if origin == "null":
        return False
    # Compared by host:port only: behind a TLS proxy the browser's scheme is https while
    # this server sees http.
    return urlsplit(origin).netloc.lower() == request.headers.get("host", "").lower()


def token_matches(expected: str, given: str | None) -> bool:
    return bool(given) and hmac.compare_digest(expected.encode(), (given or "").encode())


def harden(response: Response) -> Response:
    """Add the console's security headers (CSP and friends) to ``response``."""
    for name, value in SECURITY_HEADERS.items():
        response.headers[name] = value
    return response
