"""OpenAI answers back into Anthropic's shapes, for the `/v1/messages` front door.

:func:`openai_response_to_anthropic` turns a whole ``chat.completion`` into an Anthropic
``message``; :func:`openai_chunks_to_anthropic_sse` re-tells a stream of
``chat.completion.chunk`` dicts as Anthropic SSE events (``message_start``, content
blocks, ``message_delta``, ``message_stop``), with ``_SseWriter`` keeping one stream's
block state. The request side is :mod:`edge_router.wire.anthropic`.

A malformed backend answer is a :class:`BackendError` (502), never a client error.

Example::

    message = openai_response_to_anthropic(completion, model=anthropic_body["model"])
    async for frame in openai_chunks_to_anthropic_sse(chunks, model="claude-x"): ...
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from edge_router.errors import BackendError, BadRequest, RouterError
from edge_router.wire.anthropic import router_error_to_anthropic
from edge_router.wire.anthropic_maps import (
    FINISH_TO_STOP,
    anthropic_message_id,
    count,
    parse_tool_input,
    sse_event,
    usage_to_anthropic,
)

# --- response: OpenAI -> Anthropic ----------------------------------------------------


def _content_text(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(
            p.get("text", "") for p in content if isinstance(p, dict) and p.get("type") == "text"
        )
    return ""


def _backend_tool_input(arguments: Any) -> dict[str, Any]:
    try:
        return parse_tool_input(arguments, param="tool_calls.arguments")
    except BadRequest:
        # The backend's output, not the client's input: a 502, not a 400.
        raise BackendError(
            "The backend returned tool call arguments that are not a JSON object."
        ) from None


def _complete_call(tc: Any) -> bool:
    """Whether a call in a cut-off reply is whole (its arguments a JSON object; empty
    arguments there mean the model stopped right after the tool's name)."""
    fn = tc.get("function") if isinstance(tc, dict) else None
    if not isinstance(fn, dict) or fn.get("arguments") in (None, ""):
        return False
    try:
        parse_tool_input(fn.get("arguments"), param="tool_calls.arguments")
    except BadRequest:
        return False
    return True


def openai_response_to_anthropic(resp: dict[str, Any], model: str) -> dict[str, Any]:
    """An OpenAI ``chat.completion`` dict -> an Anthropic ``message`` object."""
    try:
        choice = resp["choices"][0]
        message = choice["message"]
    except (KeyError, IndexError, TypeError):
        raise BackendError("The backend returned a completion without choices.") from None
    content: list[dict[str, Any]] = []
    text = _content_text(message.get("content"))
    if text:
        content.append({"type": "text", "text": text})
    finish = choice.get("finish_reason")
    tool_calls = message.get("tool_calls") or []
    if finish == "length":
        # Cut off by max_tokens mid-call: the call's arguments are unfinished JSON. Keep
        # what was said, drop the call that cannot be parsed; stop_reason says why.
        tool_calls = [tc for tc in tool_calls if _complete_call(tc)]
    for tc in tool_calls:
        fn = tc.get("function") or {}
        content.append(
            {
                "type": "tool_use",
                "id": tc.get("id") or "toolu_router",
                "name": fn.get("name") or "",
                "input": _backend_tool_input(fn.get("arguments")),
            }
        )
    stop_reason = (
        "tool_use"
        if tool_calls and finish in (None, "stop", "tool_calls")
        else (FINISH_TO_STOP.get(finish or "stop", "end_turn"))
    )
    return {
        "id": anthropic_message_id(resp.get("id")),
        "type": "message",
        "role": "assistant",
        "model": model,
        "content": content,
        "stop_reason": stop_reason,
        "stop_sequence": None,
        "usage": usage_to_anthropic(resp.get("usage")),
    }


class _SseWriter:
    """State for one OpenAI chunk stream being re-told as Anthropic events."""

    def __init__(self, model: str) -> None:
        self.model = model
        self.next_index = 0
        self.open_index: int | None = None
        self.open_kind: str | None = None
        self.tool_blocks: dict[int, int] = {}  # OpenAI tool_call index -> block index
        self.finish: str | None = None
        self.saw_tool_calls = False
        self.usage: dict[str, Any] | None = None

    def start(self, first: dict[str, Any]) -> bytes:
        message: dict[str, Any] = {
            "id": anthropic_message_id(first.get("id")),
            "type": "message",
            "role": "assistant",
            "model": self.model,
            "content": [],
            "stop_reason": None,
            "stop_sequence": None,
            "usage": {"input_tokens": 0, "output_tokens": 0},
        }
        return sse_event("message_start", {"type": "message_start", "message": message})

    def _close(self) -> list[bytes]:
        if self.open_index is None:
            return []
        index, self.open_index, self.open_kind = self.open_index, None, None
        return [sse_event("content_block_stop", {"type": "content_block_stop", "index": index})]

    def _open(self, kind: str, block: dict[str, Any]) -> list[bytes]:
        frames = self._close()
        self.open_index, self.open_kind = self.next_index, kind
        self.next_index += 1
        frames.append(
            sse_event(
                "content_block_start",
                {"type": "content_block_start", "index": self.open_index, "content_block": block},
            )
        )
        return frames

    def _delta(self, index: int, delta: dict[str, Any]) -> bytes:
        return sse_event(
            "content_block_delta", {"type": "content_block_delta", "index": index, "delta": delta}
        )

    def chunk(self, chunk: dict[str, Any]) -> list[bytes]:
        frames: list[bytes] = []
        if isinstance(chunk.get("usage"), dict):
            self.usage = chunk["usage"]
        for choice in chunk.get("choices") or []:
            delta = choice.get("delta") or {}
            text = delta.get("content")
            if isinstance(text, str) and text:
                if self.open_kind != "text":
                    frames += self._open("text", {"type": "text", "text": ""})
                assert self.open_index is not None
                frames.append(self._delta(self.open_index, {"type": "text_delta", "text": text}))
            for tc in delta.get("tool_calls") or []:
                frames += self._tool_delta(tc)
            if choice.get("finish_reason"):
                self.finish = choice["finish_reason"]
        return frames

    def _tool_delta(self, tc: dict[str, Any]) -> list[bytes]:
        self.saw_tool_calls = True
        frames: list[bytes] = []
        key = count(tc.get("index"))
        fn = tc.get("function") or {}
        if key not in self.tool_blocks:
            block: dict[str, Any] = {
                "type": "tool_use",
                "id": tc.get("id") or f"toolu_{key}",
                "name": fn.get("name") or "",
                "input": {},
            }
            frames += self._open("tool_use", block)
            assert self.open_index is not None
            self.tool_blocks[key] = self.open_index
        args = fn.get("arguments")
        if isinstance(args, str) and args:
            # Deltas for an earlier tool still name its own index; SDKs accumulate by index.
            frames.append(
                self._delta(
                    self.tool_blocks[key], {"type": "input_json_delta", "partial_json": args}
                )
            )
        return frames

    def end(self) -> list[bytes]:
        frames = self._close()
        if self.saw_tool_calls and self.finish in ("stop", "tool_calls"):
            stop_reason = "tool_use"
        else:
            stop_reason = FINISH_TO_STOP.get(self.finish or "stop", "end_turn")
        usage = usage_to_anthropic(self.usage)
        frames.append(
            sse_event(
                "message_delta",
                {
                    "type": "message_delta",
                    "delta": {"stop_reason": stop_reason, "stop_sequence": None},
                    "usage": usage,
                },
            )
        )
        frames.append(sse_event("message_stop", {"type": "message_stop"}))
        return frames


async def openai_chunks_to_anthropic_sse(
    chunks: AsyncIterator[dict[str, Any]], model: str
) -> AsyncIterator[bytes]:
    """Re-tell OpenAI ``chat.completion.chunk`` dicts as Anthropic SSE bytes.

    An error before the first chunk propagates (the caller can still answer with
    an HTTP error); after ``message_start`` is out, a :class:`RouterError` becomes
    an ``event: error`` frame, as Anthropic's API does.
    """
    iterator = aiter(chunks)
    try:
        try:
            first = await anext(iterator)
        except StopAsyncIteration:
            raise BackendError("The backend ended without producing a response.") from None
        writer = _SseWriter(model)
        yield writer.start(first)
        try:
            for frame in writer.chunk(first):
                yield frame
            async for chunk in iterator:
                for frame in writer.chunk(chunk):
                    yield frame
            # No finish_reason but a normal end: the cloud backend already turned a cut-off
            # stream into an error, so this upstream simply omitted it ("end_turn").
        except RouterError as exc:
            yield sse_event("error", router_error_to_anthropic(exc))
            return
        for frame in writer.end():
            yield frame
    finally:
        # A client that went away closes us; release the upstream stream with it.
        aclose = getattr(iterator, "aclose", None)
        if aclose is not None:
            await aclose()
