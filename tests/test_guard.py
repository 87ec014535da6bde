"""The response guard (privacy.guard, privacy.guard_stream): values a reply brings that
the request did not are found whatever the chunking, and only those."""

from __future__ import annotations

import asyncio
import itertools
import json
from collections.abc import AsyncIterator
from typing import Any

import pytest

from edge_router.flow.reply_guard import reply_guard
from edge_router.privacy.guard import (
    MAX_HOLD,
    ReplyBlocked,
    ReplyGuard,
    RequestValues,
    find_values,
)
from edge_router.privacy.guard_stream import guard_chunks, guard_completion
from edge_router.privacy.redaction import StreamRestorer, Vault
from edge_router.privacy.types import ScanResult, TextField
from edge_router.routing.complexity import Complexity
from edge_router.routing.decide import RouteContext, decide
from edge_router.routing.pipeline import Evaluation
from edge_router.routing.policy import PolicyError, parse_policy

# One representative of each recognizer family the issue names, as a provider would
# write it in prose. The AWS key id is AWS's documentation example.
VALUES = {
    "EMAIL_ADDRESS": "nadia.okafor@example.org",
    "PHONE_NUMBER": "(415) 555-0132",
    "CREDIT_CARD": "4242 4242 4242 4242",
    "API_KEY": "AKIAIOSFODNN7EXAMPLE",
    "US_SSN": "912-34-5678",
}
PREFIX, SUFFIX = "The record on file: ", ". Anything else?"


def guard(action: str = "redact", request: tuple[str, ...] = ()) -> ReplyGuard:
    return ReplyGuard(action, RequestValues(request), policy="p", rule="r")  # type: ignore[arg-type]


def stream(g: ReplyGuard, pieces: list[str]) -> tuple[str, list[str]]:
    ch = g.channel()
    out = [ch.feed(p) for p in pieces] + [ch.flush()]
    return "".join(out), out


@pytest.mark.parametrize("entity", sorted(VALUES))
def test_found_whole(entity: str) -> None:
    text = PREFIX + VALUES[entity] + SUFFIX
    assert [(f.type, text[f.start : f.end]) for f in find_values(text)] == [
        (entity, VALUES[entity])
    ]


@pytest.mark.parametrize("entity", sorted(VALUES))
def test_every_two_part_split_of_the_value_is_redacted(entity: str) -> None:
    value = VALUES[entity]
    text = PREFIX + value + SUFFIX
    for cut in range(len(PREFIX) + 1, len(PREFIX) + len(value)):
        g = guard()
        out, _ = stream(g, [text[:cut], text[cut:]])
        assert out == f"{PREFIX}[REDACTED_{entity}]{SUFFIX}", cut
        assert g.found == {entity: 1}


@pytest.mark.parametrize("entity", ["EMAIL_ADDRESS", "CREDIT_CARD"])
def test_every_three_part_split_and_one_character_events(entity: str) -> None:
    value = VALUES[entity]
    text = PREFIX + value + SUFFIX
    lo, hi = len(PREFIX), len(PREFIX) + len(value)
    for i, j in itertools.combinations(range(lo + 1, hi), 2):
        out, pieces = stream(guard(), [text[:i], text[i:j], text[j:]])
        assert out == f"{PREFIX}[REDACTED_{entity}]{SUFFIX}", (i, j)
        assert not any(value[:4] in p for p in pieces)
    out, _ = stream(guard(), list(text))
    assert out == f"{PREFIX}[REDACTED_{entity}]{SUFFIX}"


def test_hold_back_is_the_trailing_run_only() -> None:
    """Text up to the last boundary goes out at once; digit groups are held together."""
    ch = guard().channel()
    assert ch.feed("Hello there, my friend") == "Hello there, my "
    assert ch.feed(" call 4242 4242") == "friend call "
    assert ch.feed(" 4242 4242 today") == "[REDACTED_CREDIT_CARD] "
    assert ch.flush() == "today"
    ch = guard().channel()
    blob = "x" * (MAX_HOLD + 10)
    assert ch.feed(blob) == blob[:10]  # a run longer than the bound is not held whole


def test_values_from_the_request_pass_intact() -> None:
    """Client-sent values pass, in any formatting; a new value next to them does not."""
    sent = ("Mail Nadia.Okafor@example.org or call 415 555 0132, card 4242-4242-4242-4242",)
    g = guard(request=sent)
    reply = (
        f"Sure: {VALUES['EMAIL_ADDRESS']}, {VALUES['PHONE_NUMBER']}, {VALUES['CREDIT_CARD']}; "
        "also ops@example.com."
    )
    out, _ = stream(g, [reply[:30], reply[30:61], reply[61:]])
    assert out == reply.replace("ops@example.com", "[REDACTED_EMAIL_ADDRESS]")
    assert g.found == {"EMAIL_ADDRESS": 1}


