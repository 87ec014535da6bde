"""What a running router holds, built once per lifespan: :func:`build_state`, then
:func:`start` and :func:`stop`.

``build_state`` constructs every long-lived part (scanner, local models, embedders,
providers, load sampler, router, audit store, metrics) and returns the
:class:`~edge_router.state.AppState` request handlers reach through
``request.app.state.edge``. ``start`` loads the models and starts the sampler; ``stop``
closes what the app built. Parts handed in through :class:`Overrides` (tests, benches)
are the caller's: the app neither starts nor closes them (runners not yet loaded
excepted: they are loaded, never closed).

Example::

    state = await build_state(settings, Overrides(scanner=scanner, load=FakeLoadProbe()))
    await start(state, overrides)
    ...
    await stop(state, overrides)
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from edge_router.api.auth import Authenticator
from edge_router.backends.base import CloudBackend
from edge_router.backends.cloud import CloudProvider
from edge_router.backends.llama_local import LocalModelRunner
from edge_router.backends.local_embed import build_embedders
from edge_router.config import Settings
from edge_router.flow.availability import configured_models, router_options
from edge_router.flow.budget import Budgets
from edge_router.flow.cache import ResponseCache
from edge_router.load.probe import LoadProbe
from edge_router.load.sampler import HostSampler, local_stats_from
from edge_router.privacy.pool import ScanPool, workers_for
from edge_router.privacy.scanner import PrivacyScanner
from edge_router.record.audit import AuditLog
from edge_router.record.costs import Pricer, unpriced_cloud_models
from edge_router.record.metrics import Metrics
from edge_router.routing.complexity import ComplexityScorer
from edge_router.routing.domain import check_policy_names
from edge_router.routing.pipeline import PolicySet, Router
from edge_router.state import AppState

log = logging.getLogger("edge_router.app")  # the name these lines have always had


@dataclass(frozen=True)
class Overrides:
    """Parts to use instead of building them; None builds the real one.

    Example::

        Overrides(scanner=shared_scanner(), load=FakeLoadProbe("busy"))
    """

    runners: Mapping[str, LocalModelRunner] | None = None
    scanner: PrivacyScanner | None = None
    providers: Sequence[CloudBackend] | None = None
    load: LoadProbe | None = None
    """The load probe routing reads (by default a :class:`HostSampler` the app starts)."""
    audit: AuditLog | None = None
    """The audit store (by default opened from ``audit`` when enabled)."""
    metrics: Metrics | None = None
    policies: PolicySet | None = None
    """Already loaded policies (``create_app`` loads them before the port is bound)."""


def load_policies(settings: Settings) -> PolicySet:
    """Load and check the policies (raises PolicyError), warning about settings that
    make rules or the data they guard behave other than they read."""
    policies = PolicySet.load(settings.policy.directory(), settings.policy.default)
    check_names(policies, settings)
    _warn_blind_rules(policies, settings)
    if settings.privacy.send_unscanned_attachments_to_cloud:
        log.warning(
            "privacy.send_unscanned_attachments_to_cloud is on: images, audio and files, "
            "which cannot be scanned, may leave this machine when a policy sends them"
        )
    return policies


def check_names(policies: PolicySet, settings: Settings) -> None:
    """Rules' domains, providers and models must exist in ``settings`` (PolicyError)."""
    passes_any = any(not p.models for p in settings.providers)
    check_policy_names(
        policies.policies,
        domains=settings.domains.names(),
        providers={p.name for p in settings.providers},
        models=None if passes_any else {"auto", *configured_models(settings)},
    )


def _warn_blind_rules(policies: PolicySet, settings: Settings) -> None:
    """Rules matching entity types the scanner is told to ignore can never fire: say so."""
    ignored = set(settings.privacy.ignore_types)
    for name, policy in sorted(policies.policies.items()):
        blind = sorted({t for r in policy.rules for t in (r.entities or ()) if t in ignored})
        if blind:
            log.warning(
                "policy matches entity types the scanner ignores (privacy.ignore_types); "
                "those conditions never match",
                extra={"fields": {"policy": name, "types": blind}},
            )


def _build_runners(settings: Settings) -> dict[str, LocalModelRunner]:
    local = settings.local
    return {
        m.name: LocalModelRunner(
            m,
            local.resolve_path(m),
            max_queue=local.max_queue,
            queue_timeout_s=local.queue_timeout_s,
        )
        for m in local.models
    }


def _cloud_latency(state: AppState) -> float | None:
    """The fastest recent latency among usable cloud providers (None: not measured)."""
    seen = [
        lat
        for p in state.providers
        if p.available
        and not p.trusted_local
        and (lat := getattr(p, "recent_latency_s", None)) is not None
    ]
    return min(seen) if seen else None


