"""Turn a finished request into an audit record (types, counts, keyed hashes: no text)."""

from __future__ import annotations

import logging
import time
from collections import Counter
from collections.abc import Mapping
from typing import Any

from edge_router.record.audit import AuditRecord
from edge_router.record.audit_schema import AuditError
from edge_router.routing.pipeline import Evaluation, Identity
from edge_router.state import AppState

log = logging.getLogger("edge_router.record.audit")


def build_record(
    state: AppState,
    *,
    request_id: str,
    ev: Evaluation | None,
    route: str,
    provider: str | None,
    model: str | None,
    status: int,
    started: float,
    usage: Mapping[str, Any] | None,
    identity: Identity | None,
    endpoint: str = "chat",
) -> AuditRecord:
    audit = state.audit
    hashes: tuple[str, ...] = ()
    if ev is not None and audit is not None and audit.hash_contents:
        hashes = audit.hasher.digests([f.text for f in ev.fields])
    d = ev.decision if ev else None
    usage = usage or {}
    pt, ct = usage.get("prompt_tokens"), usage.get("completion_tokens")
    return AuditRecord(
        request_id=request_id,
        route=route if route in ("local", "cloud", "block") else "local",  # type: ignore[arg-type]
        status=status,
        key_id=identity.key_id if identity else None,
        tenant=identity.tenant if identity else None,
        rule=d.rule if d else None,
        action=d.action if d else None,
        provider=provider,
        model=model,
        entity_types=dict(Counter(e.type for e in ev.scan.entities)) if ev else {},
        reasons=d.reasons if d else (),
        latency_ms=(time.perf_counter() - started) * 1000,
        prompt_tokens=pt if isinstance(pt, int) else None,
        completion_tokens=ct if isinstance(ct, int) else None,
        content_hashes=hashes,
        endpoint=endpoint,
    )


async def record(state: AppState, **kw: Any) -> None:
    """Write and wait until durable (the client's answer follows an acknowledged record)."""
    if state.audit is None:
        return
    try:
        await state.audit.record(build_record(state, **kw))
    except (AuditError, ValueError) as exc:
        log.error("audit write failed", extra={"fields": {"error": type(exc).__name__}})
        state.metrics.audit_failures.inc()


def record_nowait(state: AppState, **kw: Any) -> None:
    """Queue a record without waiting (end of a stream, where the client is already served)."""
    if state.audit is None:
        return
    try:
        state.audit.submit(build_record(state, **kw))
    except (AuditError, ValueError) as exc:
        log.error("audit write failed", extra={"fields": {"error": type(exc).__name__}})
        state.metrics.audit_failures.inc()
