"""What each console page shows, read from the running daemon's state.

The same figures the daemon already keeps: readiness (``api/status.py``), the load
probe's snapshot, the runners' queues, the providers' breakers, the metrics registry,
and the audit trail (the same store ``edge-router audit`` reads). Audit reads run on a
worker thread; nothing here writes.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from typing import Any

from edge_router.api.status import readiness
from edge_router.console import stats
from edge_router.flow.budget import Scope
from edge_router.record.audit_query import AuditQuery
from edge_router.record.audit_schema import AuditError
from edge_router.record.costs import Budget
from edge_router.routing.policy import CompiledRule, Policy
from edge_router.state import AppState

OVERVIEW_WINDOW_S = 300.0
"""The overview's rates, shares and latencies cover the last five minutes."""
PRIVACY_WINDOWS = {"1h": 3600.0, "24h": 86400.0, "7d": 7 * 86400.0}
AUDIT_WINDOWS = {"1h": 3600.0, "24h": 86400.0, "7d": 7 * 86400.0, "30d": 30 * 86400.0, "all": 0.0}
_MAX_ROWS = 50_000  # rows one figure reads at most (newest first)


def _provider(p: Any, state: AppState) -> dict[str, Any]:
    # Fakes and other CloudBackends without a breaker or health record show what they have.
    return {
        "name": p.name,
        "kind": "on-prem" if p.trusted_local else "cloud",
        "available": bool(p.available),
        "healthy": bool(getattr(p, "healthy", True)),
        "breaker": str(getattr(p, "breaker_state", "closed")),
        "in_flight": state.in_flight.get(p.name, 0),
        "latency_s": p.recent_latency_s,
    }


async def _rows(state: AppState, since: float | None, limit: int = _MAX_ROWS) -> list[Any]:
    if state.audit is None:
        return []
    try:
        return await asyncio.to_thread(state.audit.query, since, None, None, None, None, limit)
    except AuditError:
        return []


def budgets(state: AppState) -> list[dict[str, Any]]:
    """Each key's and tenant's budget with what it spent this UTC day and month."""
    if not state.budgets:
        return []
    auth = state.settings.auth
    items: list[tuple[Scope, str, Budget]] = [("key", k.id, k.budget) for k in auth.keys]
    items += [("tenant", name, t.budget) for name, t in sorted(auth.tenants.items())]
    return [
        {
            "scope": scope,
            "name": name,
            "daily_usd": budget.daily_usd,
            "monthly_usd": budget.monthly_usd,
            "on_budget": budget.on_budget,
            "spent_day": round(state.budgets.spent(scope, name, "day"), 6),
            "spent_month": round(state.budgets.spent(scope, name, "month"), 6),
        }
        for scope, name, budget in items
        if budget.limited
    ]


async def overview(state: AppState) -> dict[str, Any]:
    """The overview page's figures (also ``GET /ui/api/overview``)."""
    now = time.time()
    ready, _ = readiness(state)
    load = state.load.snapshot().as_dict() if state.load is not None else None
    rows = await _rows(state, now - OVERVIEW_WINDOW_S)
    local = [
        {
            "model": name,
            "loaded": r.loaded,
            "queue_depth": r.queue_depth,
            "in_flight": r.in_flight,
        }
        for name, r in state.runners.items()
    ]
    cache = None
    if state.cache is not None:
        cache = {"entries": getattr(state.cache, "entries", None)}
    return {
        "time": now,
        "status": {k: ready[k] for k in ("status", "reason", "mode")},
        "audit": state.audit is not None,
        "traffic": stats.traffic(rows, OVERVIEW_WINDOW_S),
        "since_start": stats.metric_totals(state.metrics.registry),
        "load": load,
        "local": local,
        "providers": [_provider(p, state) for p in state.providers],
        "cache": cache,
        "budgets": budgets(state),
    }


async def privacy(state: AppState, window: str) -> dict[str, Any]:
    span = PRIVACY_WINDOWS.get(window, PRIVACY_WINDOWS["24h"])
    now = time.time()
    rows = await _rows(state, now - span)
    figures = stats.privacy(rows, since=now - span, until=now)
    figures["labels"] = stats.KEPT_LOCAL_LABELS
    figures["truncated"] = len(rows) >= _MAX_ROWS
    return figures


