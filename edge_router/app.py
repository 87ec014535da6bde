"""create_app(): the Starlette application and its lifespan.

Everything slow or stateful is built once in the lifespan (``lifespan.build_state``)
and reached through ``request.app.state.edge`` (an :class:`AppState`); nothing lives in
module globals, so tests can build several apps side by side.
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

from edge_router import console
from edge_router.api import admin, anthropic, completions, embeddings, feedback, openai
from edge_router.api.access_log import AccessLog
from edge_router.api.common import (
    CatchAll,
    ClientAddress,
    http_error_handler,
    require_operator,
    router_error_handler,
)
from edge_router.api.status import log_ready, readyz
from edge_router.backends.base import CloudBackend
from edge_router.backends.llama_local import LocalModelRunner
from edge_router.config import Settings
from edge_router.errors import RouterError
from edge_router.flow import experiments
from edge_router.lifespan import Overrides, build_state, load_policies, start, stop
from edge_router.load.probe import LoadProbe
from edge_router.privacy.scanner import PrivacyScanner
from edge_router.record import sdnotify
from edge_router.routing.experiments import check_experiments
from edge_router.state import AppState, reload_policies

log = logging.getLogger("edge_router.app")


async def healthz(request: Request) -> Response:
    """Liveness: always open, and says nothing but "ok"."""
    return JSONResponse({"status": "ok"})


async def metrics(request: Request) -> Response:
    await require_operator(request, metrics=True)
    state: AppState = request.app.state.edge
    return Response(state.metrics.render(), media_type=state.metrics.content_type)


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
    overrides: Overrides | None = None,
) -> Starlette:
    """Build the app. ``overrides`` (or the shorthand ``runners``, ``scanner``,
    ``providers`` and ``load``, which take precedence) replaces real parts with the
    caller's (tests, benches); those are not started or closed by the app.

    Policies are loaded here, not in the lifespan, so that an invalid policy stops
    the daemon before it binds its port (raises PolicyError).
    """
    given = overrides or Overrides()
    over = Overrides(
        runners=runners if runners is not None else given.runners,
        scanner=scanner if scanner is not None else given.scanner,
        providers=providers if providers is not None else given.providers,
        load=load if load is not None else given.load,
        audit=given.audit,
        metrics=given.metrics,
        policies=given.policies if given.policies is not None else load_policies(settings),
    )
    assert over.policies is not None
    check_experiments(settings.experiments, over.policies.policies)  # arms name real policies

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        state = app.state.edge = await build_state(settings, over)
        app.state.feedback = await asyncio.to_thread(experiments.setup, state)
        await start(state, over)
        _install_sighup(state)
        sdnotify.ready("edge-router ready")
        watchdog = asyncio.create_task(sdnotify.watchdog_loop(lambda: state.ready))
        log_ready(state)  # one line: policy, providers, auth, audit path, offline
        try:
            yield
        finally:
            sdnotify.stopping()
            watchdog.cancel()
            await stop(state, over)
            if app.state.feedback is not None:
                app.state.feedback.close()

    app = Starlette(
        routes=[
            Route("/v1/chat/completions", openai.chat_completions, methods=["POST"]),
            Route("/v1/completions", completions.completions, methods=["POST"]),
            Route("/v1/embeddings", embeddings.embeddings, methods=["POST"]),
            Route("/v1/models", openai.list_models, methods=["GET"]),
            Route("/v1/models/{model:path}", openai.retrieve_model, methods=["GET"]),
            Route("/v1/route", openai.route, methods=["POST"]),
            Route("/v1/feedback", feedback.feedback, methods=["POST"]),
            Route("/v1/messages", anthropic.messages, methods=["POST"]),
            Route("/v1/messages/count_tokens", anthropic.count_tokens, methods=["POST"]),
            Route("/admin/reload", admin.reload, methods=["POST"]),
            Route("/admin/audit", admin.audit, methods=["GET"]),
            Route("/healthz", healthz, methods=["GET"]),
            Route("/readyz", readyz, methods=["GET"]),
            Route("/metrics", metrics, methods=["GET"]),
            *console.routes(),  # /ui, and GET / redirecting there
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
    return app
