from __future__ import annotations

import json
from pathlib import Path

import pytest
from privacy_fixtures import scanner  # noqa: F401 - pytest fixture

from edge_router.config import REPO_ROOT
from edge_router.privacy.context import _WEAK_REASON
from edge_router.privacy.scanner import PrivacyScanner
from edge_router.privacy.types import Entity, ScanResult, TextField
from edge_router.routing.complexity import ComplexityScorer
from edge_router.routing.decide import RouteContext, decide
from edge_router.routing.explain import explain_lines, format_row, masked_preview
from edge_router.routing.pipeline import PolicySet, Router
from edge_router.routing.policy import parse_policy
from edge_router.routing.reasons import REASONS, describe, lookup
from edge_router.routing.reasons import markdown as reasons_markdown


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
    body = {
        "messages": [{"role": "user", "content": "Write to jane.dunmore@example.org about lunch."}]
    }
    (row,) = explain_lines([json.dumps(body)], router, cloud_available=True)
    assert row["route"] == "cloud" and row["redact"] is True
    out = json.dumps(row["outbound"])
    assert "jane.dunmore@example.org" not in out and "EMAIL_ADDRESS" in out


def test_many_lines_batched(router: Router) -> None:
    lines = [json.dumps({"text": f"question number {i} about rivers"}) for i in range(150)]
    rows = list(explain_lines(lines, router))
    assert len(rows) == 150 and [r["line"] for r in rows] == list(range(1, 151))


# --- masked previews (local CLI output only) --------------------------------------------


@pytest.mark.parametrize(
    ("etype", "value", "preview"),
    [
        ("PERSON", "Maria Kowalski", "Ma*** Ko***"),
        ("PERSON", "Jo Ann Smith", "*** *** Sm***"),
        ("PERSON", "Наталья", "На***"),
        ("LOCATION", "New York", "*** Yo***"),  # words under four letters: nothing
        ("PERSON", "O'Brien-Smythe", "O'***"),
        ("PERSON", "Li", "(2 chars)"),  # too short to show anything
        ("PERSON", "王小明", "(3 chars)"),
        ("PERSON", "jane.doe@example.org", "(20 chars)"),  # not letters: length only
        ("PERSON", "Anna 2nd", "(8 chars)"),
        ("EMAIL_ADDRESS", "jane at example dot org", "(23 chars)"),  # not a name type
        ("PHONE_NUMBER", "+1 555 123 4567", "(15 chars)"),
        ("US_SSN", "123-45-6789", "(11 chars)"),
        ("CREDIT_CARD", "4111 1111 1111 1111", "(19 chars)"),
        ("USERNAME", "@natgeo", "(7 chars)"),
    ],
)
def test_masked_preview(etype: str, value: str, preview: str) -> None:
    assert masked_preview(etype, value) == preview


def test_previews_only_when_asked(router: Router) -> None:
    line = json.dumps({"text": "Hi, I am Maria Kowalski, email maria.k@example.com"})
    (plain,) = explain_lines([line], router, cloud_available=False)
    assert all("preview" not in e for e in plain["entities"])  # what /v1/route returns
    (row,) = explain_lines([line], router, cloud_available=False, previews=True)
    previews = {e["type"]: e["preview"] for e in row["entities"]}
    assert previews["EMAIL_ADDRESS"] == "(19 chars)"
    assert "Ma*** Ko***" in previews.values()
    table = format_row(row)
    assert "Ma*** Ko***" in table and "Kowalski" not in table and "maria.k" not in table


def test_table_explains_every_reason(router: Router) -> None:
    (row,) = explain_lines([json.dumps({"text": "What is 2+2?"})], router, cloud_available=False)
    table = format_row(row)
    assert "auto:local_capable" in row["reasons"]
    assert describe("auto:local_capable") in table and "local: stays on this machine" in table


def test_cloud_view_per_model(scanner: PrivacyScanner, tmp_path: Path) -> None:  # noqa: F811
    """A callable cloud view is asked per request model, as the daemon asks its providers."""
    (tmp_path / "allow.yaml").write_text("name: allow\ndefault: cloud\n")
    router = Router(scanner, PolicySet.load(tmp_path, "allow"), ComplexityScorer())
    asked: list[str] = []

    def only_gpt(model: str) -> bool:
        asked.append(model)
        return model == "gpt-x"

    lines = [json.dumps({"text": "hello there", "model": m}) for m in ("gpt-x", "auto")]
    rows = list(explain_lines(lines, router, cloud_available=only_gpt))
    assert [r["route"] for r in rows] == ["cloud", "local"] and asked == ["gpt-x", "auto"]
    assert "cloud_unavailable" in rows[1]["reasons"]


