"""A fake upstream LLM provider speaking the real OpenAI and Anthropic wire protocols.

``POST /v1/chat/completions`` (OpenAI) and ``POST /v1/messages`` (Anthropic),
streaming and not. The reply ECHOES the last user message text, so a test can
see exactly what the provider received (redaction round trips); when the
request has tools and that text mentions "tool", the reply is a call of the
first tool with ``{"text": <that text>}``. Every request body is RECORDED.

Faults are injected through :class:`FakeControl`, a plain thread-safe object
the test mutates while the app runs on a real port (``tests/serving.py``)::

    app, control = make_fake_provider()
    with serve(app) as url:
        control.fail_next(2, status=500)
        control.drop_after_chunks = 3
        ...
        assert control.received[-1]["messages"][-1]["content"] == "hi"
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
import threading
import time
from collections import deque
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from edge_router.backends.settings import ProviderSettings

OPENAI_ERROR_TYPES = {
    400: "invalid_request_error",
    401: "invalid_request_error",
    429: "rate_limit_exceeded",
}
ANTHROPIC_ERROR_TYPES = {
    400: "invalid_request_error",
    401: "authentication_error",
    403: "permission_error",
    404: "not_found_error",
    429: "rate_limit_error",
    500: "api_error",
    529: "overloaded_error",
}


@dataclass(frozen=True)
class Fault:
    """One queued misbehaviour, consumed by the next request."""

    kind: str  # "status" | "malformed" | "wrong_content_type"
    status: int = 500
    retry_after: str | None = None
    message: str | None = None


class FakeControl:
    """Knobs and records of one fake provider; safe to use from the test thread."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._faults: deque[Fault] = deque()
        self._counter = 0
        self.received: list[dict[str, Any]] = []
        """Every JSON request body, in arrival order (faulted requests included)."""
        self.received_headers: list[dict[str, str]] = []
        self.paths: list[str] = []
        self.first_byte_delay_s = 0.0
        """Sleep before the status line of every response."""
        self.chunk_delay_s = 0.0
        """Sleep between streamed events."""
        self.drop_after_chunks: int | None = None
        """Streams: close the connection (no terminator) after this many events."""
        self.stream_error_after: int | None = None
        """Streams: send the protocol's in-stream error event after this many events."""
        self.down = False
        """Answer everything like a load balancer whose backend is gone (503, HTML)."""
        self.require_key: str | None = None
        """When set, requests without this key (Bearer / x-api-key) get 401."""
        self.inject: tuple[str, ...] = ()
        """Text the provider adds on its own after the echo (a value that was never in
        the request), streamed one piece per event exactly as cut here; in a tool call,
        appended to the ``text`` argument."""
        self.answer_model: str | None = None
        """The model id answers carry instead of the one requested (a provider serving
        another version than the pinned one)."""

    # -- fault queue ---------------------------------------------------------------
    def _queue(self, n: int, fault: Fault) -> None:
        with self._lock:
            self._faults.extend([fault] * n)

    def fail_next(
        self,
        n: int = 1,
        status: int = 500,
        *,
        retry_after: str | None = None,
        message: str | None = None,
    ) -> None:
        """The next ``n`` requests get ``status`` with a protocol-shaped error body."""
        self._queue(n, Fault("status", status, retry_after, message))

    def rate_limit_next(self, n: int = 1, retry_after: str | None = "1") -> None:
        self.fail_next(n, 429, retry_after=retry_after, message="Rate limit reached.")

    def malformed_next(self, n: int = 1) -> None:
        """200 with a JSON content type but a body (or first event) that is not JSON."""
        self._queue(n, Fault("malformed"))

    def wrong_content_type_next(self, n: int = 1) -> None:
        """200 with an HTML page, as a captive portal or misrouted proxy sends."""
        self._queue(n, Fault("wrong_content_type"))

    def reset(self) -> None:
        with self._lock:
            self._faults.clear()
            self.received.clear()
            self.received_headers.clear()
            self.paths.clear()
        self.first_byte_delay_s = self.chunk_delay_s = 0.0
        self.drop_after_chunks = self.stream_error_after = self.require_key = None
        self.down = False
        self.inject = ()
        self.answer_model = None

    @property
    def request_count(self) -> int:
        with self._lock:
            return len(self.received)

    def _record(
        self, path: str, body: dict[str, Any], headers: dict[str, str]
    ) -> tuple[int, Fault | None]:
        with self._lock:
            self.received.append(body)
            self.received_headers.append(headers)
            self.paths.append(path)
            self._counter += 1
            return self._counter, (self._faults.popleft() if self._faults else None)


