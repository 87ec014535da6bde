"""Carry out a routing decision: local model, cloud provider, or refusal.

A failed cloud attempt goes back through ``decide()`` with that provider
counted out, never around it: a fallback can't carry a local-only prompt to a
cloud. Once the first chunk of a stream is out, the target never changes.

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

from edge_router.backends.base import CloudBackend, Event, Finish
from edge_router.backends.llama_local import LocalModelRunner
from edge_router.backends.local_reply import local_chunks, local_completion
from edge_router.backends.local_request import prepare
from edge_router.errors import BackendError, ModelNotFound, PolicyBlocked, RouterError
from edge_router.privacy.redaction import RedactionError
from edge_router.privacy.restore import restore_chunks, restore_completion
from edge_router.routing.pipeline import Evaluation, Identity
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
        }
        if d.redact and self.route == "cloud":
            h["x-edge-router-redacted"] = "true"
        if self.evaluation.load:
            h["x-edge-router-load"] = str(self.evaluation.load.get("state", "unknown"))
        if self.fallbacks:
            h["x-edge-router-fallbacks"] = str(self.fallbacks)
        return h


def decision_headers(ev: Evaluation) -> dict[str, str]:
    return {
        "x-edge-router-route": ev.decision.route,
        "x-edge-router-rule": ev.decision.rule,
        "x-edge-router-policy": ev.policy,
    }


def _is_local_model(state: AppState, model: str) -> bool:
    return model in state.runners


def usable_cloud(state: AppState, model: str) -> list[CloudBackend]:
    """Cloud providers to try for ``model``, in config order: available ones that serve it
    (for ``auto``: those with a default model). None for a local model's name."""
    if _is_local_model(state, model):
        return []
    return [p for p in state.providers if not p.trusted_local and p.available and p.serves(model)]


def resolve_model(state: AppState, model: str) -> str:
    """The name a request is routed by: ``auto`` in any case, an alias's target
    (``aliases`` in the config), or the name as sent."""
    if model.lower() == AUTO:
        return AUTO
    return state.settings.aliases.get(model, model)


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
    resolved first: policies, headers and the audit see the model it stands for."""
    model = resolve_model(state, chat.model)
    if model != chat.model:
        chat = chat.model_copy(update={"model": model})
        body = {**body, "model": model}
    check_model(state, chat.model)
    if state.load is not None:
        state.load.admit()  # a burst raises the load state where requests come in
    router = state.router
    available = usable_cloud(state, chat.model)
    ev = await router.evaluate(
        body, model=chat.model, identity=identity, headers=headers, cloud_available=bool(available)
    )
    for e in ev.scan.entities:
        state.metrics.entities.labels(e.type).inc()
    try:
        return await _run(state, chat, ev, request_id, identity, headers, available)
    except RouterError as exc:
        if exc.evaluation is None:
            exc.evaluation = ev
        raise


async def _run(
    state: AppState,
    chat: ChatRequest,
    ev: Evaluation,
    completion_id: str,
    identity: Identity | None,
    headers: Mapping[str, str],
    available: list[CloudBackend],
) -> Outcome:
    router = state.router
    fallbacks = 0
    while ev.decision.route == "cloud" and available:
        provider = available.pop(0)
        try:
            return await _remote(state, chat, ev, provider, completion_id, "cloud", fallbacks)
        except (BackendError, RedactionError) as exc:
            fallbacks += 1
            log.warning(
                "cloud attempt failed; re-deciding",
                extra={"fields": {"provider": provider.name, "error": type(exc).__name__}},
            )
            ev = router.evaluate_scanned(
                ev.body,
                ev.fields,
                ev.scan,
                model=chat.model,
                identity=identity,
                headers=headers,
                cloud_available=any(p.available for p in available),
            )
    if ev.decision.route == "block":
        blocked = _blocked(ev)
        blocked.evaluation = ev
        raise blocked
    outcome = await _local(state, chat, ev, completion_id)
    outcome.fallbacks = fallbacks
    return outcome


async def _remote(
    state: AppState,
    chat: ChatRequest,
    ev: Evaluation,
    provider: CloudBackend,
    completion_id: str,
    route: str,
    fallbacks: int,
) -> Outcome:
    """Run on a provider: a cloud (redacted if the decision says so) or a trusted on-prem
    server (route ``local``: unredacted). Either way the body is built from the scanned
    projection ``ev.body`` only, never from what the client sent."""
    outbound, vault = state.router.outbound(ev, redact=ev.decision.redact and route == "cloud")
    model = chat.model if chat.model not in state.runners else AUTO
    outbound["model"] = provider.upstream_model(model)
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
            stream = provider.stream(outbound)
            first = await anext(stream)  # failures before the first chunk may fall back

            async def replay() -> AsyncIterator[Chunk]:
                try:
                    yield first
                    async for c in stream:
                        yield c
                finally:
                    release()

            outcome.chunks = restore_chunks(replay(), vault)
        else:
            outcome.completion = restore_completion(await provider.complete(outbound), vault)
            release()
    except BaseException:
        release()
        raise
    return outcome


def _pick_runner(state: AppState, model: str) -> LocalModelRunner:
    if model in state.runners:
        return state.runners[model]
    return state.runners[state.settings.local.default_model]


def _pick_trusted(state: AppState, runner: LocalModelRunner) -> CloudBackend | None:
    """A trusted on-prem server (still the local tier) that is less loaded than this
    machine's model, or None. Ties stay on this machine."""
    load = runner.queue_depth + runner.in_flight
    best: CloudBackend | None = None
    for p in state.providers:
        busy = state.in_flight.get(p.name, 0)
        usable = p.trusted_local and p.available and busy < load
        if usable and (best is None or busy < state.in_flight.get(best.name, 0)):
            best = p
    return best


async def _local(state: AppState, chat: ChatRequest, ev: Evaluation, completion_id: str) -> Outcome:
    runner = _pick_runner(state, chat.model)
    # A model an on-prem server lists by name goes to that server; otherwise (auto, or
    # a cloud model kept local) the least loaded member of the local tier answers.
    named = next(
        (p for p in state.providers if p.trusted_local and p.available and chat.model in p.models),
        None,
    )
    trusted = named or (None if chat.model in state.runners else _pick_trusted(state, runner))
    if trusted is not None:
        try:
            return await _remote(state, chat, ev, trusted, completion_id, "local", 0)
        except BackendError as exc:
            log.warning(
                "trusted on-prem server failed; using this machine",
                extra={"fields": {"provider": trusted.name, "error": type(exc).__name__}},
            )
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
