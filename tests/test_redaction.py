"""Reversible redaction: placeholders, body walking, JSON fields and streaming restore."""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Sequence
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from edge_router.privacy.redaction import RedactionError, StreamRestorer, Vault, redact_body
from edge_router.privacy.types import Entity, ScanResult, TextField

PH = re.compile(r"<[A-Z0-9_]+_[a-z0-9]{8}>")
FAST = settings(deadline=None, max_examples=150)

# Text that is likely to contain placeholder-ish fragments.
ALPHABET = st.sampled_from([*'<>_AZP19 az"\\\n', "é", "😀", "<PERSON_1_"])
texts = st.lists(ALPHABET, max_size=40).map("".join)


@st.composite
def text_and_spans(draw: st.DrawFn) -> tuple[str, list[tuple[int, int]]]:
    text = draw(texts)
    n = len(text)
    spans = draw(st.lists(st.tuples(st.integers(0, n), st.integers(0, n)).map(sorted), max_size=6))
    return text, [(a, b) for a, b in spans]


def ents(field: str, spans: Sequence[Sequence[int]], kind: str = "PERSON") -> tuple[Entity, ...]:
    return tuple(Entity(kind, a, b, 0.9, field) for a, b in spans)


def redact_text(text: str, spans: list[tuple[int, int]], vault: Vault) -> str:
    body = {"messages": [{"role": "user", "content": text}]}
    out = redact_body(body, ScanResult(entities=ents("messages[0].content", spans)), vault)
    return str(out["messages"][0]["content"])


@FAST
@given(text_and_spans())
def test_restore_inverts_redact(case: tuple[str, list[tuple[int, int]]]) -> None:
    text, spans = case
    vault = Vault()
    red = redact_text(text, spans, vault)
    assert vault.restore(red) == text
    covered = {i for a, b in spans for i in range(a, b)}
    if covered:
        assert len(vault) >= 1


@FAST
@given(text_and_spans(), st.data())
def test_streaming_restore_equals_whole_restore(
    case: tuple[str, list[tuple[int, int]]], data: st.DataObject
) -> None:
    text, spans = case
    vault = Vault()
    red = redact_text(text, spans, vault)
    # sprinkle in an invented placeholder and a foreign one
    red = red + "<PERSON_99_" + vault._nonce + ">" + Vault().placeholder("x", "PERSON")
    cuts = sorted(data.draw(st.lists(st.integers(0, len(red)), max_size=8)))
    chunks = [red[a:b] for a, b in zip([0, *cuts], [*cuts, len(red)], strict=True)]
    r = StreamRestorer(vault)
    streamed = "".join(r.feed(c) for c in chunks) + r.flush()
    assert streamed == vault.restore(red)


@FAST
@given(st.lists(st.text(min_size=1, max_size=8), min_size=1, max_size=12))
def test_placeholders_never_collide(values: list[str]) -> None:
    vault = Vault()
    phs = [
        vault.placeholder(v, "PERSON" if i % 2 else "EMAIL_ADDRESS") for i, v in enumerate(values)
    ]
    by_value = dict(zip(values, phs, strict=True))
    assert len(set(by_value.values())) == len(by_value)  # different values, different placeholders
    assert all(by_value[v] == p for v, p in zip(values, phs, strict=True))  # same value, same one


def test_placeholder_shape() -> None:
    vault = Vault()
    ph = vault.placeholder("Jane Doe", "PERSON")
    assert PH.fullmatch(ph) and ph.startswith("<PERSON_1_") and ph.isascii()
    assert json.dumps(ph) == f'"{ph}"'  # nothing JSON must escape
    assert vault.placeholder("x", "weird type!").startswith("<WEIRD_TYPE__1_")
    assert Vault().placeholder("Jane Doe", "PERSON") != ph  # nonce differs per request


def test_invented_placeholders_pass_through() -> None:
    vault, other = Vault(), Vault()
    real = vault.placeholder("Jane", "PERSON")
    foreign = other.placeholder("Jane", "PERSON")
    invented = real.replace("_1_", "_2_")
    text = f"{real} {foreign} {invented} <PERSON_1_> <person_1_{vault._nonce}>"
    assert vault.restore(text) == f"Jane {foreign} {invented} <PERSON_1_> <person_1_{vault._nonce}>"
    assert other.restore(real) == real


def test_stream_holds_back_only_a_possible_placeholder_prefix() -> None:
    vault = Vault()
    ph = vault.placeholder("Jane", "PERSON")
    r = StreamRestorer(vault)
    assert r.feed("a < b and <x") == "a < b and <x"  # lower-case: can't be a placeholder
    assert r.feed("hi " + ph[:5]) == "hi "
    assert r.feed(ph[5:12]) == ""
    assert r.feed(ph[12:] + " bye <PE") == "Jane bye "
    assert r.feed("RSON_1_zzz") == "<PERSON_1_zzz"  # nonce mismatch: released at once
    long = "<" + "A" * 200
    assert r.feed(long) == long  # too long to be a placeholder: never buffered
    assert r.feed("<P") == ""
    assert r.flush() == "<P"


