"""Operations through a real daemon: auth, audit, metrics, and no personal data in logs."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import openai
import pytest
from privacy_fixtures import shared_scanner
from prometheus_client.parser import text_string_to_metric_families
from serving import free_port, serve, wait_ready

from edge_router.api.auth import ApiKey, AuthSettings, hash_key
from edge_router.app import create_app
from edge_router.config import REPO_ROOT, PolicySettings, Settings

DATA = REPO_ROOT.parent / "shared" / "data" / "presidio_synth_dataset_v2.json"
ALICE, BOB = "er-alice-0123456789abcdef", "er-bob-0123456789abcdef"


@pytest.fixture(scope="module")
def secured(settings: Settings) -> Iterator[tuple[str, Path]]:
    auth = AuthSettings(
        require_auth=True,
        keys=[
            ApiKey(id="alice", hash=hash_key(ALICE), tenant="t-a", policy="strict"),
            ApiKey(id="bob", hash=hash_key(BOB), tenant="t-b", policy="default"),
        ],
    )
    s = settings.model_copy(update={"auth": auth})
    with serve(create_app(s, scanner=shared_scanner())) as url:
        yield url, Path(str(s.audit.path))


def _chat(url: str, key: str | None, text: str = "Say hi") -> httpx.Response:
    headers = {"authorization": f"Bearer {key}"} if key else {}
    body = {"model": "auto", "messages": [{"role": "user", "content": text}], "max_tokens": 2}
    return httpx.post(url + "/v1/chat/completions", json=body, headers=headers, timeout=60)


def test_auth_required_and_keys_bind_policies(secured: tuple[str, Path]) -> None:
    url, _ = secured
    for key in (None, "er-wrong-key"):
        r = _chat(url, key)
        assert r.status_code == 401
        assert r.json()["error"]["type"] == "authentication_error"
    assert _chat(url, ALICE).headers["x-edge-router-policy"] == "strict"
    assert _chat(url, BOB).headers["x-edge-router-policy"] == "default"
    # The Anthropic SDK's header works too.
    r = httpx.post(
        url + "/v1/route",
        json={"messages": [{"role": "user", "content": "hi"}]},
        headers={"x-api-key": ALICE},
    )
    assert r.status_code == 200 and r.json()["policy"] == "strict"
    client = openai.OpenAI(base_url=url + "/v1", api_key=BOB, max_retries=0)
    assert client.chat.completions.create(
        model="auto", messages=[{"role": "user", "content": "hi"}], max_tokens=2
    ).choices


def test_audit_records_decisions_without_values(secured: tuple[str, Path]) -> None:
    url, db = secured
    secret = "zelda.quimby@example.org"
    r = _chat(url, BOB, f"Please email {secret} the report")
    assert r.status_code == 200
    rid = r.headers["x-request-id"]
    with sqlite3.connect(db) as conn:
        row = conn.execute(
            "SELECT key_id, tenant, route, rule, status, entity_types, content_hashes "
            "FROM audit WHERE request_id = ?",
            (rid,),
        ).fetchone()
    key_id, tenant, route, rule, status, entity_types, hashes = row
    assert (key_id, tenant, route, status) == ("bob", "t-b", "local", 200)
    assert rule and "EMAIL_ADDRESS" in json.loads(entity_types)
    assert json.loads(hashes)
    for path in db.parent.glob(db.name + "*"):
        assert b"zelda" not in path.read_bytes()


ADMIN = "er-admin-0123456789abcdef"


def test_admin_endpoints_need_the_admin_token(settings: Settings, tmp_path: Path) -> None:
    pdir = tmp_path / "policies"
    pdir.mkdir()
    (pdir / "p.yaml").write_text("name: p\ndefault: local\n")
    s = settings.model_copy(
        update={
            "auth": AuthSettings(admin_token_hash=hash_key(ADMIN)),
            "policy": PolicySettings(dir=str(pdir), default="p"),
        }
    )
    with serve(create_app(s, scanner=shared_scanner())) as url:
        assert httpx.post(url + "/admin/reload").status_code == 401
        wrong = {"authorization": "Bearer er-nope"}
        assert httpx.post(url + "/admin/reload", headers=wrong).status_code == 401
        admin = {"authorization": f"Bearer {ADMIN}"}
        r = httpx.post(url + "/admin/reload", headers=admin)
        assert r.status_code == 200 and r.json() == {"reloaded": True, "policies": ["p"]}
        (pdir / "p.yaml").write_text("name: p\ndefault: nowhere\n")
        r = httpx.post(url + "/admin/reload", headers=admin)
        assert r.status_code == 422 and r.json()["reloaded"] is False
        _chat(url, None, "hello")
        rows = httpx.get(url + "/admin/audit", params={"route": "local"}, headers=admin).json()
        assert rows["data"] and rows["data"][0]["route"] == "local"
        assert "hello" not in json.dumps(rows)


def test_admin_endpoints_are_off_without_a_token(secured: tuple[str, Path]) -> None:
    url, _ = secured
    r = httpx.post(url + "/admin/reload", headers={"authorization": f"Bearer {ALICE}"})
    assert r.status_code == 403 and r.json()["error"]["code"] == "admin_disabled"


def test_metrics_parse_with_prometheus_parser(secured: tuple[str, Path]) -> None:
    url, _ = secured
    _chat(url, BOB)
    assert httpx.get(url + "/metrics").status_code == 401  # require_auth covers metrics
    text = httpx.get(url + "/metrics", headers={"authorization": f"Bearer {BOB}"}).text
    families = {f.name: f for f in text_string_to_metric_families(text)}
    assert "edge_router_requests" in families
    samples = [s for s in families["edge_router_requests"].samples if s.name.endswith("_total")]
    assert any(s.labels["route"] == "local" and s.value >= 1 for s in samples)
    assert "edge_router_local_queue_depth" in families
    assert "edge_router_request_seconds" in families


def test_refuses_public_bind_without_auth(tmp_path: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "edge_router.cli", "serve", "--host", "0.0.0.0"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 2
    assert "auth" in proc.stderr.lower()


def _pii_values(limit: int) -> tuple[list[str], list[str]]:
    if not DATA.is_file():
        if os.environ.get("CI"):
            pytest.fail(f"development set missing: {DATA}")
        pytest.skip(f"development set not present beside the checkout: {DATA}")
    rows = [r for r in json.loads(DATA.read_text()) if r["spans"]][:limit]
    texts = [r["full_text"] for r in rows]
    # Values long enough not to occur by chance in a log line (dates, ages and
    # two-letter codes would match timestamps and field names).
    values = sorted(
        {
            s["entity_value"].strip()
            for r in rows
            for s in r["spans"]
            if s["entity_type"] not in {"DATE_TIME", "AGE", "TITLE", "NRP", "GPE"}
            and len(s["entity_value"].strip()) >= 6
        }
    )
    return texts, values


def test_no_personal_data_in_logs_or_audit(tmp_path: Path) -> None:
    texts, values = _pii_values(80)
    port = free_port()
    cfg = tmp_path / "config.yaml"
    db = tmp_path / "audit.sqlite"
    cfg.write_text(f"server: {{port: {port}, log_level: debug}}\naudit: {{path: {db}}}\n")
    log_path = tmp_path / "daemon.log"
    with log_path.open("w") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "edge_router.cli", "serve", "--config", str(cfg)],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        url = f"http://127.0.0.1:{port}"
        try:
            wait_ready(url)
            with httpx.Client(base_url=url, timeout=60) as client:
                for i, text in enumerate(texts):
                    body = {"model": "auto", "messages": [{"role": "user", "content": text}]}
                    if i % 2:
                        r = client.post("/v1/route", json=body)
                    else:
                        r = client.post("/v1/chat/completions", json={**body, "max_tokens": 1})
                    assert r.status_code in (200, 403), r.status_code
                # Malformed input must not be echoed into logs either.
                client.post("/v1/chat/completions", content=texts[0].encode() + b"{")
        finally:
            proc.terminate()
            proc.wait(timeout=60)
    logged = log_path.read_text()
    assert logged.count("\n") > 3  # the daemon did log
    audit_bytes = b"".join(p.read_bytes() for p in tmp_path.glob("audit.sqlite*"))
    leaks = [v for v in values if v in logged or v.encode() in audit_bytes]
    assert leaks == [], f"{len(leaks)} detected values leaked into logs or the audit trail"
