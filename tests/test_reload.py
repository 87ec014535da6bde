"""SIGHUP reloads policies in a real daemon process; a broken file keeps the last good one."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
from serving import free_port, wait_ready

HEAD = "name: live\ndefault: local\nrules:\n"
V1 = HEAD + "  - {name: first, when: {terms: [zebra]}, action: local}\n"
V2 = HEAD + "  - {name: second, when: {terms: [zebra]}, action: local}\n"
BROKEN = HEAD + "  - {name: third, when: {terms: [zebra]}, action: maybe}\n"


def _rule(url: str) -> str:
    body = {"messages": [{"role": "user", "content": "tell me about the zebra"}]}
    rule: str = httpx.post(url + "/v1/route", json=body, timeout=30).json()["rule"]
    return rule


def _wait(pred: object, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if pred():  # type: ignore[operator]
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise AssertionError("condition not reached")


def test_sighup_reload_keeps_last_good(tmp_path: Path) -> None:
    pdir = tmp_path / "policies"
    pdir.mkdir()
    (pdir / "live.yaml").write_text(V1)
    cfg = tmp_path / "config.yaml"
    port = free_port()
    cfg.write_text(
        f"server: {{port: {port}}}\npolicy: {{dir: {pdir}, default: live}}\n"
        f"audit: {{path: {tmp_path / 'audit.sqlite'}}}\n"
    )
    log = (tmp_path / "log").open("w+")
    proc = subprocess.Popen(
        [sys.executable, "-m", "edge_router.cli", "serve", "--config", str(cfg)],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_ready(url)
        assert _rule(url) == "first"
        (pdir / "live.yaml").write_text(V2)
        os.kill(proc.pid, signal.SIGHUP)
        _wait(lambda: _rule(url) == "second")
        (pdir / "live.yaml").write_text(BROKEN)
        os.kill(proc.pid, signal.SIGHUP)
        _wait(lambda: "policy reload failed" in (tmp_path / "log").read_text())
        assert _rule(url) == "second"
        assert proc.poll() is None
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        log.close()
    lines = [
        json.loads(x) for x in (tmp_path / "log").read_text().splitlines() if x.startswith("{")
    ]
    failed = [x for x in lines if x["msg"].startswith("policy reload failed")]
    assert failed and "live.yaml:4" in failed[0]["problems"][0]