async def build_state(settings: Settings, overrides: Overrides) -> AppState:
    """Every long-lived part, built (slow ones off the event loop) but not started."""
    o = overrides
    state = AppState(
        settings=settings,
        auth=Authenticator(settings.auth),
        metrics=o.metrics if o.metrics is not None else Metrics(),
    )
    policies = o.policies if o.policies is not None else load_policies(settings)
    log.info("loading privacy scanner")
    if o.scanner is None and (workers := workers_for(settings.privacy)) >= 2:
        # The workers load while this process builds its own scanner (cache, verdicts).
        log.info("starting scanner workers", extra={"fields": {"workers": workers}})
        state.scan_pool = ScanPool(settings.privacy, workers)
        state.scan_pool.launch()
    scanner = (
        o.scanner
        if o.scanner is not None
        else await asyncio.to_thread(PrivacyScanner, settings.privacy)
    )
    if (pool := state.scan_pool) is not None:
        scanner.offload_to(pool)
        state.metrics.gauge(
            "edge_router_scan_workers", "Scanner worker processes able to scan.", lambda: pool.alive
        )
        state.metrics.gauge(
            "edge_router_scan_worker_restarts",
            "Scanner workers replaced after a crash or a timeout (their scans failed closed).",
            lambda: pool.restarts,
        )
    state.runners = dict(o.runners) if o.runners is not None else _build_runners(settings)
    state.embedders = build_embedders(settings.local)  # each loads on first use
    for embedder in state.embedders.values():
        embedder.check_file()
    if not settings.offline:
        state.providers = (
            list(o.providers)
            if o.providers is not None
            else [CloudProvider.from_settings(p) for p in settings.providers]
        )
    state.load = (
        o.load
        if o.load is not None
        else HostSampler(
            settings.load,
            local_stats=local_stats_from(lambda: state.runners.values()),
            cloud_latency_s=lambda: _cloud_latency(state),
        )
    )
    state.router = Router(
        scanner,
        policies,
        ComplexityScorer(settings.policy.complexity_threshold),
        load=state.load,
        cloud_available=lambda: any(p.available and not p.trusted_local for p in state.providers),
        **router_options(settings),
    )
    m = state.metrics
    m.gauge(
        "edge_router_local_queue_depth",
        "Requests waiting for a local model.",
        lambda: float(sum(r.queue_depth for r in state.runners.values())),
    )
    m.gauge(
        "edge_router_local_in_flight",
        "Local generations running now.",
        lambda: float(sum(r.in_flight for r in state.runners.values())),
    )
    if settings.cache.enabled:
        evictions = m.cache_evictions
        state.cache = cache = ResponseCache(
            settings.cache, on_evict=lambda reason: evictions.labels(reason).inc()
        )
        m.gauge(
            "edge_router_cache_entries", "Answers in the response cache.", lambda: cache.entries
        )
        m.gauge(
            "edge_router_cache_bytes",
            "Bytes of answers in the response cache.",
            lambda: cache.total_bytes,
        )
    if o.audit is not None:
        state.audit = o.audit
    elif settings.audit.enabled:
        state.audit = await asyncio.to_thread(AuditLog.open, settings.audit)
    await _costs(state)
    return state


async def _costs(state: AppState) -> None:
    """Pricing, and budgets with this period's spending read back from the audit trail."""
    settings = state.settings
    state.pricer = Pricer(settings.pricing, settings.providers)
    budgets = await asyncio.to_thread(Budgets.load, settings.auth, state.audit)
    state.budgets = budgets or None
    if state.budgets is not None and state.audit is not None and settings.audit.url:
        state.budgets.watch(state.audit)  # a shared trail: count the fleet's spending
    unpriced = unpriced_cloud_models(settings.pricing, settings.providers)
    if unpriced and (settings.pricing.models or state.budgets is not None):
        log.warning(
            "cloud models without a price in pricing.models: their cost is unknown and "
            "budgets cannot count it",
            extra={"fields": {"models": unpriced}},
        )


def _own_sampler(state: AppState, overrides: Overrides) -> HostSampler | None:
    return state.load if overrides.load is None and isinstance(state.load, HostSampler) else None


async def start(state: AppState, overrides: Overrides) -> None:
    """Load the local models (injected ones too, when not loaded yet), start the app's
    own load sampler, then mark the state ready."""
    for name, runner in state.runners.items():
        if not runner.loaded:
            log.info("loading model", extra={"fields": {"model": name}})
            await runner.start()
    if (sampler := _own_sampler(state, overrides)) is not None:
        await sampler.start()
    if state.scan_pool is not None:
        await asyncio.to_thread(state.scan_pool.wait_ready)  # /readyz waits for the workers
    state.ready = True


async def stop(state: AppState, overrides: Overrides) -> None:
    """Mark the state not ready and close what the app built, leaving injected parts."""
    state.ready = False
    if (sampler := _own_sampler(state, overrides)) is not None:
        await sampler.stop()
    if state.budgets is not None:
        await asyncio.to_thread(state.budgets.close)
    if state.audit is not None and overrides.audit is None:
        await asyncio.to_thread(state.audit.close)
    if state.scan_pool is not None:
        await asyncio.to_thread(state.scan_pool.close)
    if overrides.providers is None:
        for p in state.providers:
            await p.aclose()
    if overrides.runners is None:
        for runner in state.runners.values():
            runner.close()
    for embedder in state.embedders.values():
        embedder.close()
