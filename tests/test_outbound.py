"""wire.openai_chat: the projection (what may leave) and its enumeration (what is scanned).

The property tests build random bodies with strings in known and unknown places and
check that every string a provider could receive, keys included, sits inside a
scanned field, and that unknown fields never survive the projection.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from edge_router.errors import BadRequest
from edge_router.wire.openai_chat import (
    FORWARDED,
    SCALARS,
    check_extra_fields,
    dropped_fields,
    outbound_fields,
    project,
    upstream_body,
    validate_chat,
)

U = {"role": "user", "content": "hi"}


def fields_of(body: dict[str, Any], **kw: Any) -> tuple[list[tuple[str, str]], list[str]]:
    got, non_text = outbound_fields(project(body, **kw))
    return [(f.path, f.text) for f in got], non_text


CASES: list[tuple[str, dict[str, Any], list[tuple[str, str]], list[str]]] = [
    (
        "string content, all roles, names, ids",
        {
            "model": "auto",
            "messages": [
                {"role": "system", "content": "sys"},
                {"role": "developer", "content": "dev"},
                {"role": "user", "content": "u", "name": "amer"},
                {"role": "assistant", "content": "a", "refusal": "no"},
                {"role": "tool", "content": "result", "tool_call_id": "c1"},
            ],
        },
        [
            ("model", "auto"),
            ("messages[0].content", "sys"),
            ("messages[1].content", "dev"),
            ("messages[2].name", "amer"),
            ("messages[2].content", "u"),
            ("messages[3].content", "a"),
            ("messages[3].refusal", "no"),
            ("messages[4].content", "result"),
            ("messages[4].tool_call_id", "c1"),
        ],
        [],
    ),
    (
        "content parts with image, audio and file",
        {
            "model": "m",
            "messages": [
                {
                    "role": "user",
                    "content": [
                        {"type": "text", "text": "look"},
                        {"type": "image_url", "image_url": {"url": "https://x.test/a.png"}},
                        {"type": "input_audio", "input_audio": {"data": "AAAA", "format": "wav"}},
                        {"type": "file", "file": {"filename": "cv.pdf"}},
                    ],
                }
            ],
        },
        [
            ("model", "m"),
            ("messages[0].content[0].text", "look"),
            ("messages[0].content[1].image_url", '{"url": "https://x.test/a.png"}'),
            ("messages[0].content[2].input_audio", '{"data": "AAAA", "format": "wav"}'),
            ("messages[0].content[3].file", '{"filename": "cv.pdf"}'),
        ],
        ["messages[0].content[1]", "messages[0].content[2]", "messages[0].content[3]"],
    ),
    (
        "assistant tool calls with ids",
        {
            "model": "m",
            "messages": [
                {
                    "role": "assistant",
                    "content": None,
                    "tool_calls": [
                        {
                            "id": "call_1",
                            "type": "function",
                            "function": {"name": "lookup", "arguments": '{"email": "a@b.org"}'},
                        }
                    ],
                }
            ],
        },
        [
            ("model", "m"),
            ("messages[0].tool_calls[0].id", "call_1"),
            ("messages[0].tool_calls[0].function.name", "lookup"),
            ("messages[0].tool_calls[0].function.arguments", '{"email": "a@b.org"}'),
        ],
        [],
    ),
    (
        "every text-bearing top-level field is scanned whole",
        {
            "model": "m",
            "messages": [U],
            "user": "u-1",
            "metadata": {"customer": "x"},
            "stop": ["END"],
            "tools": [{"type": "function", "function": {"name": "f", "description": "d"}}],
            "tool_choice": {"type": "function", "function": {"name": "f"}},
            "response_format": {"type": "json_schema", "json_schema": {"name": "s"}},
            "logit_bias": {"123": 1},
            "temperature": 0.5,
        },
        [
            ("model", "m"),
            ("messages[0].content", "hi"),
            ("user", "u-1"),
            ("metadata", '{"customer": "x"}'),
            ("stop", '["END"]'),
            ("tools", '[{"function": {"description": "d", "name": "f"}, "type": "function"}]'),
            ("tool_choice", '{"function": {"name": "f"}, "type": "function"}'),
            ("response_format", '{"json_schema": {"name": "s"}, "type": "json_schema"}'),
            ("logit_bias", '{"123": 1}'),
        ],
        [],
    ),
]


@pytest.mark.parametrize(
    ("body", "fields", "non_text"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_outbound_fields(
    body: dict[str, Any], fields: list[tuple[str, str]], non_text: list[str]
) -> None:
    assert fields_of(body) == (fields, non_text)


def test_unknown_fields_are_dropped_everywhere() -> None:
    body = {
        "model": "m",
        "messages": [
            {
                "role": "user",
                "content": [{"type": "text", "text": "hi", "secret": "a@b.org"}],
                "x_note": "a@b.org",
            },
            {
                "role": "assistant",
                "tool_calls": [
                    {"id": "c", "type": "function", "extra": 1, "function": {"name": "f", "z": 2}}
                ],
            },
        ],
        "x_custom": "a@b.org",
        "extra_body": {"k": "a@b.org"},
    }
    out = project(body)
    assert "a@b.org" not in json.dumps(out)
    assert set(out) == {"model", "messages"}
    assert dropped_fields(body) == 2


def test_operator_extra_fields_are_kept_and_scanned() -> None:
    body = {"model": "m", "messages": [U], "vendor_opt": {"k": "v"}}
    assert "vendor_opt" not in project(body)
    fields, _ = fields_of(body, extra=["vendor_opt"])
    assert ("vendor_opt", '{"k": "v"}') in fields
    projected = project(body, extra=["vendor_opt"])
    # A provider that does not allow the field does not get it.
    assert "vendor_opt" not in upstream_body(projected, model="x", stream=False)
    wire = upstream_body(projected, model="x", stream=False, extra=["vendor_opt"])
    assert wire["vendor_opt"] == {"k": "v"}


@pytest.mark.parametrize("name", ["messages", "Bad", "tools", "a-b", "x" * 70])
def test_extra_field_names_are_checked(name: str) -> None:
    with pytest.raises(ValueError):
        check_extra_fields([name])


@pytest.mark.parametrize(
    ("key", "value"),
    [("temperature", "hot"), ("stream", "yes"), ("reasoning_effort", "a@b.org"), ("n", 1.5)],
)
def test_scalars_of_the_wrong_type_are_refused(key: str, value: Any) -> None:
    with pytest.raises(BadRequest) as err:
        project({"model": "m", "messages": [U], key: value})
    assert "a@b.org" not in err.value.message


@pytest.mark.parametrize(
    "part",
    [
        {"type": "hologram", "data": "x"},
        {"type": "text", "text": 5},
        "plain",
        {"type": "image_url"},
    ],
)
def test_unsupported_parts_are_refused_not_forwarded(part: Any) -> None:
    with pytest.raises(BadRequest):
        project({"model": "m", "messages": [{"role": "user", "content": [part]}]})


@pytest.mark.parametrize(
    "model",
    ["gpt-4o-mini", "claude-3-5-sonnet-20241022", "meta-llama/Llama-3-8B", "ft:gpt-4o:org:x:1"],
)
def test_common_model_names_are_valid(model: str) -> None:
    assert validate_chat({"model": model, "messages": [U]}).model == model


@pytest.mark.parametrize(
    "model", ["a@b.org", "gpt\x00x", "gpt 4", "gpté", "modèle", "x" * 129, "-x", "a\nb"]
)
def test_model_names_outside_the_pattern_are_refused(model: str) -> None:
    with pytest.raises(BadRequest) as err:
        validate_chat({"model": model, "messages": [U]})
    assert err.value.param == "model"
    assert model not in err.value.message


def test_upstream_body_stream_flags() -> None:
    projected = project(
        {"model": "m", "messages": [U], "stream": True, "stream_options": {"include_usage": True}}
    )
    assert upstream_body(projected, model="up", stream=False) == {
        "model": "up",
        "messages": [U],
        "stream": False,
    }
    assert upstream_body(projected, model="up", stream=True)["stream_options"] == {
        "include_usage": True
    }


# ---- property: every string that can leave is inside a scanned field ----------------

_text = st.text(min_size=1, max_size=8)
_json = st.recursive(
    st.none() | st.booleans() | st.integers() | _text,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(_text, inner, max_size=3),
    max_leaves=8,
)
_part = st.one_of(
    st.fixed_dictionaries({"type": st.just("text"), "text": _text}),
    st.fixed_dictionaries(
        {"type": st.just("image_url"), "image_url": st.dictionaries(_text, _json, max_size=2)}
    ),
)
_call = st.fixed_dictionaries(
    {
        "id": _text,
        "type": st.just("function"),
        "function": st.fixed_dictionaries({"name": _text, "arguments": _json}),
    }
)
_message = st.fixed_dictionaries(
    {"role": st.sampled_from(["system", "user", "assistant", "tool"])},
    optional={
        "content": _text | st.lists(_part, max_size=3),
        "name": _text,
        "tool_call_id": _text,
        "refusal": _text,
        "tool_calls": st.lists(_call, max_size=2),
        "function_call": st.fixed_dictionaries({"name": _text, "arguments": _json}),
        "unknown": _json,
    },
)
# Scalar fields ("n", "seed") are type-checked by the projection (a wrong type is a 400,
# tested elsewhere), so a random key must not hit one by chance: {"n": []} did.
_top = st.dictionaries(
    st.sampled_from(sorted(FORWARDED - {"model", "messages", *SCALARS}))
    | _text.filter(lambda key: key not in SCALARS),
    _json,
    max_size=6,
)


def _strings(value: Any, path: str) -> list[tuple[str, str]]:
    """(path, string) for every string value in a JSON value, and (path + "#", key) for
    every key not in the allowlist's own vocabulary."""
    if isinstance(value, str):
        return [(path, value)]
    if isinstance(value, dict):
        out = []
        for k, v in value.items():
            if k not in _STRUCTURAL:
                out.append((f"{path}.{k}", k))
            out += _strings(v, f"{path}.{k}")
        return out
    if isinstance(value, list):
        return [s for i, v in enumerate(value) for s in _strings(v, f"{path}[{i}]")]
    return []


