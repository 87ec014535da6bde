"""Costs and budgets end to end: the daemon (real model, real scanner, API keys with
budgets) in front of a fake provider on 127.0.0.1, driven by the official SDKs. Costs
are read back from the audit trail; budgets are exercised to their limit, across a
restart, and through ``edge-router audit --costs``."""

from __future__ import annotations

import contextlib
import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import anthropic
import httpx
import openai
import pytest
import yaml
from audit_wait import audit_row
from fake_provider import FakeControl
from privacy_fixtures import shared_scanner
from serving import serve

from edge_router.api.auth import ApiKey, AuthSettings, Tenant, hash_key
from edge_router.app import create_app
from edge_router.backends.settings import ProviderSettings
from edge_router.config import PolicySettings, Settings
from edge_router.record.audit import AuditSettings
from edge_router.record.audit_cli import audit_cli
from edge_router.record.audit_query import AuditReader
from edge_router.record.costs import Budget, ModelPrice, PricingSettings

LOCAL = "smollm2-135m-instruct"
# Steep prices, so one short request costs a visible amount (USD per million tokens).
CLOUD_PRICE = ModelPrice(input=2000.0, output=4000.0)
LOCAL_PRICE = ModelPrice(input=10.0, output=20.0)
TINY = 0.001  # one cloud request of a few tokens costs more than this
KEYS: dict[str, tuple[str, str | None, Budget]] = {  # id -> (key, tenant, budget)
    "free": ("er-free-0123456789abcdef0123456789", None, Budget()),
    "refuser": (
        "er-refuser-0123456789abcdef01234567",
        None,
        Budget(daily_usd=TINY, on_budget="refuse"),
    ),
    "saver": (
        "er-saver-0123456789abcdef012345678",
        None,
        Budget(monthly_usd=TINY, on_budget="local"),
    ),
    "team1": ("er-team1-0123456789abcdef012345678", "globex", Budget()),
    "team2": ("er-team2-0123456789abcdef012345678", "globex", Budget()),
    "durable": (
        "er-durable-0123456789abcdef01234567",
        None,
        Budget(daily_usd=TINY, on_budget="refuse"),
    ),
}
TENANTS = {"globex": Tenant(budget=Budget(daily_usd=TINY, on_budget="refuse"))}
PROMPT = "Name three primary colours please."


@pytest.fixture(scope="module")
def policy_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    d = tmp_path_factory.mktemp("policies")
    (d / "cloudy.yaml").write_text("name: cloudy\ndefault: cloud\n")
    return d


def make_settings(settings: Settings, policy_dir: Path, furl: str, audit_path: Path) -> Settings:
    provider = ProviderSettings(
        name="p1",
        kind="openai_compatible",
        base_url=furl + "/v1",
        models=("gpt-fake",),
        default_model="gpt-fake",
        max_retries=0,
    )
    keys = tuple(
        ApiKey(id=kid, hash=hash_key(key), tenant=tenant, budget=budget)
        for kid, (key, tenant, budget) in KEYS.items()
    )
    return settings.model_copy(
        update={
            "policy": PolicySettings(dir=str(policy_dir), default="cloudy"),
            "providers": (provider,),
            "auth": AuthSettings(require_auth=True, keys=keys, tenants=TENANTS),
            "audit": AuditSettings(path=str(audit_path)),
            "pricing": PricingSettings(models={"gpt-fake": CLOUD_PRICE, LOCAL: LOCAL_PRICE}),
        }
    )


@pytest.fixture(scope="module")
def costed(
    settings: Settings,
    policy_dir: Path,
    fake: tuple[str, FakeControl],
    tmp_path_factory: pytest.TempPathFactory,
) -> Settings:
    audit = tmp_path_factory.mktemp("budget-state") / "audit.sqlite"
    return make_settings(settings, policy_dir, fake[0], audit)


@pytest.fixture(scope="module")
def daemon(costed: Settings) -> Iterator[str]:
    with serve(create_app(costed, scanner=shared_scanner())) as url:
        yield url


def oa(url: str, who: str) -> openai.OpenAI:
    return openai.OpenAI(base_url=url + "/v1", api_key=KEYS[who][0], max_retries=0)


def ask(url: str, who: str, model: str = "gpt-fake", **kw: Any) -> Any:
    # The client is closed at once (the raw response is read whole), so no pooled socket
    # is left for the garbage collector to warn about in a later test.
    with oa(url, who) as client:
        return client.chat.completions.with_raw_response.create(
            model=model, messages=[{"role": "user", "content": PROMPT}], max_tokens=8, **kw
        )


