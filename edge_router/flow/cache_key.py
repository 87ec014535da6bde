"""Whose answer a request may get from the response cache, and the ticket that looks
it up, stores the fresh answer and replays a hit.

The key is an HMAC (``flow.cache``) over: the scope (tenant and API key), the policy,
the experiment arm, the decision (route, rule, action, redaction, target kind, name and
upstream model) and the canonical JSON of the scanned projection (``Evaluation.body``:
the very body a provider would be given, with ``stream`` made explicit). Two tenants,
two keys (in ``scope: key``) or two policies never share an entry, and a request routed
elsewhere under load gets its own.

What is never cached: a request whose scan failed (fail closed), a request in which
the scanner found anything (an entity, a non-text part) unless it carries an API key
(it is then kept under that key alone, whatever ``cache.scope`` says), a refusal or
error, a stream that did not finish, an answer that took a fallback. A redacted cloud
request is cached with its *restored* answer, under the sender's key, like any other
sensitive request: the placeholders never reach the cache, the values only in the
answer to the key that sent them.

Clients steer it with ``cache-control`` (or ``pragma``): ``no-cache`` (or
``max-age=0``) skips the lookup and stores the fresh answer; ``no-store`` does neither.

Example::

    ticket = open_ticket(cache, ev, identity, headers, stream=False)
    if ticket and ticket.hit: completion = fresh_completion(ticket.hit, request_id)
    else: ticket.store(completion, route=..., provider=..., model=...)
"""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator, Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from edge_router.flow.cache import CachedAnswer, ResponseCache
from edge_router.routing.decide import scan_failed
from edge_router.routing.pipeline import Evaluation, Identity
from edge_router.wire.openai_stream import Chunk

CacheLabel = Literal["hit", "miss", "bypass"]
"""``x-edge-router-cache`` and the audit's ``cache``: ``bypass`` when the client said
``no-store`` or the request may not be cached at all."""


def client_directives(headers: Mapping[str, str]) -> frozenset[str]:
    """The ``cache-control`` and ``pragma`` directives a client sent, lower-cased."""
    raw = f"{headers.get('cache-control', '')},{headers.get('pragma', '')}"
    return frozenset(d.strip().lower().replace(" ", "") for d in raw.split(",") if d.strip())


def scope_of(ev: Evaluation, identity: Identity | None, share: str) -> list[str] | None:
    """Who may share this request's entry, or None when it may not be cached."""
    scan = ev.scan
    if scan_failed(scan):
        return None
    key_id = identity.key_id if identity else None
    tenant = (identity.tenant if identity else None) or ""
    if scan.entities or scan.sensitive or scan.non_text_parts:
        # Personal data (or what could not be read): the sender's key alone, and no
        # key no cache, since anonymous callers cannot be told apart.
        return None if key_id is None else ["key", tenant, key_id]
    if share == "tenant" and tenant:
        return ["tenant", tenant, ""]
    return ["key", tenant, key_id or ""]


def key_parts(ev: Evaluation, scope: list[str], *, stream: bool) -> list[str]:
    d, t = ev.decision, ev.target
    target = [t.kind, t.name, t.model] if t is not None else ["", "", ""]
    body = json.dumps(
        {**ev.body, "stream": stream}, sort_keys=True, separators=(",", ":"), ensure_ascii=False
    )
    # An experiment arm keeps its own answers, so arms are compared on what they did.
    arm = ev.arm.label if ev.arm is not None else ""
    return [*scope, ev.policy, arm, d.route, d.rule, d.action, str(d.redact), *target, body]


@dataclass
class CacheTicket:
    """One request's dealings with the cache: the label, a hit, and where to store."""

    cache: ResponseCache
    label: CacheLabel
    key: bytes | None = None
    """Where the fresh answer goes; None = do not store (``no-store``, uncacheable)."""
    hit: CachedAnswer | None = None

    def store(
        self,
        value: Any,
        *,
        stream: bool,
        route: str,
        provider: str,
        model: str,
        upstream_model: str | None = None,
        reply_entity_types: Mapping[str, int] | None = None,
    ) -> None:
        if self.key is not None:
            answer = CachedAnswer.of(
                value,
                stream=stream,
                route=route,
                provider=provider,
                model=model,
                upstream_model=upstream_model,
                reply_entity_types=reply_entity_types,
            )
            self.cache.put(self.key, answer)

    async def collect(
        self,
        chunks: AsyncIterator[Chunk],
        *,
        route: str,
        provider: str,
        model: str,
        upstream_model: str | None = None,
        found: Callable[[], Mapping[str, int]] = dict,
    ) -> AsyncIterator[Chunk]:
        """Pass a stream through; store it once it ended with a finish reason. A stream
        that fails or that the client leaves is not stored (the loop never finishes).
        ``found`` is read at the end: the reply guard's findings are complete only once
        the whole stream has passed through it."""
        kept: list[Chunk] = []
        finished = False
        async for c in chunks:
            if self.key is not None:
                kept.append(json.loads(json.dumps(c)))  # a copy the consumer cannot change
                finished = finished or any(
                    isinstance(ch, dict) and ch.get("finish_reason")
                    for ch in c.get("choices") or ()
                )
            yield c
        if finished:
            self.store(
                kept,
                stream=True,
                route=route,
                provider=provider,
                model=model,
                upstream_model=upstream_model,
                reply_entity_types=found(),
            )


def open_ticket(
    cache: ResponseCache, ev: Evaluation, identity: Identity | None, headers: Mapping[str, str]
) -> CacheTicket:
    """Look the request up (unless the client or its content says not to)."""
    directives = client_directives(headers)
    scope = scope_of(ev, identity, cache.settings.scope)
    if scope is None or "no-store" in directives or ev.decision.route == "block":
        return CacheTicket(cache, "bypass")
    stream = bool(ev.body.get("stream"))
    key = cache.key(key_parts(ev, scope, stream=stream))
    if "no-cache" in directives or "max-age=0" in directives:
        return CacheTicket(cache, "miss", key)
    hit = cache.get(key)
    return CacheTicket(cache, "hit" if hit else "miss", key, hit)


def fresh_completion(hit: CachedAnswer, request_id: str) -> dict[str, Any]:
    """The cached ``chat.completion`` under this request's id and time."""
    completion: dict[str, Any] = hit.value()
    completion["id"] = request_id
    completion["created"] = int(time.time())
    return completion


async def replay(hit: CachedAnswer, request_id: str) -> AsyncIterator[Chunk]:
    """The cached chunks of a stream, under this request's id and time: a client sees a
    valid stream (role, deltas, finish, usage when it asked) exactly as first sent."""
    created = int(time.time())
    for c in hit.value():
        c["id"] = request_id
        c["created"] = created
        yield c
