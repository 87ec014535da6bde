"""Hostile input against the live daemon: fuzzed bodies, broken HTTP, slow and vanishing
clients. Whatever arrives, the answer is < 500, a 4xx body is a well-shaped JSON error
(Anthropic-shaped on /v1/messages), no traceback leaks, the server keeps answering
/healthz, and memory does not grow with the number of bad requests.

Every generated request that could reach the model asks for at most 2 tokens, so the
file runs in well under a minute on two cores.

Regressions found by this suite (huge integer literals, lone surrogates, non-list
``messages``, stalled bodies, unexpected exceptions) have pinned cases in
tests/test_bad_input.py.
"""

from __future__ import annotations

import gc
import json
import math
import re
import socket
import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import httpx
import psutil
import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from edge_router.config import Settings

CHAT = "/v1/chat/completions"
MESSAGES = "/v1/messages"
ROUTE = "/v1/route"
ENDPOINTS = (CHAT, MESSAGES, ROUTE)
OPENAI_ERROR_KEYS = {"message", "type", "param", "code"}

FUZZ = hsettings(
    deadline=None,
    max_examples=30,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    database=None,  # the daemon's answers are the oracle; no replay across runs needed
)


# --- helpers ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def http(base_url: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=base_url, timeout=60) as c:
        yield c


def addr(base_url: str) -> tuple[str, int]:
    u = urlsplit(base_url)
    assert u.hostname is not None and u.port is not None
    return u.hostname, u.port


def assert_error_shape(path: str, body: Any) -> None:
    assert isinstance(body, dict), body
    if path == MESSAGES:
        assert body.get("type") == "error", body
        err = body.get("error")
        assert isinstance(err, dict), body
        assert isinstance(err.get("type"), str) and err["type"], body
        assert isinstance(err.get("message"), str) and err["message"], body
    else:
        err = body.get("error")
        assert isinstance(err, dict), body
        assert set(err) == OPENAI_ERROR_KEYS, body
        assert isinstance(err["message"], str) and err["message"], body
        assert isinstance(err["type"], str) and err["type"], body
        assert err["param"] is None or isinstance(err["param"], str), body
        assert err["code"] is None or isinstance(err["code"], str), body


def check(path: str, r: httpx.Response) -> None:
    """The invariant every answer must satisfy, whatever the request was."""
    text = r.text
    assert r.status_code < 500, f"{path} -> {r.status_code}: {text[:500]}"
    assert "Traceback" not in text and 'File "' not in text, text[:500]
    ctype = r.headers.get("content-type", "")
    if r.status_code >= 400:
        assert ctype.startswith("application/json"), (r.status_code, ctype, text[:200])
        assert_error_shape(path, r.json())
    elif ctype.startswith("text/event-stream"):
        assert r.status_code == 200 and text.strip(), text[:200]
        assert "server_error" not in text, text[:500]
    else:
        assert r.status_code == 200, r.status_code
        assert isinstance(r.json(), dict)


def post(http: httpx.Client, path: str, content: bytes, ctype: str = "application/json") -> None:
    r = http.post(path, content=content, headers={"content-type": ctype})
    check(path, r)


def dumps(value: Any) -> bytes:
    # allow_nan (the default) writes NaN / Infinity / -Infinity literals, which
    # Python's json.loads accepts: the validators must reject them, not crash.
    return json.dumps(value).encode()


def healthy(base_url: str) -> None:
    r = httpx.get(base_url + "/healthz", timeout=5)
    assert r.status_code == 200, r.status_code


def tiny(value: Any) -> Any:
    """Make sure a body that might be valid cannot ask for a long generation."""
    if isinstance(value, dict) and "messages" in value and "max_tokens" not in value:
        value = {**value, "max_tokens": 1}
    return value


# --- strategies ------------------------------------------------------------------------

# Hypothesis' text excludes surrogates, so lone ones ("\ud800" escapes) are added.
short_text = st.text(max_size=24) | st.sampled_from(["\ud800", "a\udfffb", "\udc00x"])
huge_ints = st.sampled_from([2**31, 2**63, 2**64 + 1, -(2**63) - 1, 10**30, 10**100])
any_float = st.floats(allow_nan=True, allow_infinity=True)
scalars = st.none() | st.booleans() | st.integers() | huge_ints | any_float | short_text
json_values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(short_text, inner, max_size=4),
    max_leaves=16,
)