def priced(price: ModelPrice, usage: Any) -> float:
    return price.cost(usage.prompt_tokens, usage.completion_tokens)


def test_cloud_cost_comes_from_provider_usage(
    daemon: str, costed: Settings, control: FakeControl
) -> None:
    raw = ask(daemon, "free")
    completion = raw.parse()
    assert raw.headers["x-edge-router-route"] == "cloud"
    row = audit_row(costed, raw.headers["x-request-id"])
    assert row["cost_usd"] == pytest.approx(priced(CLOUD_PRICE, completion.usage))
    assert row["cost_usd"] > TINY
    assert len(control.received) == 1


def test_streamed_cloud_answer_is_priced_without_showing_usage(
    daemon: str, costed: Settings, control: FakeControl
) -> None:
    """The client did not ask for usage: the router asks the provider for it (to price
    the answer) and keeps it out of the client's stream."""
    with oa(daemon, "free").chat.completions.with_streaming_response.create(
        model="gpt-fake", messages=[{"role": "user", "content": PROMPT}], stream=True
    ) as response:
        request_id = response.headers["x-request-id"]
        chunks = list(response.parse())
    assert chunks and all(c.usage is None and c.choices for c in chunks)
    assert control.received[-1]["stream_options"] == {"include_usage": True}
    row = audit_row(costed, request_id)
    assert row["prompt_tokens"] and row["completion_tokens"]
    expected = (
        row["prompt_tokens"] * CLOUD_PRICE.input + row["completion_tokens"] * CLOUD_PRICE.output
    ) / 1e6
    assert row["cost_usd"] == pytest.approx(expected)


def test_local_answer_costs_the_operator_set_figure(daemon: str, costed: Settings) -> None:
    ask(daemon, "free")  # and one cloud answer, for the metrics
    raw = ask(daemon, "free", model=LOCAL)
    completion = raw.parse()
    assert raw.headers["x-edge-router-route"] == "local"
    row = audit_row(costed, raw.headers["x-request-id"])
    assert row["cost_usd"] == pytest.approx(priced(LOCAL_PRICE, completion.usage))
    metrics = httpx.get(
        daemon + "/metrics", headers={"authorization": f"Bearer {KEYS['free'][0]}"}
    ).text
    assert (
        f'edge_router_cost_usd_total{{model="{LOCAL}",provider="llama",route="local"}}' in metrics
    )
    assert 'edge_router_cost_usd_total{model="gpt-fake",provider="p1",route="cloud"}' in metrics
    assert "edge_router_cost_avoided_usd_total" in metrics
    cost_lines = [line for line in metrics.splitlines() if line.startswith("edge_router_cost")]
    assert cost_lines and not any("free" in line for line in cost_lines)  # no key ids


def test_budget_refuses_at_the_limit_with_429(
    daemon: str, costed: Settings, control: FakeControl
) -> None:
    first = ask(daemon, "refuser")  # admitted below the limit; its cost crosses it
    assert first.http_response.status_code == 200
    with pytest.raises(openai.RateLimitError) as caught:
        ask(daemon, "refuser")
    err = caught.value
    assert err.status_code == 429
    assert err.code == "budget_exceeded"
    assert "Budget exhausted: API key 'refuser'" in err.message
    assert "daily budget" in err.message
    assert err.response.headers["x-should-retry"] == "false"
    assert 0 < int(err.response.headers["retry-after"]) <= 86400
    assert len(control.received) == 1  # the refused request went nowhere
    row = audit_row(costed, err.response.headers["x-request-id"])
    assert (row["status"], row["route"], row["cost_usd"]) == (429, "block", None)
    assert "budget_refused" in row["reasons"]
    # /v1/embeddings honours the same spent budget (it is refused before any model runs).
    with oa(daemon, "refuser") as client, pytest.raises(openai.RateLimitError) as embed:
        client.embeddings.create(model="smollm2-135m-embed", input="three colours")
    assert embed.value.code == "budget_exceeded"
    row = audit_row(costed, embed.value.response.headers["x-request-id"])
    assert (row["status"], row["endpoint"]) == (429, "embeddings")


def test_budget_refusal_is_anthropic_shaped_on_the_messages_api(daemon: str) -> None:
    client = anthropic.Anthropic(base_url=daemon, api_key=KEYS["refuser"][0], max_retries=0)
    with contextlib.suppress(anthropic.RateLimitError):  # spent here, unless already
        client.messages.create(
            model="gpt-fake", max_tokens=8, messages=[{"role": "user", "content": PROMPT}]
        )
    with pytest.raises(anthropic.RateLimitError) as caught:
        client.messages.create(
            model="gpt-fake", max_tokens=8, messages=[{"role": "user", "content": PROMPT}]
        )
    body = caught.value.body
    assert isinstance(body, dict)
    assert body["type"] == "error"
    assert body["error"]["type"] == "rate_limit_error"
    assert "Budget exhausted" in body["error"]["message"]


