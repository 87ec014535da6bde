"""``edge-router explain``: what the router would do with each prompt, without sending it.

Each input line is JSON: an OpenAI chat body ``{"messages": [...]}`` (Anthropic
bodies work too) or ``{"text": "..."}``. Each output dict says whether it is
sensitive, where it would go, why, and what would leave the machine.

Example::

    for row in explain_lines(['{"text": "my name is amer"}'], scanner):
        row["route"]   # "local"
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from itertools import islice
from typing import Any, Literal

from edge_router.privacy.fields import extract_fields
from edge_router.privacy.scanner import PrivacyScanner
from edge_router.privacy.types import ScanResult, TextField

Route = Literal["local", "cloud", "block"]


@dataclass(frozen=True)
class RouteInfo:
    """Where a request goes and why; ``outbound`` is what the cloud would receive."""

    route: Route
    rule: str | None
    reasons: tuple[str, ...] = ()
    outbound: list[dict[str, Any]] | None = None


RouteFn = Callable[[dict[str, Any], ScanResult], RouteInfo]

# Lines scanned per spaCy batch: big enough for nlp.pipe to pay off, small enough
# that the first results of a stream appear quickly.
_BATCH = 64


def default_route(body: dict[str, Any], result: ScanResult) -> RouteInfo:
    """Until the policy engine lands: sensitive stays local, the rest goes to the cloud."""
    if result.sensitive:
        return RouteInfo("local", "default-sensitive-local", result.reasons, None)
    return RouteInfo("cloud", "default-allow", result.reasons, _outbound_messages(body))


def _outbound_messages(body: dict[str, Any]) -> list[dict[str, Any]]:
    messages = body.get("messages")
    if isinstance(messages, list):
        return messages
    return [{"role": "user", "content": body.get("text", "")}]


def explain_lines(
    lines: Iterable[str],
    scanner: PrivacyScanner,
    route_fn: RouteFn | None = None,
) -> Iterator[dict[str, Any]]:
    """Explain each JSONL line; a bad line yields ``{"error", "line"}`` and never its text."""
    route = route_fn or default_route
    numbered = enumerate(lines, start=1)
    while batch := list(islice(numbered, _BATCH)):
        parsed: list[tuple[int, dict[str, Any] | None, str | None]] = []
        for number, line in batch:
            if not line.strip():
                continue
            body, error = _parse(line)
            parsed.append((number, body, error))
        good = [(n, b) for n, b, _ in parsed if b is not None]
        extracted = [_fields(b) for _, b in good]
        results = iter(scanner.scan_many(extracted))
        for number, body, error in parsed:
            if body is None:
                yield {"error": error or "invalid line", "line": number}
                continue
            result = next(results)
            try:
                info = route(body, result)
            except Exception as exc:  # report, keep going; no text echoed
                yield {"error": f"routing failed: {type(exc).__name__}", "line": number}
                continue
            yield {
                "line": number,
                "sensitive": result.sensitive,
                "route": info.route,
                "rule": info.rule,
                "reasons": list(info.reasons or result.reasons),
                "entities": [e.as_dict() for e in result.entities],
                "non_text_parts": list(result.non_text_parts),
                "outbound": info.outbound if info.route == "cloud" else None,
            }


def _parse(line: str) -> tuple[dict[str, Any] | None, str | None]:
    try:
        body = json.loads(line)
    except (ValueError, RecursionError):
        # json's message quotes no input, but keep ours fixed to be sure.
        return None, "invalid JSON"
    if not isinstance(body, dict):
        return None, "expected a JSON object"
    if isinstance(body.get("messages"), list) or isinstance(body.get("text"), str):
        return body, None
    return None, 'expected "messages" (list) or "text" (string)'


def _fields(body: dict[str, Any]) -> tuple[list[TextField], list[str]]:
    return extract_fields(body)
