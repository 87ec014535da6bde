"""``POST /v1/feedback``: a rating of one answered request.

Body: ``{"request_id": str, "rating": number 0-1, "labels"?: [str], "comment"?: str}``
(``rating`` 1 is best: thumbs up/down send 1/0, a five-star scale sends (stars-1)/4).
Authenticated like every /v1 endpoint. The request id must be in the audit trail and
belong to the caller (the same API key, or the same tenant); otherwise 404, which does
not tell another caller's ids from unknown ones. The comment and the labels go through
the real scanner: a part in which it finds any entity (or that it cannot scan) is
dropped and only the entity types are kept, so no personal data reaches the feedback
store. Errors are OpenAI-shaped (400 naming the field in ``param``, 404
``request_not_found``).
"""

from __future__ import annotations

import asyncio
import re
from collections import Counter
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from edge_router.api.common import authenticate, read_json
from edge_router.api.openai import state_of
from edge_router.errors import BadRequest, RouterError
from edge_router.privacy.types import TextField
from edge_router.record.audit_schema import AuditError
from edge_router.record.feedback import Feedback, FeedbackStore, RequestRef, find_request
from edge_router.routing.pipeline import Identity

_ID = re.compile(r"^[A-Za-z0-9_.:-]{1,128}$")
_LABEL = re.compile(r"^[A-Za-z0-9_.-]{1,40}$")
MAX_LABELS = 10
_FIELDS = ("request_id", "rating", "labels", "comment")
# A streamed answer is audited just after its last byte: give its record a moment.
_LOOKUP_DELAYS_S = (0.05, 0.1, 0.2, 0.4)


class RequestNotFound(RouterError):
    status = 404
    type = "invalid_request_error"
    code = "request_not_found"


def parse(body: dict[str, Any], max_comment: int) -> tuple[str, float, list[str], str | None]:
    """(request_id, rating, labels, comment) or a 400 naming the field (quoting none
    of the client's values)."""
    extra = sorted(set(body) - set(_FIELDS))
    if extra:
        # A key is the client's text: named only when it is a plain identifier.
        name = extra[0] if _LABEL.match(extra[0]) else None
        raise BadRequest(
            f"Unrecognized request argument{f': {name!r}' if name else ''}. Feedback takes "
            f"{', '.join(_FIELDS)}.",
            param=name,
        )
    rid = body.get("request_id")
    if not isinstance(rid, str) or not _ID.match(rid):
        raise BadRequest(
            "'request_id' is required: the x-request-id (or response id) of an answer.",
            param="request_id",
        )
    rating = body.get("rating")
    if isinstance(rating, bool) or not isinstance(rating, int | float) or not 0 <= rating <= 1:
        raise BadRequest(
            "'rating' is required: a number from 0 (worst) to 1 (best).", param="rating"
        )
    labels = body.get("labels") or []
    if not isinstance(labels, list) or len(labels) > MAX_LABELS:
        raise BadRequest(f"'labels' must be a list of at most {MAX_LABELS} tags.", param="labels")
    if not all(isinstance(t, str) and _LABEL.match(t) for t in labels):
        raise BadRequest(
            "Each label must be a short tag (1-40 letters, digits, '_', '.', '-').",
            param="labels",
        )
    comment = body.get("comment")
    if comment is not None and not isinstance(comment, str):
        raise BadRequest("'comment' must be a string.", param="comment")
    if comment is not None and len(comment) > max_comment:
        raise BadRequest(
            f"'comment' is longer than the {max_comment}-character limit.", param="comment"
        )
    return rid, float(rating), list(dict.fromkeys(labels)), comment or None


def owns(ref: RequestRef, identity: Identity | None) -> bool:
    """The caller sent the request (same key, or both anonymous) or shares its tenant."""
    key = identity.key_id if identity else None
    tenant = identity.tenant if identity else None
    return ref.key_id == key or (ref.tenant is not None and ref.tenant == tenant)


def _store(request: Request) -> FeedbackStore:
    store = getattr(request.app.state, "feedback", None)
    if not isinstance(store, FeedbackStore):
        raise BadRequest(
            "Feedback is not enabled on this router (it needs feedback.enabled and the "
            "audit trail).",
            code="feedback_disabled",
        )
    return store


async def _lookup(request: Request, request_id: str) -> RequestRef | None:
    audit = state_of(request).audit
    if audit is None:
        return None
    for delay in (*_LOOKUP_DELAYS_S, None):
        ref = await asyncio.to_thread(find_request, audit, request_id)
        if ref is not None or delay is None:
            return ref
        await asyncio.sleep(delay)
    return None


async def feedback(request: Request) -> Response:
    state = state_of(request)
    identity = await authenticate(request)
    body = await read_json(request, state.settings.server)
    settings = state.settings.feedback
    rid, rating, labels, comment = parse(body, settings.max_comment_chars)
    store = _store(request)
    try:
        ref = await _lookup(request, rid)
    except AuditError as exc:
        raise RouterError("The audit trail could not be read.") from exc
    if ref is None or not owns(ref, identity):
        raise RequestNotFound(
            "No answered request with this 'request_id' was found for this API key.",
            param="request_id",
        )
    if ref.endpoint == "route":
        raise BadRequest(
            "'request_id' names a /v1/route dry run, which has no answer to rate.",
            param="request_id",
            code="no_answer",
        )
    fields = [TextField(f"labels[{i}]", t) for i, t in enumerate(labels)]
    if comment is not None:
        fields.append(TextField("comment", comment))
    types: Counter[str] = Counter()
    if fields:
        scope = (identity.tenant or identity.key_id or "") if identity else ""
        scan = await state.router.scanner.ascan(fields, scope=scope)
        failed = any(r.startswith("scan_failed") for r in scan.reasons)
        dirty = {e.field for e in scan.entities}
        types.update(e.type for e in scan.entities)
        # Fail closed: what could not be scanned is dropped like what carried data.
        labels = [] if failed else [t for i, t in enumerate(labels) if f"labels[{i}]" not in dirty]
        if failed or "comment" in dirty or not settings.store_comments:
            comment = None
    fb = Feedback(
        request_id=rid,
        rating=rating,
        key_id=ref.key_id,
        tenant=ref.tenant,
        arm=ref.arm,
        labels=tuple(labels),
        comment=comment,
        comment_entity_types=dict(types),
    )
    try:
        row_id = await asyncio.to_thread(store.write, fb)
    except AuditError as exc:
        raise RouterError("The feedback could not be stored.") from exc
    experiment, _, arm = (ref.arm or "-:-").partition(":")
    state.metrics.feedback.labels(experiment, arm).observe(rating)
    return JSONResponse(
        {
            "object": "feedback",
            "id": row_id,
            "request_id": rid,
            "rating": rating,
            "labels": labels,
            "comment_stored": comment is not None,
            "comment_entity_types": dict(types),
            "arm": ref.arm,
        }
    )
