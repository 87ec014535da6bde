"""Structured output, tool calling, logprobs, penalties and logit_bias on the local
model: the official SDKs against the real daemon on 127.0.0.1, real embedded model.

Greedy decoding (temperature 0) keeps the model's choices repeatable; what the tests
rely on is what the grammar guarantees (well-formed, schema-valid output) and the
request fields being honoured or refused by name, not the small model's judgement.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from typing import Any, Literal

import anthropic
import httpx
import openai
import pytest
from pydantic import BaseModel

from edge_router.backends.base import TokenLogprob
from edge_router.backends.local_sampling import TextAssembler
from edge_router.backends.local_tools import CallReader, is_call
from edge_router.config import Settings

pytestmark = pytest.mark.model


class GetWeather(BaseModel):
    """Get the current weather for a city."""

    city: str
    unit: Literal["celsius", "fahrenheit"]


class Person(BaseModel):
    name: str
    age: int


WEATHER: Any = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Get the current weather for a city.",
        "parameters": {
            "type": "object",
            "properties": {
                "city": {"type": "string"},
                "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]},
            },
            "required": ["city", "unit"],
            "additionalProperties": False,
        },
        "strict": True,
    },
}
TIME: Any = {
    "type": "function",
    "function": {
        "name": "get_time",
        "description": "Get the local time in a city.",
        "parameters": {
            "type": "object",
            "properties": {"city": {"type": "string"}},
            "required": ["city"],
        },
    },
}
TOOLS = [WEATHER, TIME]
ASK_WEATHER: Any = [{"role": "user", "content": "What's the weather in Paris?"}]
CITY_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "city": {"type": "string"},
        "country": {"type": "string"},
        "sights": {
            "type": "array",
            "items": {"type": "string"},
            "minItems": 1,
            "maxItems": 3,
        },
        "size": {"type": "string", "enum": ["small", "medium", "large"]},
    },
    "required": ["city", "country", "sights", "size"],
    "additionalProperties": False,
}


@pytest.fixture(scope="module")
def client(base_url: str) -> openai.OpenAI:
    return openai.OpenAI(base_url=base_url + "/v1", api_key="unused", max_retries=0)


@pytest.fixture(scope="module")
def vocab(settings: Settings) -> Iterator[Any]:
    """The local model's tokenizer (vocabulary only), to name token ids in logit_bias."""
    from llama_cpp import Llama

    spec = settings.local.models[0]
    llm = Llama(model_path=str(settings.local.resolve_path(spec)), vocab_only=True, verbose=False)
    yield llm
    llm.close()


def valid(value: Any, schema: dict[str, Any]) -> bool:
    """A JSON Schema check for the keywords these tests use."""
    kind = schema.get("type")
    if "enum" in schema and value not in schema["enum"]:
        return False
    if kind == "object":
        props = schema.get("properties", {})
        if not isinstance(value, dict) or not set(schema.get("required", ())) <= set(value):
            return False
        if schema.get("additionalProperties") is False and not set(value) <= set(props):
            return False
        return all(valid(v, props[k]) for k, v in value.items() if k in props)
    if kind == "array":
        if not isinstance(value, list):
            return False
        if not schema.get("minItems", 0) <= len(value) <= schema.get("maxItems", len(value)):
            return False
        return all(valid(v, schema.get("items", {})) for v in value)
    checks = {"string": str, "integer": int, "number": int | float, "boolean": bool}
    return kind is None or isinstance(value, checks[kind])


def stream_parts(client: openai.OpenAI, **kw: Any) -> tuple[list[Any], str]:
    chunks = list(client.chat.completions.create(model="auto", stream=True, temperature=0, **kw))
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    return chunks, text


# ---- JSON mode ----------------------------------------------------------------------


