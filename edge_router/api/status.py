"""What the daemon says about itself: ``GET /readyz`` and the one startup summary line.

Readiness (``status``, HTTP code, ``reason``, ``mode``):

- ``not_ready`` (503, ``loading``): models or scanner not loaded yet.
  ``embedding_models`` shows each local embedding model and whether it is loaded; they
  load on first use, so readiness never waits for them.
- ``ready`` (200, ``no_provider_configured``, mode ``local_only``): no cloud provider is
  configured. The daemon serves everything it was configured for (all locally), so it
  is ready, not degraded.
- ``degraded`` (200, ``offline``, mode ``offline``): providers are configured but
  ``offline: true`` keeps everything local.
- ``degraded`` (200, ``providers_unreachable``): no configured cloud provider is
  reachable; local serving continues. A provider counts as unreachable from a failed
  call until a call succeeds (its circuit breaker may let a trial through meanwhile).
- ``ready`` (200, no reason, mode ``local_and_cloud``): at least one is reachable.

Example::

    body, code = readiness(state)   # ({"status": "ready", ...}, 200)
"""

from __future__ import annotations

import logging
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from edge_router.api.common import require_operator
from edge_router.config import Settings
from edge_router.state import AppState

log = logging.getLogger("edge_router.app")


def _cloud_configured(state: AppState) -> list[str]:
    """Names of the cloud (not trusted on-prem) providers the daemon was given."""
    names = [p.name for p in state.settings.providers if not p.trusted_local]
    names += [p.name for p in state.providers if not p.trusted_local and p.name not in names]
    return names


def _reachable(p: Any) -> bool:
    # Fakes and other CloudBackends without a health record fall back to the breaker.
    return bool(p.available and getattr(p, "healthy", True))


def readiness(state: AppState) -> tuple[dict[str, Any], int]:
    """The ``/readyz`` body and HTTP status (see the module docstring)."""
    models = {name: r.loaded for name, r in state.runners.items()}
    scanner = state.ready and state.router.scanner.ready
    ok = state.ready and scanner and all(models.values())
    cloud = {p.name: _reachable(p) for p in state.providers if not p.trusted_local}
    configured = bool(_cloud_configured(state))
    offline = state.settings.offline
    mode = "local_only" if not configured else "offline" if offline else "local_and_cloud"
    reason: str | None = None
    status = "ready"
    if not ok:
        status, reason = "not_ready", "loading"
    elif not configured:
        reason = "no_provider_configured"
    elif offline:
        status, reason = "degraded", "offline"
    elif not any(cloud.values()):
        status, reason = "degraded", "providers_unreachable"
    body = {
        "status": status,
        "reason": reason,
        "mode": mode,
        "models": models,
        # Shown, never waited for: an embedding model loads on its first request, so
        # readiness stays as fast as the chat models make it.
        "embedding_models": {name: e.loaded for name, e in state.embedders.items()},
        "scanner": scanner,
        "providers": cloud,
        "providers_configured": configured,
        "offline": offline,
    }
    return body, 200 if ok else 503


async def readyz(request: Request) -> Response:
    await require_operator(request)  # names models and providers: not for anyone
    body, code = readiness(request.app.state.edge)
    return JSONResponse(body, status_code=code)


def _auth_summary(settings: Settings) -> str:
    auth = settings.auth
    if not auth.keys and not auth.require_auth:
        kind = "none"
    else:
        kind = f"{'required' if auth.require_auth else 'optional'} ({len(auth.keys)} keys)"
    return kind + (", admin token" if auth.admin_token_hash else "")


def _audit_summary(settings: Settings) -> str:
    """Where the trail goes: the SQLite file, or the PostgreSQL host and database (never
    the user or password a URL may carry)."""
    audit = settings.audit
    if not audit.enabled:
        return "off"
    if audit.url:
        from urllib.parse import urlsplit

        u = urlsplit(audit.url)
        host = u.hostname or "local socket"
        return f"postgresql://{host}{':' + str(u.port) if u.port else ''}{u.path}"
    return str(audit.resolve_path())


def startup_summary(state: AppState) -> tuple[str, dict[str, Any]]:
    """The ``ready`` line: what this daemon will do with a request, in one place.

    Example: ``ready: policy=default providers=none (everything stays local) auth=none
    audit=/home/u/.local/state/edge-router/audit.sqlite offline=false
    models=[smollm2-135m-instruct] attachments_to_cloud=false``
    """
    s = state.settings
    cloud = _cloud_configured(state)
    if not cloud:
        providers = "none (everything stays local)"
    elif s.offline:
        providers = ",".join(cloud) + " (offline: never contacted)"
    else:
        providers = ",".join(cloud)
    fields: dict[str, Any] = {
        "policy": s.policy.default,
        "providers": providers,
        "auth": _auth_summary(s),
        "audit": _audit_summary(s),
        "offline": s.offline,
        "models": list(state.runners),
        "attachments_to_cloud": s.privacy.send_unscanned_attachments_to_cloud,
    }
    if on_prem := [p.name for p in s.providers if p.trusted_local]:
        fields["local_servers"] = ",".join(on_prem)
    # Where local generation runs: "gpu" when any model offloads layers (llama.cpp
    # built with CUDA/Metal/Vulkan), and how many run at once when more than one.
    runners = list(state.runners.values())
    fields["local_compute"] = (
        "gpu" if any(getattr(r, "gpu_layers", 0) != 0 for r in runners) else "cpu"
    )
    if (slots := sum(getattr(r, "slots", 1) for r in runners)) > len(runners):
        fields["local_slots"] = slots

    def show(v: Any) -> str:
        if isinstance(v, bool):
            return str(v).lower()
        return f"[{','.join(v)}]" if isinstance(v, list) else str(v)

    message = "ready: " + " ".join(f"{k}={show(v)}" for k, v in fields.items())
    return message, {**fields, "config": s.source}


def log_ready(state: AppState) -> None:
    """Log the startup summary (INFO; the attachments warning stays a warning of its own)."""
    message, fields = startup_summary(state)
    log.info(message, extra={"fields": fields})
