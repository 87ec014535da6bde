"""Prometheus metrics, one registry per app (no process globals, so tests can
build several apps). Labels carry routes, rules, providers and statuses only:
never prompt text, values or client keys."""

from __future__ import annotations

from collections.abc import Callable

from prometheus_client import (
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    Summary,
    generate_latest,
)
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
        self.cache = Counter(
            "edge_router_cache_lookups",
            "Response cache lookups by result (hit|miss|bypass).",
            ["result"],
            registry=r,
        )
        self.cache_evictions = Counter(
            "edge_router_cache_evictions",
            "Response cache entries dropped, by reason (ttl|size).",
            ["reason"],
            registry=r,
        )

        self.cost = Counter(
            "edge_router_cost_usd",
            "Priced cost of answers in US dollars, by route, provider and priced model.",
            ["route", "provider", "model"],
            registry=r,
        )
        self.cost_avoided = Counter(
            "edge_router_cost_avoided_usd",
            "What answers served on the local tier would have cost at the baseline model.",
            registry=r,
        )
        self.budget = Counter(
            "edge_router_budget_actions",
            "Requests past a budget, by scope (key|tenant), period (day|month) and action "
            "(local|refuse).",
            ["scope", "period", "action"],
            registry=r,
        )
        self.reply_entities = Counter(
            "edge_router_reply_entities",
            "Values found in replies that were not in the request, by type and the "
            "policy's response action (redact|block); counts only.",
            ["type", "action"],
            registry=r,
        )

        self.reloads = Counter(
            "edge_router_policy_reloads",
            "Policy reloads (SIGHUP) by outcome.",
            ["outcome"],
            registry=r,
        )

        self.domains = Counter(
            "edge_router_requests_by_domain",
            "Routed requests by domain (code, math, medical, legal, finance, general or an "
            "operator's domain).",
            ["domain"],
            registry=r,
        )
        self.pin_mismatches = Counter(
            "edge_router_pin_mismatches",
            "Answers whose upstream model id differed from the provider's pinned id, by "
            "provider and action (warn|failover).",
            ["provider", "action"],
            registry=r,
        )
        self.audit_failures = Counter(
            "edge_router_audit_failures", "Audit records that could not be written.", registry=r
        )
        # Experiments: experiment and arm names come from the config (bounded labels).
        self.arm_requests = Counter(
            "edge_router_experiment_requests",
            "Requests assigned to an experiment arm, by route and HTTP status.",
            ["experiment", "arm", "route", "status"],
            registry=r,
        )
        self.arm_latency = Histogram(
            "edge_router_experiment_request_seconds",
            "Time from request received to answer, by experiment arm.",
            ["experiment", "arm"],
            buckets=_LATENCY_BUCKETS,
            registry=r,
        )
        self.arm_cost = Counter(
            "edge_router_experiment_cost_usd",
            "Priced cost of requests (US dollars), by experiment arm.",
            ["experiment", "arm"],
            registry=r,
        )
        self.feedback = Summary(
            "edge_router_feedback_rating",
            "Feedback ratings (0-1) by experiment arm ('-' for requests in none).",
            ["experiment", "arm"],
            registry=r,
        )

    def gauge(self, name: str, doc: str, fn: Callable[[], float]) -> None:
        g = Gauge(name, doc, registry=self.registry)
        g.set_function(fn)

    def render(self) -> bytes:
        return generate_latest(self.registry)
