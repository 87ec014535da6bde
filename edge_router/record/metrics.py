"""Prometheus metrics, one registry per app (no process globals, so tests can
build several apps). Labels carry routes, rules, providers and statuses only:
never prompt text, values or client keys."""

from __future__ import annotations

from collections.abc import Callable

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST

_LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120)


class Metrics:
    """Example: ``m = Metrics(); m.requests.labels("local", "default", "llama", "200").inc()``"""

    content_type = CONTENT_TYPE_LATEST

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        self.requests = Counter(
            "edge_router_requests",
            "Chat requests by route, rule, provider and HTTP status.",
            ["route", "rule", "provider", "status"],
            registry=r,
        )
        self.latency = Histogram(
            "edge_router_request_seconds",
            "Time from request received to last byte, by stage.",
            ["stage"],
            buckets=_LATENCY_BUCKETS,
            registry=r,
        )
        self.tokens = Counter(
            "edge_router_tokens",
            "Tokens processed, by route and kind (prompt|completion).",
            ["route", "kind"],
            registry=r,
        )
        self.entities = Counter(
            "edge_router_entities_detected",
            "Detected entities by type (counts only).",
            ["type"],
            registry=r,
        )

        self.reloads = Counter(
            "edge_router_policy_reloads",
            "Policy reloads (SIGHUP) by outcome.",
            ["outcome"],
            registry=r,
        )

        self.audit_failures = Counter(
            "edge_router_audit_failures", "Audit records that could not be written.", registry=r
        )

    def gauge(self, name: str, doc: str, fn: Callable[[], float]) -> None:
        g = Gauge(name, doc, registry=self.registry)
        g.set_function(fn)

    def render(self) -> bytes:
        return generate_latest(self.registry)
