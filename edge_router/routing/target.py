"""Who answers a decided request: this machine's model, a trusted on-prem server, or a
cloud provider.

:func:`pick_target` is pure: it reads the :class:`~edge_router.routing.decide.Decision`
and an :class:`Availability` snapshot (taken by ``flow`` from the running router, or
from the config for ``explain``) and nothing else. So the dispatcher, ``explain`` and
``POST /v1/route`` name the same target, and tables test the choice. The rules:

- ``block``: no target.
- ``cloud``: the first available cloud provider that serves the model, in config order;
  the other ones that do are the ``fallbacks``. A fallback is only ever tried after a
  fresh decision with the failed provider counted out (see ``flow.dispatch``), so it can
  never carry a prompt the new decision keeps local. No such provider: no target.
- ``local``: an available on-prem server that lists the model by name; else (unless the
  model is one of this machine's) the least busy available on-prem server that takes the
  model, when it is strictly less busy than this machine's model (queue plus running;
  ties stay here); else this machine's model of that name, or the default one. An
  on-prem target carries this machine's model as ``local_fallback``.
- a rule that names a ``provider``: a cloud route goes to that provider only (no
  fallbacks; none if it is down or doesn't serve the model); a local route goes to that
  on-prem server when it is up, else as above.

Example::

    snap = Availability(
        model="auto",
        providers=(ProviderView("openai", "cloud", serves=True, upstream="gpt-4o-mini"),),
        runners=(RunnerView("smollm2-135m-instruct"),),
        default_runner="smollm2-135m-instruct",
    )
    pick_target(decision, snap)  # Target("cloud", "openai", "gpt-4o-mini") when cloud
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass, replace
from typing import Any, Literal

from edge_router.routing.decide import Decision

AUTO = "auto"


def resolve_alias(aliases: Mapping[str, str], model: str) -> str:
    """The name a request is routed by: ``auto`` in any case, an alias's target (the
    config's ``aliases``), or the name as sent. The one resolution the dispatcher,
    ``POST /v1/route``, ``explain`` and the config-only views share, so that a policy's
    ``models:`` condition sees the same name in each.

    Example::

        resolve_alias({"gpt-4o-mini": "auto"}, "gpt-4o-mini")   # "auto"
    """
    if model.lower() == AUTO:
        return AUTO
    return aliases.get(model, model)


TargetKind = Literal["local", "on_prem", "cloud"]


@dataclass(frozen=True)
class ProviderView:
    """One configured provider as routing sees it, for the snapshot's model."""

    name: str
    kind: Literal["on_prem", "cloud"]
    """``on_prem``: a ``trusted_local`` server (the local tier); ``cloud``: off the site."""
    available: bool = True
    """False while its circuit breaker is open."""
    serves: bool = False
    """It takes requests for the model (``auto``: it has a default model)."""
    lists: bool = False
    """It names the model in its own ``models`` list (on-prem servers are chosen by it)."""
    upstream: str | None = None
    """The model name it would be sent; None when it would refuse the model."""
    in_flight: int = 0
    """Requests running on it now."""


@dataclass(frozen=True)
class RunnerView:
    """One of this machine's models and how busy it is."""

    name: str
    queue_depth: int = 0
    in_flight: int = 0

    @property
    def busy(self) -> int:
        return self.queue_depth + self.in_flight


@dataclass(frozen=True)
class Availability:
    """What the router can reach for one request's model, frozen at one moment.

    Built by ``flow`` (``flow.availability``) from the running state; ``providers`` in
    config order.
    """

    model: str
    """The model name the request is routed by (aliases resolved)."""
    providers: tuple[ProviderView, ...] = ()
    runners: tuple[RunnerView, ...] = ()
    default_runner: str = ""
    """This machine's default model (``local.default_model``)."""

    def cloud(self, only: str | None = None) -> tuple[ProviderView, ...]:
        """Cloud providers that would take the model now, in config order (``only``:
        that provider or none)."""
        if any(r.name == self.model for r in self.runners):
            return ()  # a local model's name never goes out
        return tuple(
            p
            for p in self.providers
            if p.kind == "cloud"
            and p.available
            and p.serves
            and p.upstream is not None
            and (only is None or p.name == only)
        )

    def without(self, names: Collection[str]) -> Availability:
        """The same snapshot with the providers ``names`` counted out (they failed)."""
        return replace(self, providers=tuple(p for p in self.providers if p.name not in names))


@dataclass(frozen=True)
class Target:
    """Who answers: ``name`` is a local model (kind ``local``) or a provider.

    Example::

        Target("cloud", "openai", "gpt-4o-mini", fallbacks=("azure",)).as_dict()
    """

    kind: TargetKind
    name: str
    model: str
    """The model that answers: the local model's name, or the upstream model name."""
    fallbacks: tuple[str, ...] = ()
    """Cloud: the providers tried next, each after a fresh decision, in order."""
    local_fallback: str | None = None
    """On-prem: this machine's model, used when the server fails."""

    def as_dict(self) -> dict[str, Any]:
        """The JSON shape in ``explain`` and ``/v1/route`` (no client text: config names)."""
        out: dict[str, Any] = {"kind": self.kind, "name": self.name}
        if self.kind != "local":
            out["model"] = self.model
        if self.kind == "cloud":
            out["fallbacks"] = list(self.fallbacks)
        if self.local_fallback is not None:
            out["local_fallback"] = self.local_fallback
        return out


def pick_target(decision: Decision, availability: Availability) -> Target | None:
    """The target that carries out ``decision`` (see module docstring). Pure."""
    if decision.route == "block":
        return None
    if decision.route == "cloud":
        usable = availability.cloud(decision.provider)
        if not usable:
            return None
        first, *rest = usable
        assert first.upstream is not None  # cloud() keeps only providers that take the model
        return Target("cloud", first.name, first.upstream, fallbacks=tuple(p.name for p in rest))
    return pick_local(availability, decision.provider)


def pick_local(availability: Availability, provider: str | None = None) -> Target:
    """The local tier's target: an on-prem server or this machine's model (``provider``:
    that on-prem server, when it is up)."""
    a = availability
    runners = {r.name: r for r in a.runners}
    mine = a.model in runners
    runner = a.model if mine else a.default_runner
    on_prem = [p for p in a.providers if p.kind == "on_prem" and p.available]
    named = next((p for p in on_prem if p.name == provider and p.upstream is not None), None)
    if named is not None and named.upstream is not None:
        return Target("on_prem", named.name, named.upstream, local_fallback=runner)
    # A model an on-prem server lists by name goes to that server; otherwise (auto, or a
    # cloud model kept local) the least busy member of the local tier answers.
    chosen = next((p for p in on_prem if p.lists and p.upstream is not None), None)
    if chosen is None and not mine:
        busy = runners[runner].busy if runner in runners else 0
        for p in on_prem:
            if p.upstream is None or p.in_flight >= busy:
                continue
            if chosen is None or p.in_flight < chosen.in_flight:
                chosen = p
    if chosen is None or chosen.upstream is None:
        return Target("local", runner, runner)
    return Target("on_prem", chosen.name, chosen.upstream, local_fallback=runner)
