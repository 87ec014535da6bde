"""The response cache's store (``flow.cache``) and its key and scope (``flow.cache_key``),
with a fake clock; the daemon end to end is ``test_cache_api.py``."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import replace
from typing import Any

import pytest

from edge_router.flow.cache import CachedAnswer, CacheSettings, ResponseCache
from edge_router.flow.cache_key import (
    client_directives,
    fresh_completion,
    key_parts,
    open_ticket,
    replay,
    scope_of,
)
from edge_router.privacy.types import Entity, ScanResult
from edge_router.routing.complexity import Complexity
from edge_router.routing.decide import Decision
from edge_router.routing.experiments import ArmSettings, Assignment
from edge_router.routing.pipeline import Evaluation, Identity
from edge_router.routing.target import Target


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def answer(text: str, *, stream: bool = False) -> CachedAnswer:
    return CachedAnswer.of(
        {"choices": [{"message": {"content": text}}]},
        stream=stream,
        route="cloud",
        provider="p1",
        model="m",
    )


def make(**kw: Any) -> tuple[ResponseCache, Clock, list[str]]:
    clock, evicted = Clock(), []
    cache = ResponseCache(
        CacheSettings(enabled=True, **kw), clock=clock, on_evict=lambda r: evicted.append(r)
    )
    return cache, clock, evicted


def test_ttl_expires_entries() -> None:
    cache, clock, evicted = make(ttl_s=10)
    k = cache.key(["a"])
    cache.put(k, answer("x"))
    clock.now += 9.9
    assert cache.get(k) is not None
    clock.now += 0.2
    assert cache.get(k) is None
    assert evicted == ["ttl"] and cache.entries == 0 and cache.total_bytes == 0


def test_least_recently_used_go_first_by_count_and_by_bytes() -> None:
    cache, _, evicted = make(max_entries=2)
    a, b, c = (cache.key([n]) for n in "abc")
    cache.put(a, answer("a"))
    cache.put(b, answer("b"))
    assert cache.get(a) is not None  # a is now the most recently used
    cache.put(c, answer("c"))
    assert cache.get(b) is None and cache.get(a) is not None and cache.get(c) is not None
    assert evicted == ["size"]

    one = answer("y" * 400)
    cache, _, evicted = make(max_bytes=1024)
    keys = [cache.key([str(i)]) for i in range(3)]
    for k in keys:
        assert cache.put(k, one)
    assert cache.total_bytes <= 1024 and cache.entries == 2 and evicted == ["size"]
    assert cache.get(keys[0]) is None
    assert not cache.put(cache.key(["big"]), answer("z" * 2000))  # alone over the bound
    assert cache.entries == 2


def test_replacing_an_entry_keeps_the_byte_count_right() -> None:
    cache, _, evicted = make()
    k = cache.key(["k"])
    cache.put(k, answer("short"))
    cache.put(k, answer("a longer answer"))
    assert cache.entries == 1 and cache.total_bytes == answer("a longer answer").size
    assert evicted == []


def test_any_text_round_trips() -> None:
    odd = {"content": "caf\u00e9 \U0001f600 \ud800 lone surrogate"}
    assert CachedAnswer.of(odd, stream=False, route="local", provider="l", model="m").value() == odd


def test_keys_are_keyed_and_unambiguous() -> None:
    c1, _, _ = make()
    c2, _, _ = make()
    assert c1.key(["ab", "c"]) != c1.key(["a", "bc"])  # length-prefixed parts
    assert c1.key(["x"]) == c1.key(["x"])
    assert c1.key(["x"]) != c2.key(["x"])  # a per-process secret


def test_a_hit_is_a_fresh_copy_under_the_new_id() -> None:
    cache, _, _ = make()
    k = cache.key(["k"])
    cache.put(
        k,
        CachedAnswer.of(
            {"id": "old", "x": [1]}, stream=False, route="local", provider="llama", model="m"
        ),
    )
    hit = cache.get(k)
    assert hit is not None
    first = fresh_completion(hit, "chatcmpl-new")
    first["x"].append(2)
    assert fresh_completion(hit, "chatcmpl-2") == {
        "id": "chatcmpl-2",
        "x": [1],
        "created": first["created"],
    }

    chunks = [{"id": "up", "choices": [{"delta": {"content": "hi"}}]}]
    streamed = CachedAnswer.of(chunks, stream=True, route="cloud", provider="p", model="m")

    async def collect(it: AsyncIterator[dict[str, Any]]) -> list[dict[str, Any]]:
        return [c async for c in it]

    out = asyncio.run(collect(replay(streamed, "req-1")))
    assert [c["id"] for c in out] == ["req-1"] and out[0]["choices"] == chunks[0]["choices"]


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({}, set()),
        ({"cache-control": "No-Cache"}, {"no-cache"}),
        ({"cache-control": "max-age=0, no-store"}, {"max-age=0", "no-store"}),
        ({"pragma": "no-cache"}, {"no-cache"}),
    ],
)
def test_client_directives(headers: dict[str, str], expected: set[str]) -> None:
    assert client_directives(headers) == expected


def evaluation(
    *,
    entities: tuple[Entity, ...] = (),
    reasons: tuple[str, ...] = (),
    non_text: tuple[str, ...] = (),
    route: str = "cloud",
    policy: str = "default",
    body: dict[str, Any] | None = None,
) -> Evaluation:
    scan = ScanResult(
        entities=entities, sensitive=bool(entities), reasons=reasons, non_text_parts=non_text
    )
    decision = Decision(
        action="cloud",
        route=route,
        redact=False,
        rule="r",  # type: ignore[arg-type]
        reasons=(),
        entity_types=(),
    )
    return Evaluation(
        body=body or {"model": "m", "messages": [{"role": "user", "content": "hi"}]},
        fields=(),
        scan=scan,
        decision=decision,
        policy=policy,
        complexity=Complexity(0.1, "simple", ()),
        load=None,
        target=Target("cloud", "p1", "m"),
    )


EMAIL = Entity("EMAIL_ADDRESS", 0, 5, 0.9, "messages.0.content")
ALPHA = Identity(key_id="alpha", tenant="acme")


@pytest.mark.parametrize(
    ("ev", "identity", "share", "expected"),
    [
        (evaluation(), ALPHA, "key", ["key", "acme", "alpha"]),
        (evaluation(), ALPHA, "tenant", ["tenant", "acme", ""]),
        (evaluation(), Identity(key_id="solo"), "tenant", ["key", "", "solo"]),
        (evaluation(), None, "key", ["key", "", ""]),
        (evaluation(entities=(EMAIL,)), ALPHA, "tenant", ["key", "acme", "alpha"]),
        (evaluation(entities=(EMAIL,)), None, "key", None),
        (evaluation(non_text=("image_url",)), None, "key", None),
        (evaluation(reasons=("scan_failed",)), ALPHA, "key", None),
    ],
)
def test_scope(
    ev: Evaluation, identity: Identity | None, share: str, expected: list[str] | None
) -> None:
    assert scope_of(ev, identity, share) == expected


def test_key_names_policy_decision_target_and_body() -> None:
    base = key_parts(evaluation(), ["key", "", ""], stream=False)
    assert key_parts(evaluation(policy="other"), ["key", "", ""], stream=False) != base
    assert key_parts(evaluation(route="local"), ["key", "", ""], stream=False) != base
    assert key_parts(evaluation(), ["key", "", ""], stream=True) != base
    other = {"model": "m", "messages": [{"role": "user", "content": "hi!"}]}
    assert key_parts(evaluation(body=other), ["key", "", ""], stream=False) != base
    arm = Assignment("exp", ArmSettings(name="b"))
    assert key_parts(replace(evaluation(), arm=arm), ["key", "", ""], stream=False) != base
    same = {"messages": [{"content": "hi", "role": "user"}], "model": "m"}
    assert key_parts(evaluation(body=same), ["key", "", ""], stream=False) == base


def test_tickets() -> None:
    cache, _, _ = make()
    ev = evaluation()
    t = open_ticket(cache, ev, ALPHA, {})
    assert (t.label, t.hit) == ("miss", None)
    t.store({"choices": []}, stream=False, route="cloud", provider="p1", model="m")
    assert open_ticket(cache, ev, ALPHA, {}).label == "hit"
    assert open_ticket(cache, ev, Identity(key_id="bravo", tenant="acme"), {}).label == "miss"
    assert open_ticket(cache, ev, ALPHA, {"cache-control": "no-cache"}).label == "miss"
    no_store = open_ticket(cache, ev, ALPHA, {"cache-control": "no-store"})
    assert (no_store.label, no_store.key) == ("bypass", None)
    assert open_ticket(cache, evaluation(route="block"), ALPHA, {}).label == "bypass"
