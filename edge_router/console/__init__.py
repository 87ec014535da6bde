"""The web console at ``/ui``: what the router is doing and why, for operators.

Server-rendered pages (Jinja2 templates and small plain scripts shipped here, no build
step, no network), behind the admin token: traffic, load and providers; privacy
findings as counts and types; the audit trail; an explain playground; the policies.
It reads what the daemon already keeps (state, metrics, the audit store) and never
shows or stores a prompt that went through the daemon.

May import: api, flow, routing, privacy, wire, backends, record, load, state, config, errors.
"""

from __future__ import annotations

from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

from edge_router.console import gate, pages
from edge_router.console.render import STATIC


def routes() -> list[BaseRoute]:
    """The console's routes, for the app's route table (``GET /`` redirects here)."""
    return [
        Route("/", pages.root, methods=["GET"]),
        Route("/ui", pages.overview, methods=["GET"]),
        Route("/ui/login", gate.login_form, methods=["GET"]),
        Route("/ui/login", gate.login, methods=["POST"]),
        Route("/ui/logout", gate.logout, methods=["POST"]),
        Route("/ui/overview/panel", pages.overview_panel, methods=["GET"]),
        Route("/ui/privacy", pages.privacy, methods=["GET"]),
        Route("/ui/audit", pages.audit, methods=["GET"]),
        Route("/ui/audit.csv", pages.audit_csv, methods=["GET"]),
        Route("/ui/explain", pages.explain, methods=["GET"]),
        Route("/ui/policies", pages.policies, methods=["GET"]),
        Route("/ui/policies/reload", pages.reload, methods=["POST"]),
        Route("/ui/api/overview", pages.overview_json, methods=["GET"]),
        Route("/ui/api/explain", pages.explain_json, methods=["POST"]),
        Route("/ui/api/policy-check", pages.policy_check, methods=["POST"]),
        Mount("/ui/static", StaticFiles(directory=STATIC), name="console-static"),
    ]
