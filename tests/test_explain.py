from __future__ import annotations

import json
from pathlib import Path

import pytest
from privacy_fixtures import scanner  # noqa: F401 - pytest fixture

from edge_router.config import REPO_ROOT
from edge_router.privacy.scanner import PrivacyScanner
from edge_router.routing.complexity import ComplexityScorer
from edge_router.routing.explain import explain_lines
from edge_router.routing.pipeline import PolicySet, Router


@pytest.fixture()
def router(scanner: PrivacyScanner) -> Router:  # noqa: F811
    return Router(scanner, PolicySet.load(REPO_ROOT / "policies", "default"), ComplexityScorer())


def test_explain_routes_and_outbound(router: Router) -> None:
    chat = {"messages": [{"role": "user", "content": "Explain photosynthesis simply."}]}
    lines = [
        json.dumps({"text": "my name is amer, email amer@example.com"}),
        json.dumps(chat),
        json.dumps({"text": "What is the tallest mountain in Europe?"}),
        "",
        "{not json my name is amer",
        json.dumps([1, 2]),
    ]
    rows = list(explain_lines(lines, router, cloud_available=True))
    assert rows[0]["sensitive"] and rows[0]["route"] == "local"
    assert rows[0]["outbound"] is None and rows[0]["policy"] == "default"
    assert rows[0]["rule"] != "default"  # an identifier rule fired
    assert {e["type"] for e in rows[0]["entities"]} >= {"PERSON", "EMAIL_ADDRESS"}
    for row in rows[:3]:
        assert 0.0 <= row["complexity"] <= 1.0
        assert set(row) >= {"sensitive", "route", "reasons", "entities", "outbound", "rule"}
    assert rows[3] == {"error": "invalid JSON", "line": 5}
    assert rows[4]["line"] == 6 and "error" in rows[4]
    assert "amer" not in json.dumps(rows[3:]) and "amer" not in json.dumps(rows[0]["reasons"])


def test_cloud_route_shows_outbound_and_offline_keeps_local(
    scanner: PrivacyScanner,  # noqa: F811
    tmp_path: Path,
) -> None:
    (tmp_path / "allow.yaml").write_text("name: allow\ndefault: cloud\n")
    router = Router(scanner, PolicySet.load(tmp_path, "allow"), ComplexityScorer())
    body = {"messages": [{"role": "user", "content": "Explain photosynthesis simply."}]}
    line = json.dumps(body)
    (online,) = explain_lines([line], router, cloud_available=True)
    assert online["route"] == "cloud" and online["outbound"] == body["messages"]
    (offline,) = explain_lines([line], router, cloud_available=False)
    assert offline["route"] == "local" and offline["outbound"] is None
    assert "cloud_unavailable" in offline["reasons"]


def test_gdpr_redacts_outbound(scanner: PrivacyScanner) -> None:  # noqa: F811
    router = Router(scanner, PolicySet.load(REPO_ROOT / "policies", "gdpr"), ComplexityScorer())
    body = {"messages": [{"role": "user", "content": "Write to jane.doe@example.org about lunch."}]}
    (row,) = explain_lines([json.dumps(body)], router, cloud_available=True)
    assert row["route"] == "cloud" and row["redact"] is True
    out = json.dumps(row["outbound"])
    assert "jane.doe@example.org" not in out and "EMAIL_ADDRESS" in out


def test_many_lines_batched(router: Router) -> None:
    lines = [json.dumps({"text": f"question number {i} about rivers"}) for i in range(150)]
    rows = list(explain_lines(lines, router))
    assert len(rows) == 150 and [r["line"] for r in rows] == list(range(1, 151))
