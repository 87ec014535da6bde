"""Pricing, budget periods and spending, the budget in ``decide()``, and their config."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from edge_router.api.auth import ApiKey, AuthSettings, Tenant, hash_key
from edge_router.backends.settings import ProviderSettings
from edge_router.config import ConfigError, load_settings
from edge_router.flow.budget import Budgets, answer_cost, period_end, period_start, strip_usage
from edge_router.privacy.types import ScanResult, TextField
from edge_router.record.audit import AuditLog, AuditRecord
from edge_router.record.costs import (
    Budget,
    ModelPrice,
    Pricer,
    PricingSettings,
    unpriced_cloud_models,
)
from edge_router.routing.decide import RouteContext, decide
from edge_router.routing.pipeline import Identity
from edge_router.routing.policy import parse_policy
from edge_router.routing.reasons import lookup

HASH = hash_key("er-test-key-0123456789")
USAGE = {"prompt_tokens": 1000, "completion_tokens": 500}


def cloud(name: str, **kw: Any) -> ProviderSettings:
    return ProviderSettings(
        name=name, kind="openai_compatible", base_url="http://127.0.0.1:9/v1", **kw
    )


PROVIDERS = (
    cloud("onprem", trusted_local=True, models=("big",), default_model="big"),
    cloud("first", models=("fast", "smart"), default_model="fast", model_map={"fast": "fast-v2"}),
    cloud("second", models=("fast",), default_model="fast"),
)
PRICING = PricingSettings(
    models={
        "fast-v2": ModelPrice(input=1.0, output=2.0),
        "second/fast": ModelPrice(input=3.0, output=6.0),
        "local-x": ModelPrice(input=0.1, output=0.1),
    }
)


def test_cloud_cost_is_priced_per_million_tokens() -> None:
    p = Pricer(PRICING, PROVIDERS)
    assert p.cost("cloud", "first", "fast-v2", USAGE) == pytest.approx(0.002)
    # provider/model wins over the bare id (the same id can cost differently elsewhere)
    assert p.cost("cloud", "second", "fast", USAGE) == pytest.approx(0.006)


def test_refusals_cost_nothing_but_a_reply_refused_after_it_ran_is_priced() -> None:
    p = Pricer(PRICING, PROVIDERS)
    kw: dict[str, Any] = {"route": "cloud", "provider": "first", "model": "fast-v2"}
    kw.update(endpoint="chat", cache=None)
    assert answer_cost(p, status=200, usage=USAGE, **kw) == pytest.approx(0.002)
    # Refused before anything ran (no usage): nothing to price.
    assert answer_cost(p, status=403, usage=None, **kw) is None
    # The reply guard refused an answer the provider gave (and charged for).
    assert answer_cost(p, status=403, usage=USAGE, **kw) == pytest.approx(0.002)
    assert answer_cost(p, status=200, usage=USAGE, **{**kw, "cache": "hit"}) == 0.0


def test_unknown_cloud_cost_is_none_and_local_defaults_to_zero() -> None:
    p = Pricer(PRICING, PROVIDERS)
    assert p.cost("cloud", "first", "smart", USAGE) is None  # unpriced
    assert p.cost("cloud", "first", "fast-v2", None) is None  # no usage
    assert p.cost("local", "llama", "smollm2", USAGE) == 0.0  # unpriced local
    assert p.cost("local", "onprem", "big", USAGE) == 0.0  # trusted on-prem server
    assert p.cost("local", "llama", "local-x", USAGE) == pytest.approx(0.00015)
    assert p.cost("local", "llama", "local-x", None) is None  # priced, tokens unknown
    assert p.cost("block", None, None, USAGE) is None


def test_baseline_is_the_model_auto_goes_to_in_the_cloud() -> None:
    p = Pricer(PRICING, PROVIDERS)
    assert p.baseline is not None
    assert p.baseline.model == "fast-v2"  # first non-trusted provider, after model_map
    assert p.avoided(USAGE) == pytest.approx(0.002)
    pinned = Pricer(PRICING.model_copy(update={"baseline_model": "local-x"}), PROVIDERS)
    assert pinned.baseline is not None and pinned.baseline.model == "local-x"
    assert Pricer(PricingSettings(), PROVIDERS).avoided(USAGE) is None


def test_unpriced_cloud_models_are_named() -> None:
    assert unpriced_cloud_models(PRICING, PROVIDERS) == ["first/smart"]


def test_price_key_is_a_bounded_label() -> None:
    p = Pricer(PRICING, PROVIDERS)
    assert p.price_key("second", "fast") == "second/fast"
    assert p.price_key("first", "fast-v2") == "fast-v2"
    assert p.price_key("first", "client-chosen-name") == "unpriced"


def test_periods_are_utc_days_and_calendar_months() -> None:
    now = datetime(2026, 12, 31, 23, 30, tzinfo=UTC).timestamp()
    assert period_start("day", now) == datetime(2026, 12, 31, tzinfo=UTC).timestamp()
    assert period_end("day", now) == datetime(2027, 1, 1, tzinfo=UTC).timestamp()
    assert period_start("month", now) == datetime(2026, 12, 1, tzinfo=UTC).timestamp()
    assert period_end("month", now) == datetime(2027, 1, 1, tzinfo=UTC).timestamp()


def auth(**budgets: Budget) -> AuthSettings:
    keys = tuple(ApiKey(id=kid, hash=HASH, tenant="acme", budget=b) for kid, b in budgets.items())
    return AuthSettings(keys=keys, tenants={"acme": Tenant(budget=Budget(monthly_usd=10))})


def test_budget_verdicts_follow_spending() -> None:
    now = datetime(2026, 5, 10, 12, tzinfo=UTC).timestamp()
    b = Budgets(auth(k=Budget(daily_usd=1.0, on_budget="refuse")), now=now)
    who = Identity(key_id="k", tenant="acme")
    assert b.check(who, now=now) is None
    b.add("k", "acme", 0.6, now=now)
    assert b.check(who, now=now) is None
    b.add("k", "acme", 0.6, now=now)
    v = b.check(who, now=now)
    assert v is not None and (v.scope, v.period, v.action) == ("key", "day", "refuse")
    assert "API key 'k' has spent $1.2000 of its $1.00 daily budget" in v.message()
    err = v.error(now)
    assert (err.status, err.code) == (429, "budget_exceeded")
    assert err.headers["Retry-After"] == str(12 * 3600)
    # the next UTC day starts at 0
    tomorrow = now + 86400
    assert b.check(who, now=tomorrow) is None
    assert b.check(None, now=now) is None


def test_tenant_budget_and_refusal_wins_over_local() -> None:
    now = datetime(2026, 5, 10, 12, tzinfo=UTC).timestamp()
    b = Budgets(auth(k=Budget(daily_usd=1.0), j=Budget()), now=now)
    b.add("k", "acme", 10.0, now=now)
    v = b.check(Identity(key_id="j", tenant="acme"), now=now)
    assert v is not None and (v.scope, v.name, v.action) == ("tenant", "acme", "local")
    mixed = Budgets(
        AuthSettings(
            keys=(ApiKey(id="k", hash=HASH, tenant="t", budget=Budget(daily_usd=1)),),
            tenants={"t": Tenant(budget=Budget(daily_usd=1, on_budget="refuse"))},
        ),
        now=now,
    )
    mixed.add("k", "t", 2.0, now=now)
    v = mixed.check(Identity(key_id="k", tenant="t"), now=now)
    assert v is not None and (v.scope, v.action) == ("tenant", "refuse")


def test_spending_is_read_back_from_the_audit_trail(tmp_path: Path) -> None:
    log = AuditLog(tmp_path / "audit.sqlite")
    now = datetime.now(UTC).timestamp()
    for ts, key, usd in ((now, "k", 0.5), (now, "k", 0.25), (now - 40 * 86400, "k", 100.0)):
        rec = AuditRecord(request_id="r", route="cloud", status=200, ts=ts, key_id=key)
        log.record_sync(AuditRecord(**{**rec.__dict__, "tenant": "acme", "cost_usd": usd}))
    log.record_sync(AuditRecord(request_id="r", route="local", status=200, key_id="k"))
    b = Budgets.load(auth(k=Budget(daily_usd=1.0)), log)
    assert b.spent("key", "k", "day") == pytest.approx(0.75)
    assert b.spent("tenant", "acme", "month") == pytest.approx(0.75)
    assert b.check(Identity(key_id="k", tenant="acme")) is None
    b.add("k", "acme", 0.25)
    assert b.check(Identity(key_id="k", tenant="acme")) is not None
    log.close()


def ctx(**kw: Any) -> RouteContext:
    return RouteContext(
        scan=ScanResult(),
        texts=(TextField("messages[0].content", "hello"),),
        model="auto",
        cloud_available=True,
        **kw,
    )


@pytest.mark.parametrize(
    ("action", "over", "route", "reason"),
    [
        ("cloud", "local", "local", "budget_local"),
        ("redact", "local", "local", "budget_local"),
        ("local", "local", "local", "default"),
        ("cloud", "refuse", "block", "budget_refused"),
        ("local", "refuse", "block", "budget_refused"),
        ("block", "refuse", "block", "default"),
        ("cloud", None, "cloud", "default"),
    ],
)
def test_decide_applies_the_budget(action: str, over: Any, route: str, reason: str) -> None:
    d = decide(ctx(over_budget=over), parse_policy(f"default: {action}\n"))
    assert d.route == route
    assert reason in d.reasons
    assert not d.redact or route == "cloud"


def test_budget_reasons_are_documented() -> None:
    for code in ("budget_local", "budget_refused"):
        assert lookup(code) is not None


def test_strip_usage_hides_what_the_client_did_not_ask_for() -> None:
    chunks = [
        {"choices": [{"delta": {"content": "hi"}}], "usage": None},
        {"choices": [], "usage": {"prompt_tokens": 3, "completion_tokens": 1}},
    ]
    seen: list[Any] = []

    async def source() -> Any:
        for c in chunks:
            yield c

    async def run() -> list[Any]:
        return [c async for c in strip_usage(source(), seen.append)]

    assert asyncio.run(run()) == [{"choices": [{"delta": {"content": "hi"}}]}]
    assert seen == [{"prompt_tokens": 3, "completion_tokens": 1}]


def write(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


KEY_YAML = f"""
auth:
  keys:
    - id: ci
      hash: '{HASH}'
      tenant: acme
      budget: {{daily_usd: 5, monthly_usd: 50, on_budget: refuse}}
