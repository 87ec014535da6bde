"""The response cache end to end: the daemon (real model, real scanner, API keys of two
tenants) in front of a fake provider on 127.0.0.1, driven by the official SDKs. The
provider's request count says whether an answer came from the cache."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import anthropic
import httpx
import openai
import pytest
from audit_wait import audit_row
from fake_provider import FakeControl
from privacy_fixtures import shared_scanner
from serving import serve

from edge_router.api.auth import ApiKey, AuthSettings, hash_key
from edge_router.app import create_app
from edge_router.backends.settings import ProviderSettings
from edge_router.config import PolicySettings, Settings
from edge_router.flow.cache import CacheSettings

KEYS = {  # id -> (key, tenant, policy)
    "alpha": ("er-alpha-0123456789abcdef01234567", "acme", None),
    "bravo": ("er-bravo-0123456789abcdef01234567", "acme", None),
    "carol": ("er-carol-0123456789abcdef01234567", "globex", None),
    "delta": ("er-delta-0123456789abcdef01234567", "acme", "twin"),
}
POLICY = """name: {name}
rules:
  - name: cards-local
    priority: 90
    when:
      entities: [CREDIT_CARD]
    action: local
  - name: personal-data-redact
    priority: 50
    when:
      entities: [PERSON, EMAIL_ADDRESS, PHONE_NUMBER]
    action: redact
