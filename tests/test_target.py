"""pick_target(): who answers a decided request, a pure function tested with tables;
the snapshots it reads; and the target as /v1/route, explain and the daemon show it."""

from __future__ import annotations

import asyncio
import copy
import dataclasses
import inspect
import json
import sqlite3
import typing
from pathlib import Path
from typing import Any

import httpx
import pytest
from fake_provider import make_fake_provider
from privacy_fixtures import shared_scanner
from serving import free_port, serve
from test_routing import _io_free

from edge_router.app import create_app
from edge_router.backends.cloud import CloudProvider
from edge_router.backends.settings import ProviderSettings
from edge_router.config import PolicySettings, Settings
from edge_router.flow.availability import configured, snapshot
from edge_router.lifespan import Overrides, build_state, start, stop
from edge_router.load.probe import FakeLoadProbe
from edge_router.record.audit import AuditLog
from edge_router.record.metrics import Metrics
from edge_router.routing.complexity import ComplexityScorer
from edge_router.routing.decide import Decision, Route
from edge_router.routing.explain import explain_lines, format_row
from edge_router.routing.pipeline import PolicySet, Router
from edge_router.routing.target import (
    Availability,
    ProviderView,
    RunnerView,
    Target,
    pick_local,
    pick_target,
)
from edge_router.state import AppState

LOCAL, OTHER = "smollm2-135m-instruct", "qwen-0.5b"


def decision(route: Route) -> Decision:
    action: Any = {"block": "block", "local": "local", "cloud": "cloud"}[route]
    return Decision(action, route, False, "r", ("default",), ())


def cloud(name: str, **kw: Any) -> ProviderView:
    return ProviderView(name, "cloud", **{"serves": True, "upstream": f"{name}-model", **kw})


def onprem(name: str, **kw: Any) -> ProviderView:
    return ProviderView(name, "on_prem", **{"serves": True, "upstream": f"{name}-model", **kw})


def snap(
    *providers: ProviderView, model: str = "auto", busy: int = 0, other_busy: int = 0
) -> Availability:
    runners = (RunnerView(LOCAL, queue_depth=busy), RunnerView(OTHER, in_flight=other_busy))
    return Availability(model, providers, runners, default_runner=LOCAL)


HERE = Target("local", LOCAL, LOCAL)

CASES: list[tuple[str, Route, Availability, Target | None]] = [
    # block: nobody answers, whatever is up.
    ("block", "block", snap(cloud("a"), onprem("box")), None),
    # cloud: the first available provider serving the model, in config order; the rest
    # that serve it are the fallbacks.
    ("cloud first", "cloud", snap(cloud("a"), cloud("b")), Target("cloud", "a", "a-model", ("b",))),
    (
        "cloud skips an open breaker",
        "cloud",
        snap(cloud("a", available=False), cloud("b"), cloud("c")),
        Target("cloud", "b", "b-model", ("c",)),
    ),
    (
        "cloud skips a provider not serving the model",
        "cloud",
        snap(cloud("a", serves=False), cloud("b")),
        Target("cloud", "b", "b-model"),
    ),
    ("cloud never an on-prem server", "cloud", snap(onprem("box")), None),
    ("cloud with nobody to carry it", "cloud", snap(cloud("a", available=False)), None),
    ("cloud never for a local model's name", "cloud", snap(cloud("a"), model=OTHER), None),
    # local, auto: this machine's default model unless an on-prem server is less busy.
    ("local default", "local", snap(cloud("a")), HERE),
    ("local tie stays here", "local", snap(onprem("box")), HERE),
    (
        "local: a less busy on-prem server",
        "local",
        snap(onprem("box", in_flight=1), busy=2),
        Target("on_prem", "box", "box-model", local_fallback=LOCAL),
    ),
    (
        "local: the least busy server, the first on a tie",
        "local",
        snap(onprem("x", in_flight=2), onprem("y", in_flight=1), onprem("z", in_flight=1), busy=5),
        Target("on_prem", "y", "y-model", local_fallback=LOCAL),
    ),
    ("local: a busier server loses", "local", snap(onprem("box", in_flight=3), busy=2), HERE),
    (
        "local: a server with an open breaker is skipped",
        "local",
        snap(onprem("box", available=False), busy=4),
        HERE,
    ),
    (
        "local: a server that would refuse the model is skipped",
        "local",
        snap(onprem("box", upstream=None), busy=4),
        HERE,
    ),
    ("local: never a cloud provider", "local", snap(cloud("a"), busy=9), HERE),
    # local, a model this machine has: always this machine, however busy.
    (
        "local model by name",
        "local",
        snap(onprem("box"), model=OTHER, other_busy=1),
        Target("local", OTHER, OTHER),
    ),
    # local, a model an on-prem server lists: that server, however busy.
    (
        "on-prem server by name",
        "local",
        snap(onprem("a"), onprem("box", lists=True, in_flight=7), model="big"),
        Target("on_prem", "box", "box-model", local_fallback=LOCAL),
    ),
    (
        "on-prem server by name, breaker open: least busy of the rest",
        "local",
        snap(onprem("box", lists=True, available=False), onprem("a"), model="big", busy=1),
        Target("on_prem", "a", "a-model", local_fallback=LOCAL),
    ),
    # cloud model kept local (sensitive): the local tier, never the cloud that serves it.
    ("cloud model kept local", "local", snap(cloud("a"), model="gpt-4o"), HERE),
]


