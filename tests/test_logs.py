from __future__ import annotations

import asyncio
import json
import logging
import threading
import time
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from serving import serve
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response, StreamingResponse
from starlette.routing import Route

from edge_router.api.access_log import AccessLog
from edge_router.record.logs import JsonFormatter


def _fmt(name: str, msg: str, **extra: object) -> dict[str, object]:
    rec = logging.LogRecord(name, logging.WARNING, __file__, 1, msg, None, None)
    for k, v in extra.items():
        setattr(rec, k, v)
    out: dict[str, object] = json.loads(JsonFormatter().format(rec))
    return out


def test_own_messages_and_fields_pass_through() -> None:
    out = _fmt("edge_router.flow.dispatch", "cloud attempt failed", fields={"provider": "p1"})
    assert out["msg"] == "cloud attempt failed" and out["provider"] == "p1"
    assert out["level"] == "warning"


def test_third_party_text_is_withheld() -> None:
    out = _fmt("presidio-analyzer", "Context list is: call jane@example.com", fields={"x": 1})
    assert "jane" not in json.dumps(out)
    assert "x" not in out and str(out["msg"]).startswith("message withheld")


def test_exception_logged_by_type_only() -> None:
    try:
        raise ValueError("secret value 4111 1111 1111 1111")
    except ValueError:
        import sys

        rec = logging.LogRecord(
            "edge_router.x", logging.ERROR, __file__, 1, "boom", None, sys.exc_info()
        )
    out = json.loads(JsonFormatter().format(rec))
    assert out["exc_type"] == "ValueError" and "4111" not in json.dumps(out)


# --- the access log (a real server on loopback, a tiny app behind the middleware) -------


def _app(enabled: bool = True, gate: threading.Event | None = None) -> Starlette:
    async def chat(request: Request) -> Response:
        headers = {"x-request-id": "chatcmpl-1", "x-edge-router-route": "local"}
        return JSONResponse({"ok": True}, headers={**headers, "x-edge-router-rule": "r1"})

    async def item(request: Request) -> Response:
        return PlainTextResponse("item")

    async def stream(request: Request) -> Response:
        async def body() -> AsyncIterator[bytes]:
            n = int(request.query_params.get("n", "3"))
            for i in range(n):
                yield f"chunk {i}\n".encode()
                if i == 0 and gate is not None:
                    await asyncio.to_thread(gate.wait, 30)  # the test says when to go on
                await asyncio.sleep(0.01)

        return StreamingResponse(body(), headers={"x-edge-router-route": "cloud"})

    return Starlette(
        routes=[
            Route("/v1/chat/completions", chat, methods=["POST"]),
            Route("/items/{item_id}", item),
            Route("/stream", stream),
        ],
        middleware=[Middleware(AccessLog, enabled=enabled)],
    )


def _access(caplog: pytest.LogCaptureFixture, count: int) -> list[dict[str, Any]]:
    """The access lines (their fields), waiting for the server thread to write them."""
    deadline = time.monotonic() + 30
    while True:
        found = [
            dict(getattr(r, "fields", {}), msg=r.getMessage())
            for r in caplog.records
            if r.name == "edge_router.access"
        ]
        if len(found) >= count or time.monotonic() > deadline:
            return found
        time.sleep(0.02)


def test_access_log_one_line_per_request_without_content(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="edge_router.access")
    with serve(_app()) as url:
        chat = httpx.post(url + "/v1/chat/completions?secret=jane.doe@example.org", json={"a": 1})
        item = httpx.get(url + "/items/Jane.Doe@example.org")
        missing = httpx.get(url + "/v1/responses/Jane.Doe@example.org")
        lines = _access(caplog, 3)
    assert len(lines) == 3
    by_path = {line["path"]: line for line in lines}
    first = by_path["/v1/chat/completions"]
    assert (first["method"], first["status"], first["route"], first["rule"]) == (
        "POST",
        200,
        "local",
        "r1",
    )
    assert first["request_id"] == chat.headers["x-request-id"] == "chatcmpl-1"
    assert isinstance(first["latency_ms"], float) and first["latency_ms"] >= 0
    assert first["msg"] == "POST /v1/chat/completions 200"
    # Route templates, never the values in a path; unmatched paths keep API words only.
    assert by_path["/items/{item_id}"]["status"] == 200
    assert by_path["/v1/responses/*"]["status"] == 404
    for resp, line in ((item, by_path["/items/{item_id}"]), (missing, by_path["/v1/responses/*"])):
        assert resp.headers["x-request-id"] == line["request_id"]
        assert line["request_id"].startswith("req-") and line["route"] == "-"
    text = json.dumps(lines)
    assert "jane" not in text.lower() and "secret" not in text


def test_access_log_waits_for_the_end_of_a_stream(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="edge_router.access")
    gate = threading.Event()
    with serve(_app(gate=gate)) as url:
        with httpx.stream("GET", url + "/stream?n=3") as r:
            chunks = r.iter_bytes()
            first = next(chunks)
            assert _access(caplog, 0) == []  # the stream has begun, not ended: no line yet
            gate.set()
            body = first + b"".join(chunks)
        (line,) = _access(caplog, 1)
        assert body.count(b"chunk") == 3
        assert (line["status"], line["route"], line["path"]) == (200, "cloud", "/stream")
        assert "complete" not in line
        # A client that leaves mid-stream: logged once the app notices, marked incomplete.
        with httpx.stream("GET", url + "/stream?n=1000") as r:
            next(r.iter_bytes())
        lines = _access(caplog, 2)
    assert len(lines) == 2 and lines[1]["complete"] is False and lines[1]["status"] == 200


def test_access_log_can_be_turned_off(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="edge_router.access")
    with serve(_app(enabled=False)) as url:
        r = httpx.post(url + "/v1/chat/completions", json={})
        assert r.status_code == 200
        httpx.get(url + "/items/1")
    assert [rec for rec in caplog.records if rec.name == "edge_router.access"] == []
