"""Carry out a routing decision: local model, on-prem server, cloud provider, or refusal.

The evaluation names its target (``routing.target.pick_target`` over a snapshot of what
is up and how busy, ``flow.availability``); this module only carries it out. A failed
cloud attempt goes back through ``decide()`` over a fresh snapshot with that provider
counted out, never around it: a fallback can't carry a local-only prompt to a cloud.
A failed on-prem server hands over to this machine's model. Once the first chunk of a
stream is out, the target never changes.

Example::

    outcome = await dispatch_chat(state, body, chat, identity=None, headers={})
    outcome.completion or outcome.chunks
"""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from edge_router.backends.base import Event, Finish
from edge_router.backends.local_reply import local_chunks, local_completion
from edge_router.backends.local_request import prepare
from edge_router.errors import (
    BackendError,
    BadRequest,
    ModelNotFound,
    PolicyBlocked,
    RouterError,
)
from edge_router.flow.availability import snapshot
from edge_router.flow.budget import budget_gate, enforce, strip_usage
from edge_router.flow.cache_key import CacheTicket, fresh_completion, open_ticket, replay
from edge_router.flow.pinning import PinMismatch, check_pin, upstream_label
from edge_router.flow.reply_guard import guard_outcome
from edge_router.privacy.guard import ReplyGuard
from edge_router.privacy.redaction import RedactionError
from edge_router.privacy.restore import restore_chunks, restore_completion
from edge_router.routing.experiments import ARM_HEADER
from edge_router.routing.pipeline import Evaluation, Identity
from edge_router.routing.target import Target, pick_local, resolve_alias
from edge_router.state import AppState
from edge_router.wire.openai_chat import ChatRequest
from edge_router.wire.openai_stream import Chunk, ChunkWriter

log = logging.getLogger("edge_router.flow.dispatch")

AUTO = "auto"


@dataclass
class Outcome:
    """The result of one chat request, before it is encoded for a front door."""

    completion_id: str
    evaluation: Evaluation
    route: str
    provider: str
    model: str
    completion: dict[str, Any] | None = None
    chunks: AsyncIterator[Chunk] | None = None
    started: float = field(default_factory=time.perf_counter)
    finish: Finish | None = None
    fallbacks: int = 0
    cache: str | None = None
    """``hit``, ``miss`` or ``bypass`` when the response cache is on (``flow.cache_key``)."""
    guard: ReplyGuard | None = None
    """The reply guard (``response:`` in the policy) when one checks this answer."""
    upstream_model: str | None = None
    """The exact model id a provider answered with (``flow.pinning``)."""
    cached_reply_types: Mapping[str, int] | None = None
    """A cache hit's: what the reply guard found when the answer was first produced."""

    def reply_entity_types(self) -> dict[str, int]:
        """What the reply guard found in this answer, by type (never values), for the
        audit; a cache hit replays a guarded answer and carries what was found in it."""
        if self.guard is not None:
            return dict(self.guard.found)
        return dict(self.cached_reply_types or {})

    def headers(self) -> dict[str, str]:
        d = self.evaluation.decision
        h = {
            "x-request-id": self.completion_id,
            "x-edge-router-route": self.route,
            "x-edge-router-rule": d.rule,
            "x-edge-router-policy": self.evaluation.policy,
            "x-edge-router-provider": self.provider,
            "x-edge-router-model": self.model,
            "x-edge-router-reasons": ",".join(d.reasons),
            "x-edge-router-complexity": f"{self.evaluation.complexity.score:.3f}",
            "x-edge-router-domain": self.evaluation.domain,
        }
        if d.redact and self.route == "cloud":
            h["x-edge-router-redacted"] = "true"
        if self.evaluation.load:
            h["x-edge-router-load"] = str(self.evaluation.load.get("state", "unknown"))
        if self.fallbacks:
            h["x-edge-router-fallbacks"] = str(self.fallbacks)
        if self.cache:
            h["x-edge-router-cache"] = self.cache
        if self.evaluation.arm is not None:
            h[ARM_HEADER] = self.evaluation.arm.label
        return h