# --- what to answer ----------------------------------------------------------------------


def _text(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        out = []
        for part in content:
            if not isinstance(part, dict):
                continue
            if part.get("type") == "text":
                out.append(str(part.get("text", "")))
            elif part.get("type") == "tool_result":
                out.append(_text(part.get("content")))
        return "".join(out)
    return ""


@dataclass
class Reply:
    text: str
    tool: dict[str, Any] | None  # {"id", "name", "arguments": dict}
    finish: str  # OpenAI finish reason: stop | length | tool_calls
    stop_sequence: str | None
    prompt_tokens: int
    completion_tokens: int


def _words(text: str) -> list[str]:
    return re.findall(r"\S+\s*|\s+", text)


def _pieces(control: FakeControl, text: str) -> list[str]:
    """Streamed text deltas: the echo word by word, then the injected pieces as cut."""
    injected = "".join(control.inject)
    if injected and text.endswith(injected):
        return _words(text[: len(text) - len(injected)]) + list(control.inject)
    return _words(text)


def _reply(
    messages: list[Any], tool_names: list[str], max_tokens: Any, stops: list[str], tool_id: str
) -> Reply:
    last = messages[-1] if messages and isinstance(messages[-1], dict) else {}
    text = _text(last.get("content"))
    prompt_tokens = sum(
        len(_text(m.get("content")).split()) for m in messages if isinstance(m, dict)
    )
    if (
        tool_names
        and last.get("role") == "user"
        and "tool" in text.lower()
        and not _has_tool_result(last)
    ):
        tool = {"id": tool_id, "name": tool_names[0], "arguments": {"text": text}}
        return Reply("", tool, "tool_calls", None, prompt_tokens, 8)
    finish, stop_seq = "stop", None
    for s in stops:
        if s and s in text:
            text, stop_seq = text[: text.index(s)], s
            break
    words = _words(text)
    if isinstance(max_tokens, int) and len(words) > max_tokens:
        words, finish, stop_seq = words[:max_tokens], "length", None
    return Reply("".join(words), None, finish, stop_seq, prompt_tokens, len(words))


def _has_tool_result(message: dict[str, Any]) -> bool:
    content = message.get("content")
    return isinstance(content, list) and any(
        isinstance(p, dict) and p.get("type") == "tool_result" for p in content
    )


def _stops(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    return [s for s in value or [] if isinstance(s, str)]


# --- wire helpers --------------------------------------------------------------------------


class RawStream:
    """An ASGI response that can end without the chunked terminator (a dropped connection)."""

    def __init__(
        self, frames: AsyncIterator[bytes], *, delay: float, drop_after: int | None
    ) -> None:
        self.frames = frames
        self.delay = delay
        self.drop_after = drop_after

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        gone = asyncio.Event()

        async def watch() -> None:
            # The request body was read already, so the next message is the disconnect.
            while (await receive())["type"] != "http.disconnect":
                pass
            gone.set()

        watcher = asyncio.create_task(watch())
        try:
            await self._send(send, gone)
        finally:
            watcher.cancel()

    async def _send(self, send: Any, gone: asyncio.Event) -> None:
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [
                    (b"content-type", b"text/event-stream; charset=utf-8"),
                    (b"cache-control", b"no-cache"),
                ],
            }
        )
        sent = 0
        async for frame in self.frames:
            if self.drop_after is not None and sent >= self.drop_after:
                return  # uvicorn closes the socket: the client sees an incomplete body
            if sent and self.delay:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(gone.wait(), self.delay)
            if gone.is_set():
                return  # the client left (e.g. its read timeout): stop, like a real server
            await send({"type": "http.response.body", "body": frame, "more_body": True})
            sent += 1
        await send({"type": "http.response.body", "body": b"", "more_body": False})


