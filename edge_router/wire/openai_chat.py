"""The OpenAI chat wire format: the router's internal request shape.

Three things live here together so that they cannot drift apart:

1. ``validate_chat``: what the router itself must understand, checked strictly
   (400s that name the field).
2. ``project``: the request as it may leave the machine. Built from an explicit
   allowlist: known top-level fields (typed scalars checked, text-bearing fields
   kept whole), known message keys, known content-part shapes. Everything else is
   dropped, except top-level names an operator allows for a provider
   (``forward_fields``).
3. ``outbound_fields``: every string in a projection, for the scanner. Messages are
   listed field by field (precise paths for redaction); every other top-level value
   that is not a checked scalar is scanned whole, as JSON text (keys included).

A cloud body is built from a projection only (``upstream_body``, or the
Anthropic translation in ``anthropic_upstream``), so what is forwarded is what was
scanned, by construction. ``tests/test_outbound.py`` walks projections of random
bodies and checks that every string in them is covered by a scanned field.

Example::

    chat = validate_chat(body)
    out = project(body)                        # what may leave
    fields, non_text = outbound_fields(out)    # what the scanner reads
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Collection, Mapping
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from edge_router.errors import BadRequest
from edge_router.privacy.types import TextField

Role = Literal["system", "developer", "user", "assistant", "tool", "function"]

MODEL_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._:/+-]{0,127}$"
"""Model names the router accepts: ASCII letters, digits and ``._:/+-``, at most 128
characters. Covers dated ids, ``org/model`` paths and ``ft:`` names; rules out
control characters, spaces, ``@`` and anything that could smuggle data upstream or
into a header."""


class Message(BaseModel):
    model_config = ConfigDict(extra="allow")
    role: Role
    content: str | list[dict[str, Any]] | None = None
    name: str | None = None
    tool_calls: list[dict[str, Any]] | None = None
    tool_call_id: str | None = None


class StreamOptions(BaseModel):
    model_config = ConfigDict(extra="allow")
    include_usage: bool = False


class ChatRequest(BaseModel):
    """A validated ``POST /v1/chat/completions`` body."""

    model_config = ConfigDict(extra="allow")
    model: str = Field(min_length=1, max_length=128, pattern=MODEL_PATTERN)
    messages: list[Message] = Field(min_length=1)
    stream: bool = False
    stream_options: StreamOptions | None = None
    max_tokens: int | None = Field(default=None, ge=1)
    max_completion_tokens: int | None = Field(default=None, ge=1)
    temperature: float | None = Field(default=None, ge=0, le=2)
    top_p: float | None = Field(default=None, ge=0, le=1)
    stop: str | list[str] | None = None
    seed: int | None = None
    n: int | None = Field(default=None, ge=1, le=1)

    @field_validator("stop")
    @classmethod
    def _stop_limit(cls, v: str | list[str] | None) -> str | list[str] | None:
        if isinstance(v, list) and len(v) > 4:
            raise ValueError("at most 4 stop sequences are allowed")
        return v

    @property
    def stop_list(self) -> list[str]:
        if self.stop is None:
            return []
        return [self.stop] if isinstance(self.stop, str) else list(self.stop)

    @property
    def include_usage(self) -> bool:
        return bool(self.stream_options and self.stream_options.include_usage)

    def requested_max_tokens(self) -> int | None:
        return self.max_completion_tokens or self.max_tokens


def validate_chat(body: dict[str, Any]) -> ChatRequest:
    try:
        return ChatRequest.model_validate(body)
    except ValidationError as exc:
        first = exc.errors()[0]
        param = ".".join(str(p) for p in first["loc"])
        msg = first["msg"]
        if first["type"] == "string_pattern_mismatch":
            msg = "expected letters, digits and . _ : / + - only"
        # pydantic's input echo could carry prompt text: report the location and rule only.
        raise BadRequest(f"Invalid value for '{param}': {msg}.", param=param) from exc


# ---- the allowlist ------------------------------------------------------------------

Check = Callable[[Any], bool]


def _number(v: Any) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool)


def _integer(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _boolean(v: Any) -> bool:
    return isinstance(v, bool)


def _one_of(*values: str) -> Check:
    return lambda v: v in values


def _stream_options(v: Any) -> bool:
    return isinstance(v, dict) and all(
        k in ("include_usage", "include_obfuscation") and isinstance(x, bool) for k, x in v.items()
    )


def _modalities(v: Any) -> bool:
    return isinstance(v, list) and all(m in ("text", "audio") for m in v)


SCALARS: dict[str, Check] = {
    "stream": _boolean,
    "stream_options": _stream_options,
    "n": _integer,
    "max_tokens": _integer,
    "max_completion_tokens": _integer,
    "temperature": _number,
    "top_p": _number,
    "frequency_penalty": _number,
    "presence_penalty": _number,
    "seed": _integer,
    "logprobs": _boolean,
    "top_logprobs": _integer,
    "parallel_tool_calls": _boolean,
    "store": _boolean,
    "modalities": _modalities,
    "reasoning_effort": _one_of("none", "minimal", "low", "medium", "high"),
    "service_tier": _one_of("auto", "default", "flex", "scale", "priority"),
    "verbosity": _one_of("low", "medium", "high"),
}
"""Top-level fields that carry no free text: forwarded only when their value has the
checked type (numbers, booleans, fixed words), and therefore not scanned."""

TEXT_BEARING = frozenset(
    {
        "stop",
        "user",
        "safety_identifier",
        "prompt_cache_key",
        "metadata",
        "logit_bias",
        "tools",
        "tool_choice",
        "functions",
        "function_call",
        "response_format",
        "prediction",
        "web_search_options",
        "audio",
    }
)
"""Top-level fields forwarded as the client sent them and scanned whole (as JSON
text when they are not plain strings): ids, metadata, tool definitions and their
schemas, stop sequences, response schemas."""

FORWARDED = frozenset({"model", "messages", *SCALARS, *TEXT_BEARING})
"""Every top-level field any provider may receive without an operator's say-so."""

