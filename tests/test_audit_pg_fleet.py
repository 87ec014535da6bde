"""A fleet: two routers (real daemons on the real model) on one PostgreSQL audit trail.

Both write one trail, read back by ``edge-router audit``; the database goes away and
comes back: with ``audit.on_failure: refuse`` requests get a 503 in their API's shape
while it is away, with ``wait`` they wait for it, and every answered request has its
record in the trail afterwards. A key's budget, spent on one router, holds on the other.
"""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import anthropic
import openai
import pytest
from fake_provider import FakeControl
from pg_fixture import PgServer
from privacy_fixtures import shared_scanner
from serving import serve

from edge_router.api.auth import ApiKey, AuthSettings, hash_key
from edge_router.app import create_app
from edge_router.backends.settings import ProviderSettings
from edge_router.config import PolicySettings, Settings
from edge_router.flow.budget import SYNC_S
from edge_router.record.audit import AuditSettings
from edge_router.record.costs import Budget, ModelPrice, PricingSettings

# A phone number pins the request to the local model (default policy).
PROMPT = "Call me back on +1 415 555 0134 about the invoice, please."


def _settings(settings: Settings, url: str, key: Path, on_failure: str) -> Settings:
    audit = AuditSettings(url=url, key_path=str(key), on_failure=on_failure, wait_s=120)
    return settings.model_copy(update={"audit": audit})


@pytest.fixture(scope="module")
def fleet(
    pg: PgServer, settings: Settings, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[str, Path, list[str]]]:
    """(database URL, key file, base URLs of two routers) with ``on_failure: refuse``."""
    url = pg.new_database()
    key = tmp_path_factory.mktemp("fleet") / "audit.key"
    s = _settings(settings, url, key, "refuse")
    with (
        serve(create_app(s, scanner=shared_scanner())) as a,
        serve(create_app(s, scanner=shared_scanner())) as b,
    ):
        yield url, key, [a, b]


def _client(base: str) -> openai.OpenAI:
    return openai.OpenAI(base_url=base + "/v1", api_key="unused", max_retries=0)


def _ask(base: str) -> str:
    """One chat request; the id of the answer (the audit record's request_id)."""
    with _client(base) as client:
        done = client.chat.completions.create(
            model="auto", messages=[{"role": "user", "content": PROMPT}], max_tokens=4
        )
    return done.id


def _trail(url: str) -> list[dict[str, object]]:
    """The whole trail, through the real ``edge-router audit`` CLI."""
    out = subprocess.run(
        [sys.executable, "-m", "edge_router.cli", "audit", "--db", url, "--format", "jsonl"],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    ).stdout
    return [json.loads(line) for line in out.splitlines()]


def test_two_routers_write_one_trail(fleet: tuple[str, Path, list[str]]) -> None:
    url, _, routers = fleet
    answered = [_ask(base) for base in routers for _ in range(2)]
    trail = {r["request_id"]: r for r in _trail(url)}
    assert set(answered) <= set(trail)
    assert {trail[i]["route"] for i in answered} == {"local"}
    assert all(trail[i]["entity_types"] for i in answered)  # the phone number, as a type
    # Feedback finds an answer in the shared trail, whichever router gave it.
    with _client(routers[1]) as client:
        done = client.post(
            "/feedback", body={"request_id": answered[0], "rating": 1}, cast_to=object
        )
    assert done["request_id"] == answered[0]  # type: ignore[index]


