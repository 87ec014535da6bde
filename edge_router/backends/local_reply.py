"""The local model's events as OpenAI replies: streamed chunks or one completion.

``ReplyShape`` (built with the request in ``local_request``) says how to read the
model's output: as text, as a tool call (``tool_choice`` required or named), decided
by its first character (``auto``: ``{`` starts a call, anything else is text, which
the grammar guarantees; see ``local_tools``), or read whole (``auto`` with a response
schema, where a call and an answer both start with ``{``). ``_Shaper`` turns events
into parts (text deltas, tool-call deltas) the same way for both reply kinds: text
streams token by token, a call streams its head once the tool's name is known and
then its arguments as they grow.

Example::

    completion, finish = await local_completion(events, "chatcmpl-1", "smollm2", shape)
"""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, replace
from typing import Any, Literal

from edge_router.backends.base import Delta, Event, Finish, TokenLogprob
from edge_router.backends.local_tools import CallReader, is_call
from edge_router.errors import BackendError
from edge_router.wire.openai_stream import Chunk, ChunkWriter

CallMode = Literal["never", "always", "first_char", "whole"]


@dataclass(frozen=True)
class ReplyShape:
    """How to read one generation (see module docstring)."""

    calls: CallMode = "never"
    tools: tuple[str, ...] = ()
    logprobs: bool = False


Part = Delta | dict[str, Any]
"""A text delta, or an OpenAI ``delta.tool_calls`` entry."""


def usage_dict(f: Finish) -> dict[str, int]:
    return {
        "prompt_tokens": f.prompt_tokens,
        "completion_tokens": f.completion_tokens,
        "total_tokens": f.prompt_tokens + f.completion_tokens,
    }


def _parses(text: str) -> bool:
    try:
        json.loads(text)
    except ValueError:
        return False
    return True


class _Shaper:
    """Reads one generation's events as text or a tool call (see module docstring)."""

    def __init__(self, shape: ReplyShape) -> None:
        self.mode: CallMode = shape.calls
        self.names = shape.tools
        self.reader: CallReader | None = None
        self._held: list[Delta] = []

    @property
    def called(self) -> bool:
        return self.reader is not None and self.reader.name is not None

    def delta(self, d: Delta) -> list[Part]:
        if self.mode == "first_char" and d.text:
            self.mode = "always" if d.text.startswith("{") else "never"
        self._held.append(d)
        if self.mode in ("first_char", "whole"):
            return []  # not decided yet, or read whole
        held, self._held = self._held, []
        if self.mode == "never":
            return list(held)
        return self._call("".join(h.text for h in held))

    def _call(self, text: str) -> list[Part]:
        if self.reader is None:
            self.reader = CallReader()
        return list(self.reader.feed(text))

    def finish(self, f: Finish) -> tuple[list[Part], Finish]:
        parts: list[Part] = []
        if self._held:
            text = "".join(d.text for d in self._held)
            if self.mode == "whole" and is_call(text, self.names):
                self.mode = "always"
                parts += self._call(text)
            else:
                self.mode = "never"
                parts.append(Delta(text, tuple(lp for d in self._held for lp in d.logprobs)))
            self._held = []
        reason = f.finish_reason
        if self.mode == "always":
            reader = self.reader or CallReader()
            if reader.name is None:
                # Cut short before the tool's name was out: no call to report, so the
                # partial output is returned as text with the finish reason it has.
                self.reader = None
                if reader.buffer:
                    parts.append(Delta(reader.buffer))
            else:
                complete = reason == "stop" and _parses(reader.buffer)
                parts += reader.finish(complete=complete)
                if complete:
                    reason = "tool_calls"
        return parts, replace(f, finish_reason=reason)


def _logprob(lp: TokenLogprob) -> dict[str, Any]:
    return {
        "token": lp.token,
        "logprob": lp.logprob,
        "bytes": list(lp.token_bytes),
        "top_logprobs": [{"token": t, "logprob": v, "bytes": list(b)} for t, v, b in lp.top],
    }


def _logprobs(lps: tuple[TokenLogprob, ...] | list[TokenLogprob]) -> dict[str, Any]:
    return {"content": [_logprob(lp) for lp in lps], "refusal": None}


async def local_chunks(
    events: AsyncIterator[Event],
    writer: ChunkWriter,
    shape: ReplyShape | None = None,
    on_finish: Callable[[Finish], None] | None = None,
) -> AsyncIterator[Chunk]:
    """Turn local backend events into OpenAI chunks; ``on_finish`` gets the closing
    summary with the finish reason the client saw."""
    shape = shape or ReplyShape()
    shaper = _Shaper(shape)
    yield writer.role()
    async for ev in events:
        if isinstance(ev, Delta):
            parts = shaper.delta(ev)
        else:
            parts, finish = shaper.finish(ev)
        for part in parts:
            if isinstance(part, dict):
                yield writer.chunk(
                    [{"index": 0, "delta": {"tool_calls": [part]}, "finish_reason": None}]
                )
            elif shape.logprobs and (part.text or part.logprobs):
                choice = {"index": 0, "delta": {"content": part.text}, "finish_reason": None}
                choice["logprobs"] = _logprobs(part.logprobs)
                yield writer.chunk([choice])
            elif part.text:
                yield writer.content(part.text)
        if isinstance(ev, Finish):
            if on_finish is not None:
                on_finish(finish)
            yield writer.finish(finish.finish_reason)
            if writer.include_usage:
                yield writer.usage(usage_dict(finish))


async def local_completion(
    events: AsyncIterator[Event], completion_id: str, model: str, shape: ReplyShape | None = None
) -> tuple[dict[str, Any], Finish]:
    """Collect local backend events into one ``chat.completion`` (and its summary)."""
    shaper = _Shaper(shape or ReplyShape())
    texts: list[str] = []
    logprobs: list[TokenLogprob] = []
    finish: Finish | None = None
    async for ev in events:
        if isinstance(ev, Delta):
            parts = shaper.delta(ev)
        else:
            parts, finish = shaper.finish(ev)
        for part in parts:
            if isinstance(part, Delta):
                texts.append(part.text)
                logprobs.extend(part.logprobs)
    if finish is None:
        raise BackendError("The backend ended without finishing its response.")
    message: dict[str, Any] = {"role": "assistant", "content": "".join(texts), "refusal": None}
    if shaper.called:
        assert shaper.reader is not None
        message["content"] = None
        message["tool_calls"] = [shaper.reader.message_call()]
    wants_logprobs = shape is not None and shape.logprobs and not shaper.called
    completion = {
        "id": completion_id,
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model,
        "system_fingerprint": None,
        "choices": [
            {
                "index": 0,
                "message": message,
                "logprobs": _logprobs(logprobs) if wants_logprobs else None,
                "finish_reason": finish.finish_reason,
            }
        ],
        "usage": usage_dict(finish),
    }
    return completion, finish