@pytest.mark.parametrize(
    ("route", "availability", "expected"),
    [c[1:] for c in CASES],
    ids=[c[0] for c in CASES],
)
def test_pick_target(route: Route, availability: Availability, expected: Target | None) -> None:
    assert pick_target(decision(route), availability) == expected


def test_every_local_decision_has_a_local_tier_target() -> None:
    for _, _, availability, _ in CASES:
        target = pick_target(decision("local"), availability)
        assert target is not None and target.kind in ("local", "on_prem")
        assert target == pick_local(availability)
        # On-prem servers hand over to this machine, never to a cloud.
        assert target.fallbacks == ()


def test_pick_target_is_pure_by_construction() -> None:
    params = inspect.signature(pick_target).parameters
    assert list(params) == ["decision", "availability"]
    hints = typing.get_type_hints(pick_target)
    assert hints == {"decision": Decision, "availability": Availability, "return": Target | None}
    problems = [p for tp in (Decision, Availability, Target) for p in _io_free(tp, set(), "")]
    assert problems == []
    before = copy.deepcopy(CASES)
    for _, route, availability, _ in CASES:
        pick_target(decision(route), availability)
    assert before == CASES
    with pytest.raises(dataclasses.FrozenInstanceError):
        CASES[1][2].providers[0].available = False  # type: ignore[misc]


def test_without_counts_failed_providers_out() -> None:
    a = snap(cloud("a"), cloud("b"), onprem("box"))
    assert [p.name for p in a.without({"a"}).providers] == ["b", "box"]
    assert pick_target(decision("cloud"), a.without(["a", "b"])) is None
    assert [p.name for p in a.providers] == ["a", "b", "box"]  # the original is unchanged


def test_target_json() -> None:
    assert HERE.as_dict() == {"kind": "local", "name": LOCAL}
    assert Target("cloud", "a", "m", ("b",)).as_dict() == {
        "kind": "cloud",
        "name": "a",
        "model": "m",
        "fallbacks": ["b"],
    }
    on_prem = Target("on_prem", "box", "m", local_fallback=LOCAL)
    assert on_prem.as_dict() == {
        "kind": "on_prem",
        "name": "box",
        "model": "m",
        "local_fallback": LOCAL,
    }


# -- the snapshots ----------------------------------------------------------------


def _providers() -> tuple[ProviderSettings, ...]:
    def p(name: str, **kw: Any) -> ProviderSettings:
        return ProviderSettings(
            name=name, kind="openai_compatible", base_url="http://127.0.0.1:9/v1", **kw
        )

    return (
        p("listed", models=("gpt-a", "gpt-b"), default_model="gpt-a", model_map={"gpt-b": "b-2"}),
        p("any"),
        p("box", models=("onprem-llm",), trusted_local=True),
        p("box-any", trusted_local=True, default_model=None),
    )


