"""The Anthropic Messages request model: one validation step for the `/v1/messages`
door, and the check on every body the Anthropic provider sends.

Errors name the field path and the rule, never a value from the request; unknown keys
are dropped, never forwarded; the upstream body is always one the front door accepts.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from typing import Any

import anthropic
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from edge_router.errors import BadRequest
from edge_router.wire.anthropic import anthropic_request_to_openai
from edge_router.wire.anthropic_model import MessagesRequest, parse_messages
from edge_router.wire.anthropic_upstream import openai_request_to_anthropic

SECRET = "jane.roe.private@example.org"
GOOD: dict[str, Any] = {
    "model": "m",
    "max_tokens": 5,
    "messages": [{"role": "user", "content": "hello"}],
}

Body = dict[str, Any]


def _body(**top: Any) -> Body:
    return {**copy.deepcopy(GOOD), **top}


def _rejects(body: Any) -> BadRequest:
    with pytest.raises(BadRequest) as info:
        anthropic_request_to_openai(body)
    return info.value


# --- errors: the path and the rule ----------------------------------------------------


@pytest.mark.parametrize(
    ("body", "param", "says"),
    [
        ({k: v for k, v in GOOD.items() if k != "max_tokens"}, "max_tokens", "required"),
        (_body(max_tokens="5"), "max_tokens", "expected an integer"),
        (_body(max_tokens=5.0), "max_tokens", "expected an integer"),
        (_body(temperature=True), "temperature", "expected a number"),
        (_body(top_k=-1), "top_k", "greater than or equal to 0"),
        (_body(stream=1), "stream", "expected a boolean"),
        (_body(messages=["hi"]), "messages.0", "expected an object"),
        (_body(messages=[{"content": "x"}]), "messages.0.role", "'user' or 'assistant'"),
        (_body(messages=[{"role": "user"}]), "messages.0.content", "required"),
        (
            _body(messages=[{"role": "user", "content": [{"type": "document"}]}]),
            "messages.0.content.0.type",
            "'document' blocks are not supported here",
        ),
        (
            _body(messages=[{"role": "assistant", "content": [{"type": "image"}]}]),
            "messages.0.content.0.type",
            "'image' blocks are not supported here",
        ),
        (
            _body(messages=[{"role": "user", "content": [7]}]),
            "messages.0.content.0",
            "expected an object",
        ),
        (
            _body(
                messages=[
                    {
                        "role": "user",
                        "content": [{"type": "tool_result", "tool_use_id": "t", "content": 3}],
                    }
                ]
            ),
            "messages.0.content.0.content",
            "a string or a list of content blocks",
        ),
        (
            _body(
                messages=[
                    {"role": "assistant", "content": [{"type": "tool_use", "id": "a", "input": {}}]}
                ]
            ),
            "messages.0.content.0.name",
            "required",
        ),
        (_body(system=5), "system", "a string or a list of content blocks"),
        (_body(tools=[{"name": "n", "input_schema": None}]), "tools.0.input_schema", "object"),
        (_body(tool_choice="auto"), "tool_choice", "expected an object"),
        (
            _body(tool_choice={"type": "auto", "disable_parallel_tool_use": "yes"}),
            "tool_choice.disable_parallel_tool_use",
            "expected a boolean",
        ),
        (_body(metadata={"user_id": 5}), "metadata.user_id", "expected a string"),
        (_body(stop_sequences=["a", 1]), "stop_sequences.1", "expected a string"),
    ],
)
def test_errors_name_the_path_and_the_rule(body: Body, param: str, says: str) -> None:
    error = _rejects(body)
    assert error.param == param
    assert error.message.startswith(f"Invalid value for '{param}': ")
    assert says in error.message


def test_an_unknown_block_type_is_not_quoted() -> None:
    error = _rejects(_body(messages=[{"role": "user", "content": [{"type": SECRET}]}]))
    assert error.param == "messages.0.content.0.type"
    assert SECRET not in error.message and "unsupported content block type" in error.message


# Where a hostile value can go in a Messages body: (name, insert(body, value)).
PLACES: list[tuple[str, Callable[[Body, Any], None]]] = [
    *[
        (f"top-level {k}", lambda b, v, k=k: b.__setitem__(k, v))
        for k in (
            "model",
            "max_tokens",
            "messages",
            "system",
            "stream",
            "temperature",
            "top_p",
            "top_k",
            "stop_sequences",
            "tools",
            "tool_choice",
            "metadata",
        )
    ],
    ("message", lambda b, v: b["messages"].__setitem__(0, v)),
    ("role", lambda b, v: b["messages"][0].__setitem__("role", v)),
    ("content", lambda b, v: b["messages"][0].__setitem__("content", v)),
    ("block", lambda b, v: b["messages"][0].__setitem__("content", [v])),
    ("block type", lambda b, v: b["messages"][0].__setitem__("content", [{"type": v}])),
    (
        "block text",
        lambda b, v: b["messages"][0].__setitem__("content", [{"type": "text", "text": v}]),
    ),
    (
        "image source",
        lambda b, v: b["messages"][0].__setitem__("content", [{"type": "image", "source": v}]),
    ),
    (
        "image source type",
        lambda b, v: b["messages"][0].__setitem__(
            "content", [{"type": "image", "source": {"type": v}}]
        ),
    ),
    (
        "tool result content",
        lambda b, v: b["messages"][0].__setitem__(
            "content", [{"type": "tool_result", "tool_use_id": "t", "content": v}]
        ),
    ),
    (
        "tool_use input",
        lambda b, v: b["messages"].append(
            {
                "role": "assistant",
                "content": [{"type": "tool_use", "id": "t", "name": "f", "input": v}],
            }
        ),
    ),
    ("system block", lambda b, v: b.__setitem__("system", [v])),
    ("tool", lambda b, v: b.__setitem__("tools", [v])),
    ("tool type", lambda b, v: b.__setitem__("tools", [{"name": "f", "type": v}])),
    ("tool_choice type", lambda b, v: b.__setitem__("tool_choice", {"type": v})),
    ("tool_choice name", lambda b, v: b.__setitem__("tool_choice", {"type": "tool", "name": v})),
    ("user_id", lambda b, v: b.__setitem__("metadata", {"user_id": v})),
]

_hostile = st.recursive(
    st.one_of(
        st.just(SECRET),
        st.none(),
        st.booleans(),
        st.integers(-3, 3),
        st.floats(allow_nan=True),
    ),
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.dictionaries(
            st.sampled_from(["type", "text", SECRET, "role", "url"]), inner, max_size=3
        )
    ),
    max_leaves=6,
)


@settings(max_examples=300, deadline=None)
@given(place=st.sampled_from(PLACES), value=_hostile)
def test_no_error_quotes_the_request(place: tuple[str, Any], value: Any) -> None:
    body = _body()
    place[1](body, value)
    try:
        anthropic_request_to_openai(body)
    except BadRequest as exc:
        assert SECRET not in exc.message
        assert exc.param and "~" not in exc.param and "~" not in exc.message


def test_non_object_body() -> None:
    error = _rejects([GOOD])
    assert error.message == "Request body must be a JSON object." and error.param is None


# --- what is accepted, and what it becomes ---------------------------------------------


def test_unknown_keys_are_dropped_at_every_level() -> None:
    extra = {"x_secret": SECRET, "cache_control": {"type": "ephemeral", "note": SECRET}}
    body = _body(
        **extra,
        system=[{"type": "text", "text": "Be brief.", **extra}],
        messages=[
            {
                "role": "user",
                **extra,
                "content": [
                    {"type": "text", "text": "see", **extra},
                    {
                        "type": "image",
                        **extra,
                        "source": {"type": "url", "url": "https://i/a.png", **extra},
                    },
                ],
            },
            {
                "role": "assistant",
                "content": [{"type": "tool_use", "id": "t1", "name": "f", "input": {}, **extra}],
            },
            {
                "role": "user",
                "content": [
                    {
                        "type": "tool_result",
                        "tool_use_id": "t1",
                        **extra,
                        "content": [{"type": "text", "text": "ok", **extra}],
                    }
                ],
            },
        ],
        tools=[{"name": "f", "input_schema": {"type": "object"}, **extra}],
        tool_choice={"type": "auto", **extra},
        metadata={"user_id": "u1", **extra},
    )
    sent = json.dumps(anthropic_request_to_openai(body))
    assert SECRET not in sent and "x_secret" not in sent and "cache_control" not in sent


def test_lenient_shapes_stay_accepted() -> None:
    body = _body(
        system=[],
        temperature=1,
        top_p=0,
        top_k=0,
        stop_sequences=[],
        tools=[{"name": "f", "type": "custom"}],
        tool_choice={"type": "none"},
        metadata={"user_id": None},
        messages=[
            {"role": "user", "content": []},
            {
                "role": "assistant",
                "content": [
                    {"type": "thinking"},
                    {"type": "redacted_thinking", "data": "x"},
                    {"type": "tool_use", "id": "t", "name": "f"},
                ],
            },
            {
                "role": "user",
                "content": [
                    {"type": "tool_result", "tool_use_id": "t"},
                    {"type": "image", "source": {"type": "base64", "data": "AAAA"}},
                ],
            },
        ],
    )
    assert anthropic_request_to_openai(body) == {
        "model": "m",
        "max_tokens": 5,
        "messages": [
            {"role": "system", "content": ""},
            {"role": "user", "content": ""},
            {
                "role": "assistant",
                "content": None,
                "tool_calls": [
                    {"id": "t", "type": "function", "function": {"name": "f", "arguments": "{}"}}
                ],
            },
            {"role": "tool", "tool_call_id": "t", "content": ""},
            {
                "role": "user",
                "content": [
                    {"type": "image_url", "image_url": {"url": "data:image/png;base64,AAAA"}}
                ],
            },
        ],
        "temperature": 1,
        "top_p": 0,
        "tools": [
            {
                "type": "function",
                "function": {"name": "f", "parameters": {"type": "object", "properties": {}}},
            }
        ],
        "tool_choice": "none",
    }


def test_tool_result_with_text_blocks() -> None:
    blocks = [{"type": "text", "text": "a"}, {"type": "text", "text": "b"}]
    body = _body(
        messages=[
            {
                "role": "user",
                "content": [{"type": "tool_result", "tool_use_id": "t", "content": blocks}],
            }
        ]
    )
    assert anthropic_request_to_openai(body)["messages"] == [
        {"role": "tool", "tool_call_id": "t", "content": blocks}
    ]


# --- the Anthropic provider's body: built from the same blocks, checked by the same model --


def test_upstream_body_is_one_the_front_door_accepts() -> None:
    body = {
        "messages": [
            {"role": "system", "content": "Be brief."},
            {
                "role": "user",
                "content": [
                    {"type": "text", "text": "See"},
                    {"type": "image_url", "image_url": {"url": "data:image/jpeg;base64,QUJD"}},
                ],
            },
            {
                "role": "assistant",
                "content": "",
                "tool_calls": [{"id": "c1", "function": {"name": "f", "arguments": '{"a": null}'}}],
            },
            {"role": "tool", "tool_call_id": "c1", "content": "done"},
        ],
        "tools": [{"type": "function", "function": {"name": "f", "parameters": {"default": None}}}],
        "tool_choice": "required",
        "parallel_tool_calls": False,
        "user": "u1",
        "top_p": 1,
    }
    wire = openai_request_to_anthropic(body, model="up", default_max_tokens=10)
    assert parse_messages(wire).model_dump(exclude_none=True) == wire
    # None inside client JSON (tool input, schemas) is data, not an absent field.
    assert wire["messages"][1]["content"][0]["input"] == {"a": None}
    assert wire["tools"][0]["input_schema"] == {"default": None}
    assert "stream" not in wire and "system" in wire


@pytest.mark.parametrize(
    ("patch", "param"),
    [
        ({"top_k": True}, "top_k"),
        ({"max_tokens": "9"}, "max_tokens"),
        (
            {"tools": [{"type": "function", "function": {"name": "f", "description": 5}}]},
            "tools.0.description",
        ),
        (
            {"tools": [{"type": "function", "function": {"name": "f", "parameters": [1]}}]},
            "tools.0.input_schema",
        ),
        ({"messages": [{"role": "system", "content": "only a system prompt"}]}, "messages"),
    ],
)
def test_upstream_bodies_the_model_refuses_are_400s(patch: Body, param: str) -> None:
    body = {"messages": [{"role": "user", "content": "x"}], **patch}
    with pytest.raises(BadRequest) as info:
        openai_request_to_anthropic(body, model="up", default_max_tokens=10)
    assert info.value.param == param


def test_model_dump_drops_only_absent_fields() -> None:
    request = MessagesRequest.model_validate(_body(stream=False, metadata={"user_id": "u"}))
    assert request.model_dump(exclude_none=True) == {**GOOD, "metadata": {"user_id": "u"}}


# --- through the daemon, with the official SDK -------------------------------------------


@pytest.mark.model
def test_sdk_sees_anthropic_shaped_errors_with_the_path(base_url: str) -> None:
    client = anthropic.Anthropic(base_url=base_url, api_key="x", max_retries=0)
    content: Any = [{"type": "text", "text": SECRET}, {"type": "document", "title": SECRET}]
    with pytest.raises(anthropic.BadRequestError) as info:
        client.messages.create(
            model="auto", max_tokens=5, messages=[{"role": "user", "content": content}]
        )
    body: Any = info.value.body
    assert body["type"] == "error"
    assert body["error"] == {
        "type": "invalid_request_error",
        "message": "Invalid value for 'messages.0.content.1.type': "
        "'document' blocks are not supported here.",
    }
    choice: Any = {"type": SECRET}
    with pytest.raises(anthropic.BadRequestError) as info:
        client.messages.count_tokens(
            model="auto", messages=[{"role": "user", "content": SECRET}], tool_choice=choice
        )
    assert SECRET not in json.dumps(info.value.body)
    assert "'tool_choice.type'" in str(info.value.body)
