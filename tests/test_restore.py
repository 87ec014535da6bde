"""Restoring placeholders in the router's internal chunk streams (content and tool calls)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from edge_router.privacy.redaction import Vault
from edge_router.privacy.restore import restore_chunks, restore_completion


def _vault() -> tuple[Vault, str, str]:
    v = Vault()
    email = v.placeholder("ada@example.org", "EMAIL_ADDRESS")
    quoted = v.placeholder('Bob "the builder" O\'Neil', "PERSON")
    return v, email, quoted


def _content_chunk(text: str, finish: str | None = None) -> dict[str, Any]:
    return {
        "id": "c1",
        "object": "chat.completion.chunk",
        "choices": [{"index": 0, "delta": {"content": text}, "finish_reason": finish}],
    }


def _finish_chunk() -> dict[str, Any]:
    return {"id": "c1", "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]}


async def _feed(chunks: list[dict[str, Any]]) -> AsyncIterator[dict[str, Any]]:
    for c in chunks:
        yield c


def _run(chunks: list[dict[str, Any]], vault: Vault) -> list[dict[str, Any]]:
    async def go() -> list[dict[str, Any]]:
        return [c async for c in restore_chunks(_feed(chunks), vault)]

    return asyncio.run(go())


def _text(out: list[dict[str, Any]]) -> str:
    return "".join(
        ch["delta"].get("content") or "" for c in out for ch in c["choices"] if "delta" in ch
    )


def test_placeholder_split_at_every_position_is_restored() -> None:
    vault, email, _ = _vault()
    reply = f"Write to {email} today."
    for cut in range(1, len(reply)):
        out = _run(
            [_content_chunk(reply[:cut]), _content_chunk(reply[cut:]), _finish_chunk()], vault
        )
        assert _text(out) == "Write to ada@example.org today."
        assert out[-1]["choices"][0]["finish_reason"] == "stop"


@settings(max_examples=150, deadline=None)
@given(data=st.data())
def test_any_chunking_matches_restoring_the_whole(data: st.DataObject) -> None:
    vault, email, quoted = _vault()
    words = data.draw(
        st.lists(st.sampled_from([email, quoted, "<", "_", "x", " ", "<EMAIL"]), max_size=12)
    )
    reply = "".join(words)
    cuts = sorted(set(data.draw(st.lists(st.integers(0, len(reply)), max_size=6))))
    pieces = [reply[a:b] for a, b in zip([0, *cuts], [*cuts, len(reply)], strict=True)]
    chunks = [_content_chunk(p) for p in pieces] + [_finish_chunk()]
    assert _text(_run(chunks, vault)) == vault.restore(reply)
    # Upstreams may also put the finish on the last text chunk itself.
    pieces = pieces or [""]
    chunks = [_content_chunk(p) for p in pieces[:-1]] + [_content_chunk(pieces[-1], "stop")]
    out = _run(chunks, vault)
    assert _text(out) == vault.restore(reply)
    assert out[-1]["choices"][0]["finish_reason"] == "stop"


def test_text_held_back_is_released_after_the_finishing_chunks_own_text() -> None:
    vault, email, _ = _vault()
    # The last chunk completes one placeholder and starts what could be another.
    reply = f"Write to {email} or <EM"
    cut = reply.index(email) + 3
    out = _run([_content_chunk(reply[:cut]), _content_chunk(reply[cut:], "stop")], vault)
    assert _text(out) == "Write to ada@example.org or <EM"
    assert [c["choices"][0]["finish_reason"] for c in out][-1] == "stop"
    assert all(c["choices"][0]["finish_reason"] is None for c in out[:-1])


def test_tool_call_arguments_are_restored_with_json_escaping() -> None:
    vault, email, quoted = _vault()
    args = json.dumps({"to": email, "name": quoted})
    mid = len(args) // 2 + 3
    first = {"index": 0, "id": "t1", "type": "function", "function": {"name": "send"}}
    first["function"]["arguments"] = args[:mid]  # type: ignore[index]
    rest = {"index": 0, "function": {"arguments": args[mid:]}}

    def call(c: dict[str, Any]) -> dict[str, Any]:
        return {"id": "c", "choices": [{"index": 0, "delta": {"tool_calls": [c]}}]}

    chunks = [
        call(first),
        call(rest),
        {"id": "c", "choices": [{"index": 0, "delta": {}, "finish_reason": "tool_calls"}]},
    ]
    out = _run(chunks, vault)
    joined = "".join(
        call["function"].get("arguments", "")
        for c in out
        for ch in c["choices"]
        for call in ch["delta"].get("tool_calls") or []
    )
    assert json.loads(joined) == {"to": "ada@example.org", "name": 'Bob "the builder" O\'Neil'}
    assert out[-1]["choices"][0]["finish_reason"] == "tool_calls"


def test_non_streaming_completion_and_foreign_placeholders() -> None:
    vault, email, _ = _vault()
    other = Vault().placeholder("someone@else.org", "EMAIL_ADDRESS")
    resp = {
        "choices": [
            {
                "message": {
                    "content": f"{email} and {other}",
                    "tool_calls": [{"function": {"arguments": json.dumps({"e": email})}}],
                }
            }
        ]
    }
    msg = restore_completion(resp, vault)["choices"][0]["message"]
    assert msg["content"] == f"ada@example.org and {other}"  # another request's stays opaque
    assert json.loads(msg["tool_calls"][0]["function"]["arguments"]) == {"e": "ada@example.org"}


def test_empty_vault_passes_chunks_through_untouched() -> None:
    chunks = [_content_chunk("<EMAIL_ADDRESS_1_abcdefgh>"), _finish_chunk()]
    assert _run(chunks, Vault()) == chunks


def _delta_chunk(delta: dict[str, Any], finish: str | None = None) -> dict[str, Any]:
    return {"id": "c1", "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]}


def test_every_text_bearing_delta_key_is_restored_across_splits() -> None:
    v, email, _ = _vault()
    cut = len(email) // 2
    chunks = [
        _delta_chunk({"role": "assistant", "reasoning_content": "think " + email[:cut]}),
        _delta_chunk({"reasoning_content": email[cut:], "refusal": "no " + email[:3]}),
        _delta_chunk({"refusal": email[3:], "content": "x"}),
        _finish_chunk(),
    ]
    out = asyncio.run(_collect(restore_chunks(_feed(chunks), v)))
    joined: dict[str, str] = {}
    for c in out:
        for ch in c["choices"]:
            for key, val in ch["delta"].items():
                if isinstance(val, str) and key != "role":
                    joined[key] = joined.get(key, "") + val
    assert joined == {
        "reasoning_content": "think ada@example.org",
        "refusal": "no ada@example.org",
        "content": "x",
    }
    assert "role" in out[0]["choices"][0]["delta"]


async def _collect(it: AsyncIterator[dict[str, Any]]) -> list[dict[str, Any]]:
    return [c async for c in it]
