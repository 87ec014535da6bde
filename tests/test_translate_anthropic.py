"""Anthropic <-> OpenAI translation: front door, provider, and both official SDKs."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator, Iterator
from typing import Any

import anthropic
import openai
import pytest
from fake_provider import FakeControl
from hypothesis import given, settings
from hypothesis import strategies as st
from serving import serve
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from edge_router.backends.cloud import CloudProvider, ProviderError
from edge_router.backends.settings import ProviderSettings
from edge_router.errors import BackendError, BadRequest, RouterError
from edge_router.wire.anthropic import anthropic_error, anthropic_request_to_openai
from edge_router.wire.anthropic_reply import (
    openai_chunks_to_anthropic_sse,
    openai_response_to_anthropic,
)
from edge_router.wire.anthropic_upstream import (
    AnthropicChunker,
    AnthropicStreamError,
    MalformedUpstream,
    anthropic_message_to_openai,
    openai_request_to_anthropic,
)

KEY = "sk-ant-test-key-000111"
TOOL_OA = {
    "type": "function",
    "function": {
        "name": "lookup",
        "description": "Look a thing up",
        "parameters": {"type": "object", "properties": {"text": {"type": "string"}}},
    },
}
TOOL_AN = {
    "name": "lookup",
    "description": "Look a thing up",
    "input_schema": {"type": "object", "properties": {"text": {"type": "string"}}},
}


# --- front door: Anthropic request -> OpenAI -------------------------------------------------


def test_request_with_system_tools_and_tool_round() -> None:
    body = {
        "model": "claude-x",
        "max_tokens": 64,
        "system": [{"type": "text", "text": "Be brief."}, {"type": "text", "text": "Be kind."}],
        "messages": [
            {"role": "user", "content": "What is the weather?"},
            {
                "role": "assistant",
                "content": [
                    {"type": "thinking", "thinking": "hmm", "signature": "s"},
                    {"type": "text", "text": "Let me check."},
                    {"type": "tool_use", "id": "toolu_1", "name": "lookup", "input": {"q": "w"}},
                ],
            },
            {
                "role": "user",
                "content": [
                    {"type": "tool_result", "tool_use_id": "toolu_1", "content": "sunny"},
                    {"type": "text", "text": "Thanks!"},
                ],
            },
        ],
        "tools": [TOOL_AN],
        "tool_choice": {"type": "any", "disable_parallel_tool_use": True},
        "stop_sequences": ["END"],
        "temperature": 0.5,
        "top_p": 0.9,
        "top_k": 5,
        "metadata": {"user_id": "u-1"},
        "stream": True,
    }
    assert anthropic_request_to_openai(body) == {
        "model": "claude-x",
        "max_tokens": 64,
        "messages": [
            {"role": "system", "content": "Be brief.\n\nBe kind."},
            {"role": "user", "content": "What is the weather?"},
            {
                "role": "assistant",
                "content": "Let me check.",
                "tool_calls": [
                    {
                        "id": "toolu_1",
                        "type": "function",
                        "function": {"name": "lookup", "arguments": '{"q": "w"}'},
                    }
                ],
            },
            {"role": "tool", "tool_call_id": "toolu_1", "content": "sunny"},
            {"role": "user", "content": "Thanks!"},
        ],
        "tools": [TOOL_OA],
        "tool_choice": "required",
        "parallel_tool_calls": False,
        "stop": ["END"],
        "temperature": 0.5,
        "top_p": 0.9,
        "user": "u-1",
        "stream": True,
        "stream_options": {"include_usage": True},
    }


@pytest.mark.parametrize(
    ("choice", "expected"),
    [
        ({"type": "auto"}, "auto"),
        ({"type": "any"}, "required"),
        ({"type": "none"}, "none"),
        ({"type": "tool", "name": "lookup"}, {"type": "function", "function": {"name": "lookup"}}),
    ],
)
def test_tool_choice_to_openai(choice: dict[str, Any], expected: Any) -> None:
    body = {"model": "m", "max_tokens": 5, "messages": [{"role": "user", "content": "x"}]}
    out = anthropic_request_to_openai({**body, "tools": [TOOL_AN], "tool_choice": choice})
    assert out["tool_choice"] == expected


def test_images_and_multi_block_user_content() -> None:
    body = {
        "model": "m",
        "max_tokens": 5,
        "messages": [
            {
                "role": "user",
                "content": [
                    {"type": "text", "text": "Describe"},
                    {
                        "type": "image",
                        "source": {"type": "base64", "media_type": "image/png", "data": "AAAA"},
                    },
                    {"type": "image", "source": {"type": "url", "url": "https://img.test/a.png"}},
                ],
            }
        ],
    }
    assert anthropic_request_to_openai(body)["messages"][0]["content"] == [
        {"type": "text", "text": "Describe"},
        {"type": "image_url", "image_url": {"url": "data:image/png;base64,AAAA"}},
        {"type": "image_url", "image_url": {"url": "https://img.test/a.png"}},
    ]


GOOD = {"model": "m", "max_tokens": 5, "messages": [{"role": "user", "content": "private words"}]}


@pytest.mark.parametrize(
    ("patch", "param"),
    [
        ({"model": ""}, "model"),
        ({"max_tokens": 0}, "max_tokens"),
        ({"max_tokens": True}, "max_tokens"),
        ({"max_tokens": None}, "max_tokens"),
        ({"messages": []}, "messages"),
        ({"messages": [{"role": "system", "content": "x"}]}, "messages.0.role"),
        ({"messages": [{"role": "user", "content": 5}]}, "messages.0.content"),
        (
            {"messages": [{"role": "user", "content": [{"type": "document"}]}]},
            "messages.0.content.0.type",
        ),
        (
            {"messages": [{"role": "user", "content": [{"type": "text", "text": 1}]}]},
            "messages.0.content.0.text",
        ),
        (
            {
                "messages": [
                    {"role": "assistant", "content": [{"type": "tool_result", "tool_use_id": "a"}]}
                ]
            },
            "messages.0.content.0.type",
        ),
        (
            {
                "messages": [
                    {
                        "role": "assistant",
                        "content": [{"type": "tool_use", "id": "a", "name": "n", "input": []}],
                    }
                ]
            },
            "messages.0.content.0.input",
        ),
        (
            {
                "messages": [
                    {"role": "user", "content": [{"type": "image", "source": {"type": "file"}}]}
                ]
            },
            "messages.0.content.0.source.type",
        ),
        ({"temperature": 1.5}, "temperature"),
        ({"top_p": "high"}, "top_p"),
        ({"stream": "yes"}, "stream"),
        ({"stop_sequences": "END"}, "stop_sequences"),
        ({"system": [{"type": "image"}]}, "system.0.type"),
        ({"tools": [{"type": "web_search_20250305", "name": "web_search"}]}, "tools.0.type"),
        ({"tools": [{"description": "no name"}]}, "tools.0.name"),
        ({"tool_choice": {"type": "bogus"}}, "tool_choice.type"),
        ({"tool_choice": {"type": "tool"}}, "tool_choice.name"),
    ],
)
def test_bad_anthropic_requests_name_the_param(patch: dict[str, Any], param: str) -> None:
    with pytest.raises(BadRequest) as info:
        anthropic_request_to_openai({**GOOD, **patch})
    assert info.value.param == param
    assert "private words" not in info.value.message


def test_non_object_body_is_rejected() -> None:
    with pytest.raises(BadRequest):
        anthropic_request_to_openai([])  # type: ignore[arg-type]


# --- front door: OpenAI response -> Anthropic ------------------------------------------------


def _completion(
    message: dict[str, Any], finish: str, usage: dict[str, Any] | None = None
) -> dict[str, Any]:
    return {
        "id": "chatcmpl-abc",
        "object": "chat.completion",
        "choices": [{"index": 0, "message": message, "finish_reason": finish}],
        "usage": usage or {"prompt_tokens": 10, "completion_tokens": 3, "total_tokens": 13},
    }


@pytest.mark.parametrize(
    ("finish", "stop_reason"),
    [
        ("stop", "end_turn"),
        ("length", "max_tokens"),
        ("content_filter", "refusal"),
        ("weird", "end_turn"),
    ],
)
def test_finish_reason_to_stop_reason(finish: str, stop_reason: str) -> None:
    msg = openai_response_to_anthropic(
        _completion({"role": "assistant", "content": "hi"}, finish), "m"
    )
    assert msg["stop_reason"] == stop_reason


def test_response_with_tool_calls_and_cached_usage() -> None:
    resp = _completion(
        {
            "role": "assistant",
            "content": None,
            "tool_calls": [
                {
                    "id": "call_1",
                    "type": "function",
                    "function": {"name": "lookup", "arguments": '{"text": "a"}'},
                }
            ],
        },
        "tool_calls",
        {
            "prompt_tokens": 10,
            "completion_tokens": 3,
            "prompt_tokens_details": {"cached_tokens": 4},
        },
    )
    assert openai_response_to_anthropic(resp, "claude-x") == {
        "id": "msg_abc",
        "type": "message",
        "role": "assistant",
        "model": "claude-x",
        "content": [{"type": "tool_use", "id": "call_1", "name": "lookup", "input": {"text": "a"}}],
        "stop_reason": "tool_use",
        "stop_sequence": None,
        "usage": {
            "input_tokens": 6,
            "output_tokens": 3,
            "cache_creation_input_tokens": 0,
            "cache_read_input_tokens": 4,
        },
    }


@pytest.mark.parametrize(
    "resp",
    [
        {"choices": []},
        {},
        _completion(
            {
                "role": "assistant",
                "tool_calls": [{"id": "c", "function": {"name": "n", "arguments": "{oops"}}],
            },
            "tool_calls",
        ),
    ],
)
def test_broken_backend_responses_are_backend_errors(resp: dict[str, Any]) -> None:
    with pytest.raises(BackendError):
        openai_response_to_anthropic(resp, "m")


@pytest.mark.parametrize(
    ("status", "type_", "expected"),
    [
        (400, "invalid_request_error", "invalid_request_error"),
        (401, "authentication_error", "authentication_error"),
        (404, None, "not_found_error"),
        (429, None, "rate_limit_error"),
        (502, "upstream_error", "api_error"),
        (503, "server_busy", "overloaded_error"),
        (403, "policy_violation", "policy_violation"),
        (500, None, "api_error"),
    ],
)
def test_anthropic_error_shapes(status: int, type_: str | None, expected: str) -> None:
    assert anthropic_error(status, type_, "nope") == {
        "type": "error",
        "error": {"type": expected, "message": "nope"},
    }


# --- front door: OpenAI chunks -> Anthropic SSE ---------------------------------------------


def _chunk(delta: dict[str, Any], finish: str | None = None) -> dict[str, Any]:
    return {
        "id": "chatcmpl-s1",
        "object": "chat.completion.chunk",
        "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
    }


async def _aiter(items: list[Any]) -> AsyncIterator[dict[str, Any]]:
    for item in items:
        if isinstance(item, BaseException):
            raise item
        yield item


def _frames(items: list[Any]) -> list[tuple[str, dict[str, Any]]]:
    async def go() -> list[bytes]:
        return [f async for f in openai_chunks_to_anthropic_sse(_aiter(items), "claude-x")]

    out = []
    for frame in asyncio.run(go()):
        head, data = frame.decode().rstrip("\n").split("\n")
        out.append((head.removeprefix("event: "), json.loads(data.removeprefix("data: "))))
    return out


def test_chunks_become_anthropic_events() -> None:
    usage = {"prompt_tokens": 7, "completion_tokens": 4, "total_tokens": 11}
    events = _frames(
        [
            _chunk({"role": "assistant", "content": ""}),
            _chunk({"content": "Hel"}),
            _chunk({"content": "lo"}),
            _chunk(
                {
                    "tool_calls": [
                        {
                            "index": 0,
                            "id": "call_1",
                            "type": "function",
                            "function": {"name": "lookup", "arguments": ""},
                        }
                    ]
                }
            ),
            _chunk({"tool_calls": [{"index": 0, "function": {"arguments": '{"text"'}}]}),
            _chunk({"tool_calls": [{"index": 0, "function": {"arguments": ': "a"}'}}]}),
            _chunk({}, "tool_calls"),
            {**_chunk({}), "choices": [], "usage": usage},
        ]
    )
    names = [name for name, _ in events]
    assert names == [
        "message_start",
        "content_block_start",
        "content_block_delta",
        "content_block_delta",
        "content_block_stop",
        "content_block_start",
        "content_block_delta",
        "content_block_delta",
        "content_block_stop",
        "message_delta",
        "message_stop",
    ]
    assert events[0][1]["message"]["id"] == "msg_s1"
    assert events[5][1] == {
        "type": "content_block_start",
        "index": 1,
        "content_block": {"type": "tool_use", "id": "call_1", "name": "lookup", "input": {}},
    }
    assert events[7][1]["delta"] == {"type": "input_json_delta", "partial_json": ': "a"}'}
    assert events[9][1]["delta"]["stop_reason"] == "tool_use"
    assert events[9][1]["usage"]["output_tokens"] == 4
    assert events[9][1]["usage"]["input_tokens"] == 7


def test_error_after_start_becomes_error_event() -> None:
    events = _frames([_chunk({"content": "Hi"}), BackendError("The backend failed.")])
    assert events[-1] == (
        "error",
        {"type": "error", "error": {"type": "api_error", "message": "The backend failed."}},
    )


def test_error_before_first_chunk_propagates() -> None:
    with pytest.raises(BackendError, match="failed"):
        _frames([BackendError("The backend failed.")])
    with pytest.raises(BackendError):
        _frames([])


def test_stream_that_ends_normally_without_finish_reason_ends_the_turn() -> None:
    """Some OpenAI-compatible servers omit finish_reason; a cut-off stream is an error
    raised by the cloud backend before it reaches this converter."""
    events = _frames([_chunk({"content": "Hi"})])
    assert [e[0] for e in events[-2:]] == ["message_delta", "message_stop"]
    assert events[-2][1]["delta"]["stop_reason"] == "end_turn"


def test_early_close_closes_the_source() -> None:
    closed = []

    async def source() -> AsyncIterator[dict[str, Any]]:
        try:
            while True:
                yield _chunk({"content": "x"})
        finally:
            closed.append(True)

    async def go() -> None:
        gen = openai_chunks_to_anthropic_sse(source(), "m")
        await anext(gen)
        await anext(gen)
        await gen.aclose()  # type: ignore[attr-defined]

    asyncio.run(go())
    assert closed == [True]


# --- provider side: OpenAI request -> Anthropic ---------------------------------------------


def test_openai_request_to_anthropic_full() -> None:
    body = {
        "model": "client-name",
        "messages": [
            {"role": "system", "content": "Be brief."},
            {"role": "developer", "content": [{"type": "text", "text": "Use tools."}]},
            {"role": "user", "content": "Weather?"},
            {
                "role": "assistant",
                "content": "",
                "tool_calls": [
                    {
                        "id": "call_1",
                        "type": "function",
                        "function": {"name": "lookup", "arguments": '{"q": 1}'},
                    },
                    {
                        "id": "call_2",
                        "type": "function",
                        "function": {"name": "lookup", "arguments": ""},
                    },
                ],
            },
            {"role": "tool", "tool_call_id": "call_1", "content": "sunny"},
            {
                "role": "tool",
                "tool_call_id": "call_2",
                "content": [{"type": "text", "text": "warm"}],
            },
            {"role": "user", "content": "Thanks"},
        ],
        "tools": [TOOL_OA],
        "tool_choice": {"type": "function", "function": {"name": "lookup"}},
        "parallel_tool_calls": False,
        "stop": "END",
        "temperature": 1.7,
        "top_p": 0.5,
        "max_completion_tokens": 33,
        "max_tokens": 99,
        "user": "u-1",
        "seed": 3,
        "stream": True,
        "stream_options": {"include_usage": True},
    }
    assert openai_request_to_anthropic(body, model="up", default_max_tokens=1000) == {
        "model": "up",
        "system": "Be brief.\n\nUse tools.",
        "messages": [
            {"role": "user", "content": "Weather?"},
            {
                "role": "assistant",
                "content": [
                    {"type": "tool_use", "id": "call_1", "name": "lookup", "input": {"q": 1}},
                    {"type": "tool_use", "id": "call_2", "name": "lookup", "input": {}},
                ],
            },
            {
                "role": "user",
                "content": [
                    {"type": "tool_result", "tool_use_id": "call_1", "content": "sunny"},
                    {"type": "tool_result", "tool_use_id": "call_2", "content": "warm"},
                    {"type": "text", "text": "Thanks"},
                ],
            },
        ],
        "max_tokens": 33,
        "stop_sequences": ["END"],
        "temperature": 1.0,
        "top_p": 0.5,
        "tools": [TOOL_AN],
        "tool_choice": {"type": "tool", "name": "lookup", "disable_parallel_tool_use": True},
        "metadata": {"user_id": "u-1"},
        "stream": True,
    }


@pytest.mark.parametrize(
    ("choice", "expected"),
    [("auto", {"type": "auto"}), ("required", {"type": "any"}), ("none", {"type": "none"})],
)
def test_tool_choice_to_anthropic(choice: str, expected: dict[str, Any]) -> None:
    body = {
        "messages": [{"role": "user", "content": "x"}],
        "tools": [TOOL_OA],
        "tool_choice": choice,
    }
    assert (
        openai_request_to_anthropic(body, model="m", default_max_tokens=5)["tool_choice"]
        == expected
    )


def test_max_tokens_default_and_images() -> None:
    body = {
        "messages": [
            {
                "role": "user",
                "content": [
                    {"type": "text", "text": "See"},
                    {"type": "image_url", "image_url": {"url": "data:image/jpeg;base64,QUJD"}},
                ],
            }
        ]
    }
    out = openai_request_to_anthropic(body, model="m", default_max_tokens=77)
    assert out["max_tokens"] == 77
    assert out["messages"][0]["content"][1] == {
        "type": "image",
        "source": {"type": "base64", "media_type": "image/jpeg", "data": "QUJD"},
    }


@pytest.mark.parametrize(
    ("messages", "param"),
    [
        ([], "messages"),
        ([{"role": "function", "content": "x"}], "messages.0.role"),
        ([{"role": "user", "content": [{"type": "input_audio"}]}], "messages.0.content.0.type"),
        (
            [
                {
                    "role": "assistant",
                    "tool_calls": [{"id": "c", "function": {"name": "n", "arguments": "{x"}}],
                }
            ],
            "messages.0.tool_calls.0.function.arguments",
        ),
        ([{"role": "tool", "content": "x"}], "messages.0.tool_call_id"),
        (
            [
                {
                    "role": "user",
                    "content": [{"type": "image_url", "image_url": {"url": "file:///x"}}],
                }
            ],
            "messages.0.content.0",
        ),
    ],
)
def test_openai_requests_anthropic_cannot_take(messages: list[Any], param: str) -> None:
    with pytest.raises(BadRequest) as info:
        openai_request_to_anthropic({"messages": messages}, model="m", default_max_tokens=5)
    assert info.value.param == param


# --- provider side: Anthropic answers -> OpenAI ----------------------------------------------


@pytest.mark.parametrize(
    ("stop_reason", "finish"),
    [
        ("end_turn", "stop"),
        ("stop_sequence", "stop"),
        ("max_tokens", "length"),
        ("tool_use", "tool_calls"),
        ("refusal", "content_filter"),
        ("pause_turn", "stop"),
        (None, "stop"),
    ],
)
def test_stop_reason_to_finish_reason(stop_reason: str | None, finish: str) -> None:
    msg = {
        "type": "message",
        "id": "msg_1",
        "model": "c",
        "content": [],
        "stop_reason": stop_reason,
        "usage": {},
    }
    assert anthropic_message_to_openai(msg, created=1)["choices"][0]["finish_reason"] == finish


def test_anthropic_message_to_openai() -> None:
    msg = {
        "type": "message",
        "id": "msg_1",
        "model": "claude-x",
        "content": [
            {"type": "thinking", "thinking": "...", "signature": "s"},
            {"type": "text", "text": "Checking."},
            {"type": "tool_use", "id": "toolu_1", "name": "lookup", "input": {"text": "a"}},
        ],
        "stop_reason": "tool_use",
        "usage": {"input_tokens": 5, "output_tokens": 2, "cache_read_input_tokens": 3},
    }
    assert anthropic_message_to_openai(msg, created=1) == {
        "id": "chatcmpl-msg_1",
        "object": "chat.completion",
        "created": 1,
        "model": "claude-x",
        "system_fingerprint": None,
        "choices": [
            {
                "index": 0,
                "message": {
                    "role": "assistant",
                    "content": "Checking.",
                    "refusal": None,
                    "tool_calls": [
                        {
                            "id": "toolu_1",
                            "type": "function",
                            "function": {"name": "lookup", "arguments": '{"text": "a"}'},
                        }
                    ],
                },
                "logprobs": None,
                "finish_reason": "tool_calls",
            }
        ],
        "usage": {
            "prompt_tokens": 8,
            "completion_tokens": 2,
            "total_tokens": 10,
            "prompt_tokens_details": {"cached_tokens": 3},
        },
    }


@pytest.mark.parametrize("msg", [None, {"type": "error"}, {"type": "message", "content": "x"}])
def test_malformed_anthropic_messages(msg: Any) -> None:
    with pytest.raises(MalformedUpstream):
        anthropic_message_to_openai(msg)


def test_chunker_translates_an_event_sequence() -> None:
    c = AnthropicChunker(include_usage=True, created=1)
    events: list[tuple[str, dict[str, Any]]] = [
        (
            "message_start",
            {
                "type": "message_start",
                "message": {
                    "id": "msg_9",
                    "model": "c",
                    "usage": {"input_tokens": 4, "output_tokens": 1},
                },
            },
        ),
        ("ping", {"type": "ping"}),
        (
            "content_block_start",
            {
                "type": "content_block_start",
                "index": 0,
                "content_block": {"type": "text", "text": ""},
            },
        ),
        (
            "content_block_delta",
            {
                "type": "content_block_delta",
                "index": 0,
                "delta": {"type": "text_delta", "text": "Hi"},
            },
        ),
        ("content_block_stop", {"type": "content_block_stop", "index": 0}),
        (
            "content_block_start",
            {
                "type": "content_block_start",
                "index": 1,
                "content_block": {
                    "type": "tool_use",
                    "id": "toolu_1",
                    "name": "lookup",
                    "input": {},
                },
            },
        ),
        (
            "content_block_delta",
            {
                "type": "content_block_delta",
                "index": 1,
                "delta": {"type": "input_json_delta", "partial_json": "{}"},
            },
        ),
        (
            "message_delta",
            {
                "type": "message_delta",
                "delta": {"stop_reason": "tool_use"},
                "usage": {"output_tokens": 6},
            },
        ),
        ("message_stop", {"type": "message_stop"}),
    ]
    chunks = [chunk for name, data in events for chunk in c.feed(name, data)]
    deltas = [ch["choices"][0]["delta"] if ch["choices"] else None for ch in chunks]
    assert deltas[:3] == [
        {"role": "assistant", "content": ""},
        {"content": "Hi"},
        {
            "tool_calls": [
                {
                    "index": 0,
                    "id": "toolu_1",
                    "type": "function",
                    "function": {"name": "lookup", "arguments": ""},
                }
            ]
        },
    ]
    assert deltas[3] == {"tool_calls": [{"index": 0, "function": {"arguments": "{}"}}]}
    assert chunks[4]["choices"][0]["finish_reason"] == "tool_calls"
    assert chunks[5]["choices"] == [] and chunks[5]["usage"] == {
        "prompt_tokens": 4,
        "completion_tokens": 6,
        "total_tokens": 10,
    }
    assert all(ch["id"] == "chatcmpl-msg_9" for ch in chunks) and c.finished


def test_chunker_errors() -> None:
    with pytest.raises(MalformedUpstream):
        AnthropicChunker(include_usage=False).feed(
            "content_block_delta", {"type": "content_block_delta"}
        )
    with pytest.raises(AnthropicStreamError) as info:
        AnthropicChunker(include_usage=False).feed(
            "error", {"type": "error", "error": {"type": "overloaded_error"}}
        )
    assert info.value.payload == {"type": "overloaded_error"}


# --- round-trip properties ---------------------------------------------------------------------

_text = st.text(st.characters(exclude_categories=("Cs",)), min_size=1, max_size=40)


@settings(max_examples=60, deadline=None)
@given(system=st.one_of(st.none(), _text), turns=st.lists(_text, min_size=1, max_size=6))
def test_text_conversations_round_trip(system: str | None, turns: list[str]) -> None:
    messages = [{"role": ("user", "assistant")[i % 2], "content": t} for i, t in enumerate(turns)]
    original: dict[str, Any] = {"model": "m", "max_tokens": 9, "messages": messages}
    if system is not None:
        original["system"] = system
    oa = anthropic_request_to_openai(original)
    back = openai_request_to_anthropic(oa, model="m", default_max_tokens=1)
    assert back == original


@pytest.mark.parametrize("stop_reason", ["end_turn", "max_tokens", "tool_use", "refusal"])
def test_message_round_trip(stop_reason: str) -> None:
    content: list[dict[str, Any]] = [{"type": "text", "text": "Hi"}]
    if stop_reason == "tool_use":
        content.append({"type": "tool_use", "id": "toolu_1", "name": "f", "input": {"a": [1, 2]}})
    msg = {
        "id": "msg_1",
        "type": "message",
        "role": "assistant",
        "model": "c",
        "content": content,
        "stop_reason": stop_reason,
        "stop_sequence": None,
        "usage": {
            "input_tokens": 3,
            "output_tokens": 2,
            "cache_creation_input_tokens": 0,
            "cache_read_input_tokens": 0,
        },
    }
    back = openai_response_to_anthropic(anthropic_message_to_openai(msg), "c")
    assert back == {**msg, "id": "msg_msg_1"}


# --- the Anthropic provider against the fake -------------------------------------------------


def anthropic_settings(url: str, **overrides: Any) -> ProviderSettings:
    values: dict[str, Any] = {
        "name": "claude",
        "kind": "anthropic",
        "base_url": url,
        "api_key_env": "ANTHROPIC_KEY",
        "models": ("claude-fast",),
        "default_model": "claude-fast",
        "model_map": {"claude-fast": "claude-upstream-1"},
        "read_timeout_s": 2.0,
        "total_timeout_s": 5.0,
        "backoff_base_s": 0.01,
        "backoff_max_s": 0.05,
        "default_max_tokens": 321,
    }
    values.update(overrides)
    return ProviderSettings(**values)


def _run_provider(settings_: ProviderSettings, body: dict[str, Any]) -> Any:
    async def go() -> Any:
        async with CloudProvider(settings_, api_key=KEY) as p:
            if not body.get("stream"):
                return await p.complete(body)
            chunks = []
            try:
                async for chunk in p.stream(body):
                    chunks.append(chunk)
            except ProviderError as exc:
                return chunks, exc
            return chunks, None

    return asyncio.run(go())


def test_anthropic_provider_complete(fake: tuple[str, FakeControl], control: FakeControl) -> None:
    body = {
        "model": "claude-fast",
        "messages": [
            {"role": "system", "content": "sys"},
            {"role": "user", "content": "Hello Anthropic"},
        ],
    }
    resp = _run_provider(anthropic_settings(fake[0]), body)
    assert resp["object"] == "chat.completion"
    assert resp["choices"][0]["message"]["content"] == "Hello Anthropic"
    assert resp["choices"][0]["finish_reason"] == "stop"
    assert resp["usage"]["completion_tokens"] == 2
    assert control.paths == ["/v1/messages"]
    assert control.received == [
        {
            "model": "claude-upstream-1",
            "system": "sys",
            "messages": [{"role": "user", "content": "Hello Anthropic"}],
            "max_tokens": 321,
        }
    ]
    headers = control.received_headers[0]
    assert headers["x-api-key"] == KEY and headers["anthropic-version"] == "2023-06-01"
    assert "authorization" not in headers


@pytest.mark.parametrize(
    ("extra", "finish"),
    [({"max_tokens": 1}, "length"), ({"stop": ["Anthropic"]}, "stop"), ({}, "stop")],
)
def test_anthropic_provider_finish_reasons(
    fake: tuple[str, FakeControl], control: FakeControl, extra: dict[str, Any], finish: str
) -> None:
    body = {
        "model": "claude-fast",
        "messages": [{"role": "user", "content": "Hello Anthropic"}],
        **extra,
    }
    resp = _run_provider(anthropic_settings(fake[0]), body)
    assert resp["choices"][0]["finish_reason"] == finish


def test_anthropic_provider_tool_call_stream(
    fake: tuple[str, FakeControl], control: FakeControl
) -> None:
    body = {
        "model": "auto",
        "messages": [{"role": "user", "content": "please use the tool"}],
        "tools": [TOOL_OA],
        "stream": True,
        "stream_options": {"include_usage": True},
    }
    chunks, err = _run_provider(anthropic_settings(fake[0]), body)
    assert err is None
    calls = [
        tc for c in chunks if c["choices"] for tc in c["choices"][0]["delta"].get("tool_calls", [])
    ]
    assert calls[0]["function"]["name"] == "lookup" and calls[0]["id"].startswith("toolu_")
    args = "".join(tc["function"]["arguments"] for tc in calls)
    assert json.loads(args) == {"text": "please use the tool"}
    assert [c["choices"][0]["finish_reason"] for c in chunks if c["choices"]][-1] == "tool_calls"
    assert chunks[-1]["usage"]["completion_tokens"] == 8
    assert control.received[0]["tools"] == [TOOL_AN] and control.received[0]["stream"] is True


def test_anthropic_overloaded_mid_stream(
    fake: tuple[str, FakeControl], control: FakeControl
) -> None:
    control.stream_error_after = 4
    body = {
        "model": "claude-fast",
        "messages": [{"role": "user", "content": "one two three four"}],
        "stream": True,
    }
    chunks, err = _run_provider(anthropic_settings(fake[0]), body)
    assert len(chunks) == 2  # role chunk, then "one "
    assert isinstance(err, ProviderError) and err.retryable and "overloaded_error" in err.message
    assert control.request_count == 1


def test_anthropic_overloaded_before_first_chunk_is_retried(
    fake: tuple[str, FakeControl], control: FakeControl
) -> None:
    control.stream_error_after = 0
    body = {"model": "claude-fast", "messages": [{"role": "user", "content": "hi"}], "stream": True}
    chunks, err = _run_provider(anthropic_settings(fake[0], max_retries=1), body)
    assert chunks == [] and isinstance(err, ProviderError)
    assert control.request_count == 2


def test_anthropic_4xx_passthrough(fake: tuple[str, FakeControl], control: FakeControl) -> None:
    control.fail_next(1, status=400, message="max_tokens: 999999 > 8192, the maximum allowed")
    with pytest.raises(ProviderError) as info:
        _run_provider(
            anthropic_settings(fake[0]),
            {"model": "claude-fast", "messages": [{"role": "user", "content": "x"}]},
        )
    assert info.value.status == 400 and info.value.type == "invalid_request_error"
    assert "the maximum allowed" in info.value.message


# --- the official Anthropic SDK ------------------------------------------------------------------


def test_anthropic_sdk_accepts_the_fake(
    fake: tuple[str, FakeControl], control: FakeControl
) -> None:
    with anthropic.Anthropic(base_url=fake[0], api_key=KEY, max_retries=0) as client:
        msg = client.messages.create(
            model="m", max_tokens=50, messages=[{"role": "user", "content": "hi there"}]
        )
        assert msg.content[0].type == "text" and msg.content[0].text == "hi there"
        with client.messages.stream(
            model="m",
            max_tokens=50,
            messages=[{"role": "user", "content": "use the tool"}],
            tools=[TOOL_AN],  # type: ignore[list-item]
        ) as stream:
            final = stream.get_final_message()
        assert final.stop_reason == "tool_use"
        assert final.content[-1].type == "tool_use" and final.content[-1].input == {
            "text": "use the tool"
        }
        control.fail_next(1, status=529, message="Overloaded")
        with pytest.raises(anthropic.APIStatusError) as info:
            client.messages.create(
                model="m", max_tokens=5, messages=[{"role": "user", "content": "x"}]
            )
        assert info.value.status_code == 529


def _front_doors(upstream: str) -> Starlette:
    """A minimal router: /v1/messages over an OpenAI provider, /v1/chat/completions over an
    Anthropic provider, so each SDK reads our translation of the other protocol."""
    providers: dict[str, CloudProvider] = {}

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        providers["openai"] = CloudProvider(
            ProviderSettings(
                name="oa", kind="openai_compatible", base_url=upstream + "/v1", max_retries=0
            ),
            api_key=None,
        )
        providers["anthropic"] = CloudProvider(
            anthropic_settings(upstream, max_retries=0), api_key=KEY
        )
        yield
        for p in providers.values():
            await p.aclose()

    async def messages(request: Request) -> Response:
        try:
            body = anthropic_request_to_openai(await request.json())
            provider = providers["openai"]
            if body.get("stream"):
                frames = openai_chunks_to_anthropic_sse(provider.stream(body), body["model"])
                first = await anext(frames)  # errors before the first byte keep their status

                async def replay() -> AsyncIterator[bytes]:
                    yield first
                    async for frame in frames:
                        yield frame

                return StreamingResponse(replay(), media_type="text/event-stream")
            return JSONResponse(
                openai_response_to_anthropic(await provider.complete(body), body["model"])
            )
        except RouterError as exc:
            return JSONResponse(anthropic_error(exc.status, exc.type, exc.message), exc.status)

    async def chat(request: Request) -> Response:
        body = await request.json()
        provider = providers["anthropic"]
        if body.get("stream"):

            async def sse() -> AsyncIterator[bytes]:
                async for chunk in provider.stream(body):
                    yield b"data: " + json.dumps(chunk).encode() + b"\n\n"
                yield b"data: [DONE]\n\n"

            return StreamingResponse(sse(), media_type="text/event-stream")
        return JSONResponse(await provider.complete(body))

    return Starlette(
        routes=[
            Route("/v1/messages", messages, methods=["POST"]),
            Route("/v1/chat/completions", chat, methods=["POST"]),
        ],
        lifespan=lifespan,
    )


@pytest.fixture(scope="module")
def front(fake: tuple[str, FakeControl]) -> Iterator[str]:
    with serve(_front_doors(fake[0])) as url:
        yield url


def test_anthropic_sdk_through_our_translation(front: str, control: FakeControl) -> None:
    with anthropic.Anthropic(base_url=front, api_key="client-key", max_retries=0) as client:
        msg = client.messages.create(
            model="claude-x",
            max_tokens=50,
            system="Be brief.",
            messages=[{"role": "user", "content": "hello via translation"}],
        )
        assert msg.content[0].text == "hello via translation"  # type: ignore[union-attr]
        assert msg.stop_reason == "end_turn" and msg.usage.output_tokens == 3
        assert control.received[-1]["messages"][0] == {"role": "system", "content": "Be brief."}

        with client.messages.stream(
            model="claude-x",
            max_tokens=50,
            messages=[{"role": "user", "content": "streamed words here"}],
        ) as stream:
            text = "".join(stream.text_stream)
            final = stream.get_final_message()
        assert text == "streamed words here"
        assert final.stop_reason == "end_turn" and final.usage.output_tokens == 3

        with client.messages.stream(
            model="claude-x",
            max_tokens=50,
            messages=[{"role": "user", "content": "call a tool please"}],
            tools=[TOOL_AN],  # type: ignore[list-item]
        ) as stream:
            final = stream.get_final_message()
        tool = final.content[-1]
        assert final.stop_reason == "tool_use" and tool.type == "tool_use"
        assert tool.input == {"text": "call a tool please"}

        # The SDK sends the tool result back; it reaches the provider as an OpenAI tool message.
        msg = client.messages.create(
            model="claude-x",
            max_tokens=50,
            tools=[TOOL_AN],  # type: ignore[list-item]
            messages=[
                {"role": "user", "content": "call a tool please"},
                {"role": "assistant", "content": [tool.model_dump(exclude_none=True)]},  # type: ignore[list-item]
                {
                    "role": "user",
                    "content": [
                        {"type": "tool_result", "tool_use_id": tool.id, "content": "42 degrees"}
                    ],
                },  # type: ignore[union-attr]
            ],
        )
        assert msg.content[0].text == "42 degrees"  # type: ignore[union-attr]
        sent = control.received[-1]["messages"]
        assert sent[-1] == {"role": "tool", "tool_call_id": tool.id, "content": "42 degrees"}  # type: ignore[union-attr]


def test_anthropic_sdk_sees_errors(front: str, control: FakeControl) -> None:
    with anthropic.Anthropic(base_url=front, api_key="client-key", max_retries=0) as client:
        with pytest.raises(anthropic.BadRequestError) as info:
            client.messages.create(
                model="m", max_tokens=0, messages=[{"role": "user", "content": "x"}]
            )
        assert info.value.body["error"]["type"] == "invalid_request_error"  # type: ignore[index]
        control.drop_after_chunks = 3
        with pytest.raises(anthropic.APIStatusError, match="dropped the connection"):  # noqa: SIM117
            with client.messages.stream(
                model="m",
                max_tokens=50,
                messages=[{"role": "user", "content": "one two three four five"}],
            ) as stream:
                "".join(stream.text_stream)


def test_openai_sdk_through_the_anthropic_provider(front: str, control: FakeControl) -> None:
    with openai.OpenAI(base_url=front + "/v1", api_key="client-key", max_retries=0) as client:
        r = client.chat.completions.create(
            model="claude-fast", messages=[{"role": "user", "content": "plain answer"}]
        )
        assert (
            r.choices[0].message.content == "plain answer" and r.choices[0].finish_reason == "stop"
        )
        stream = client.chat.completions.create(
            model="claude-fast",
            messages=[{"role": "user", "content": "tool time"}],
            tools=[TOOL_OA],  # type: ignore[list-item]
            stream=True,
            stream_options={"include_usage": True},
        )
        chunks = list(stream)
        args = "".join(
            tc.function.arguments or ""  # type: ignore[union-attr]
            for c in chunks
            if c.choices
            for tc in c.choices[0].delta.tool_calls or []
        )
        assert json.loads(args) == {"text": "tool time"}
        assert chunks[-1].usage is not None and chunks[-1].usage.completion_tokens == 8
    assert control.paths[-1] == "/v1/messages"
