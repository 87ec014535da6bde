"""Anthropic Messages <-> OpenAI chat completions, for the `/v1/messages` front door.

The router thinks in OpenAI chat completions. Anthropic SDK clients post
Messages requests; these pure functions turn such a request into an OpenAI
body and the OpenAI answer (whole or streamed) back into Anthropic's shapes.
The building blocks at the top (stop reasons, tools, images, usage, SSE
framing) are shared with the Anthropic provider in
``edge_router.wire.anthropic_upstream``, which translates the other way.

Validation errors are :class:`BadRequest` naming the field (``param``) and
never quoting request content.

Example::

    oa_body = anthropic_request_to_openai(anthropic_body)
    message = openai_response_to_anthropic(completion, model=anthropic_body["model"])
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

from edge_router.errors import BackendError, BadRequest, RouterError
from edge_router.wire.anthropic_maps import (
    FINISH_TO_STOP,
    anthropic_error_type,
    anthropic_message_id,
    count,
    image_block_to_part,
    is_number,
    parse_tool_input,
    sse_event,
    tool_to_openai,
    usage_to_anthropic,
)

# --- errors ----------------------------------------------------------------------------


def anthropic_error(status: int, type: str | None, message: str) -> dict[str, Any]:
    """An Anthropic-shaped error body: ``{"type": "error", "error": {...}}``."""
    return {
        "type": "error",
        "error": {"type": anthropic_error_type(status, type), "message": message},
    }


def router_error_to_anthropic(exc: RouterError) -> dict[str, Any]:
    return anthropic_error(exc.status, exc.type, exc.message)


# --- request: Anthropic -> OpenAI ---------------------------------------------------


def _bad(param: str, what: str) -> BadRequest:
    return BadRequest(f"Invalid value for '{param}': {what}.", param=param)


def _text_of_blocks(blocks: Any, param: str, *, allow_images: bool = False) -> Any:
    """A string, or a list of text blocks -> a string (one block) or OpenAI parts."""
    if isinstance(blocks, str):
        return blocks
    if not isinstance(blocks, list):
        raise _bad(param, "expected a string or a list of content blocks")
    parts: list[dict[str, Any]] = []
    for j, block in enumerate(blocks):
        p = f"{param}.{j}"
        if not isinstance(block, dict):
            raise _bad(p, "expected a content block object")
        kind = block.get("type")
        if kind == "text":
            if not isinstance(block.get("text"), str):
                raise _bad(f"{p}.text", "expected a string")
            parts.append({"type": "text", "text": block["text"]})
        elif kind == "image" and allow_images:
            parts.append(image_block_to_part(block, param=p))
        else:
            raise _bad(f"{p}.type", "unsupported content block type here")
    return _collapse(parts)


def _collapse(parts: list[dict[str, Any]]) -> Any:
    if len(parts) == 1 and parts[0]["type"] == "text":
        return parts[0]["text"]
    return parts


def _message_to_openai(m: Any, i: int) -> list[dict[str, Any]]:
    p = f"messages.{i}"
    if not isinstance(m, dict):
        raise _bad(p, "expected a message object")
    role = m.get("role")
    if role not in ("user", "assistant"):
        raise _bad(f"{p}.role", "expected 'user' or 'assistant'")
    content = m.get("content")
    if isinstance(content, str):
        return [{"role": role, "content": content}]
    if not isinstance(content, list):
        raise _bad(f"{p}.content", "expected a string or a list of content blocks")

    tool_msgs: list[dict[str, Any]] = []
    parts: list[dict[str, Any]] = []
    tool_calls: list[dict[str, Any]] = []
    for j, block in enumerate(content):
        bp = f"{p}.content.{j}"
        if not isinstance(block, dict):
            raise _bad(bp, "expected a content block object")
        kind = block.get("type")
        if kind == "text":
            if not isinstance(block.get("text"), str):
                raise _bad(f"{bp}.text", "expected a string")
            parts.append({"type": "text", "text": block["text"]})
        elif kind == "image" and role == "user":
            parts.append(image_block_to_part(block, param=bp))
        elif kind == "tool_result" and role == "user":
            if not isinstance(block.get("tool_use_id"), str):
                raise _bad(f"{bp}.tool_use_id", "expected a string")
            result = block.get("content", "")
            tool_msgs.append(
                {
                    "role": "tool",
                    "tool_call_id": block["tool_use_id"],
                    "content": _text_of_blocks(result, f"{bp}.content"),
                }
            )
        elif kind == "tool_use" and role == "assistant":
            if not isinstance(block.get("id"), str) or not isinstance(block.get("name"), str):
                raise _bad(bp, "tool_use needs string 'id' and 'name'")
            tool_input = block.get("input", {})
            if not isinstance(tool_input, dict):
                raise _bad(f"{bp}.input", "expected an object")
            tool_calls.append(
                {
                    "id": block["id"],
                    "type": "function",
                    "function": {
                        "name": block["name"],
                        "arguments": json.dumps(tool_input, ensure_ascii=False),
                    },
                }
            )
        elif kind in ("thinking", "redacted_thinking") and role == "assistant":
            continue  # provider-specific reasoning; OpenAI bodies have no place for it
        else:
            raise _bad(f"{bp}.type", "unsupported content block type")

    if role == "assistant":
        msg: dict[str, Any] = {"role": "assistant", "content": _collapse(parts) if parts else None}
        if tool_calls:
            msg["tool_calls"] = tool_calls
        elif not parts:
            msg["content"] = ""
        return [msg]
    # Tool results answer the previous assistant turn, so OpenAI needs them first.
    out = tool_msgs
    if parts or not tool_msgs:
        out = [*out, {"role": "user", "content": _collapse(parts) if parts else ""}]
    return out


def _tool_choice_to_openai(choice: Any, out: dict[str, Any]) -> None:
    if not isinstance(choice, dict) or not isinstance(choice.get("type"), str):
        raise _bad("tool_choice", "expected an object with a 'type'")
    kind = choice["type"]
    if kind == "auto":
        out["tool_choice"] = "auto"
    elif kind == "any":
        out["tool_choice"] = "required"
    elif kind == "none":
        out["tool_choice"] = "none"
    elif kind == "tool":
        if not isinstance(choice.get("name"), str):
            raise _bad("tool_choice.name", "expected a string")
        out["tool_choice"] = {"type": "function", "function": {"name": choice["name"]}}
    else:
        raise _bad("tool_choice.type", "expected auto, any, tool or none")
    if choice.get("disable_parallel_tool_use") is True:
        out["parallel_tool_calls"] = False


def anthropic_request_to_openai(body: dict[str, Any]) -> dict[str, Any]:
    """Validate an Anthropic Messages request and return the equivalent OpenAI body.

    Unknown top-level fields are ignored; `top_k` has no OpenAI equivalent and is
    dropped. A streaming request asks for usage so `message_delta` can report it.
    """
    if not isinstance(body, dict):
        raise BadRequest("Request body must be a JSON object.")
    model = body.get("model")
    if not isinstance(model, str) or not model:
        raise _bad("model", "expected a non-empty string")
    max_tokens = body.get("max_tokens")
    if isinstance(max_tokens, bool) or not isinstance(max_tokens, int) or max_tokens < 1:
        raise _bad("max_tokens", "expected an integer >= 1")
    messages = body.get("messages")
    if not isinstance(messages, list) or not messages:
        raise _bad("messages", "expected a non-empty list")

    out_msgs: list[dict[str, Any]] = []
    system = body.get("system")
    if system is not None:
        text = _text_of_blocks(system, "system")
        if isinstance(text, list):  # several system blocks: one system message
            text = "\n\n".join(part["text"] for part in text)
        out_msgs.append({"role": "system", "content": text})
    for i, m in enumerate(messages):
        out_msgs.extend(_message_to_openai(m, i))

    out: dict[str, Any] = {"model": model, "messages": out_msgs, "max_tokens": max_tokens}
    stream = body.get("stream", False)
    if not isinstance(stream, bool):
        raise _bad("stream", "expected a boolean")
    if stream:
        out["stream"] = True
        out["stream_options"] = {"include_usage": True}
    for name in ("temperature", "top_p"):
        value = body.get(name)
        if value is not None:
            if not is_number(value) or not 0 <= value <= 1:
                raise _bad(name, "expected a number between 0 and 1")
            out[name] = value
    stops = body.get("stop_sequences")
    if stops is not None:
        if not isinstance(stops, list) or not all(isinstance(s, str) for s in stops):
            raise _bad("stop_sequences", "expected a list of strings")
        if stops:
            out["stop"] = stops
    tools = body.get("tools")
    if tools is not None:
        if not isinstance(tools, list):
            raise _bad("tools", "expected a list")
        converted = []
        for k, tool in enumerate(tools):
            if not isinstance(tool, dict) or not isinstance(tool.get("name"), str):
                raise _bad(f"tools.{k}", "expected a tool with a string 'name'")
            if tool.get("type") not in (None, "custom"):
                raise _bad(f"tools.{k}.type", "server tools are not supported")
            if not isinstance(tool.get("input_schema", {}), dict):
                raise _bad(f"tools.{k}.input_schema", "expected an object")
            converted.append(tool_to_openai(tool))
        if converted:
            out["tools"] = converted
    if body.get("tool_choice") is not None:
        _tool_choice_to_openai(body["tool_choice"], out)
    metadata = body.get("metadata")
    if isinstance(metadata, dict) and isinstance(metadata.get("user_id"), str):
        out["user"] = metadata["user_id"]
    return out


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
    tool_calls = message.get("tool_calls") or []
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
    finish = choice.get("finish_reason")
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