def decision_headers(ev: Evaluation) -> dict[str, str]:
    h = {
        "x-edge-router-route": ev.decision.route,
        "x-edge-router-rule": ev.decision.rule,
        "x-edge-router-policy": ev.policy,
    }
    if ev.arm is not None:
        h[ARM_HEADER] = ev.arm.label
    return h


def _is_local_model(state: AppState, model: str) -> bool:
    return model in state.runners


def resolve_model(state: AppState, model: str) -> str:
    """The name a request is routed by: ``auto`` in any case, an alias's target
    (``aliases`` in the config), or the name as sent."""
    return resolve_alias(state.settings.aliases, model)


def routed_model(
    state: AppState, model: str, identity: Identity | None, headers: Mapping[str, str]
) -> str:
    """:func:`resolve_model`, then, for ``auto``, the model the request's experiment arm
    routes it as (``routing.experiments``); a model the client named stays."""
    model = resolve_model(state, model)
    arm = state.router.assign(identity, headers)
    if model == AUTO and arm is not None and arm.arm.model:
        return resolve_model(state, arm.arm.model)
    return model


def model_names(state: AppState) -> list[str]:
    """Every chat model name a client may send, in /v1/models order: ``auto``, local
    models, aliases, then the models providers list."""
    names = [AUTO, *state.runners, *state.settings.aliases]
    names += [m for p in state.providers for m in p.models]
    return list(dict.fromkeys(names))


def check_model(state: AppState, model: str) -> None:
    """404 (listing the names there are) unless ``model``, resolved, can be served."""
    if model == AUTO or _is_local_model(state, model):
        return
    if any(p.serves(model) for p in state.providers):
        return
    raise ModelNotFound(
        f"The model '{model}' does not exist on this router. Available models: "
        f"{', '.join(model_names(state))}.",
        param="model",
    )


def _blocked(ev: Evaluation) -> PolicyBlocked:
    types = ", ".join(ev.decision.entity_types) or "none detected"
    return PolicyBlocked(
        f"This request was blocked by policy '{ev.policy}' (rule '{ev.decision.rule}'). "
        f"Detected entity types: {types}.",
        headers=decision_headers(ev),
    )


async def dispatch_chat(
    state: AppState,
    body: dict[str, Any],
    chat: ChatRequest,
    *,
    request_id: str,
    identity: Identity | None,
    headers: Mapping[str, str],
) -> Outcome:
    """Evaluate and run one chat request. Errors raised after the decision carry it
    in ``exc.evaluation`` so that refusals are audited too. An alias (or ``AUTO``) is
    resolved first: policies, headers and the audit see the model it stands for. So is
    an experiment arm's ``model`` for a request that asked for ``auto`` (only then: a
    model the client named is never replaced)."""
    model = routed_model(state, chat.model, identity, headers)
    if model != chat.model:
        chat = chat.model_copy(update={"model": model})
        body = {**body, "model": model}
    check_model(state, chat.model)
    if state.load is not None:
        state.load.admit()  # a burst raises the load state where requests come in
    identity, verdict = budget_gate(state, identity)
    ev = await state.router.evaluate(
        body,
        model=chat.model,
        identity=identity,
        headers=headers,
        availability=lambda m: snapshot(state, m),
    )
    for e in ev.scan.entities:
        state.metrics.entities.labels(e.type).inc()
    state.metrics.domains.labels(ev.domain).inc()
    enforce(verdict, ev)
    ticket = open_ticket(state.cache, ev, identity, headers) if state.cache else None
    if ticket is not None:
        state.metrics.cache.labels(ticket.label).inc()
        if ticket.hit is not None and ticket.hit.stream == chat.stream:
            return _cached(ticket, ev, request_id, chat.stream)
    try:
        _check_guardable(ev, body)
        outcome = await _run(state, chat, ev, request_id, identity, headers)
        try:
            guard_outcome(state, outcome)  # before the cache: it keeps the guarded answer
        except RouterError as exc:
            exc.answered = outcome
            raise
    except RouterError as exc:
        if exc.evaluation is None:
            exc.evaluation = ev
        raise
    if ticket is not None:
        _remember(ticket, outcome)
    return outcome


