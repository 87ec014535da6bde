"""The OpenAI-compatible front door: /v1/chat/completions, /v1/models (and one model),
/v1/route. Legacy /v1/completions is in ``api.completions``."""

from __future__ import annotations

import contextlib
import re
import time
import uuid
from collections.abc import AsyncIterator
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse

from edge_router.api.common import authenticate, read_json, require_operator
from edge_router.errors import ModelNotFound, PolicyBlocked, RouterError
from edge_router.flow.availability import snapshot
from edge_router.flow.dispatch import (
    AUTO,
    Outcome,
    check_model,
    dispatch_chat,
    routed_model,
)
from edge_router.flow.recorder import AuditUnavailable, audit_gate, record, record_nowait
from edge_router.routing.explain import chat_body
from edge_router.routing.pipeline import Evaluation, Identity
from edge_router.state import AppState
from edge_router.wire.openai_chat import MODEL_PATTERN, validate_chat
from edge_router.wire.openai_stream import Chunk, openai_sse

SSE_HEADERS = {"cache-control": "no-cache", "x-accel-buffering": "no"}
ABORTED = 499
"""Audit and metrics status of a stream the client left before its end (nginx's code
for "client closed request")."""


def state_of(request: Request) -> AppState:
    st: AppState = request.app.state.edge
    return st


def observe(state: AppState, outcome: Outcome, status: str, usage: dict[str, Any] | None) -> None:
    m = state.metrics
    d = outcome.evaluation.decision
    m.requests.labels(outcome.route, d.rule, outcome.provider, status).inc()
    m.latency.labels("total").observe(time.perf_counter() - outcome.started)
    if usage and outcome.cache != "hit":  # a cached answer processed no tokens
        for kind in ("prompt", "completion"):
            v = usage.get(f"{kind}_tokens")
            if isinstance(v, int):
                m.tokens.labels(outcome.route, kind).inc(v)
    if outcome.finish and "ttft_s" in outcome.finish.timings:
        m.latency.labels("ttft").observe(outcome.finish.timings["ttft_s"])


def audit_kw(
    outcome: Outcome,
    identity: Identity | None,
    status: int,
    usage: dict[str, Any] | None,
    *,
    endpoint: str = "chat",
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
        "endpoint": endpoint,
        "cache": outcome.cache,
        "reply_entity_types": outcome.reply_entity_types(),
        "upstream_model": outcome.upstream_model,
    }


async def observed(
    state: AppState,
    outcome: Outcome,
    chunks: AsyncIterator[Chunk],
    identity: Identity | None,
    *,
    endpoint: str = "chat",
) -> AsyncIterator[Chunk]:
    """Pass a stream through, then count it and audit it (also when the client leaves:
    status ``ABORTED``, not 200, since the client never got the whole answer)."""
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
    except BaseException:  # the client went away (cancelled / generator closed)
        status = ABORTED
        raise
    finally:
        observe(state, outcome, str(status), usage)
        record_nowait(state, **audit_kw(outcome, identity, status, usage, endpoint=endpoint))


async def refused(
    state: AppState,
    exc: RouterError,
    request_id: str,
    identity: Identity | None,
    started: float,
    *,
    endpoint: str = "chat",
) -> None:
    """Count and audit a request refused after its routing decision (block, 503, ...)."""
    ev = exc.evaluation
    if not isinstance(ev, Evaluation):
        return
    if isinstance(exc.answered, Outcome):
        # A reply the guard refused: the provider answered (and charged), so the record
        # names who answered, with the tokens and cost, like a blocked stream's.
        o = exc.answered
        o.started = started
        usage = (o.completion or {}).get("usage")
        observe(state, o, str(exc.status), usage)
        kw = audit_kw(o, identity, exc.status, usage, endpoint=endpoint)
        kw.update(request_id=request_id, reply_entity_types=exc.reply_entity_types)
        with contextlib.suppress(AuditUnavailable):
            await record(state, **kw)
        return
    route = "block" if isinstance(exc, PolicyBlocked) else ev.decision.route
    state.metrics.requests.labels(route, ev.decision.rule, "-", str(exc.status)).inc()
    # The client gets its refusal whether or not the audit store is there: nothing was
    # answered, so an unwritable record does not turn it into a 503.
    with contextlib.suppress(AuditUnavailable):
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
            endpoint=endpoint,
            reply_entity_types=exc.reply_entity_types,
        )