@pytest.mark.parametrize(
    "model", ["auto", "AUTO", "gpt-a", "gpt-b", "b-2", "onprem-llm", LOCAL, "other", "fast"]
)
def test_config_snapshot_matches_the_running_one(settings: Settings, model: str) -> None:
    """explain reads the config; the daemon asks its providers: they must agree."""
    s = settings.model_copy(update={"providers": _providers(), "aliases": {"fast": "gpt-b"}})
    providers = [CloudProvider(p, api_key=None) for p in s.providers]
    try:
        state = AppState(settings=s, providers=list(providers))
        state.runners = {m.name: _IdleRunner() for m in s.local.models}  # type: ignore[misc]
        resolved = "auto" if model.lower() == "auto" else s.aliases.get(model, model)
        assert configured(s)(model) == snapshot(state, resolved)
    finally:
        for p in providers:
            asyncio.run(p.aclose())


class _IdleRunner:
    queue_depth = 0
    in_flight = 0


def test_offline_config_has_no_providers(settings: Settings) -> None:
    s = settings.model_copy(update={"providers": _providers(), "offline": True})
    assert configured(s)("auto").providers == ()


def test_explain_names_the_target(settings: Settings, tmp_path: Path) -> None:
    (tmp_path / "cloudy.yaml").write_text("name: cloudy\ndefault: cloud\n")
    router = Router(shared_scanner(), PolicySet.load(tmp_path, "cloudy"), ComplexityScorer())
    s = settings.model_copy(update={"providers": _providers()})
    models = ("gpt-b", "onprem-llm", LOCAL)
    lines = [json.dumps({"model": m, "text": "Explain tides."}) for m in models]
    to_cloud, any_cloud, here = explain_lines(lines, router, availability=configured(s))
    assert to_cloud["target"] == {
        "kind": "cloud",
        "name": "listed",
        "model": "b-2",
        "fallbacks": ["any"],
    }
    # A provider without a models list takes any name, the on-prem server's too.
    assert any_cloud["target"] == {
        "kind": "cloud",
        "name": "any",
        "model": "onprem-llm",
        "fallbacks": [],
    }
    assert here["route"] == "local" and here["target"] == {"kind": "local", "name": LOCAL}
    assert f"target      this machine: {LOCAL}" in format_row(here)
    assert "target      cloud: listed (b-2), then any" in format_row(to_cloud)
    (plain,) = explain_lines(lines[:1], router)
    assert plain["target"] is None  # no availability given: not guessed


# -- the daemon: /v1/route names the target the request then goes to ---------------


