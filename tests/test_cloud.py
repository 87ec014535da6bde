"""CloudProvider, its settings and resilience, against a fake provider on a real port."""

from __future__ import annotations

import asyncio
import email.utils
import logging
import random
import time
from pathlib import Path
from typing import Any

import httpx
import openai
import pytest
from fake_provider import FakeControl
from pydantic import ValidationError
from serving import free_port

from edge_router.backends.cloud import CloudProvider, ProviderError, ProviderUnavailable
from edge_router.backends.cloud_errors import request_texts, safe_message
from edge_router.backends.resilience import CircuitBreaker, backoff_delay, parse_retry_after
from edge_router.backends.settings import CredentialError, ProviderSettings, resolve_api_key
from edge_router.errors import BackendError, ModelNotFound
from edge_router.wire.sse import SSEvent, iter_sse

KEY = "sk-test-0123456789abcdef"
USER = {"role": "user", "content": "hello there world"}


@pytest.fixture()
def url(fake: tuple[str, FakeControl]) -> str:
    return fake[0]


def make_settings(url: str, **overrides: Any) -> ProviderSettings:
    values: dict[str, Any] = {
        "name": "fake",
        "kind": "openai",
        "base_url": url + "/v1",
        "api_key_env": "FAKE_KEY",
        "models": ("m1", "m2"),
        "default_model": "m1",
        "model_map": {"m1": "up-1"},
        "connect_timeout_s": 1.0,
        "read_timeout_s": 2.0,
        "total_timeout_s": 5.0,
        "max_retries": 2,
        "backoff_base_s": 0.01,
        "backoff_max_s": 0.05,
        "jitter": "none",
        "breaker_failures": 50,
        "breaker_reset_s": 0.2,
    }
    values.update(overrides)
    return ProviderSettings(**values)


def complete(settings: ProviderSettings, body: dict[str, Any]) -> dict[str, Any]:
    async def go() -> dict[str, Any]:
        async with CloudProvider(settings, api_key=KEY) as p:
            return await p.complete(body)

    return asyncio.run(go())


def stream(
    settings: ProviderSettings, body: dict[str, Any]
) -> tuple[list[dict[str, Any]], BaseException | None]:
    """All chunks received, and the exception that ended the stream (if any)."""

    async def go() -> tuple[list[dict[str, Any]], BaseException | None]:
        chunks: list[dict[str, Any]] = []
        async with CloudProvider(settings, api_key=KEY) as p:
            try:
                async for chunk in p.stream(body):
                    chunks.append(chunk)
            except ProviderError as exc:
                return chunks, exc
        return chunks, None

    return asyncio.run(go())


def text_of(chunks: list[dict[str, Any]]) -> str:
    return "".join(
        c["choices"][0]["delta"].get("content") or "" for c in chunks if c.get("choices")
    )


# --- settings -----------------------------------------------------------------------------


def test_settings_require_base_url_and_reject_unknown_fields() -> None:
    with pytest.raises(ValidationError, match="base_url"):
        ProviderSettings(name="x", kind="openai_compatible")  # type: ignore[call-arg]
    with pytest.raises(ValidationError, match="Extra inputs"):
        ProviderSettings(name="x", kind="openai_compatible", base_url="https://a.test", bogus=1)  # type: ignore[call-arg]


@pytest.mark.parametrize(
    ("overrides", "error"),
    [
        ({"base_url": "ftp://a.test"}, "http"),
        ({"base_url": "http://llm.internal:8080/v1"}, "loopback or trusted_local"),
        ({"kind": "openai", "api_key_env": None}, "needs api_key_env"),
        ({"trusted_local": True, "kind": "openai", "api_key_env": "K"}, "trusted_local"),
        ({"models": ("a",), "default_model": "b"}, "default_model"),
        ({"models": ("a",), "model_map": {"b": "c"}}, "model_map"),
        ({"extra_headers": {"Authorization": "Bearer x"}}, "extra_headers"),
        ({"api_key_credential": "../key"}, "plain file name"),
        ({"backoff_base_s": 2.0, "backoff_max_s": 1.0}, "backoff_max_s"),
        ({"models": ("a", "a")}, "unique"),
    ],
)
def test_settings_validation(overrides: dict[str, Any], error: str) -> None:
    values: dict[str, Any] = {
        "name": "p",
        "kind": "openai_compatible",
        "base_url": "https://a.test",
    }
    values.update(overrides)
    with pytest.raises(ValidationError, match=error):
        ProviderSettings(**values)