def _check_guardable(ev: Evaluation, body: dict[str, Any]) -> None:
    """Token logprobs cannot be checked by the reply guard (a value can be spread over
    token strings), so a request that asks for them where the policy guards replies is
    refused rather than answered without them."""
    d = ev.decision
    guarded = d.response != "pass" and (d.route == "cloud" or d.response_local)
    if guarded and body.get("logprobs"):
        raise BadRequest(
            f"logprobs cannot be returned: policy '{ev.policy}' checks replies for personal "
            f"data (response: {d.response}), and token log probabilities would bypass "
            "that check. Send the request without logprobs.",
            param="logprobs",
            code="unsupported_with_reply_guard",
        )


def _cached(ticket: CacheTicket, ev: Evaluation, request_id: str, stream: bool) -> Outcome:
    """A hit: the stored answer under this request's id, audited like any request."""
    hit = ticket.hit
    assert hit is not None
    outcome = Outcome(request_id, ev, hit.route, hit.provider, hit.model, cache="hit")
    outcome.upstream_model = hit.upstream_model
    outcome.cached_reply_types = dict(hit.reply_entity_types)
    if stream:
        outcome.chunks = replay(hit, request_id)
    else:
        outcome.completion = fresh_completion(hit, request_id)
    return outcome


def _remember(ticket: CacheTicket, outcome: Outcome) -> None:
    """Store a fresh answer (a stream once it has finished); an answer that took a
    fallback is not the one the decision in the key names, and is not kept."""
    outcome.cache = ticket.label
    if outcome.fallbacks:
        return
    who = {"route": outcome.route, "provider": outcome.provider, "model": outcome.model}
    upstream = outcome.upstream_model  # known by now: it came with the first chunk
    if outcome.chunks is not None:
        outcome.chunks = ticket.collect(
            outcome.chunks, upstream_model=upstream, found=outcome.reply_entity_types, **who
        )
    elif outcome.completion is not None:
        ticket.store(
            outcome.completion,
            stream=False,
            upstream_model=upstream,
            reply_entity_types=outcome.reply_entity_types(),
            **who,
        )


async def _run(
    state: AppState,
    chat: ChatRequest,
    ev: Evaluation,
    completion_id: str,
    identity: Identity | None,
    headers: Mapping[str, str],
) -> Outcome:
    tried: list[str] = []
    while ev.target is not None and ev.target.kind == "cloud":
        target = ev.target
        try:
            return await _remote(state, chat, ev, target, completion_id, len(tried))
        except (BackendError, RedactionError) as exc:
            tried.append(target.name)
            log.warning(
                "cloud attempt failed; re-deciding",
                extra={"fields": {"provider": target.name, "error": type(exc).__name__}},
            )
            # Back through decide(), over a fresh snapshot with the failed providers
            # counted out: the new decision may keep the prompt local.
            ev = state.router.evaluate_scanned(
                ev.body,
                ev.fields,
                ev.scan,
                model=chat.model,
                identity=identity,
                headers=headers,
                availability=lambda m: snapshot(state, m, exclude=tried),
            )
    if ev.decision.route == "block":
        blocked = _blocked(ev)
        blocked.evaluation = ev
        raise blocked
    # A cloud decision no provider is left to carry stays on the local tier.
    model = ev.model or chat.model  # a rule's `model` routes as that model
    target = ev.target or pick_local(snapshot(state, model), ev.decision.provider)
    outcome = await _local(state, chat, ev, completion_id, target)
    outcome.fallbacks = len(tried)
    return outcome


