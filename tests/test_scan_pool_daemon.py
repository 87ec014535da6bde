"""The daemon with ``privacy.workers: 2``: its own worker pool (no injected scanner) in
front of a fake cloud provider on 127.0.0.1, driven by the openai SDK.

A scanner worker killed mid-scan keeps that request local (``scan_failed``) where the
policy would send it to the cloud; the pool replaces the worker and the next request
is scanned and sent as usual; shutdown leaves no worker process behind.
"""

from __future__ import annotations

import os
import signal
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import openai
import pytest
from fake_provider import FakeControl, make_fake_provider
from serving import serve

from edge_router.app import create_app
from edge_router.backends.settings import ProviderSettings
from edge_router.config import PolicySettings, Settings
from edge_router.privacy.pool import ScanPool
from edge_router.privacy.settings import ScannerSettings

CLOUDY = "name: cloudy\ndefault: cloud\n"


@pytest.fixture()
def fake() -> Iterator[tuple[str, FakeControl]]:
    app, control = make_fake_provider()
    with serve(app) as url:
        yield url, control


def _settings(settings: Settings, tmp_path: Path, fake_url: str) -> Settings:
    policies = tmp_path / "policies"
    policies.mkdir()
    (policies / "cloudy.yaml").write_text(CLOUDY)
    provider = ProviderSettings(
        name="p1",
        kind="openai_compatible",
        base_url=fake_url + "/v1",
        models=("gpt-fake",),
        default_model="gpt-fake",
        max_retries=0,
    )
    return settings.model_copy(
        update={
            "policy": PolicySettings(dir=str(policies), default="cloudy"),
            "providers": (provider,),
            # Generous: the test machine is shared. Two workers: it has two cores.
            "privacy": ScannerSettings(workers=2, timeout_s=120.0),
        }
    )


def _ask(client: openai.OpenAI, text: str) -> Any:
    msgs: Any = [{"role": "user", "content": text}]
    return client.chat.completions.with_raw_response.create(
        model="gpt-fake", messages=msgs, max_tokens=3
    )


def test_killed_worker_keeps_request_local_and_pool_recovers(
    settings: Settings, tmp_path: Path, fake: tuple[str, FakeControl]
) -> None:
    furl, control = fake
    app = create_app(_settings(settings, tmp_path, furl))
    with serve(app, ready_timeout=600) as url:
        assert httpx.get(url + "/readyz", timeout=10).status_code == 200
        pool: ScanPool = app.state.edge.scan_pool
        pids = [p for p in pool.pids if p is not None]
        assert len(pids) == 2 and os.getpid() not in pids
        client = openai.OpenAI(base_url=url + "/v1", api_key="x", max_retries=0, timeout=300)

        first = _ask(client, "Name three rivers in Europe.")
        assert first.headers["x-edge-router-route"] == "cloud"
        assert control.request_count == 1

        # Hang both workers so the next request's batch is certainly mid-scan, then kill
        # the worker that holds it.
        for pid in pids:
            os.kill(pid, signal.SIGSTOP)
        answer: list[Any] = []
        asker = threading.Thread(target=lambda: answer.append(_ask(client, "Name two seas.")))
        asker.start()
        deadline = time.monotonic() + 60
        while not pool.busy_pids:
            assert time.monotonic() < deadline, "no worker took the batch"
            time.sleep(0.02)
        busy = pool.busy_pids[0]
        os.kill(busy, signal.SIGKILL)
        for pid in pids:
            if pid != busy:
                os.kill(pid, signal.SIGCONT)
        asker.join(300)
        failed = answer[0]
        assert failed.headers["x-edge-router-route"] == "local"
        assert "scan_failed" in failed.headers["x-edge-router-reasons"].split(",")
        assert control.request_count == 1  # nothing went to the cloud unscanned

        deadline = time.monotonic() + 600
        while busy in pool.pids or None in pool.pids:
            assert time.monotonic() < deadline, "the worker was not replaced"
            time.sleep(0.1)
        assert pool.restarts == 1
        again = _ask(client, "Name two seas.")
        assert again.headers["x-edge-router-route"] == "cloud"
        assert control.request_count == 2
        pids = [p for p in pool.pids if p is not None]
    assert not any(Path(f"/proc/{pid}").exists() for pid in pids)  # no orphans