def test_settings_accept_plain_http_for_loopback_and_trusted_local() -> None:
    ProviderSettings(name="a", kind="openai_compatible", base_url="http://127.0.0.1:8080/v1")
    ProviderSettings(name="b", kind="openai_compatible", base_url="http://[::1]:8080/v1")
    s = ProviderSettings(
        name="c", kind="openai_compatible", base_url="http://gpu-box:8000/v1/", trusted_local=True
    )
    assert s.base_url == "http://gpu-box:8000/v1"


def test_resolve_api_key_sources(tmp_path: Path) -> None:
    both = make_settings("http://127.0.0.1:1", api_key_credential="cloud-key")
    (tmp_path / "cloud-key").write_text(KEY + "\n")
    env = {"FAKE_KEY": "from-env", "CREDENTIALS_DIRECTORY": str(tmp_path)}
    assert resolve_api_key(both, env) == KEY  # credential preferred, newline stripped
    assert resolve_api_key(both, {}, tmp_path) == KEY
    env_only = make_settings("http://127.0.0.1:1")
    assert resolve_api_key(env_only, {"FAKE_KEY": " from-env "}) == "from-env"
    keyless = make_settings("http://127.0.0.1:1", kind="openai_compatible", api_key_env=None)
    assert resolve_api_key(keyless, {}) is None


def test_resolve_api_key_failures_name_the_source_not_the_value(tmp_path: Path) -> None:
    with pytest.raises(CredentialError, match="FAKE_KEY"):
        resolve_api_key(make_settings("http://127.0.0.1:1"), {"FAKE_KEY": "  "})
    cred = make_settings("http://127.0.0.1:1", api_key_credential="k")
    with pytest.raises(CredentialError, match="CREDENTIALS_DIRECTORY"):
        resolve_api_key(cred, {})
    with pytest.raises(CredentialError, match="cannot read"):
        resolve_api_key(cred, {}, tmp_path)
    (tmp_path / "k").write_bytes(b"\xffsecret-bytes")
    with pytest.raises(CredentialError, match="not UTF-8") as info:
        resolve_api_key(cred, {}, tmp_path)
    assert info.value.__cause__ is None and "secret" not in str(info.value)


# --- resilience -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (None, None),
        ("", None),
        ("3", 3.0),
        ("0.5", 0.5),
        ("-4", 0.0),
        ("soon", None),
        ("nan", None),
        (email.utils.formatdate(1_000_030, usegmt=True), 30.0),
        (email.utils.formatdate(999_000, usegmt=True), 0.0),
    ],
)
def test_parse_retry_after(header: str | None, expected: float | None) -> None:
    assert parse_retry_after(header, now=1_000_000) == expected


def test_backoff_is_exponential_capped_and_fully_jittered() -> None:
    delays = [backoff_delay(a, base_s=0.5, max_s=3, jitter="none") for a in range(1, 6)]
    assert delays == [0.5, 1.0, 2.0, 3.0, 3.0]
    rng = random.Random(7)
    jittered = [backoff_delay(3, base_s=0.5, max_s=3, jitter="full", rng=rng) for _ in range(50)]
    assert all(0 <= d <= 2.0 for d in jittered) and len(set(jittered)) > 1


