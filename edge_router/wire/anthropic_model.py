"""The Anthropic Messages request as one validated model, used in both directions.

The ``/v1/messages`` front door checks a client's body once, here
(:func:`parse_messages`), and translates the typed result
(:mod:`edge_router.wire.anthropic`). The Anthropic provider builds its upstream body
from the same blocks and validates it with the same model
(:mod:`edge_router.wire.anthropic_upstream`), so the router only ever sends Anthropic a
body its own front door would take.

A failure is a :class:`BadRequest` naming the field path (``messages.2.content.0.text``)
and the rule, never a value from the request. Models are strict (``"5"`` is not 5,
``true`` is not 1) and ignore unknown keys: translation reads only the fields below, so
an unknown key is never forwarded.

How the unions work: a block is picked by its ``type``, a message by its ``role``,
content by being a string or a list. Pydantic puts the picked member's tag into an
error's location, so tags start with ``~`` and :func:`bad_request` leaves them out.

Example::

    request = parse_messages(body)      # MessagesRequest, or BadRequest
    request.messages[0].content         # str | list[TextBlock | ImageBlock | ...]
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    Tag,
    ValidationError,
    field_validator,
)
from pydantic_core import PydanticCustomError

from edge_router.errors import BadRequest


class _Wire(BaseModel):
    model_config = ConfigDict(strict=True, extra="ignore", frozen=True)


def _pick(key: str, *names: str) -> Callable[[Any], str | None]:
    """A discriminator: the tag of ``value[key]`` when it is one of ``names``."""

    def tag(value: Any) -> str | None:
        # Raw JSON on the way in; model instances when a body is built (and dumped).
        picked = value.get(key) if isinstance(value, dict) else getattr(value, key, None)
        return f"~{picked}" if isinstance(picked, str) and picked in names else None

    return tag


def _str_or_list(value: Any) -> str | None:
    return "~str" if isinstance(value, str) else "~list" if isinstance(value, list) else None


def _content() -> Discriminator:
    return Discriminator(
        _str_or_list,
        custom_error_type="content",
        custom_error_message="expected a string or a list of content blocks",
    )


# --- blocks -------------------------------------------------------------------------


class TextBlock(_Wire):
    type: Literal["text"]
    text: str


class Base64Source(_Wire):
    type: Literal["base64"]
    media_type: str | None = None
    data: str


class UrlSource(_Wire):
    type: Literal["url"]
    url: str


ImageSource = Annotated[
    Annotated[Base64Source, Tag("~base64")] | Annotated[UrlSource, Tag("~url")],
    Discriminator(
        _pick("type", "base64", "url"),
        custom_error_type="source_type",
        custom_error_message="expected a base64 or url image source",
    ),
]


class ImageBlock(_Wire):
    type: Literal["image"]
    source: ImageSource


TextContent = Annotated[
    Annotated[str, Tag("~str")] | Annotated[list[TextBlock], Tag("~list")], _content()
]
"""A string or text blocks: the system prompt, a tool result's content."""


class ToolUseBlock(_Wire):
    type: Literal["tool_use"]
    id: str
    name: str
    input: dict[str, Any] = Field(default_factory=dict)


class ToolResultBlock(_Wire):
    type: Literal["tool_result"]
    tool_use_id: str
    content: TextContent = ""


class ThinkingBlock(_Wire):
    """Replayed reasoning: accepted in assistant turns, never forwarded (OpenAI bodies
    have no place for it)."""

    type: Literal["thinking", "redacted_thinking"]


UserBlock = Annotated[
    Annotated[TextBlock, Tag("~text")]
    | Annotated[ImageBlock, Tag("~image")]
    | Annotated[ToolResultBlock, Tag("~tool_result")],
    Discriminator(
        _pick("type", "text", "image", "tool_result"),
        custom_error_type="block_type",
        custom_error_message="unsupported content block type",
    ),
]

AssistantBlock = Annotated[
    Annotated[TextBlock, Tag("~text")]
    | Annotated[ToolUseBlock, Tag("~tool_use")]
    | Annotated[ThinkingBlock, Tag("~thinking")]
    | Annotated[ThinkingBlock, Tag("~redacted_thinking")],
    Discriminator(
        _pick("type", "text", "tool_use", "thinking", "redacted_thinking"),
        custom_error_type="block_type",
        custom_error_message="unsupported content block type",
    ),
]

# --- messages -----------------------------------------------------------------------


class UserMessage(_Wire):
    role: Literal["user"]
    content: Annotated[
        Annotated[str, Tag("~str")] | Annotated[list[UserBlock], Tag("~list")], _content()
    ]


class AssistantMessage(_Wire):
    role: Literal["assistant"]
    content: Annotated[
        Annotated[str, Tag("~str")] | Annotated[list[AssistantBlock], Tag("~list")],
        _content(),
    ]