def test_restored_placeholders_pass_intact() -> None:
    """The router's own placeholders, restored across chunk cuts, are request values."""
    vault = Vault()
    request = f"Write to {VALUES['EMAIL_ADDRESS']} about card {VALUES['CREDIT_CARD']}"
    ph_mail = vault.placeholder(VALUES["EMAIL_ADDRESS"], "EMAIL_ADDRESS")
    ph_card = vault.placeholder(VALUES["CREDIT_CARD"], "CREDIT_CARD")
    upstream = f"Done: {ph_mail} and {ph_card}, plus 650-555-0199."
    for cut in range(1, len(upstream)):
        restorer, g = StreamRestorer(vault), guard(request=(request,))
        ch = g.channel()
        out = "".join(
            [
                ch.feed(restorer.feed(upstream[:cut])),
                ch.feed(restorer.feed(upstream[cut:])),
                ch.feed(restorer.flush()),
                ch.flush(),
            ]
        )
        expected = f"Done: {VALUES['EMAIL_ADDRESS']} and {VALUES['CREDIT_CARD']}, plus "
        assert out == expected + "[REDACTED_PHONE_NUMBER].", cut


def test_percent_encoded_email_and_modern_keys() -> None:
    g = guard()
    key = "sk-proj-" + "Zq8xW2" * 7
    assert g.check(f"see jdoe%40example.net and {key}") == (
        "see [REDACTED_EMAIL_ADDRESS] and [REDACTED_API_KEY]"
    )


def test_no_false_alarms_on_ordinary_numbers() -> None:
    text = (
        "Version 2.4.1 shipped in 2024; call 127.0.0.1:8080 or 10.0.0.1, order #1234567, "
        "price 1,299.00, ISBN 978-3-16-148410-0, 3.14159265358979."
    )
    assert guard().check(text) == text


def test_tool_call_arguments_stay_valid_json() -> None:
    g = guard()
    ch = g.channel(json_fragment=True)
    args = json.dumps({"card": 4242424242424242, "to": VALUES["EMAIL_ADDRESS"], "n": 3})
    out = "".join([ch.feed(args[:15]), ch.feed(args[15:40]), ch.feed(args[40:]), ch.flush()])
    assert json.loads(out) == {
        "card": "[REDACTED_CREDIT_CARD]",
        "to": "[REDACTED_EMAIL_ADDRESS]",
        "n": 3,
    }


def test_block_raises_before_the_value_is_released() -> None:
    g = guard("block")
    ch = g.channel()
    assert ch.feed("Reach me at nadia.okafor@exa") == "Reach me at "
    with pytest.raises(ReplyBlocked) as info:
        ch.feed("mple.org today")
    assert info.value.status == 403 and "EMAIL_ADDRESS" in info.value.message
    assert "nadia" not in info.value.message


# ---- chunk streams -------------------------------------------------------------------------


def chunk(delta: dict[str, Any], finish: str | None = None) -> dict[str, Any]:
    return {
        "id": "c1",
        "object": "chat.completion.chunk",
        "model": "m",
        "choices": [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}],
    }


async def _aiter(items: list[dict[str, Any]]) -> AsyncIterator[dict[str, Any]]:
    for item in items:
        yield item


def run(chunks: list[dict[str, Any]], g: ReplyGuard) -> list[dict[str, Any]]:
    async def collect() -> list[dict[str, Any]]:
        return [c async for c in guard_chunks(_aiter(chunks), g)]

    return asyncio.run(collect())


def text_of(chunks: list[dict[str, Any]], key: str = "content") -> str:
    return "".join(c["choices"][0]["delta"].get(key) or "" for c in chunks if c["choices"])


def test_chunks_content_other_keys_and_tool_calls() -> None:
    email = VALUES["EMAIL_ADDRESS"]
    call = {"index": 0, "id": "call_1", "type": "function", "function": {"name": "send"}}
    args = json.dumps({"to": email})
    chunks = [
        chunk({"role": "assistant", "content": ""}),
        chunk({"content": "Write to " + email[:7]}),
        chunk({"content": email[7:] + " now", "record_field": email[:5]}),
        chunk({"record_field": email[5:]}),
        chunk({"tool_calls": [{**call, "function": {"name": "send", "arguments": args[:12]}}]}),
        chunk({"tool_calls": [{"index": 0, "function": {"arguments": args[12:]}}]}),
        chunk({}, "tool_calls"),
    ]
    g = guard()
    out = run(chunks, g)
    assert email not in json.dumps(out)
    assert text_of(out) == "Write to [REDACTED_EMAIL_ADDRESS] now"
    assert text_of(out, "record_field") == "[REDACTED_EMAIL_ADDRESS]"
    calls = [
        tc for c in out if c["choices"] for tc in c["choices"][0]["delta"].get("tool_calls", [])
    ]
    assert json.loads("".join(tc["function"].get("arguments", "") for tc in calls)) == {
        "to": "[REDACTED_EMAIL_ADDRESS]"
    }
    assert out[-1]["choices"][0]["finish_reason"] == "tool_calls"  # held text came before it
    assert g.found == {"EMAIL_ADDRESS": 3}