def test_breaker_state_machine() -> None:
    now = [0.0]
    b = CircuitBreaker(failures=3, reset_s=10, clock=lambda: now[0])
    for _ in range(2):
        assert b.try_acquire()
        b.record_failure()
    assert b.state == "closed" and b.available
    b.record_success()  # resets the consecutive count
    for _ in range(3):
        b.record_failure()
    assert b.state == "open" and not b.available and not b.try_acquire()
    assert b.retry_after_s() == 10
    now[0] = 10.0
    assert b.state == "half_open" and b.available
    assert b.try_acquire()
    assert not b.try_acquire() and not b.available  # one trial at a time
    b.record_failure()  # failed trial: open again for a full period
    assert b.state == "open"
    now[0] = 20.0
    assert b.try_acquire()
    b.release()  # cancelled trial lets the next one through
    assert b.try_acquire()
    b.record_success()
    assert b.state == "closed"


def test_sse_decoding() -> None:
    lines = [
        ": keep-alive",
        "event: a",
        "data: 1",
        "data: 2",
        "",
        "id: 7",
        "retry: 10",
        "",
        "data:x",
        "",
        "event: ping",
        "",
        "data: dangling",
    ]

    async def go() -> list[SSEvent]:
        async def source() -> Any:
            for line in lines:
                yield line

        return [e async for e in iter_sse(source())]

    assert asyncio.run(go()) == [SSEvent("a", "1\n2"), SSEvent(None, "x"), SSEvent("ping", "")]


LONG = "Please summarise the quarterly report for the Northwind account by Friday."


@pytest.mark.parametrize(
    ("message", "kept"),
    [
        ("max_tokens is too large", True),
        ("Invalid request: 'quarterly report for the Northwind' is not allowed", False),
        ("Your text 'Please summarise the' is flagged", False),
        ("Unknown tool lookup_customer", False),  # tool names are request content too
        ("key sk-abc...cdef rejected", False),
        ("x" * 600, False),
        ("", False),
        (None, False),
        ("line\nbreak", True),
        # Every forwarded field may be echoed: ids, user, metadata, stop, schemas.
        ("tool_call_id call_jdoe1970 has no result", False),
        ("user acct-88213-x is suspended", False),
        ("metadata value crm-ticket-4431 too long", False),
        ("stop sequence FINISHED-XYZ invalid", False),
        ("enum value olympia-branch not allowed", False),
    ],
)
def test_safe_message(message: Any, kept: bool) -> None:
    body = {
        "model": "gpt-x",
        "messages": [
            {"role": "user", "content": LONG},
            {"role": "tool", "tool_call_id": "call_jdoe1970", "content": "ok"},
        ],
        "tools": [
            {
                "type": "function",
                "function": {
                    "name": "lookup_customer",
                    "parameters": {"properties": {"b": {"enum": ["olympia-branch"]}}},
                },
            }
        ],
        "user": "acct-88213-x",
        "metadata": {"ticket": "crm-ticket-4431"},
        "stop": ["FINISHED-XYZ"],
    }
    result = safe_message(message, request_texts(body), "sk-abc-0000-cdef")
    assert (result is not None) == kept
    if kept:
        assert "\n" not in result  # type: ignore[operator]


# --- happy paths against the fake -------------------------------------------------------------


def test_complete_sends_known_fields_with_mapped_model(url: str, control: FakeControl) -> None:
    body = {"model": "m1", "messages": [USER], "temperature": 0.2, "custom_field": {"x": 1}}
    s = make_settings(url, extra_headers={"OpenAI-Project": "proj-1"})
    resp = complete(s, body)
    assert resp["object"] == "chat.completion"
    assert resp["choices"][0]["message"]["content"] == "hello there world"
    # Fields the provider does not allow (forward_fields) never leave.
    assert control.received == [{"model": "up-1", "messages": [USER], "temperature": 0.2}]
    headers = control.received_headers[0]
    assert headers["authorization"] == f"Bearer {KEY}"
    assert headers["openai-project"] == "proj-1"
    assert headers["content-type"] == "application/json"


