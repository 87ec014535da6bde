"""The cloud path end to end: the daemon (real model, real scanner) in front of a fake
provider on 127.0.0.1 that records what it receives and echoes it back."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import anthropic
import httpx
import openai
import pytest
from fake_provider import FakeControl, make_fake_provider
from privacy_fixtures import shared_scanner
from serving import free_port, serve

from edge_router.app import create_app
from edge_router.backends.settings import ProviderSettings
from edge_router.config import PolicySettings, Settings

EMAIL, NAME = "quentin.marsh@example.net", "Quentin Marsh"
CLOUDY = "name: cloudy\ndefault: cloud\n"


def provider(name: str, url: str, **kw: Any) -> ProviderSettings:
    opts: dict[str, Any] = {
        "max_retries": 1,
        "backoff_base_s": 0.01,
        "backoff_max_s": 0.05,
        "jitter": "none",
        "breaker_failures": 3,
        "breaker_reset_s": 0.5,
        "read_timeout_s": 10,
        **kw,
    }
    return ProviderSettings(
        name=name,
        kind="openai_compatible",
        base_url=url + "/v1",
        models=("gpt-fake",),
        default_model="gpt-fake",
        **opts,
    )


class Stack:
    def __init__(self, url: str, fakes: list[FakeControl]) -> None:
        self.url = url
        self.fakes = fakes
        self.oa = openai.OpenAI(base_url=url + "/v1", api_key="x", max_retries=0)

    def received_text(self) -> str:
        return json.dumps([f.received for f in self.fakes])


@pytest.fixture()
def fake() -> Iterator[tuple[str, FakeControl, int]]:
    app, control = make_fake_provider()
    port = free_port()
    with serve(app, port=port) as url:
        yield url, control, port


def _router(
    settings: Settings, policy_dir: Path, policy: str, providers: list[ProviderSettings]
) -> Any:
    s = settings.model_copy(
        update={
            "policy": PolicySettings(dir=str(policy_dir), default=policy),
            "providers": tuple(providers),
        }
    )
    return create_app(s, scanner=shared_scanner())


@pytest.fixture()
def policies(tmp_path: Path) -> Path:
    d = tmp_path / "policies"
    d.mkdir()
    (d / "cloudy.yaml").write_text(CLOUDY)
    for name in ("gdpr", "default", "pci"):
        (d / f"{name}.yaml").write_text((Path("policies") / f"{name}.yaml").read_text())
    return d


def test_gdpr_redaction_round_trip_non_streaming_and_streaming(
    settings: Settings, policies: Path, fake: tuple[str, FakeControl, int]
) -> None:
    furl, control, _ = fake
    with serve(_router(settings, policies, "gdpr", [provider("p1", furl)])) as url:
        st = Stack(url, [control])
        text = f"Please write a note to {NAME} at {EMAIL} about the meeting."
        msgs: Any = [{"role": "user", "content": text}]
        raw = st.oa.chat.completions.with_raw_response.create(model="gpt-fake", messages=msgs)
        assert raw.headers["x-edge-router-route"] == "cloud"
        assert raw.headers["x-edge-router-redacted"] == "true"
        assert raw.parse().choices[0].message.content == text  # originals restored
        stream = st.oa.chat.completions.create(model="gpt-fake", messages=msgs, stream=True)
        streamed = "".join(c.choices[0].delta.content or "" for c in stream if c.choices)
        assert streamed == text
        sent = st.received_text()
        assert control.request_count == 2
        assert EMAIL not in sent and "Quentin" not in sent and "Marsh" not in sent
        assert "EMAIL_ADDRESS" in sent


def test_sensitive_request_for_cloud_model_stays_local(
    settings: Settings, policies: Path, fake: tuple[str, FakeControl, int]
) -> None:
    furl, control, _ = fake
    with serve(_router(settings, policies, "default", [provider("p1", furl)])) as url:
        r = httpx.post(
            url + "/v1/chat/completions",
            json={
                "model": "gpt-fake",
                "messages": [{"role": "user", "content": "my card is 4111 1111 1111 1111"}],
                "max_tokens": 3,
            },
            timeout=60,
        )
        assert r.status_code == 200
        assert r.headers["x-edge-router-route"] == "local"
        assert r.headers["x-edge-router-model"] == "smollm2-135m-instruct"
        assert control.request_count == 0


def test_what_the_local_tier_cannot_do_goes_to_the_cloud_only_when_clean(
    settings: Settings, policies: Path, fake: tuple[str, FakeControl, int]
) -> None:
    """auto + web search: a clean prompt is routed to a provider that can do it; a
    sensitive one stays here and is refused with a 400 naming the capability."""
    furl, control, _ = fake
    with serve(_router(settings, policies, "default", [provider("p1", furl)])) as url:
        clean = {
            "model": "auto",
            "messages": [{"role": "user", "content": "What is new in Python 3.13?"}],
            "web_search_options": {},
            "max_tokens": 8,
        }
        r = httpx.post(url + "/v1/chat/completions", json=clean, timeout=60)
        assert r.status_code == 200, r.text
        assert r.headers["x-edge-router-route"] == "cloud"
        assert "auto:local_incapable" in r.headers["x-edge-router-reasons"]
        assert control.request_count == 1
        assert control.received[0]["web_search_options"] == {}
        private = {**clean, "messages": [{"role": "user", "content": f"Search for {EMAIL}"}]}
        r = httpx.post(url + "/v1/chat/completions", json=private, timeout=60)
        assert r.status_code == 400, r.text
        err = r.json()["error"]
        assert (err["code"], err["param"]) == ("unsupported_capability", "web_search_options")
        assert EMAIL not in r.text
        assert control.request_count == 1  # nothing more left the machine


def test_fallback_to_second_provider_then_to_local(
    settings: Settings, policies: Path, fake: tuple[str, FakeControl, int]
) -> None:
    furl, c1, _ = fake
    app2, c2 = make_fake_provider()
    with serve(app2) as furl2:
        providers = [provider("p1", furl), provider("p2", furl2)]
        with serve(_router(settings, policies, "cloudy", providers)) as url:
            st = Stack(url, [c1, c2])
            c1.fail_next(5, status=500)
            msgs: Any = [{"role": "user", "content": "hello there"}]
            raw = st.oa.chat.completions.with_raw_response.create(model="gpt-fake", messages=msgs)
            assert raw.headers["x-edge-router-provider"] == "p2"
            assert raw.headers["x-edge-router-fallbacks"] == "1"
            c1.fail_next(5, status=500)
            c2.fail_next(5, status=500)
            raw = st.oa.chat.completions.with_raw_response.create(
                model="gpt-fake", messages=msgs, max_tokens=3
            )
            # Every fallback re-ran the policy; with no cloud left it decided local.
            assert raw.headers["x-edge-router-route"] == "local"
            assert "cloud_unavailable" in raw.headers["x-edge-router-reasons"]


def test_stream_never_changes_target_after_first_byte(
    settings: Settings, policies: Path, fake: tuple[str, FakeControl, int]
) -> None:
    furl, control, _ = fake
    with serve(_router(settings, policies, "cloudy", [provider("p1", furl)])) as url:
        control.drop_after_chunks = 3
        body = {
            "model": "gpt-fake",
            "stream": True,
            "messages": [{"role": "user", "content": "one two three four five six seven"}],
        }
        with httpx.stream("POST", url + "/v1/chat/completions", json=body, timeout=30) as r:
            assert r.headers["x-edge-router-route"] == "cloud"
            lines = [ln for ln in r.iter_lines() if ln.startswith("data: ")]
        assert lines[-1] == "data: [DONE]"
        err = json.loads(lines[-2][6:])
        assert "error" in err and err["error"]["type"]
        assert control.request_count == 1  # no second attempt, no local continuation


def test_provider_killed_goes_offline_local_then_recovers(
    settings: Settings, policies: Path
) -> None:
    app, control = make_fake_provider()
    port = free_port()
    furl = f"http://127.0.0.1:{port}"
    stack_app = _router(settings, policies, "cloudy", [provider("p1", furl)])
    with serve(stack_app) as url:
        msgs: Any = [{"role": "user", "content": "hi"}]
        oa = openai.OpenAI(base_url=url + "/v1", api_key="x", max_retries=0)

        def route() -> str:
            raw = oa.chat.completions.with_raw_response.create(
                model="gpt-fake", messages=msgs, max_tokens=2
            )
            return raw.headers["x-edge-router-route"]

        with serve(app, port=port):
            assert route() == "cloud"
        # The provider is gone: the very next request is served locally, and readiness
        # says so from that failed call on (not only once the breaker opens).
        assert route() == "local"
        ready = httpx.get(url + "/readyz").json()
        assert (ready["status"], ready["reason"]) == ("degraded", "providers_unreachable")
        assert ready["providers"] == {"p1": False} and ready["providers_configured"]
        with serve(app, port=port):
            deadline = time.monotonic() + 10
            while route() != "cloud":
                assert time.monotonic() < deadline, "router did not return to the cloud"
                time.sleep(0.2)
            ready = httpx.get(url + "/readyz").json()
            assert (ready["status"], ready["reason"], ready["mode"]) == (
                "ready",
                None,
                "local_and_cloud",
            )
        # Closed here, not by the garbage collector in a later test, where its socket's
        # ResourceWarning failed that test under load.
        oa.close()
        assert control.request_count >= 2


def test_offline_mode_is_degraded_and_local(settings: Settings, policies: Path) -> None:
    s = settings.model_copy(
        update={
            "offline": True,
            "policy": PolicySettings(dir=str(policies), default="cloudy"),
            "providers": (provider("p1", "http://127.0.0.1:9"),),
        }
    )
    with serve(create_app(s, scanner=shared_scanner())) as url:
        ready = httpx.get(url + "/readyz")
        assert ready.status_code == 200 and ready.json()["status"] == "degraded"
        assert (ready.json()["reason"], ready.json()["mode"]) == ("offline", "offline")
        r = httpx.post(
            url + "/v1/chat/completions",
            json={"model": "auto", "messages": [{"role": "user", "content": "x"}], "max_tokens": 2},
            timeout=60,
        )
        assert r.headers["x-edge-router-route"] == "local"


def test_anthropic_sdk_on_messages_endpoint(
    settings: Settings, policies: Path, fake: tuple[str, FakeControl, int]
) -> None:
    furl, control, _ = fake
    with serve(_router(settings, policies, "gdpr", [provider("p1", furl)])) as url:
        client = anthropic.Anthropic(base_url=url, api_key="x", max_retries=0)
        text = f"Draft a reply to {EMAIL} please."
        msg = client.messages.create(
            model="gpt-fake",
            max_tokens=64,
            system="You are terse.",
            messages=[{"role": "user", "content": text}],
        )
        assert msg.content[0].type == "text" and msg.content[0].text == text
        with client.messages.stream(
            model="gpt-fake", max_tokens=64, messages=[{"role": "user", "content": text}]
        ) as stream:
            assert "".join(stream.text_stream) == text
        assert EMAIL not in json.dumps(control.received)
        # Local route through the same door, and Anthropic-shaped errors.
        local = client.messages.create(
            model="auto",
            max_tokens=4,
            messages=[{"role": "user", "content": "my SSN is 078-05-1120"}],
        )
        assert local.content and local.model
        with pytest.raises(anthropic.NotFoundError):
            client.messages.create(
                model="no-such-model", max_tokens=4, messages=[{"role": "user", "content": "hi"}]
            )
        client.close()


def test_trusted_on_prem_server_is_local_tier_and_listed(
    settings: Settings, policies: Path, fake: tuple[str, FakeControl, int]
) -> None:
    furl, control, _ = fake
    onprem = ProviderSettings(
        name="gpu-box",
        kind="openai_compatible",
        base_url=furl + "/v1",
        models=("onprem-llm",),
        trusted_local=True,
    )
    cloud_app, cloud = make_fake_provider()
    with serve(cloud_app) as curl:
        app = _router(settings, policies, "default", [provider("p1", curl), onprem])
        with serve(app) as url:
            ids = {m["id"] for m in httpx.get(url + "/v1/models").json()["data"]}
            assert {"gpt-fake", "onprem-llm", "auto"} <= ids
            text = "my card is 4111 1111 1111 1111, summarise my statement"
            r = httpx.post(
                url + "/v1/chat/completions",
                json={"model": "onprem-llm", "messages": [{"role": "user", "content": text}]},
                timeout=60,
            )
            assert r.status_code == 200
            # Sensitive, so the local tier, served by the named on-prem server.
            assert r.headers["x-edge-router-route"] == "local"
            assert r.headers["x-edge-router-provider"] == "gpu-box"
            assert control.request_count == 1
            assert cloud.request_count == 0  # never the cloud
