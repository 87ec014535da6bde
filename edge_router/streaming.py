"""OpenAI chat.completion chunks: built from local events, relayed as SSE.

Inside the router every stream is an async iterator of OpenAI
``chat.completion.chunk`` dicts, whichever backend produced it; the front doors
encode it (OpenAI SSE here, Anthropic SSE in ``translate_anthropic``).
"""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator
from typing import Any

from .backends.base import Delta, Event, Finish
from .errors import BackendError, RouterError

DONE = b"data: [DONE]\n\n"

Chunk = dict[str, Any]


def sse(obj: dict[str, Any]) -> bytes:
    return b"data: " + json.dumps(obj, separators=(",", ":")).encode() + b"\n\n"


def usage_dict(f: Finish) -> dict[str, int]:
    return {
        "prompt_tokens": f.prompt_tokens,
        "completion_tokens": f.completion_tokens,
        "total_tokens": f.prompt_tokens + f.completion_tokens,
    }


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

    def usage(self, f: Finish) -> Chunk:
        return self.chunk([], usage=usage_dict(f))


async def local_chunks(events: AsyncIterator[Event], writer: ChunkWriter) -> AsyncIterator[Chunk]:
    """Turn local backend events into OpenAI chunks."""
    yield writer.role()
    async for ev in events:
        if isinstance(ev, Delta):
            yield writer.content(ev.text)
        elif isinstance(ev, Finish):
            yield writer.finish(ev.finish_reason)
            if writer.include_usage:
                yield writer.usage(ev)


async def openai_sse(chunks: AsyncIterator[Chunk]) -> AsyncIterator[bytes]:
    """Encode chunks as OpenAI SSE. An error after the first byte becomes an
    OpenAI-shaped error event (the status line is already sent), then [DONE]."""
    try:
        async for c in chunks:
            yield sse(c)
    except RouterError as exc:
        yield sse(exc.body())
    yield DONE


def completion_from_local(
    completion_id: str, model: str, text: str, finish: Finish
) -> dict[str, Any]:
    return {
        "id": completion_id,
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model,
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
    }


async def collect(events: AsyncIterator[Event]) -> tuple[str, Finish]:
    parts: list[str] = []
    finish: Finish | None = None
    async for ev in events:
        if isinstance(ev, Delta):
            parts.append(ev.text)
        else:
            finish = ev
    if finish is None:
        raise BackendError("The backend ended without finishing its response.")
    return "".join(parts), finish
