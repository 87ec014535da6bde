"""The local model's events as OpenAI replies: streamed chunks or one completion."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from typing import Any

from edge_router.backends.base import Delta, Event, Finish
from edge_router.errors import BackendError
from edge_router.wire.openai_stream import Chunk, ChunkWriter


def usage_dict(f: Finish) -> dict[str, int]:
    return {
        "prompt_tokens": f.prompt_tokens,
        "completion_tokens": f.completion_tokens,
        "total_tokens": f.prompt_tokens + f.completion_tokens,
    }


async def local_chunks(events: AsyncIterator[Event], writer: ChunkWriter) -> AsyncIterator[Chunk]:
    """Turn local backend events into OpenAI chunks."""
    yield writer.role()
    async for ev in events:
        if isinstance(ev, Delta):
            yield writer.content(ev.text)
        elif isinstance(ev, Finish):
            yield writer.finish(ev.finish_reason)
            if writer.include_usage:
                yield writer.usage(usage_dict(ev))


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
