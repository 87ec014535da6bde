from __future__ import annotations

from typing import Any

import pytest

from edge_router.errors import BadRequest
from edge_router.wire.json_body import parse_json_body
from edge_router.wire.openai_chat import validate_chat

MSG = [{"role": "user", "content": "hi"}]


@pytest.mark.parametrize(
    ("body", "param"),
    [
        ({"messages": MSG}, "model"),
        ({"model": "auto", "messages": []}, "messages"),
        ({"model": "auto", "messages": [{"role": "robot", "content": "x"}]}, "messages.0.role"),
        ({"model": "auto", "messages": MSG, "n": 2}, "n"),
        ({"model": "auto", "messages": MSG, "temperature": 3}, "temperature"),
        ({"model": "auto", "messages": MSG, "max_tokens": 0}, "max_tokens"),
        ({"model": "auto", "messages": MSG, "stop": ["a", "b", "c", "d", "e"]}, "stop"),
    ],
)
def test_schema_errors_name_the_field(body: dict[str, Any], param: str) -> None:
    with pytest.raises(BadRequest) as info:
        validate_chat(body)
    assert info.value.param == param
    assert info.value.status == 400


def test_schema_error_does_not_echo_input() -> None:
    with pytest.raises(BadRequest) as info:
        validate_chat({"model": "auto", "messages": [{"role": "secret-role-jane@x.org"}]})
    assert "jane@x.org" not in info.value.message


def test_valid_request_keeps_unknown_fields_and_normalises_stop() -> None:
    chat = validate_chat({"model": "auto", "messages": MSG, "stop": "END", "user": "u1"})
    assert chat.stop_list == ["END"]
    assert chat.model_extra == {"user": "u1"}


@pytest.mark.parametrize("raw", [b"{bad", b"\xff\xfe", b"[1,2]", b'"str"', b"[" * 100_000])
def test_bad_json_bodies_are_400(raw: bytes) -> None:
    with pytest.raises(BadRequest) as info:
        parse_json_body(raw)
    assert info.value.code == "invalid_json"
