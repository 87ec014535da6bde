"""The console's pages (server-rendered HTML) and the endpoints their scripts call.

Pages: ``/ui`` (overview), ``/ui/privacy``, ``/ui/audit`` (+ ``/ui/audit.csv``),
``/ui/explain``, ``/ui/policies``. Script endpoints: ``/ui/overview/panel`` (the
overview's live part, re-rendered every few seconds), ``GET /ui/api/overview`` (the same
figures as JSON), ``POST /ui/api/explain``, ``POST /ui/api/policy-check`` and the
reload form ``POST /ui/policies/reload`` (admin session only).
"""

from __future__ import annotations

import asyncio
import csv
import io
import json
import re
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from edge_router.api.common import read_json
from edge_router.console import data
from edge_router.console.gate import Ctx, guarded, read_form, redirect
from edge_router.console.playground import explain_input
from edge_router.console.render import render
from edge_router.errors import BadRequest, RouterError
from edge_router.record.audit_schema import COLUMNS, JSON_COLUMNS, AuditError
from edge_router.routing.policy import PolicyError, parse_policy
from edge_router.state import reload_policies

CSV_MAX_ROWS = 100_000


async def root(request: Request) -> Response:
    """``GET /``: the console."""
    return redirect("/ui")


@guarded()
async def overview(request: Request, ctx: Ctx) -> Response:
    figures = await data.overview(ctx.state)
    return render("overview.html", **ctx.page(page="overview", o=figures))


@guarded()
async def overview_panel(request: Request, ctx: Ctx) -> Response:
    figures = await data.overview(ctx.state)
    return render("overview_panel.html", o=figures)


@guarded(api=True)
async def overview_json(request: Request, ctx: Ctx) -> Response:
    return JSONResponse(await data.overview(ctx.state))


@guarded()
async def privacy(request: Request, ctx: Ctx) -> Response:
    window = request.query_params.get("window", "24h")
    window = window if window in data.PRIVACY_WINDOWS else "24h"
    figures = await data.privacy(ctx.state, window)
    return render(
        "privacy.html",
        **ctx.page(page="privacy", p=figures, window=window, windows=list(data.PRIVACY_WINDOWS)),
    )


@guarded()
async def audit(request: Request, ctx: Ctx) -> Response:
    f = data.AuditFilter.parse(request.query_params)
    table = await data.audit_page(ctx.state, f)
    return render(
        "audit.html",
        **ctx.page(
            page="audit",
            f=f,
            t=table,
            windows=list(data.AUDIT_WINDOWS),
            csv_query=urlencode(f.params(page=None)),
            prev_query=urlencode(f.params(page=str(f.page - 1))),
            next_query=urlencode(f.params(page=str(f.page + 1))),
        ),
    )


def _csv(rows: list[dict[str, Any]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(COLUMNS)
    for row in reversed(rows):  # oldest first, as `edge-router audit --format csv`
        writer.writerow(
            json.dumps(row[c], sort_keys=True) if c in JSON_COLUMNS else row[c] for c in COLUMNS
        )
    return out.getvalue()


@guarded()
async def audit_csv(request: Request, ctx: Ctx) -> Response:
    """The filtered audit trail as CSV (the columns of ``edge-router audit --format csv``)."""
    audit_log = ctx.state.audit
    if audit_log is None:
        return render("message.html", 404, **ctx.page(title="Audit", message="Audit is off."))
    q = data.AuditFilter.parse(request.query_params).query(CSV_MAX_ROWS)
    try:
        rows = await asyncio.to_thread(
            audit_log.query, q.since, q.until, q.key_id, q.route, q.rule, q.limit, q.endpoint
        )
    except AuditError:
        rows = []
    return Response(
        _csv(rows),
        media_type="text/csv; charset=utf-8",
        headers={"content-disposition": 'attachment; filename="edge-router-audit.csv"'},
    )


@guarded()
async def explain(request: Request, ctx: Ctx) -> Response:
    policies = sorted(ctx.state.router.policies.policies)
    default = ctx.state.router.policies.default
    return render("explain.html", **ctx.page(page="explain", policies=policies, default=default))


@guarded(api=True)
async def explain_json(request: Request, ctx: Ctx) -> Response:
    """Explain pasted input; nothing about it is stored or logged (see playground)."""
    try:
        body = await read_json(request, ctx.state.settings.server)
        text, policy = body.get("input"), body.get("policy")
        if not isinstance(text, str):
            raise BadRequest("'input' must be a string.", param="input")
        if policy is not None and (
            not isinstance(policy, str) or policy not in ctx.state.router.policies.policies
        ):
            raise BadRequest("Unknown policy.", param="policy")
        return JSONResponse(await explain_input(ctx.state, text, policy or None))
    except RouterError as exc:
        return JSONResponse(exc.body(), status_code=exc.status)


@guarded()
async def policies(request: Request, ctx: Ctx) -> Response:
    reload = request.query_params.get("reload")
    return render(
        "policies.html",
        **ctx.page(
            page="policies",
            policies=data.policies(ctx.state),
            reload=reload if reload in ("ok", "failed") else None,
            can_reload=ctx.session.admin,
        ),
    )


_PROBLEM = re.compile(r"^<pasted>:(\d+):\s*(.*)$", re.DOTALL)


def check_yaml(text: str, directory: str | None) -> dict[str, Any]:
    """Validate pasted policy YAML: ``{"ok", "errors": [{"line", "message"}], ...}``."""
    try:
        policy = parse_policy(text, "<pasted>", base_dir=Path(directory) if directory else None)
    except PolicyError as exc:
        errors = []
        for problem in exc.problems:
            m = _PROBLEM.match(problem)
            line, message = (int(m.group(1)), m.group(2)) if m else (None, problem)
            errors.append({"line": line, "message": message})
        return {"ok": False, "errors": errors}
    return {"ok": True, "errors": [], "name": policy.name, "rules": len(policy.rules)}


@guarded(api=True)
async def policy_check(request: Request, ctx: Ctx) -> Response:
    try:
        body = await read_json(request, ctx.state.settings.server)
    except RouterError as exc:
        return JSONResponse(exc.body(), status_code=exc.status)
    text = body.get("yaml")
    if not isinstance(text, str):
        err = BadRequest("'yaml' must be a string.", param="yaml")
        return JSONResponse(err.body(), status_code=400)
    directory = str(ctx.state.settings.policy.directory())
    return JSONResponse(await asyncio.to_thread(check_yaml, text, directory))


@guarded()
async def reload(request: Request, ctx: Ctx) -> Response:
    """Reload the policies as SIGHUP and ``/admin/reload`` do (admin sessions only)."""
    await read_form(request)
    if not ctx.session.admin:
        return render(
            "message.html",
            403,
            **ctx.page(title="Not allowed", message="Reloading needs the admin token."),
        )
    ok = await asyncio.to_thread(reload_policies, ctx.state)
    return redirect("/ui/policies?reload=" + ("ok" if ok else "failed"))