_MESSAGE_KEYS = frozenset(
    {
        "role",
        "content",
        "name",
        "tool_calls",
        "tool_call_id",
        "refusal",
        "function_call",
        "audio",
        "reasoning_content",
    }
)

# Content parts: type -> the keys kept (each checked below).
_PART_KEYS: dict[str, tuple[str, ...]] = {
    "text": ("text",),
    "refusal": ("refusal",),
    "image_url": ("image_url",),
    "input_audio": ("input_audio",),
    "file": ("file",),
}
_NON_TEXT_PARTS = frozenset({"image_url", "input_audio", "file"})
_EXTRA_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,63}$")


def _bad(param: str, what: str) -> BadRequest:
    return BadRequest(f"Invalid value for '{param}': {what}.", param=param)


def check_extra_fields(names: Collection[str]) -> tuple[str, ...]:
    """Validate operator-allowed extra top-level names (provider ``forward_fields``)."""
    for name in names:
        if not _EXTRA_NAME.match(name) or name in FORWARDED:
            raise ValueError(
                f"forward_fields entry {name!r} must be a lower-case field name that is "
                "not already forwarded"
            )
    return tuple(names)


def project(body: Mapping[str, Any], *, extra: Collection[str] = ()) -> dict[str, Any]:
    """The part of a validated chat body that may leave the machine (a new object).

    ``extra`` names further top-level fields an operator allows; they are kept as sent
    and scanned whole like any text-bearing field. Raises BadRequest for a known field
    of the wrong type, so nothing the client asked for is dropped silently.
    """
    out: dict[str, Any] = {}
    for key, value in body.items():
        if key == "model":
            out[key] = value
        elif key == "messages":
            out[key] = [_message(m, f"messages.{i}") for i, m in enumerate(value)]
        elif key in SCALARS:
            if value is None:
                continue
            if not SCALARS[key](value):
                raise _bad(key, "wrong type or value")
            out[key] = copy_json(value)
        elif (key in TEXT_BEARING or key in extra) and value is not None:
            out[key] = copy_json(value)
    return out


def dropped_fields(body: Mapping[str, Any], *, extra: Collection[str] = ()) -> int:
    """How many top-level fields of ``body`` ``project`` leaves out (for the audit)."""
    return sum(1 for k in body if k not in FORWARDED and k not in extra)


