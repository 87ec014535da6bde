"""Leak-proofing end to end: canary personal data in random known and unknown fields,
nested at random depths, through both front doors of the real daemon (real scanner,
real model) in front of a recording fake provider on 127.0.0.1. The canary must never
reach the provider raw, under `default`, `gdpr` and a policy whose default is `cloud`.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fake_provider import FakeControl, make_fake_provider
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from privacy_fixtures import shared_scanner
from serving import serve

from edge_router.app import create_app
from edge_router.backends.settings import ProviderSettings
from edge_router.config import PolicySettings, Settings

CANARIES = [
    # A person's mailbox (a stand-in such as "leak.canary@" at a documentation domain is
    # no one's, privacy/reserved.py, and would rightly pass).
    "lena.kowalczyk.7@example.org",
    "+1 (415) 555-0173",
    "4111 1111 1111 1111",
    "536-22-1234",
]

# default's rules, but everything they do not catch goes to the cloud.
CLOUDY = (Path("policies") / "default.yaml").read_text().replace("default: auto", "default: cloud")

Body = dict[str, Any]
Insert = Callable[[Body, Any, str], None]


def _nest(value: Any, depth: int) -> Any:
    for i in range(depth):
        value = {"k": value} if i % 2 else [value]
    return value


# Where a canary goes in an OpenAI chat body: (name, insert(body, nested, text)).
OPENAI_POINTS: list[tuple[str, Insert]] = [
    ("top-level unknown", lambda b, v, t: b.__setitem__("x_trace", v)),
    ("user", lambda b, v, t: b.__setitem__("user", t)),
    ("metadata", lambda b, v, t: b.__setitem__("metadata", {"who": t, "deep": v})),
    ("stop", lambda b, v, t: b.__setitem__("stop", [t])),
    (
        "tool description and schema",
        lambda b, v, t: b.__setitem__(
            "tools",
            [
                {
                    "type": "function",
                    "function": {
                        "name": "lookup",
                        "description": f"Look up {t}",
                        "parameters": {
                            "type": "object",
                            "properties": {"q": {"type": "string", "enum": [t], "default": v}},
                        },
                    },
                }
            ],
        ),
    ),
    (
        "tool_choice name",
        lambda b, v, t: b.__setitem__("tool_choice", {"type": "function", "function": {"name": t}}),
    ),
    (
        "response_format schema",
        lambda b, v, t: b.__setitem__(
            "response_format",
            {"type": "json_schema", "json_schema": {"name": "s", "schema": {"description": v}}},
        ),
    ),
    ("logit_bias key", lambda b, v, t: b.__setitem__("logit_bias", {t: 1})),
    ("prediction", lambda b, v, t: b.__setitem__("prediction", {"type": "content", "content": t})),
    ("web_search_options", lambda b, v, t: b.__setitem__("web_search_options", {"loc": v})),
    ("message unknown key", lambda b, v, t: b["messages"][0].__setitem__("x_note", v)),
    ("message name", lambda b, v, t: b["messages"][0].__setitem__("name", t)),
    (
        "content part unknown key",
        lambda b, v, t: b["messages"][0].__setitem__(
            "content", [{"type": "text", "text": "hello", "x_meta": v}]
        ),
    ),
    (
        "value split across content parts",
        lambda b, v, t: b["messages"][0].__setitem__(
            "content",
            [{"type": "text", "text": "reach me at " + t[:7]}, {"type": "text", "text": t[7:]}],
        ),
    ),
    (
        "tool call and result ids",
        lambda b, v, t: b["messages"].extend(
            [
                {
                    "role": "assistant",
                    "tool_calls": [
                        {"id": t, "type": "function", "function": {"name": "f", "arguments": "{}"}}
                    ],
                },
                {"role": "tool", "tool_call_id": t, "content": "ok"},
            ]
        ),
    ),
]

# The same for an Anthropic Messages body.
ANTHROPIC_POINTS: list[tuple[str, Insert]] = [
    ("top-level unknown", lambda b, v, t: b.__setitem__("x_trace", v)),
    ("metadata.user_id", lambda b, v, t: b.__setitem__("metadata", {"user_id": t, "x": v})),
    ("stop_sequences", lambda b, v, t: b.__setitem__("stop_sequences", [t])),
    (
        "tool description and input_schema",
        lambda b, v, t: b.__setitem__(
            "tools",
            [
                {
                    "name": "lookup",
                    "description": f"Look up {t}",
                    "input_schema": {"type": "object", "properties": {"q": {"default": v}}},
                }
            ],
        ),
    ),
    ("tool_choice name", lambda b, v, t: b.__setitem__("tool_choice", {"type": "tool", "name": t})),
    ("system block", lambda b, v, t: b.__setitem__("system", [{"type": "text", "text": t}])),
    ("message unknown key", lambda b, v, t: b["messages"][0].__setitem__("x_note", v)),
    (
        "block unknown key",
        lambda b, v, t: b["messages"][0].__setitem__(
            "content", [{"type": "text", "text": "hello", "x_meta": v}]
        ),
    ),
    (
        "tool_use id",
        lambda b, v, t: b["messages"].extend(
            [
                {
                    "role": "assistant",
                    "content": [{"type": "tool_use", "id": t, "name": "f", "input": {}}],
                },
                {
                    "role": "user",
                    "content": [{"type": "tool_result", "tool_use_id": t, "content": "ok"}],
                },
            ]
        ),
    ),
]


@pytest.fixture(scope="module")
def fake() -> Iterator[tuple[str, FakeControl]]:
    app, control = make_fake_provider()
    with serve(app) as url:
        yield url, control


@pytest.fixture(scope="module", params=["default", "gdpr", "cloudy"])
def daemon(
    request: pytest.FixtureRequest,
    settings: Settings,
    fake: tuple[str, FakeControl],
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[str]:
    policy = request.param
    d = tmp_path_factory.mktemp("policies")
    (d / "cloudy.yaml").write_text(CLOUDY.replace("name: default", "name: cloudy"))
    for name in ("default", "gdpr"):
        (d / f"{name}.yaml").write_text((Path("policies") / f"{name}.yaml").read_text())
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
            # Every prompt counts as complex, so `auto` offloads what is not sensitive.
            "policy": PolicySettings(dir=str(d), default=policy, complexity_threshold=0.0),
            "providers": (provider,),
        }
    )
    with serve(create_app(s, scanner=shared_scanner())) as url:
        yield url


def _check(url: str, control: FakeControl, path: str, body: Body, canary: str) -> None:
    control.reset()
    r = httpx.post(url + path, json=body, timeout=120)
    assert r.status_code in (200, 400), r.text
    sent = json.dumps(control.received, ensure_ascii=False)
    assert canary not in sent
    assert json.dumps(canary)[1:-1] not in sent
    assert canary not in json.dumps(dict(r.headers))


_common = {
    "canary": st.sampled_from(CANARIES),
    "depth": st.integers(0, 4),
}


@settings(
    max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(point=st.sampled_from(OPENAI_POINTS), stream=st.booleans(), **_common)
def test_openai_front_door_never_forwards_the_canary(
    daemon: str,
    fake: tuple[str, FakeControl],
    point: tuple[str, Insert],
    canary: str,
    depth: int,
    stream: bool,
) -> None:
    body: Body = {
        "model": "gpt-fake",
        "max_tokens": 2,
        "stream": stream,
        "messages": [{"role": "user", "content": "What is the capital of France?"}],
    }
    point[1](body, _nest(canary, depth), canary)
    _check(daemon, fake[1], "/v1/chat/completions", body, canary)


@settings(
    max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(point=st.sampled_from(ANTHROPIC_POINTS), **_common)
def test_anthropic_front_door_never_forwards_the_canary(
    daemon: str, fake: tuple[str, FakeControl], point: tuple[str, Insert], canary: str, depth: int
) -> None:
    body: Body = {
        "model": "gpt-fake",
        "max_tokens": 2,
        "messages": [{"role": "user", "content": "What is the capital of France?"}],
    }
    point[1](body, _nest(canary, depth), canary)
    _check(daemon, fake[1], "/v1/messages", body, canary)


@pytest.mark.parametrize("name", [p[0] for p in OPENAI_POINTS])
def test_each_openai_field_is_covered(
    daemon: str, fake: tuple[str, FakeControl], name: str
) -> None:
    """Every insertion point once, deterministically (hypothesis samples a few)."""
    insert = dict(OPENAI_POINTS)[name]
    body: Body = {
        "model": "gpt-fake",
        "max_tokens": 2,
        "messages": [{"role": "user", "content": "What is the capital of France?"}],
    }
    insert(body, _nest(CANARIES[0], 2), CANARIES[0])
    _check(daemon, fake[1], "/v1/chat/completions", body, CANARIES[0])


def test_clean_requests_still_reach_the_cloud(daemon: str, fake: tuple[str, FakeControl]) -> None:
    """The test above would pass vacuously if nothing ever went out."""
    fake[1].reset()
    body = {
        "model": "gpt-fake",
        "max_tokens": 2,
        "messages": [
            {"role": "user", "content": "Explain the proof that there are infinitely many primes."}
        ],
        "tools": [{"type": "function", "function": {"name": "calc", "description": "Add numbers"}}],
        "x_unknown": "dropped",
    }
    r = httpx.post(daemon + "/v1/chat/completions", json=body, timeout=120)
    assert r.status_code == 200
    assert r.headers["x-edge-router-route"] == "cloud"
    sent = fake[1].received[-1]
    assert "x_unknown" not in sent
    assert sent["tools"][0]["function"]["name"] == "calc"
