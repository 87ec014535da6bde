"""Policy decisions through the daemon: headers, /v1/route, blocking (real model, real scanner)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import openai
import pytest
from privacy_fixtures import shared_scanner
from serving import serve

from edge_router.app import create_app
from edge_router.config import PolicySettings, Settings
from edge_router.record.audit_query import AuditReader

BLOCKER = """
name: blocker
default: auto
rules:
  - name: no-email
    when: {entities: [EMAIL_ADDRESS]}
    action: block
  - name: codename
    when: {terms: [blue falcon]}
    action: local
"""


@pytest.fixture(scope="module")
def url(settings: Settings, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    d: Path = tmp_path_factory.mktemp("policies")
    (d / "blocker.yaml").write_text(BLOCKER)
    s = settings.model_copy(update={"policy": PolicySettings(dir=str(d), default="blocker")})
    with serve(create_app(s, scanner=shared_scanner())) as u:
        yield u


def test_block_is_openai_shaped_and_lists_types_not_values(url: str) -> None:
    client = openai.OpenAI(base_url=url + "/v1", api_key="x", max_retries=0)
    with pytest.raises(openai.PermissionDeniedError) as info:
        client.chat.completions.create(
            model="auto",
            messages=[{"role": "user", "content": "mail carol.danvers@example.com now"}],
        )
    err = info.value
    assert err.code == "blocked_by_policy"
    assert "EMAIL_ADDRESS" in err.message and "carol" not in err.message
    assert err.response.headers["x-edge-router-rule"] == "no-email"
    assert err.response.headers["x-edge-router-route"] == "block"


def test_route_endpoint_explains_without_running(url: str) -> None:
    body = {"model": "auto", "messages": [{"role": "user", "content": "Status of Blue Falcon?"}]}
    r = httpx.post(url + "/v1/route", json=body)
    assert r.status_code == 200
    rep = r.json()
    assert rep["rule"] == "codename" and rep["route"] == "local" and rep["policy"] == "blocker"
    assert 0 <= rep["complexity"] <= 1
    assert rep["outbound"] is None


def test_route_calls_are_audited_without_text(url: str, settings: Settings) -> None:
    """A dry run is a decision too: one audit row per call, endpoint ``route``."""
    body = {"model": "auto", "messages": [{"role": "user", "content": "Is blue falcon on?"}]}
    r = httpx.post(url + "/v1/route", json=body)
    assert r.status_code == 200
    rid = r.headers["x-request-id"]
    assert rid.startswith("route-")
    reader = AuditReader(Path(settings.audit.resolve_path()))
    rows = [row for row in reader.query(endpoint="route") if row["request_id"] == rid]
    assert len(rows) == 1
    [row] = rows
    assert (row["route"], row["rule"], row["status"], row["provider"]) == (
        "local",
        "codename",
        200,
        None,
    )
    raw = Path(settings.audit.resolve_path()).read_bytes()
    assert b"blue falcon" not in raw.lower()


def test_chat_headers_carry_rule_and_route(url: str) -> None:
    r = httpx.post(
        url + "/v1/chat/completions",
        json={
            "model": "auto",
            "messages": [{"role": "user", "content": "blue falcon launch plan?"}],
            "max_tokens": 4,
        },
        timeout=60,
    )
    assert r.status_code == 200
    assert r.headers["x-edge-router-rule"] == "codename"
    assert r.headers["x-edge-router-route"] == "local"
    assert r.headers["x-edge-router-policy"] == "blocker"


def test_route_rejects_unknown_model(url: str) -> None:
    r = httpx.post(url + "/v1/route", json={"model": "nope", "messages": []})
    assert r.status_code == 404
