"""create_app(): the Starlette application and its lifespan.

Everything slow or stateful is built once in the lifespan and reached through
``request.app.state.edge`` (an :class:`AppState`); nothing lives in module
globals, so tests can build several apps side by side.
"""

from __future__ import annotations

import asyncio
import logging
import signal
from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import asynccontextmanager

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from edge_router.api import admin, anthropic, completions, embeddings, openai
from edge_router.api.access_log import AccessLog
from edge_router.api.auth import Authenticator
from edge_router.api.common import (
    CatchAll,
    ClientAddress,
    http_error_handler,
    require_operator,
    router_error_handler,
)
from edge_router.api.status import log_ready, readyz
from edge_router.backends.base import CloudBackend
from edge_router.backends.cloud import CloudProvider
from edge_router.backends.llama_local import LocalModelRunner
from edge_router.backends.local_embed import build_embedders
from edge_router.config import Settings
from edge_router.errors import RouterError
from edge_router.load.sampler import HostSampler, LoadProbe, local_stats_from
from edge_router.privacy.scanner import PrivacyScanner
from edge_router.record import sdnotify
from edge_router.record.audit import AuditLog
from edge_router.routing.complexity import ComplexityScorer
from edge_router.routing.pipeline import PolicySet, Router
from edge_router.state import AppState, reload_policies

log = logging.getLogger("edge_router.app")


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


async def healthz(request: Request) -> Response:
    """Liveness: always open, and says nothing but "ok"."""
    return JSONResponse({"status": "ok"})


async def metrics(request: Request) -> Response:
    await require_operator(request, metrics=True)
    state: AppState = request.app.state.edge
    return Response(state.metrics.render(), media_type=state.metrics.content_type)


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


def _configured_models(settings: Settings) -> set[str]:
    """Every model name the operator's config mentions (local, alias and provider names)."""
    names = {m.name for m in settings.local.models}
    names |= {*settings.aliases, *settings.aliases.values()}
    for p in settings.providers:
        names |= {*p.models, *p.model_map, *p.model_map.values()}
        if p.default_model:
            names.add(p.default_model)
    return names


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


def _on_sighup(state: AppState) -> None:
    sdnotify.reloading()
    reload_policies(state)
    sdnotify.ready()


def _install_sighup(state: AppState) -> None:
    loop = asyncio.get_running_loop()
    try:
        loop.add_signal_handler(signal.SIGHUP, _on_sighup, state)
    except (ValueError, RuntimeError, NotImplementedError):
        # Not the main thread (tests, embedded servers): no signal handling there.
        log.debug("SIGHUP reload not installed (not in the main thread)")


def create_app(
    settings: Settings,
    *,
    runners: Mapping[str, LocalModelRunner] | None = None,
    scanner: PrivacyScanner | None = None,
    providers: Sequence[CloudBackend] | None = None,
    load: LoadProbe | None = None,
) -> Starlette:
    """Build the app. ``runners``, ``scanner``, ``providers`` and ``load`` (the load
    probe routing reads, by default a started :class:`HostSampler`) override the real
    ones (tests, benches); overridden parts are not started or closed by the app.

    Policies are loaded here, not in the lifespan, so that an invalid policy stops
    the daemon before it binds its port (raises PolicyError).
    """
    state = AppState(settings=settings, auth=Authenticator(settings.auth))
    policies = PolicySet.load(settings.policy.directory(), settings.policy.default)
    _warn_blind_rules(policies, settings)
    if settings.privacy.send_unscanned_attachments_to_cloud:
        log.warning(
            "privacy.send_unscanned_attachments_to_cloud is on: images, audio and files, "
            "which cannot be scanned, may leave this machine when a policy sends them"
        )

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        log.info("loading privacy scanner")
        scan = (
            scanner
            if scanner is not None
            else await asyncio.to_thread(PrivacyScanner, settings.privacy)
        )
        state.runners = dict(runners) if runners is not None else _build_runners(settings)
        state.embedders = build_embedders(settings.local)  # each loads on first use
        for embedder in state.embedders.values():
            embedder.check_file()
        if not settings.offline:
            state.providers = (
                list(providers)
                if providers is not None
                else [CloudProvider.from_settings(p) for p in settings.providers]
            )
        sampler = (
            HostSampler(
                settings.load,
                local_stats=local_stats_from(lambda: state.runners.values()),
                cloud_latency_s=lambda: _cloud_latency(state),
            )
            if load is None
            else None
        )
        probe = load if load is not None else sampler
        state.load = probe
        state.router = Router(
            scan,
            policies,
            ComplexityScorer(settings.policy.complexity_threshold),
            load=probe,
            cloud_available=lambda: any(
                p.available and not p.trusted_local for p in state.providers
            ),
            # Kept in the projection (and so scanned) when any provider allows them;
            # each provider's builder drops the ones it does not allow.
            forward_fields={f for p in settings.providers for f in p.forward_fields},
            known_models=_configured_models(settings),
        )
        for name, runner in state.runners.items():
            if not runner.loaded:
                log.info("loading model", extra={"fields": {"model": name}})
                await runner.start()
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
        if sampler is not None:
            await sampler.start()
        if settings.audit.enabled:
            state.audit = await asyncio.to_thread(AuditLog.open, settings.audit)
        state.ready = True
        _install_sighup(state)
        sdnotify.ready("edge-router ready")
        watchdog = asyncio.create_task(sdnotify.watchdog_loop(lambda: state.ready))
        log_ready(state)  # one line: policy, providers, auth, audit path, offline
        try:
            yield
        finally:
            sdnotify.stopping()
            state.ready = False
            watchdog.cancel()
            if sampler is not None:
                await sampler.stop()
            if state.audit is not None:
                await asyncio.to_thread(state.audit.close)
            if providers is None:
                for p in state.providers:
                    await p.aclose()
            if runners is None:
                for runner in state.runners.values():
                    runner.close()
            for embedder in state.embedders.values():
                embedder.close()

    app = Starlette(
        routes=[
            Route("/v1/chat/completions", openai.chat_completions, methods=["POST"]),
            Route("/v1/completions", completions.completions, methods=["POST"]),
            Route("/v1/embeddings", embeddings.embeddings, methods=["POST"]),
            Route("/v1/models", openai.list_models, methods=["GET"]),
            Route("/v1/models/{model:path}", openai.retrieve_model, methods=["GET"]),
            Route("/v1/route", openai.route, methods=["POST"]),
            Route("/v1/messages", anthropic.messages, methods=["POST"]),
            Route("/v1/messages/count_tokens", anthropic.count_tokens, methods=["POST"]),
            Route("/admin/reload", admin.reload, methods=["POST"]),
            Route("/admin/audit", admin.audit, methods=["GET"]),
            Route("/healthz", healthz, methods=["GET"]),
            Route("/readyz", readyz, methods=["GET"]),
            Route("/metrics", metrics, methods=["GET"]),
        ],
        exception_handlers={
            RouterError: router_error_handler,
            HTTPException: http_error_handler,
        },
        middleware=[
            # Outermost, so that it sees CatchAll's 500s and times the whole request.
            Middleware(AccessLog, enabled=settings.server.access_log),
            Middleware(CatchAll),
            Middleware(ClientAddress),
        ],
        lifespan=lifespan,
    )
    # Starlette would answer a path with a stray trailing slash with a 307 whose
    # Location is built from the client's Host header; an unknown path is a plain 404.
    app.router.redirect_slashes = False
    app.state.edge = state
    return app
