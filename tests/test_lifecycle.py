"""SIGTERM drains in-flight requests before the daemon exits (real process, real model)."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from pathlib import Path

import httpx
from serving import free_port, wait_ready


def test_sigterm_drains_in_flight_stream(tmp_path: Path) -> None:
    port = free_port()
    cfg = tmp_path / "c.yaml"
    cfg.write_text(
        f"server: {{port: {port}, drain_timeout_s: 60}}\naudit: {{path: {tmp_path / 'a.sqlite'}}}\n"
    )
    proc = subprocess.Popen(
        [sys.executable, "-m", "edge_router.cli", "serve", "--config", str(cfg)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_ready(url)
        body = {
            "model": "auto",
            "messages": [{"role": "user", "content": "Write a long poem about the sea."}],
            "max_tokens": 200,
            "temperature": 0,
            "stream": True,
        }
        chunks = []
        with httpx.stream("POST", url + "/v1/chat/completions", json=body, timeout=120) as r:
            lines = r.iter_lines()
            chunks.append(next(lines))
            proc.send_signal(signal.SIGTERM)  # mid-stream
            chunks.extend(lines)
        data = [c for c in chunks if c.startswith("data: ")]
        assert data[-1] == "data: [DONE]"
        finishes = [
            json.loads(c[6:])["choices"][0]["finish_reason"]
            for c in data[:-1]
            if json.loads(c[6:])["choices"]
        ]
        assert finishes[-1] in ("stop", "length")  # the answer completed, not cut
        # uvicorn re-raises the caught SIGTERM after its graceful exit; systemd counts
        # death by SIGTERM as a clean stop.
        assert proc.wait(timeout=60) in (0, -signal.SIGTERM)
        # Draining means no new work: the port is closed once the process is gone.
        try:
            httpx.get(url + "/healthz", timeout=2)
            raise AssertionError("daemon still answering after SIGTERM")
        except httpx.TransportError:
            pass
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
