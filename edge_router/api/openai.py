"""The OpenAI-compatible front door: /v1/chat/completions, /v1/models, /v1/route."""

from __future__ import annotations

import time
import uuid
from collections.abc import AsyncIterator
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse

from ..backends.base import GenParams
from ..backends.llama_local import LocalModelRunner
from ..dispatch import AUTO, Outcome, check_model, dispatch_chat
from ..errors import BadRequest, PolicyBlocked, RouterError
from ..pipeline import Evaluation, Identity
from ..recorder import record, record_nowait
from ..schemas import ChatRequest, validate_chat
from ..state import AppState
from ..streaming import Chunk, openai_sse
from .common import authenticate, read_json

SSE_HEADERS = {"cache-control": "no-cache", "x-accel-buffering": "no"}


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


def observe(state: AppState, outcome: Outcome, status: str, usage: dict[str, Any] | None) -> None:
    m = state.metrics
    d = outcome.evaluation.decision
    m.requests.labels(outcome.route, d.rule, outcome.provider, status).inc()
    m.latency.labels("total").observe(time.perf_counter() - outcome.started)
    if usage:
        for kind in ("prompt", "completion"):
            v = usage.get(f"{kind}_tokens")
            if isinstance(v, int):
                m.tokens.labels(outcome.route, kind).inc(v)
    if outcome.finish and "ttft_s" in outcome.finish.timings:
        m.latency.labels("ttft").observe(outcome.finish.timings["ttft_s"])


def audit_kw(
    outcome: Outcome, identity: Identity | None, status: int, usage: dict[str, Any] | None
) -> dict[str, Any]:
    if usage is None and outcome.finish is not None:
        f = outcome.finish
        usage = {"prompt_tokens": f.prompt_tokens, "completion_tokens": f.completion_tokens}
    return {
        "request_id": outcome.completion_id,
        "ev": outcome.evaluation,
        "route": outcome.route,
        "provider": outcome.provider,
        "model": outcome.model,
        "status": status,
        "started": outcome.started,
        "usage": usage,
        "identity": identity,
    }


async def observed(
    state: AppState, outcome: Outcome, chunks: AsyncIterator[Chunk], identity: Identity | None
) -> AsyncIterator[Chunk]:
    """Pass a stream through, then count it and audit it (also when the client leaves)."""
    usage: dict[str, Any] | None = None
    status = 200
    try:
        async for c in chunks:
            if isinstance(c.get("usage"), dict):
                usage = c["usage"]
            yield c
    except RouterError as exc:
        status = exc.status
        raise
    finally:
        observe(state, outcome, str(status), usage)
        record_nowait(state, **audit_kw(outcome, identity, status, usage))


async def refused(
    state: AppState, exc: RouterError, request_id: str, identity: Identity | None, started: float
) -> None:
    """Count and audit a request refused after its routing decision (block, 503, ...)."""
    ev = exc.evaluation
    if not isinstance(ev, Evaluation):
        return
    route = "block" if isinstance(exc, PolicyBlocked) else ev.decision.route
    state.metrics.requests.labels(route, ev.decision.rule, "-", str(exc.status)).inc()
    await record(
        state,
        request_id=request_id,
        ev=ev,
        route=route,
        provider=None,
        model=None,
        status=exc.status,
        started=started,
        usage=None,
        identity=identity,
    )


async def chat_completions(request: Request) -> Response:
    state = state_of(request)
    started = time.perf_counter()
    identity = await authenticate(request)
    body = await read_json(request, state.settings.server)
    chat = validate_chat(body)
    request_id = "chatcmpl-" + uuid.uuid4().hex
    try:
        outcome = await dispatch_chat(
            state, body, chat, request_id=request_id, identity=identity, headers=request.headers
        )
    except RouterError as exc:
        await refused(state, exc, request_id, identity, started)
        exc.headers.setdefault("x-request-id", request_id)
        raise
    outcome.started = started
    headers = outcome.headers()
    if outcome.chunks is not None:
        return StreamingResponse(
            openai_sse(observed(state, outcome, outcome.chunks, identity)),
            media_type="text/event-stream",
            headers={**headers, **SSE_HEADERS},
        )
    completion = outcome.completion or {}
    usage = completion.get("usage")
    observe(state, outcome, "200", usage)
    await record(state, **audit_kw(outcome, identity, 200, usage))
    return JSONResponse(completion, headers=headers)


async def route(request: Request) -> Response:
    """The routing decision for one request body, without running it."""
    state = state_of(request)
    body = await read_json(request, state.settings.server)
    model = body.get("model")
    if not isinstance(model, str):
        model = AUTO
    check_model(state, model)
    local = model in state.runners
    available = not local and any(
        p.available and not p.trusted_local and p.serves(model) for p in state.providers
    )
    identity = await authenticate(request)
    ev = await state.router.evaluate(
        body,
        model=model,
        identity=identity,
        headers=request.headers,
        cloud_available=available,
    )
    return JSONResponse(state.router.report(body, ev))


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
    for p in state.providers:
        data += [
            {"id": m, "object": "model", "created": created, "owned_by": p.name}
            for m in getattr(p, "models", ())
        ]
    return JSONResponse({"object": "list", "data": data})