def test_database_outage_refuses_then_recovers(
    pg: PgServer, fleet: tuple[str, Path, list[str]]
) -> None:
    url, _, routers = fleet
    answered = [_ask(base) for base in routers]
    pg.stop()
    try:
        for base in routers:  # the first request after the loss finds out, the next at once
            for _ in range(2):
                with pytest.raises(openai.APIStatusError) as err:
                    _ask(base)
                assert err.value.status_code == 503
                assert err.value.code == "audit_unavailable"
        # Streams do not start either: nothing is served that could not be audited.
        with _client(routers[0]) as client, pytest.raises(openai.APIStatusError) as err:
            client.chat.completions.create(
                model="auto", messages=[{"role": "user", "content": PROMPT}], stream=True
            )
        assert err.value.status_code == 503
        # The Anthropic front door says so in its own shape.
        claude = anthropic.Anthropic(base_url=routers[1], api_key="unused", max_retries=0)
        with claude, pytest.raises(anthropic.APIStatusError) as aerr:
            claude.messages.create(
                model="auto", max_tokens=4, messages=[{"role": "user", "content": PROMPT}]
            )
        assert aerr.value.status_code == 503
        assert aerr.value.body["type"] == "error"  # type: ignore[index]
    finally:
        pg.start()
    for base in routers:  # each router reconnects by itself
        deadline = time.monotonic() + 60
        while True:
            try:
                answered.append(_ask(base))
                break
            except openai.APIStatusError as exc:
                if exc.status_code != 503 or time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
    trail = {r["request_id"] for r in _trail(url)}
    assert set(answered) <= trail  # every answer has its record: none lost, none unaudited


def test_wait_mode_holds_requests_until_the_database_is_back(
    pg: PgServer, settings: Settings, fleet: tuple[str, Path, list[str]]
) -> None:
    url, key, _ = fleet
    with serve(create_app(_settings(settings, url, key, "wait"), scanner=shared_scanner())) as base:
        _ask(base)
        pg.stop()
        restart = threading.Timer(2.0, pg.start)
        restart.start()
        try:
            answered = _ask(base)  # waits for the database instead of failing
        finally:
            restart.join()
    assert answered in {r["request_id"] for r in _trail(url)}


def test_a_budget_holds_across_the_fleet(
    pg: PgServer,
    settings: Settings,
    fake: tuple[str, FakeControl],
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    """Router A spends a key's daily budget; router B, on the same trail, refuses the key
    once it has synced (``flow.budget``: every SYNC_S with ``audit.url``)."""
    d = tmp_path_factory.mktemp("fleet-budget")
    (d / "cloudy.yaml").write_text("name: cloudy\ndefault: cloud\n")
    key = "er-fleet-0123456789abcdef0123456789"
    provider = ProviderSettings(
        name="p1",
        kind="openai_compatible",
        base_url=fake[0] + "/v1",
        models=("gpt-fake",),
        default_model="gpt-fake",
        max_retries=0,
    )
    budget = Budget(daily_usd=0.001, on_budget="refuse")  # one steep request spends it
    s = _settings(settings, pg.new_database(), d / "audit.key", "refuse").model_copy(
        update={
            "policy": PolicySettings(dir=str(d), default="cloudy"),
            "providers": (provider,),
            "auth": AuthSettings(keys=(ApiKey(id="ci", hash=hash_key(key), budget=budget),)),
            "pricing": PricingSettings(models={"gpt-fake": ModelPrice(input=2000, output=4000)}),
        }
    )

    def ask(base: str) -> int:
        with openai.OpenAI(base_url=base + "/v1", api_key=key, max_retries=0) as client:
            try:
                client.chat.completions.create(
                    model="gpt-fake", messages=[{"role": "user", "content": "Hi"}], max_tokens=8
                )
            except openai.APIStatusError as exc:
                assert exc.code == "budget_exceeded"
                return exc.status_code
        return 200

    with (
        serve(create_app(s, scanner=shared_scanner())) as a,
        serve(create_app(s, scanner=shared_scanner())) as b,
    ):
        assert ask(a) == 200  # crosses the limit
        assert ask(a) == 429
        deadline = time.monotonic() + SYNC_S * 3
        while ask(b) != 429:  # B learns A's spending from the shared trail
            assert time.monotonic() < deadline, "router B never counted router A's spending"
            time.sleep(1)
