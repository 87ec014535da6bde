"""``edge-router explain``: what the router would do with each prompt, without sending it.

Each input line is JSON: an OpenAI chat body ``{"messages": [...]}`` (Anthropic
bodies work too) or ``{"text": "..."}``. Each output line says whether it is
sensitive, where it would go (the same :class:`~edge_router.routing.pipeline.Router`
decision the daemon makes), why, and what would leave the machine. No LLM is
loaded; lines are scanned in batches.

Example::

    for row in explain_lines(['{"text": "my name is amer"}'], router):
        row["route"]   # "local"
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from itertools import islice
from typing import Any

from edge_router.errors import BadRequest
from edge_router.routing.pipeline import Router
from edge_router.wire.anthropic import anthropic_request_to_openai
from edge_router.wire.openai_chat import outbound_fields, validate_chat

# Lines scanned per spaCy batch: big enough for nlp.pipe to pay off, small enough
# that the first results of a stream appear quickly.
_BATCH = 64


def explain_lines(
    lines: Iterable[str], router: Router, *, cloud_available: bool | None = None
) -> Iterator[dict[str, Any]]:
    """Explain each JSONL line; a bad line yields ``{"error", "line"}`` and never its text.

    ``cloud_available`` pretends a cloud provider is (or is not) configured; by
    default the router's own view applies.
    """
    numbered = enumerate(lines, start=1)
    while batch := list(islice(numbered, _BATCH)):
        parsed: list[tuple[int, dict[str, Any] | None, str | None]] = []
        for number, line in batch:
            if not line.strip():
                continue
            body, error = _parse(line)
            if body is not None:
                try:
                    body = router.project(body)
                except BadRequest as exc:
                    body, error = None, exc.message
            parsed.append((number, body, error))
        good = [b for _, b, _ in parsed if b is not None]
        extracted = [outbound_fields(b) for b in good]
        results = iter(zip(extracted, router.scanner.scan_many(extracted), strict=True))
        for number, body, error in parsed:
            if body is None:
                yield {"error": error or "invalid line", "line": number}
                continue
            (fields, _), scan = next(results)
            try:
                ev = router.evaluate_scanned(
                    body,
                    fields,
                    scan,
                    model=str(body.get("model") or "auto"),
                    cloud_available=cloud_available,
                )
                report = router.report(ev)
            except Exception as exc:  # report, keep going; no text echoed
                yield {"error": f"routing failed: {type(exc).__name__}", "line": number}
                continue
            yield {"line": number, **report}


def _parse(line: str) -> tuple[dict[str, Any] | None, str | None]:
    try:
        body = json.loads(line)
    except (ValueError, RecursionError):
        # json's message quotes no input, but keep ours fixed to be sure.
        return None, "invalid JSON"
    if not isinstance(body, dict):
        return None, "expected a JSON object"
    if not isinstance(body.get("messages"), list) and not isinstance(body.get("text"), str):
        return None, 'expected "messages" (list) or "text" (string)'
    try:
        return chat_body(body), None
    except BadRequest as exc:
        return None, exc.message


_ANTHROPIC_BLOCKS = frozenset({"tool_use", "tool_result", "image", "document", "thinking"})


def chat_body(body: dict[str, Any]) -> dict[str, Any]:
    """An explain line or ``/v1/route`` body as the internal (OpenAI chat) request.

    Accepts ``{"text": ...}``, an OpenAI chat body and an Anthropic Messages body;
    ``model`` defaults to ``auto``. Raises BadRequest like the chat endpoints would.
    """
    if isinstance(body.get("text"), str) and "messages" not in body:
        message = {"role": "user", "content": body["text"]}
        body = {"model": body.get("model", "auto"), "messages": [message]}
    elif _looks_anthropic(body):
        translated = anthropic_request_to_openai({"model": "auto", "max_tokens": 1, **body})
        if "max_tokens" not in body:
            translated.pop("max_tokens", None)
        body = translated
    else:
        body = {"model": "auto", **body}
    validate_chat(body)
    return body


def _looks_anthropic(body: dict[str, Any]) -> bool:
    if "system" in body or "stop_sequences" in body:
        return True
    messages = body.get("messages")
    for m in messages if isinstance(messages, list) else ():
        content = m.get("content") if isinstance(m, dict) else None
        if isinstance(content, list) and any(
            isinstance(p, dict) and p.get("type") in _ANTHROPIC_BLOCKS for p in content
        ):
            return True
    return False
