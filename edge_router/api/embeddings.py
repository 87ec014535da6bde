"""``POST /v1/embeddings``: scanned and decided like chat, answered only by the model named.

Every text input (and ``user``) goes through the scanner and the policy, exactly as a
chat request's strings do (``wire.openai_embeddings`` builds the projection, its
string list and the upstream body). What differs is what a decision may do:

- Vectors of different models live in different spaces, so a request is answered by
  the model it names (``auto``: ``local.default_embedding_model``) or refused; it is
  never answered by another model, which would silently corrupt the client's index.
- A local model (this machine's, or a ``trusted_local`` server's) always answers,
  whatever the route, unless the policy blocks (403): the data stays on the premises.
- A cloud model answers only when the decision is ``cloud``. A decision to keep the
  input local is a 403 naming the rule and reasons (``input_must_stay_local``);
  ``redact`` is a 403 too (``redaction_not_applicable``): a redacted text has another
  vector, and restoring placeholders in a vector is impossible. No reachable provider
  is a 503. Token arrays cannot be scanned, so they are a 400 for any provider model.
- ``auto`` policies: for a cloud model the request counts as ``complex`` (the local
  tier cannot produce that model's vectors), so clean input goes to the cloud and
  sensitive input is refused; for a local model it counts as ``simple``.

Audited and counted like chat (request ids start with ``embd-``; no content).
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass, field

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from edge_router.api.common import authenticate, read_json
from edge_router.api.openai import audit_kw, observe, refused, state_of
from edge_router.backends.base import CloudBackend
from edge_router.backends.local_embed import Embedded, LocalEmbedder
from edge_router.errors import (
    BackendError,
    BadRequest,
    ModelNotFound,
    PolicyBlocked,
    RouterError,
)
from edge_router.flow.budget import budget_gate, enforce
from edge_router.flow.dispatch import AUTO, Outcome, decision_headers
from edge_router.flow.recorder import audit_gate, record
from edge_router.routing.complexity import Complexity
from edge_router.routing.pipeline import Evaluation
from edge_router.state import AppState
from edge_router.wire.openai_embeddings import (
    Embeddings,
    embeddings_response,
    outbound_fields,
    project,
    validate_embeddings,
)

CLOUD_UNAVAILABLE = "cloud_unavailable"


class ModelUnavailable(RouterError):
    """503: the named embedding model is served only by providers none of which is
    usable now (offline, circuit open); no other model may stand in for it."""

    status = 503
    type = "server_error"
    code = "model_unavailable"


@dataclass
class Target:
    """Who can answer for one embedding model name."""

    name: str
    embedder: LocalEmbedder | None = None
    trusted: list[CloudBackend] = field(default_factory=list)
    """``trusted_local`` servers listing the name: the local tier, on the premises."""
    cloud: list[CloudBackend] = field(default_factory=list)

    @property
    def is_local(self) -> bool:
        return self.embedder is not None or bool(self.trusted)


def embedding_names(state: AppState) -> list[str]:
    """Every embedding model name a client may send (``auto`` included)."""
    names = [AUTO, *state.embedders]
    names += [m for p in state.providers for m in p.embedding_models]
    return list(dict.fromkeys(names))


def resolve(state: AppState, model: str) -> Target:
    """The target for ``model`` (``auto``: the configured default); 404 otherwise. This
    machine's models come first, then the providers' in config order."""
    if model.lower() == AUTO:
        model = state.settings.local.default_embedding_model
    if model in state.embedders:
        return Target(model, embedder=state.embedders[model])
    serving = [p for p in state.providers if model in p.embedding_models]
    target = Target(
        model,
        trusted=[p for p in serving if p.trusted_local],
        cloud=[p for p in serving if not p.trusted_local],
    )
    if serving:
        return target
    configured = any(model in p.embedding_models for p in state.settings.providers)
    if configured:  # offline: the providers were never built
        raise ModelUnavailable(
            f"The embedding model '{model}' is served only by cloud providers, and the "
            "router is offline.",
            param="model",
        )
    raise ModelNotFound(
        f"The model '{model}' is not an embedding model on this router. Embedding "
        f"models: {', '.join(embedding_names(state))}.",
        param="model",
    )


def _complexity(target: Target) -> Complexity:
    if target.is_local:
        return Complexity(0.0, "simple", ("embeddings:local_model",))
    return Complexity(1.0, "complex", ("embeddings:cloud_model",))


async def embeddings(request: Request) -> Response:
    state = state_of(request)
    started = time.perf_counter()
    identity = await authenticate(request)
    await audit_gate(state)
    body = await read_json(request, state.settings.server)
    req = validate_embeddings(body)
    target = resolve(state, req.model)
    if req.tokens and target.embedder is None:
        raise BadRequest(
            f"Token arrays cannot be scanned for personal data, so they are only accepted "
            f"by this machine's embedding models ('{target.name}' is served elsewhere). "
            "Send the text instead.",
            param="input",
            code="unscannable_input",
        )
    if state.load is not None:
        state.load.admit()  # embeddings are load too
    projected = project(req)
    fields, non_text = outbound_fields(projected)
    cloud_usable = [p for p in target.cloud if p.available]
    # A spent budget counts here too: cloud embeddings cost money like chat does.
    identity, verdict = budget_gate(state, identity)
    ev = await state.router.evaluate_fields(
        projected,
        fields,
        non_text,
        model=target.name,
        identity=identity,
        headers=request.headers,
        cloud_available=bool(cloud_usable),
        complexity=_complexity(target),
    )
    for e in ev.scan.entities:
        state.metrics.entities.labels(e.type).inc()
    request_id = "embd-" + uuid.uuid4().hex
    try:
        enforce(verdict, ev)
        outcome, result = await _run(state, req, target, ev, request_id, cloud_usable)
    except RouterError as exc:
        if exc.evaluation is None:
            exc.evaluation = ev
        await refused(state, exc, request_id, identity, started, endpoint="embeddings")
        exc.headers.setdefault("x-request-id", request_id)
        raise
    outcome.started = started
    usage = {"prompt_tokens": result.prompt_tokens, "total_tokens": result.prompt_tokens}
    observe(state, outcome, "200", usage)
    await record(state, **audit_kw(outcome, identity, 200, usage, endpoint="embeddings"))
    payload = embeddings_response(
        result.vectors,
        model=target.name,
        prompt_tokens=result.prompt_tokens,
        encoding_format=req.encoding_format,
    )
    return JSONResponse(payload, headers=outcome.headers())


def _refusal(ev: Evaluation, target: Target) -> RouterError:
    """Why a cloud model may not answer this input (the decision was not ``cloud``)."""
    d = ev.decision
    where = f"policy '{ev.policy}' (rule '{d.rule}'; reasons: {', '.join(d.reasons)})"
    headers = decision_headers(ev)
    if d.route == "local" and CLOUD_UNAVAILABLE in d.reasons:
        return ModelUnavailable(
            f"The embedding model '{target.name}' is served only by cloud providers, and "
            "none is reachable now; no other model answers in its place.",
            param="model",
            headers=headers,
        )
    if d.route == "cloud":  # redact
        return PolicyBlocked(
            f"This input may go to the cloud only redacted under {where}, and a redacted "
            f"text has another embedding. The cloud model '{target.name}' was not asked; "
            "use a local embedding model for such input.",
            code="redaction_not_applicable",
            headers=headers,
        )
    types = ", ".join(d.entity_types) or "none detected"
    return PolicyBlocked(
        f"This input must stay on this machine under {where}; detected entity types: "
        f"{types}. The embedding model '{target.name}' is a cloud model, and another model "
        "never answers in its place (its vectors would not be comparable): use a local "
        "embedding model for such input.",
        code="input_must_stay_local",
        headers=headers,
    )


async def _run(
    state: AppState,
    req: Embeddings,
    target: Target,
    ev: Evaluation,
    request_id: str,
    cloud_usable: list[CloudBackend],
) -> tuple[Outcome, Embedded]:
    d = ev.decision
    if d.route == "block":
        types = ", ".join(d.entity_types) or "none detected"
        raise PolicyBlocked(
            f"This request was blocked by policy '{ev.policy}' (rule '{d.rule}'). "
            f"Detected entity types: {types}.",
            headers=decision_headers(ev),
        )
    if target.is_local:
        return await _local(state, req, target, ev, request_id)
    if d.route != "cloud" or d.redact:
        raise _refusal(ev, target)
    return await _remote(state, ev, cloud_usable, target, request_id, "cloud")


async def _local(
    state: AppState, req: Embeddings, target: Target, ev: Evaluation, request_id: str
) -> tuple[Outcome, Embedded]:
    if target.embedder is None:  # a trusted on-prem server: the scanned text, unredacted
        usable = [p for p in target.trusted if p.available]
        return await _remote(state, ev, usable, target, request_id, "local")
    result = await target.embedder.embed(
        texts=req.texts, tokens=req.tokens, dimensions=req.dimensions
    )
    return Outcome(request_id, ev, "local", "llama", target.name), result


async def _remote(
    state: AppState,
    ev: Evaluation,
    providers: list[CloudBackend],
    target: Target,
    request_id: str,
    route: str,
) -> tuple[Outcome, Embedded]:
    """Try each provider serving the model, in config order; the body is built from
    the scanned projection ``ev.body`` only. A failure moves on to the next provider of
    the same model, never to another model."""
    body = dict(ev.body)
    body["model"] = target.name
    last: RouterError | None = None
    for fallbacks, provider in enumerate(providers):
        state.in_flight[provider.name] = state.in_flight.get(provider.name, 0) + 1
        try:
            vectors, tokens = await provider.embeddings(body)
        except BackendError as exc:
            last = exc
            continue
        finally:
            state.in_flight[provider.name] -= 1
        outcome = Outcome(request_id, ev, route, provider.name, target.name, fallbacks=fallbacks)
        return outcome, Embedded(vectors, tokens)
    if last is not None:
        raise last
    raise ModelUnavailable(
        f"No server for the embedding model '{target.name}' is reachable now; no other "
        "model answers in its place.",
        param="model",
        headers=decision_headers(ev),
    )