"""


def test_config_takes_budgets_and_prices(tmp_path: Path) -> None:
    s = load_settings(
        write(
            tmp_path / "c.yaml",
            KEY_YAML
            + "  tenants:\n    acme: {budget: {monthly_usd: 100}}\n"
            + "pricing:\n  models: {gpt-x: {input: 0.15, output: 0.6}}\n"
            + f"audit: {{path: {tmp_path / 'a.sqlite'}}}\n",
        )
    )
    assert s.auth.keys[0].budget == Budget(daily_usd=5, monthly_usd=50, on_budget="refuse")
    assert s.auth.tenants["acme"].budget.monthly_usd == 100
    assert s.pricing.models["gpt-x"] == ModelPrice(input=0.15, output=0.6)


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ("audit: {enabled: false}\n", "budgets need audit.enabled"),
        ("audit: {retention_days: 7}\n", "shorter than a budget period"),
        ("  tenants:\n    nobody: {budget: {daily_usd: 1}}\n", "no key belongs to"),
        ("pricing: {baseline_model: gpt-x}\n", "no price in pricing.models"),
        ("pricing:\n  models: {gpt-x: {input: -1, output: 0}}\n", "greater than or equal"),
    ],
)
def test_config_refuses_budgets_that_cannot_hold(tmp_path: Path, extra: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        load_settings(write(tmp_path / "c.yaml", KEY_YAML + extra))


def test_daily_budgets_allow_short_retention(tmp_path: Path) -> None:
    text = KEY_YAML + "audit: {retention_days: 7}\n"
    text = text.replace("monthly_usd: 50", "monthly_usd: null")
    load_settings(write(tmp_path / "c.yaml", text))


def test_sync_counts_other_routers_and_never_lowers(tmp_path: Path) -> None:
    """Routers sharing a trail (audit.url) re-read it: each counts the others' spending;
    its own answers not yet in the trail are not forgotten."""
    log = AuditLog(tmp_path / "audit.sqlite")
    b = Budgets.load(auth(k=Budget(daily_usd=1.0)), log)
    b.add("k", "acme", 0.2)  # this router's answer, still on its way to the trail
    assert b.spent("key", "k", "day") == pytest.approx(0.2)
    other = AuditRecord(
        request_id="r", route="cloud", status=200, key_id="k", tenant="acme", cost_usd=0.9
    )
    log.record_sync(other)  # another router's answer
    b.watch(log, every_s=0.05)
    deadline = time.monotonic() + 10
    while b.spent("key", "k", "day") < 0.9 and time.monotonic() < deadline:
        time.sleep(0.02)
    b.close()
    assert b.spent("key", "k", "day") == pytest.approx(0.9)  # max(own 0.2, trail 0.9)
    b.add("k", "acme", 0.2)
    b.sync(log)
    assert b.spent("key", "k", "day") == pytest.approx(1.1)  # not lowered to the trail's 0.9
    assert b.check(Identity(key_id="k", tenant="acme")) is not None
    log.close()
