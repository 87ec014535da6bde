"""Anthropic Messages in, OpenAI chat completions inside: the `/v1/messages` request side.

The router thinks in OpenAI chat completions. Anthropic SDK clients post Messages
requests; :func:`anthropic_request_to_openai` validates one (once, with the model of
:mod:`edge_router.wire.anthropic_model`) and turns the typed result into the
equivalent OpenAI body (:func:`messages_to_openai`). This module also shapes errors
the way Anthropic clients expect them (:func:`anthropic_error`). The way back, an OpenAI
answer (whole or streamed) into Anthropic's shapes, is
:mod:`edge_router.wire.anthropic_reply`; the protocol facts both share with the Anthropic
provider are in :mod:`edge_router.wire.anthropic_maps`.

Validation errors are :class:`BadRequest` naming the field path (``param``) and
never quoting request content.

Example::

    oa_body = anthropic_request_to_openai(anthropic_body)
    error_body = router_error_to_anthropic(exc)   # {"type": "error", "error": {...}}
"""

from __future__ import annotations

import json
from typing import Any

from edge_router.errors import RouterError
from edge_router.wire.anthropic_maps import (
    anthropic_error_type,
    image_block_to_part,
    tool_to_openai,
)
from edge_router.wire.anthropic_model import (
    AssistantMessage,
    ImageBlock,
    MessagesRequest,
    TextBlock,
    ToolChoiceMode,
    ToolChoiceTool,
    ToolResultBlock,
    ToolUseBlock,
    UserMessage,
    parse_messages,
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


def anthropic_request_to_openai(body: dict[str, Any]) -> dict[str, Any]:
    """Validate an Anthropic Messages request and return the equivalent OpenAI body."""
    return messages_to_openai(parse_messages(body))


def messages_to_openai(request: MessagesRequest) -> dict[str, Any]:
    """A validated Messages request as the equivalent OpenAI chat body.

    Only the fields read here go on: unknown keys were dropped by the model, `top_k`
    (no OpenAI equivalent) is validated and dropped. A streaming request asks for usage
    so `message_delta` can report it.
    """
    messages: list[dict[str, Any]] = []
    if request.system is not None:  # several system blocks: one system message
        messages.append({"role": "system", "content": _joined(request.system)})
    for m in request.messages:
        messages.extend(_message_to_openai(m))
    out: dict[str, Any] = {
        "model": request.model,
        "messages": messages,
        "max_tokens": request.max_tokens,
    }
    if request.stream:
        out["stream"] = True
        out["stream_options"] = {"include_usage": True}
    if request.temperature is not None:
        out["temperature"] = request.temperature
    if request.top_p is not None:
        out["top_p"] = request.top_p
    if request.stop_sequences:
        out["stop"] = list(request.stop_sequences)
    if request.tools:
        out["tools"] = [tool_to_openai(tool) for tool in request.tools]
    if request.tool_choice is not None:
        out.update(_tool_choice_to_openai(request.tool_choice))
    if request.metadata is not None and request.metadata.user_id is not None:
        out["user"] = request.metadata.user_id
    return out


def _joined(content: str | list[TextBlock]) -> str:
    return content if isinstance(content, str) else "\n\n".join(b.text for b in content)


def _text(content: str | list[TextBlock]) -> Any:
    """Text content as OpenAI takes it: a string, or text parts (one part: its string)."""
    if isinstance(content, str):
        return content
    return _collapse([{"type": "text", "text": b.text} for b in content])


def _collapse(parts: list[dict[str, Any]]) -> Any:
    if len(parts) == 1 and parts[0]["type"] == "text":
        return parts[0]["text"]
    return parts


def _message_to_openai(m: UserMessage | AssistantMessage) -> list[dict[str, Any]]:
    if isinstance(m.content, str):
        return [{"role": m.role, "content": m.content}]
    tool_msgs: list[dict[str, Any]] = []
    parts: list[dict[str, Any]] = []
    tool_calls: list[dict[str, Any]] = []
    for block in m.content:
        if isinstance(block, TextBlock):
            parts.append({"type": "text", "text": block.text})
        elif isinstance(block, ImageBlock):
            parts.append(image_block_to_part(block))
        elif isinstance(block, ToolResultBlock):
            tool_msgs.append(
                {"role": "tool", "tool_call_id": block.tool_use_id, "content": _text(block.content)}
            )
        elif isinstance(block, ToolUseBlock):
            arguments = json.dumps(block.input, ensure_ascii=False)
            tool_calls.append(
                {
                    "id": block.id,
                    "type": "function",
                    "function": {"name": block.name, "arguments": arguments},
                }
            )
        # ThinkingBlock: provider-specific reasoning; OpenAI bodies have no place for it

    if isinstance(m, AssistantMessage):
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


def _tool_choice_to_openai(choice: ToolChoiceMode | ToolChoiceTool) -> dict[str, Any]:
    out: dict[str, Any]
    if isinstance(choice, ToolChoiceTool):
        out = {"tool_choice": {"type": "function", "function": {"name": choice.name}}}
    else:
        out = {"tool_choice": {"auto": "auto", "any": "required", "none": "none"}[choice.type]}
    if choice.disable_parallel_tool_use is True:
        out["parallel_tool_calls"] = False
    return out