@dataclass(frozen=True)
class AuditFilter:
    """The audit page's filters, from its query string (unknown values ignored)."""

    window: str = "24h"
    route: str | None = None
    rule: str | None = None
    key: str | None = None
    endpoint: str | None = None
    page: int = 1

    @classmethod
    def parse(cls, q: Any) -> AuditFilter:
        def pick(name: str, allowed: tuple[str, ...] | None = None) -> str | None:
            v = str(q.get(name) or "").strip()[:64]
            if not v or (allowed is not None and v not in allowed):
                return None
            return v

        try:
            page = max(1, min(int(q.get("page", "1")), 1000))
        except ValueError:
            page = 1
        window = q.get("window", "24h")
        return cls(
            window=window if window in AUDIT_WINDOWS else "24h",
            route=pick("route", stats.ROUTES),
            rule=pick("rule"),
            key=pick("key"),
            endpoint=pick("endpoint", ("chat", "completions", "embeddings", "route")),
            page=page,
        )

    def query(self, limit: int | None) -> AuditQuery:
        span = AUDIT_WINDOWS[self.window]
        since = time.time() - span if span else None
        return AuditQuery(since, None, self.key, self.route, self.rule, limit, self.endpoint)

    def params(self, **override: Any) -> dict[str, str]:
        """The filters as query parameters (for links to other pages and the CSV)."""
        values = {
            "window": self.window,
            "route": self.route,
            "rule": self.rule,
            "key": self.key,
            "endpoint": self.endpoint,
            "page": str(self.page),
            **override,
        }
        return {k: str(v) for k, v in values.items() if v}


PAGE_SIZE = 50


async def audit_page(state: AppState, f: AuditFilter) -> dict[str, Any]:
    """One page of the audit table (newest first) and whether there is a next one."""
    if state.audit is None:
        return {"rows": [], "more": False, "enabled": False}
    q = f.query(f.page * PAGE_SIZE + 1)  # keyset-free paging: bounded by the page cap
    try:
        rows = await asyncio.to_thread(
            state.audit.query, q.since, q.until, q.key_id, q.route, q.rule, q.limit, q.endpoint
        )
    except AuditError:
        rows = []
    start = (f.page - 1) * PAGE_SIZE
    shown = rows[start : start + PAGE_SIZE]
    extra = [c for c in ("domain", "cost_usd", "cache", "arm") if any(r.get(c) for r in shown)]
    return {"rows": shown, "more": len(rows) > start + PAGE_SIZE, "enabled": True, "extra": extra}


def _conditions(rule: CompiledRule) -> list[str]:
    """A rule's conditions in words. Terms are counted, not listed: a deny-list may
    itself name customers or projects."""
    out: list[str] = []
    if rule.entities is not None:
        out.append("entities: " + ", ".join(sorted(rule.entities)))
        if rule.min_score:
            out.append(f"min score {rule.min_score:g}")
    if rule.patterns:
        out.append("patterns: " + ", ".join(p.pattern for p in rule.patterns))
    if rule.terms is not None:
        out.append("deny-list terms")
    for label, values in (
        ("models", rule.models),
        ("api keys", rule.api_keys),
        ("tenants", rule.tenants),
    ):
        if values:
            out.append(f"{label}: " + ", ".join(values))
    for name, globs in rule.headers:
        out.append(f"header {name}: " + ", ".join(globs))
    for label, kinds in (("complexity", rule.complexity), ("load", rule.load)):
        if kinds:
            out.append(f"{label}: " + ", ".join(sorted(kinds)))
    for label, flag in (
        ("sensitive", rule.sensitive),
        ("non-text parts", rule.non_text),
        ("scan failed", rule.scan_failed),
    ):
        if flag is not None:
            out.append(f"{label}: {'yes' if flag else 'no'}")
    return out


def policy_view(policy: Policy, default: str) -> dict[str, Any]:
    return {
        "name": policy.name,
        "description": policy.description,
        "default_action": policy.default,
        "source": policy.source,
        "is_default": policy.name == default,
        "rules": [
            {
                "name": r.name,
                "priority": r.priority,
                "action": r.action,
                "conditions": _conditions(r),
            }
            for r in policy.rules
        ],
    }


def policies(state: AppState) -> list[dict[str, Any]]:
    ps = state.router.policies
    return [policy_view(ps.policies[name], ps.default) for name in sorted(ps.policies)]