def test_forward_fields_reach_only_the_provider_that_allows_them(
    url: str, control: FakeControl
) -> None:
    body = {"model": "m1", "messages": [USER], "custom_field": {"x": 1}}
    complete(make_settings(url, forward_fields=("custom_field",)), body)
    assert control.received[-1]["custom_field"] == {"x": 1}


def test_model_resolution(url: str, control: FakeControl) -> None:
    s = make_settings(url)
    complete(s, {"model": "auto", "messages": [USER]})
    complete(s, {"model": "m2", "messages": [USER]})
    complete(s, {"model": "up-1", "messages": [USER]})  # already mapped by the caller
    assert [b["model"] for b in control.received] == ["up-1", "m2", "up-1"]
    with pytest.raises(ModelNotFound):
        complete(s, {"model": "other", "messages": [USER]})
    p = CloudProvider(make_settings(url, default_model=None), api_key=None)
    assert p.serves("m1") and not p.serves("auto") and not p.serves("other")
    with pytest.raises(ModelNotFound):
        p.upstream_model("auto")
    asyncio.run(p.aclose())


def test_stream_yields_chunks_and_usage(url: str, control: FakeControl) -> None:
    body = {
        "model": "m1",
        "messages": [USER],
        "stream": True,
        "stream_options": {"include_usage": True},
    }
    chunks, err = stream(make_settings(url), body)
    assert err is None
    assert all(c["object"] == "chat.completion.chunk" for c in chunks)
    assert text_of(chunks) == "hello there world"
    assert chunks[-1]["usage"]["completion_tokens"] == 3
    assert control.received == [{**body, "model": "up-1"}]


def test_complete_strips_stream_options(url: str, control: FakeControl) -> None:
    complete(
        make_settings(url),
        {
            "model": "m1",
            "messages": [USER],
            "stream": True,
            "stream_options": {"include_usage": True},
        },
    )
    assert control.received[0]["stream"] is False
    assert "stream_options" not in control.received[0]


def test_latency_and_availability_are_reported(url: str, control: FakeControl) -> None:
    async def go() -> tuple[float | None, float | None, bool]:
        async with CloudProvider(make_settings(url), api_key=KEY) as p:
            before = p.recent_latency_s
            await p.complete({"model": "m1", "messages": [USER]})
            return before, p.recent_latency_s, p.available

    before, after, available = asyncio.run(go())
    assert before is None and after is not None and after > 0 and available


# --- retries ----------------------------------------------------------------------------------


def test_500s_then_success_is_retried(url: str, control: FakeControl) -> None:
    control.fail_next(2, status=500)
    resp = complete(make_settings(url), {"model": "m1", "messages": [USER]})
    assert resp["choices"][0]["message"]["content"] == "hello there world"
    assert control.request_count == 3


def test_500s_beyond_retries_raise_retryable_provider_error(url: str, control: FakeControl) -> None:
    control.fail_next(5, status=502)
    with pytest.raises(ProviderError) as info:
        complete(make_settings(url, max_retries=1), {"model": "m1", "messages": [USER]})
    assert info.value.retryable and info.value.upstream_status == 502
    assert isinstance(info.value, BackendError) and info.value.status == 502
    assert control.request_count == 2


def test_429_retry_after_is_honoured(url: str, control: FakeControl) -> None:
    control.rate_limit_next(1, retry_after="1")
    started = time.monotonic()
    complete(make_settings(url, backoff_max_s=2.0), {"model": "m1", "messages": [USER]})
    assert time.monotonic() - started >= 1.0
    assert control.request_count == 2


def test_retry_after_beyond_budget_fails_fast_as_unavailable(
    url: str, control: FakeControl
) -> None:
    control.rate_limit_next(1, retry_after="30")
    s = make_settings(url, backoff_max_s=30.0, total_timeout_s=2.0)
    with pytest.raises(ProviderUnavailable) as info:
        complete(s, {"model": "m1", "messages": [USER]})
    assert info.value.status == 503 and info.value.headers["Retry-After"] == "30"
    assert control.request_count == 1


