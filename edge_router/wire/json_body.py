"""Decoding a request body: JSON objects only, valid Unicode, bounded nesting.

Shared by every front door, so each wire format starts from the same guarantees:
no lone surrogates (they break every later encode) and no nesting deeper than
``MAX_DEPTH`` (deep values would exhaust the stack of any recursive consumer, a
deep copy or the scanner's JSON rendering included).
"""

from __future__ import annotations

import json
from typing import Any

from edge_router.errors import BadRequest

MAX_DEPTH = 64
"""Deepest allowed nesting of arrays and objects; real chat bodies (tool schemas
included) stay well under 20."""


def parse_json_body(raw: bytes) -> dict[str, Any]:
    """Decode a JSON object body, or raise a 400 that says what is wrong."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise BadRequest("Request body is not valid UTF-8.", code="invalid_json") from exc
    try:
        body = json.loads(text)
    except (ValueError, RecursionError) as exc:
        # ValueError covers JSONDecodeError and integers past Python's digit limit;
        # RecursionError nesting beyond what the decoder itself can read.
        raise BadRequest(
            "We could not parse the JSON body of your request.", code="invalid_json"
        ) from exc
    if not isinstance(body, dict):
        raise BadRequest("Request body must be a JSON object.", code="invalid_json")
    check_value(body)
    return body


def check_value(value: Any) -> None:
    """Raise a 400 for nesting deeper than MAX_DEPTH or a string with a lone surrogate."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        v, depth = stack.pop()
        if isinstance(v, str):
            try:
                v.encode("utf-8")
            except UnicodeEncodeError:
                raise BadRequest(
                    "Request body contains an invalid Unicode escape (lone surrogate).",
                    code="invalid_json",
                ) from None
        elif isinstance(v, dict | list):
            if depth > MAX_DEPTH:
                raise BadRequest(
                    f"Request body is nested more than {MAX_DEPTH} levels deep.",
                    code="invalid_json",
                )
            items = [*v.keys(), *v.values()] if isinstance(v, dict) else v
            stack.extend((item, depth + 1) for item in items)
