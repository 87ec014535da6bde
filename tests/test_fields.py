from __future__ import annotations

from typing import Any

import pytest

from edge_router.privacy.fields import extract_fields

CASES: list[tuple[str, dict[str, Any], list[tuple[str, str]], list[str]]] = [
    ("plain text", {"text": "hello"}, [("text", "hello")], []),
    (
        "string content, all roles",
        {
            "messages": [
                {"role": "system", "content": "sys"},
                {"role": "developer", "content": "dev"},
                {"role": "user", "content": "u", "name": "amer"},
                {"role": "assistant", "content": "a"},
                {"role": "tool", "content": "result", "tool_call_id": "c1"},
            ]
        },
        [
            ("messages[0].content", "sys"),
            ("messages[1].content", "dev"),
            ("messages[2].name", "amer"),
            ("messages[2].content", "u"),
            ("messages[3].content", "a"),
            ("messages[4].content", "result"),
        ],
        [],
    ),
    (
        "content parts with image and audio",
        {
            "messages": [
                {
                    "role": "user",
                    "content": [
                        {"type": "text", "text": "look"},
                        {"type": "image_url", "image_url": {"url": "data:..."}},
                        {"type": "input_audio", "input_audio": {"data": "..."}},
                        {"type": "file", "file": {"file_id": "f"}},
                    ],
                }
            ]
        },
        [("messages[0].content[0].text", "look")],
        ["messages[0].content[1]", "messages[0].content[2]", "messages[0].content[3]"],
    ),
    (
        "assistant tool calls",
        {
            "messages": [
                {
                    "role": "assistant",
                    "content": None,
                    "tool_calls": [
                        {
                            "id": "c1",
                            "type": "function",
                            "function": {"name": "lookup", "arguments": '{"email": "a@b.org"}'},
                        }
                    ],
                }
            ]
        },
        [
            ("messages[0].tool_calls[0].function.name", "lookup"),
            ("messages[0].tool_calls[0].function.arguments", '{"email": "a@b.org"}'),
        ],
        [],
    ),
    (
        "legacy function_call",
        {"messages": [{"role": "assistant", "function_call": {"name": "f", "arguments": "{}"}}]},
        [("messages[0].function_call.name", "f"), ("messages[0].function_call.arguments", "{}")],
        [],
    ),
    (
        "anthropic system string",
        {"system": "be nice", "messages": []},
        [("system", "be nice")],
        [],
    ),
    (
        "anthropic system blocks",
        {"system": [{"type": "text", "text": "be nice"}], "messages": []},
        [("system[0].text", "be nice")],
        [],
    ),
    (
        "anthropic tool_use, tool_result, image, document",
        {
            "messages": [
                {
                    "role": "assistant",
                    "content": [
                        {"type": "tool_use", "id": "t", "name": "find", "input": {"q": "x"}},
                    ],
                },
                {
                    "role": "user",
                    "content": [
                        {"type": "tool_result", "tool_use_id": "t", "content": "found"},
                        {
                            "type": "tool_result",
                            "tool_use_id": "t",
                            "content": [{"type": "text", "text": "inner"}],
                        },
                        {"type": "image", "source": {"type": "base64", "data": "..."}},
                        {"type": "document", "source": {"type": "base64", "data": "..."}},
                    ],
                },
            ]
        },
        [
            ("messages[0].content[0].name", "find"),
            ("messages[0].content[0].input", '{"q": "x"}'),
            ("messages[1].content[0].content", "found"),
            ("messages[1].content[1].content[0].text", "inner"),
        ],
        ["messages[1].content[2]", "messages[1].content[3]"],
    ),
    (
        "unknown part type without text is unscannable",
        {"messages": [{"role": "user", "content": [{"type": "hologram", "data": "..."}]}]},
        [],
        ["messages[0].content[0]"],
    ),
    (
        "garbage is skipped",
        {
            "messages": [
                None,
                3,
                "x",
                {"role": "user", "content": 5},
                {"role": "user", "content": [None, 7, {"type": "text", "text": 9}]},
                {"role": "assistant", "tool_calls": [None, {"function": "nope"}]},
            ],
            "system": 12,
            "text": ["no"],
        },
        [],
        ["messages[3].content", "messages[4].content[2]"],
    ),
]


@pytest.mark.parametrize(
    ("body", "fields", "non_text"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_extract_fields(
    body: dict[str, Any], fields: list[tuple[str, str]], non_text: list[str]
) -> None:
    got, got_non_text = extract_fields(body)
    assert [(f.path, f.text) for f in got] == fields
    assert got_non_text == non_text


def test_not_a_mapping_is_empty() -> None:
    assert extract_fields([1, 2]) == ([], [])  # type: ignore[arg-type]
