"""Hardening at the front door: no Host-built redirects, a header-read timeout,
credentials on the operator endpoints, and failed authentication throttled per address.

The daemon here is started through ``server_config`` (what ``edge-router serve`` uses),
so the header-timeout protocol under test is the one in production.
"""

from __future__ import annotations

import concurrent.futures
import hashlib
import logging
import select
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import pytest
import uvicorn
from privacy_fixtures import shared_scanner
from serving import free_port
from starlette.applications import Starlette

from edge_router.api.auth import ApiKey, Authenticator, AuthSettings, hash_key
from edge_router.api.http import HeaderTimeoutProtocol, server_config
from edge_router.api.throttle import FailureThrottle, address_bucket
from edge_router.app import create_app
from edge_router.config import ServerSettings, Settings

KEY, KEY2 = "er-hard-0123456789abcdef0123", "er-hard2-0123456789abcdef012"
ADMIN, SCRAPE = "admin-hard-0123456789abcdef", "scrape-hard-0123456789abcdef"
HEADER_TIMEOUT = 1.0
CHAT = {"model": "auto", "messages": [{"role": "user", "content": "hi"}], "max_tokens": 1}
ROUTE = {"model": "auto", "messages": [{"role": "user", "content": "hi"}]}


@pytest.fixture(scope="module")
def auth_settings() -> AuthSettings:
    return AuthSettings(
        require_auth=True,
        keys=(ApiKey(id="one", hash=hash_key(KEY)), ApiKey(id="two", hash=hash_key(KEY2))),
        admin_token_hash=hash_key(ADMIN),
        metrics_token_hash=hash_key(SCRAPE),
    )


@contextmanager
def _daemon(app: Starlette, server: ServerSettings) -> Iterator[str]:
    """Like tests/serving.py, but through the daemon's own uvicorn configuration."""
    port = free_port()
    srv = uvicorn.Server(server_config(app, server.model_copy(update={"port": port})))
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 120
    while not srv.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("daemon did not start")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        srv.should_exit = True
        thread.join(timeout=30)


@pytest.fixture(scope="module")
def daemon(settings: Settings, auth_settings: AuthSettings) -> Iterator[tuple[str, Starlette]]:
    server = settings.server.model_copy(update={"header_timeout_s": HEADER_TIMEOUT})
    s = settings.model_copy(update={"auth": auth_settings, "server": server})
    app = create_app(s, scanner=shared_scanner())
    with _daemon(app, s.server) as url:
        yield url, app


@pytest.fixture()
def url(daemon: tuple[str, Starlette]) -> str:
    return daemon[0]


@contextmanager
def _auth(app: Starlette, settings: AuthSettings) -> Iterator[Authenticator]:
    """Swap in a fresh authenticator (and so a fresh failure table) for one test."""
    state = app.state.edge
    before = state.auth
    state.auth = Authenticator(settings)
    try:
        yield state.auth
    finally:
        state.auth = before


@pytest.fixture()
def throttled(
    daemon: tuple[str, Starlette], auth_settings: AuthSettings
) -> Iterator[Authenticator]:
    limits = {"max_failures_per_minute": 3, "failure_block_s": 2.0}
    with _auth(daemon[1], auth_settings.model_copy(update=limits)) as auth:
        yield auth


def _bearer(key: str | None) -> dict[str, str]:
    return {"authorization": f"Bearer {key}"} if key else {}


# --- 1. no redirect built from the Host header ------------------------------------------


@pytest.mark.parametrize(
    "path", ["/v1/chat/completions/", "/v1/messages/", "/v1/route/", "/healthz/", "/nowhere"]
)
def test_stray_trailing_slash_is_a_json_404_not_a_redirect(url: str, path: str) -> None:
    r = httpx.post(
        url + path,
        json=CHAT,
        headers={"host": "evil.example", **_bearer(KEY)},
        follow_redirects=False,
    )
    assert r.status_code == 404
    assert "location" not in r.headers and "evil.example" not in r.text
    body = r.json()
    if path.startswith("/v1/messages"):
        assert body["type"] == "error" and body["error"]["type"] == "not_found_error"
    else:
        assert set(body["error"]) == {"message", "type", "param", "code"}


# --- 2. the header-read timeout -----------------------------------------------------------


def _port(url: str) -> int:
    return int(url.rsplit(":", 1)[1])


def _closed_within(sock: socket.socket, seconds: float) -> tuple[bool, bytes]:
    """Wait up to ``seconds`` for the peer to close; (closed, bytes received meanwhile)."""
    got = b""
    deadline = time.monotonic() + seconds
    while (left := deadline - time.monotonic()) > 0:
        if not select.select([sock], [], [], left)[0]:
            break
        try:
            chunk = sock.recv(4096)
        except ConnectionResetError:
            return True, got
        if not chunk:
            return True, got
        got += chunk
    return False, got