def test_json_object_parses(client: openai.OpenAI) -> None:
    msgs: Any = [{"role": "user", "content": "Describe a cat as JSON with a name and an age."}]
    r = client.chat.completions.create(
        model="auto", messages=msgs, response_format={"type": "json_object"}, temperature=0
    )
    choice = r.choices[0]
    assert choice.finish_reason == "stop"
    assert isinstance(json.loads(choice.message.content or ""), dict)
    chunks, text = stream_parts(client, messages=msgs, response_format={"type": "json_object"})
    assert isinstance(json.loads(text), dict)
    assert [c.choices[0].finish_reason for c in chunks if c.choices][-1] == "stop"


def test_json_schema_strict_parsed_by_the_sdk(client: openai.OpenAI) -> None:
    r = client.chat.completions.parse(
        model="auto",
        messages=[{"role": "user", "content": "Invent a person."}],
        response_format=Person,
        temperature=0,
    )
    person = r.choices[0].message.parsed
    assert isinstance(person, Person)


@pytest.mark.parametrize("stream", [False, True])
def test_json_schema_output_matches_the_schema(client: openai.OpenAI, stream: bool) -> None:
    fmt: Any = {
        "type": "json_schema",
        "json_schema": {"name": "city", "schema": CITY_SCHEMA, "strict": True},
    }
    msgs: Any = [{"role": "user", "content": "Describe Paris."}]
    if stream:
        _, text = stream_parts(client, messages=msgs, response_format=fmt)
    else:
        r = client.chat.completions.create(
            model="auto", messages=msgs, response_format=fmt, temperature=0
        )
        assert r.choices[0].finish_reason == "stop"
        text = r.choices[0].message.content or ""
    assert valid(json.loads(text), CITY_SCHEMA)


def test_json_cut_short_reports_length(client: openai.OpenAI) -> None:
    fmt: Any = {"type": "json_schema", "json_schema": {"name": "city", "schema": CITY_SCHEMA}}
    r = client.chat.completions.create(
        model="auto", messages=ASK_WEATHER, response_format=fmt, max_tokens=4, temperature=0
    )
    assert r.choices[0].finish_reason == "length"
    with pytest.raises(ValueError):
        json.loads(r.choices[0].message.content or "")


def test_unenforceable_strict_schema_is_refused_by_name(client: openai.OpenAI) -> None:
    schema = {"type": "object", "properties": {"n": {"type": "integer", "minimum": 3}}}
    fmt: Any = {"type": "json_schema", "json_schema": {"name": "n", "schema": schema}}
    strict: Any = {**fmt, "json_schema": {**fmt["json_schema"], "strict": True}}
    with pytest.raises(openai.BadRequestError) as info:
        client.chat.completions.create(
            model="auto",
            messages=ASK_WEATHER,
            response_format=strict,
        )
    assert info.value.code == "unsupported_schema"
    assert "minimum" in info.value.message
    # Without strict it is best effort (structure enforced), as on OpenAI.
    r = client.chat.completions.create(
        model="auto", messages=ASK_WEATHER, response_format=fmt, temperature=0, max_tokens=30
    )
    assert r.choices[0].finish_reason == "stop"
    assert isinstance(json.loads(r.choices[0].message.content or "")["n"], int)


# ---- tool calling -------------------------------------------------------------------


def test_required_tool_call_parsed_by_the_sdk(client: openai.OpenAI) -> None:
    r = client.chat.completions.parse(
        model="auto",
        messages=ASK_WEATHER,
        tools=[openai.pydantic_function_tool(GetWeather)],
        tool_choice="required",
        temperature=0,
    )
    choice = r.choices[0]
    assert choice.finish_reason == "tool_calls"
    assert choice.message.content is None
    (call,) = choice.message.tool_calls or []
    assert call.id.startswith("call_") and call.type == "function"
    assert call.function.name == "GetWeather"
    assert isinstance(call.function.parsed_arguments, GetWeather)
    assert json.loads(call.function.arguments) == call.function.parsed_arguments.model_dump()


