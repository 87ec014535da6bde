"""The OpenAI embeddings wire format (``POST /v1/embeddings``).

As in ``openai_chat``, three things live together so that they cannot drift apart:

1. ``validate_embeddings``: the client's body, checked strictly (400s naming the
   field). ``input`` is a string, a list of strings, a token array or a list of token
   arrays; the other fields are ``model``, ``encoding_format``, ``dimensions``, ``user``.
2. ``project``: what may leave the machine, from an allowlist: ``model``, ``input``
   (always as a list), ``dimensions``, ``user``. Every other field is dropped.
3. ``outbound_fields``: every string of a projection, for the scanner: each text
   input on its own (``input[i]``) and ``user``. Token arrays cannot be scanned as
   text reliably (the ids belong to some tokenizer, and decoding them with ours would
   read other words), so they are listed as non-text parts: they stay local.

``model`` is not scanned: only configured model names are accepted (a 404 otherwise),
so it carries no client data. ``embeddings_body`` builds an upstream body from a
projection only, and refuses token arrays, so what is forwarded is what was scanned.
Replies: ``embeddings_response`` (float or base64, as OpenAI encodes them) and
``upstream_vectors`` (an upstream answer, checked).

Example::

    req = validate_embeddings(body)
    out = project(req)                         # what may leave
    fields, non_text = outbound_fields(out)    # what the scanner reads
"""

from __future__ import annotations

import base64
import struct
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from edge_router.errors import BadRequest
from edge_router.privacy.types import TextField
from edge_router.wire.anthropic_upstream import MalformedUpstream
from edge_router.wire.openai_chat import MODEL_PATTERN

MAX_INPUTS = 2048
"""Most inputs in one request (OpenAI's limit)."""

Tokens = tuple[int, ...]


class EmbeddingsRequest(BaseModel):
    """A ``POST /v1/embeddings`` body; ``input`` is checked by :func:`_inputs`."""

    model_config = ConfigDict(extra="allow")
    model: str = Field(default="auto", min_length=1, max_length=128, pattern=MODEL_PATTERN)
    input: Any = None
    encoding_format: Literal["float", "base64"] | None = None
    dimensions: int | None = Field(default=None, ge=1, strict=True)
    user: str | None = Field(default=None, strict=True)


@dataclass(frozen=True)
class Embeddings:
    """A validated request: exactly one of ``texts`` and ``tokens`` is non-empty."""

    model: str
    texts: tuple[str, ...]
    tokens: tuple[Tokens, ...]
    encoding_format: Literal["float", "base64"]
    dimensions: int | None
    user: str | None

    @property
    def count(self) -> int:
        return len(self.texts) or len(self.tokens)


def _bad(param: str, what: str) -> BadRequest:
    return BadRequest(f"Invalid value for '{param}': {what}.", param=param)


def _token_array(value: Any, param: str) -> Tokens:
    if not value:
        raise _bad(param, "a token array may not be empty")
    if not all(isinstance(t, int) and not isinstance(t, bool) and t >= 0 for t in value):
        raise _bad(param, "token ids must be non-negative integers")
    return tuple(value)


def _inputs(value: Any) -> tuple[tuple[str, ...], tuple[Tokens, ...]]:
    """(texts, token arrays) of ``input``; a 400 for anything else."""
    if isinstance(value, str):
        if not value:
            raise _bad("input", "may not be an empty string")
        return (value,), ()
    if not isinstance(value, list) or not value:
        raise _bad(
            "input",
            "expected a non-empty string, list of strings, token array or list of token arrays",
        )
    if len(value) > MAX_INPUTS:
        raise _bad("input", f"at most {MAX_INPUTS} inputs per request")
    if all(isinstance(v, str) for v in value):
        for i, v in enumerate(value):
            if not v:
                raise _bad(f"input.{i}", "may not be an empty string")
        return tuple(value), ()
    if all(isinstance(v, int) and not isinstance(v, bool) for v in value):
        return (), (_token_array(value, "input"),)
    if all(isinstance(v, list) for v in value):
        return (), tuple(_token_array(v, f"input.{i}") for i, v in enumerate(value))
    raise _bad("input", "mixes strings, token ids and token arrays")


