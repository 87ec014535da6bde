"""Pinned model versions: the exact upstream model id is audited, a different one than
the pinned id counts and warns, or fails over when configured; /v1/models shows pins.
The real daemon in front of fake OpenAI- and Anthropic-protocol providers on 127.0.0.1."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import anthropic
import httpx
import openai
import pytest
from audit_wait import audit_row
from fake_provider import FakeControl, fake_provider_settings, make_fake_provider
from privacy_fixtures import shared_scanner
from serving import serve

from edge_router.app import create_app
from edge_router.backends.settings import ProviderSettings
from edge_router.config import PolicySettings, Settings

PIN = "gpt-fake-2025-01-01"
OTHER = "gpt-fake-2024-06-01"
PROMPT = "Summarise the plot of a famous novel in one sentence."


@pytest.fixture(scope="module")
def fakes() -> Iterator[list[tuple[str, FakeControl]]]:
    (a1, c1), (a2, c2) = make_fake_provider(), make_fake_provider()
    with serve(a1) as u1, serve(a2) as u2:
        yield [(u1, c1), (u2, c2)]


@pytest.fixture()
def reset(fakes: list[tuple[str, FakeControl]]) -> list[FakeControl]:
    for _, c in fakes:
        c.reset()
    return [c for _, c in fakes]


@pytest.fixture(scope="module")
def policy_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    d = tmp_path_factory.mktemp("policies")
    (d / "cloudy.yaml").write_text("name: cloudy\ndefault: cloud\n")
    return d


def _daemon(settings: Settings, policy_dir: Path, *providers: ProviderSettings) -> Any:
    s = settings.model_copy(
        update={
            "policy": PolicySettings(dir=str(policy_dir), default="cloudy"),
            "providers": providers,
        }
    )
    return create_app(s, scanner=shared_scanner())


def _mismatches(url: str, provider: str, action: str) -> float:
    for line in httpx.get(url + "/metrics").text.splitlines():
        if line.startswith(
            f'edge_router_pin_mismatches_total{{action="{action}",provider="{provider}"}}'
        ):
            return float(line.rsplit(" ", 1)[1])
    return 0.0


def test_upstream_model_audited_and_mismatch_warns(
    settings: Settings,
    policy_dir: Path,
    fakes: list[tuple[str, FakeControl]],
    reset: list[FakeControl],
    caplog: pytest.LogCaptureFixture,
) -> None:
    pinned = fake_provider_settings(fakes[0][0], "p1", pinned_models={"gpt-fake": PIN})
    with serve(_daemon(settings, policy_dir, pinned)) as url:
        oa = openai.OpenAI(base_url=url + "/v1", api_key="x", max_retries=0)
        msgs: Any = [{"role": "user", "content": PROMPT}]
        reset[0].answer_model = PIN  # the pinned version: nothing to report
        raw = oa.chat.completions.with_raw_response.create(model="gpt-fake", messages=msgs)
        assert audit_row(settings, raw.headers["x-request-id"])["upstream_model"] == PIN
        assert _mismatches(url, "p1", "warn") == 0
        reset[0].answer_model = OTHER  # the provider moved the alias under us
        with caplog.at_level(logging.WARNING, logger="edge_router.flow.pinning"):
            raw = oa.chat.completions.with_raw_response.create(model="gpt-fake", messages=msgs)
            stream = oa.chat.completions.create(model="gpt-fake", messages=msgs, stream=True)
            streamed_id = stream.response.headers["x-request-id"]
            chunks = list(stream)
        assert raw.headers["x-edge-router-provider"] == "p1"  # warn: served anyway
        assert raw.parse().choices[0].message.content
        assert chunks and chunks[0].model == OTHER
        assert audit_row(settings, raw.headers["x-request-id"])["upstream_model"] == OTHER
        assert audit_row(settings, streamed_id)["upstream_model"] == OTHER
        assert _mismatches(url, "p1", "warn") == 2
        warnings = [r for r in caplog.records if "pinned" in r.getMessage()]
        assert len(warnings) == 2
        assert all(PROMPT not in str(r.__dict__) for r in caplog.records)
        models = httpx.get(url + "/v1/models").json()["data"]
        assert next(m for m in models if m["id"] == "gpt-fake")["pinned"] == PIN


def test_mismatch_fails_over_when_configured(
    settings: Settings,
    policy_dir: Path,
    fakes: list[tuple[str, FakeControl]],
    reset: list[FakeControl],
) -> None:
    strict = fake_provider_settings(
        fakes[0][0], "p1", pinned_models={"gpt-fake": PIN}, on_pin_mismatch="failover"
    )
    spare = fake_provider_settings(fakes[1][0], "p2")
    with serve(_daemon(settings, policy_dir, strict, spare)) as url:
        oa = openai.OpenAI(base_url=url + "/v1", api_key="x", max_retries=0)
        msgs: Any = [{"role": "user", "content": PROMPT}]
        reset[0].answer_model = OTHER
        raw = oa.chat.completions.with_raw_response.create(model="gpt-fake", messages=msgs)
        assert raw.headers["x-edge-router-provider"] == "p2"
        assert raw.headers["x-edge-router-fallbacks"] == "1"
        assert raw.parse().model == "gpt-fake"  # p2 echoes the name it was sent
        stream = oa.chat.completions.create(model="gpt-fake", messages=msgs, stream=True)
        assert stream.response.headers["x-edge-router-provider"] == "p2"
        streamed_id = stream.response.headers["x-request-id"]
        text = "".join(c.choices[0].delta.content or "" for c in stream if c.choices)
        assert text
        assert reset[0].request_count == 2 and reset[1].request_count == 2
        assert _mismatches(url, "p1", "failover") == 2
        row = audit_row(settings, streamed_id)
        assert (row["provider"], row["upstream_model"]) == ("p2", "gpt-fake")
        # The only pinned provider answering wrong, and no other: the request stays local.
        alone = _daemon(settings, policy_dir, strict)
    with serve(alone) as url:
        r = httpx.post(
            url + "/v1/chat/completions",
            json={"model": "auto", "max_tokens": 4, "messages": msgs},
            timeout=120,
        )
        assert r.status_code == 200
        assert r.headers["x-edge-router-route"] == "local"
        assert r.headers["x-edge-router-fallbacks"] == "1"


def test_anthropic_provider_upstream_model(
    settings: Settings,
    policy_dir: Path,
    fakes: list[tuple[str, FakeControl]],
    reset: list[FakeControl],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("FAKE_ANTHROPIC_KEY", "k")
    claude = ProviderSettings(
        name="claude",
        kind="anthropic",
        base_url=fakes[0][0],
        api_key_env="FAKE_ANTHROPIC_KEY",
        models=("claude-fast",),
        default_model="claude-fast",
        model_map={"claude-fast": "claude-haiku-x"},
        pinned_models={"claude-fast": "claude-haiku-x-20250101"},
        max_retries=0,
    )
    with serve(_daemon(settings, policy_dir, claude)) as url:
        ac = anthropic.Anthropic(base_url=url, api_key="x", max_retries=0)
        reset[0].answer_model = "claude-haiku-x-20250101"
        raw = ac.messages.with_raw_response.create(
            model="claude-fast", max_tokens=16, messages=[{"role": "user", "content": PROMPT}]
        )
        row = audit_row(settings, raw.headers["x-request-id"])
        assert (row["provider"], row["upstream_model"]) == ("claude", "claude-haiku-x-20250101")
        assert _mismatches(url, "claude", "warn") == 0
        reset[0].answer_model = "claude-haiku-x-20991231"
        with ac.messages.stream(
            model="claude-fast", max_tokens=16, messages=[{"role": "user", "content": PROMPT}]
        ) as stream:
            rid = stream.response.headers["x-request-id"]
            assert "".join(stream.text_stream)
        assert audit_row(settings, rid)["upstream_model"] == "claude-haiku-x-20991231"
        assert _mismatches(url, "claude", "warn") == 1
        models = httpx.get(url + "/v1/models").json()["data"]
        assert next(m for m in models if m["id"] == "claude-fast")["pinned"] == (
            "claude-haiku-x-20250101"
        )
