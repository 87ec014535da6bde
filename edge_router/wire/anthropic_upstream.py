"""The Anthropic provider's translation: OpenAI request out, Anthropic answers back.

The inverse of :mod:`edge_router.wire.anthropic` and
:mod:`edge_router.wire.anthropic_reply` (which serve Anthropic clients); all three share
:mod:`edge_router.wire.anthropic_maps` so a mapping is defined once. The upstream body is
built from the blocks of :mod:`edge_router.wire.anthropic_model` and validated with the
front door's request model, so it is always a body the router itself would accept.

Example::

    wire = openai_request_to_anthropic(body, model="claude-x", default_max_tokens=4096)
    completion = anthropic_message_to_openai(message_json)
    chunker = AnthropicChunker(include_usage=True)
    for event, data in sse_events:
        for chunk in chunker.feed(event, data): ...
"""

from __future__ import annotations

import json
import time
from typing import Any

from pydantic import ValidationError

from edge_router.errors import BadRequest, EdgeRouterError
from edge_router.wire.anthropic_maps import (
    STOP_TO_FINISH,
    count,
    image_part_to_block,
    is_number,
    parse_tool_input,
    tool_to_anthropic,
    usage_to_openai,
)
from edge_router.wire.anthropic_model import (
    ImageBlock,
    MessagesRequest,
    TextBlock,
    ToolResultBlock,
    ToolUseBlock,
    bad_request,
)


class AnthropicStreamError(EdgeRouterError):
    """An ``event: error`` frame in an Anthropic stream; ``payload`` is its error object."""

    def __init__(self, payload: dict[str, Any]) -> None:
        super().__init__("upstream stream error")
        self.payload = payload


class MalformedUpstream(EdgeRouterError):
    """The upstream answered with JSON of the wrong shape (no content is kept)."""


# --- request ------------------------------------------------------------------------

Block = TextBlock | ImageBlock | ToolUseBlock | ToolResultBlock


def _bad(param: str, what: str) -> BadRequest:
    return BadRequest(f"Invalid value for '{param}': {what}.", param=param)


def _text_blocks(content: Any, param: str, *, images: bool) -> list[Block]:
    if content is None:
        return []
    if isinstance(content, str):
        return [TextBlock(type="text", text=content)]
    if not isinstance(content, list):
        raise _bad(param, "expected a string or a list of content parts")
    blocks: list[Block] = []
    for j, part in enumerate(content):
        p = f"{param}.{j}"
        if not isinstance(part, dict):
            raise _bad(p, "expected a content part object")
        kind = part.get("type")
        if kind in ("text", "input_text") and isinstance(part.get("text"), str):
            blocks.append(TextBlock(type="text", text=part["text"]))
        elif kind == "image_url" and images:
            blocks.append(image_part_to_block(part, param=p))
        else:
            raise _bad(f"{p}.type", "content part type not supported by this provider")
    return blocks


def _join_text(blocks: list[Block]) -> str:
    return "\n\n".join(b.text for b in blocks if isinstance(b, TextBlock))


def _append(turns: list[tuple[str, list[Block]]], role: str, blocks: list[Block]) -> None:
    # Anthropic wants alternating turns; consecutive same-role messages (e.g. several
    # tool results, then the user's next words) become one turn, order kept.
    if turns and turns[-1][0] == role:
        turns[-1][1].extend(blocks)
    else:
        turns.append((role, list(blocks)))


def _assistant_blocks(m: dict[str, Any], p: str) -> list[Block]:
    blocks = _text_blocks(m.get("content"), f"{p}.content", images=False)
    tool_calls = m.get("tool_calls") or []
    if tool_calls:  # "" beside tool calls is OpenAI filler
        blocks = [b for b in blocks if isinstance(b, TextBlock) and b.text]
    if not isinstance(tool_calls, list):
        raise _bad(f"{p}.tool_calls", "expected a list")
    for k, tc in enumerate(tool_calls):
        tp = f"{p}.tool_calls.{k}"
        fn = tc.get("function") if isinstance(tc, dict) else None
        if not isinstance(fn, dict) or not isinstance(fn.get("name"), str):
            raise _bad(tp, "expected a function tool call with a name")
        call_id = tc.get("id") or f"toolu_{k}"
        if not isinstance(call_id, str):
            raise _bad(f"{tp}.id", "expected a string")
        arguments = parse_tool_input(fn.get("arguments"), param=f"{tp}.function.arguments")
        blocks.append(ToolUseBlock(type="tool_use", id=call_id, name=fn["name"], input=arguments))
    return blocks