roles = st.sampled_from(
    ["user", "assistant", "system", "developer", "tool", "function", "User", "", "bot"]
) | st.sampled_from([None, 1, True, [], {}])
wrong_parts = st.lists(
    st.fixed_dictionaries(
        {"type": st.sampled_from(["text", "image_url", "image", "input_audio", "", 3, None])},
        optional={
            "text": short_text | st.integers() | st.none() | st.lists(short_text, max_size=2),
            "image_url": st.fixed_dictionaries({"url": short_text}) | short_text,
            "source": json_values,
        },
    )
    | json_values,
    max_size=3,
)
contents = (
    short_text
    | st.none()
    | st.integers()
    | huge_ints
    | any_float
    | wrong_parts
    | st.dictionaries(short_text, json_values, max_size=3)
    | st.lists(st.lists(short_text, max_size=2), max_size=2)
)
messages = st.fixed_dictionaries(
    {"role": roles, "content": contents},
    optional={
        "name": short_text | st.integers(),
        "tool_calls": json_values,
        "tool_call_id": short_text | st.integers(),
        "extra": json_values,
    },
)
models = st.sampled_from(
    ["auto", "smollm2-135m-instruct", "no-such-model", "", " "]
) | st.sampled_from([None, 0, [], {"id": "auto"}])
small_tokens = st.sampled_from([1, 2])
bad_tokens = st.sampled_from([0, -1, 10**30, 2**63, 1.5, "1", None, True, [], math.inf])
numbers = any_float | st.integers(-3, 3) | huge_ints | short_text | st.none()

chat_bodies = st.fixed_dictionaries(
    {
        "model": models,
        "messages": st.lists(messages, max_size=3) | json_values,
        "max_tokens": small_tokens | bad_tokens,
    },
    optional={
        "max_completion_tokens": small_tokens | bad_tokens,
        "temperature": numbers,
        "top_p": numbers,
        "n": st.sampled_from([1, 2, 0, -1, 10**30, None, "1"]),
        "seed": st.integers() | huge_ints | any_float | short_text,
        "stop": short_text | st.lists(short_text | st.integers(), max_size=6) | st.integers(),
        "stream": st.booleans() | st.sampled_from([None, 0, "true"]),
        "stream_options": json_values,
        "tools": json_values,
        "response_format": json_values,
        "user": json_values,
    },
)

anthropic_blocks = st.lists(
    st.fixed_dictionaries(
        {"type": st.sampled_from(["text", "image", "tool_use", "tool_result", "thinking", 7])},
        optional={"text": short_text | st.integers(), "source": json_values, "id": short_text},
    )
    | json_values,
    max_size=3,
)
anthropic_bodies = st.fixed_dictionaries(
    {
        "model": models,
        "max_tokens": small_tokens | bad_tokens,
        "messages": st.lists(
            st.fixed_dictionaries(
                {
                    "role": st.sampled_from(["user", "assistant", "system", "tool", 1, None]),
                    "content": short_text | anthropic_blocks | json_values,
                }
            ),
            max_size=3,
        )
        | json_values,
    },
    optional={
        "system": short_text | anthropic_blocks | json_values,
        "temperature": numbers,
        "top_p": numbers,
        "top_k": numbers,
        "stop_sequences": st.lists(short_text | st.integers(), max_size=3) | json_values,
        "stream": st.booleans() | st.sampled_from([None, 1, "yes"]),
        "tools": json_values,
        "tool_choice": json_values,
        "metadata": json_values,
    },
)

invalid_utf8 = st.sampled_from(
    [b"\xff", b"\xc3\x28", b"\xe2\x28\xa1", b"\xf0\x90\x28\xbc", b"\xed\xa0\x80", b"\xc0\xaf"]
)


# --- fuzzed bodies ---------------------------------------------------------------------


@pytest.mark.parametrize("path", ENDPOINTS)
@FUZZ
@given(value=json_values)
def test_arbitrary_json_values(http: httpx.Client, path: str, value: Any) -> None:
    post(http, path, dumps(tiny(value)))


