"""``edge-router audit --costs``: spending per key, tenant and route, and cost avoided.

Spending is the audit trail's ``cost_usd`` as priced when each request ran. "Cost
avoided" prices the tokens of answers the local tier served at the baseline model of
the *current* config (``record.costs``): what they would have cost in the cloud today.

Example::

    report = cost_report(AuditReader(path), AuditQuery(since=...), Pricer(pricing, providers))
    write_table(report, sys.stdout)
"""

from __future__ import annotations

from typing import Any, TextIO

from edge_router.record.audit_query import COST_GROUPS, AuditQuery, AuditReader, CostGroup
from edge_router.record.costs import Pricer

GROUPS: tuple[CostGroup, ...] = ("key", "tenant", "route")


def cost_report(reader: AuditReader, q: AuditQuery, pricer: Pricer | None) -> dict[str, Any]:
    """The report as JSON-ready data (``--format json`` prints it as is)."""
    report: dict[str, Any] = {f"by_{g}": reader.cost_by(q, g) for g in GROUPS}
    rows = report["by_route"]
    report["total"] = {
        "requests": sum(r["requests"] for r in rows),
        "cost_usd": sum(r["cost_usd"] for r in rows),
        "unpriced": sum(r["unpriced"] for r in rows),
    }
    answers, pt, ct = reader.local_tokens(q)
    avoided: dict[str, Any] = {
        "local_answers": answers,
        "prompt_tokens": pt,
        "completion_tokens": ct,
        "cost_usd": None,
        "baseline_model": None,
    }
    baseline = pricer.baseline if pricer is not None else None
    if baseline is not None:
        avoided["cost_usd"] = baseline.price.cost(pt, ct)
        avoided["baseline_model"] = baseline.model
        avoided["price"] = {"input": baseline.price.input, "output": baseline.price.output}
    report["avoided"] = avoided
    return report


def _grid(header: list[str], cells: list[list[str]], out: TextIO) -> None:
    widths = [max([len(h)] + [len(row[i]) for row in cells]) for i, h in enumerate(header)]
    for line in [header, *cells]:
        out.write("  ".join(v.ljust(w) for v, w in zip(line, widths, strict=True)).rstrip())
        out.write("\n")


def write_table(report: dict[str, Any], out: TextIO) -> None:
    for group in GROUPS:
        cols = list(COST_GROUPS[group])
        out.write(f"spending by {group}\n")
        cells = [
            [
                *("-" if r[c] is None else str(r[c]) for c in cols),
                str(r["requests"]),
                f"{r['cost_usd']:.6f}",
                str(r["unpriced"]),
            ]
            for r in report[f"by_{group}"]
        ]
        _grid([*cols, "requests", "cost_usd", "unpriced"], cells, out)
        out.write("\n")
    t = report["total"]
    out.write(
        f"total: ${t['cost_usd']:.6f} over {t['requests']} requests"
        f" ({t['unpriced']} cloud answers with unknown cost)\n"
    )
    a = report["avoided"]
    tokens = (
        f"{a['local_answers']} local answers, {a['prompt_tokens']} prompt + "
        f"{a['completion_tokens']} completion tokens"
    )
    if a["cost_usd"] is None:
        out.write(
            f"cost avoided: unknown ({tokens}; no priced baseline model: set pricing.models "
            "for the default cloud model, or pricing.baseline_model, and pass --config)\n"
        )
        return
    price = a["price"]
    out.write(
        f"cost avoided: ${a['cost_usd']:.6f} ({tokens} at {a['baseline_model']}, "
        f"${price['input']:g}/${price['output']:g} per M tokens in/out)\n"
    )
