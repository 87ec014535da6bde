"""Put original values back into a cloud reply that was sent redacted.

Works on the router's internal format (OpenAI ``chat.completion`` dicts and
``chat.completion.chunk`` streams): every text a delta carries (``content``,
``reasoning_content``, ``refusal`` and any other string key), and tool-call
arguments, which are JSON text and get JSON-escaped values. In streams a
placeholder split across chunks is held back until complete, never the whole
stream.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from edge_router.privacy.redaction import StreamRestorer, Vault

# One OpenAI chat.completion.chunk as a dict (the same alias as wire.openai_stream's).
Chunk = dict[str, Any]


def restore_completion(resp: dict[str, Any], vault: Vault) -> dict[str, Any]:
    if not len(vault):
        return resp
    restored: dict[str, Any] = vault.restore_value(resp)
    return restored


async def restore_chunks(chunks: AsyncIterator[Chunk], vault: Vault) -> AsyncIterator[Chunk]:
    """Restore a chunk stream; held-back text is released, in order, before a finish."""
    if not len(vault):
        async for c in chunks:
            yield c
        return
    text: dict[tuple[int, str], StreamRestorer] = {}
    args: dict[tuple[int, int], StreamRestorer] = {}
    last: Chunk | None = None

    def pending(choice_index: int) -> dict[str, Any] | None:
        delta: dict[str, Any] = {}
        for key in [k for k in text if k[0] == choice_index]:
            if rest := text.pop(key).flush():
                delta[key[1]] = rest
        calls = []
        for call_key in [k for k in args if k[0] == choice_index]:
            if rest := args.pop(call_key).flush():
                calls.append({"index": call_key[1], "function": {"arguments": rest}})
        if calls:
            delta["tool_calls"] = calls
        return delta or None

    async for chunk in chunks:
        last = chunk
        out = dict(chunk)
        choices = []
        for choice in chunk.get("choices") or []:
            ci = int(choice.get("index", 0))
            delta = dict(choice.get("delta") or {})
            for key, value in delta.items():
                if key == "role" or key == "tool_calls":
                    continue
                if isinstance(value, str):
                    # Any text the upstream streams may carry a placeholder split in two.
                    delta[key] = text.setdefault((ci, key), StreamRestorer(vault)).feed(value)
                else:
                    delta[key] = vault.restore_value(value)
            if isinstance(delta.get("tool_calls"), list):
                delta["tool_calls"] = [
                    _restore_call(call, ci, args, vault) for call in delta["tool_calls"]
                ]
            restored = {**vault.restore_value(choice), "delta": delta}
            if choice.get("finish_reason") is not None and (held := pending(ci)):
                # Release what was held back in order: this chunk's own text, the held
                # rest (it comes after), then the finish on its own.
                yield {**out, "choices": [{**restored, "finish_reason": None}]}
                yield {**out, "choices": [{"index": ci, "delta": held, "finish_reason": None}]}
                restored = {**restored, "delta": {}}
            choices.append(restored)
        out["choices"] = choices
        yield out
    for ci in dict.fromkeys([k[0] for k in text] + [k[0] for k in args]):
        if last is not None and (held := pending(ci)):
            yield {**last, "choices": [{"index": ci, "delta": held, "finish_reason": None}]}


def _restore_call(
    call: dict[str, Any], ci: int, args: dict[tuple[int, int], StreamRestorer], vault: Vault
) -> dict[str, Any]:
    call = dict(call)
    fn = dict(call.get("function") or {})
    if isinstance(fn.get("arguments"), str):
        r = args.setdefault(
            (ci, int(call.get("index", 0))), StreamRestorer(vault, json_fragment=True)
        )
        fn["arguments"] = r.feed(fn["arguments"])
    if isinstance(fn.get("name"), str):
        fn["name"] = vault.restore(fn["name"])
    if fn:
        call["function"] = fn
    return call
