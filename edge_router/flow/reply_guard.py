"""Put the policy's reply action (``response: pass | redact | block``) on an answer.

The decision names the action (the winning rule's ``response``, else the policy's);
cloud replies are guarded, local ones (this machine's model, trusted on-prem servers)
only under ``response_local: true``. The request's scanned texts are what the reply
may repeat freely: restored placeholders and the client's own words pass intact.
Findings (types and counts, never values) go to the metrics here and to the audit
record through ``Outcome.guard`` (a refused whole answer: the ``ReplyBlocked`` raised).

Example::

    outcome = await _run(...)
    guard_outcome(state, outcome)   # outcome.chunks / outcome.completion now guarded
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any, Protocol

from edge_router.privacy.guard import ReplyBlocked, ReplyGuard, RequestValues
from edge_router.privacy.guard_stream import Chunk, guard_chunks, guard_completion
from edge_router.record.metrics import Metrics
from edge_router.routing.pipeline import Evaluation
from edge_router.state import AppState


class Guardable(Protocol):
    """What of ``flow.dispatch.Outcome`` the guard reads and replaces."""

    evaluation: Evaluation
    route: str
    chunks: AsyncIterator[Chunk] | None
    completion: dict[str, Any] | None
    guard: ReplyGuard | None


def reply_guard(ev: Evaluation, route: str) -> ReplyGuard | None:
    """The guard this decision asks for on a reply from ``route``, or None."""
    d = ev.decision
    if d.response == "pass" or (route != "cloud" and not d.response_local):
        return None
    known = RequestValues(f.text for f in ev.fields)
    return ReplyGuard(d.response, known, policy=ev.policy, rule=d.rule)


def _count(metrics: Metrics, guard: ReplyGuard) -> None:
    for entity_type, n in guard.found.items():
        metrics.reply_entities.labels(entity_type, guard.action).inc(n)


async def _counted(
    chunks: AsyncIterator[Chunk], guard: ReplyGuard, metrics: Metrics
) -> AsyncIterator[Chunk]:
    try:
        async for c in guard_chunks(chunks, guard):
            yield c
    finally:
        _count(metrics, guard)


def guard_outcome(state: AppState, outcome: Guardable) -> None:
    """Guard ``outcome``'s answer in place; a blocked whole answer raises ``ReplyBlocked``
    (a blocked stream raises it from the iterator)."""
    guard = reply_guard(outcome.evaluation, outcome.route)
    if guard is None:
        return
    outcome.guard = guard
    if outcome.chunks is not None:
        outcome.chunks = _counted(outcome.chunks, guard, state.metrics)
    elif outcome.completion is not None:
        try:
            outcome.completion = guard_completion(outcome.completion, guard)
        except ReplyBlocked as exc:
            # The refusal is audited from the exception (there is no answer to carry it),
            # with the same findings a blocked stream's record gets from ``Outcome.guard``.
            exc.reply_entity_types = dict(guard.found)
            raise
        finally:
            _count(state.metrics, guard)