def _messages(messages: Any) -> tuple[str | None, list[dict[str, Any]]]:
    if not isinstance(messages, list) or not messages:
        raise _bad("messages", "expected a non-empty list")
    system: list[str] = []
    turns: list[tuple[str, list[Block]]] = []
    for i, m in enumerate(messages):
        p = f"messages.{i}"
        if not isinstance(m, dict):
            raise _bad(p, "expected a message object")
        role = m.get("role")
        if role in ("system", "developer"):
            # Anthropic has one top-level system prompt; OpenAI allows several anywhere.
            system.append(_join_text(_text_blocks(m.get("content"), f"{p}.content", images=False)))
        elif role == "user":
            _append(turns, "user", _text_blocks(m.get("content"), f"{p}.content", images=True))
        elif role == "assistant":
            _append(turns, "assistant", _assistant_blocks(m, p))
        elif role == "tool":
            if not isinstance(m.get("tool_call_id"), str):
                raise _bad(f"{p}.tool_call_id", "expected a string")
            result = _join_text(_text_blocks(m.get("content"), f"{p}.content", images=False))
            block = ToolResultBlock(
                type="tool_result", tool_use_id=m["tool_call_id"], content=result
            )
            _append(turns, "user", [block])
        else:
            raise _bad(f"{p}.role", "role not supported by this provider")
    out: list[dict[str, Any]] = []
    for role, blocks in turns:
        # Keep the body as close to what the client sent as the API allows.
        only = blocks[0] if len(blocks) == 1 else None
        out.append({"role": role, "content": only.text if isinstance(only, TextBlock) else blocks})
    return ("\n\n".join(system) if system else None), out


def _tool_choice(choice: Any, parallel: Any) -> dict[str, Any] | None:
    out: dict[str, Any] | None
    if choice is None:
        out = None
    elif choice == "auto":
        out = {"type": "auto"}
    elif choice == "required":
        out = {"type": "any"}
    elif choice == "none":
        out = {"type": "none"}
    elif isinstance(choice, dict) and isinstance((choice.get("function") or {}).get("name"), str):
        out = {"type": "tool", "name": choice["function"]["name"]}
    else:
        raise _bad("tool_choice", "expected auto, required, none or a function")
    if parallel is False:
        out = {**(out or {"type": "auto"}), "disable_parallel_tool_use": True}
    return out


def openai_request_to_anthropic(
    body: dict[str, Any], *, model: str, default_max_tokens: int
) -> dict[str, Any]:
    """An OpenAI chat body -> an Anthropic Messages body for ``model`` (upstream name).

    `temperature` is clamped to Anthropic's 0..1 range; OpenAI-only sampling knobs
    (penalties, seed, logprobs, n=1, response_format) are dropped. The result is
    validated with the front door's own :class:`MessagesRequest` before it is dumped.
    """
    system, messages = _messages(body.get("messages"))
    wire: dict[str, Any] = {"model": model, "messages": messages, "system": system}
    max_tokens = body.get("max_completion_tokens") or body.get("max_tokens") or default_max_tokens
    wire["max_tokens"] = max_tokens
    stop = body.get("stop")
    if isinstance(stop, str):
        wire["stop_sequences"] = [stop]
    elif isinstance(stop, list) and stop:
        wire["stop_sequences"] = stop
    if is_number(body.get("temperature")):
        wire["temperature"] = min(float(body["temperature"]), 1.0)
    if is_number(body.get("top_p")):
        wire["top_p"] = body["top_p"]
    if isinstance(body.get("top_k"), int):
        wire["top_k"] = body["top_k"]
    tools = body.get("tools")
    if tools:
        if not isinstance(tools, list):
            raise _bad("tools", "expected a list")
        for k, tool in enumerate(tools):
            if (
                not isinstance(tool, dict)
                or tool.get("type") != "function"
                or not isinstance((tool.get("function") or {}).get("name"), str)
            ):
                raise _bad(f"tools.{k}", "expected a function tool with a name")
        wire["tools"] = [tool_to_anthropic(t) for t in tools]
    wire["tool_choice"] = _tool_choice(body.get("tool_choice"), body.get("parallel_tool_calls"))
    if isinstance(body.get("user"), str):
        wire["metadata"] = {"user_id": body["user"]}
    wire["stream"] = bool(body.get("stream"))
    try:
        request = MessagesRequest.model_validate(wire)
    except ValidationError as exc:
        raise bad_request(exc) from None
    return request.model_dump(exclude_none=True)


# --- response -----------------------------------------------------------------------


def _finish(stop_reason: Any) -> str:
    return STOP_TO_FINISH.get(stop_reason, "stop") if isinstance(stop_reason, str) else "stop"


def _completion_id(message_id: Any) -> str:
    return f"chatcmpl-{message_id}" if isinstance(message_id, str) else "chatcmpl-upstream"


