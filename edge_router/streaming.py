"""Server-sent events in OpenAI's chat.completion.chunk format."""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator
from typing import Any

from .backends.base import Delta, Event, Finish
from .errors import BackendError, RouterError

DONE = b"data: [DONE]\n\n"


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

    def _chunk(self, choices: list[dict[str, Any]], **extra: Any) -> dict[str, Any]:
        body: dict[str, Any] = {
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

    def role(self) -> bytes:
        return sse(
            self._chunk(
                [{"index": 0, "delta": {"role": "assistant", "content": ""}, "finish_reason": None}]
            )
        )

    def content(self, text: str) -> bytes:
        return sse(self._chunk([{"index": 0, "delta": {"content": text}, "finish_reason": None}]))

    def finish(self, reason: str) -> bytes:
        return sse(self._chunk([{"index": 0, "delta": {}, "finish_reason": reason}]))

    def usage(self, f: Finish) -> bytes:
        return sse(self._chunk([], usage=usage_dict(f)))


async def relay_local(events: AsyncIterator[Event], writer: ChunkWriter) -> AsyncIterator[bytes]:
    """Turn backend events into SSE bytes. Errors after the first byte become an
    OpenAI-shaped error event (the status line is already sent)."""
    yield writer.role()
    try:
        async for ev in events:
            if isinstance(ev, Delta):
                yield writer.content(ev.text)
            elif isinstance(ev, Finish):
                yield writer.finish(ev.finish_reason)
                if writer.include_usage:
                    yield writer.usage(ev)
    except RouterError as exc:
        yield sse(exc.body())
    yield DONE


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
