"""The OpenAI-compatible front door: /v1/chat/completions, /v1/models."""

from __future__ import annotations

import time
import uuid
from collections.abc import AsyncIterator
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse

from ..backends.base import Event, Finish, GenParams
from ..backends.llama_local import LocalModelRunner
from ..errors import BadRequest, ModelNotFound
from ..schemas import ChatRequest, validate_chat
from ..state import AppState
from ..streaming import ChunkWriter, collect, relay_local, usage_dict
from .common import read_json

AUTO = "auto"


def state_of(request: Request) -> AppState:
    st: AppState = request.app.state.edge
    return st


def local_messages(chat: ChatRequest) -> list[dict[str, str]]:
    """Flatten messages to the role/content strings a chat template expects."""
    out: list[dict[str, str]] = []
    for i, m in enumerate(chat.messages):
        content = m.content
        if isinstance(content, list):
            texts: list[str] = []
            for j, part in enumerate(content):
                if part.get("type") == "text" and isinstance(part.get("text"), str):
                    texts.append(part["text"])
                else:
                    raise BadRequest(
                        "The local model accepts text content parts only.",
                        param=f"messages.{i}.content.{j}",
                        code="unsupported_content",
                    )
            text = "\n".join(texts)
        else:
            text = content or ""
        role = "system" if m.role == "developer" else m.role
        out.append({"role": role, "content": text})
    return out


def gen_params(chat: ChatRequest, runner: LocalModelRunner) -> GenParams:
    limit = runner.spec.max_tokens_limit
    requested = chat.requested_max_tokens()
    if requested is not None and requested > limit:
        param = "max_completion_tokens" if chat.max_completion_tokens else "max_tokens"
        raise BadRequest(
            f"'{param}' is {requested}; this router allows at most {limit}.", param=param
        )
    return GenParams(
        max_tokens=requested or runner.spec.default_max_tokens,
        temperature=1.0 if chat.temperature is None else chat.temperature,
        top_p=1.0 if chat.top_p is None else chat.top_p,
        stop=tuple(chat.stop_list),
        seed=chat.seed,
    )


def pick_local(state: AppState, model: str) -> LocalModelRunner:
    name = state.settings.local.default_model if model == AUTO else model
    runner = state.runners.get(name)
    if runner is None:
        raise ModelNotFound(f"The model '{model}' does not exist.", param="model")
    return runner


async def chat_completions(request: Request) -> Response:
    state = state_of(request)
    started = time.perf_counter()
    body = await read_json(request, state.settings.server.max_body_bytes)
    chat = validate_chat(body)
    runner = pick_local(state, chat.model)
    params = gen_params(chat, runner)
    messages = local_messages(chat)
    completion_id = "chatcmpl-" + uuid.uuid4().hex
    headers = {"x-edge-router-route": "local", "x-request-id": completion_id}
    events = runner.generate(messages, params)
    if chat.stream:
        return await _stream(state, events, chat, runner, completion_id, headers, started)
    text, finish = await collect(events)
    _observe(state, finish, "200", started)
    return JSONResponse(
        {
            "id": completion_id,
            "object": "chat.completion",
            "created": int(time.time()),
            "model": runner.spec.name,
            "system_fingerprint": None,
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": text, "refusal": None},
                    "logprobs": None,
                    "finish_reason": finish.finish_reason,
                }
            ],
            "usage": usage_dict(finish),
        },
        headers=headers,
    )


def _observe(state: AppState, finish: Finish, status: str, started: float) -> None:
    m = state.metrics
    m.requests.labels("local", "default", "llama", status).inc()
    m.latency.labels("total").observe(time.perf_counter() - started)
    if "ttft_s" in finish.timings:
        m.latency.labels("ttft").observe(finish.timings["ttft_s"])
    m.tokens.labels("local", "prompt").inc(finish.prompt_tokens)
    m.tokens.labels("local", "completion").inc(finish.completion_tokens)


async def _stream(
    state: AppState,
    events: AsyncIterator[Event],
    chat: ChatRequest,
    runner: LocalModelRunner,
    completion_id: str,
    headers: dict[str, str],
    started: float,
) -> Response:
    # Wait for the first event before sending the status line, so that a full
    # queue (503) or an over-long prompt (400) is still an ordinary HTTP error.
    first = await anext(events)

    async def replay() -> AsyncIterator[Event]:
        try:
            yield first
            async for ev in events:
                if isinstance(ev, Finish):
                    _observe(state, ev, "200", started)
                yield ev
        finally:
            await events.aclose()  # type: ignore[attr-defined]

    writer = ChunkWriter(completion_id, runner.spec.name, include_usage=chat.include_usage)
    return StreamingResponse(
        relay_local(replay(), writer),
        media_type="text/event-stream",
        headers={**headers, "cache-control": "no-cache", "x-accel-buffering": "no"},
    )


async def list_models(request: Request) -> Response:
    state = state_of(request)
    created = int(state.started_at)
    data: list[dict[str, Any]] = [
        {"id": AUTO, "object": "model", "created": created, "owned_by": "edge-router"}
    ]
    data += [
        {"id": name, "object": "model", "created": created, "owned_by": "local"}
        for name in state.runners
    ]
    return JSONResponse({"object": "list", "data": data})