default: cloud
"""
EMAIL, NAME = "quentin.marsh@example.net", "Quentin Marsh"
Daemon = tuple[str, FakeControl]


@pytest.fixture(scope="module")
def policy_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    d = tmp_path_factory.mktemp("policies")
    for name in ("cachey", "twin"):  # the same rules under two names
        (d / f"{name}.yaml").write_text(POLICY.format(name=name))
    (d / "guarded.yaml").write_text("name: guarded\ndefault: cloud\nresponse: redact\n")
    return d


@pytest.fixture(scope="module")
def auth() -> AuthSettings:
    keys = tuple(
        ApiKey(id=kid, hash=hash_key(key), tenant=tenant, policy=policy)
        for kid, (key, tenant, policy) in KEYS.items()
    )
    return AuthSettings(require_auth=True, keys=keys)


def build(
    settings: Settings,
    policy_dir: Path,
    auth: AuthSettings,
    furl: str,
    cache: CacheSettings,
    policy: str = "cachey",
) -> Any:
    provider = ProviderSettings(
        name="p1",
        kind="openai_compatible",
        base_url=furl + "/v1",
        models=("gpt-fake",),
        default_model="gpt-fake",
        max_retries=0,
    )
    s = settings.model_copy(
        update={
            "policy": PolicySettings(dir=str(policy_dir), default=policy),
            "providers": (provider,),
            "auth": auth,
            "cache": cache,
        }
    )
    return create_app(s, scanner=shared_scanner())


@pytest.fixture(scope="module")
def daemon(
    settings: Settings, policy_dir: Path, auth: AuthSettings, fake: tuple[str, FakeControl]
) -> Iterator[str]:
    app = build(settings, policy_dir, auth, fake[0], CacheSettings(enabled=True, scope="tenant"))
    with serve(app) as url:
        yield url


def oa(url: str, who: str) -> openai.OpenAI:
    return openai.OpenAI(base_url=url + "/v1", api_key=KEYS[who][0], max_retries=0)


def ask(url: str, who: str, text: str, **kw: Any) -> tuple[str, str, str]:
    """(answer, x-edge-router-cache, x-request-id) of one non-streamed chat request."""
    raw = oa(url, who).chat.completions.with_raw_response.create(
        model="gpt-fake", messages=[{"role": "user", "content": text}], **kw
    )
    answer = raw.parse().choices[0].message.content or ""
    return answer, raw.headers.get("x-edge-router-cache", ""), raw.headers["x-request-id"]


def test_two_tenants_never_share_an_entry(daemon: str, control: FakeControl) -> None:
    text = "Name three uses of a paperclip (tenants test)."
    assert ask(daemon, "alpha", text)[1] == "miss"
    assert ask(daemon, "carol", text)[1] == "miss"  # another tenant: its own entry
    assert control.request_count == 2
    assert ask(daemon, "alpha", text)[:2] == (text, "hit")
    assert ask(daemon, "carol", text)[:2] == (text, "hit")
    # scope: tenant shares a clean answer among one tenant's keys with the same policy...
    assert ask(daemon, "bravo", text)[1] == "hit"
    assert control.request_count == 2
    # ...never across policies, even with the same rules and tenant.
    assert ask(daemon, "delta", text)[1] == "miss"
    assert control.request_count == 3


def test_sensitive_answer_is_never_served_to_another_key(daemon: str, control: FakeControl) -> None:
    """A redacted request: its restored answer is cached under the sender's key alone,
    even though the cache shares clean answers within the tenant."""
    text = f"Please write a short note to {NAME} at {EMAIL} about the invoice."
    answer, label, _ = ask(daemon, "alpha", text)
    assert (answer, label) == (text, "miss")  # the values restored
    assert ask(daemon, "bravo", text)[1] == "miss"  # same tenant, other key
    assert control.request_count == 2
    assert ask(daemon, "alpha", text)[:2] == (text, "hit")
    assert ask(daemon, "bravo", text)[:2] == (text, "hit")
    assert ask(daemon, "carol", text)[1] == "miss"
    assert control.request_count == 3
    assert EMAIL not in json.dumps(control.received)  # still only placeholders went out


def test_local_sensitive_answer_is_cached_per_key(daemon: str, control: FakeControl) -> None:
    text = "My card is 4111 1111 1111 1111, is that a Visa?"
    first, label, _ = ask(daemon, "alpha", text, max_tokens=4)
    assert label == "miss"
    assert ask(daemon, "alpha", text, max_tokens=4)[:2] == (first, "hit")
    assert ask(daemon, "bravo", text, max_tokens=4)[1] == "miss"
    assert control.request_count == 0  # it never left the machine


def test_stream_hit_replays_a_valid_stream(daemon: str, control: FakeControl) -> None:
    text = "Count from one to five, stream test."
    client = oa(daemon, "alpha")
    msgs: Any = [{"role": "user", "content": text}]
    labels, answers = [], []
    for _ in range(2):
        with client.chat.completions.with_streaming_response.create(
            model="gpt-fake", messages=msgs, stream=True, stream_options={"include_usage": True}
        ) as raw:
            labels.append(raw.headers["x-edge-router-cache"])
            chunks = list(raw.parse())
        answers.append("".join(c.choices[0].delta.content or "" for c in chunks if c.choices))
        assert chunks[-1].usage is not None and chunks[-1].usage.completion_tokens > 0
        assert len({c.id for c in chunks}) == 1  # one stream, one id
    # A replay carries this request's id (the first answer the provider's).
    assert {c.id for c in chunks} == {raw.headers["x-request-id"]}
    assert labels == ["miss", "hit"]
    assert answers == [text, text]
    assert control.request_count == 1
    # A non-streamed request is a different entry (its answer has another shape).
    assert ask(daemon, "alpha", text)[1] == "miss"


def test_anthropic_front_door_hits_streamed_and_not(daemon: str, control: FakeControl) -> None:
    client = anthropic.Anthropic(base_url=daemon, api_key=KEYS["carol"][0], max_retries=0)
    msgs: Any = [{"role": "user", "content": "Say something about owls, anthropic test."}]
    for stream in (False, True):
        labels, texts = [], []
        for _ in range(2):
            if stream:
                with client.messages.stream(model="gpt-fake", max_tokens=64, messages=msgs) as s:
                    texts.append(s.get_final_text())
                    labels.append(s.response.headers["x-edge-router-cache"])
            else:
                raw = client.messages.with_raw_response.create(
                    model="gpt-fake", max_tokens=64, messages=msgs
                )
                block = raw.parse().content[0]
                texts.append(block.text if block.type == "text" else "")
                labels.append(raw.headers["x-edge-router-cache"])
        assert labels == ["miss", "hit"], stream
        assert texts[0] == texts[1] == msgs[0]["content"]
    assert control.request_count == 2


def test_client_cache_control_is_honoured(daemon: str, control: FakeControl) -> None:
    text = "Suggest a name for a cat, cache-control test."
    assert ask(daemon, "alpha", text)[1] == "miss"
    fresh = {"extra_headers": {"cache-control": "no-cache"}}
    assert ask(daemon, "alpha", text, **fresh)[1] == "miss"  # not served from the cache
    assert control.request_count == 2
    assert ask(daemon, "alpha", text)[1] == "hit"  # ...but its answer was stored
    text2 = "Suggest a name for a dog, cache-control test."
    no_store = {"extra_headers": {"cache-control": "no-store"}}
    assert ask(daemon, "alpha", text2, **no_store)[1] == "bypass"
    assert ask(daemon, "alpha", text2)[1] == "miss"  # nothing was stored
    assert control.request_count == 4


def test_hits_are_audited_and_counted(
    daemon: str, control: FakeControl, settings: Settings
) -> None:
    text = "What is the capital of France? audit test."
    _, _, miss_id = ask(daemon, "carol", text)
    _, label, hit_id = ask(daemon, "carol", text)
    assert label == "hit"
    miss, hit = audit_row(settings, miss_id), audit_row(settings, hit_id)
    assert (miss["cache"], hit["cache"]) == ("miss", "hit")
    assert hit["route"] == "cloud" and hit["key_id"] == "carol" and hit["tenant"] == "globex"
    assert hit["status"] == 200 and hit["provider"] == "p1"
    metrics = httpx.get(
        daemon + "/metrics", headers={"authorization": f"Bearer {KEYS['carol'][0]}"}
    ).text
    assert 'edge_router_cache_lookups_total{result="hit"}' in metrics
    assert "edge_router_cache_entries " in metrics


class Clock:
    """The daemon's cache clock, moved by the test (no sleeping on a busy machine)."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_ttl_and_memory_bound(
    settings: Settings, policy_dir: Path, auth: AuthSettings, fake: tuple[str, FakeControl]
) -> None:
    control = fake[1]
    control.reset()
    app = build(settings, policy_dir, auth, fake[0], CacheSettings(enabled=True, max_entries=2))
    with serve(app) as url:
        clock = Clock()
        app.state.edge.cache.clock = clock
        prompts = [f"Tell me about the number {w}, bound test." for w in ("one", "two", "three")]
        for p in prompts:
            assert ask(url, "alpha", p)[1] == "miss"
        assert ask(url, "alpha", prompts[2])[1] == "hit"
        assert ask(url, "alpha", prompts[0])[1] == "miss"  # evicted: two entries at most
        clock.now += 299
        assert ask(url, "alpha", prompts[0])[1] == "hit"
        clock.now += 2  # past ttl_s (300 s by default)
        assert ask(url, "alpha", prompts[0])[1] == "miss"  # expired
        assert control.request_count == 5
        metrics = httpx.get(
            url + "/metrics", headers={"authorization": f"Bearer {KEYS['alpha'][0]}"}
        ).text
        assert 'edge_router_cache_evictions_total{reason="size"} 2.0' in metrics
        # The expired entry, then on storing the fresh answer the other one, expired too.
        assert 'edge_router_cache_evictions_total{reason="ttl"} 2.0' in metrics
        assert "edge_router_cache_entries 1.0" in metrics


