"""Operations through a real daemon: auth, audit, metrics, and no personal data in logs."""

from __future__ import annotations

import json
import logging
import os
import re
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
from edge_router.api.status import startup_summary
from edge_router.app import create_app
from edge_router.backends.settings import ProviderSettings
from edge_router.config import PolicySettings, Settings
from edge_router.state import AppState

DATA = Path(__file__).parent / "data" / "pii_sentences.jsonl"
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


def _pii_values() -> tuple[list[str], list[str]]:
    """Synthetic sentences shipped with the tests, and the personal values in them."""
    rows = [json.loads(line) for line in DATA.read_text().splitlines() if line.strip()]
    texts = [r["text"] for r in rows]
    values = sorted({v for r in rows for v in r["values"]})
    return texts, values


def test_no_personal_data_in_logs_or_audit(tmp_path: Path) -> None:
    texts, values = _pii_values()
    assert len(texts) >= 30 and len(values) >= 50
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


# --- what the daemon says about itself: startup line, access log, /readyz, status ----------


def _status(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "edge_router.cli", "status", *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env={**os.environ, **(env or {})},
    )


def test_daemon_says_what_it_does(tmp_path: Path) -> None:
    """A plain `serve` (no audit path): one startup summary line, the audit trail in the
    user's XDG state directory, /readyz and `edge-router status` saying that everything
    stays local, and an access line per request that holds no content."""
    port = free_port()
    cfg = tmp_path / "config.yaml"
    cfg.write_text(f"server: {{port: {port}}}\n")
    xdg = tmp_path / "xdg"
    env = {k: v for k, v in os.environ.items() if k != "STATE_DIRECTORY"}
    env["XDG_STATE_HOME"] = str(xdg)
    secret = "zelda.quimby@example.org"
    log_path = tmp_path / "daemon.log"
    url = f"http://127.0.0.1:{port}"
    with log_path.open("w") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "edge_router.cli", "serve", "--config", str(cfg)],
            stdout=log,
            stderr=subprocess.STDOUT,
            env=env,
        )
        try:
            wait_ready(url, proc=proc)
            client = httpx.Client(base_url=url, timeout=120)
            ready = client.get("/readyz").json()
            status = _status("--url", url, "--timeout", "60")
            body = {"model": "auto", "max_tokens": 2}
            msgs = [{"role": "user", "content": f"Please email {secret} the report"}]
            chat = client.post("/v1/chat/completions", json={**body, "messages": msgs})
            stream_body = {**body, "stream": True, "messages": [{"role": "user", "content": "hi"}]}
            with client.stream("POST", "/v1/chat/completions", json=stream_body) as s:
                streamed = b"".join(s.iter_bytes())
                stream_id = s.headers["x-request-id"]
            route = client.post("/v1/route", json={"messages": msgs})
            client.get(f"/readyz?who={secret}")
            client.get(f"/v1/{secret}/x")
            client.close()
        finally:
            proc.terminate()
            proc.wait(timeout=60)
    assert (ready["status"], ready["reason"], ready["mode"]) == (
        "ready",
        "no_provider_configured",
        "local_only",
    )
    assert ready["providers_configured"] is False and ready["providers"] == {}
    assert status.returncode == 0, status.stderr
    assert "ready" in status.stdout and "none configured (everything stays local)" in status.stdout
    assert "requests" in status.stdout and "queue" in status.stdout
    assert chat.status_code == 200 and streamed.endswith(b"data: [DONE]\n\n")
    # The explain preview never reaches HTTP: /v1/route stays value-free.
    assert route.status_code == 200 and "preview" not in route.text and "***" not in route.text

    logged = log_path.read_text()
    lines = [json.loads(ln) for ln in logged.splitlines() if ln.startswith("{")]
    audit_db = xdg / "edge-router" / "audit.sqlite"
    (summary,) = [ln for ln in lines if ln["msg"].startswith("ready: ")]
    assert summary["msg"].startswith(
        "ready: policy=default providers=none (everything stays local) auth=none "
        f"audit={audit_db} offline=false models=[smollm2-135m-instruct] "
        "attachments_to_cloud=false"
    )
    assert audit_db.is_file()  # the default audit path: the user's state dir, not the checkout
    access = {ln["request_id"]: ln for ln in lines if ln["logger"] == "edge_router.access"}
    first = access[chat.headers["x-request-id"]]
    assert (first["method"], first["path"], first["status"], first["route"]) == (
        "POST",
        "/v1/chat/completions",
        200,
        "local",
    )
    assert first["rule"] == chat.headers["x-edge-router-rule"] and first["latency_ms"] > 0
    assert access[stream_id]["status"] == 200 and "complete" not in access[stream_id]
    paths = [ln["path"] for ln in access.values()]
    assert "/v1/*/x" in paths and paths.count("/readyz") >= 2
    assert secret not in logged and "who=" not in logged