def validate_embeddings(body: Mapping[str, Any]) -> Embeddings:
    try:
        req = EmbeddingsRequest.model_validate(body)
    except ValidationError as exc:
        first = exc.errors()[0]
        param = ".".join(str(p) for p in first["loc"])
        msg = first["msg"]
        if first["type"] == "string_pattern_mismatch":
            msg = "expected letters, digits and . _ : / + - only"
        # pydantic's input echo could carry client text: report the location and rule only.
        raise BadRequest(f"Invalid value for '{param}': {msg}.", param=param) from exc
    if "input" not in body:
        raise BadRequest("Missing required parameter: 'input'.", param="input")
    texts, tokens = _inputs(req.input)
    return Embeddings(
        model=req.model,
        texts=texts,
        tokens=tokens,
        encoding_format=req.encoding_format or "float",
        dimensions=req.dimensions,
        user=req.user or None,
    )


# ---- what may leave, and what the scanner reads --------------------------------------


def project(req: Embeddings) -> dict[str, Any]:
    """The part of a validated request that may leave the machine (a new object)."""
    out: dict[str, Any] = {
        "model": req.model,
        "input": list(req.texts) if req.texts else [list(t) for t in req.tokens],
    }
    if req.dimensions is not None:
        out["dimensions"] = req.dimensions
    if req.user is not None:
        out["user"] = req.user
    return out


def outbound_fields(projected: Mapping[str, Any]) -> tuple[list[TextField], list[str]]:
    """(every string of a projection as scanner fields, paths of token arrays)."""
    fields: list[TextField] = []
    non_text: list[str] = []
    for i, item in enumerate(projected.get("input") or ()):
        if isinstance(item, str):
            fields.append(TextField(path=f"input[{i}]", text=item))
        else:
            non_text.append(f"input[{i}]")
    user = projected.get("user")
    if isinstance(user, str) and user:
        fields.append(TextField(path="user", text=user))
    return fields, non_text


def embeddings_body(projected: Mapping[str, Any], *, model: str) -> dict[str, Any]:
    """The body for an OpenAI-compatible ``/embeddings`` endpoint, built from a projection.

    Floats are always asked for: the router encodes base64 itself, and can then check
    every vector it hands back. Token arrays are refused here too (defence in depth:
    they were never scanned)."""
    inputs = projected["input"]
    if not all(isinstance(i, str) for i in inputs):
        raise _bad("input", "token arrays cannot be scanned, so they never leave the machine")
    wire: dict[str, Any] = {"model": model, "input": list(inputs), "encoding_format": "float"}
    for key in ("dimensions", "user"):
        if key in projected:
            wire[key] = projected[key]
    return wire


# ---- replies ---------------------------------------------------------------------------


def encode_base64(vector: Sequence[float]) -> str:
    """OpenAI's base64 encoding: little-endian float32 values."""
    return base64.b64encode(struct.pack(f"<{len(vector)}f", *vector)).decode("ascii")


def embeddings_response(
    vectors: Sequence[Sequence[float]],
    *,
    model: str,
    prompt_tokens: int,
    encoding_format: Literal["float", "base64"],
) -> dict[str, Any]:
    """OpenAI's ``list`` of ``embedding`` objects, in input order."""
    data = [
        {
            "object": "embedding",
            "index": i,
            "embedding": encode_base64(v) if encoding_format == "base64" else list(v),
        }
        for i, v in enumerate(vectors)
    ]
    return {
        "object": "list",
        "data": data,
        "model": model,
        "usage": {"prompt_tokens": prompt_tokens, "total_tokens": prompt_tokens},
    }


def _vector(item: Any) -> list[float] | None:
    if not isinstance(item, dict):
        return None
    v = item.get("embedding")
    if not isinstance(v, list) or not v:
        return None
    if not all(isinstance(x, int | float) and not isinstance(x, bool) for x in v):
        return None
    return [float(x) for x in v]


def upstream_vectors(data: Any, count: int) -> tuple[list[list[float]], int]:
    """(one vector per input in input order, prompt tokens) from an upstream answer;
    raises MalformedUpstream unless it has exactly ``count`` float vectors of one size,
    each index once."""
    items = data.get("data") if isinstance(data, dict) else None
    if not isinstance(items, list) or len(items) != count:
        raise MalformedUpstream()
    by_index: dict[int, list[float]] = {}
    for item in items:
        vector = _vector(item)
        index = item.get("index") if isinstance(item, dict) else None
        if vector is None or not isinstance(index, int) or not 0 <= index < count:
            raise MalformedUpstream()
        by_index[index] = vector
    vectors = [by_index[i] for i in range(count) if i in by_index]
    if len(vectors) != count or len({len(v) for v in vectors}) != 1:
        raise MalformedUpstream()
    usage = data.get("usage")
    tokens = usage.get("prompt_tokens") if isinstance(usage, dict) else None
    return vectors, tokens if isinstance(tokens, int) and tokens >= 0 else 0