def test_named_tool_is_the_one_called(client: openai.OpenAI) -> None:
    r = client.chat.completions.create(
        model="auto",
        messages=ASK_WEATHER,
        tools=TOOLS,
        tool_choice={"type": "function", "function": {"name": "get_time"}},
        temperature=0,
    )
    (call,) = r.choices[0].message.tool_calls or []
    assert call.type == "function" and call.function.name == "get_time"
    assert valid(json.loads(call.function.arguments), TIME["function"]["parameters"])


def test_streamed_tool_call_chunks_and_sdk_accumulation(client: openai.OpenAI) -> None:
    chunks, text = stream_parts(client, messages=ASK_WEATHER, tools=TOOLS, tool_choice="required")
    assert text == ""
    deltas = [tc for c in chunks if c.choices for tc in c.choices[0].delta.tool_calls or []]
    head, rest = deltas[0], deltas[1:]
    assert head.index == 0 and head.id and head.id.startswith("call_")
    assert head.type == "function" and head.function and head.function.arguments == ""
    assert head.function.name in {"get_weather", "get_time"}
    assert rest and all(d.id is None and d.function and d.function.name is None for d in rest)
    arguments = "".join(d.function.arguments or "" for d in rest if d.function)
    tool = WEATHER if head.function.name == "get_weather" else TIME
    assert valid(json.loads(arguments), tool["function"]["parameters"])
    assert [c.choices[0].finish_reason for c in chunks if c.choices][-1] == "tool_calls"
    # The SDK's own stream helper rebuilds and parses the same call.
    with client.chat.completions.stream(
        model="auto",
        messages=ASK_WEATHER,
        tools=[openai.pydantic_function_tool(GetWeather)],
        tool_choice="required",
        temperature=0,
    ) as stream:
        final = stream.get_final_completion()
    (call,) = final.choices[0].message.tool_calls or []
    assert isinstance(call.function.parsed_arguments, GetWeather)


def test_auto_lets_the_model_choose(client: openai.OpenAI) -> None:
    ask: Any = [{"role": "user", "content": "Call get_weather for Paris in celsius."}]
    r = client.chat.completions.create(model="auto", messages=ask, tools=TOOLS, temperature=0)
    (call,) = r.choices[0].message.tool_calls or []
    assert r.choices[0].finish_reason == "tool_calls" and call.type == "function"
    assert json.loads(call.function.arguments) == {"city": "Paris", "unit": "celsius"}
    # Text, when the model chooses it, streams token by token and never starts with '{'.
    haiku: Any = [{"role": "user", "content": "Write a haiku about the sea."}]
    chunks, text = stream_parts(client, messages=haiku, tools=TOOLS, max_tokens=24)
    assert text and text[0] not in "{ \n"
    assert sum(1 for c in chunks if c.choices and c.choices[0].delta.content) > 3
    assert not any(c.choices[0].delta.tool_calls for c in chunks if c.choices)


def test_tool_choice_none_answers_in_text(client: openai.OpenAI) -> None:
    r = client.chat.completions.create(
        model="auto",
        messages=ASK_WEATHER,
        tools=TOOLS,
        tool_choice="none",
        max_tokens=16,
        temperature=0,
    )
    assert r.choices[0].message.tool_calls is None
    assert r.choices[0].message.content