@pytest.mark.parametrize("path", ENDPOINTS)
@FUZZ
@given(raw=st.binary(max_size=256))
def test_arbitrary_bytes(http: httpx.Client, path: str, raw: bytes) -> None:
    post(http, path, raw)


@pytest.mark.parametrize("path", ENDPOINTS)
@hsettings(FUZZ, max_examples=60)
@given(body=chat_bodies)
def test_structured_but_wrong_chat_bodies(http: httpx.Client, path: str, body: Any) -> None:
    post(http, path, dumps(body))


@hsettings(FUZZ, max_examples=60)
@given(body=anthropic_bodies)
def test_structured_but_wrong_anthropic_bodies(http: httpx.Client, body: Any) -> None:
    post(http, MESSAGES, dumps(body))


@pytest.mark.parametrize("path", ENDPOINTS)
@FUZZ
@given(prefix=short_text, bad=invalid_utf8, suffix=short_text)
def test_invalid_utf8_inside_a_json_string(
    http: httpx.Client, path: str, prefix: str, bad: bytes, suffix: str
) -> None:
    head = b'{"model":"auto","max_tokens":1,"messages":[{"role":"user","content":"'
    body = head + json.dumps(prefix)[1:-1].encode() + bad + json.dumps(suffix)[1:-1].encode()
    r = http.post(path, content=body + b'"}]}', headers={"content-type": "application/json"})
    check(path, r)
    assert r.status_code == 400


@pytest.mark.parametrize("path", [CHAT, MESSAGES])
@FUZZ
@given(
    ctype=st.sampled_from(
        [
            "text/plain",
            "application/x-www-form-urlencoded",
            "multipart/form-data; boundary=xyz",
            "application/xml",
            "application/octet-stream",
            "text/html; charset=utf-8",
            "",
        ]
    )
    | st.text(st.characters(min_codepoint=0x21, max_codepoint=0x7E), max_size=30).filter(
        lambda s: "json" not in s.split(";")[0].lower()
    )
)
def test_wrong_content_type_is_400(http: httpx.Client, path: str, ctype: str) -> None:
    body = {"model": "auto", "max_tokens": 1, "messages": [{"role": "user", "content": "hi"}]}
    r = http.post(path, content=dumps(body), headers={"content-type": ctype})
    check(path, r)
    assert r.status_code == 400


# --- nesting, sizes --------------------------------------------------------------------


def _wrap(inner: bytes) -> bytes:
    return b'{"model":"auto","max_tokens":1,"messages":[{"role":"user","content":"hi"}],"x":' + (
        inner + b"}"
    )


DEEP = 100_000
NESTED_CASES = {
    "arrays-100k": b"[" * DEEP + b"]" * DEEP,
    "arrays-100k-unclosed": b"[" * DEEP,
    "objects-100k": b'{"a":' * DEEP + b"1" + b"}" * DEEP,
    "arrays-100k-in-field": _wrap(b"[" * DEEP + b"]" * DEEP),
    "arrays-100k-in-content": (
        b'{"model":"auto","max_tokens":1,"messages":[{"role":"user","content":'
        + b"[" * DEEP
        + b"]" * DEEP
        + b"}]}"
    ),
    # Just under the parser's recursion limit: parses, then must survive validation,
    # scanning and the policy walk.
    "arrays-800-in-field": _wrap(b"[" * 800 + b"]" * 800),
    "objects-800-in-part": (
        b'{"model":"auto","max_tokens":1,"messages":[{"role":"user","content":'
        b'[{"type":"text","text":"hi","x":' + b'{"a":' * 800 + b"1" + b"}" * 800 + b"}]}]}"
    ),
    "wide-100k-array": _wrap(b"[" + b"0," * 100_000 + b"0]"),
    "many-keys": _wrap(b"{" + b",".join(b'"k%d":%d' % (i, i) for i in range(20_000)) + b"}"),
    "long-model-name": dumps(
        {"model": "m" * 200_000, "max_tokens": 1, "messages": [{"role": "user", "content": "x"}]}
    ),
}


@pytest.mark.parametrize("path", ENDPOINTS)
@pytest.mark.parametrize("case", list(NESTED_CASES))
def test_deep_and_wide_bodies(http: httpx.Client, base_url: str, path: str, case: str) -> None:
    r = http.post(path, content=NESTED_CASES[case], headers={"content-type": "application/json"})
    check(path, r)
    healthy(base_url)


