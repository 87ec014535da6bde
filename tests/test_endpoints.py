"""Model names and the endpoint surface, against the daemon on 127.0.0.1 (real model,
real scanner) with the official SDKs: model retrieval, aliases and ``AUTO``, 404s that
list what there is, clear errors for endpoints edge-router does not offer, Anthropic
``count_tokens``, and a cut-off tool call through the Anthropic door."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import anthropic
import httpx
import openai
import pytest
from privacy_fixtures import shared_scanner
from serving import serve

from edge_router.app import create_app
from edge_router.config import Settings
from edge_router.wire.anthropic_reply import openai_response_to_anthropic

pytestmark = pytest.mark.model

LOCAL = "smollm2-135m-instruct"
ALIASES = {"gpt-4o-mini": "auto", "tiny": LOCAL}
SHORT: Any = [{"role": "user", "content": "Name a colour."}]


@pytest.fixture(scope="module")
def app(settings: Settings) -> Any:
    valid = Settings.model_validate({"aliases": ALIASES})  # the config's own checks
    return create_app(
        settings.model_copy(update={"aliases": valid.aliases}), scanner=shared_scanner()
    )


@pytest.fixture(scope="module")
def url(app: Any) -> Iterator[str]:
    with serve(app) as base:
        yield base


@pytest.fixture(scope="module")
def oa(url: str) -> openai.OpenAI:
    return openai.OpenAI(base_url=url + "/v1", api_key="x", max_retries=0)


@pytest.fixture(scope="module")
def an(url: str) -> anthropic.Anthropic:
    return anthropic.Anthropic(base_url=url, api_key="x", max_retries=0)


# --- models ----------------------------------------------------------------------------


def test_models_list_and_retrieve(oa: openai.OpenAI) -> None:
    listed = {m.id: m for m in oa.models.list()}
    names = list(listed)
    assert names[:2] == ["auto", LOCAL] and names.index("gpt-4o-mini") + 1 == names.index("tiny")
    assert listed["gpt-4o-mini"].owned_by == "edge-router"
    for name in listed:
        got = oa.models.retrieve(name)
        assert got.model_dump() == listed[name].model_dump()
    auto = oa.models.retrieve("AUTO")
    assert (auto.id, auto.object, auto.owned_by) == ("auto", "model", "edge-router")
    assert oa.models.retrieve(LOCAL).owned_by == "local"


@pytest.mark.parametrize("name", ["nope", "org/some-model", "jane doe@example.com"])
def test_retrieving_an_unknown_model_lists_the_names(oa: openai.OpenAI, name: str) -> None:
    with pytest.raises(openai.NotFoundError) as nf:
        oa.models.retrieve(name)
    assert nf.value.code == "model_not_found"
    message = nf.value.message
    assert f"Available models: auto, {LOCAL}, " in message
    assert ", gpt-4o-mini, tiny" in message
    assert "example.com" not in message  # only a plain model name is quoted back


def test_alias_and_any_case_auto_route_like_their_target(
    oa: openai.OpenAI, app: Any, url: str
) -> None:
    for model in ("gpt-4o-mini", "tiny", "AUTO", "Auto"):
        raw = oa.chat.completions.with_raw_response.create(
            model=model, messages=SHORT, max_tokens=3
        )
        assert raw.headers["x-edge-router-route"] == "local"
        assert raw.headers["x-edge-router-model"] == LOCAL
        assert raw.parse().choices[0].message.content
    # The audit records the model that ran, never the alias.
    rows = app.state.edge.audit.query(limit=4)
    assert [r["model"] for r in rows] == [LOCAL] * 4
    r = httpx.post(url + "/v1/route", json={"model": "gpt-4o-mini", "messages": SHORT})
    assert r.status_code == 200 and r.json()["route"] == "local"


def test_unknown_chat_model_404_lists_the_names(oa: openai.OpenAI, an: anthropic.Anthropic) -> None:
    with pytest.raises(openai.NotFoundError) as nf:
        oa.chat.completions.create(model="gpt-4o", messages=SHORT)
    assert nf.value.code == "model_not_found" and nf.value.param == "model"
    assert f"Available models: auto, {LOCAL}, gpt-4o-mini, tiny." in nf.value.message
    with pytest.raises(anthropic.NotFoundError) as anf:
        an.messages.create(model="claude-x", max_tokens=4, messages=SHORT)
    assert "gpt-4o-mini" in anf.value.message


# --- endpoints edge-router does not offer ----------------------------------------------


@pytest.mark.parametrize(
    ("method", "path", "named"),
    [
        ("POST", "/v1/responses", "Responses API (/v1/responses)"),
        ("POST", "/v1/images/generations", "Image generation (/v1/images)"),
        ("POST", "/v1/audio/transcriptions", "Audio (/v1/audio)"),
        ("GET", "/v1/files/file-jane.doe@example.com", "Files (/v1/files)"),
        ("POST", "/v1/assistants", "Assistants (/v1/assistants)"),
        ("GET", "/v1/chat/completions/chatcmpl-123", "(/v1/chat/completions/{id})"),
        ("GET", "/v1/jane.doe@example.com", "This endpoint"),
    ],
)
def test_unsupported_endpoint_is_a_clear_openai_404(
    url: str, method: str, path: str, named: str
) -> None:
    r = httpx.request(method, url + path, json={"input": "secret words"})
    assert r.status_code == 404
    err = r.json()["error"]
    assert set(err) == {"message", "type", "param", "code"}
    assert err["code"] == "unsupported_endpoint"
    msg = err["message"]
    assert named in msg and "is not supported by edge-router; supported endpoints:" in msg
    for offered in (
        "POST /v1/chat/completions",
        "POST /v1/completions",
        "GET /v1/models",
        "GET /v1/models/{model}",
        "POST /v1/messages",
        "POST /v1/messages/count_tokens",
    ):
        assert offered in msg
    assert "example.com" not in msg and "secret" not in msg and "chatcmpl-123" not in msg


def test_the_openai_sdk_sees_the_404(oa: openai.OpenAI) -> None:
    with pytest.raises(openai.NotFoundError) as nf:
        oa.post("/responses", body={"model": "auto", "input": "hi"}, cast_to=object)
    assert "not supported by edge-router" in nf.value.message


def test_anthropic_paths_and_clients_get_anthropic_errors(
    url: str, an: anthropic.Anthropic
) -> None:
    r = httpx.post(url + "/v1/messages/batches", json={"requests": []})
    assert r.status_code == 404
    body = r.json()
    assert body["type"] == "error" and body["error"]["type"] == "not_found_error"
    assert "Message Batches (/v1/messages/batches) is not supported" in body["error"]["message"]
    r = httpx.post(url + "/v1/complete", json={}, headers={"anthropic-version": "2023-06-01"})
    assert r.status_code == 404 and r.json()["type"] == "error"
    with pytest.raises(anthropic.NotFoundError) as nf:
        an.post("/v1/files", body={}, cast_to=object)
    assert "Files (/v1/files) is not supported by edge-router" in nf.value.message


def test_wrong_method_names_what_the_path_supports(url: str) -> None:
    r = httpx.post(url + "/v1/models", json={})
    assert r.status_code == 405 and r.headers["allow"]
    err = r.json()["error"]
    assert err["message"] == "POST is not allowed on /v1/models; it supports GET."
    assert err["code"] == "method_not_allowed"
    r = httpx.delete(url + "/v1/models/jane.doe@example.com")
    assert r.status_code == 405
    assert r.json()["error"]["message"] == (
        "DELETE is not allowed on /v1/models/{model}; it supports GET."
    )
    r = httpx.get(url + "/v1/messages/count_tokens")
    assert r.status_code == 405 and r.json()["type"] == "error"
    assert "supports POST" in r.json()["error"]["message"]


# --- Anthropic count_tokens -----------------------------------------------------------


def test_count_tokens_counts_what_the_local_model_would_read(an: anthropic.Anthropic) -> None:
    msgs: Any = [{"role": "user", "content": "Hello there"}]
    small = an.messages.count_tokens(model="auto", messages=msgs).input_tokens
    assert isinstance(small, int) and small > 0
    longer: Any = [{"role": "user", "content": "Hello there, " + "tell me more " * 20}]
    assert an.messages.count_tokens(model="gpt-4o-mini", messages=longer).input_tokens > small
    # (SmolLM2's template adds its own system prompt when there is none: compare two.)
    brief = an.messages.count_tokens(model="tiny", messages=msgs, system="Be brief.")
    briefer = an.messages.count_tokens(model="tiny", messages=msgs, system="Be brief. " * 9)
    assert 0 < brief.input_tokens < briefer.input_tokens
    tool: Any = {
        "name": "get_weather",
        "description": "Weather for a city.",
        "input_schema": {"type": "object", "properties": {"city": {"type": "string"}}},
    }
    with_tools = an.messages.count_tokens(model="auto", messages=msgs, tools=[tool])
    assert with_tools.input_tokens > small
    # The very count a generation reports for the same conversation on the local model.
    reply = an.messages.create(model="auto", max_tokens=2, messages=msgs)
    assert reply.usage.input_tokens == small


def test_count_tokens_errors_are_anthropic_shaped(an: anthropic.Anthropic, url: str) -> None:
    with pytest.raises(anthropic.NotFoundError):
        an.messages.count_tokens(model="claude-none", messages=SHORT)
    with pytest.raises(anthropic.BadRequestError) as bad:
        an.messages.count_tokens(model="auto", messages=[])
    assert "messages" in bad.value.message
    r = httpx.post(url + "/v1/messages/count_tokens", content=b"{nope")
    assert r.status_code == 400 and r.json()["type"] == "error"


# --- Anthropic: a reply cut off in the middle of a tool call --------------------------

TOOL: Any = {
    "name": "book_flight",
    "description": "Book a flight.",
    "input_schema": {
        "type": "object",
        "properties": {
            "origin_city": {"type": "string"},
            "destination_city": {"type": "string"},
            "passenger_full_name": {"type": "string"},
        },
        "required": ["origin_city", "destination_city", "passenger_full_name"],
    },
}
ASK: Any = [{"role": "user", "content": "Book me a flight from Paris to Tokyo."}]


def test_cut_off_tool_call_is_max_tokens_not_502(
    an: anthropic.Anthropic, oa: openai.OpenAI
) -> None:
    budget = 20  # greedy decoding ends this inside the call's arguments
    function: Any = {"name": TOOL["name"], "parameters": TOOL["input_schema"]}
    seen = oa.chat.completions.create(
        model="auto",
        messages=ASK,
        max_tokens=budget,
        temperature=0,
        tools=[{"type": "function", "function": function}],
        tool_choice="required",
    ).choices[0]
    # The case this test is about: a call whose arguments are unfinished JSON.
    assert seen.finish_reason == "length" and seen.message.tool_calls
    call = seen.message.tool_calls[0]
    assert call.type == "function"
    with pytest.raises(ValueError):
        json.loads(call.function.arguments)
    msg = an.messages.create(
        model="auto",
        max_tokens=budget,
        messages=ASK,
        tools=[TOOL],
        tool_choice={"type": "any"},
        extra_body={"temperature": 0},  # this SDK version has no temperature argument
    )
    assert msg.stop_reason == "max_tokens"
    assert all(b.type == "text" for b in msg.content)


def test_cut_off_translation_keeps_text_and_whole_calls() -> None:
    def completion(calls: list[dict[str, Any]], finish: str) -> dict[str, Any]:
        message = {"role": "assistant", "content": "Let me book that.", "tool_calls": calls}
        return {"id": "c", "choices": [{"message": message, "finish_reason": finish}]}

    whole = {"id": "a", "function": {"name": "f", "arguments": '{"x": 1}'}}
    cut = {"id": "b", "function": {"name": "g", "arguments": '{"x": "Par'}}
    started = {"id": "c", "function": {"name": "h", "arguments": ""}}
    msg = openai_response_to_anthropic(completion([whole, cut, started], "length"), "m")
    assert msg["stop_reason"] == "max_tokens"
    assert msg["content"] == [
        {"type": "text", "text": "Let me book that."},
        {"type": "tool_use", "id": "a", "name": "f", "input": {"x": 1}},
    ]
    # A finished reply with unparsable arguments is still the backend's fault.
    with pytest.raises(Exception, match="not a JSON object"):
        openai_response_to_anthropic(completion([cut], "tool_calls"), "m")