def test_stream_json_fragment_escapes_values() -> None:
    vault = Vault()
    ph = vault.placeholder('O"Brien\n', "PERSON")
    r = StreamRestorer(vault, json_fragment=True)
    out = r.feed('{"to": "' + ph[:7]) + r.feed(ph[7:] + '"}') + r.flush()
    assert json.loads(out) == {"to": 'O"Brien\n'}


def body_fixture() -> dict[str, Any]:
    args = json.dumps({"to": "Jane Doe", "note": 'say "hi" to Jane', "n": 5551234567, "ok": True})
    return {
        "system": "You help Jane Doe.",
        "messages": [
            {"role": "system", "content": "Assistant for Jane Doe"},
            {
                "role": "user",
                "name": "jane_doe",
                "content": [{"type": "text", "text": "Mail jane@x.io"}],
            },
            {
                "role": "assistant",
                "content": None,
                "tool_calls": [
                    {
                        "id": "c1",
                        "type": "function",
                        "function": {"name": "send", "arguments": args},
                    }
                ],
            },
            {"role": "tool", "tool_call_id": "c1", "content": "sent to jane@x.io"},
            {
                "role": "user",
                "content": [
                    {"type": "tool_use", "id": "t", "name": "f", "input": {"who": "Jane Doe"}}
                ],
            },
        ],
    }


def spans_of(text: str, needle: str, kind: str, path: str) -> list[Entity]:
    return [
        Entity(kind, m.start(), m.end(), 0.9, path) for m in re.finditer(re.escape(needle), text)
    ]


def scan_fixture(body: dict[str, Any]) -> tuple[ScanResult, list[TextField]]:
    m = body["messages"]
    fields = {
        "system": body["system"],
        "messages[0].content": m[0]["content"],
        "messages[1].name": m[1]["name"],
        "messages[1].content[0].text": m[1]["content"][0]["text"],
        "messages[2].tool_calls[0].function.arguments": m[2]["tool_calls"][0]["function"][
            "arguments"
        ],
        "messages[3].content": m[3]["content"],
        "messages[4].content[0].input": json.dumps(m[4]["content"][0]["input"]),
    }
    found: list[Entity] = []
    for path, text in fields.items():
        found += spans_of(text, "Jane Doe", "PERSON", path)
        found += spans_of(text, "Jane", "PERSON", path)  # overlaps "Jane Doe": merged
        found += spans_of(text, "jane@x.io", "EMAIL_ADDRESS", path)
        found += spans_of(text, "jane_doe", "PERSON", path)
        found += spans_of(text, "55512", "PHONE_NUMBER", path)  # part of a JSON number
    return ScanResult(entities=tuple(found)), [TextField(p, t) for p, t in fields.items()]


def test_redact_body_covers_every_field_and_restores() -> None:
    body = body_fixture()
    original = copy.deepcopy(body)
    scan, fields = scan_fixture(body)
    vault = Vault()
    out = redact_body(body, scan, vault, texts=fields)
    assert body == original  # input untouched
    dumped = json.dumps(out)
    for value in ("Jane", "jane@x.io", "jane_doe", "5551234567"):
        assert value not in dumped
    # same value, same placeholder across fields
    full = vault.placeholder("Jane Doe", "PERSON")
    assert out["system"] == f"You help {full}."
    assert out["messages"][4]["content"][0]["input"] == {"who": full}
    args = out["messages"][2]["tool_calls"][0]["function"]["arguments"]
    parsed = json.loads(args)  # still valid JSON
    assert parsed["to"] == full
    assert parsed["n"] == vault.placeholder("5551234567", "PHONE_NUMBER")
    restored = json.loads(vault.restore_json_fragment(args))
    assert restored == {"to": "Jane Doe", "note": 'say "hi" to Jane', "n": "5551234567", "ok": True}
    back = vault.restore_value(out)  # "arguments" strings are restored JSON-escaped
    back_args = back["messages"][2]["tool_calls"][0]["function"].pop("arguments")
    assert json.loads(back_args) == restored
    del original["messages"][2]["tool_calls"][0]["function"]["arguments"]
    assert back == original


def test_types_filter() -> None:
    body = body_fixture()
    scan, _ = scan_fixture(body)
    out = redact_body(body, scan, Vault(), types={"EMAIL_ADDRESS"})
    assert out["system"] == body["system"]
    assert "jane@x.io" not in out["messages"][3]["content"]


