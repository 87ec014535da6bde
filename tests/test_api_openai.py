"""Conformance: the official openai SDK against the daemon on 127.0.0.1, real model."""

from __future__ import annotations

import json
import time
from typing import Any

import httpx
import openai
import pytest
from serving import serve

from edge_router.app import create_app
from edge_router.config import Settings
from edge_router.errors import Saturated

SHORT = [{"role": "user", "content": "Name a colour."}]


@pytest.fixture(scope="module")
def client(base_url: str) -> openai.OpenAI:
    return openai.OpenAI(base_url=base_url + "/v1", api_key="unused", max_retries=0)


def test_non_streaming_completion(client: openai.OpenAI) -> None:
    raw = client.chat.completions.with_raw_response.create(
        model="auto",
        messages=SHORT,
        max_tokens=8,  # type: ignore[arg-type]
    )
    assert raw.headers["x-edge-router-route"] == "local"
    resp = raw.parse()
    assert resp.object == "chat.completion"
    assert resp.model == "smollm2-135m-instruct"
    choice = resp.choices[0]
    assert choice.message.role == "assistant"
    assert choice.message.content
    assert choice.finish_reason in {"stop", "length"}
    assert resp.usage is not None
    assert 0 < resp.usage.completion_tokens <= 8
    assert resp.usage.prompt_tokens > 0
    assert resp.usage.total_tokens == resp.usage.prompt_tokens + resp.usage.completion_tokens


def test_max_tokens_is_honoured_exactly(client: openai.OpenAI) -> None:
    resp = client.chat.completions.create(
        model="smollm2-135m-instruct",
        messages=[{"role": "user", "content": "Write a long story about a dragon."}],
        max_completion_tokens=5,
        temperature=0,
    )
    assert resp.choices[0].finish_reason == "length"
    assert resp.usage is not None and resp.usage.completion_tokens == 5


def test_streaming_with_usage(client: openai.OpenAI) -> None:
    stream = client.chat.completions.create(
        model="auto",
        messages=SHORT,  # type: ignore[arg-type]
        max_tokens=6,
        stream=True,
        stream_options={"include_usage": True},
    )
    chunks = list(stream)
    assert chunks[0].choices[0].delta.role == "assistant"
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text
    finishes = [
        c.choices[0].finish_reason for c in chunks if c.choices and c.choices[0].finish_reason
    ]
    assert finishes == ["length"] or finishes == ["stop"]
    assert chunks[-1].choices == [] and chunks[-1].usage is not None
    assert chunks[-1].usage.completion_tokens <= 6
    assert len({c.id for c in chunks}) == 1


def test_stream_ends_with_done_and_exact_chunk_shape(base_url: str) -> None:
    body = {"model": "auto", "messages": SHORT, "max_tokens": 3, "stream": True}
    with httpx.stream("POST", base_url + "/v1/chat/completions", json=body, timeout=60) as r:
        assert r.status_code == 200
        assert r.headers["content-type"].startswith("text/event-stream")
        lines = [ln for ln in r.iter_lines() if ln]
    assert lines[-1] == "data: [DONE]"
    for ln in lines[:-1]:
        chunk = json.loads(ln.removeprefix("data: "))
        assert chunk["object"] == "chat.completion.chunk"
        assert set(chunk) >= {"id", "created", "model", "choices"}
        assert "usage" not in chunk  # only present when include_usage was asked for


def test_seed_makes_sampling_repeatable(client: openai.OpenAI) -> None:
    def run() -> str | None:
        r = client.chat.completions.create(
            model="auto",
            messages=SHORT,
            max_tokens=12,
            temperature=1.0,
            seed=1234,  # type: ignore[arg-type]
        )
        return r.choices[0].message.content

    assert run() == run()