# Key names the projection itself writes or keeps from its allowlist: not client data.
_STRUCTURAL = FORWARDED | {
    "role", "content", "name", "tool_calls", "tool_call_id", "refusal", "function_call",
    "type", "text", "image_url", "function", "arguments", "id",
}  # fmt: skip


@settings(max_examples=300, deadline=None)
@given(messages=st.lists(_message, min_size=1, max_size=3), top=_top)
def test_every_forwarded_string_is_inside_a_scanned_field(
    messages: list[dict[str, Any]], top: dict[str, Any]
) -> None:
    body = {**top, "model": "m", "messages": messages}
    projected = project(body)
    fields, _ = outbound_fields(projected)
    scanned = {f.path: f.text for f in fields}
    for path, s in _strings(projected, "$"):
        path = path.removeprefix("$.").removeprefix("$")
        if path.endswith((".role", ".type")) or s == "" or (s in _STRUCTURAL and not path):
            continue  # enum values (checked by the projection) and allowlisted key names
        owner = [p for p in scanned if path == p or path.startswith((p + ".", p + "["))]
        assert owner, f"{path!r} leaves unscanned"
        rendered = json.dumps(s, ensure_ascii=False)[1:-1]
        assert any(s in scanned[p] or rendered in scanned[p] for p in owner), path
    for key in projected:
        assert key in FORWARDED
