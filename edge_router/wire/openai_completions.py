"""The legacy OpenAI completions format (``POST /v1/completions``), carried as chat.

The router has one internal request shape, OpenAI chat (``wire.openai_chat``).
:func:`parse_completion` validates a legacy body and translates it into a chat body
whose one user message holds the prompt; from there it is scanned, routed, projected
and dispatched exactly as a chat request, so the prompt string is the outbound field
the scanner reads, and a cloud provider receives a chat request built from the scanned
projection (never this body). :func:`text_completion` and :class:`ChunkTranslator`
re-tell the chat reply, whole or streamed, as ``text_completion`` objects.

Why chat and not raw continuation: the local runner renders every request through the
model's chat template, and providers mostly no longer serve ``/completions``; so the
prompt is answered as an instruction rather than continued as text (the README says so).

Honoured: ``prompt`` (a string, or a list of exactly one), ``max_tokens`` (default 16,
as on OpenAI), ``temperature``, ``top_p``, ``stop``, ``stream`` (+ ``stream_options``),
``seed``, ``user``, ``echo``, ``logprobs`` (0 to 5 alternatives per token),
``frequency_penalty``, ``presence_penalty``, ``logit_bias``, ``n`` and ``best_of`` (1).
Refused with a 400 naming the field: token-array prompts, several prompts, ``suffix``,
``n`` or ``best_of`` above 1, ``echo`` with ``logprobs``, and unknown fields.

Example::

    legacy = parse_completion(body)
    chat = validate_chat(legacy.chat)       # then dispatch as any chat request
    reply = text_completion(completion, legacy, "cmpl-1")
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

from edge_router.errors import BadRequest

DEFAULT_MAX_TOKENS = 16
"""OpenAI's default for legacy completions (chat has none)."""
MAX_LOGPROBS = 5

_PASSED = (
    "model",
    "temperature",
    "top_p",
    "stop",
    "stream",
    "stream_options",
    "seed",
    "user",
    "frequency_penalty",
    "presence_penalty",
    "logit_bias",
)
"""Fields with the same name and meaning in chat: copied, then checked by the chat path."""
_KNOWN = frozenset({*_PASSED, "prompt", "suffix", "max_tokens", "n", "best_of", "echo", "logprobs"})
_FIELD_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,63}$")
_FINISH = frozenset({"stop", "length", "content_filter"})


@dataclass(frozen=True)
class LegacyRequest:
    """A validated legacy completions request and the chat body that carries it."""

    chat: dict[str, Any]
    echo: str | None = None
    """The prompt, when ``echo`` asks for it in front of the completion."""
    logprobs: int | None = None


def _bad(param: str, what: str) -> BadRequest:
    return BadRequest(f"Invalid value for '{param}': {what}.", param=param)


def _unsupported(param: str, what: str) -> BadRequest:
    return BadRequest(
        f"{what} is not supported by edge-router.", param=param, code="unsupported_capability"
    )


def _prompt(value: Any) -> str:
    if isinstance(value, str):
        return value
    if not isinstance(value, list) or not value:
        raise _bad("prompt", "expected a string")
    if all(isinstance(p, str) for p in value):
        if len(value) > 1:
            raise _unsupported("prompt", "A list of several prompts (send one request per prompt)")
        return str(value[0])
    # Token ids (a list of ints, or lists of them) belong to one vendor's tokenizer: the
    # scanner cannot read them and the local model's vocabulary differs.
    raise _unsupported("prompt", "A prompt given as token ids (send it as text)")


def _one(body: dict[str, Any], name: str) -> None:
    value = body.get(name)
    if value is None or value == 1:
        return
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise _bad(name, "expected a positive integer")
    raise _unsupported(name, f"'{name}' above 1")


def parse_completion(body: dict[str, Any]) -> LegacyRequest:
    """Validate a legacy completions body and translate it into a chat body."""
    for key in body:
        if key not in _KNOWN:
            # Field names are the client's text too: quote only plain identifiers.
            name = f"'{key}'" if _FIELD_NAME.match(key) else "a field"
            raise BadRequest(
                f"Unrecognized request argument supplied: {name}.",
                param=key if _FIELD_NAME.match(key) else None,
            )
    if "prompt" not in body:
        raise _bad("prompt", "a prompt is required")
    prompt = _prompt(body["prompt"])
    if body.get("suffix") not in (None, ""):
        raise _unsupported("suffix", "Insertion ('suffix')")
    _one(body, "n")
    _one(body, "best_of")
    echo = body.get("echo")
    if echo is not None and not isinstance(echo, bool):
        raise _bad("echo", "expected a boolean")
    logprobs = body.get("logprobs")
    if logprobs is not None and (
        isinstance(logprobs, bool) or not isinstance(logprobs, int) or not 0 <= logprobs <= 5
    ):
        raise _bad("logprobs", f"expected an integer from 0 to {MAX_LOGPROBS}")
    if echo and logprobs is not None:
        # The prompt's own tokens would need log probabilities too: no backend gives those.
        raise _unsupported("logprobs", "'logprobs' together with 'echo'")
    max_tokens = body.get("max_tokens")
    chat: dict[str, Any] = {k: body[k] for k in _PASSED if body.get(k) is not None}
    chat["messages"] = [{"role": "user", "content": prompt}]
    chat["max_tokens"] = DEFAULT_MAX_TOKENS if max_tokens is None else max_tokens
    if logprobs is not None:
        chat["logprobs"] = True
        chat["top_logprobs"] = logprobs
    return LegacyRequest(chat, echo=prompt if echo else None, logprobs=logprobs)


