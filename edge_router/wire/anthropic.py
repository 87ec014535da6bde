"""Anthropic Messages in, OpenAI chat completions inside: the `/v1/messages` request side.

The router thinks in OpenAI chat completions. Anthropic SDK clients post Messages
requests; :func:`anthropic_request_to_openai` validates one and turns it into the
equivalent OpenAI body. This module also shapes errors the way Anthropic clients expect
them (:func:`anthropic_error`). The way back, an OpenAI answer (whole or streamed) into
Anthropic's shapes, is :mod:`edge_router.wire.anthropic_reply`; the protocol facts both
share with the Anthropic provider are in :mod:`edge_router.wire.anthropic_maps`.

Validation errors are :class:`BadRequest` naming the field (``param``) and
never quoting request content.

Example::

    oa_body = anthropic_request_to_openai(anthropic_body)
    error_body = router_error_to_anthropic(exc)   # {"type": "error", "error": {...}}
"""

from __future__ import annotations

import json
from typing import Any

from edge_router.errors import BadRequest, RouterError
from edge_router.wire.anthropic_maps import (
    anthropic_error_type,
    image_block_to_part,
    is_number,
    tool_to_openai,
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
