"""Run an ASGI app on a real loopback port in a background thread (tests, benches)."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import uvicorn

from edge_router.api.http import server_config
from edge_router.config import ServerSettings


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@contextmanager
def serve(app: Any, *, port: int | None = None, ready_timeout: float = 120.0) -> Iterator[str]:
    """Serve ``app`` on 127.0.0.1 and yield its base URL; stops on exit."""
    port = port or free_port()
    # The daemon's own server configuration (header limits and timeouts included), so
    # tests meet what `edge-router serve` runs.
    config = server_config(app, ServerSettings(host="127.0.0.1", port=port))
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + ready_timeout
    while not server.started:
        if not thread.is_alive():
            raise RuntimeError("server thread exited during startup")
        if time.monotonic() > deadline:
            raise RuntimeError("server did not start in time")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=30)


def wait_ready(url: str, timeout: float = 120.0, proc: Any = None) -> None:
    """Poll ``url``/readyz until the daemon answers 200. Raises RuntimeError after
    ``timeout`` s, or at once if ``proc`` (its subprocess.Popen) has exited."""
    import httpx

    deadline = time.monotonic() + timeout
    while True:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"daemon at {url} exited during startup (rc {proc.returncode})")
        try:
            if httpx.get(url + "/readyz", timeout=5).status_code == 200:
                return
        except httpx.TransportError:
            pass
        if time.monotonic() > deadline:
            raise RuntimeError(f"daemon at {url} did not become ready in {timeout:.0f} s")
        time.sleep(0.1)
