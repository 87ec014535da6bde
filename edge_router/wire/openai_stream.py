"""OpenAI chat.completion chunks: built by the router, relayed as SSE.

Inside the router every stream is an async iterator of OpenAI
``chat.completion.chunk`` dicts, whichever backend produced it; the front doors
encode it (OpenAI SSE here, Anthropic SSE in ``wire.anthropic_reply``). Local model
events become chunks in ``backends.local_reply``.
"""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator
from typing import Any

from edge_router.errors import RouterError

DONE = b"data: [DONE]\n\n"

Chunk = dict[str, Any]


def sse(obj: dict[str, Any]) -> bytes:
    return b"data: " + json.dumps(obj, separators=(",", ":")).encode() + b"\n\n"


class ChunkWriter:
    """Builds the chunks of one streamed chat completion."""

    def __init__(self, completion_id: str, model: str, *, include_usage: bool) -> None:
        self.id = completion_id
        self.model = model
        self.created = int(time.time())
        self.include_usage = include_usage

    def chunk(self, choices: list[dict[str, Any]], **extra: Any) -> Chunk:
        body: Chunk = {
            "id": self.id,
            "object": "chat.completion.chunk",
            "created": self.created,
            "model": self.model,
            "system_fingerprint": None,
            "choices": choices,
        }
        if self.include_usage:
            body["usage"] = None
        body.update(extra)
        return body

    def role(self) -> Chunk:
        return self.chunk(
            [{"index": 0, "delta": {"role": "assistant", "content": ""}, "finish_reason": None}]
        )

    def content(self, text: str) -> Chunk:
        return self.chunk([{"index": 0, "delta": {"content": text}, "finish_reason": None}])

    def finish(self, reason: str) -> Chunk:
        return self.chunk([{"index": 0, "delta": {}, "finish_reason": reason}])

    def usage(self, usage: dict[str, int]) -> Chunk:
        return self.chunk([], usage=usage)


async def openai_sse(chunks: AsyncIterator[Chunk]) -> AsyncIterator[bytes]:
    """Encode chunks as OpenAI SSE. An error after the first byte becomes an
    OpenAI-shaped error event (the status line is already sent), then [DONE]."""
    try:
        async for c in chunks:
            yield sse(c)
    except RouterError as exc:
        yield sse(exc.body())
    yield DONE