def test_route_reports_the_target_the_daemon_uses(settings: Settings, tmp_path: Path) -> None:
    (tmp_path / "cloudy.yaml").write_text("name: cloudy\ndefault: cloud\n")
    cloud_app, cloud_fake = make_fake_provider()
    box_app, box_fake = make_fake_provider()
    dead = f"http://127.0.0.1:{free_port()}/v1"  # nothing listens: every attempt fails

    def p(name: str, url: str, **kw: Any) -> ProviderSettings:
        return ProviderSettings(
            name=name, kind="openai_compatible", base_url=url, max_retries=0, **kw
        )

    with serve(cloud_app) as curl, serve(box_app) as burl:
        providers = (
            p("p1", dead, models=("gpt-fake",)),
            p("p2", curl + "/v1", models=("gpt-fake",)),
            p("gpu-box", burl + "/v1", models=("onprem-llm",), trusted_local=True),
        )
        s = settings.model_copy(
            update={
                "policy": PolicySettings(dir=str(tmp_path), default="cloudy"),
                "providers": providers,
            }
        )
        with serve(create_app(s, scanner=shared_scanner())) as url:

            def ask(model: str) -> tuple[dict[str, Any], httpx.Response]:
                body = {"model": model, "messages": [{"role": "user", "content": "Say hi."}]}
                routed = httpx.post(url + "/v1/route", json=body, timeout=60).json()
                ran = httpx.post(
                    url + "/v1/chat/completions", json={**body, "max_tokens": 4}, timeout=120
                )
                assert ran.status_code == 200, ran.text
                return routed["target"], ran

            target, r = ask("gpt-fake")
            assert target == {
                "kind": "cloud",
                "name": "p1",
                "model": "gpt-fake",
                "fallbacks": ["p2"],
            }
            # p1 fails: back through decide(), then the fallback /v1/route named.
            assert r.headers["x-edge-router-provider"] == "p2"
            assert r.headers["x-edge-router-fallbacks"] == "1"
            assert cloud_fake.request_count == 1

            target, r = ask("onprem-llm")
            assert target == {
                "kind": "on_prem",
                "name": "gpu-box",
                "model": "onprem-llm",
                "local_fallback": LOCAL,
            }
            assert r.headers["x-edge-router-provider"] == "gpu-box"
            assert r.headers["x-edge-router-route"] == "local"
            assert box_fake.request_count == 1

            target, r = ask(LOCAL)
            assert target == {"kind": "local", "name": LOCAL}
            assert r.headers["x-edge-router-provider"] == "llama"
            assert r.headers["x-edge-router-model"] == LOCAL
    assert cloud_fake.request_count == 1 and box_fake.request_count == 1


# -- build_state: every long-lived part injectable -----------------------------------


def _audited(settings: Settings, tmp_path: Path) -> Settings:
    audit = settings.audit.model_copy(update={"path": str(tmp_path / "audit.sqlite")})
    return settings.model_copy(update={"audit": audit})


def test_build_state_uses_injected_parts_and_leaves_them_open(
    settings: Settings, tmp_path: Path
) -> None:
    s = _audited(settings, tmp_path)
    store = AuditLog.open(s.audit)
    metrics, probe = Metrics(), FakeLoadProbe("busy")
    over = Overrides(scanner=shared_scanner(), runners={}, load=probe, audit=store, metrics=metrics)

    async def run() -> AppState:
        state = await build_state(s, over)
        await start(state, over)
        assert state.ready
        await stop(state, over)
        return state

    try:
        state = asyncio.run(run())
        assert state.audit is store and state.metrics is metrics and state.load is probe
        assert state.router.scanner is shared_scanner()
        assert b"edge_router_local_queue_depth" in metrics.render()
        assert not state.ready
        store.prune()  # still open: the caller's to close
    finally:
        store.close()


def test_built_parts_are_closed_by_stop(settings: Settings, tmp_path: Path) -> None:
    s = _audited(settings, tmp_path)
    over = Overrides(scanner=shared_scanner(), runners={}, load=FakeLoadProbe())

    async def run() -> AppState:
        state = await build_state(s, over)
        await start(state, over)
        await stop(state, over)
        return state

    state = asyncio.run(run())
    assert isinstance(state.audit, AuditLog)
    with pytest.raises(sqlite3.ProgrammingError):
        state.audit.prune()  # the app opened it, so the app closed it


def test_create_app_takes_overrides(settings: Settings, tmp_path: Path) -> None:
    s = _audited(settings, tmp_path)
    store, metrics = AuditLog.open(s.audit), Metrics()
    app = create_app(s, scanner=shared_scanner(), overrides=Overrides(audit=store, metrics=metrics))
    try:
        with serve(app) as url:
            body = {"model": "auto", "messages": [{"role": "user", "content": "Say hi."}]}
            r = httpx.post(
                url + "/v1/chat/completions", json={**body, "max_tokens": 2}, timeout=120
            )
            assert r.status_code == 200
            assert app.state.edge.audit is store
        rows = store.query(limit=None)
        assert [row["request_id"] for row in rows] == [r.headers["x-request-id"]]
        assert b"edge_router_requests_total{" in metrics.render()
    finally:
        store.close()