def test_off_by_default(
    settings: Settings, policy_dir: Path, auth: AuthSettings, fake: tuple[str, FakeControl]
) -> None:
    control = fake[1]
    control.reset()
    with serve(build(settings, policy_dir, auth, fake[0], CacheSettings())) as url:
        text = "Is the cache off? default test."
        assert ask(url, "alpha", text)[1] == ""
        assert ask(url, "alpha", text)[1] == ""
        assert control.request_count == 2


def test_legacy_completions_use_the_cache_too(daemon: str, control: FakeControl) -> None:
    client = oa(daemon, "carol")
    prompt = "Once upon a time, legacy test,"
    labels = []
    for _ in range(2):
        raw = client.completions.with_raw_response.create(
            model="gpt-fake", prompt=prompt, max_tokens=16
        )
        assert raw.parse().choices[0].text
        labels.append(raw.headers["x-edge-router-cache"])
    assert labels == ["miss", "hit"]
    assert control.request_count == 1


def test_a_hit_is_audited_with_the_upstream_model_and_reply_findings_of_its_answer(
    settings: Settings,
    policy_dir: Path,
    auth: AuthSettings,
    fake: tuple[str, FakeControl],
    control: FakeControl,
) -> None:
    """A hit replays the answer a provider gave (and the reply guard redacted): its audit
    record names the model id that answered and what the guard found, as the first one's
    did, streamed or not."""
    control.answer_model = "gpt-fake-2026-01-15"
    control.inject = (" Call 650-555-0199 any time.",)
    app = build(settings, policy_dir, auth, fake[0], CacheSettings(enabled=True), "guarded")
    msgs: Any = [{"role": "user", "content": "Who should I call? guarded cache test."}]
    with serve(app) as url, oa(url, "carol") as client:
        for stream in (False, True):
            labels, ids = [], []
            for _ in range(2):
                if stream:
                    with client.chat.completions.with_streaming_response.create(
                        model="gpt-fake", messages=msgs, stream=True
                    ) as streamed:
                        text = "".join(
                            c.choices[0].delta.content or "" for c in streamed.parse() if c.choices
                        )
                        headers = streamed.headers
                else:
                    whole = client.chat.completions.with_raw_response.create(
                        model="gpt-fake", messages=msgs
                    )
                    text, headers = whole.parse().choices[0].message.content or "", whole.headers
                assert "[REDACTED_PHONE_NUMBER]" in text and "650" not in text
                labels.append(headers["x-edge-router-cache"])
                ids.append(headers["x-request-id"])
            assert labels == ["miss", "hit"], stream
            miss, hit = (audit_row(settings, i) for i in ids)
            assert hit["cache"] == "hit"
            assert miss["upstream_model"] == hit["upstream_model"] == "gpt-fake-2026-01-15"
            assert miss["reply_entity_types"] == hit["reply_entity_types"] == {"PHONE_NUMBER": 1}
    assert control.request_count == 2  # one per shape: the hits ran nothing