Message = Annotated[
    Annotated[UserMessage, Tag("~user")] | Annotated[AssistantMessage, Tag("~assistant")],
    Discriminator(
        _pick("role", "user", "assistant"),
        custom_error_type="message_role",
        custom_error_message="expected 'user' or 'assistant'",
    ),
]

# --- tools --------------------------------------------------------------------------


class Tool(_Wire):
    name: str
    type: str | None = None
    description: str | None = None
    input_schema: dict[str, Any] = Field(default_factory=dict)

    @field_validator("type")
    @classmethod
    def _client_tool(cls, value: str | None) -> str | None:
        if value not in (None, "custom"):
            # Server tools (web search, code execution...) run at Anthropic; the router
            # can neither run them locally nor scan what they fetch.
            raise PydanticCustomError("server_tool", "server tools are not supported")
        return value


class ToolChoiceMode(_Wire):
    type: Literal["auto", "any", "none"]
    disable_parallel_tool_use: bool | None = None


class ToolChoiceTool(_Wire):
    type: Literal["tool"]
    name: str
    disable_parallel_tool_use: bool | None = None


ToolChoice = Annotated[
    Annotated[ToolChoiceMode, Tag("~auto")]
    | Annotated[ToolChoiceMode, Tag("~any")]
    | Annotated[ToolChoiceMode, Tag("~none")]
    | Annotated[ToolChoiceTool, Tag("~tool")],
    Discriminator(
        _pick("type", "auto", "any", "none", "tool"),
        custom_error_type="tool_choice_type",
        custom_error_message="expected auto, any, tool or none",
    ),
]


class Metadata(_Wire):
    user_id: str | None = None


# --- the request --------------------------------------------------------------------


class MessagesRequest(_Wire):
    """A validated ``POST /v1/messages`` body (fields in the order they are checked)."""

    model: str = Field(min_length=1)
    max_tokens: int = Field(ge=1)
    messages: list[Message] = Field(min_length=1)
    system: TextContent | None = None
    stream: bool = Field(default=False, exclude_if=lambda v: not v)
    temperature: float | None = Field(default=None, ge=0, le=1)
    top_p: float | None = Field(default=None, ge=0, le=1)
    top_k: int | None = Field(default=None, ge=0)
    stop_sequences: list[str] | None = None
    tools: list[Tool] | None = None
    tool_choice: ToolChoice | None = None
    metadata: Metadata | None = None


def parse_messages(body: Any) -> MessagesRequest:
    """A client's Messages body, validated; :class:`BadRequest` naming the field if not."""
    if not isinstance(body, dict):
        raise BadRequest("Request body must be a JSON object.")
    try:
        return MessagesRequest.model_validate(body)
    except ValidationError as exc:
        raise bad_request(exc) from None


# --- errors -------------------------------------------------------------------------

# Custom error type -> the key whose value picked no member of a union.
_PICKED_BY = {
    "block_type": "type",
    "source_type": "type",
    "tool_choice_type": "type",
    "message_role": "role",
}

KNOWN_BLOCKS = frozenset(
    {
        "text",
        "image",
        "document",
        "search_result",
        "tool_use",
        "tool_result",
        "thinking",
        "redacted_thinking",
        "server_tool_use",
        "web_search_tool_result",
        "container_upload",
    }
)
"""Block types of the Messages API: an error may name one of these (it comes from this
list, so nothing the client made up is echoed)."""

_RULES = {
    "missing": "required",
    "string_type": "expected a string",
    "int_type": "expected an integer",
    "float_type": "expected a number",
    "bool_type": "expected a boolean",
    "list_type": "expected a list",
    "dict_type": "expected an object",
    "model_type": "expected an object",
    "model_attributes_type": "expected an object",
}

# Error types whose text (pydantic's, or ours above) names the rule and its limits, never
# the input.
_OWN_TEXT = frozenset(
    {
        "greater_than_equal",
        "less_than_equal",
        "too_short",
        "string_too_short",
        "literal_error",
        "content",
        "server_tool",
    }
)


def bad_request(exc: ValidationError) -> BadRequest:
    """The first error of ``exc`` as a 400 naming its field path and rule, no values."""
    error = exc.errors(include_url=False)[0]
    path = ".".join(str(p) for p in error["loc"] if not (isinstance(p, str) and p[:1] == "~"))
    kind = error["type"]
    value = error.get("input")
    if kind in _PICKED_BY:
        if isinstance(value, dict):
            key = _PICKED_BY[kind]
            path = f"{path}.{key}"
            picked = value.get(key)
            rule = error["msg"]
            if kind == "block_type" and isinstance(picked, str) and picked in KNOWN_BLOCKS:
                rule = f"'{picked}' blocks are not supported here"
        else:
            rule = "expected an object"
    elif kind in _RULES:
        rule = _RULES[kind]
    elif kind in _OWN_TEXT:
        rule = error["msg"]
    else:
        rule = f"invalid ({kind})"
    return BadRequest(f"Invalid value for '{path}': {rule}.", param=path or None)
