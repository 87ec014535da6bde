"""A real on-prem model server as a ``trusted_local`` provider.

llama-cpp-python ships its own OpenAI-compatible server (``python -m llama_cpp.server``),
the same engine family a fleet would run on its GPU boxes. Here it serves the embedded
GGUF on 127.0.0.1, edge-router is configured with it as a trusted on-prem provider next
to a (fake) cloud, and sensitive traffic reaches the on-prem server, never the cloud,
through the official OpenAI SDK, streamed and not.
"""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import openai
import pytest
from fake_provider import make_fake_provider
from privacy_fixtures import shared_scanner
from serving import free_port, serve

from edge_router.app import create_app
from edge_router.backends.settings import ProviderSettings
from edge_router.config import PolicySettings, Settings

ALIAS = "onprem-smollm"


@pytest.fixture(scope="module")
def onprem(settings: Settings, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """``llama_cpp.server`` on the embedded model; yields its base URL."""
    spec = settings.local.models[0]
    port = free_port()
    log = tmp_path_factory.mktemp("onprem") / "server.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            [
                sys.executable,
                *("-m", "llama_cpp.server"),
                *("--model", str(settings.local.resolve_path(spec))),
                *("--model_alias", ALIAS),
                *("--host", "127.0.0.1", "--port", str(port)),
                *("--n_ctx", "2048", "--n_threads", "1"),
            ],
            stdout=out,
            stderr=subprocess.STDOUT,
        )
        url = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 120
            while True:
                if proc.poll() is not None:
                    raise RuntimeError("llama_cpp.server exited:\n" + log.read_text()[-2000:])
                try:
                    if httpx.get(url + "/v1/models", timeout=5).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                if time.monotonic() > deadline:
                    raise RuntimeError("llama_cpp.server did not start in 120 s")
                time.sleep(0.2)
            yield url
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def test_sensitive_traffic_goes_to_the_onprem_server_not_the_cloud(
    settings: Settings, onprem: str
) -> None:
    gpu_box = ProviderSettings(
        name="gpu-box",
        kind="openai_compatible",
        base_url=onprem + "/v1",
        models=(ALIAS,),
        trusted_local=True,
    )
    cloud_app, cloud = make_fake_provider()
    with serve(cloud_app) as curl:
        cloud_provider = ProviderSettings(
            name="cloud", kind="openai_compatible", base_url=curl + "/v1", models=("gpt-fake",)
        )
        s = settings.model_copy(
            update={
                "policy": PolicySettings(dir=str(Path("policies").resolve()), default="default"),
                "providers": (cloud_provider, gpu_box),
            }
        )
        with serve(create_app(s, scanner=shared_scanner())) as url:
            client = openai.OpenAI(base_url=url + "/v1", api_key="unused", max_retries=0)
            assert ALIAS in {m.id for m in client.models.list()}
            text = "My card 4111 1111 1111 1111 was charged twice; write two words of apology."
            raw = client.chat.completions.with_raw_response.create(
                model=ALIAS, messages=[{"role": "user", "content": text}], max_tokens=8
            )
            reply = raw.parse()
            # Sensitive: the local tier, answered by the on-prem llama.cpp server.
            assert raw.headers["x-edge-router-route"] == "local"
            assert raw.headers["x-edge-router-provider"] == "gpu-box"
            assert reply.choices[0].message.content
            assert reply.usage is not None and reply.usage.completion_tokens > 0

            stream = client.chat.completions.create(
                model=ALIAS,
                messages=[{"role": "user", "content": text}],
                max_tokens=8,
                stream=True,
            )
            pieces = [c.choices[0].delta.content or "" for c in stream if c.choices]
            assert "".join(pieces).strip()
            assert cloud.request_count == 0  # nothing reached the cloud