def test_stop_sequence_cuts_output(client: openai.OpenAI) -> None:
    msgs: Any = [{"role": "user", "content": "Count from 1 to 20, separated by commas."}]
    full = client.chat.completions.create(model="auto", messages=msgs, max_tokens=40, temperature=0)
    text = full.choices[0].message.content or ""
    assert len(text) > 4
    stop = text[len(text) // 2 : len(text) // 2 + 2]
    cut = client.chat.completions.create(
        model="auto", messages=msgs, max_tokens=40, temperature=0, stop=[stop]
    )
    out = cut.choices[0].message.content or ""
    assert stop not in out
    assert cut.choices[0].finish_reason == "stop"
    assert text.startswith(out)


def test_models_lists_local_and_auto(client: openai.OpenAI) -> None:
    ids = {m.id for m in client.models.list()}
    assert ids == {"auto", "smollm2-135m-instruct", "smollm2-135m-embed"}


def test_health_and_ready(base_url: str) -> None:
    assert httpx.get(base_url + "/healthz").json() == {"status": "ok"}
    r = httpx.get(base_url + "/readyz")
    assert r.status_code == 200 and r.json()["status"] == "ready"


def test_sdk_errors(client: openai.OpenAI) -> None:
    with pytest.raises(openai.NotFoundError) as nf:
        client.chat.completions.create(model="gpt-none", messages=SHORT)  # type: ignore[arg-type]
    assert nf.value.code == "model_not_found"
    with pytest.raises(openai.BadRequestError) as br:
        client.chat.completions.create(model="auto", messages=SHORT, n=2)  # type: ignore[arg-type]
    assert br.value.param == "n"
    with pytest.raises(openai.BadRequestError) as too_many:
        client.chat.completions.create(model="auto", messages=SHORT, max_tokens=10**6)  # type: ignore[arg-type]
    assert too_many.value.param == "max_tokens"


@pytest.mark.parametrize(
    ("content", "headers", "status", "code"),
    [
        (b"{not json", {"content-type": "application/json"}, 400, "invalid_json"),
        (b"\xff\xfe\xfd", {"content-type": "application/json"}, 400, "invalid_json"),
        (b'{"model": "auto"}', {"content-type": "text/plain"}, 400, "unsupported_media_type"),
        (
            b"{" + b" " * 2_000_000 + b"}",
            {"content-type": "application/json"},
            413,
            "request_too_large",
        ),
    ],
)
def test_bad_bodies_get_openai_shaped_errors(
    base_url: str, content: bytes, headers: dict[str, str], status: int, code: str
) -> None:
    r = httpx.post(base_url + "/v1/chat/completions", content=content, headers=headers)
    assert r.status_code == status
    err = r.json()["error"]
    assert set(err) == {"message", "type", "param", "code"}
    assert err["code"] == code
    assert "Traceback" not in r.text


def test_unknown_route_is_openai_shaped(base_url: str) -> None:
    r = httpx.get(base_url + "/v1/nothing")
    assert r.status_code == 404
    assert r.json()["error"]["type"] == "not_found"


def _runner(app: Any) -> Any:
    return app.state.edge.runners["smollm2-135m-instruct"]


def _wait_idle(runner: Any, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while runner.in_flight and time.monotonic() < deadline:
        time.sleep(0.02)
    assert not runner.in_flight


def test_client_disconnect_stops_generation(live_app: tuple[str, Any]) -> None:
    base_url, app = live_app
    runner = _runner(app)
    body = {
        "model": "auto",
        "messages": [{"role": "user", "content": "Write a very long essay about rivers."}],
        "max_tokens": 400,
        "stream": True,
    }
    with httpx.stream("POST", base_url + "/v1/chat/completions", json=body, timeout=60) as r:
        seen = 0
        for line in r.iter_lines():
            if line.startswith("data: "):
                seen += 1
            if seen >= 4:
                break
    _wait_idle(runner)
    # 400 tokens were allowed; a vanished client must stop generation almost at once.
    assert runner.last_sampled < 60


class _SaturatedRunner:
    """Implements the runner protocol; its queue is always full."""

    loaded = True
    queue_depth = 0
    in_flight = 0
    slots = 1

    def __init__(self, spec: Any) -> None:
        self.spec = spec

    async def generate(self, messages: Any, params: Any) -> Any:
        raise Saturated("The local model is busy; retry shortly.", retry_after_s=3)
        yield  # pragma: no cover - makes this an async generator like the real one


def test_saturation_maps_to_503_with_retry_after(settings: Settings) -> None:
    spec = settings.local.models[0]
    app = create_app(settings, runners={spec.name: _SaturatedRunner(spec)})  # type: ignore[dict-item]
    with serve(app) as url:
        for stream in (False, True):
            r = httpx.post(
                url + "/v1/chat/completions",
                json={"model": "auto", "messages": SHORT, "stream": stream},
                timeout=30,
            )
            assert r.status_code == 503
            assert r.headers["retry-after"] == "3"
            assert r.json()["error"]["code"] == "saturated"


def test_a_stream_the_client_leaves_is_audited_as_aborted(live_app: tuple[str, Any]) -> None:
    """Issue 19: an aborted stream is not a 200 in the audit trail."""
    url, app = live_app
    body = {
        "model": "auto",
        "stream": True,
        "max_tokens": 200,
        "messages": [{"role": "user", "content": "Count slowly from one to one hundred."}],
    }
    with (
        httpx.Client(timeout=60) as client,
        client.stream("POST", url + "/v1/chat/completions", json=body) as r,
    ):
        request_id = r.headers["x-request-id"]
        next(r.iter_lines())  # the first event arrived, then the client hangs up
    audit = app.state.edge.audit
    deadline = time.monotonic() + 30
    rows: list[dict[str, Any]] = []
    while time.monotonic() < deadline:
        rows = [row for row in audit.query(limit=None) if row["request_id"] == request_id]
        if rows:
            break
        time.sleep(0.1)
    assert [row["status"] for row in rows] == [499]
