"""create_app(): the Starlette application and its lifespan.

Everything slow or stateful is built once in the lifespan and reached through
``request.app.state.edge`` (an :class:`AppState`); nothing lives in module
globals, so tests can build several apps side by side.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from .api import openai
from .api.common import http_error_handler, router_error_handler, unexpected_error_handler
from .backends.llama_local import LocalModelRunner
from .config import Settings
from .errors import RouterError
from .state import AppState

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
    return JSONResponse({"status": "ok"})


async def readyz(request: Request) -> Response:
    state: AppState = request.app.state.edge
    models = {name: r.loaded for name, r in state.runners.items()}
    ok = state.ready and all(models.values())
    return JSONResponse(
        {"status": "ready" if ok else "not_ready", "models": models},
        status_code=200 if ok else 503,
    )


async def metrics(request: Request) -> Response:
    state: AppState = request.app.state.edge
    return Response(state.metrics.render(), media_type=state.metrics.content_type)


def create_app(
    settings: Settings, *, runners: Mapping[str, LocalModelRunner] | None = None
) -> Starlette:
    """Build the app. ``runners`` overrides the local models (tests, benchmarks)."""
    state = AppState(settings=settings)

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        state.runners = dict(runners) if runners is not None else _build_runners(settings)
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
        state.ready = True
        log.info("ready", extra={"fields": {"models": list(state.runners)}})
        try:
            yield
        finally:
            state.ready = False
            if runners is None:
                for runner in state.runners.values():
                    runner.close()

    app = Starlette(
        routes=[
            Route("/v1/chat/completions", openai.chat_completions, methods=["POST"]),
            Route("/v1/models", openai.list_models, methods=["GET"]),
            Route("/healthz", healthz, methods=["GET"]),
            Route("/readyz", readyz, methods=["GET"]),
            Route("/metrics", metrics, methods=["GET"]),
        ],
        exception_handlers={
            RouterError: router_error_handler,
            HTTPException: http_error_handler,
            Exception: unexpected_error_handler,
        },
        lifespan=lifespan,
    )
    app.state.edge = state
    return app