def copy_json(value: Any) -> Any:
    """A fresh copy of a JSON value (its depth is bounded by json_body.MAX_DEPTH)."""
    if isinstance(value, Mapping):
        return {k: copy_json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [copy_json(v) for v in value]
    return value


def _message(m: Any, param: str) -> dict[str, Any]:
    if not isinstance(m, dict):
        raise _bad(param, "expected a message object")
    out: dict[str, Any] = {}
    for key in _MESSAGE_KEYS:
        if key not in m or m[key] is None:
            continue
        value = m[key]
        if key == "content" and isinstance(value, list):
            out[key] = [_part(p, f"{param}.content.{j}") for j, p in enumerate(value)]
        elif key == "tool_calls":
            out[key] = _tool_calls(value, f"{param}.tool_calls")
        elif key in ("function_call", "audio"):
            if not isinstance(value, dict):
                raise _bad(f"{param}.{key}", "expected an object")
            keep = ("name", "arguments") if key == "function_call" else ("id",)
            out[key] = {k: copy_json(value[k]) for k in keep if k in value}
        else:
            if not isinstance(value, str):
                raise _bad(f"{param}.{key}", "expected a string")
            out[key] = value
    return out


def _tool_calls(calls: Any, param: str) -> list[dict[str, Any]]:
    if not isinstance(calls, list):
        raise _bad(param, "expected a list")
    out = []
    for k, call in enumerate(calls):
        fn = call.get("function") if isinstance(call, dict) else None
        if not isinstance(fn, dict):
            raise _bad(f"{param}.{k}", "expected a function tool call")
        kept: dict[str, Any] = {"type": "function", "function": {}}
        if isinstance(call.get("id"), str):
            kept["id"] = call["id"]
        for name in ("name", "arguments"):
            if name in fn:
                kept["function"][name] = copy_json(fn[name])
        out.append(kept)
    return out


def _part(part: Any, param: str) -> dict[str, Any]:
    if not isinstance(part, dict):
        raise _bad(param, "expected a content part object")
    kind = part.get("type")
    if kind == "input_text":  # Responses-style spelling some clients send
        kind = "text"
    if not isinstance(kind, str) or kind not in _PART_KEYS:
        raise _bad(f"{param}.type", "content part type not supported")
    out: dict[str, Any] = {"type": kind}
    for key in _PART_KEYS[kind]:
        value = part.get(key)
        if kind in ("text", "refusal") and not isinstance(value, str):
            raise _bad(f"{param}.{key}", "expected a string")
        if kind in _NON_TEXT_PARTS and not isinstance(value, dict):
            raise _bad(f"{param}.{key}", "expected an object")
        out[key] = copy_json(value)
    return out


# ---- what the scanner reads ---------------------------------------------------------


class _Fields:
    def __init__(self) -> None:
        self.fields: list[TextField] = []
        self.non_text: list[str] = []

    def text(self, path: str, value: Any) -> None:
        if isinstance(value, str) and value:
            self.fields.append(TextField(path=path, text=value))

    def whole(self, path: str, value: Any) -> None:
        """A string as is; any other JSON value as the JSON text it is sent as."""
        if isinstance(value, str):
            self.text(path, value)
        elif value is not None and not isinstance(value, bool | int | float):
            encoded = json.dumps(value, ensure_ascii=False, sort_keys=True)
            if encoded not in ("{}", "[]"):
                self.text(path, encoded)


def outbound_fields(projected: Mapping[str, Any]) -> tuple[list[TextField], list[str]]:
    """(every string of a projection as scanner fields, paths of non-text parts)."""
    out = _Fields()
    out.text("model", projected.get("model"))
    for i, m in enumerate(projected.get("messages") or ()):
        _message_fields(out, f"messages[{i}]", m)
    for key, value in projected.items():
        if key not in ("model", "messages") and key not in SCALARS:
            out.whole(key, value)
    return out.fields, out.non_text


def _message_fields(out: _Fields, path: str, m: Mapping[str, Any]) -> None:
    out.text(f"{path}.name", m.get("name"))
    content = m.get("content")
    if isinstance(content, str):
        out.text(f"{path}.content", content)
    elif isinstance(content, list):
        for j, part in enumerate(content):
            p = f"{path}.content[{j}]"
            kind = part["type"]
            if kind in _NON_TEXT_PARTS:
                out.non_text.append(p)
                out.whole(f"{p}.{kind}", part[kind])  # URLs, file names, data
            else:
                out.text(f"{p}.{kind}", part[kind])
    out.text(f"{path}.refusal", m.get("refusal"))
    out.text(f"{path}.reasoning_content", m.get("reasoning_content"))
    out.text(f"{path}.tool_call_id", m.get("tool_call_id"))
    for k, call in enumerate(m.get("tool_calls") or ()):
        out.text(f"{path}.tool_calls[{k}].id", call.get("id"))
        fn = call["function"]
        out.whole(f"{path}.tool_calls[{k}].function.name", fn.get("name"))
        out.whole(f"{path}.tool_calls[{k}].function.arguments", fn.get("arguments"))
    fc = m.get("function_call")
    if fc:
        out.whole(f"{path}.function_call.name", fc.get("name"))
        out.whole(f"{path}.function_call.arguments", fc.get("arguments"))
    audio = m.get("audio")
    if audio:
        out.whole(f"{path}.audio.id", audio.get("id"))


# ---- what an OpenAI-compatible upstream receives ------------------------------------


def upstream_body(
    projected: Mapping[str, Any], *, model: str, stream: bool, extra: Collection[str] = ()
) -> dict[str, Any]:
    """The body for an OpenAI-compatible provider: a (redacted) projection, its model
    name mapped, extra fields this provider does not allow left out."""
    wire = {k: v for k, v in projected.items() if k in FORWARDED or k in extra}
    wire["model"] = model
    if stream:
        wire["stream"] = True
    else:
        # OpenAI rejects stream_options on a non-streaming request.
        wire.pop("stream_options", None)
        if "stream" in wire:
            wire["stream"] = False
    return wire


LOCAL_UNSUPPORTED: Mapping[str, str] = {
    "functions": "legacy function calling ('functions'; send 'tools' instead)",
    "function_call": "legacy function calling ('function_call'; send 'tool_choice' instead)",
    "audio": "audio output",
    "web_search_options": "web search",
}
"""Request fields asking for what the local llama.cpp tier cannot do, and what to call
it in an error. Here, beside the format, so the decision can route such a request to a
cloud (``auto``) before the local backend would have to refuse it."""


def local_gaps(body: Mapping[str, Any]) -> tuple[str, ...]:
    """The fields of ``body`` asking for something the local tier cannot do."""
    gaps = [name for name in LOCAL_UNSUPPORTED if body.get(name) is not None]
    modalities = body.get("modalities")
    if isinstance(modalities, list) and "audio" in modalities:
        gaps.append("modalities")
    return tuple(gaps)
