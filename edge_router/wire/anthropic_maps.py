"""Anthropic Messages protocol facts shared by both translation directions.

:mod:`edge_router.wire.anthropic` and :mod:`edge_router.wire.anthropic_reply` serve
Anthropic clients (Anthropic in, OpenAI inside); :mod:`edge_router.wire.anthropic_upstream`
talks to an Anthropic upstream (OpenAI inside, Anthropic out). Stop reasons, tools,
images, usage and SSE framing are defined here once, for both; the request's shapes
are the models of :mod:`edge_router.wire.anthropic_model`.
"""

from __future__ import annotations

import json
from typing import Any

from edge_router.errors import BadRequest
from edge_router.wire.anthropic_model import Base64Source, ImageBlock, Tool, UrlSource

STOP_TO_FINISH: dict[str, str] = {
    "end_turn": "stop",
    "stop_sequence": "stop",
    "pause_turn": "stop",
    "max_tokens": "length",
    "model_context_window_exceeded": "length",
    "tool_use": "tool_calls",
    "refusal": "content_filter",
}
"""Anthropic stop_reason -> OpenAI finish_reason."""

FINISH_TO_STOP: dict[str, str] = {
    "stop": "end_turn",
    "length": "max_tokens",
    "tool_calls": "tool_use",
    "function_call": "tool_use",
    "content_filter": "refusal",
}
"""OpenAI finish_reason -> Anthropic stop_reason."""

ANTHROPIC_ERROR_TYPES: dict[int, str] = {
    400: "invalid_request_error",
    401: "authentication_error",
    403: "permission_error",
    404: "not_found_error",
    413: "request_too_large",
    429: "rate_limit_error",
    500: "api_error",
    502: "api_error",
    503: "overloaded_error",
    504: "timeout_error",
    529: "overloaded_error",
}

# Our (OpenAI-flavoured) error types that have an Anthropic name; others pass as-is.
_ERROR_TYPE_ALIASES = {
    "server_error": "api_error",
    "upstream_error": "api_error",
    "server_busy": "overloaded_error",
    "rate_limit_exceeded": "rate_limit_error",
}


def is_number(v: Any) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool)


def count(value: Any) -> int:
    """A token count or index from a peer's JSON; anything but a non-negative int is 0."""
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else 0


def sse_event(event: str, data: dict[str, Any]) -> bytes:
    """One Anthropic-style SSE frame (`event:` line plus JSON `data:`)."""
    payload = json.dumps(data, separators=(",", ":"), ensure_ascii=False)
    return f"event: {event}\ndata: {payload}\n\n".encode()


def parse_tool_input(arguments: Any, *, param: str) -> dict[str, Any]:
    """OpenAI tool-call `arguments` (a JSON string) -> Anthropic tool `input` (an object)."""
    if isinstance(arguments, dict):
        return arguments
    if arguments is None or arguments == "":
        return {}
    if not isinstance(arguments, str):
        raise BadRequest(f"Invalid value for '{param}': expected a JSON string.", param=param)
    try:
        value = json.loads(arguments)
    except json.JSONDecodeError:
        raise BadRequest(f"Invalid value for '{param}': not valid JSON.", param=param) from None
    if not isinstance(value, dict):
        raise BadRequest(f"Invalid value for '{param}': expected a JSON object.", param=param)
    return value


def tool_to_openai(tool: Tool) -> dict[str, Any]:
    fn: dict[str, Any] = {"name": tool.name}
    if tool.description is not None:
        fn["description"] = tool.description
    fn["parameters"] = tool.input_schema or {"type": "object", "properties": {}}
    return {"type": "function", "function": fn}


def tool_to_anthropic(tool: dict[str, Any]) -> dict[str, Any]:
    """An OpenAI function tool -> the fields of an Anthropic :class:`Tool` (checked when
    the upstream body is validated)."""
    fn = tool["function"]
    out: dict[str, Any] = {"name": fn["name"]}
    if fn.get("description") is not None:
        out["description"] = fn["description"]
    out["input_schema"] = fn.get("parameters") or {"type": "object", "properties": {}}
    return out


def image_block_to_part(block: ImageBlock) -> dict[str, Any]:
    """Anthropic image block -> OpenAI `image_url` content part."""
    source = block.source
    if isinstance(source, Base64Source):
        media = source.media_type or "image/png"
        return {"type": "image_url", "image_url": {"url": f"data:{media};base64,{source.data}"}}
    return {"type": "image_url", "image_url": {"url": source.url}}


def image_part_to_block(part: dict[str, Any], *, param: str) -> ImageBlock:
    """OpenAI `image_url` content part -> Anthropic image block."""
    image = part.get("image_url")
    url = image.get("url") if isinstance(image, dict) else image
    if isinstance(url, str):
        if url.startswith("data:") and ";base64," in url:
            media, _, data = url[5:].partition(";base64,")
            return ImageBlock(
                type="image", source=Base64Source(type="base64", media_type=media, data=data)
            )
        if url.startswith(("https://", "http://")):
            return ImageBlock(type="image", source=UrlSource(type="url", url=url))
    raise BadRequest(f"Invalid value for '{param}.image_url': unsupported image URL.", param=param)


def usage_to_openai(usage: dict[str, Any]) -> dict[str, Any]:
    """Anthropic usage -> OpenAI usage. Anthropic counts cached input separately;
    OpenAI's prompt_tokens includes it."""
    cached = count(usage.get("cache_read_input_tokens"))
    created = count(usage.get("cache_creation_input_tokens"))
    prompt = count(usage.get("input_tokens")) + cached + created
    completion = count(usage.get("output_tokens"))
    out: dict[str, Any] = {
        "prompt_tokens": prompt,
        "completion_tokens": completion,
        "total_tokens": prompt + completion,
    }
    if cached:
        out["prompt_tokens_details"] = {"cached_tokens": cached}
    return out


def usage_to_anthropic(usage: dict[str, Any] | None) -> dict[str, Any]:
    """OpenAI usage -> Anthropic usage (input_tokens excludes cache reads)."""
    usage = usage or {}
    details = usage.get("prompt_tokens_details") or {}
    cached = count(details.get("cached_tokens")) if isinstance(details, dict) else 0
    return {
        "input_tokens": max(0, count(usage.get("prompt_tokens")) - cached),
        "output_tokens": count(usage.get("completion_tokens")),
        "cache_creation_input_tokens": 0,
        "cache_read_input_tokens": cached,
    }


def anthropic_error_type(status: int, type_: str | None = None) -> str:
    if type_ and type_ in set(ANTHROPIC_ERROR_TYPES.values()):
        return type_
    if type_ and type_ in _ERROR_TYPE_ALIASES:
        return _ERROR_TYPE_ALIASES[type_]
    if type_:
        return type_  # router-specific (e.g. policy_violation): more telling than a guess
    return ANTHROPIC_ERROR_TYPES.get(
        status, "api_error" if status >= 500 else "invalid_request_error"
    )


def anthropic_message_id(openai_id: Any) -> str:
    if isinstance(openai_id, str) and openai_id:
        return "msg_" + openai_id.removeprefix("chatcmpl-")
    return "msg_router"