def test_retry_after_is_capped_by_backoff_max(url: str, control: FakeControl) -> None:
    control.rate_limit_next(1, retry_after="30")
    complete(make_settings(url, backoff_max_s=0.05), {"model": "m1", "messages": [USER]})
    assert control.request_count == 2


def test_down_upstream_is_unavailable_after_retries(url: str, control: FakeControl) -> None:
    control.down = True
    with pytest.raises(ProviderUnavailable) as info:
        complete(make_settings(url), {"model": "m1", "messages": [USER]})
    assert info.value.upstream_status == 503
    assert control.request_count == 3


def test_connection_refused_is_unavailable() -> None:
    s = make_settings(f"http://127.0.0.1:{free_port()}", max_retries=1)
    with pytest.raises(ProviderUnavailable, match="could not be reached"):
        complete(s, {"model": "m1", "messages": [USER]})


# --- timeouts -----------------------------------------------------------------------------------


def test_slow_first_byte_within_timeout(url: str, control: FakeControl) -> None:
    control.first_byte_delay_s = 0.2
    resp = complete(make_settings(url, read_timeout_s=2.0), {"model": "m1", "messages": [USER]})
    assert resp["choices"][0]["message"]["content"] == "hello there world"


def test_slow_first_byte_beyond_read_timeout(url: str, control: FakeControl) -> None:
    control.first_byte_delay_s = 0.5
    s = make_settings(url, read_timeout_s=0.1, max_retries=1)
    with pytest.raises(ProviderError) as info:
        complete(s, {"model": "m1", "messages": [USER]})
    assert info.value.code == "upstream_timeout" and info.value.retryable
    assert control.request_count == 2


def test_slow_stream_beyond_total_budget(url: str, control: FakeControl) -> None:
    control.first_byte_delay_s = 1.0
    s = make_settings(url, read_timeout_s=5.0, total_timeout_s=0.3)
    chunks, err = stream(s, {"model": "m1", "messages": [USER], "stream": True})
    assert chunks == [] and isinstance(err, ProviderError)
    assert err.code == "upstream_total_timeout"
    assert control.request_count == 1


def test_stalled_stream_times_out_between_chunks(url: str, control: FakeControl) -> None:
    control.chunk_delay_s = 1.5
    s = make_settings(url, read_timeout_s=0.3)
    chunks, err = stream(s, {"model": "m1", "messages": [USER], "stream": True})
    assert len(chunks) == 1 and isinstance(err, ProviderError)
    assert err.code == "upstream_timeout"
    assert control.request_count == 1  # never retried after the first chunk


# --- broken streams and bodies ------------------------------------------------------------------


def test_dropped_mid_stream_surfaces_without_retry(url: str, control: FakeControl) -> None:
    control.drop_after_chunks = 3
    chunks, err = stream(make_settings(url), {"model": "m1", "messages": [USER], "stream": True})
    assert len(chunks) == 3 and text_of(chunks) == "hello there "
    assert isinstance(err, ProviderError) and err.code == "upstream_disconnected"
    assert control.request_count == 1


def test_drop_before_first_chunk_is_retried(url: str, control: FakeControl) -> None:
    control.drop_after_chunks = 0
    chunks, err = stream(make_settings(url), {"model": "m1", "messages": [USER], "stream": True})
    assert chunks == [] and isinstance(err, ProviderError) and err.retryable
    assert control.request_count == 3


def test_in_stream_error_event(url: str, control: FakeControl) -> None:
    control.stream_error_after = 2
    chunks, err = stream(make_settings(url), {"model": "m1", "messages": [USER], "stream": True})
    assert len(chunks) == 2
    assert isinstance(err, ProviderError) and err.code == "upstream_stream_error"


