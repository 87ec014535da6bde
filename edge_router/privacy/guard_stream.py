"""The response guard on the router's internal reply shapes (OpenAI ``chat.completion``
dicts and ``chat.completion.chunk`` streams), after placeholders are restored.

Every text a delta carries (``content``, ``reasoning_content``, ``refusal`` and any other
string key) is its own :class:`~edge_router.privacy.guard.GuardChannel`, and so are
each tool call's streamed ``arguments`` (JSON-aware). Other strings of a chunk (ids,
names, nested parts) are checked whole. Token ``logprobs`` are dropped while a guard is
on: a value spread over token strings cannot be checked there. The Anthropic front door
re-tells these chunks as content blocks, so text and ``tool_use`` blocks are covered.

Held text is released before a choice's finishing chunk and at the end of the stream.
A blocked reply raises :class:`~edge_router.privacy.guard.ReplyBlocked` from the
iterator (the front doors turn it into an error event).

Example::

    chunks = guard_chunks(restore_chunks(upstream, vault), guard)
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from edge_router.privacy.guard import GuardChannel, ReplyBlocked, ReplyGuard

Chunk = dict[str, Any]

_JSON_KEYS = frozenset({"arguments"})


def guard_value(value: Any, guard: ReplyGuard, key: str | None = None) -> Any:
    """A copy of a JSON-like value with every string checked whole (``arguments``
    strings as JSON text); ``logprobs`` become null."""
    if isinstance(value, str):
        return guard.check(value, json_text=key in _JSON_KEYS)
    if isinstance(value, list):
        return [guard_value(v, guard, key) for v in value]
    if isinstance(value, dict):
        return {
            k: (None if k == "logprobs" else guard_value(v, guard, k)) for k, v in value.items()
        }
    return value


def guard_completion(resp: dict[str, Any], guard: ReplyGuard) -> dict[str, Any]:
    """A whole (non-streamed) reply: redacted copy, or raises ``ReplyBlocked``."""
    guarded: dict[str, Any] = guard_value(resp, guard)
    return guarded


class _Channels:
    """The open channels of one stream, keyed by (choice, delta key) and (choice, call)."""

    def __init__(self, guard: ReplyGuard) -> None:
        self.guard = guard
        self.text: dict[tuple[int, str], GuardChannel] = {}
        self.args: dict[tuple[int, int], GuardChannel] = {}

    def delta(self, ci: int, delta: dict[str, Any]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key, value in delta.items():
            if key == "role":
                out[key] = value
            elif key == "tool_calls" and isinstance(value, list):
                out[key] = [self._call(ci, call) for call in value]
            elif isinstance(value, str):
                ch = self.text.setdefault((ci, key), self.guard.channel())
                out[key] = ch.feed(value)
            else:
                out[key] = guard_value(value, self.guard, key)
        return out

    def _call(self, ci: int, call: Any) -> Any:
        if not isinstance(call, dict):
            return guard_value(call, self.guard)
        out = {k: guard_value(v, self.guard, k) for k, v in call.items() if k != "function"}
        fn = call.get("function")
        if isinstance(fn, dict):
            g = {k: guard_value(v, self.guard, k) for k, v in fn.items() if k != "arguments"}
            if isinstance(fn.get("arguments"), str):
                key = (ci, int(call.get("index", 0)))
                ch = self.args.setdefault(key, self.guard.channel(json_fragment=True))
                g["arguments"] = ch.feed(fn["arguments"])
            out["function"] = g
        elif fn is not None:
            out["function"] = guard_value(fn, self.guard)
        return out

    def pending(self, ci: int) -> dict[str, Any] | None:
        """Flush choice ``ci``'s channels: the held text as one delta, or None."""
        delta: dict[str, Any] = {}
        for key in [k for k in self.text if k[0] == ci]:
            if rest := self.text.pop(key).flush():
                delta[key[1]] = rest
        calls = []
        for key2 in [k for k in self.args if k[0] == ci]:
            if rest := self.args.pop(key2).flush():
                calls.append({"index": key2[1], "function": {"arguments": rest}})
        if calls:
            delta["tool_calls"] = calls
        return delta or None

    def open_choices(self) -> list[int]:
        return list(dict.fromkeys([k[0] for k in self.text] + [k[0] for k in self.args]))


def _shell(chunk: Chunk) -> Chunk:
    """The chunk's frame without any of its content."""
    keep = ("id", "object", "created", "model")
    return {**{k: v for k, v in chunk.items() if k in keep}, "choices": []}


async def guard_chunks(chunks: AsyncIterator[Chunk], guard: ReplyGuard) -> AsyncIterator[Chunk]:
    """Guard a chunk stream. Chunks keep their shape; a text held back leaves an empty
    string in its place until it is released."""
    channels = _Channels(guard)
    last: Chunk | None = None
    async for chunk in chunks:
        try:
            out = {k: guard_value(v, guard, k) for k, v in chunk.items() if k != "choices"}
        except ReplyBlocked:
            if last is None:
                yield _shell(chunk)
            raise
        first, last = last is None, out
        choices = []
        for choice in chunk.get("choices") or []:
            if not isinstance(choice, dict):
                choices.append(guard_value(choice, guard))
                continue
            ci = int(choice.get("index", 0))
            delta = choice.get("delta")
            new = {
                k: (None if k == "logprobs" else guard_value(v, guard, k))
                for k, v in choice.items()
                if k != "delta"
            }
            if isinstance(delta, dict):
                try:
                    new["delta"] = channels.delta(ci, delta)
                except ReplyBlocked:
                    if first:
                        # The error must follow a first chunk: the front doors (the
                        # Anthropic one's message_start) open the reply with it.
                        yield _shell(chunk)
                    raise
            if choice.get("finish_reason") is not None and (held := channels.pending(ci)):
                # Release what was held back in order: this chunk's text, the held
                # rest, then the finish on its own.
                yield {**out, "choices": [{**new, "finish_reason": None}]}
                yield {**out, "choices": [{"index": ci, "delta": held, "finish_reason": None}]}
                new = {**new, "delta": {}}
            choices.append(new)
        if "choices" in chunk:
            out["choices"] = choices
        yield out
    for ci in channels.open_choices():
        if last is not None and (held := channels.pending(ci)):
            base = {k: v for k, v in last.items() if k != "usage"}
            yield {**base, "choices": [{"index": ci, "delta": held, "finish_reason": None}]}