def test_agent_loop_offline(client: openai.OpenAI) -> None:
    """A client-driven loop: tool call -> tool result -> final answer, on the model.

    Like agent frameworks do (LangChain's ``early_stopping_method="generate"``), the
    client lets the model call tools for a few turns and then asks for the answer with
    ``tool_choice: none``; a 135M model tends to call the same tool again rather than
    answer, so the loop leans on that last step."""
    messages: list[Any] = list(ASK_WEATHER)
    executed: list[dict[str, Any]] = []
    for turn in range(3):
        r = client.chat.completions.create(
            model="auto",
            messages=messages,
            tools=TOOLS,
            tool_choice="required" if turn == 0 else ("auto" if turn < 2 else "none"),
            temperature=0,
            max_tokens=48,
        )
        message = r.choices[0].message
        if not message.tool_calls:
            break
        assert r.choices[0].finish_reason == "tool_calls"
        messages.append(message.model_dump(exclude_none=True))
        for call in message.tool_calls:
            assert call.type == "function"
            args = json.loads(call.function.arguments)
            executed.append(args)
            result = {"city": args["city"], "temperature": 18, "sky": "sunny"}
            messages.append(
                {"role": "tool", "tool_call_id": call.id, "content": json.dumps(result)}
            )
    assert executed and executed[0]["city"] == "Paris"
    assert message.tool_calls is None and message.content
    assert r.choices[0].finish_reason in ("stop", "length")


def test_anthropic_sdk_gets_tool_use_from_the_local_model(base_url: str) -> None:
    client = anthropic.Anthropic(base_url=base_url, api_key="unused", max_retries=0)
    tool: Any = {
        "name": "get_weather",
        "description": "Get the current weather for a city.",
        "input_schema": WEATHER["function"]["parameters"],
    }
    kw: Any = {
        "model": "auto",
        "max_tokens": 64,
        "messages": ASK_WEATHER,
        "tools": [tool],
        "tool_choice": {"type": "any"},
        "extra_body": {"temperature": 0},
    }
    message = client.messages.create(**kw)
    assert message.stop_reason == "tool_use"
    (block,) = [b for b in message.content if b.type == "tool_use"]
    assert block.name == "get_weather" and valid(block.input, tool["input_schema"])
    with client.messages.stream(**kw) as stream:
        final = stream.get_final_message()
    (block,) = [b for b in final.content if b.type == "tool_use"]
    assert final.stop_reason == "tool_use" and valid(block.input, tool["input_schema"])


@pytest.mark.parametrize(
    ("extra", "param"),
    [
        ({"tools": [{"type": "custom", "custom": {"name": "x"}}]}, "tools.0.type"),
        ({"tools": [{"type": "function", "function": {"name": "bad name"}}]}, None),
        ({"tools": TOOLS, "tool_choice": {"type": "function", "function": {"name": "nope"}}}, None),
        ({"tool_choice": "required"}, "tool_choice"),
        ({"tools": TOOLS, "tool_choice": {"type": "allowed_tools"}}, "tool_choice"),
        ({"functions": [{"name": "f", "parameters": {}}]}, "functions"),
        ({"response_format": {"type": "xml"}}, "response_format.type"),
        ({"modalities": ["text", "audio"]}, "modalities"),
        ({"web_search_options": {}}, "web_search_options"),
    ],
)
def test_what_the_local_model_cannot_do_is_a_400_naming_it(
    base_url: str, extra: dict[str, Any], param: str | None
) -> None:
    body = {"model": "auto", "messages": ASK_WEATHER, "max_tokens": 4, **extra}
    r = httpx.post(base_url + "/v1/chat/completions", json=body, timeout=60)
    assert r.status_code == 400, r.text
    error = r.json()["error"]
    assert error["param"] == param or (param is None and error["param"].startswith("tool"))


# ---- logprobs, penalties, logit_bias ------------------------------------------------