@pytest.mark.parametrize("streaming", [False, True])
@pytest.mark.parametrize("fault", ["malformed", "wrong_content_type"])
def test_garbled_answers_are_not_retried(
    url: str, control: FakeControl, fault: str, streaming: bool
) -> None:
    getattr(control, f"{fault}_next")(1)
    body = {"model": "m1", "messages": [USER], "stream": streaming}
    s = make_settings(url)
    if streaming:
        chunks, err = stream(s, body)
        assert chunks == []
    else:
        with pytest.raises(ProviderError) as info:
            complete(s, body)
        err = info.value
    assert isinstance(err, ProviderError)
    assert err.code == "upstream_malformed" and not err.retryable and err.status == 502
    assert control.request_count == 1


# --- breaker ------------------------------------------------------------------------------------


def test_breaker_opens_after_failures_and_recovers(url: str, control: FakeControl) -> None:
    s = make_settings(url, max_retries=0, breaker_failures=2, breaker_reset_s=0.3)
    body = {"model": "m1", "messages": [USER]}

    async def go() -> None:
        async with CloudProvider(s, api_key=KEY) as p:
            control.fail_next(2, status=500)
            for _ in range(2):
                with pytest.raises(ProviderError):
                    await p.complete(body)
            assert not p.available and p.breaker_state == "open"
            with pytest.raises(ProviderUnavailable, match="circuit open") as info:
                await p.complete(body)
            assert "Retry-After" in info.value.headers
            assert control.request_count == 2  # failed fast, upstream untouched
            await asyncio.sleep(0.35)
            assert p.available and p.breaker_state == "half_open"
            await p.complete(body)
            assert p.breaker_state == "closed"

    asyncio.run(go())


def test_client_errors_do_not_trip_the_breaker(url: str, control: FakeControl) -> None:
    s = make_settings(url, max_retries=0, breaker_failures=1)

    async def go() -> None:
        async with CloudProvider(s, api_key=KEY) as p:
            control.fail_next(3, status=400, message="max_tokens is too large")
            for _ in range(3):
                with pytest.raises(ProviderError):
                    await p.complete({"model": "m1", "messages": [USER]})
            assert p.available

    asyncio.run(go())


# --- upstream 4xx -------------------------------------------------------------------------------


def test_client_error_is_passed_through(url: str, control: FakeControl) -> None:
    control.fail_next(1, status=400, message="max_tokens is too large for this model")
    with pytest.raises(ProviderError) as info:
        complete(make_settings(url), {"model": "m1", "messages": [USER]})
    err = info.value
    assert err.status == 400 and err.type == "invalid_request_error" and not err.retryable
    assert "max_tokens is too large" in err.message
    assert control.request_count == 1


def test_client_error_quoting_the_request_is_not_echoed(url: str, control: FakeControl) -> None:
    secret_text = "my account number is 4111 1111 1111 1111 please help"
    control.fail_next(1, status=400, message=f"Invalid content: '{secret_text[3:40]}...'")
    with pytest.raises(ProviderError) as info:
        complete(
            make_settings(url),
            {"model": "m1", "messages": [{"role": "user", "content": secret_text}]},
        )
    assert "4111" not in info.value.message and "account" not in info.value.message
    assert info.value.status == 400


def test_rejected_credentials_never_echo_the_key(url: str, control: FakeControl) -> None:
    control.fail_next(1, status=401, message=f"Incorrect API key provided: sk-te***{KEY[-4:]}")
    with pytest.raises(ProviderError) as info:
        complete(make_settings(url), {"model": "m1", "messages": [USER]})
    err = info.value
    assert err.status == 502 and err.code == "upstream_auth_failed" and not err.retryable
    assert KEY[-4:] not in err.message


