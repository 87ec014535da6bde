"""What a request cost: model prices, budgets' settings, and the cost of one answer.

Prices are USD per million tokens, keyed by the model id the audit's ``model`` column
holds: the upstream id a provider is sent (after its ``model_map``), or a local model's
name. ``provider/model`` prices a model at one provider only (the same id can cost
differently at two). A model on the local tier (this machine, or a ``trusted_local``
server) costs 0 unless priced; a cloud model without a price has an unknown cost
(``None``), which budgets cannot count, so :func:`unpriced_cloud_models` names them at
startup.

"Cost avoided" prices what the local tier served at the *baseline* model:
``pricing.baseline_model`` when set, else the model ``auto`` is sent to when it goes
to the cloud (the first provider in config order that is not ``trusted_local`` and
has a ``default_model``, after its ``model_map``). Local token counts come from the
local tokenizer, so the figure is an estimate.

Example::

    pricer = Pricer(PricingSettings(models={"gpt-4o-mini": ModelPrice(input=0.15, output=0.6)}))
    pricer.cost("cloud", "openai", "gpt-4o-mini", {"prompt_tokens": 1000,
                                                   "completion_tokens": 100})  # 0.00021
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal, Protocol

from pydantic import Field, field_validator

from edge_router.frozen import Frozen

MILLION = 1_000_000


class ModelPrice(Frozen):
    """One model's price: USD per million tokens."""

    input: float = Field(ge=0)
    """USD per million prompt (input) tokens."""
    output: float = Field(ge=0)
    """USD per million completion (output) tokens."""

    def cost(self, prompt_tokens: int, completion_tokens: int) -> float:
        return (prompt_tokens * self.input + completion_tokens * self.output) / MILLION

    def label(self) -> str:
        return f"${self.input:g}/${self.output:g} per M tokens in/out"


class PricingSettings(Frozen):
    """The ``pricing:`` section of the config file."""

    models: dict[str, ModelPrice] = Field(default_factory=dict)
    """Prices by model id, each `{input: USD per million prompt tokens, output: USD per
    million completion tokens}`. The id is what the audit's `model` column shows: the
    upstream id a provider is sent (after `model_map`) or a local model's name;
    `provider/model` prices it at that provider only. Local models (and `trusted_local`
    servers) cost 0 unless listed; a cloud model not listed has an unknown cost, which
    budgets cannot count (the daemon warns at startup)."""
    baseline_model: str | None = None
    """Model id (priced in `models`) that "cost avoided" prices local answers at. Null:
    the model `auto` goes to in the cloud, i.e. the first provider that is not
    `trusted_local` and has a `default_model` (after its `model_map`)."""

    @field_validator("baseline_model")
    @classmethod
    def _baseline_priced(cls, v: str | None, info: Any) -> str | None:
        models = info.data.get("models")
        if v is not None and models is not None and v not in models:
            raise ValueError(f"baseline_model {v!r} has no price in pricing.models")
        return v


BudgetAction = Literal["local", "refuse"]


class Budget(Frozen):
    """A spending limit for one API key or tenant, in USD per UTC day and month."""

    daily_usd: float | None = Field(default=None, ge=0)
    """Most this may spend per UTC day (null = no daily limit)."""
    monthly_usd: float | None = Field(default=None, ge=0)
    """Most this may spend per UTC calendar month (null = no monthly limit)."""
    on_budget: BudgetAction = "local"
    """Once spent reaches a limit, until the period ends: `local` keeps every request on
    the local tier (reason `budget_local`); `refuse` answers 429 (`budget_exceeded`).
    Spending counts priced local models too."""

    @property
    def limited(self) -> bool:
        return self.daily_usd is not None or self.monthly_usd is not None


class _Provider(Protocol):
    """What pricing reads of a provider's settings (``backends.settings``)."""

    @property
    def name(self) -> str: ...
    @property
    def trusted_local(self) -> bool: ...
    @property
    def default_model(self) -> str | None: ...
    @property
    def models(self) -> tuple[str, ...]: ...
    def upstream_model(self, client_model: str) -> str: ...


@dataclass(frozen=True)
class Baseline:
    """The model "cost avoided" is priced at."""

    model: str
    price: ModelPrice


def _tokens(usage: Mapping[str, Any] | None) -> tuple[int, int] | None:
    if not usage:
        return None
    pt, ct = usage.get("prompt_tokens"), usage.get("completion_tokens")
    if not isinstance(pt, int) or isinstance(pt, bool):
        return None
    ct = ct if isinstance(ct, int) and not isinstance(ct, bool) else 0
    return max(pt, 0), max(ct, 0)


class Pricer:
    """Prices requests from :class:`PricingSettings` and the providers' settings."""

    def __init__(self, pricing: PricingSettings, providers: Sequence[_Provider] = ()) -> None:
        self.pricing = pricing
        self.baseline = _baseline(pricing, providers)

    def price(self, provider: str | None, model: str | None) -> ModelPrice | None:
        if model is None:
            return None
        models = self.pricing.models
        return models.get(f"{provider}/{model}") or models.get(model)

    def price_key(self, provider: str | None, model: str | None) -> str:
        """The ``pricing.models`` key that prices this model (a bounded metric label)."""
        if model is not None and f"{provider}/{model}" in self.pricing.models:
            return f"{provider}/{model}"
        return model if model in self.pricing.models else "unpriced"

    def cost(
        self,
        route: str,
        provider: str | None,
        model: str | None,
        usage: Mapping[str, Any] | None,
    ) -> float | None:
        """USD for one answer: the priced tokens, 0 on the local tier unless priced,
        None when a cloud answer's price or token counts are unknown."""
        price = self.price(provider, model)
        tokens = _tokens(usage)
        if route == "local" and price is None:
            return 0.0
        if route not in ("local", "cloud") or price is None or tokens is None:
            return None
        return price.cost(*tokens)

    def avoided(self, usage: Mapping[str, Any] | None) -> float | None:
        """What a local answer's tokens would have cost at the baseline model."""
        tokens = _tokens(usage)
        if self.baseline is None or tokens is None:
            return None
        return self.baseline.price.cost(*tokens)


def _baseline(pricing: PricingSettings, providers: Sequence[_Provider]) -> Baseline | None:
    if pricing.baseline_model is not None:
        return Baseline(pricing.baseline_model, pricing.models[pricing.baseline_model])
    for p in providers:
        if p.trusted_local or p.default_model is None:
            continue
        model = p.upstream_model(p.default_model)
        price = pricing.models.get(f"{p.name}/{model}") or pricing.models.get(model)
        return Baseline(model, price) if price is not None else None
    return None


def unpriced_cloud_models(pricing: PricingSettings, providers: Sequence[_Provider]) -> list[str]:
    """``provider/model`` for every model a cloud provider lists (or defaults to) that
    has no price: their cost is unknown and budgets cannot count it."""
    pricer = Pricer(pricing)
    out = []
    for p in providers:
        if p.trusted_local:
            continue
        names = dict.fromkeys([*p.models, *([p.default_model] if p.default_model else [])])
        for name in names:
            model = p.upstream_model(name)
            if pricer.price(p.name, model) is None:
                out.append(f"{p.name}/{model}")
    return out
