"""The legacy OpenAI front door: ``POST /v1/completions``.

The body is translated into a chat request (``wire.openai_completions``) before
anything else, then takes the chat path unchanged: the same scan of the prompt, the
same policy, the same projection for a provider, the same audit. Only the reply is
re-told in the legacy ``text_completion`` shape.
"""

from __future__ import annotations

import time
import uuid

from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse

from edge_router.api.common import authenticate, read_json
from edge_router.api.openai import SSE_HEADERS, audit_kw, observe, observed, refused, state_of
from edge_router.errors import RouterError
from edge_router.flow.dispatch import dispatch_chat
from edge_router.flow.recorder import audit_gate, record
from edge_router.wire.openai_chat import validate_chat
from edge_router.wire.openai_completions import (
    parse_completion,
    text_completion,
    text_completion_chunks,
)
from edge_router.wire.openai_stream import openai_sse


async def completions(request: Request) -> Response:
    state = state_of(request)
    started = time.perf_counter()
    identity = await authenticate(request)
    await audit_gate(state)
    body = await read_json(request, state.settings.server)
    legacy = parse_completion(body)
    chat = validate_chat(legacy.chat)
    request_id = "cmpl-" + uuid.uuid4().hex
    try:
        outcome = await dispatch_chat(
            state,
            legacy.chat,
            chat,
            request_id=request_id,
            identity=identity,
            headers=request.headers,
        )
    except RouterError as exc:
        await refused(state, exc, request_id, identity, started, endpoint="completions")
        exc.headers.setdefault("x-request-id", request_id)
        raise
    outcome.started = started
    headers = outcome.headers()
    if outcome.chunks is not None:
        chunks = observed(state, outcome, outcome.chunks, identity, endpoint="completions")
        return StreamingResponse(
            openai_sse(text_completion_chunks(chunks, legacy, request_id)),
            media_type="text/event-stream",
            headers={**headers, **SSE_HEADERS},
        )
    completion = outcome.completion or {}
    usage = completion.get("usage")
    observe(state, outcome, "200", usage)
    await record(state, **audit_kw(outcome, identity, 200, usage, endpoint="completions"))
    return JSONResponse(text_completion(completion, legacy, request_id), headers=headers)
