"""Experiments at run time: the assignment key, the feedback store, per-arm metrics.

:func:`setup` is called once by the app's lifespan: it hands the router its
:class:`~edge_router.routing.experiments.Experiments` (keyed with a per-installation
HMAC key beside the feedback store, or in a fleet one derived from the shared audit
key) and opens the feedback store when feedback is on
and there is an audit trail to check request ids against. :func:`observe` counts a
finished request under its arm (from the audit record, so every front door and every
refusal is counted the same way as it is audited).

Example::

    store = setup(state)            # None: feedback off (or no audit trail)
    observe(state.metrics, record)  # edge_router_experiment_* by experiment and arm
"""

from __future__ import annotations

import logging

from edge_router.config import Settings
from edge_router.record.audit import AuditRecord
from edge_router.record.audit_hash import ContentHasher
from edge_router.record.feedback import FeedbackStore
from edge_router.record.metrics import Metrics
from edge_router.routing.experiments import Experiments
from edge_router.state import AppState

log = logging.getLogger("edge_router.flow.experiments")


def setup(state: AppState) -> FeedbackStore | None:
    """Give the router its experiments and open the feedback store (see module doc).
    Blocking (key file, SQLite or PostgreSQL): call it off the event loop."""
    s = state.settings
    if any(e.enabled for e in s.experiments):
        hasher = assignment_key(s)
        state.router.experiments = Experiments(s.experiments, hasher.digest)
        log.info(
            "experiments active",
            extra={"fields": {"experiments": [e.name for e in s.experiments if e.enabled]}},
        )
    if not s.feedback.enabled or state.audit is None:
        return None
    # Request ids are checked through the audit reader (SQLite or a fleet's PostgreSQL
    # trail). A fleet's ratings go to its database too, so one report covers them all.
    if s.audit.url:
        from edge_router.record.feedback_pg import PgFeedbackStore  # psycopg only when used

        return PgFeedbackStore(s.audit.url)
    return FeedbackStore(s.feedback.resolve_path(s.audit))


def assignment_key(s: Settings) -> ContentHasher:
    """The HMAC key arms are assigned with (blocking: reads or creates a key file)."""
    if s.audit.url:
        # A fleet already shares the audit content-hash key (audit.key_path, required
        # with audit.url): derive the assignment key from it, so a client keeps its arm
        # whichever router it reaches, with no second file to copy.
        base = ContentHasher.load_or_create(s.audit.resolve_key_path())
        return base.derive("edge-router experiments assignment v1")
    return ContentHasher.load_or_create(s.feedback.key_path(s.audit))


def observe(metrics: Metrics, rec: AuditRecord) -> None:
    """Count a finished request under its experiment arm: chat (Anthropic messages
    included) and completions, as the report does; dry runs and embeddings are not the
    answers an experiment compares."""
    if rec.arm is None or rec.endpoint not in ("chat", "completions"):
        return
    experiment, _, arm = rec.arm.partition(":")
    metrics.arm_requests.labels(experiment, arm, rec.route, str(rec.status)).inc()
    if rec.latency_ms is not None:
        metrics.arm_latency.labels(experiment, arm).observe(rec.latency_ms / 1000)
    if rec.cost_usd is not None:
        metrics.arm_cost.labels(experiment, arm).inc(rec.cost_usd)