# --- the reply ---------------------------------------------------------------------


class _Logprobs:
    """Chat ``logprobs.content`` entries as the legacy parallel lists."""

    def __init__(self, offset: int) -> None:
        self.offset = offset

    def convert(self, chat_logprobs: Any) -> dict[str, Any]:
        out: dict[str, Any] = {
            "tokens": [],
            "token_logprobs": [],
            "top_logprobs": [],
            "text_offset": [],
        }
        content = chat_logprobs.get("content") if isinstance(chat_logprobs, dict) else None
        for entry in content if isinstance(content, list) else []:
            if not isinstance(entry, dict) or not isinstance(entry.get("token"), str):
                continue
            token: str = entry["token"]
            top = {
                t["token"]: t.get("logprob")
                for t in entry.get("top_logprobs") or []
                if isinstance(t, dict) and isinstance(t.get("token"), str)
            }
            # As on OpenAI: the sampled token is always among the alternatives.
            top.setdefault(token, entry.get("logprob"))
            out["tokens"].append(token)
            out["token_logprobs"].append(entry.get("logprob"))
            out["top_logprobs"].append(top)
            out["text_offset"].append(self.offset)
            self.offset += len(token)
        return out


def _finish(reason: Any) -> str:
    """Legacy finish reasons are stop, length and content_filter (a tool call is none)."""
    return reason if reason in _FINISH else "stop"


def text_completion(
    completion: dict[str, Any], legacy: LegacyRequest, completion_id: str
) -> dict[str, Any]:
    """A ``chat.completion`` dict -> the legacy ``text_completion`` object."""
    choices = completion.get("choices")
    choice = choices[0] if isinstance(choices, list) and choices else {}
    message = choice.get("message") if isinstance(choice, dict) else None
    content = message.get("content") if isinstance(message, dict) else None
    text = content if isinstance(content, str) else ""
    logprobs = None
    if legacy.logprobs is not None:
        logprobs = _Logprobs(0).convert(choice.get("logprobs"))
    return {
        "id": completion_id,
        "object": "text_completion",
        "created": completion.get("created"),
        "model": completion.get("model"),
        "system_fingerprint": completion.get("system_fingerprint"),
        "choices": [
            {
                "text": (legacy.echo or "") + text,
                "index": 0,
                "logprobs": logprobs,
                "finish_reason": _finish(choice.get("finish_reason")),
            }
        ],
        "usage": completion.get("usage"),
    }


class ChunkTranslator:
    """Re-tells one stream of ``chat.completion.chunk`` dicts as ``text_completion``
    chunks: one per piece of text (the echoed prompt first), one with the finish
    reason, and the usage chunk (``choices: []``) when ``stream_options`` asked for it."""

    def __init__(self, legacy: LegacyRequest, completion_id: str) -> None:
        self.legacy = legacy
        self.id = completion_id
        self._echo = legacy.echo
        self._logprobs = _Logprobs(0) if legacy.logprobs is not None else None

    def _chunk(self, chat: dict[str, Any], choices: list[dict[str, Any]]) -> dict[str, Any]:
        out = {
            "id": self.id,
            "object": "text_completion",
            "created": chat.get("created"),
            "model": chat.get("model"),
            "system_fingerprint": chat.get("system_fingerprint"),
            "choices": choices,
        }
        if "usage" in chat:
            out["usage"] = chat["usage"]
        return out

    def _choice(self, text: str, logprobs: Any, finish: str | None) -> dict[str, Any]:
        lp = None
        if self._logprobs is not None and logprobs is not None:
            lp = self._logprobs.convert(logprobs)
        return {"text": text, "index": 0, "logprobs": lp, "finish_reason": finish}

    def chunks(self, chat: dict[str, Any]) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        if self._echo:
            out.append(self._chunk(chat, [self._choice(self._echo, None, None)]))
            self._echo = None
        choices = chat.get("choices")
        if isinstance(choices, list) and not choices and isinstance(chat.get("usage"), dict):
            return [*out, self._chunk(chat, [])]
        for choice in choices if isinstance(choices, list) else []:
            if not isinstance(choice, dict):
                continue
            delta = choice.get("delta")
            text = delta.get("content") if isinstance(delta, dict) else None
            finish = choice.get("finish_reason")
            if isinstance(text, str) and text:
                out.append(self._chunk(chat, [self._choice(text, choice.get("logprobs"), None)]))
            if finish is not None:
                out.append(self._chunk(chat, [self._choice("", None, _finish(finish))]))
        return out


async def text_completion_chunks(
    chunks: AsyncIterator[dict[str, Any]], legacy: LegacyRequest, completion_id: str
) -> AsyncIterator[dict[str, Any]]:
    """The legacy chunks of a chat chunk stream (see :class:`ChunkTranslator`)."""
    translator = ChunkTranslator(legacy, completion_id)
    iterator = aiter(chunks)
    try:
        async for chat in iterator:
            for chunk in translator.chunks(chat):
                yield chunk
    finally:
        # A client that went away closes us: release (and audit) the stream beneath now.
        aclose = getattr(iterator, "aclose", None)
        if aclose is not None:
            await aclose()
