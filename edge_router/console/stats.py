"""Figures the console shows, computed from audit rows and metric samples (pure).

Audit rows are the dicts :meth:`~edge_router.record.audit_query.AuditReader.query`
returns. Only labels, types and counts are read: rows hold no text, and nothing here
would show it if they did.

Example::

    traffic(rows, window_s=300)["share"]   # {"local": 0.8, "cloud": 0.2, "block": 0.0}
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

from prometheus_client import CollectorRegistry

ROUTES = ("local", "cloud", "block")
DRY_RUN = "route"
"""The audit endpoint of ``/v1/route`` dry runs: decisions, but not traffic."""

# Why a request that stayed local stayed local, by reason code (first match wins).
KEPT_LOCAL = (
    ("sensitivity", ("auto:sensitive", "entity:", "sensitive", "pattern", "term", "scan_failed")),
    ("attachments", ("non_text_local", "non_text")),
    ("load_or_complexity", ("auto:local_capable", "complexity:", "load:")),
    ("cloud_unavailable", ("cloud_unavailable",)),
)
KEPT_LOCAL_LABELS = {
    "sensitivity": "sensitive data (entities, terms, patterns, failed scans)",
    "attachments": "attachments that cannot be scanned",
    "load_or_complexity": "simple prompt or machine load (the local model can answer)",
    "cloud_unavailable": "no cloud provider usable",
    "policy": "a policy rule or default that says local",
}


def quantile(values: Sequence[float], q: float) -> float | None:
    """Nearest-rank quantile (``q`` in 0..1) of ``values``; None when empty."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(q * len(ordered)))
    return ordered[rank - 1]


def _round(x: float | None, digits: int = 1) -> float | None:
    return None if x is None else round(x, digits)


def traffic(rows: Iterable[Mapping[str, Any]], window_s: float) -> dict[str, Any]:
    """Share of routes, requests per second and latency quantiles per route over rows
    from the last ``window_s`` seconds; ``/v1/route`` dry runs are left out."""
    real = [r for r in rows if r.get("endpoint") != DRY_RUN]
    by_route = Counter(str(r.get("route")) for r in real)
    total = len(real)
    latency: dict[str, dict[str, float | None]] = {}
    for route in ROUTES:
        values = [
            float(r["latency_ms"])
            for r in real
            if r.get("route") == route and r.get("latency_ms") is not None
        ]
        latency[route] = {
            "p50_ms": _round(quantile(values, 0.5)),
            "p95_ms": _round(quantile(values, 0.95)),
            "count": len(values),
        }
    return {
        "window_s": window_s,
        "requests": total,
        "per_route": {route: by_route.get(route, 0) for route in ROUTES},
        "share": {route: (by_route.get(route, 0) / total if total else 0.0) for route in ROUTES},
        "requests_per_s": round(total / window_s, 3) if window_s > 0 else 0.0,
        "latency": latency,
        "strategies": strategies(real),
    }


def strategies(rows: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """Costs, cache results, experiment arms and domains, where rows carry them (empty
    sections otherwise, so the console hides them)."""
    costs = [float(r["cost_usd"]) for r in rows if r.get("cost_usd") is not None]
    return {
        "cost_usd": round(sum(costs), 6) if costs else None,
        "priced_requests": len(costs),
        "cache": dict(Counter(str(r["cache"]) for r in rows if r.get("cache"))),
        "arms": dict(Counter(str(r["arm"]) for r in rows if r.get("arm")).most_common(10)),
        "domains": dict(Counter(str(r["domain"]) for r in rows if r.get("domain")).most_common(10)),
    }


def kept_local_reason(reasons: Iterable[str]) -> str:
    """The category of why a local request stayed local (see :data:`KEPT_LOCAL`)."""
    codes = list(reasons)
    for category, prefixes in KEPT_LOCAL:
        if any(c == p or (p.endswith(":") and c.startswith(p)) for c in codes for p in prefixes):
            return category
    return "policy"


def _epoch(ts: str) -> float:
    return datetime.fromisoformat(ts).timestamp()


def privacy(
    rows: Iterable[Mapping[str, Any]], *, since: float, until: float, buckets: int = 12
) -> dict[str, Any]:
    """Entity types over time (``buckets`` equal slices of ``since``..``until``), the top
    rules, entity totals, and why local requests stayed local. Counts and types only."""
    span = max(until - since, 1.0)
    width = span / buckets
    series: list[Counter[str]] = [Counter() for _ in range(buckets)]
    totals: Counter[str] = Counter()
    reply_totals: Counter[str] = Counter()
    rules: Counter[str] = Counter()
    kept: Counter[str] = Counter()
    decisions = 0
    for r in rows:
        decisions += 1
        types = r.get("entity_types") or {}
        i = min(buckets - 1, max(0, int((_epoch(str(r["ts"])) - since) // width)))
        for name, count in types.items():
            series[i][str(name)] += int(count)
            totals[str(name)] += int(count)
        for name, count in (r.get("reply_entity_types") or {}).items():
            reply_totals[str(name)] += int(count)
        if r.get("rule"):
            rules[str(r["rule"])] += 1
        if r.get("route") == "local" and r.get("endpoint") != DRY_RUN:
            kept[kept_local_reason(r.get("reasons") or ())] += 1
    top_types = [name for name, _ in totals.most_common(8)]
    return {
        "decisions": decisions,
        "types": top_types,
        "entity_totals": dict(totals.most_common()),
        "reply_entity_totals": dict(reply_totals.most_common()),
        "series": [
            {
                "start": since + i * width,
                "counts": {t: series[i].get(t, 0) for t in top_types},
                "total": sum(series[i].values()),
            }
            for i in range(buckets)
        ],
        "top_rules": rules.most_common(10),
        "kept_local": {c: kept.get(c, 0) for c in (*KEPT_LOCAL_LABELS,)},
    }


def metric_totals(registry: CollectorRegistry) -> dict[str, Any]:
    """Since-start totals from the daemon's own metrics: requests by route and status
    class, and entity detections by type."""
    routes: Counter[str] = Counter()
    statuses: Counter[str] = Counter()
    entities: Counter[str] = Counter()
    for family in registry.collect():
        for s in family.samples:
            if s.name == "edge_router_requests_total":
                routes[s.labels.get("route", "?")] += int(s.value)
                statuses[s.labels.get("status", "?")[:1] + "xx"] += int(s.value)
            elif s.name == "edge_router_entities_detected_total":
                entities[s.labels.get("type", "?")] += int(s.value)
    return {
        "requests_by_route": dict(routes),
        "requests_by_status": dict(statuses),
        "entities": dict(entities.most_common(10)),
    }
