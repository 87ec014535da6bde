"""The example Grafana dashboard (systemd/grafana-dashboard.json) only queries metrics
and labels that a live daemon really exports on /metrics."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

DASHBOARD = Path(__file__).resolve().parent.parent / "systemd" / "grafana-dashboard.json"

# PromQL words that are not metric names.
PROMQL_WORDS = {
    # aggregations and their modifiers
    *("sum", "min", "max", "avg", "count", "stddev", "stdvar", "topk", "bottomk", "quantile"),
    *("count_values", "group", "by", "without", "on", "ignoring", "group_left", "group_right"),
    *("and", "or", "unless", "bool", "offset"),
    # functions used in dashboards
    *("rate", "irate", "increase", "delta", "idelta", "deriv", "histogram_quantile", "vector"),
    *("abs", "ceil", "floor", "round", "clamp_min", "clamp_max", "scalar", "time", "absent"),
    *("sum_over_time", "avg_over_time", "max_over_time", "min_over_time", "label_replace"),
    *("changes", "resets", "sort", "sort_desc", "label_values", "inf", "nan"),
}
# Labels Prometheus itself attaches at scrape time, and the histogram bucket label.
SCRAPE_LABELS = {"job", "instance", "le"}
SUFFIXES = {
    "counter": ("_total", "_created"),
    "gauge": ("",),
    "histogram": ("_bucket", "_count", "_sum", "_created"),
    "summary": ("", "_count", "_sum", "_created"),
    "info": ("_info",),
    "unknown": ("",),
}


def load_dashboard() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(DASHBOARD.read_text())
    return data


def all_panels(dash: dict[str, Any]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for p in dash["panels"]:
        out.append(p)
        out.extend(p.get("panels", []))
    return out


def expressions(dash: dict[str, Any]) -> list[str]:
    exprs = [t["expr"] for p in all_panels(dash) for t in p.get("targets", []) if "expr" in t]
    for var in dash["templating"]["list"]:
        if var["type"] == "query":
            q = var["query"]
            exprs.append(q["query"] if isinstance(q, dict) else q)
    return exprs


def parse_expr(expr: str) -> tuple[set[str], set[str]]:
    """(metric names, label names) referenced by a PromQL expression.

    Not a full PromQL parser: enough for dashboard expressions. Strings are dropped,
    label names are read from ``by (...)``/``without (...)``/``on (...)`` groups and
    ``{...}`` matchers, range selectors are dropped, and every identifier left that is
    not a PromQL keyword or function is a metric name.
    """
    text = re.sub(r'"(?:[^"\\]|\\.)*"', '""', expr)
    labels: set[str] = set()
    grouping = r"\b(?:by|without|on|ignoring|group_left|group_right)\s*\(([^)]*)\)"
    for group in re.findall(grouping, text):
        labels.update(x.strip() for x in group.split(",") if x.strip())
    text = re.sub(grouping, " ", text)
    for matchers in re.findall(r"\{([^}]*)\}", text):
        labels.update(re.findall(r"([A-Za-z_][A-Za-z0-9_]*)\s*(?:=~|!~|!=|=)", matchers))
    text = re.sub(r"\{[^}]*\}", " ", text)
    text = re.sub(r"\[[^\]]*\]", " ", text)
    # label_values(metric, label): the second argument is a label.
    for label in re.findall(r"label_values\s*\([^,()]*,\s*([A-Za-z_][A-Za-z0-9_]*)\s*\)", expr):
        labels.add(label)
        text = re.sub(rf",\s*{label}\s*\)", ")", text)
    words = set(re.findall(r"\b[A-Za-z_:][A-Za-z0-9_:]*\b", text))
    metrics = {w for w in words if w.lower() not in PROMQL_WORDS}
    return metrics, labels


@pytest.fixture(scope="module")
def exported(base_url: str) -> dict[str, set[str] | None]:
    """Every sample name the daemon exports -> its label names (None: no samples yet)."""
    # Traffic first, so that labelled families have samples whose labels we can read.
    body = {
        "model": "auto",
        "max_tokens": 1,
        "messages": [{"role": "user", "content": "Mail jane.dunmore@example.com a hello."}],
    }
    assert httpx.post(base_url + "/v1/chat/completions", json=body, timeout=60).status_code < 500
    text = httpx.get(base_url + "/metrics", timeout=10).text
    names: dict[str, set[str] | None] = {}
    for fam in text_string_to_metric_families(text):
        for suffix in SUFFIXES.get(fam.type, ("",)):
            names.setdefault(fam.name + suffix, None)
        for sample in fam.samples:
            seen = names.get(sample.name) or set()
            names[sample.name] = seen | set(sample.labels)
    return names


def test_dashboard_is_valid_grafana_json() -> None:
    dash = load_dashboard()
    assert dash["schemaVersion"] >= 36
    assert dash["uid"] and dash["title"]
    variables = {v["name"]: v for v in dash["templating"]["list"]}
    assert variables["datasource"]["type"] == "datasource"
    assert variables["datasource"]["query"] == "prometheus"
    panels = all_panels(dash)
    ids = [p["id"] for p in panels]
    assert len(ids) == len(set(ids)), "panel ids must be unique"
    for p in panels:
        pos = p["gridPos"]
        assert pos["x"] >= 0 and pos["x"] + pos["w"] <= 24, p["title"]
        if p["type"] == "row":
            continue
        assert p["datasource"] == {"type": "prometheus", "uid": "${datasource}"}, p["title"]
        assert p["targets"], p["title"]
        refs = [t["refId"] for t in p["targets"]]
        assert len(refs) == len(set(refs)), p["title"]
        for t in p["targets"]:
            assert t["expr"].count("(") == t["expr"].count(")"), t["expr"]
            assert t["expr"].count("{") == t["expr"].count("}"), t["expr"]


def test_dashboard_covers_the_operations_panels() -> None:
    exprs = " ".join(expressions(load_dashboard()))
    for needed in (
        "edge_router_requests_total",
        "edge_router_request_seconds_bucket",
        "edge_router_local_queue_depth",
        "edge_router_local_in_flight",
        "edge_router_tokens_total",
        "edge_router_entities_detected_total",
        "edge_router_policy_reloads_total",
        "edge_router_audit_failures_total",
    ):
        assert needed in exprs, needed
    for label in ("route", "rule", "provider", "status", "stage", "type", "outcome"):
        assert f"by ({label}" in exprs or f", {label})" in exprs, label


def test_parse_expr_reads_metrics_and_labels() -> None:
    metrics, labels = parse_expr(
        'histogram_quantile(0.95, sum by (le, stage) (rate(x_bucket{job=~"$job", a!="b"}[5m])))'
        " / sum(rate(y_total[$__rate_interval])) or vector(0)"
    )
    assert metrics == {"x_bucket", "y_total"}
    assert labels == {"le", "stage", "job", "a"}


def test_every_expression_uses_exported_metrics_and_labels(
    exported: dict[str, set[str] | None],
) -> None:
    problems: list[str] = []
    for expr in expressions(load_dashboard()):
        metrics, labels = parse_expr(expr)
        if not metrics:
            problems.append(f"no metric in: {expr}")
        for name in metrics:
            if name not in exported:
                problems.append(f"{name} is not exported (in: {expr})")
                continue
            known = exported[name]
            if known is None:
                continue  # no samples yet (e.g. no reload happened): names only
            unknown = labels - known - SCRAPE_LABELS
            # A label may belong to another metric of the same expression.
            others = set().union(*(exported.get(m) or set() for m in metrics))
            if unknown - others:
                problems.append(f"{name} has no label(s) {sorted(unknown - others)} ({expr})")
    assert not problems, "\n".join(problems)
