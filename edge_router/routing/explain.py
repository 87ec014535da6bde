"""``edge-router explain``: what the router would do with each prompt, without sending it.

Each input line is JSON: an OpenAI chat body ``{"messages": [...]}`` (Anthropic
bodies work too) or ``{"text": "..."}``. Each output line says whether it is
sensitive, where it would go (the same :class:`~edge_router.routing.pipeline.Router`
decision the daemon makes), why, and what would leave the machine. No LLM is
loaded; lines are scanned in batches.

For people (the CLI's default table), each entity can carry a masked ``preview``
(:func:`masked_preview`): enough to see why a span was taken for a name, never enough to
read a value. Previews exist only here, in the local CLI: ``POST /v1/route``, logs,
metrics and the audit trail never carry them.

Example::

    for row in explain_lines(['{"text": "my name is amer"}'], router):
        row["route"]   # "local"
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from itertools import islice
from typing import Any

from edge_router.errors import BadRequest
from edge_router.privacy.types import TextField
from edge_router.routing.pipeline import Router
from edge_router.routing.reasons import describe
from edge_router.routing.target import AUTO, Availability, resolve_alias
from edge_router.wire.anthropic import anthropic_request_to_openai
from edge_router.wire.openai_chat import validate_chat

# Lines scanned per spaCy batch: big enough for nlp.pipe to pay off, small enough
# that the first results of a stream appear quickly.
_BATCH = 64


# Types whose values are words (names, places, organisations, groups): only these get a
# preview, and only when every word is letters. Everything else (e-mail addresses, phone
# numbers, IDs, secrets, handles, custom terms) shows its length alone.
PREVIEW_TYPES = frozenset({"PERSON", "LOCATION", "ORGANIZATION", "NRP"})
_WORD = re.compile(r"[^\W\d_]+(?:['’.-][^\W\d_]+)*\.?")


def masked_preview(entity_type: str, value: str) -> str:
    """A preview that shows why a span was taken, not what it says: ``Maria Kowalski`` ->
    ``Ma*** Ko***`` (two letters of each word of four or more letters, ``***`` for
    shorter words). Values of other types, values under four characters and values with
    anything but letters in a word (digits, ``@``, ``/``) give only their length,
    ``(17 chars)``, so a phone number or an e-mail address never shows a character."""
    words = value.split()
    if (
        entity_type in PREVIEW_TYPES
        and len(value.strip()) >= 4
        and words
        and all(_WORD.fullmatch(w) for w in words)
    ):
        return " ".join(w[:2] + "***" if len(w) >= 4 else "***" for w in words)
    return f"({len(value)} chars)"


def _add_previews(report: dict[str, Any], fields: Iterable[TextField]) -> None:
    texts = {f.path: f.text for f in fields}
    for e in report["entities"]:
        text = texts.get(e["field"])
        start, end = e["start"], e["end"]
        if text is None or not 0 <= start <= end <= len(text):
            e["preview"] = f"({end - start} chars)"
        else:
            e["preview"] = masked_preview(e["type"], text[start:end])


CloudView = bool | Callable[[str], bool] | None
"""Whether a cloud would take a request: fixed, per model name, or the router's view."""

AvailabilityView = Callable[[str], Availability] | None
"""What the router could reach for a model name (``flow.availability.configured``)."""