def test_nothing_sensitive_is_logged(
    url: str, control: FakeControl, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    control.fail_next(1, status=500)
    control.drop_after_chunks = 2
    body = {"model": "m1", "messages": [{"role": "user", "content": "zebra-canary text"}]}
    complete(make_settings(url), body)
    stream(make_settings(url), {**body, "stream": True})
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert "retrying" in logged
    assert "zebra-canary" not in logged and KEY not in logged


# --- transport-level units ----------------------------------------------------------------------


def _mock_provider(handler: Any, **overrides: Any) -> CloudProvider:
    settings = make_settings("http://127.0.0.1:9", **overrides)
    return CloudProvider(settings, api_key=KEY, transport=httpx.MockTransport(handler))


def test_redirects_are_not_followed() -> None:
    calls: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(str(request.url))
        return httpx.Response(307, headers={"location": "http://elsewhere.test/steal"})

    async def go() -> None:
        async with _mock_provider(handler) as p:
            with pytest.raises(ProviderError) as info:
                await p.complete({"model": "m1", "messages": [USER]})
            assert info.value.upstream_status == 307

    asyncio.run(go())
    assert calls == ["http://127.0.0.1:9/v1/chat/completions"]


def test_retry_after_http_date_and_ms_headers() -> None:
    sleeps: list[float] = []
    answers = iter(
        [
            httpx.Response(
                503, headers={"retry-after": email.utils.formatdate(time.time() + 1, usegmt=True)}
            ),
            httpx.Response(429, headers={"retry-after-ms": "20"}),
            httpx.Response(200, json={"id": "x", "object": "chat.completion", "choices": []}),
        ]
    )

    async def fake_sleep(delay: float) -> None:
        sleeps.append(delay)

    async def go() -> None:
        p = CloudProvider(
            make_settings("http://127.0.0.1:9", backoff_max_s=5.0),
            api_key=KEY,
            transport=httpx.MockTransport(lambda request: next(answers)),
            sleep=fake_sleep,
        )
        async with p:
            await p.complete({"model": "m1", "messages": [USER]})

    asyncio.run(go())
    assert 0 < sleeps[0] <= 1.0 and sleeps[1] == pytest.approx(0.02)


def test_cancelled_call_releases_half_open_trial() -> None:
    async def handler(request: httpx.Request) -> httpx.Response:
        await asyncio.sleep(10)
        raise AssertionError("unreachable")

    async def go() -> None:
        async with _mock_provider(handler, breaker_failures=1, breaker_reset_s=0.01) as p:
            p._breaker.record_failure()
            await asyncio.sleep(0.02)
            task = asyncio.create_task(p.complete({"model": "m1", "messages": [USER]}))
            await asyncio.sleep(0.05)
            assert not p.available  # trial in flight
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task
            assert p.available

    asyncio.run(go())


# --- official SDK against the fake (wire-format conformance of the fake) ------------------------


def test_openai_sdk_accepts_the_fake(url: str, control: FakeControl) -> None:
    tools = [{"type": "function", "function": {"name": "lookup", "parameters": {"type": "object"}}}]
    with openai.OpenAI(base_url=url + "/v1", api_key=KEY, max_retries=0) as client:
        r = client.chat.completions.create(model="m", messages=[USER])  # type: ignore[list-item]
        assert r.choices[0].message.content == "hello there world"
        chunks = list(
            client.chat.completions.create(
                model="m",
                messages=[USER],  # type: ignore[list-item]
                stream=True,
                stream_options={"include_usage": True},
            )
        )
        assert "".join(c.choices[0].delta.content or "" for c in chunks if c.choices) == (
            "hello there world"
        )
        assert chunks[-1].usage is not None and chunks[-1].usage.total_tokens == 6
        r = client.chat.completions.create(
            model="m",
            messages=[{"role": "user", "content": "call the tool"}],
            tools=tools,  # type: ignore[arg-type]
        )
        call = r.choices[0].message.tool_calls[0]  # type: ignore[index]
        assert r.choices[0].finish_reason == "tool_calls"
        assert call.function.name == "lookup"  # type: ignore[union-attr]
        control.fail_next(1, status=429, retry_after="1")
        with pytest.raises(openai.RateLimitError):
            client.chat.completions.create(model="m", messages=[USER])  # type: ignore[list-item]
