"""The explain playground: what the router would do with a pasted prompt or request.

The same path as ``POST /v1/route`` and ``edge-router explain``: the body is read as
an explain line (``routing/explain.chat_body``: a plain prompt, an OpenAI chat body or
an Anthropic Messages body), projected, scanned and decided by the daemon's own
router with its live availability. Unlike ``/v1/route``, nothing is audited or logged:
the operator's own text is shown back to the operator, and to nobody else.

Besides the report, the answer carries each scanned field with its detected spans (for
highlighting) and the body a cloud would receive: the real outbound body when the
decision is ``cloud``, otherwise the redacted projection, labelled hypothetical.

Example::

    result = await explain_input(state, "mail me at maria@example.org")
    result["fields"][0]["spans"]   # [{"start": 11, "end": 28, "type": "EMAIL_ADDRESS"}]
"""

from __future__ import annotations

import json
from typing import Any

from edge_router.errors import BadRequest
from edge_router.flow.availability import snapshot
from edge_router.flow.dispatch import check_model, resolve_model
from edge_router.privacy.redaction import RedactionError
from edge_router.routing.explain import chat_body
from edge_router.routing.pipeline import Evaluation
from edge_router.state import AppState

MAX_INPUT_CHARS = 100_000


def _as_request(text: str) -> dict[str, Any]:
    """A pasted JSON object with ``messages`` or ``text`` is a request; anything else
    is one user prompt."""
    stripped = text.strip()
    if stripped.startswith("{"):
        try:
            body = json.loads(stripped)
        except (ValueError, RecursionError):
            raise BadRequest("The input starts with '{' but is not valid JSON.") from None
        if isinstance(body, dict) and ("messages" in body or "text" in body):
            return body
        raise BadRequest('A JSON request needs "messages" (a list) or "text" (a string).')
    return {"text": text}


def _fields(ev: Evaluation) -> list[dict[str, Any]]:
    spans: dict[str, list[dict[str, Any]]] = {}
    for e in ev.scan.entities:
        spans.setdefault(e.field, []).append(
            {"start": e.start, "end": e.end, "type": e.type, "score": round(e.score, 3)}
        )
    out = []
    for f in ev.fields:
        found = sorted(spans.get(f.path, []), key=lambda s: (s["start"], -s["end"]))
        out.append({"path": f.path, "text": f.text, "spans": found})
    return out


def _outbound(state: AppState, ev: Evaluation) -> dict[str, Any]:
    d = ev.decision
    actual = d.route == "cloud"
    try:
        body, _ = state.router.outbound(ev, redact=None if actual else True)
    except RedactionError:
        return {"actual": actual, "body": None, "note": "redaction cannot be applied"}
    if actual:
        note = "the body the cloud provider would receive" + (
            " (redacted)" if d.redact else " (this decision does not redact)"
        )
    elif d.route == "block":
        note = "not sent: the policy blocks this request; redacted it would read"
    else:
        note = "not sent: this request stays on this machine; redacted for a cloud it would read"
    return {"actual": actual, "body": body, "note": note}


async def explain_input(state: AppState, text: str, policy: str | None = None) -> dict[str, Any]:
    """Decide ``text`` as the daemon would (see the module docstring). Raises
    :class:`BadRequest` for input that is not a request."""
    if len(text) > MAX_INPUT_CHARS:
        raise BadRequest(f"The input is longer than {MAX_INPUT_CHARS} characters.")
    if not text.strip():
        raise BadRequest("Type a prompt or paste a JSON request.")
    raw = _as_request(text)
    if isinstance(raw.get("model"), str):
        raw["model"] = resolve_model(state, raw["model"])
    body = chat_body(raw)
    model = str(body["model"])
    check_model(state, model)
    chosen = state.router.policies.named(policy) if policy else None
    ev = await state.router.evaluate(
        body, model=model, policy=chosen, availability=snapshot(state, model)
    )
    report = state.router.report(ev)
    return {"report": report, "fields": _fields(ev), "outbound": _outbound(state, ev)}