def anthropic_message_to_openai(msg: Any, *, created: int | None = None) -> dict[str, Any]:
    """An Anthropic ``message`` object -> an OpenAI ``chat.completion`` dict."""
    if not isinstance(msg, dict) or msg.get("type") != "message":
        raise MalformedUpstream("not a message object")
    blocks = msg.get("content")
    if not isinstance(blocks, list):
        raise MalformedUpstream("message content is not a list")
    text: list[str] = []
    tool_calls: list[dict[str, Any]] = []
    for block in blocks:
        if not isinstance(block, dict):
            raise MalformedUpstream("content block is not an object")
        if block.get("type") == "text" and isinstance(block.get("text"), str):
            text.append(block["text"])
        elif block.get("type") == "tool_use":
            tool_calls.append(
                {
                    "id": block.get("id"),
                    "type": "function",
                    "function": {
                        "name": block.get("name"),
                        "arguments": json.dumps(block.get("input") or {}, ensure_ascii=False),
                    },
                }
            )
        # thinking and server-tool blocks have no OpenAI counterpart
    message: dict[str, Any] = {
        "role": "assistant",
        "content": "".join(text) if text or not tool_calls else None,
        "refusal": None,
    }
    if tool_calls:
        message["tool_calls"] = tool_calls
    usage = msg.get("usage")
    return {
        "id": _completion_id(msg.get("id")),
        "object": "chat.completion",
        "created": int(time.time()) if created is None else created,
        "model": msg.get("model"),
        "system_fingerprint": None,
        "choices": [
            {
                "index": 0,
                "message": message,
                "logprobs": None,
                "finish_reason": _finish(msg.get("stop_reason")),
            }
        ],
        "usage": usage_to_openai(usage if isinstance(usage, dict) else {}),
    }


class AnthropicChunker:
    """Anthropic stream events -> OpenAI ``chat.completion.chunk`` dicts.

    ``feed`` takes one decoded SSE event and returns the chunks it becomes;
    ``finished`` turns true at ``message_stop``. An ``error`` event raises
    :class:`AnthropicStreamError`; unknown events are skipped (forward compatible).
    """

    def __init__(self, *, include_usage: bool, created: int | None = None) -> None:
        self.include_usage = include_usage
        self.created = int(time.time()) if created is None else created
        self.id = "chatcmpl-upstream"
        self.model: Any = None
        self.usage: dict[str, Any] = {}
        self.tools: dict[int, int] = {}  # Anthropic block index -> OpenAI tool_call index
        self.finished = False
        self.started = False

    def _chunk(self, delta: dict[str, Any], finish: str | None = None) -> dict[str, Any]:
        chunk: dict[str, Any] = {
            "id": self.id,
            "object": "chat.completion.chunk",
            "created": self.created,
            "model": self.model,
            "system_fingerprint": None,
            "choices": [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}],
        }
        if self.include_usage:
            chunk["usage"] = None
        return chunk

    def feed(self, event: str | None, data: Any) -> list[dict[str, Any]]:
        if not isinstance(data, dict):
            raise MalformedUpstream("event data is not an object")
        kind = data.get("type", event)
        if kind == "error":
            error = data.get("error")
            raise AnthropicStreamError(error if isinstance(error, dict) else {})
        if kind == "message_start":
            message = data.get("message") or {}
            self.id = _completion_id(message.get("id"))
            self.model = message.get("model")
            self.usage.update(message.get("usage") or {})
            self.started = True
            return [self._chunk({"role": "assistant", "content": ""})]
        if not self.started:
            if kind == "ping":
                return []
            raise MalformedUpstream("stream did not begin with message_start")
        if kind == "content_block_start":
            return self._block_start(data)
        if kind == "content_block_delta":
            return self._block_delta(data)
        if kind == "message_delta":
            self.usage.update(data.get("usage") or {})
            stop = (data.get("delta") or {}).get("stop_reason")
            return [self._chunk({}, _finish(stop))] if stop is not None else []
        if kind == "message_stop":
            self.finished = True
            if not self.include_usage:
                return []
            final = self._chunk({})
            final["choices"] = []
            final["usage"] = usage_to_openai(self.usage)
            return [final]
        return []  # ping, content_block_stop, and events newer than this code

    def _block_start(self, data: dict[str, Any]) -> list[dict[str, Any]]:
        block = data.get("content_block") or {}
        if block.get("type") == "text" and block.get("text"):
            return [self._chunk({"content": block["text"]})]
        if block.get("type") == "tool_use":
            index = len(self.tools)
            self.tools[count(data.get("index"))] = index
            call = {
                "index": index,
                "id": block.get("id"),
                "type": "function",
                "function": {"name": block.get("name"), "arguments": ""},
            }
            return [self._chunk({"tool_calls": [call]})]
        return []

    def _block_delta(self, data: dict[str, Any]) -> list[dict[str, Any]]:
        delta = data.get("delta") or {}
        if delta.get("type") == "text_delta" and isinstance(delta.get("text"), str):
            return [self._chunk({"content": delta["text"]})]
        if delta.get("type") == "input_json_delta":
            index = self.tools.get(count(data.get("index")))
            fragment = delta.get("partial_json")
            if index is not None and isinstance(fragment, str) and fragment:
                call = {"index": index, "function": {"arguments": fragment}}
                return [self._chunk({"tool_calls": [call]})]
        return []