async def chat_completions(request: Request) -> Response:
    state = state_of(request)
    started = time.perf_counter()
    identity = await authenticate(request)
    await audit_gate(state)
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
    """The routing decision for one request body, and who would answer it (``target``),
    without running it. Audited like any other decision (endpoint ``route``): a dry run
    is still a look at how the router treats a text, and must leave the same trail."""
    state = state_of(request)
    started = time.perf_counter()
    identity = await authenticate(request)  # before the body is read or parsed
    await audit_gate(state)
    raw = await read_json(request, state.settings.server)
    if isinstance(raw.get("model"), str):
        # As dispatch does: aliases, then an experiment arm's model for `auto`.
        raw["model"] = routed_model(state, raw["model"], identity, request.headers)
        check_model(state, raw["model"])  # an unknown model is a 404 whatever else is wrong
    body = chat_body(raw)
    model = body["model"]
    check_model(state, model)
    ev = await state.router.evaluate(
        body,
        model=model,
        identity=identity,
        headers=request.headers,
        availability=lambda m: snapshot(state, m),
    )
    request_id = "route-" + uuid.uuid4().hex
    await record(
        state,
        request_id=request_id,
        ev=ev,
        route=ev.decision.route,
        provider=None,
        model=None,
        status=200,
        started=started,
        usage=None,
        identity=identity,
        endpoint="route",
    )
    return JSONResponse(state.router.report(ev), headers={"x-request-id": request_id})


def model_objects(state: AppState) -> list[dict[str, Any]]:
    """What GET /v1/models lists, and so what GET /v1/models/{model} finds."""
    created = int(state.started_at)

    def obj(name: str, owner: str) -> dict[str, Any]:
        return {"id": name, "object": "model", "created": created, "owned_by": owner}

    data = [obj(AUTO, "edge-router")]
    data += [obj(name, "local") for name in [*state.runners, *state.embedders]]
    data += [obj(name, "edge-router") for name in state.settings.aliases]
    pins = {s.name: s for s in state.settings.providers if s.pinned_models}
    for p in state.providers:
        data += [obj(m, p.name) for m in (*p.models, *p.embedding_models)]
        ps = pins.get(p.name)
        for m in data:
            # The exact upstream id this model's answers must carry (flow.pinning).
            if ps is not None and m["owned_by"] == p.name:
                pin = ps.pinned(ps.upstream_model(str(m["id"])))
                if pin is not None:
                    m["pinned"] = pin
    # One object per name: an alias that shadows a provider's model is listed once, as
    # the alias it resolves as.
    unique: dict[str, dict[str, Any]] = {}
    for m in data:
        unique.setdefault(str(m["id"]), m)
    return list(unique.values())


async def list_models(request: Request) -> Response:
    await require_operator(request)
    return JSONResponse({"object": "list", "data": model_objects(state_of(request))})


async def retrieve_model(request: Request) -> Response:
    """One model object; 404 (model_not_found) listing the names there are."""
    await require_operator(request)
    state = state_of(request)
    name = str(request.path_params["model"])
    data = model_objects(state)
    wanted = AUTO if name.lower() == AUTO else name
    found = next((m for m in data if m["id"] == wanted), None)
    if found is None:
        # The path is the client's text: quote it only when it is a plain model name.
        shown = f"model '{name}'" if re.fullmatch(MODEL_PATTERN, name) else "requested model"
        names = ", ".join(str(m["id"]) for m in data)
        raise ModelNotFound(
            f"The {shown} does not exist on this router. Available models: {names}.",
            param="model",
        )
    return JSONResponse(found)