def test_logprobs_non_streamed_and_streamed(client: openai.OpenAI) -> None:
    kw: Any = {"messages": ASK_WEATHER, "max_tokens": 6, "logprobs": True, "top_logprobs": 3}
    r = client.chat.completions.create(model="auto", temperature=0, **kw)
    content = r.choices[0].message.content or ""
    assert r.choices[0].logprobs is not None
    entries = r.choices[0].logprobs.content or []
    assert len(entries) == r.usage.completion_tokens if r.usage else False
    assert "".join(e.token for e in entries) == content
    for e in entries:
        assert e.logprob <= 0 and bytes(e.bytes or []).decode() == e.token
        assert len(e.top_logprobs) == 3
        assert [t.logprob for t in e.top_logprobs] == sorted(
            (t.logprob for t in e.top_logprobs), reverse=True
        )
        assert e.top_logprobs[0].token == e.token  # greedy picks the likeliest
    chunks, text = stream_parts(client, **kw)
    streamed = [
        e
        for c in chunks
        if c.choices and c.choices[0].logprobs
        for e in c.choices[0].logprobs.content or []
    ]
    assert text == content and [e.token for e in streamed] == [e.token for e in entries]
    plain = client.chat.completions.create(model="auto", messages=ASK_WEATHER, max_tokens=2)
    assert plain.choices[0].logprobs is None


def test_logit_bias_forces_and_bans_tokens(client: openai.OpenAI, vocab: Any) -> None:
    (banana,) = vocab.tokenize(b" banana", add_bos=False)
    r = client.chat.completions.create(
        model="auto", messages=ASK_WEATHER, max_tokens=5, logit_bias={str(banana): 100}
    )
    assert r.choices[0].message.content == " banana" * 5
    base = client.chat.completions.create(
        model="auto", messages=ASK_WEATHER, max_tokens=3, temperature=0, logprobs=True
    )
    first = (base.choices[0].logprobs.content or [])[0].token if base.choices[0].logprobs else ""
    (first_id,) = vocab.tokenize(first.encode(), add_bos=False)
    banned = client.chat.completions.create(
        model="auto",
        messages=ASK_WEATHER,
        max_tokens=3,
        temperature=0,
        logit_bias={str(first_id): -100},
    )
    assert not (banned.choices[0].message.content or "").startswith(first)


def test_frequency_and_presence_penalties_change_repetition(client: openai.OpenAI) -> None:
    ask: Any = [{"role": "user", "content": "Tell me a joke about cats."}]

    def words(**kw: Any) -> Counter[str]:
        r = client.chat.completions.create(
            model="auto", messages=ask, max_tokens=60, temperature=0, **kw
        )
        return Counter((r.choices[0].message.content or "").split())

    plain = words()
    for penalty in ({"frequency_penalty": 2.0}, {"presence_penalty": 2.0}):
        penalised = words(**penalty)
        assert penalised != plain
        assert max(penalised.values()) < max(plain.values())


# ---- the pieces, without the model ---------------------------------------------------


def test_call_reader_streams_arguments_whatever_the_split() -> None:
    text = '{\n  "name": "get_weather",\n  "arguments": {"city": "Paris", "n": {"a": 1}}\n}'
    for size in (1, 2, 3, 7, len(text)):
        reader = CallReader()
        deltas = []
        for i in range(0, len(text), size):
            deltas += reader.feed(text[i : i + size])
        deltas += reader.finish(complete=True)
        assert deltas[0]["function"] == {"name": "get_weather", "arguments": ""}
        args = "".join(d["function"]["arguments"] for d in deltas[1:])
        assert args == '{"city": "Paris", "n": {"a": 1}}' == reader.arguments
    assert is_call(text, ["get_weather"]) and not is_call(text, ["other"])
    assert not is_call('{"name": "get_weather"}', ["get_weather"])


def test_text_assembler_never_sends_a_stop_sequence() -> None:
    lp = TokenLogprob("x", -0.1, (120,))
    asm = TextAssembler(["END"])
    sent = [asm.push(piece, lp) for piece in (b"ab", b"cE", b"N", b"D tail")]
    assert asm.stopped
    assert "".join(d.text for d in sent if d) == "abc"
    # Multi-byte characters split across tokens come out whole.
    asm = TextAssembler([])
    euro = "€".encode()
    parts = [asm.push(euro[:1], None), asm.push(euro[1:], None), asm.finish()]
    assert "".join(d.text for d in parts if d) == "€"