def _sse(data: Any, event: str | None = None) -> bytes:
    head = f"event: {event}\n" if event else ""
    payload = data if isinstance(data, str) else json.dumps(data)
    return f"{head}data: {payload}\n\n".encode()


async def _read_json(request: Request) -> dict[str, Any] | None:
    try:
        body = json.loads(await request.body())
    except ValueError:
        return None
    return body if isinstance(body, dict) else None


def _down() -> Response:
    return Response(
        "<html><body><h1>503 Service Unavailable</h1></body></html>", 503, media_type="text/html"
    )


def _wrong_type() -> Response:
    return Response("<html><body>Welcome to the proxy</body></html>", 200, media_type="text/html")


# --- OpenAI ----------------------------------------------------------------------------------


def _openai_error(status: int, message: str, retry_after: str | None = None) -> Response:
    error_type = OPENAI_ERROR_TYPES.get(
        status, "server_error" if status >= 500 else "invalid_request_error"
    )
    headers = {"retry-after": retry_after} if retry_after is not None else None
    body = {"error": {"message": message, "type": error_type, "param": None, "code": None}}
    return JSONResponse(body, status, headers=headers)


async def _openai_frames(
    control: FakeControl, body: dict[str, Any], r: Reply, cid: str
) -> AsyncIterator[bytes]:
    model = body.get("model")
    created = int(time.time())
    usage_opt = bool((body.get("stream_options") or {}).get("include_usage"))

    def chunk(delta: dict[str, Any], finish: str | None = None) -> dict[str, Any]:
        c: dict[str, Any] = {
            "id": cid,
            "object": "chat.completion.chunk",
            "created": created,
            "model": model,
            "system_fingerprint": "fp_fake",
            "choices": [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}],
        }
        if usage_opt:
            c["usage"] = None
        return c

    frames = [_sse(chunk({"role": "assistant", "content": "", "refusal": None}))]
    for word in _pieces(control, r.text):
        frames.append(_sse(chunk({"content": word})))
    if r.tool:
        args = json.dumps(r.tool["arguments"])
        half = len(args) // 2
        call = {
            "index": 0,
            "id": r.tool["id"],
            "type": "function",
            "function": {"name": r.tool["name"], "arguments": ""},
        }
        frames.append(_sse(chunk({"tool_calls": [call]})))
        for part in (args[:half], args[half:]):
            frames.append(
                _sse(chunk({"tool_calls": [{"index": 0, "function": {"arguments": part}}]}))
            )
    frames.append(_sse(chunk({}, r.finish)))
    if usage_opt:
        final = chunk({})
        final["choices"] = []
        final["usage"] = _openai_usage(r)
        frames.append(_sse(final))
    frames.append(b"data: [DONE]\n\n")
    for i, frame in enumerate(frames):
        if control.stream_error_after is not None and i == control.stream_error_after:
            yield _sse(
                {
                    "error": {
                        "message": "The server had an error while processing your request.",
                        "type": "server_error",
                        "param": None,
                        "code": None,
                    }
                }
            )
            return
        yield frame


def _openai_usage(r: Reply) -> dict[str, int]:
    return {
        "prompt_tokens": r.prompt_tokens,
        "completion_tokens": r.completion_tokens,
        "total_tokens": r.prompt_tokens + r.completion_tokens,
    }


def _openai_completion(body: dict[str, Any], r: Reply, cid: str) -> dict[str, Any]:
    message: dict[str, Any] = {
        "role": "assistant",
        "content": r.text if not r.tool else None,
        "refusal": None,
    }
    if r.tool:
        message["tool_calls"] = [
            {
                "id": r.tool["id"],
                "type": "function",
                "function": {"name": r.tool["name"], "arguments": json.dumps(r.tool["arguments"])},
            }
        ]
    return {
        "id": cid,
        "object": "chat.completion",
        "created": int(time.time()),
        "model": body.get("model"),
        "system_fingerprint": "fp_fake",
        "choices": [{"index": 0, "message": message, "logprobs": None, "finish_reason": r.finish}],
        "usage": _openai_usage(r),
    }