def _over(settings: Settings) -> int:
    return settings.server.max_body_bytes + 1


@pytest.mark.parametrize("path", [CHAT, MESSAGES])
def test_oversize_body_with_content_length_is_413(
    http: httpx.Client, settings: Settings, path: str
) -> None:
    r = http.post(
        path, content=b"{" + b" " * _over(settings), headers={"content-type": "application/json"}
    )
    check(path, r)
    assert r.status_code == 413


@pytest.mark.parametrize("path", [CHAT, MESSAGES])
def test_oversize_chunked_body_is_413(http: httpx.Client, settings: Settings, path: str) -> None:
    total = _over(settings)

    def chunks() -> Iterator[bytes]:
        sent = 0
        while sent < total:
            n = min(65_536, total - sent)
            sent += n
            yield b" " * n

    r = http.post(path, content=chunks(), headers={"content-type": "application/json"})
    assert "content-length" not in r.request.headers
    check(path, r)
    assert r.status_code == 413


def test_oversize_route_body_is_refused(http: httpx.Client, settings: Settings) -> None:
    r = http.post(
        ROUTE, content=b"{" + b" " * _over(settings), headers={"content-type": "application/json"}
    )
    check(ROUTE, r)
    assert r.status_code == 413
    assert r.json()["error"]["code"] == "request_too_large"


@pytest.mark.parametrize("path", [CHAT, MESSAGES])
def test_huge_declared_length_is_refused_before_the_body(base_url: str, path: str) -> None:
    """A Content-Length of a terabyte is refused up front, without waiting for bytes."""
    status, body = raw_exchange(
        base_url,
        f"POST {path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        f"Content-Length: {10**12}\r\nConnection: close\r\n\r\n".encode(),
        timeout=10,
    )
    assert status == 413, (status, body[:200])
    healthy(base_url)


# --- broken HTTP and misbehaving clients ----------------------------------------------


def raw_exchange(base_url: str, data: bytes, *, timeout: float) -> tuple[int | None, bytes]:
    """Send raw bytes and read one answer (or until the server closes the connection);
    returns (status or None, the bytes read)."""
    out = bytearray()
    with socket.create_connection(addr(base_url), timeout=timeout) as s:
        try:
            s.sendall(data)
            while not _complete(out) and (chunk := s.recv(65_536)):
                out += chunk
        except (ConnectionResetError, BrokenPipeError):
            pass  # the server may close on us mid-send: allowed, as long as it survives
    status = None
    if out.startswith(b"HTTP/1.1 "):
        status = int(out[9:12])
    return status, bytes(out)


def _complete(answer: bytearray) -> bool:
    head, sep, body = bytes(answer).partition(b"\r\n\r\n")
    if not sep:
        return False
    m = re.search(rb"(?im)^content-length:\s*(\d+)\s*$", head)
    return m is not None and len(body) >= int(m.group(1))


def _headers_request(path: str, extra: bytes) -> bytes:
    body = dumps(
        {"model": "auto", "max_tokens": 1, "messages": [{"role": "user", "content": "hi"}]}
    )
    return (
        f"POST {path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n".encode()
        + extra
        + f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n".encode()
        + body
    )


# (extra header bytes, the one right answer): heads past server.max_header_bytes (32 KiB)
# or server.max_headers (100) get 431, malformed ones uvicorn's 400.
HEADER_CASES = {
    "one-64k-header": (b"X-Big: " + b"a" * 65_536 + b"\r\n", 431),
    "one-1m-header": (b"X-Big: " + b"a" * 1_048_576 + b"\r\n", 431),
    "2000-headers": (b"".join(b"X-H%d: v\r\n" % i for i in range(2000)), 431),
    "64k-authorization": (b"Authorization: Bearer " + b"k" * 65_536 + b"\r\n", 431),
    "64k-header-name": (b"X-" + b"n" * 65_536 + b": v\r\n", 431),
    "garbage-header": (b"\x00\x01\x02: \xff\xfe\r\n", 400),
    "no-colon": (b"this is not a header\r\n", 400),
}