def _trickle(sock: socket.socket, first: bytes, every: float = 0.3) -> tuple[float, bytes]:
    """Send ``first``, then one header line every ``every`` s until the server closes;
    the seconds from the first byte to the close, and what the server sent."""
    started = time.monotonic()
    sock.sendall(first)
    for i in range(40):
        closed, got = _closed_within(sock, every)
        if closed:
            return time.monotonic() - started, got
        try:
            sock.sendall(f"X-Slow-{i}: {i}\r\n".encode())
        except (BrokenPipeError, ConnectionResetError):
            return time.monotonic() - started, b""
    raise AssertionError("the server kept a slow-header connection open for 12 s")


def _response(sock: socket.socket) -> tuple[int, bytes]:
    buf = b""
    while b"\r\n\r\n" not in buf:
        chunk = sock.recv(4096)
        assert chunk, "connection closed before the response"
        buf += chunk
    head, _, body = buf.partition(b"\r\n\r\n")
    lines = head.decode().split("\r\n")
    length = next(
        int(v) for k, _, v in (ln.partition(": ") for ln in lines[1:]) if k == "content-length"
    )
    while len(body) < length:
        body += sock.recv(4096)
    return int(lines[0].split()[1]), body


def test_slow_headers_are_cut_off(url: str) -> None:
    with socket.create_connection(("127.0.0.1", _port(url)), timeout=15) as sock:
        elapsed, got = _trickle(sock, b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
    assert HEADER_TIMEOUT * 0.8 <= elapsed < HEADER_TIMEOUT + 2.5
    assert got.startswith(b"HTTP/1.1 408") and b"request_timeout" in got


def test_silent_connection_is_closed(url: str) -> None:
    with socket.create_connection(("127.0.0.1", _port(url)), timeout=15) as sock:
        started = time.monotonic()
        closed, got = _closed_within(sock, HEADER_TIMEOUT + 3)
        assert closed and got == b""  # nothing had begun: no response, just the close
        assert time.monotonic() - started < HEADER_TIMEOUT + 2.5


def test_keep_alive_requests_get_their_own_header_timeout(url: str) -> None:
    req = b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"
    with socket.create_connection(("127.0.0.1", _port(url)), timeout=15) as sock:
        sock.sendall(req)
        assert _response(sock)[0] == 200
        # Idle longer than the header timeout but within uvicorn's keep-alive (5 s):
        # the idle wait is not header time, so the next request goes through.
        time.sleep(HEADER_TIMEOUT * 1.5)
        sock.sendall(req)
        assert _response(sock)[0] == 200
        time.sleep(HEADER_TIMEOUT * 0.7)
        # A slow request on the kept-alive connection: the timeout counts from its first
        # byte, not from the connection's start or the previous request.
        elapsed, got = _trickle(sock, b"GET /healthz HTTP/1.1\r\n")
    assert HEADER_TIMEOUT * 0.8 <= elapsed < HEADER_TIMEOUT + 2.5
    assert got.startswith(b"HTTP/1.1 408")


def test_daemon_config_uses_the_header_timeout_protocol() -> None:
    cfg = server_config(Starlette(), ServerSettings(header_timeout_s=7.5))
    assert isinstance(cfg.http, type) and issubclass(cfg.http, HeaderTimeoutProtocol)
    assert cfg.http.header_timeout_s == 7.5
    assert cfg.timeout_keep_alive <= 5  # the idle wait between requests stays short


# --- 3. credentials on the operator endpoints ----------------------------------------------

OPEN, DENIED = 200, 401


@pytest.mark.parametrize(
    ("path", "key", "status"),
    [
        ("/healthz", None, OPEN),
        ("/healthz", "er-wrong-0000", OPEN),
        ("/readyz", None, DENIED),
        ("/readyz", KEY, OPEN),
        ("/readyz", ADMIN, OPEN),
        ("/readyz", SCRAPE, DENIED),
        ("/v1/models", None, DENIED),
        ("/v1/models", KEY2, OPEN),
        ("/v1/models", ADMIN, OPEN),
        ("/v1/models", SCRAPE, DENIED),
        ("/metrics", None, DENIED),
        ("/metrics", "er-wrong-0001", DENIED),
        ("/metrics", KEY, OPEN),
        ("/metrics", ADMIN, OPEN),
        ("/metrics", SCRAPE, OPEN),
    ],
)
def test_operator_endpoints_need_credentials_with_require_auth(
    url: str, path: str, key: str | None, status: int
) -> None:
    r = httpx.get(url + path, headers=_bearer(key), timeout=30)
    assert r.status_code == status
    if status == DENIED:
        err = r.json()["error"]
        assert err["type"] == "authentication_error"
        text = r.text.lower()
        assert "admin" not in text and "metrics" not in text and "token" not in text
        assert key is None or key not in r.text


def test_x_api_key_works_on_operator_endpoints(url: str) -> None:
    assert httpx.get(url + "/metrics", headers={"x-api-key": SCRAPE}).status_code == 200


def test_operator_endpoints_stay_open_without_require_auth(
    daemon: tuple[str, Starlette], auth_settings: AuthSettings
) -> None:
    url, app = daemon
    optional = auth_settings.model_copy(update={"require_auth": False})
    with _auth(app, optional):
        for path in ("/readyz", "/v1/models", "/metrics"):
            assert httpx.get(url + path, timeout=30).status_code == 200, path


@pytest.mark.parametrize(
    "body",
    [
        b'{"text": "' + b"a" * 2_000_000 + b'"}',  # past max_body_bytes
        b"{not json" * 1000,
        b"[" * 100_000,
    ],
)
@pytest.mark.parametrize("key", [None, "er-wrong-route-key"])
def test_route_authenticates_before_reading_the_body(
    url: str, body: bytes, key: str | None
) -> None:
    headers = {"content-type": "application/json", **_bearer(key)}
    r = httpx.post(url + "/v1/route", content=body, headers=headers, timeout=30)
    assert r.status_code == 401
    assert r.json()["error"]["type"] == "authentication_error"


# --- 4. failed authentication throttled per address ----------------------------------------


@contextmanager
def _count_scrypt(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[int]]:
    calls = [0]
    real = hashlib.scrypt

    def counting(*a: Any, **kw: Any) -> bytes:
        calls[0] += 1
        return real(*a, **kw)

    with monkeypatch.context() as m:
        m.setattr(hashlib, "scrypt", counting)
        yield calls


def _client(source: str) -> httpx.Client:
    return httpx.Client(transport=httpx.HTTPTransport(local_address=source), timeout=30)


def test_wrong_keys_get_429_without_hashing(
    url: str, throttled: Authenticator, monkeypatch: pytest.MonkeyPatch
) -> None:
    a, b = _client("127.0.0.1"), _client("127.0.0.2")
    with a, b:
        assert a.post(url + "/v1/route", json=ROUTE, headers=_bearer(KEY)).status_code == 200
        for i in range(3):
            r = a.post(url + "/v1/chat/completions", json=CHAT, headers=_bearer(f"er-bad-{i}"))
            assert r.status_code == 401
        with _count_scrypt(monkeypatch) as scrypts:
            r = a.post(url + "/v1/chat/completions", json=CHAT, headers=_bearer("er-bad-x"))
            assert r.status_code == 429
            assert 1 <= int(r.headers["retry-after"]) <= 2
            assert r.json()["error"]["type"] == "rate_limit_error"
            assert "er-bad-x" not in r.text
            r = a.post(url + "/v1/messages", json=CHAT, headers={"x-api-key": "er-bad-y"})
            assert r.status_code == 429 and r.json()["error"]["type"] == "rate_limit_error"
            assert r.json()["type"] == "error" and "retry-after" in r.headers
            for method, path in (("GET", "/metrics"), ("GET", "/admin/audit")):
                r = a.request(method, url + path, headers=_bearer("er-bad-z"))
                assert r.status_code == 429, path
            # A key that already verified still works; a new one waits out the block.
            assert a.post(url + "/v1/route", json=ROUTE, headers=_bearer(KEY)).status_code == 200
            assert a.post(url + "/v1/route", json=ROUTE, headers=_bearer(KEY2)).status_code == 429
            assert scrypts[0] == 0
            # Another address is not affected.
            assert (
                b.post(url + "/v1/route", json=ROUTE, headers=_bearer("er-bad")).status_code == 401
            )
        assert b.post(url + "/v1/route", json=ROUTE, headers=_bearer(KEY2)).status_code == 200
        time.sleep(2.1)  # the block ends
        assert a.post(url + "/v1/route", json=ROUTE, headers=_bearer("er-bad")).status_code == 401
        assert a.post(url + "/v1/route", json=ROUTE, headers=_bearer(KEY2)).status_code == 200


def test_success_resets_no_counter(url: str, throttled: Authenticator) -> None:
    a, b = _client("127.0.0.3"), _client("127.0.0.4")
    with a, b:
        for key, status in [("er-bad-1", 401), (KEY, 200), ("er-bad-2", 401)]:
            assert b.post(url + "/v1/route", json=ROUTE, headers=_bearer(key)).status_code == status
            assert a.post(url + "/v1/route", json=ROUTE, headers=_bearer(key)).status_code == status
        # Successes from either address cleared nothing: the third failure blocks.
        assert a.post(url + "/v1/route", json=ROUTE, headers=_bearer("er-bad-3")).status_code == 401
        assert a.post(url + "/v1/route", json=ROUTE, headers=_bearer("er-bad-4")).status_code == 429


def test_admin_token_failures_count_too(url: str, throttled: Authenticator) -> None:
    with _client("127.0.0.5") as a:
        for _ in range(3):
            assert a.post(url + "/admin/reload", headers=_bearer("wrong-admin")).status_code == 401
        assert a.post(url + "/admin/reload", headers=_bearer(ADMIN)).status_code == 429


def test_missing_keys_are_not_failures(url: str, throttled: Authenticator) -> None:
    with _client("127.0.0.6") as a:
        for _ in range(6):
            assert a.post(url + "/v1/route", json=ROUTE).status_code == 401
        assert a.post(url + "/v1/route", json=ROUTE, headers=_bearer(KEY)).status_code == 200


def test_one_warning_per_block_naming_the_address_only(
    url: str, throttled: Authenticator, caplog: pytest.LogCaptureFixture
) -> None:
    with _client("127.0.0.7") as a, caplog.at_level(logging.WARNING, logger="edge_router"):
        for i in range(6):
            a.post(url + "/v1/route", json=ROUTE, headers=_bearer(f"er-secret-guess-{i}"))
    warnings = [r for r in caplog.records if r.name == "edge_router.auth"]
    assert len(warnings) == 1
    text = f"{warnings[0].getMessage()} {getattr(warnings[0], 'fields', '')}"
    assert "127.0.0.7" in text and "er-secret-guess" not in text


def test_a_burst_of_wrong_keys_is_cut_short(
    url: str, throttled: Authenticator, monkeypatch: pytest.MonkeyPatch
) -> None:
    def attempt(i: int) -> int:
        with _client("127.0.0.8") as c:
            headers = _bearer(f"er-burst-{i}")
            return c.post(url + "/v1/route", json=ROUTE, headers=headers).status_code

    with _count_scrypt(monkeypatch) as scrypts, concurrent.futures.ThreadPoolExecutor(24) as pool:
        codes = list(pool.map(attempt, range(24)))
    # Hashing runs two at a time and re-checks the block before starting: only the
    # three failures plus what was already running when the block began were hashed.
    assert set(codes) <= {401, 429} and codes.count(401) <= 3 + 2
    assert scrypts[0] <= (3 + 2) * 2  # two configured keys each


# --- the failure table itself ---------------------------------------------------------------


class _Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_throttle_window_block_and_release() -> None:
    clock = _Clock()
    t = FailureThrottle(3, 30.0, clock=clock)
    assert not t.failed("192.0.2.1") and not t.failed("192.0.2.1")
    clock.now += 61  # a new window: the earlier two no longer count
    assert not t.failed("192.0.2.1") and not t.failed("192.0.2.1")
    assert t.retry_after("192.0.2.1") is None
    assert t.failed("192.0.2.1")  # the third in one window starts a block
    assert t.retry_after("192.0.2.1") == pytest.approx(30.0)
    assert not t.failed("192.0.2.1")  # checks finishing during the block change nothing
    assert t.retry_after("192.0.2.2") is None
    clock.now += 30
    assert t.retry_after("192.0.2.1") is None
    assert not t.failed("192.0.2.1")  # a fresh window after the block


def test_throttle_table_is_bounded() -> None:
    t = FailureThrottle(2, 30.0, max_entries=3, clock=_Clock())
    assert t.failed("10.0.0.1") is False and t.failed("10.0.0.1") is True
    for i in range(2, 6):
        t.failed(f"10.0.0.{i}")
    assert len(t) == 3
    assert t.retry_after("10.0.0.1") is None  # the least recently failing was forgotten


def test_throttle_off_with_zero() -> None:
    t = FailureThrottle(0, 30.0)
    assert not any(t.failed("10.0.0.9") for _ in range(100))
    assert t.retry_after("10.0.0.9") is None and len(t) == 0


@pytest.mark.parametrize(
    ("a", "b", "same"),
    [
        ("2001:db8::1", "2001:db8::ffff:1", True),
        ("2001:db8::1", "2001:db8:0:1::1", False),
        ("::ffff:192.0.2.1", "192.0.2.1", True),
        ("192.0.2.1", "192.0.2.2", False),
        ("unknown", "unknown", True),
    ],
)
def test_address_buckets(a: str, b: str, same: bool) -> None:
    assert (address_bucket(a) == address_bucket(b)) is same
