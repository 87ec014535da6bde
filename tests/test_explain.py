from __future__ import annotations

import json

from privacy_fixtures import scanner  # noqa: F401 - pytest fixture

from edge_router.explain import RouteInfo, explain_lines
from edge_router.privacy.scanner import PrivacyScanner
from edge_router.privacy.types import ScanResult


def test_explain_routes_and_outbound(scanner: PrivacyScanner) -> None:  # noqa: F811
    chat = {"messages": [{"role": "user", "content": "Explain photosynthesis simply."}]}
    lines = [
        json.dumps({"text": "my name is amer, email amer@example.com"}),
        json.dumps(chat),
        json.dumps({"text": "What is the tallest mountain in Europe?"}),
        "",
        "{not json my name is amer",
        json.dumps([1, 2]),
    ]
    rows = list(explain_lines(lines, scanner))
    assert rows[0]["sensitive"] and rows[0]["route"] == "local"
    assert rows[0]["rule"] == "default-sensitive-local" and rows[0]["outbound"] is None
    assert "entity:EMAIL_ADDRESS" in rows[0]["reasons"]
    assert {e["type"] for e in rows[0]["entities"]} >= {"PERSON", "EMAIL_ADDRESS"}
    assert rows[1]["route"] == "cloud" and rows[1]["rule"] == "default-allow"
    assert rows[1]["outbound"] == chat["messages"]
    assert rows[2]["outbound"] == [
        {"role": "user", "content": "What is the tallest mountain in Europe?"}
    ]
    assert rows[3] == {"error": "invalid JSON", "line": 5}
    assert rows[4]["line"] == 6 and "error" in rows[4]
    assert "amer" not in json.dumps(rows[3:]) and "amer" not in json.dumps(rows[0]["reasons"])


def test_custom_route_fn(scanner: PrivacyScanner) -> None:  # noqa: F811
    def block_all(body: dict[str, object], result: ScanResult) -> RouteInfo:
        return RouteInfo("block", "test-block", ("policy:block",), None)

    (row,) = explain_lines([json.dumps({"text": "hello"})], scanner, block_all)
    assert row["route"] == "block" and row["rule"] == "test-block" and row["outbound"] is None
    assert row["reasons"] == ["policy:block"]


def test_many_lines_batched(scanner: PrivacyScanner) -> None:  # noqa: F811
    lines = [json.dumps({"text": f"question number {i} about rivers"}) for i in range(150)]
    rows = list(explain_lines(lines, scanner))
    assert len(rows) == 150 and [r["line"] for r in rows] == list(range(1, 151))
