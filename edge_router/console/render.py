"""HTML rendering: Jinja2 templates shipped in the package, autoescaped everywhere.

Every value reaches the page through autoescaping (audit fields, rule names, provider
names, the playground's own text via the scripts' ``textContent``), and pages carry
the strict Content-Security-Policy of :mod:`edge_router.console.session`, so nothing
stored in the audit trail can run as script.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from starlette.responses import HTMLResponse

from edge_router.console.session import harden

HERE = Path(__file__).resolve().parent
STATIC = HERE / "static"


def _when(ts: float | str | None) -> str:
    if ts is None:
        return "-"
    if isinstance(ts, str):
        return ts.replace("T", " ").removesuffix("Z")[:19]
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%d %H:%M")


def _pct(x: float | None) -> str:
    return "-" if x is None else f"{100 * x:.0f}%"


def _num(x: float | int | None, digits: int = 1) -> str:
    if x is None:
        return "-"
    return f"{x:.{digits}f}" if isinstance(x, float) else str(x)


def _types(d: dict[str, int] | None) -> str:
    return ", ".join(f"{k}×{v}" for k, v in sorted((d or {}).items())) or "-"


@cache
def environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(HERE / "templates"),
        autoescape=True,  # every template, whatever its name
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(when=_when, pct=_pct, num=_num, types=_types)
    env.filters["pretty"] = lambda v: json.dumps(v, indent=2, ensure_ascii=False)
    return env


def render(name: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    """Render template ``name`` into a response with the console's security headers."""
    html = environment().get_template(name).render(**context)
    response = HTMLResponse(html, status_code=status_code)
    harden(response)
    return response