def test_extra_spans_are_redacted() -> None:
    body = {"messages": [{"role": "user", "content": "About Blue Falcon"}]}
    extra = [Entity("CUSTOM_TERM", 6, 17, 1.0, "messages[0].content")]
    vault = Vault()
    out = redact_body(body, ScanResult(), vault, extra=extra)
    assert out["messages"][0]["content"] == "About " + vault.placeholder("Blue Falcon", "X")


json_strings = st.text(alphabet=st.sampled_from(list('ab "\\\n\té😀<>')), max_size=8)
json_values = st.recursive(
    json_strings,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(json_strings, inner, max_size=3),
    max_leaves=8,
)


@FAST
@given(json_values, st.booleans(), st.data())
def test_json_arguments_stay_valid_and_restore(
    value: Any, ascii_: bool, data: st.DataObject
) -> None:
    text = json.dumps(value, ensure_ascii=ascii_)
    n = len(text)
    spans = data.draw(
        st.lists(st.tuples(st.integers(0, n), st.integers(0, n)).map(sorted), max_size=5)
    )
    path = "messages[0].tool_calls[0].function.arguments"
    body = {"messages": [{"tool_calls": [{"function": {"arguments": text}}]}]}
    vault = Vault()
    out = redact_body(body, ScanResult(entities=ents(path, spans)), vault)
    red = out["messages"][0]["tool_calls"][0]["function"]["arguments"]
    json.loads(red)
    assert json.loads(vault.restore_json_fragment(red)) == value
    # streamed in arbitrary pieces, as tool-call argument deltas arrive
    cut = data.draw(st.integers(0, len(red)))
    r = StreamRestorer(vault, json_fragment=True)
    assert r.feed(red[:cut]) + r.feed(red[cut:]) + r.flush() == vault.restore_json_fragment(red)


@pytest.mark.parametrize(
    ("entity", "scan_reasons", "needle"),
    [
        (Entity("PERSON", 0, 99, 0.9, "messages[0].content"), (), "out of range"),
        (Entity("PERSON", 0, 2, 0.9, "messages[5].content"), (), "not in the request body"),
        (Entity("PERSON", 0, 2, 0.9, "messages[0].role.x"), (), "not in the request body"),
        (Entity("PERSON", 0, 2, 0.9, "max_tokens"), (), "out of range"),
        (Entity("PERSON", 0, 2, 0.9, "messages..x"), (), "unsupported field path"),
        (Entity("PERSON", 0, 2, 0.9, "messages[0].content"), ("scan_failed",), "scan failed"),
    ],
)
def test_fails_closed_without_leaking(
    entity: Entity, scan_reasons: tuple[str, ...], needle: str
) -> None:
    body = {"messages": [{"role": "user", "content": "Jane Doe"}], "max_tokens": 5}
    with pytest.raises(RedactionError, match=needle) as info:
        redact_body(body, ScanResult(entities=(entity,), reasons=scan_reasons), Vault())
    assert "Jane" not in str(info.value)


def test_mismatched_scan_text_fails_closed() -> None:
    body = {"messages": [{"role": "user", "content": "Jane Doe"}]}
    scan = ScanResult(entities=(Entity("PERSON", 0, 4, 0.9, "messages[0].content"),))
    with pytest.raises(RedactionError, match="differs"):
        redact_body(body, scan, Vault(), texts=[TextField("messages[0].content", "John Doe")])


scalars = (
    st.integers() | st.booleans() | st.none() | st.floats(allow_nan=False, allow_infinity=False)
)
any_json = st.recursive(
    json_strings | scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(json_strings, inner, max_size=3),
    max_leaves=8,
)


@FAST
@given(any_json.filter(lambda v: not isinstance(v, str)), st.data())
def test_tool_use_input_redaction_keeps_json_valid(value: Any, data: st.DataObject) -> None:
    # Spans may touch numbers, true/false/null and punctuation: the result is still JSON.
    text = json.dumps(value, ensure_ascii=False)
    n = len(text)
    spans = data.draw(
        st.lists(st.tuples(st.integers(0, n), st.integers(0, n)).map(sorted), max_size=5)
    )
    path = "messages[0].content[0].input"
    body = {"messages": [{"content": [{"type": "tool_use", "input": value}]}]}
    vault = Vault()
    out = redact_body(body, ScanResult(entities=ents(path, spans)), vault)
    red = out["messages"][0]["content"][0]["input"]
    assert json.loads(json.dumps(red)) == red
    if not any(a < b for a, b in spans):
        assert red == value


def test_stream_without_redactions_is_never_held_back() -> None:
    r = StreamRestorer(Vault())
    assert r.feed("<PERSON_1_") == "<PERSON_1_"
    assert r.flush() == ""