# --- Anthropic -----------------------------------------------------------------------------


def _anthropic_error(status: int, message: str, retry_after: str | None = None) -> Response:
    error_type = ANTHROPIC_ERROR_TYPES.get(
        status, "api_error" if status >= 500 else "invalid_request_error"
    )
    headers = {"retry-after": retry_after} if retry_after is not None else None
    body = {"type": "error", "error": {"type": error_type, "message": message}}
    return JSONResponse(body, status, headers=headers)


_STOP_REASON = {"stop": "end_turn", "length": "max_tokens", "tool_calls": "tool_use"}


def _stop_reason(r: Reply) -> str:
    return "stop_sequence" if r.stop_sequence else _STOP_REASON[r.finish]


def _anthropic_usage(r: Reply) -> dict[str, int]:
    return {
        "input_tokens": r.prompt_tokens,
        "output_tokens": r.completion_tokens,
        "cache_creation_input_tokens": 0,
        "cache_read_input_tokens": 0,
    }


def _anthropic_message(body: dict[str, Any], r: Reply, mid: str) -> dict[str, Any]:
    content: list[dict[str, Any]] = []
    if r.text or not r.tool:
        content.append({"type": "text", "text": r.text})
    if r.tool:
        content.append(
            {
                "type": "tool_use",
                "id": r.tool["id"],
                "name": r.tool["name"],
                "input": r.tool["arguments"],
            }
        )
    return {
        "id": mid,
        "type": "message",
        "role": "assistant",
        "model": body.get("model"),
        "content": content,
        "stop_reason": _stop_reason(r),
        "stop_sequence": r.stop_sequence,
        "usage": _anthropic_usage(r),
    }


