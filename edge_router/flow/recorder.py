"""Turn a finished request into an audit record (types, counts, keyed hashes: no text),
and hold requests to ``audit.on_failure`` while the audit store cannot be written."""

from __future__ import annotations

import asyncio
import logging
import time
from collections import Counter
from collections.abc import Mapping
from typing import Any

from edge_router.errors import RouterError
from edge_router.flow.budget import account, answer_cost
from edge_router.flow.experiments import observe as observe_arm
from edge_router.record.audit import AuditRecord
from edge_router.record.audit_schema import AuditError
from edge_router.routing.pipeline import Evaluation, Identity
from edge_router.state import AppState

log = logging.getLogger("edge_router.record.audit")
_POLL_S = 0.05
"""How often a request waiting on the audit store looks again (only while it waits)."""


class AuditUnavailable(RouterError):
    """The audit store cannot be written and ``audit.on_failure`` forbids answering
    unaudited: a 503 the client may retry (another router of a fleet may take it)."""

    status = 503
    code = "audit_unavailable"

    def __init__(self) -> None:
        super().__init__(
            "The audit trail cannot be written now; the request was not answered.",
            headers={"Retry-After": "5"},
        )


async def audit_gate(state: AppState) -> None:
    """Before a request runs: while the audit store is away, wait for it (``wait``, up to
    ``wait_s``) or refuse at once (``refuse``), so that nothing runs (no model, no
    provider call) that could not be audited. ``serve`` lets it through."""
    audit = state.audit
    if audit is None or audit.available:
        return
    s = state.settings.audit
    if s.on_failure == "serve":
        return
    if s.on_failure == "wait":
        # Polled: the writer thread, not the loop, sees the store come back.
        deadline = time.monotonic() + s.wait_s
        while time.monotonic() < deadline:
            await asyncio.sleep(_POLL_S)
            if audit.available:
                return
    raise AuditUnavailable()


async def _durable(state: AppState, rec: AuditRecord) -> None:
    """Wait until ``rec`` is durable: up to ``wait_s``, and under ``refuse`` and
    ``serve`` only while the store is there. Giving up raises AuditError; the record
    stays queued and is written when the store is back (the request did run)."""
    assert state.audit is not None
    audit, s = state.audit, state.settings.audit
    fut = asyncio.wrap_future(audit.submit(rec))
    # Consumed here so a record that fails after we gave up logs nothing twice.
    fut.add_done_callback(lambda f: f.cancelled() or f.exception())
    deadline = time.monotonic() + s.wait_s
    while True:
        done, _ = await asyncio.wait({fut}, timeout=_POLL_S)
        if done:
            fut.result()
            return
        if time.monotonic() >= deadline or (s.on_failure != "wait" and not audit.available):
            raise AuditError("audit store unavailable")


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
    cache: str | None = None,
    reply_entity_types: Mapping[str, int] | None = None,
    upstream_model: str | None = None,
) -> AuditRecord:
    audit = state.audit
    hashes: tuple[str, ...] = ()
    if ev is not None and audit is not None and audit.hash_contents:
        hashes = audit.hasher.digests([f.text for f in ev.fields])
    d = ev.decision if ev else None
    cost = answer_cost(
        state.pricer,
        route=route,
        provider=provider,
        model=model,
        status=status,
        usage=usage,
        endpoint=endpoint,
        cache=cache,
    )
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
        cache=cache,
        cost_usd=cost,
        reply_entity_types=dict(reply_entity_types or {}),
        arm=ev.arm.label if ev is not None and ev.arm is not None else None,
        domain=ev.domain if ev is not None else None,
        upstream_model=upstream_model,
    )


async def record(state: AppState, **kw: Any) -> None:
    """Write and wait until durable (the client's answer follows an acknowledged record).
    When it cannot be, :class:`AuditUnavailable` (503) unless ``audit.on_failure`` is
    ``serve``."""
    try:
        rec = build_record(state, **kw)
        account(state, rec)  # spending counts whether or not the record gets written
        observe_arm(state.metrics, rec)  # per-arm metrics, with or without an audit trail
        if state.audit is None:
            return
        await _durable(state, rec)
    except (AuditError, ValueError) as exc:
        log.error("audit write failed", extra={"fields": {"error": type(exc).__name__}})
        state.metrics.audit_failures.inc()
        if state.audit is not None and state.settings.audit.on_failure != "serve":
            raise AuditUnavailable() from exc


def record_nowait(state: AppState, **kw: Any) -> None:
    """Queue a record without waiting (end of a stream, where the client is already served)."""
    try:
        rec = build_record(state, **kw)
        account(state, rec)
        observe_arm(state.metrics, rec)
        if state.audit is None:
            return
        state.audit.submit(rec)
    except (AuditError, ValueError) as exc:
        log.error("audit write failed", extra={"fields": {"error": type(exc).__name__}})
        state.metrics.audit_failures.inc()
