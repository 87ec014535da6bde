"""The response guard through the real daemon (real scanner, real HTTP on 127.0.0.1) in
front of a fake provider that adds values of its own to its echo, with the official
OpenAI and Anthropic SDKs as clients."""

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
from fake_provider import FakeControl, fake_provider_settings
from privacy_fixtures import shared_scanner
from serving import serve

from edge_router.app import create_app
from edge_router.config import PolicySettings, Settings

EMAIL = "quentin.marsh@example.net"
ASK = f"Please confirm the address {EMAIL} for the invoice."
# What the provider adds on its own, cut mid-value (a phone number and an e-mail).
INJECT = (" Also on file: 650-55", "5-0199 and ops", "@vendor-example", ".com.")
GUARDED = " Also on file: [REDACTED_PHONE_NUMBER] and [REDACTED_EMAIL_ADDRESS]."
POLICIES = {
    "guarded": "name: guarded\ndefault: redact\nresponse: redact\n",
    "blocking": "name: blocking\ndefault: redact\nresponse: block\n",
    "open": "name: open\ndefault: redact\n",
}


@pytest.fixture(scope="module")
def daemons(
    settings: Settings, fake: tuple[str, FakeControl], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[dict[str, str]]:
    d: Path = tmp_path_factory.mktemp("guard-policies")
    for name, text in POLICIES.items():
        (d / f"{name}.yaml").write_text(text)
    urls: dict[str, str] = {}
    with (
        serve(_app(settings, d, "guarded", fake[0])) as guarded,
        serve(_app(settings, d, "blocking", fake[0])) as blocking,
        serve(_app(settings, d, "open", fake[0])) as plain,
    ):
        urls.update(guarded=guarded, blocking=blocking, open=plain)
        yield urls
        while _CLIENTS:
            _CLIENTS.pop().close()


def _app(settings: Settings, d: Path, policy: str, furl: str) -> Any:
    s = settings.model_copy(
        update={
            "policy": PolicySettings(dir=str(d), default=policy),
            "providers": (fake_provider_settings(furl, "p1", read_timeout_s=10),),
        }
    )
    return create_app(s, scanner=shared_scanner())


_CLIENTS: list[openai.OpenAI | anthropic.Anthropic] = []


def oa(url: str) -> openai.OpenAI:
    _CLIENTS.append(openai.OpenAI(base_url=url + "/v1", api_key="x", max_retries=0))
    return _CLIENTS[-1]  # type: ignore[return-value]


def an(url: str) -> anthropic.Anthropic:
    _CLIENTS.append(anthropic.Anthropic(base_url=url, api_key="x", max_retries=0))
    return _CLIENTS[-1]  # type: ignore[return-value]


def test_openai_stream_and_whole_reply_redacted_request_values_intact(
    daemons: dict[str, str], control: FakeControl, settings: Settings
) -> None:
    control.inject = INJECT
    msgs: Any = [{"role": "user", "content": ASK}]
    client = oa(daemons["guarded"])
    with client.chat.completions.with_streaming_response.create(
        model="gpt-fake", messages=msgs, stream=True
    ) as raw:
        request_id = raw.headers["x-request-id"]
        text = "".join(c.choices[0].delta.content or "" for c in raw.parse() if c.choices)
    # The e-mail went out as a placeholder and came back restored; the provider's own
    # values did not get through.
    assert EMAIL not in json.dumps(control.received)
    assert text == ASK + GUARDED
    whole = client.chat.completions.create(model="gpt-fake", messages=msgs)
    assert whole.choices[0].message.content == ASK + GUARDED
    row = audit_row(settings, request_id)
    assert row["reply_entity_types"] == {"EMAIL_ADDRESS": 1, "PHONE_NUMBER": 1}
    metrics = httpx.get(daemons["guarded"] + "/metrics").text
    assert 'edge_router_reply_entities_total{action="redact",type="PHONE_NUMBER"} 2.0' in metrics


def test_without_response_action_the_reply_passes(
    daemons: dict[str, str], control: FakeControl
) -> None:
    control.inject = INJECT
    msgs: Any = [{"role": "user", "content": ASK}]
    whole = oa(daemons["open"]).chat.completions.create(model="gpt-fake", messages=msgs)
    assert whole.choices[0].message.content == ASK + "".join(INJECT)


def test_logprobs_are_refused_where_replies_are_guarded(
    daemons: dict[str, str], control: FakeControl
) -> None:
    # Token log probabilities would carry a value past the guard: a clear 400, not an
    # answer with the field silently missing. Without a guard they pass through.
    msgs: Any = [{"role": "user", "content": "Name a colour."}]
    sent = len(control.received)
    with pytest.raises(openai.BadRequestError) as info:
        oa(daemons["guarded"]).chat.completions.create(
            model="gpt-fake", messages=msgs, logprobs=True
        )
    assert info.value.code == "unsupported_with_reply_guard"
    assert len(control.received) == sent  # refused before anything went out
    oa(daemons["open"]).chat.completions.create(model="gpt-fake", messages=msgs, logprobs=True)
    assert len(control.received) == sent + 1


def test_anthropic_text_and_tool_use_blocks(daemons: dict[str, str], control: FakeControl) -> None:
    control.inject = INJECT
    client = an(daemons["guarded"])
    msgs: Any = [{"role": "user", "content": ASK}]
    with client.messages.stream(model="gpt-fake", max_tokens=200, messages=msgs) as s:
        streamed = "".join(s.text_stream)
    assert streamed == ASK + GUARDED
    tools: Any = [
        {"name": "note", "description": "Save a note.", "input_schema": {"type": "object"}}
    ]
    ask_tool: Any = [{"role": "user", "content": "Use the tool to note " + EMAIL}]
    for stream in (False, True):
        if stream:
            with client.messages.stream(
                model="gpt-fake", max_tokens=200, messages=ask_tool, tools=tools
            ) as s:
                msg = s.get_final_message()
        else:
            msg = client.messages.create(
                model="gpt-fake", max_tokens=200, messages=ask_tool, tools=tools
            )
        (use,) = [b for b in msg.content if b.type == "tool_use"]
        assert use.input == {"text": "Use the tool to note " + EMAIL + GUARDED}, stream


def test_openai_tool_call_arguments(daemons: dict[str, str], control: FakeControl) -> None:
    control.inject = INJECT
    tools: Any = [{"type": "function", "function": {"name": "note", "parameters": {}}}]
    msgs: Any = [{"role": "user", "content": "Use the tool to note " + EMAIL}]
    stream = oa(daemons["guarded"]).chat.completions.create(
        model="gpt-fake", messages=msgs, tools=tools, stream=True
    )
    args = "".join(
        tc.function.arguments or ""
        for c in stream
        if c.choices
        for tc in c.choices[0].delta.tool_calls or []
        if tc.function
    )
    assert json.loads(args) == {"text": "Use the tool to note " + EMAIL + GUARDED}


def test_block_ends_the_stream_with_an_error_and_refuses_a_whole_reply(
    daemons: dict[str, str], control: FakeControl, settings: Settings
) -> None:
    control.inject = INJECT
    msgs: Any = [{"role": "user", "content": ASK}]
    body = {"model": "gpt-fake", "messages": msgs, "stream": True}
    with httpx.stream("POST", daemons["blocking"] + "/v1/chat/completions", json=body) as r:
        assert r.status_code == 200
        lines = [ln for ln in r.iter_lines() if ln.startswith("data: ")]
        request_id = r.headers["x-request-id"]
    assert lines[-1] == "data: [DONE]"
    err = json.loads(lines[-2][6:])["error"]
    assert err["code"] == "reply_blocked_by_policy" and "PHONE_NUMBER" in err["message"]
    sent = "".join(
        json.loads(ln[6:])["choices"][0]["delta"].get("content") or ""
        for ln in lines[:-2]
        if json.loads(ln[6:]).get("choices")
    )
    assert sent == ASK + " Also on file: "  # everything before the value, nothing of it
    assert audit_row(settings, request_id)["status"] == 403
    with (
        pytest.raises(openai.APIError),
        oa(daemons["blocking"]).chat.completions.create(**body) as events,
    ):
        list(events)
    with pytest.raises(openai.PermissionDeniedError) as info:
        oa(daemons["blocking"]).chat.completions.create(model="gpt-fake", messages=msgs)
    assert info.value.code == "reply_blocked_by_policy"
    assert "650" not in str(info.value.body)
    with pytest.raises(anthropic.PermissionDeniedError):
        an(daemons["blocking"]).messages.create(model="gpt-fake", max_tokens=99, messages=msgs)
    with (
        pytest.raises(anthropic.APIError),
        an(daemons["blocking"]).messages.stream(
            model="gpt-fake", max_tokens=99, messages=msgs
        ) as s,
    ):
        s.get_final_message()


def test_a_blocked_whole_reply_is_audited_with_its_findings_like_a_blocked_stream(
    daemons: dict[str, str], control: FakeControl, settings: Settings
) -> None:
    """Both refusals carry the reply's entity types (and counts) in the audit record, and
    no value: the non-streamed one is audited from the refusal, not from an answer."""
    control.inject = INJECT
    msgs: Any = [{"role": "user", "content": ASK}]
    body = {"model": "gpt-fake", "messages": msgs, "stream": True}
    with httpx.stream("POST", daemons["blocking"] + "/v1/chat/completions", json=body) as r:
        list(r.iter_lines())
        streamed = audit_row(settings, r.headers["x-request-id"])
    r = httpx.post(daemons["blocking"] + "/v1/chat/completions", json={**body, "stream": False})
    assert r.status_code == 403 and r.json()["error"]["code"] == "reply_blocked_by_policy"
    whole = audit_row(settings, r.headers["x-request-id"])
    assert streamed["reply_entity_types"] == {"PHONE_NUMBER": 1}
    assert whole["status"] == 403
    assert whole["reply_entity_types"] == streamed["reply_entity_types"]
    # The provider answered both (and charged for both): who answered and what it used
    # are on the record, so costs and budgets count a refused whole reply too.
    assert whole["route"] == streamed["route"] == "cloud"
    assert whole["provider"] == streamed["provider"] is not None
    assert whole["model"] == streamed["model"]
    assert isinstance(whole["prompt_tokens"], int) and isinstance(whole["completion_tokens"], int)
    assert "650" not in json.dumps(whole) and EMAIL not in json.dumps(whole)
