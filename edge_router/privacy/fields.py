"""Find every piece of text a cloud provider would receive from a request body.

The scanner can only protect what it sees, so this walks everything that is
forwarded: all roles, names, tool calls and their JSON arguments, tool results,
system prompts. Parts that are not text (images, audio, files, documents) are
returned as paths so the caller can fail closed on them.

Understands OpenAI chat bodies, Anthropic Messages bodies and ``{"text": ...}``.
Unknown shapes and non-string garbage are skipped, never raised on.

Example::

    fields, non_text = extract_fields({"messages": [{"role": "user", "content": "hi"}]})
    # fields == [TextField("messages[0].content", "hi")], non_text == []
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from edge_router.privacy.types import TextField

# Content-part types that carry no scannable text.
_NON_TEXT_PART_TYPES = frozenset(
    {
        "image_url",
        "input_image",
        "image",
        "input_audio",
        "audio",
        "file",
        "input_file",
        "document",
    }
)


# Part types that are text (possibly empty) or opaque-by-design provider data.
_TEXT_PART_TYPES = frozenset(
    {"text", "input_text", "output_text", "thinking", "redacted_thinking", "refusal"}
)


class _Collector:
    def __init__(self) -> None:
        self.fields: list[TextField] = []
        self.non_text: list[str] = []

    def text(self, path: str, value: Any) -> None:
        if isinstance(value, str) and value:
            self.fields.append(TextField(path=path, text=value))

    def json_value(self, path: str, value: Any) -> None:
        """Tool inputs arrive as objects (Anthropic); scan them as the JSON sent."""
        if isinstance(value, str):
            self.text(path, value)
        elif value is not None:
            try:
                encoded = json.dumps(value, ensure_ascii=False, sort_keys=True)
            except (TypeError, ValueError):
                # Not JSON-encodable means we cannot see it: treat as unscannable.
                self.non_text.append(path)
                return
            if encoded not in ("{}", "[]", '""'):
                self.text(path, encoded)


def extract_fields(body: Mapping[str, Any]) -> tuple[list[TextField], list[str]]:
    """Return (text fields, paths of non-text parts) for a request body."""
    out = _Collector()
    if not isinstance(body, Mapping):
        return out.fields, out.non_text

    out.text("text", body.get("text"))
    out.text("prompt", body.get("prompt"))
    _system(out, body.get("system"))
    messages = body.get("messages")
    if isinstance(messages, Sequence) and not isinstance(messages, str | bytes):
        for i, message in enumerate(messages):
            if isinstance(message, Mapping):
                _message(out, f"messages[{i}]", message)
    return out.fields, out.non_text


def _system(out: _Collector, system: Any) -> None:
    if isinstance(system, str):
        out.text("system", system)
    elif isinstance(system, Sequence) and not isinstance(system, bytes):
        for i, block in enumerate(system):
            if isinstance(block, Mapping):
                _block(out, f"system[{i}]", block)


def _message(out: _Collector, path: str, message: Mapping[str, Any]) -> None:
    out.text(f"{path}.name", message.get("name"))
    content = message.get("content")
    if isinstance(content, str):
        out.text(f"{path}.content", content)
    elif isinstance(content, Sequence) and not isinstance(content, bytes):
        for i, part in enumerate(content):
            if isinstance(part, Mapping):
                _block(out, f"{path}.content[{i}]", part)
            elif isinstance(part, str):
                out.text(f"{path}.content[{i}]", part)
    elif content is not None:
        # Something we cannot read would still be forwarded: fail closed.
        out.non_text.append(f"{path}.content")

    # Some clients send refusals / reasoning back in history; they are forwarded too.
    out.text(f"{path}.refusal", message.get("refusal"))
    out.text(f"{path}.reasoning_content", message.get("reasoning_content"))

    tool_calls = message.get("tool_calls")
    if isinstance(tool_calls, Sequence) and not isinstance(tool_calls, str | bytes):
        for i, call in enumerate(tool_calls):
            if isinstance(call, Mapping):
                _function(out, f"{path}.tool_calls[{i}].function", call.get("function"))

    _function(out, f"{path}.function_call", message.get("function_call"))


def _function(out: _Collector, path: str, function: Any) -> None:
    if not isinstance(function, Mapping):
        return
    out.text(f"{path}.name", function.get("name"))
    out.json_value(f"{path}.arguments", function.get("arguments"))


def _block(out: _Collector, path: str, block: Mapping[str, Any]) -> None:
    kind = block.get("type")
    if kind in _NON_TEXT_PART_TYPES:
        out.non_text.append(path)
        return
    if kind == "tool_use":
        out.text(f"{path}.name", block.get("name"))
        out.json_value(f"{path}.input", block.get("input"))
        return
    if kind == "tool_result":
        content = block.get("content")
        if isinstance(content, str):
            out.text(f"{path}.content", content)
        elif isinstance(content, Sequence) and not isinstance(content, bytes):
            for i, inner in enumerate(content):
                if isinstance(inner, Mapping):
                    _block(out, f"{path}.content[{i}]", inner)
        return
    # "text", "input_text", "output_text", and unknown types that still carry text.
    before = len(out.fields)
    out.text(f"{path}.text", block.get("text"))
    # Thinking blocks in Anthropic history are forwarded as well.
    out.text(f"{path}.thinking", block.get("thinking"))
    out.text(f"{path}.refusal", block.get("refusal"))
    text = block.get("text")
    if len(out.fields) == before and (
        kind not in _TEXT_PART_TYPES or not isinstance(text, str | None)
    ):
        # An unknown part we could not read is forwarded unseen: fail closed.
        out.non_text.append(path)
