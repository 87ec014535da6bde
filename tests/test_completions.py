"""Legacy ``POST /v1/completions`` against the daemon on 127.0.0.1 (real model, real
scanner) with the official openai SDK: the text_completion shape, streaming, echo and
logprobs, clear refusals, and the prompt scanned and routed as a chat prompt is."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import openai
import pytest
from fake_provider import FakeControl
from privacy_fixtures import shared_scanner
from serving import serve

from edge_router.app import create_app
from edge_router.backends.settings import ProviderSettings
from edge_router.config import PolicySettings, Settings
from edge_router.wire.openai_completions import DEFAULT_MAX_TOKENS

pytestmark = pytest.mark.model

LOCAL = "smollm2-135m-instruct"
EMAIL, CARD = "quentin.marsh@example.net", "4111 1111 1111 1111"
POLICY = """\
name: legacy
rules:
  - name: cards-block
    priority: 100
    when: {entities: [CREDIT_CARD]}
    action: block
  - name: email-local
    priority: 90
    when: {entities: [EMAIL_ADDRESS]}
    action: local
default: cloud
"""


@pytest.fixture(scope="module")
def client(base_url: str) -> openai.OpenAI:
    return openai.OpenAI(base_url=base_url + "/v1", api_key="unused", max_retries=0)


def test_plain_completion_has_the_legacy_shape(client: openai.OpenAI) -> None:
    raw = client.completions.with_raw_response.create(
        model="auto", prompt="Name a colour.", max_tokens=8, temperature=0
    )
    assert raw.headers["x-edge-router-route"] == "local"
    resp = raw.parse()
    assert resp.object == "text_completion"
    assert resp.id.startswith("cmpl-") and raw.headers["x-request-id"] == resp.id
    assert resp.model == LOCAL
    [choice] = resp.choices
    assert choice.index == 0 and choice.text and choice.logprobs is None
    assert choice.finish_reason in {"stop", "length"}
    assert resp.usage is not None and 0 < resp.usage.completion_tokens <= 8
    assert resp.usage.total_tokens == resp.usage.prompt_tokens + resp.usage.completion_tokens


def test_default_max_tokens_is_openais_16(client: openai.OpenAI) -> None:
    resp = client.completions.create(
        model=LOCAL, prompt="Write a long story about a dragon.", temperature=0
    )
    assert resp.usage is not None
    assert resp.usage.completion_tokens == DEFAULT_MAX_TOKENS == 16
    assert resp.choices[0].finish_reason == "length"


def test_prompt_as_a_list_of_one_and_echo(client: openai.OpenAI) -> None:
    prompt = "Say hi."
    resp = client.completions.create(
        model="auto", prompt=[prompt], max_tokens=4, echo=True, seed=7, temperature=0
    )
    text = resp.choices[0].text
    assert text.startswith(prompt) and len(text) > len(prompt)


def test_streaming(client: openai.OpenAI) -> None:
    stream = client.completions.create(
        model="AUTO",
        prompt="Name a colour.",
        max_tokens=6,
        stream=True,
        stream_options={"include_usage": True},
    )
    chunks = list(stream)
    assert all(c.object == "text_completion" for c in chunks)
    assert len({c.id for c in chunks}) == 1 and chunks[0].id.startswith("cmpl-")
    text = "".join(c.choices[0].text for c in chunks if c.choices)
    assert text
    finishes = [c.choices[0].finish_reason for c in chunks if c.choices]
    assert [f for f in finishes if f] in (["stop"], ["length"])
    assert chunks[-1].choices == [] and chunks[-1].usage is not None
    assert 0 < chunks[-1].usage.completion_tokens <= 6


def test_stream_wire_format_ends_with_done(base_url: str) -> None:
    body = {"model": "auto", "prompt": "Hello", "max_tokens": 3, "stream": True, "echo": True}
    with httpx.stream("POST", base_url + "/v1/completions", json=body, timeout=60) as r:
        assert r.status_code == 200
        assert r.headers["content-type"].startswith("text/event-stream")
        lines = [ln for ln in r.iter_lines() if ln]
    assert lines[-1] == "data: [DONE]"
    chunks = [json.loads(ln.removeprefix("data: ")) for ln in lines[:-1]]
    assert chunks[0]["choices"][0]["text"] == "Hello"  # the echo comes first
    for c in chunks:
        assert c["object"] == "text_completion" and "usage" not in c
        assert set(c["choices"][0]) == {"text", "index", "logprobs", "finish_reason"}


def test_logprobs_in_the_legacy_shape(client: openai.OpenAI) -> None:
    resp = client.completions.create(
        model="auto", prompt="Count to five.", max_tokens=5, logprobs=2, temperature=0
    )
    choice = resp.choices[0]
    lp = choice.logprobs
    assert lp is not None and lp.tokens and lp.token_logprobs and lp.top_logprobs
    assert lp.text_offset is not None
    n = len(lp.tokens)
    assert len(lp.token_logprobs) == len(lp.top_logprobs) == len(lp.text_offset) == n
    assert "".join(lp.tokens) == choice.text
    assert lp.text_offset == [sum(len(t) for t in lp.tokens[:i]) for i in range(n)]
    for token, top in zip(lp.tokens, lp.top_logprobs, strict=True):
        assert token in top and len(top) <= 3
        assert all(v <= 0 for v in top.values())


@pytest.mark.parametrize(
    ("kw", "param"),
    [
        ({"prompt": [1, 2, 3]}, "prompt"),
        ({"prompt": [[1, 2], [3]]}, "prompt"),
        ({"prompt": ["one", "two"]}, "prompt"),
        ({"prompt": "x", "suffix": "y"}, "suffix"),
        ({"prompt": "x", "n": 2}, "n"),
        ({"prompt": "x", "best_of": 3}, "best_of"),
        ({"prompt": "x", "logprobs": 6}, "logprobs"),
        ({"prompt": "x", "logprobs": 1, "echo": True}, "logprobs"),
        ({"prompt": "x", "extra_body": {"instructions": "be brief"}}, "instructions"),
        ({"prompt": "x", "max_tokens": 10**6}, "max_tokens"),
    ],
)
def test_what_cannot_be_done_is_refused_by_name(
    client: openai.OpenAI, kw: dict[str, Any], param: str
) -> None:
    with pytest.raises(openai.BadRequestError) as err:
        client.completions.create(model="auto", **kw)
    assert err.value.param == param
    assert "Traceback" not in str(err.value.body)


def test_missing_prompt_and_unknown_model(base_url: str) -> None:
    r = httpx.post(base_url + "/v1/completions", json={"model": "auto"})
    assert r.status_code == 400 and r.json()["error"]["param"] == "prompt"
    r = httpx.post(base_url + "/v1/completions", json={"model": "gpt-none", "prompt": "x"})
    assert r.status_code == 404 and r.json()["error"]["code"] == "model_not_found"
    assert "auto" in r.json()["error"]["message"]


# --- the prompt is the scanned field: same policy, same projection as chat -------------


@pytest.fixture(scope="module")
def cloud_url(
    settings: Settings, fake: tuple[str, FakeControl], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    policy_dir: Path = tmp_path_factory.mktemp("policies")
    (policy_dir / "legacy.yaml").write_text(POLICY)
    provider = ProviderSettings(
        name="p1",
        kind="openai_compatible",
        base_url=fake[0] + "/v1",
        models=("gpt-fake",),
        default_model="gpt-fake",
        max_retries=0,
    )
    s = settings.model_copy(
        update={
            "policy": PolicySettings(dir=str(policy_dir), default="legacy"),
            "providers": (provider,),
        }
    )
    with serve(create_app(s, scanner=shared_scanner())) as url:
        yield url


def test_clean_prompt_goes_to_the_cloud_as_a_chat_request(
    cloud_url: str, control: FakeControl
) -> None:
    oa = openai.OpenAI(base_url=cloud_url + "/v1", api_key="x", max_retries=0)
    raw = oa.completions.with_raw_response.create(model="gpt-fake", prompt="tell me about owls")
    assert raw.headers["x-edge-router-route"] == "cloud"
    resp = raw.parse()
    assert resp.object == "text_completion"
    assert resp.choices[0].text == "tell me about owls"  # the fake echoes the prompt
    [sent] = control.received
    assert sent["messages"] == [{"role": "user", "content": "tell me about owls"}]
    assert sent["max_tokens"] == DEFAULT_MAX_TOKENS
    assert "prompt" not in sent and "echo" not in sent
    stream = oa.completions.create(model="gpt-fake", prompt="owls at night", stream=True)
    assert "".join(c.choices[0].text for c in stream if c.choices) == "owls at night"


def test_pii_in_a_legacy_prompt_never_reaches_the_provider(
    cloud_url: str, control: FakeControl
) -> None:
    oa = openai.OpenAI(base_url=cloud_url + "/v1", api_key="x", max_retries=0)
    raw = oa.completions.with_raw_response.create(
        model="gpt-fake", prompt=f"Write to {EMAIL} about owls", max_tokens=4
    )
    assert raw.headers["x-edge-router-route"] == "local"
    assert raw.headers["x-edge-router-rule"] == "email-local"
    assert raw.parse().model == LOCAL
    with pytest.raises(openai.PermissionDeniedError) as blocked:
        oa.completions.create(model="gpt-fake", prompt=[f"My card is {CARD}"], stream=True)
    assert blocked.value.code == "blocked_by_policy" and CARD not in str(blocked.value.body)
    assert control.request_count == 0
    assert EMAIL not in json.dumps(control.received)
