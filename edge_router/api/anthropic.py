"""The Anthropic-compatible front door: ``POST /v1/messages`` and
``POST /v1/messages/count_tokens``.

The request is translated into the router's internal (OpenAI) shape *before*
scanning, so exactly what could leave the machine is what gets scanned; then it
takes the same dispatch path as ``/v1/chat/completions``. Errors are
Anthropic-shaped so that Anthropic SDK clients work unchanged.

``count_tokens`` counts with the local model's tokenizer, over the prompt the local
model would be given (chat template, system, messages, the tools preamble): nothing
leaves the machine, and counts differ from Anthropic's own tokenizer.
"""

from __future__ import annotations

import time
import uuid

from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse

from edge_router.api.common import authenticate, read_json
from edge_router.api.openai import SSE_HEADERS, audit_kw, observe, observed, refused, state_of
from edge_router.backends.local_request import prepare
from edge_router.errors import RouterError
from edge_router.flow.dispatch import check_model, dispatch_chat, resolve_model
from edge_router.flow.recorder import audit_gate, record
from edge_router.wire.anthropic import messages_to_openai, router_error_to_anthropic
from edge_router.wire.anthropic_model import parse_messages
from edge_router.wire.anthropic_reply import (
    openai_chunks_to_anthropic_sse,
    openai_response_to_anthropic,
)
from edge_router.wire.openai_chat import validate_chat


async def messages(request: Request) -> Response:
    state = state_of(request)
    started = time.perf_counter()
    request_id = "msg_" + uuid.uuid4().hex
    identity = None
    try:
        identity = await authenticate(request)
        await audit_gate(state)
        body = await read_json(request, state.settings.server)
        asked = parse_messages(body)  # the one validation of the Anthropic shape
        internal = messages_to_openai(asked)
        chat = validate_chat(internal)
        outcome = await dispatch_chat(
            state,
            internal,
            chat,
            request_id=request_id,
            identity=identity,
            headers=request.headers,
        )
    except RouterError as exc:
        await refused(state, exc, request_id, identity, started)
        headers = {**exc.headers, "x-request-id": request_id}
        return JSONResponse(router_error_to_anthropic(exc), status_code=exc.status, headers=headers)
    outcome.started = started
    headers = outcome.headers()
    model = asked.model
    if outcome.chunks is not None:
        return StreamingResponse(
            openai_chunks_to_anthropic_sse(
                observed(state, outcome, outcome.chunks, identity), model
            ),
            media_type="text/event-stream",
            headers={**headers, **SSE_HEADERS},
        )
    completion = outcome.completion or {}
    usage = completion.get("usage")
    observe(state, outcome, "200", usage)
    try:
        await record(state, **audit_kw(outcome, identity, 200, usage))
    except RouterError as exc:  # the audit store is away: Anthropic-shaped 503
        headers = {**exc.headers, "x-request-id": request_id}
        return JSONResponse(router_error_to_anthropic(exc), status_code=exc.status, headers=headers)
    return JSONResponse(openai_response_to_anthropic(completion, model), headers=headers)


async def count_tokens(request: Request) -> Response:
    """``{"input_tokens": n}`` for a Messages body, counted on this machine only."""
    state = state_of(request)
    try:
        await authenticate(request)
        body = await read_json(request, state.settings.server)
        # count_tokens takes no max_tokens; the translation wants one, and 1 fits any model.
        asked = parse_messages({**body, "max_tokens": 1, "stream": False})
        chat = validate_chat(messages_to_openai(asked))
        model = resolve_model(state, chat.model)
        check_model(state, model)
        default = state.runners.get(state.settings.local.default_model)
        runner = state.runners.get(model) or default or next(iter(state.runners.values()))
        tokens = await runner.count_tokens(prepare(chat, runner).messages)
    except RouterError as exc:
        return JSONResponse(
            router_error_to_anthropic(exc), status_code=exc.status, headers=exc.headers
        )
    return JSONResponse({"input_tokens": tokens})
