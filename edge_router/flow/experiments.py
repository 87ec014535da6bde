"""Experiments at run time: the assignment key, the feedback store, per-arm metrics.

:func:`setup` is called once by the app's lifespan: it hands the router its
:class:`~edge_router.routing.experiments.Experiments` (keyed with a per-installation
HMAC key beside the feedback store) and opens the feedback store when feedback is on
and there is an audit trail to check request ids against. :func:`observe` counts a
finished request under its arm (from the audit record, so every front door and every
refusal is counted the same way as it is audited).

Example::

    store = setup(state)            # None: feedback off (or no audit trail)
    observe(state.metrics, record)  # edge_router_experiment_* by experiment and arm
"""

from __future__ import annotations

import logging

from edge_router.record.audit import AuditRecord
from edge_router.record.audit_hash import ContentHasher
from edge_router.record.feedback import FeedbackStore
from edge_router.record.metrics import Metrics
from edge_router.routing.experiments import Experiments
from edge_router.state import AppState

log = logging.getLogger("edge_router.flow.experiments")


def setup(state: AppState) -> FeedbackStore | None:
    """Give the router its experiments and open the feedback store (see module doc).
    Blocking (key file, SQLite): call it off the event loop."""
    s = state.settings
    if any(e.enabled for e in s.experiments):
        hasher = ContentHasher.load_or_create(s.feedback.key_path(s.audit))
        state.router.experiments = Experiments(s.experiments, hasher.digest)
        log.info(
            "experiments active",
            extra={"fields": {"experiments": [e.name for e in s.experiments if e.enabled]}},
        )
    if not s.feedback.enabled or state.audit is None:
        return None
    # Request ids are checked through the audit reader (SQLite or a fleet's PostgreSQL
    # trail); the feedback rows themselves stay in this router's own SQLite file.
    return FeedbackStore(s.feedback.resolve_path(s.audit))


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