def explain_lines(
    lines: Iterable[str],
    router: Router,
    *,
    cloud_available: CloudView = None,
    availability: AvailabilityView = None,
    previews: bool = False,
    aliases: Mapping[str, str] | None = None,
) -> Iterator[dict[str, Any]]:
    """Explain each JSONL line; a bad line yields ``{"error", "line"}`` and never its text.

    ``cloud_available`` says whether a cloud provider would take the request: a bool,
    a function of the request's model name (as the daemon asks its providers), or None
    for the router's own view. ``availability`` gives, per model name, what the router
    could reach, so that each row names its ``target`` (who would answer); without it
    ``target`` is null. ``previews`` adds masked previews to the entities (local CLI
    output only). ``aliases`` (the config's) are resolved first, as the daemon does, so
    a policy's ``models:`` condition sees the model an alias stands for.
    """
    numbered = enumerate(lines, start=1)
    while batch := list(islice(numbered, _BATCH)):
        parsed: list[tuple[int, dict[str, Any] | None, str | None]] = []
        for number, line in batch:
            if not line.strip():
                continue
            body, error = _parse(line)
            if body is not None:
                model = resolve_alias(aliases or {}, str(body.get("model") or AUTO))
                try:
                    body = router.project({**body, "model": model})
                except BadRequest as exc:
                    body, error = None, exc.message
            parsed.append((number, body, error))
        good = [b for _, b, _ in parsed if b is not None]
        extracted = [router.scan_fields(b) for b in good]
        results = iter(zip(extracted, router.scanner.scan_many(extracted), strict=True))
        for number, body, error in parsed:
            if body is None:
                yield {"error": error or "invalid line", "line": number}
                continue
            (fields, _), scan = next(results)
            model = str(body["model"])
            cloud = cloud_available(model) if callable(cloud_available) else cloud_available
            try:
                ev = router.evaluate_scanned(
                    body,
                    fields,
                    scan,
                    model=model,
                    cloud_available=cloud,
                    availability=availability,
                )
                report = router.report(ev)
            except BadRequest as exc:  # e.g. personal data in the model name
                yield {"error": exc.message, "line": number}
                continue
            except Exception as exc:  # report, keep going; no text echoed
                yield {"error": f"routing failed: {type(exc).__name__}", "line": number}
                continue
            if previews:
                _add_previews(report, fields)
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


# --- the table for people -----------------------------------------------------------


def _rows(label: str, rows: list[list[str]]) -> list[str]:
    if not rows:
        return [f"{label:<11} -"]
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]) - 1)]
    out = []
    for n, r in enumerate(rows):
        cells = [c.ljust(w) for c, w in zip(r, widths, strict=False)] + [r[-1]]
        out.append(f"{label if n == 0 else '':<11} " + "  ".join(cells).rstrip())
    return out


def _entity_cells(e: dict[str, Any]) -> list[str]:
    preview = e.get("preview") or f"({e['end'] - e['start']} chars)"
    return [e["type"], f"{e['score']:.2f}", preview, e["field"]]


def _target_text(t: dict[str, Any]) -> str:
    """One line: ``this machine: smollm2``, ``on-prem: gpu-box (llama-70b), else this
    machine: smollm2``, ``cloud: openai (gpt-4o-mini), then azure``."""
    if t["kind"] == "local":
        return f"this machine: {t['name']}"
    kind = "on-prem" if t["kind"] == "on_prem" else "cloud"
    text = f"{kind}: {t['name']} ({t['model']})"
    if t.get("local_fallback"):
        text += f", else this machine: {t['local_fallback']}"
    if t.get("fallbacks"):
        text += ", then " + ", ".join(t["fallbacks"])
    return text


def format_row(row: dict[str, Any], *, numbered: bool = False) -> str:
    """One explained prompt as a readable block (the CLI's default output)."""
    head = [f"line {row['line']}"] if numbered else []
    if "error" in row:
        return "\n".join([*head, f"{'error':<11} {row['error']}"])
    route = row["route"]
    where = {
        "local": "local: stays on this machine",
        "cloud": "cloud, redacted" if row.get("redact") else "cloud: sent as is",
        "block": "blocked: refused with 403",
    }.get(route, route)
    out = [
        *head,
        f"{'decision':<11} {where}",
        f"{'policy':<11} {row['policy']} (rule {row['rule']}, action {row['action']})",
        f"{'sensitive':<11} {'yes' if row['sensitive'] else 'no'}",
    ]
    if target := row.get("target"):
        out.append(f"{'target':<11} {_target_text(target)}")
    if row.get("response", "pass") != "pass":
        scope = "cloud and local replies" if row.get("response_local") else "cloud replies"
        out.append(f"{'reply':<11} {row['response']} personal data in {scope}")
    out += _rows("reasons", [[r, describe(r)] for r in row["reasons"]])
    out += _rows("entities", [_entity_cells(e) for e in row["entities"]])
    out.append(f"{'complexity':<11} {row['complexity']:.3f} ({row['complexity_class']})")
    out.append(f"{'domain':<11} {row['domain']}")
    if row.get("load"):
        out.append(f"{'load':<11} {row['load'].get('state', 'unknown')}")
    if row.get("non_text_parts"):
        out.append(f"{'attachments':<11} {len(row['non_text_parts'])} (cannot be scanned)")
    return "\n".join(out)