def test_status_needs_operator_credentials_with_auth(
    secured: tuple[str, Path], caplog: pytest.LogCaptureFixture
) -> None:
    url, _ = secured
    caplog.set_level(logging.INFO, logger="edge_router.access")
    refused = _status("--url", url, env={"EDGE_ROUTER_API_KEY": ""})
    assert refused.returncode == 2 and "--api-key" in refused.stderr
    _chat(url, BOB)
    ok = _status("--url", url, "--api-key", BOB, "--timeout", "60")
    assert ok.returncode == 0, ok.stderr
    assert ok.stdout.startswith(f"edge-router at {url}: ready")
    assert re.search(r"requests +local [1-9]", ok.stdout), ok.stdout
    assert _status("--url", url, env={"EDGE_ROUTER_API_KEY": ALICE}).returncode == 0
    # The refused /readyz left an access line with its status, and no credential.
    denied = [r for r in caplog.records if r.name == "edge_router.access"]
    assert any(getattr(r, "fields", {}).get("status") == 401 for r in denied)
    assert BOB not in json.dumps([getattr(r, "fields", {}) for r in denied])


def test_status_exit_codes_for_degraded_and_unreachable(settings: Settings) -> None:
    assert _status("--url", f"http://127.0.0.1:{free_port()}").returncode == 2
    provider = ProviderSettings(
        name="up", kind="openai_compatible", base_url="http://127.0.0.1:9/v1", default_model="m"
    )
    s = settings.model_copy(update={"offline": True, "providers": (provider,)})
    with serve(create_app(s, scanner=shared_scanner())) as url:
        ready = httpx.get(url + "/readyz", timeout=60).json()
        proc = _status("--url", url, "--timeout", "60")
    assert (ready["status"], ready["reason"], ready["providers_configured"]) == (
        "degraded",
        "offline",
        True,
    )
    assert proc.returncode == 1 and "degraded" in proc.stdout and "offline" in proc.stdout


def test_startup_summary_names_providers_auth_and_audit(settings: Settings) -> None:
    provider = ProviderSettings(
        name="up", kind="openai_compatible", base_url="http://127.0.0.1:9/v1", default_model="m"
    )
    on_prem = provider.model_copy(update={"name": "gpu-box", "trusted_local": True})
    auth = AuthSettings(
        require_auth=True,
        keys=[ApiKey(id="bob", hash=hash_key(BOB))],
        admin_token_hash=hash_key(ALICE),
    )
    cases = [
        ({"providers": (provider, on_prem), "auth": auth}, "providers=up auth=required (1 keys)"),
        ({"providers": (provider,), "offline": True}, "providers=up (offline: never contacted)"),
        ({"audit": settings.audit.model_copy(update={"enabled": False})}, "audit=off"),
    ]
    for update, expected in cases:
        message, fields = startup_summary(AppState(settings=settings.model_copy(update=update)))
        assert expected in message, message
    assert fields["audit"] == "off" and fields["providers"].startswith("none")
    message, fields = startup_summary(
        AppState(settings=settings.model_copy(update={"providers": (provider, on_prem)}))
    )
    assert fields["local_servers"] == "gpu-box" and "gpu-box" not in fields["providers"]


def test_startup_summary_names_the_audit_database_without_credentials() -> None:
    from edge_router.api.status import _audit_summary

    fleet = Settings.model_validate(
        {"audit": {"url": "postgresql://bob:s3cret@db.internal:5433/edge", "key_path": "/k"}}
    )
    shown = _audit_summary(fleet)
    assert shown == "postgresql://db.internal:5433/edge"
    assert "s3cret" not in shown and "bob" not in shown
    assert _audit_summary(Settings.model_validate({"audit": {"enabled": False}})) == "off"
