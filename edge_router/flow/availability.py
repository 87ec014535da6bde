"""The :class:`~edge_router.routing.target.Availability` snapshot routing picks a target
from: taken from the running router at request time (:func:`snapshot`), or read from
the config alone for ``explain`` (:func:`configured`).

Taking a snapshot reads the providers' breakers, their in-flight counts and the local
queues; it changes nothing.

Example::

    snap = snapshot(state, "auto")
    ev = await state.router.evaluate(body, model="auto", availability=snap)
    ev.target  # who answers, as explain and /v1/route report it
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from typing import Any

from edge_router.backends.base import CloudBackend
from edge_router.backends.settings import ProviderSettings
from edge_router.config import Settings
from edge_router.errors import ModelNotFound
from edge_router.routing.domain import build_classifier
from edge_router.routing.target import Availability, ProviderView, RunnerView, resolve_alias
from edge_router.state import AppState

AUTO = "auto"


def _upstream(p: CloudBackend, model: str) -> str | None:
    try:
        return p.upstream_model(model)
    except ModelNotFound:
        return None


def snapshot(state: AppState, model: str, *, exclude: Collection[str] = ()) -> Availability:
    """What ``state`` can reach for ``model`` now; providers in ``exclude`` (ones that
    failed this request) are counted out."""
    local = model in state.runners
    # A local model's name is never sent out; an on-prem server listing it gets auto.
    sent = AUTO if local else model
    providers = tuple(
        ProviderView(
            p.name,
            "on_prem" if p.trusted_local else "cloud",
            available=p.available,
            serves=p.serves(model),
            lists=model in p.models,
            upstream=_upstream(p, sent),
            in_flight=state.in_flight.get(p.name, 0),
        )
        for p in state.providers
        if p.name not in exclude
    )
    runners = tuple(
        RunnerView(name, r.queue_depth, r.in_flight) for name, r in state.runners.items()
    )
    return Availability(model, providers, runners, state.settings.local.default_model)


def _serves(p: ProviderSettings, model: str) -> bool:
    if model == AUTO:
        return p.default_model is not None
    return not p.models or model in p.models


def _configured_upstream(p: ProviderSettings, model: str) -> str | None:
    if model == AUTO:
        if p.default_model is None:
            return None
        model = p.default_model
    elif p.models and model not in p.models and model not in p.model_map.values():
        return None
    return p.upstream_model(model)


def configured(settings: Settings) -> Callable[[str], Availability]:
    """The snapshot a freshly started daemon with ``settings`` would take: every provider
    available, nothing running. Read from the config alone (no key read, no client
    built), with the same rules as the providers' ``serves`` and ``upstream_model``.
    Takes a model name as sent; an alias is resolved here."""
    local = [m.name for m in settings.local.models]
    providers = () if settings.offline else settings.providers

    def view(model: str) -> Availability:
        model = resolve_alias(settings.aliases, model)
        sent = AUTO if model in local else model
        return Availability(
            model,
            tuple(
                ProviderView(
                    p.name,
                    "on_prem" if p.trusted_local else "cloud",
                    serves=_serves(p, model),
                    lists=model in p.models,
                    upstream=_configured_upstream(p, sent),
                )
                for p in providers
            ),
            tuple(RunnerView(name) for name in local),
            settings.local.default_model,
        )

    return view


def router_options(settings: Settings) -> dict[str, Any]:
    """The parts of the daemon's ``Router`` that come from the config alone, for the
    daemon and ``explain`` both, so the two project, scan and classify a body alike."""
    return {
        # Kept in the projection (and so scanned) when any provider allows them; each
        # provider's builder drops the ones it does not allow.
        "forward_fields": {f for p in settings.providers for f in p.forward_fields},
        "known_models": configured_models(settings),
        "domains": build_classifier(settings.domains),
    }


def configured_models(settings: Settings) -> set[str]:
    """Every model name the operator's config mentions (local, alias and provider names):
    not client data, so the daemon's router and ``explain`` leave them unscanned."""
    names = {m.name for m in settings.local.models}
    names |= {*settings.aliases, *settings.aliases.values()}
    for p in settings.providers:
        names |= {*p.models, *p.model_map, *p.model_map.values()}
        if p.default_model:
            names.add(p.default_model)
    return names
