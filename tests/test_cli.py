"""The command line, run as a user would (subprocesses of the installed entry point)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

EXE = [sys.executable, "-m", "edge_router.cli"]


def run(*args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*EXE, *args], input=stdin, capture_output=True, text=True, timeout=300, check=False
    )


def test_explain_jsonl_in_order_with_policy() -> None:
    lines = [
        {"text": "my name is amer and my card is 4111 1111 1111 1111"},
        {"messages": [{"role": "user", "content": "What is the boiling point of water?"}]},
    ]
    proc = run(
        "explain", "--policy", "pci", "--jsonl", "-", stdin="\n".join(map(json.dumps, lines))
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
    proc = run("explain", "--offline", "--policy", "default", "--jsonl", str(src))
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