def test_on_budget_local_keeps_requests_local(
    daemon: str, costed: Settings, control: FakeControl
) -> None:
    first = ask(daemon, "saver")
    assert first.headers["x-edge-router-route"] == "cloud"
    second = ask(daemon, "saver")
    assert second.http_response.status_code == 200
    assert second.headers["x-edge-router-route"] == "local"
    assert "budget_local" in second.headers["x-edge-router-reasons"].split(",")
    assert len(control.received) == 1
    row = audit_row(costed, second.headers["x-request-id"])
    assert row["route"] == "local" and "budget_local" in row["reasons"]


def test_tenant_budget_is_shared_by_its_keys(daemon: str, control: FakeControl) -> None:
    assert ask(daemon, "team1").http_response.status_code == 200
    with pytest.raises(openai.RateLimitError) as caught:
        ask(daemon, "team2")
    assert "tenant 'globex'" in caught.value.message
    assert len(control.received) == 1


def test_budget_survives_a_restart(costed: Settings, control: FakeControl) -> None:
    with serve(create_app(costed, scanner=shared_scanner())) as url:
        assert ask(url, "durable").http_response.status_code == 200
    assert len(control.received) == 1
    # A fresh daemon on the same audit trail: the spending is read back.
    app = create_app(costed, scanner=shared_scanner())
    with serve(app) as url, pytest.raises(openai.RateLimitError):
        ask(url, "durable")
    assert len(control.received) == 1


def test_audit_cli_reports_costs_and_cost_avoided(
    daemon: str, costed: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ask(daemon, "free", model=LOCAL)  # at least one local answer to price at the baseline
    with contextlib.suppress(openai.RateLimitError):  # and a tenant's (refused or not)
        ask(daemon, "team1")
    config = tmp_path / "config.yaml"
    config.write_text(
        yaml.safe_dump(
            {
                "audit": {"path": costed.audit.path},
                "providers": [
                    p.model_dump(mode="json", exclude_defaults=True) for p in costed.providers
                ],
                "pricing": costed.pricing.model_dump(mode="json"),
            }
        )
    )
    out = io.StringIO()
    assert audit_cli(["--config", str(config), "--costs", "--format", "json"], out=out) == 0
    report = json.loads(out.getvalue())
    rows = list(AuditReader(costed.audit.resolve_path()).query(limit=None))
    by_key = {r["key_id"]: r for r in report["by_key"]}
    spent = sum(r["cost_usd"] or 0 for r in rows if r["key_id"] == "free")
    assert by_key["free"]["cost_usd"] == pytest.approx(spent)
    assert {r["tenant"] for r in report["by_tenant"]} >= {"globex"}
    routes = {(r["route"], r["provider"], r["model"]) for r in report["by_route"]}
    assert ("cloud", "p1", "gpt-fake") in routes and ("local", "llama", LOCAL) in routes
    assert report["total"]["cost_usd"] == pytest.approx(sum(r["cost_usd"] or 0 for r in rows))
    avoided = report["avoided"]
    local = [
        r for r in rows if r["route"] == "local" and r["status"] == 200 and r["endpoint"] == "chat"
    ]
    assert avoided["local_answers"] == len(local) > 0
    pt = sum(r["prompt_tokens"] for r in local)
    ct = sum(r["completion_tokens"] for r in local)
    assert avoided["baseline_model"] == "gpt-fake"
    assert avoided["cost_usd"] == pytest.approx(
        (pt * CLOUD_PRICE.input + ct * CLOUD_PRICE.output) / 1e6
    )
    table = io.StringIO()
    assert audit_cli(["--config", str(config), "--costs"], out=table) == 0
    text = table.getvalue()
    assert "spending by key" in text and "spending by tenant" in text
    assert "cost avoided: $" in text and "at gpt-fake" in text
    # The trail alone has no prices: spending is reported, cost avoided is not guessed.
    monkeypatch.delenv("EDGE_ROUTER_CONFIG", raising=False)
    bare = io.StringIO()
    assert audit_cli(["--db", str(costed.audit.path), "--costs"], out=bare) == 0
    assert "spending by route" in bare.getvalue()
    assert "cost avoided: unknown" in bare.getvalue()