@pytest.mark.parametrize("path", [CHAT, MESSAGES])
@pytest.mark.parametrize("case", list(HEADER_CASES))
def test_huge_and_broken_headers(base_url: str, path: str, case: str) -> None:
    """The HTTP layer refuses these before the app with one fixed status, and the daemon
    keeps serving. A 431 is a JSON error in the door's shape."""
    extra, expected = HEADER_CASES[case]
    status, answer = raw_exchange(base_url, _headers_request(path, extra), timeout=20)
    assert status == expected, (status, answer[:300])
    assert b"Traceback" not in answer
    if expected == 431:
        body = json.loads(answer.partition(b"\r\n\r\n")[2])
        assert_error_shape(path, body)
    healthy(base_url)


POST_HEAD = b"POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\n"


@pytest.mark.parametrize(
    ("request_line", "expected"),
    [
        (b"GARBAGE\r\n\r\n", 400),
        (b"POST /v1/chat/completions HTTP/9.9\r\nHost: x\r\n\r\n", 400),
        (POST_HEAD + b"Content-Length: -5\r\n\r\n", 400),
        (POST_HEAD + b"Content-Length: abc\r\n\r\n", 400),
        (POST_HEAD + b"Transfer-Encoding: chunked\r\n\r\nzz\r\n", 400),
        (b"POST /" + b"a" * 70_000 + b" HTTP/1.1\r\nHost: x\r\n\r\n", 414),
        (b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03" + bytes(64), 400),  # TLS hello
    ],
    ids=[
        "garbage",
        "bad-version",
        "negative-length",
        "alpha-length",
        "bad-chunk",
        "long-uri",
        "tls",
    ],
)
def test_malformed_http(base_url: str, request_line: bytes, expected: int) -> None:
    status, answer = raw_exchange(base_url, request_line, timeout=20)
    assert status == expected, (status, answer[:300])
    healthy(base_url)


@pytest.mark.parametrize("path", [CHAT, MESSAGES])
def test_slow_trickle_body_still_gets_an_answer(base_url: str, path: str) -> None:
    """A body sent a few bytes at a time is read to the end and answered."""
    body = dumps(
        {"model": "auto", "max_tokens": 1, "messages": [{"role": "user", "content": "hi"}]}
    )
    head = (
        f"POST {path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
    ).encode()
    out = bytearray()
    with socket.create_connection(addr(base_url), timeout=30) as s:
        s.sendall(head)
        for i in range(0, len(body), 8):
            s.sendall(body[i : i + 8])
            time.sleep(0.01)
        while chunk := s.recv(65_536):
            out += chunk
    assert out.startswith(b"HTTP/1.1 200"), bytes(out[:300])


def test_stalled_client_does_not_block_others(base_url: str) -> None:
    """Several clients send half a body and stall: other requests are still served
    promptly while they hang, and the server survives them leaving."""
    body = dumps(
        {"model": "auto", "max_tokens": 1, "messages": [{"role": "user", "content": "hi"}]}
    )
    socks = []
    try:
        for path in (CHAT, MESSAGES, ROUTE) * 4:
            s = socket.create_connection(addr(base_url), timeout=10)
            s.sendall(
                f"POST {path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                f"Content-Length: {len(body)}\r\n\r\n".encode()
                + body[: len(body) // 2]
            )
            socks.append(s)
        deadline = time.monotonic() + 1.5
        while time.monotonic() < deadline:
            t0 = time.monotonic()
            healthy(base_url)
            r = httpx.post(
                base_url + ROUTE,
                json={"model": "auto", "messages": [{"role": "user", "content": "hi"}]},
                timeout=5,
            )
            check(ROUTE, r)
            assert time.monotonic() - t0 < 5.0  # generous: the CI box may be busy
            time.sleep(0.1)
    finally:
        for s in socks:
            s.close()
    healthy(base_url)


@pytest.mark.parametrize("path", ENDPOINTS)
def test_client_disconnects_mid_body(base_url: str, path: str) -> None:
    body = dumps(
        {"model": "auto", "max_tokens": 1, "messages": [{"role": "user", "content": "hi"}]}
    )
    for cut in (0, 1, len(body) // 2, len(body) - 1):
        with socket.create_connection(addr(base_url), timeout=10) as s:
            s.sendall(
                f"POST {path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                f"Content-Length: {len(body)}\r\n\r\n".encode()
                + body[:cut]
            )
            # An RST instead of a FIN for half of them: SO_LINGER with a zero timeout.
            if cut % 2:
                s.setsockopt(
                    socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00"
                )
    healthy(base_url)


def _in_flight(base_url: str) -> float:
    text = httpx.get(base_url + "/metrics", timeout=5).text
    for line in text.splitlines():
        if line.startswith("edge_router_local_in_flight "):
            return float(line.split()[1])
    raise AssertionError("edge_router_local_in_flight not exported")


def test_client_disconnects_mid_stream(base_url: str) -> None:
    """Leaving a streaming answer after the first event frees the model again."""
    body = {
        "model": "auto",
        "max_tokens": 256,
        "stream": True,
        "messages": [{"role": "user", "content": "Write a long story about a lighthouse."}],
    }
    for _ in range(3):
        with httpx.stream("POST", base_url + CHAT, json=body, timeout=30) as r:
            assert r.status_code == 200
            for line in r.iter_lines():
                if line.startswith("data: {"):
                    break
    deadline = time.monotonic() + 10
    while _in_flight(base_url) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert _in_flight(base_url) == 0
    healthy(base_url)


# --- memory ----------------------------------------------------------------------------


def _bad_requests(http: httpx.Client, settings: Settings, rounds: int) -> int:
    """A mix of refused requests that all make the server buffer or parse something."""
    limit = settings.server.max_body_bytes
    big_chunk = b" " * 65_536

    def oversize() -> Iterator[bytes]:
        for _ in range(limit // len(big_chunk) + 1):
            yield big_chunk

    bad_utf8 = b'{"messages":"' + b"\xff" * (limit // 2) + b'"}'
    deep = b"[" * DEEP + b"]" * DEEP
    wrong = dumps({"model": "auto", "max_tokens": 1, "messages": [{"role": 7, "content": [[1]]}]})
    n = 0
    for i in range(rounds):
        for path in ENDPOINTS:
            if path != ROUTE:
                # Chunked, so the server really buffers ~max_body_bytes before its 413.
                r = http.post(
                    path, content=oversize(), headers={"content-type": "application/json"}
                )
                assert r.status_code == 413
                r = http.post(path, content=wrong, headers={"content-type": "text/plain"})
                assert r.status_code == 400
            for content in (bad_utf8, deep, wrong, b"{" * (i + 1)):
                r = http.post(path, content=content, headers={"content-type": "application/json"})
                # /v1/route decides without validating: the wrong-role body is a 200 there.
                assert r.status_code < 500 if path == ROUTE else 400 <= r.status_code < 500
            n += 6 if path != ROUTE else 4
    return n


def test_rss_does_not_grow_with_bad_requests(http: httpx.Client, settings: Settings) -> None:
    """512 refused requests carrying ~130 MiB of bodies leave the process's resident
    memory within 50 MB of where it was.

    The daemon runs in this process (a uvicorn thread), so this process's RSS is the
    server's. A first pass warms everything that grows once (allocator arenas, glibc's
    adaptive mmap threshold, lazily built validators, the connection pool) so that the
    measured pass sees steady state: there, growth without a leak measured 0-1 MB.
    The measured pass streams 64 oversize bodies buffered up to the 1 MiB limit, 96
    half-MiB invalid-UTF-8 bodies and 96 100k-deep arrays through the server; a server
    that kept just half of every body it read grew 72 MB in the same test (checked
    by hand with a patched ``Request.stream``). So 50 MB sits far above the noise and
    well below a per-request leak of request data: meaningful, and not flaky.
    """
    proc = psutil.Process()
    _bad_requests(http, settings, rounds=8)
    gc.collect()
    before = proc.memory_info().rss
    sent = _bad_requests(http, settings, rounds=32)
    gc.collect()
    after = proc.memory_info().rss
    growth_mb = (after - before) / 2**20
    assert sent >= 300
    assert growth_mb < 50, f"RSS grew {growth_mb:.1f} MB over {sent} bad requests"


def test_still_serving_after_everything(http: httpx.Client, base_url: str) -> None:
    healthy(base_url)
    r = http.post(
        CHAT,
        json={"model": "auto", "max_tokens": 2, "messages": [{"role": "user", "content": "hi"}]},
    )
    assert r.status_code == 200
    assert r.json()["choices"][0]["message"]["role"] == "assistant"