async def _remote(
    state: AppState,
    chat: ChatRequest,
    ev: Evaluation,
    target: Target,
    completion_id: str,
    fallbacks: int,
) -> Outcome:
    """Run on a provider: a cloud (redacted if the decision says so) or a trusted on-prem
    server (route ``local``: unredacted). Either way the body is built from the scanned
    projection ``ev.body`` only, never from what the client sent."""
    provider = next(p for p in state.providers if p.name == target.name)
    route = "cloud" if target.kind == "cloud" else "local"
    outbound, vault = state.router.outbound(ev, redact=ev.decision.redact and route == "cloud")
    outbound["model"] = target.model  # the upstream name, from the snapshot
    outcome = Outcome(
        completion_id, ev, route, provider.name, outbound["model"], fallbacks=fallbacks
    )
    state.in_flight[provider.name] = state.in_flight.get(provider.name, 0) + 1
    released = False

    def release() -> None:
        nonlocal released
        if not released:
            released = True
            state.in_flight[provider.name] -= 1

    try:
        if chat.stream:
            metered = chat.stream and route == "cloud" and not chat.include_usage
            if metered:
                # Ask for the usage the client did not, so the answer can be priced; the
                # client's stream does not show it (strip_usage).
                outbound["stream_options"] = {"include_usage": True}
            stream = provider.stream(outbound)
            first = await anext(stream)  # failures before the first chunk may fall back
            try:  # the id arrives with the first chunk: a pinned one may still fail over
                outcome.upstream_model = upstream_label(first.get("model"))
                check_pin(state, provider.name, outbound["model"], outcome.upstream_model)
            except PinMismatch:
                await stream.aclose()  # type: ignore[attr-defined]
                raise

            async def replay() -> AsyncIterator[Chunk]:
                try:
                    yield first
                    async for c in stream:
                        yield c
                finally:
                    release()

            outcome.chunks = restore_chunks(replay(), vault)
            if metered:

                def used(usage: Mapping[str, Any]) -> None:
                    pt, ct = usage.get("prompt_tokens"), usage.get("completion_tokens")
                    if isinstance(pt, int) and isinstance(ct, int):
                        # Where the audit reads the token counts of a stream without usage.
                        outcome.finish = Finish("stop", pt, ct)

                outcome.chunks = strip_usage(outcome.chunks, used)
        else:
            answer = await provider.complete(outbound)
            outcome.upstream_model = upstream_label(answer.get("model"))
            check_pin(state, provider.name, outbound["model"], outcome.upstream_model)
            outcome.completion = restore_completion(answer, vault)
            release()
    except BaseException:
        release()
        raise
    return outcome


async def _local(
    state: AppState, chat: ChatRequest, ev: Evaluation, completion_id: str, target: Target
) -> Outcome:
    """Run on the local tier's target: an on-prem server (this machine's model if it
    fails: the prompt stays on the premises either way) or this machine's model."""
    name = target.name
    if target.kind == "on_prem":
        try:
            return await _remote(state, chat, ev, target, completion_id, 0)
        except BackendError as exc:
            log.warning(
                "trusted on-prem server failed; using this machine",
                extra={"fields": {"provider": target.name, "error": type(exc).__name__}},
            )
        name = target.local_fallback or state.settings.local.default_model
    runner = state.runners[name]
    req = prepare(chat, runner)
    events = runner.generate(req.messages, req.params)
    outcome = Outcome(completion_id, ev, "local", "llama", runner.spec.name)
    if chat.stream:
        # Wait for the first event before any byte is sent, so that a full queue
        # (503) or an over-long prompt (400) is still an ordinary HTTP error.
        first = await anext(events)

        async def replay() -> AsyncIterator[Event]:
            try:
                yield first
                async for e in events:
                    yield e
            finally:
                await events.aclose()  # type: ignore[attr-defined]

        def finished(finish: Finish) -> None:
            outcome.finish = finish

        writer = ChunkWriter(completion_id, runner.spec.name, include_usage=chat.include_usage)
        outcome.chunks = local_chunks(replay(), writer, req.shape, on_finish=finished)
    else:
        outcome.completion, outcome.finish = await local_completion(
            events, completion_id, runner.spec.name, req.shape
        )
    return outcome