async def _anthropic_frames(
    control: FakeControl, body: dict[str, Any], r: Reply, mid: str
) -> AsyncIterator[bytes]:
    start = _anthropic_message(body, r, mid)
    start.update(content=[], stop_reason=None, stop_sequence=None)
    start["usage"] = {**_anthropic_usage(r), "output_tokens": 1}
    frames = [
        _sse({"type": "message_start", "message": start}, "message_start"),
        _sse({"type": "ping"}, "ping"),
    ]
    index = 0
    if r.text or not r.tool:
        frames.append(
            _sse(
                {
                    "type": "content_block_start",
                    "index": 0,
                    "content_block": {"type": "text", "text": ""},
                },
                "content_block_start",
            )
        )
        for word in _pieces(control, r.text):
            delta = {
                "type": "content_block_delta",
                "index": 0,
                "delta": {"type": "text_delta", "text": word},
            }
            frames.append(_sse(delta, "content_block_delta"))
        frames.append(_sse({"type": "content_block_stop", "index": 0}, "content_block_stop"))
        index = 1
    if r.tool:
        block = {"type": "tool_use", "id": r.tool["id"], "name": r.tool["name"], "input": {}}
        frames.append(
            _sse(
                {"type": "content_block_start", "index": index, "content_block": block},
                "content_block_start",
            )
        )
        args = json.dumps(r.tool["arguments"])
        half = len(args) // 2
        for part in (args[:half], args[half:]):
            delta = {
                "type": "content_block_delta",
                "index": index,
                "delta": {"type": "input_json_delta", "partial_json": part},
            }
            frames.append(_sse(delta, "content_block_delta"))
        frames.append(_sse({"type": "content_block_stop", "index": index}, "content_block_stop"))
    message_delta = {
        "type": "message_delta",
        "delta": {"stop_reason": _stop_reason(r), "stop_sequence": r.stop_sequence},
        "usage": {"output_tokens": r.completion_tokens},
    }
    frames.append(_sse(message_delta, "message_delta"))
    frames.append(_sse({"type": "message_stop"}, "message_stop"))
    for i, frame in enumerate(frames):
        if control.stream_error_after is not None and i == control.stream_error_after:
            yield _sse(
                {"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}},
                "error",
            )
            return
        yield frame


# --- app -----------------------------------------------------------------------------------


def make_fake_provider() -> tuple[Starlette, FakeControl]:
    control = FakeControl()

    async def handle(request: Request, protocol: str) -> Any:
        body = await _read_json(request)
        headers = {k.lower(): v for k, v in request.headers.items()}
        n, fault = control._record(request.url.path, body if body is not None else {}, headers)
        if control.first_byte_delay_s:
            await asyncio.sleep(control.first_byte_delay_s)
        error = _openai_error if protocol == "openai" else _anthropic_error
        if control.down:
            return _down()
        if body is None:
            return error(400, "We could not parse the JSON body of your request.")
        if control.require_key is not None:
            given = (
                headers.get("x-api-key")
                if protocol == "anthropic"
                else headers.get("authorization", "").removeprefix("Bearer ")
            )
            if given != control.require_key:
                return error(
                    401,
                    "invalid x-api-key"
                    if protocol == "anthropic"
                    else "Incorrect API key provided.",
                )
        if fault is not None:
            if fault.kind == "status":
                return error(
                    fault.status, fault.message or "Fake upstream failure.", fault.retry_after
                )
            if fault.kind == "wrong_content_type":
                return _wrong_type()
            if body.get("stream"):
                return RawStream(_once(b"data: {not json\n\n"), delay=0, drop_after=None)
            return Response(b'{"id": "x", "choices": [', 200, media_type="application/json")
        if protocol == "anthropic":
            if "anthropic-version" not in headers:
                return error(400, "anthropic-version: header is required")
            for field in ("model", "max_tokens", "messages"):
                if field not in body:
                    return error(400, f"{field}: Field required")
        if not isinstance(body.get("messages"), list) or not body["messages"]:
            return error(400, "messages: must be a non-empty list")
        tools = [
            (t.get("function") or {}).get("name") if protocol == "openai" else t.get("name")
            for t in body.get("tools") or []
            if isinstance(t, dict)
        ]
        max_tokens = (
            body.get("max_tokens")
            if protocol == "anthropic"
            else body.get("max_completion_tokens", body.get("max_tokens"))
        )
        stops = _stops(body.get("stop_sequences") if protocol == "anthropic" else body.get("stop"))
        tool_id = f"call_fake{n}" if protocol == "openai" else f"toolu_fake{n}"
        reply = _reply(body["messages"], [t for t in tools if t], max_tokens, stops, tool_id)
        if control.answer_model is not None:
            body = {**body, "model": control.answer_model}
        if control.inject and reply.tool:
            reply.tool["arguments"]["text"] += "".join(control.inject)
        elif control.inject:
            reply.text += "".join(control.inject)
        if protocol == "openai":
            cid = f"chatcmpl-fake{n}"
            if body.get("stream"):
                return RawStream(
                    _openai_frames(control, body, reply, cid),
                    delay=control.chunk_delay_s,
                    drop_after=control.drop_after_chunks,
                )
            return JSONResponse(_openai_completion(body, reply, cid))
        mid = f"msg_fake{n}"
        if body.get("stream"):
            return RawStream(
                _anthropic_frames(control, body, reply, mid),
                delay=control.chunk_delay_s,
                drop_after=control.drop_after_chunks,
            )
        return JSONResponse(_anthropic_message(body, reply, mid))

    async def openai_endpoint(request: Request) -> Any:
        return await handle(request, "openai")

    async def anthropic_endpoint(request: Request) -> Any:
        return await handle(request, "anthropic")

    app = Starlette(
        routes=[
            Route("/v1/chat/completions", openai_endpoint, methods=["POST"]),
            Route("/v1/messages", anthropic_endpoint, methods=["POST"]),
        ]
    )
    return app, control


async def _once(frame: bytes) -> AsyncIterator[bytes]:
    yield frame


def fake_provider_settings(url: str, name: str = "fake", **kw: Any) -> ProviderSettings:
    """The fake at ``url`` as an OpenAI-compatible provider serving ``gpt-fake``, with no
    retries (so one request reaches it once); ``kw`` overrides or adds settings."""
    opts: dict[str, Any] = {"models": ("gpt-fake",), "default_model": "gpt-fake", "max_retries": 0}
    return ProviderSettings(
        name=name, kind="openai_compatible", base_url=url + "/v1", **{**opts, **kw}
    )