# --- reason codes: one source of truth ---------------------------------------------------


def test_readme_reason_table_is_the_code_table() -> None:
    readme = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("### Reason codes", 1)[1].split("\n#", 1)[0]
    table = [ln for ln in section.splitlines() if ln.startswith("|")]
    assert "\n".join(table) == reasons_markdown(), "README table differs from routing/reasons.py"
    assert len(table) == len(REASONS) + 2


def _ctx(**kw: object) -> RouteContext:
    base: dict[str, object] = {"scan": ScanResult(), "texts": (), "model": "auto"}
    return RouteContext(**{**base, **kw})  # type: ignore[arg-type]


def test_every_reason_decide_and_the_scanner_give_is_documented() -> None:
    """Drive decide() through every rule condition and action, and list the scanner's
    weak-name verdicts: each code must match a line of routing/reasons.py."""
    policy = parse_policy(
        """
default: auto
rules:
  - name: all-conditions
    when:
      entities: ["*"]
      patterns: ['x']
      terms: [xx]
      models: ["*"]
      api_keys: ["*"]
      tenants: ["*"]
      headers: {x-team: "*"}
      complexity: [simple, complex]
      load: [normal, busy, saturated]
      sensitive: true
      non_text: true
      scan_failed: false
    action: cloud
  - name: negatives
    when: {sensitive: false, non_text: false, scan_failed: true}
    action: redact
"""
    )
    entity = Entity("EMAIL_ADDRESS", 0, 2, 0.9, "messages[0].content")
    texts = (TextField("messages[0].content", "xx"),)
    scans = [
        ScanResult(),
        ScanResult(entities=(entity,), sensitive=True, reasons=("entity:EMAIL_ADDRESS",)),
        ScanResult(
            entities=(entity,), sensitive=True, reasons=("non_text_part",), non_text_parts=("p",)
        ),
        ScanResult.failed(),
    ]
    seen: set[str] = set()
    for scan in scans:
        for load in ("normal", "busy", "saturated", None):
            for klass in ("simple", "complex"):
                for cloud in (True, False):
                    for attach in (True, False):
                        ctx = _ctx(
                            scan=scan,
                            texts=texts,
                            api_key_id="k",
                            tenant="t",
                            headers={"x-team": "a"},
                            complexity_class=klass,
                            load_state=load,
                            cloud_available=cloud,
                            send_unscanned_attachments=attach,
                        )
                        for pol in (policy, parse_policy("default: auto\n")):
                            seen |= set(decide(ctx, pol).reasons) | set(scan.reasons)
    seen |= {f"weak:PERSON({v})" for v in _WEAK_REASON.values()}
    seen.add("weak:PERSON(no_personal_context)")
    undocumented = sorted(code for code in seen if lookup(code) is None)
    assert undocumented == []
    # The grid reached the decision codes the table documents, so it can fail.
    assert {"auto:local_capable", "auto:complex", "auto:load_busy", "cloud_unavailable"} <= seen
    assert {"non_text_local", "non_text_sent", "header:x-team", "not_scan_failed"} <= seen


def test_explain_shows_what_the_reply_guard_will_do(scanner: PrivacyScanner) -> None:  # noqa: F811
    # strict redacts personal data in replies (local ones too); default passes them.
    strict = Router(scanner, PolicySet.load(REPO_ROOT / "policies", "strict"), ComplexityScorer())
    (row,) = explain_lines([json.dumps({"text": "Explain tides."})], strict, cloud_available=True)
    assert (row["response"], row["response_local"]) == ("redact", True)
    assert "reply       redact personal data in cloud and local replies" in format_row(row)
    default = Router(scanner, PolicySet.load(REPO_ROOT / "policies", "default"), ComplexityScorer())
    (plain,) = explain_lines([json.dumps({"text": "Explain tides."})], default)
    assert plain["response"] == "pass" and "reply" not in format_row(plain).split()