def test_text_held_at_the_finish_keeps_its_order() -> None:
    chunks = [chunk({"content": "Call 650-555-0199 or wr"}), chunk({"content": "ite."}, "stop")]
    out = run(chunks, guard())
    assert text_of(out) == "Call [REDACTED_PHONE_NUMBER] or write."
    assert [c["choices"][0]["finish_reason"] for c in out][-1] == "stop"
    assert out[-1]["choices"][0]["delta"] == {}


def test_blocked_stream_raises_after_a_first_chunk() -> None:
    chunks = [chunk({"role": "assistant", "content": f"{VALUES['US_SSN']} is it. "})]
    got: list[dict[str, Any]] = []

    async def collect() -> None:
        async for c in guard_chunks(_aiter(chunks), guard("block")):
            got.append(c)

    with pytest.raises(ReplyBlocked):
        asyncio.run(collect())
    assert got == [{"id": "c1", "object": "chat.completion.chunk", "model": "m", "choices": []}]


def test_whole_completion() -> None:
    resp = {
        "id": "c1",
        "choices": [
            {
                "index": 0,
                "message": {
                    "role": "assistant",
                    "content": f"Call {VALUES['PHONE_NUMBER']}.",
                    "tool_calls": [
                        {
                            "function": {
                                "name": "f",
                                "arguments": json.dumps({"k": VALUES["API_KEY"]}),
                            }
                        }
                    ],
                },
                "logprobs": {"content": [{"token": "Call"}]},
            }
        ],
    }
    out = guard_completion(resp, guard())
    msg = out["choices"][0]["message"]
    assert msg["content"] == "Call [REDACTED_PHONE_NUMBER]."
    assert json.loads(msg["tool_calls"][0]["function"]["arguments"]) == {"k": "[REDACTED_API_KEY]"}
    assert out["choices"][0]["logprobs"] is None
    with pytest.raises(ReplyBlocked):
        guard_completion(resp, guard("block"))


# ---- policy ---------------------------------------------------------------------------------


def test_policy_response_default_and_per_rule() -> None:
    policy = parse_policy(
        "default: cloud\nresponse: redact\nresponse_local: true\nrules:\n"
        "  - name: cards\n    when: {models: [card-*]}\n    action: redact\n    response: block\n"
    )
    assert (policy.response, policy.response_local) == ("redact", True)
    scan = ScanResult(entities=())
    d = decide(RouteContext(scan=scan, texts=(), model="gpt", cloud_available=True), policy)
    assert (d.rule, d.response, d.response_local) == ("default", "redact", True)
    d = decide(RouteContext(scan=scan, texts=(), model="card-x", cloud_available=True), policy)
    assert (d.rule, d.response) == ("cards", "block")
    assert parse_policy("default: auto\n").response == "pass"
    with pytest.raises(PolicyError, match="response"):
        parse_policy("default: auto\nresponse: scrub\n")


@pytest.mark.parametrize(
    ("response", "local", "route", "guarded"),
    [
        ("pass", True, "cloud", False),
        ("redact", False, "cloud", True),
        ("redact", False, "local", False),
        ("block", True, "local", True),
    ],
)
def test_which_replies_are_guarded(response: str, local: bool, route: str, guarded: bool) -> None:
    policy = parse_policy(f"default: cloud\nresponse: {response}\nresponse_local: {local}\n")
    fields = (TextField("messages[0].content", "mail ann@example.org"),)
    d = decide(RouteContext(scan=ScanResult(), texts=fields, model="m"), policy)
    ev = Evaluation({}, fields, ScanResult(), d, "p", Complexity(0.1, "simple", ()), None)
    g = reply_guard(ev, route)
    assert (g is not None) == guarded
    if g is None:
        return
    assert g.check("Sure, ann@example.org.") == "Sure, ann@example.org."  # from the request
    if response == "redact":
        assert g.check("bob@example.org") == "[REDACTED_EMAIL_ADDRESS]"
    else:
        with pytest.raises(ReplyBlocked):
            g.check("bob@example.org")
