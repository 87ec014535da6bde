"""Admin endpoints, behind the admin token (``auth.admin_token_hash``).

``POST /admin/reload`` reloads the policies (as SIGHUP does) and says whether the new
files were accepted; ``GET /admin/audit`` queries the audit trail with the same filters
as ``edge-router audit`` (``since``/``until`` as epoch seconds or ISO 8601, ``key``,
``route``, ``rule``, ``limit``). Without a configured admin token both answer 403.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from edge_router.errors import AuthError, BadRequest, Forbidden, RouterError
from edge_router.state import AppState, reload_policies  # the same path SIGHUP takes


def _require_admin(request: Request) -> AppState:
    state: AppState = request.app.state.edge
    auth = state.auth
    if auth is None or auth.settings.admin_token_hash is None:
        raise Forbidden(
            "Admin endpoints are disabled: set auth.admin_token_hash.", code="admin_disabled"
        )
    if not auth.is_admin(request.headers):
        raise AuthError("Admin token required.", code="invalid_admin_token")
    return state


def _time(value: str | None, name: str) -> datetime | float | None:
    if value is None:
        return None
    try:
        return float(value)
    except ValueError:
        pass
    try:
        t = datetime.fromisoformat(value)
    except ValueError as exc:
        raise BadRequest(f"'{name}' must be epoch seconds or ISO 8601.", param=name) from exc
    return t if t.tzinfo else t.replace(tzinfo=UTC)


async def reload(request: Request) -> Response:

    state = await asyncio.to_thread(_require_admin, request)
    ok = reload_policies(state)
    policies = sorted(state.router.policies.policies)
    return JSONResponse({"reloaded": ok, "policies": policies}, status_code=200 if ok else 422)


async def audit(request: Request) -> Response:
    state = await asyncio.to_thread(_require_admin, request)
    if state.audit is None:
        raise RouterError("The audit trail is disabled (audit.enabled: false).")
    q = request.query_params
    try:
        limit = int(q.get("limit", "100"))
    except ValueError as exc:
        raise BadRequest("'limit' must be an integer.", param="limit") from exc
    rows = await asyncio.to_thread(
        state.audit.query,
        _time(q.get("since"), "since"),
        _time(q.get("until"), "until"),
        q.get("key"),
        q.get("route"),
        q.get("rule"),
        max(1, min(limit, 10_000)),
        q.get("endpoint"),
    )
    return JSONResponse({"object": "list", "data": rows})
