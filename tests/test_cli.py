"""The command line, run as a user would (subprocesses of the installed entry point)."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from privacy_fixtures import shared_scanner
from serving import serve

from edge_router.app import create_app
from edge_router.cli import cloud_view, explain_cloud
from edge_router.config import load_settings
from edge_router.routing.reasons import describe

EXE = [sys.executable, "-m", "edge_router.cli"]


def run(
    *args: str, stdin: str = "", env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*EXE, *args],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        env={**os.environ, **(env or {})},
    )


def test_explain_jsonl_in_order_with_policy() -> None:
    lines = [
        {"text": "my name is amer and my card is 4111 1111 1111 1111"},
        {"messages": [{"role": "user", "content": "What is the boiling point of water?"}]},
    ]
    proc = run(
        "explain",
        "--json",
        "--policy",
        "pci",
        "--jsonl",
        "-",
        stdin="\n".join(map(json.dumps, lines)),
    )
    assert proc.returncode == 0, proc.stderr
    rows = [json.loads(x) for x in proc.stdout.splitlines()]
    assert [r["line"] for r in rows] == [1, 2]
    assert rows[0]["route"] == "local" and rows[0]["policy"] == "pci"
    assert "CREDIT_CARD" in {e["type"] for e in rows[0]["entities"]}
    assert rows[0]["outbound"] is None
    assert rows[1]["sensitive"] is False
    assert "4111" not in proc.stderr


def test_explain_offline_never_routes_to_cloud(tmp_path: Path) -> None:
    src = tmp_path / "in.jsonl"
    src.write_text(json.dumps({"text": "Explain quantum tunnelling with equations."}) + "\n")
    proc = run("explain", "--json", "--offline", "--policy", "default", "--jsonl", str(src))
    assert proc.returncode == 0, proc.stderr
    (row,) = [json.loads(x) for x in proc.stdout.splitlines()]
    assert row["route"] == "local"


def test_policy_check_exit_codes(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "name: bad\ndefault: local\nrules:\n"
        "  - name: r\n    when: {entities: [EMAIL]}\n    action: cloud\n"
    )
    proc = run("policy", "check", str(bad))
    assert proc.returncode == 1
    assert f"{bad}:5" in proc.stderr
    good = run("policy", "check", "policies/default.yaml", "policies/strict.yaml")
    assert good.returncode == 0, good.stderr


def test_invalid_config_refuses_to_start(tmp_path: Path) -> None:
    cfg = tmp_path / "c.yaml"
    cfg.write_text("server:\n  port: not-a-port\n")
    proc = run("serve", "--config", str(cfg))
    assert proc.returncode == 2
    assert "server.port" in proc.stderr and str(cfg) in proc.stderr


def test_invalid_policy_refuses_to_start(tmp_path: Path) -> None:
    (tmp_path / "p.yaml").write_text("name: p\ndefault: maybe\n")
    cfg = tmp_path / "c.yaml"
    cfg.write_text(f"policy:\n  dir: {tmp_path}\n  default: p\n")
    proc = run("serve", "--config", str(cfg))
    assert proc.returncode == 2
    assert "p.yaml:2" in proc.stderr


def test_help_lists_every_command_and_version() -> None:
    proc = run("--help")
    assert proc.returncode == 0
    for command in ("serve", "explain", "status", "policy", "audit", "keys"):
        line = next(ln for ln in proc.stdout.splitlines() if ln.strip().startswith(command))
        assert len(line.split()) > 2, f"{command} has no description"
    version = run("--version")
    assert version.returncode == 0
    assert version.stdout.startswith("edge-router ") and version.stdout.split()[1][0].isdigit()


PRIVATE = "Hi, I am Maria Kowalski, write to maria.k@example.com or call +48 601 234 567."


def test_explain_one_prompt_prints_a_table_with_masked_previews() -> None:
    proc = run("explain", PRIVATE)
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    assert "no provider configured" in out and "local: stays on this machine" in out
    assert "Ma*** Ko***" in out and "EMAIL_ADDRESS" in out
    assert describe("entity:EMAIL_ADDRESS") in out  # each reason with its meaning
    for value in ("Maria", "Kowalski", "maria.k", "601 234", "example.com"):
        assert value not in out + proc.stderr


def test_explain_reads_one_prompt_from_stdin() -> None:
    text = "First line of a note.\nSecond line: what is the capital of France?\n"
    proc = run("explain", "--json", stdin=text)  # piped; `explain -` takes the same path
    assert proc.returncode == 0, proc.stderr
    (row,) = [json.loads(x) for x in proc.stdout.splitlines()]  # one prompt, not two
    assert row["line"] == 1 and row["route"] == "local"


def test_explain_bad_input_exits_non_zero_naming_lines_not_content() -> None:
    lines = [json.dumps({"text": "What is the boiling point of water?"}), "{my name is amer", "[1]"]
    proc = run("explain", "--jsonl", "-", stdin="\n".join(lines))
    assert proc.returncode == 2
    assert "line 2: invalid JSON" in proc.stderr and "line 3:" in proc.stderr
    assert "amer" not in proc.stderr + proc.stdout
    assert "line 1" in proc.stdout  # the good line is still explained
    empty = run("explain", "  ")
    assert empty.returncode == 2 and "empty" in empty.stderr
    missing = run("explain", "--jsonl", "/nonexistent/in.jsonl")
    assert missing.returncode == 2 and "cannot read" in missing.stderr
    latin1 = subprocess.run(
        [*EXE, "explain"], input=b"caf\xe9 amer\n", capture_output=True, timeout=300, check=False
    )
    assert latin1.returncode == 2 and b"not UTF-8" in latin1.stderr


@pytest.fixture()
def allow_cloud(tmp_path: Path) -> Path:
    """A config whose policy sends everything to the cloud, with one provider."""
    policies = tmp_path / "policies"
    policies.mkdir()
    (policies / "allow.yaml").write_text("name: allow\ndefault: cloud\n")
    cfg = tmp_path / "config.yaml"
    cfg.write_text(
        f"policy: {{dir: {policies}, default: allow}}\n"
        "providers:\n"
        "  - {name: up, kind: openai_compatible, base_url: 'http://127.0.0.1:9/v1',\n"
        "     models: [gpt-x], default_model: gpt-x}\n"
    )
    return cfg


def test_explain_follows_the_configured_providers(allow_cloud: Path, tmp_path: Path) -> None:
    """By default explain answers as the daemon with this config would."""
    bare = tmp_path / "bare.yaml"
    bare.write_text(f"policy: {{dir: {tmp_path / 'policies'}, default: allow}}\n")
    rows = []
    for cfg in (allow_cloud, bare):
        proc = run("explain", "--json", "--config", str(cfg), "Explain photosynthesis simply.")
        assert proc.returncode == 0, proc.stderr
        rows.append(json.loads(proc.stdout))
    assert rows[0]["route"] == "cloud"
    assert rows[1]["route"] == "local" and "cloud_unavailable" in rows[1]["reasons"]


def test_explain_and_the_daemon_resolve_an_alias_alike(tmp_path: Path) -> None:
    """A policy's `models:` condition sees the model an alias stands for, in explain (the
    CLI and POST /v1/route) as in the request itself: all three take the same rule."""
    policies = tmp_path / "policies"
    policies.mkdir()
    (policies / "bymodel.yaml").write_text(
        "name: bymodel\ndefault: cloud\nrules:\n"
        "  - {name: gpt-x-stays-here, when: {models: [gpt-x]}, action: local}\n"
    )
    cfg = tmp_path / "config.yaml"
    cfg.write_text(
        f"policy: {{dir: {policies}, default: bymodel}}\n"
        f"audit: {{path: {tmp_path / 'audit.sqlite'}}}\n"
        "aliases: {corp-gpt: gpt-x}\n"
        "providers:\n"
        "  - {name: up, kind: openai_compatible, base_url: 'http://127.0.0.1:9/v1',\n"
        "     models: [gpt-x], default_model: gpt-x, max_retries: 0}\n"
    )
    text = "Explain photosynthesis simply."
    line = {"model": "corp-gpt", "text": text}
    proc = run("explain", "--json", "--config", str(cfg), "--jsonl", "-", stdin=json.dumps(line))
    assert proc.returncode == 0, proc.stderr
    explained = json.loads(proc.stdout)
    chat = {"model": "corp-gpt", "messages": [{"role": "user", "content": text}], "max_tokens": 1}
    with (
        serve(create_app(load_settings(cfg), scanner=shared_scanner())) as url,
        httpx.Client(base_url=url, timeout=120) as client,
    ):
        routed = client.post("/v1/route", json=line).json()
        answered = client.post("/v1/chat/completions", json=chat)
    assert answered.status_code == 200, answered.text
    decided = answered.headers["x-edge-router-rule"], answered.headers["x-edge-router-route"]
    assert decided == ("gpt-x-stays-here", "local")
    for row in (explained, routed):
        assert (row["rule"], row["route"]) == decided
        assert row["entities"] == []  # the model name is the operator's, not scanned
    assert explained["target"] == routed["target"]


def test_explain_scans_the_fields_a_provider_forwards_like_the_daemon(tmp_path: Path) -> None:
    """A provider's `forward_fields` leave the machine, so the daemon scans them; explain
    must scan them too, or it would call a body clean that the daemon keeps local."""
    cfg = tmp_path / "config.yaml"
    cfg.write_text(
        f"audit: {{path: {tmp_path / 'audit.sqlite'}}}\n"
        "providers:\n"
        "  - {name: up, kind: openai_compatible, base_url: 'http://127.0.0.1:9/v1',\n"
        "     models: [gpt-x], default_model: gpt-x, max_retries: 0,\n"
        "     forward_fields: [custom_field]}\n"
    )
    body = {
        "model": "gpt-x",
        "messages": [{"role": "user", "content": "Explain photosynthesis simply."}],
        "custom_field": "reply to jane.dunmore@example.org",
    }
    proc = run("explain", "--json", "--config", str(cfg), "--jsonl", "-", stdin=json.dumps(body))
    assert proc.returncode == 0, proc.stderr
    explained = json.loads(proc.stdout)
    with (
        serve(create_app(load_settings(cfg), scanner=shared_scanner())) as url,
        httpx.Client(base_url=url, timeout=120) as client,
    ):
        routed = client.post("/v1/route", json=body).json()
    found = sorted(e["type"] for e in explained["entities"])
    assert "EMAIL_ADDRESS" in found
    assert found == sorted(e["type"] for e in routed["entities"])
    assert (explained["rule"], explained["route"]) == (routed["rule"], routed["route"])


def test_cloud_view_matches_provider_serves(allow_cloud: Path) -> None:
    settings = load_settings(allow_cloud)
    serves = cloud_view(settings)
    assert serves("auto") and serves("AUTO") and serves("gpt-x")
    assert not serves("gpt-other") and not serves("smollm2-135m-instruct")
    offline = settings.model_copy(update={"offline": True})
    assert not cloud_view(offline)("auto")
    # The flags: --offline wins, --assume-cloud ignores the config.
    assert explain_cloud(settings, offline=True) is False
    assert explain_cloud(load_settings(None), assume_cloud=True) is True
    default = explain_cloud(load_settings(None))
    assert callable(default) and not default("auto")  # no provider: everything local


def test_flags_override_config_and_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cfg = tmp_path / "c.yaml"
    cfg.write_text("server: {port: 9001, host: 127.0.0.1}\n")
    monkeypatch.setenv("EDGE_ROUTER_PORT", "9002")
    assert load_settings(cfg).server.port == 9002  # env beats the file
    s = load_settings(cfg, {"server": {"port": 9003}})  # flags beat both
    assert s.server.port == 9003 and s.server.host == "127.0.0.1"
    assert os.environ["EDGE_ROUTER_PORT"] == "9002"


def test_serve_fails_fast_when_the_port_is_taken(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        cfg = tmp_path / "c.yaml"
        cfg.write_text(f"audit: {{path: {tmp_path / 'a.sqlite'}}}\n")
        proc = run("serve", "--config", str(cfg), "--port", str(port))
    assert proc.returncode == 2
    assert f"127.0.0.1:{port}" in proc.stderr and "already in use" in proc.stderr
    # Nothing was loaded: the check runs before the scanner and the models.
    assert "loading" not in proc.stdout and "ready" not in proc.stdout
    assert not (tmp_path / "a.sqlite").exists()
