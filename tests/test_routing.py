"""decide(): a pure function, tested with tables."""

from __future__ import annotations

import builtins
import copy
import dataclasses
import inspect
import io
import logging
import os
import random
import re
import socket
import subprocess
import threading
import time
import types
import typing
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, Literal

import pytest

from edge_router.privacy.types import Entity, ScanResult, TextField
from edge_router.routing import decide as decide_module
from edge_router.routing.decide import CUSTOM_TERM, Decision, RouteContext, decide
from edge_router.routing.policy import Policy, load_policy, parse_policy

PRESETS = ("default", "gdpr", "hipaa", "pci", "strict")

CLEAN = ScanResult()
FAILED = ScanResult.failed()
SENSITIVE = ScanResult(
    entities=(Entity("PERSON", 0, 4, 0.85, "messages[0].content"),),
    sensitive=True,
    reasons=("entity:PERSON",),
)
LOW_SCORE_EMAIL = ScanResult(entities=(Entity("EMAIL_ADDRESS", 0, 4, 0.3, "messages[0].content"),))
IMAGE = ScanResult(non_text_parts=("messages[0].content[1]",))


def ctx(**kw: Any) -> RouteContext:
    base = RouteContext(
        scan=CLEAN,
        texts=(TextField("messages[0].content", "John wrote about Project Blue Falcon"),),
        model="gpt-4o",
        cloud_available=True,
    )
    return dataclasses.replace(base, **kw)


def policy(action: str, when: str = "{sensitive: false}", default: str = "local") -> Policy:
    return parse_policy(
        f"default: {default}\nrules:\n  - name: r\n    when: {when}\n    action: {action}\n"
    )


def only_default(action: str) -> Policy:
    return parse_policy(f"default: {action}\n")


# (policy action, context overrides, route, redact, reason expected among reasons)
RESOLUTION = [
    ("block", {}, "block", False, "default"),
    ("block", {"scan": FAILED}, "block", False, "default"),
    ("local", {}, "local", False, "default"),
    ("cloud", {}, "cloud", False, "default"),
    ("cloud", {"cloud_available": False}, "local", False, "cloud_unavailable"),
    ("cloud", {"scan": FAILED}, "local", False, "scan_failed"),
    ("redact", {}, "cloud", True, "default"),
    ("redact", {"scan": SENSITIVE}, "cloud", True, "default"),
    ("redact", {"cloud_available": False}, "local", False, "cloud_unavailable"),
    ("redact", {"scan": FAILED}, "local", False, "scan_failed"),
    # auto: cloud only when not sensitive and (busy/saturated or complex)
    ("auto", {}, "local", False, "auto:local_capable"),
    ("auto", {"load_state": "normal", "complexity_class": "simple"}, "local", False, "default"),
    ("auto", {"load_state": "busy"}, "cloud", False, "auto:load_busy"),
    ("auto", {"load_state": "saturated"}, "cloud", False, "auto:load_saturated"),
    ("auto", {"complexity_class": "complex"}, "cloud", False, "auto:complex"),
    ("auto", {"scan": SENSITIVE, "load_state": "saturated"}, "local", False, "auto:sensitive"),
    ("auto", {"scan": SENSITIVE, "complexity_class": "complex"}, "local", False, "auto:sensitive"),
    ("auto", {"scan": FAILED, "load_state": "busy"}, "local", False, "scan_failed"),
    ("auto", {"load_state": "busy", "cloud_available": False}, "local", False, "cloud_unavailable"),
    # auto: what the local tier cannot do goes to a cloud, unless the data must stay here
    ("auto", {"local_gaps": ("web_search_options",)}, "cloud", False, "auto:local_incapable"),
    ("auto", {"local_gaps": ("audio",), "scan": SENSITIVE}, "local", False, "auto:sensitive"),
    ("auto", {"local_gaps": ("functions",), "scan": FAILED}, "local", False, "scan_failed"),
    (
        "auto",
        {"local_gaps": ("modalities",), "cloud_available": False},
        "local",
        False,
        "cloud_unavailable",
    ),
    ("local", {"local_gaps": ("web_search_options",)}, "local", False, "default"),
]


@pytest.mark.parametrize(("action", "over", "route", "redact", "reason"), RESOLUTION)
def test_action_resolution(
    action: str, over: dict[str, Any], route: str, redact: bool, reason: str
) -> None:
    d = decide(ctx(**over), only_default(action))
    assert (d.action, d.route, d.redact, d.rule) == (action, route, redact, "default")
    assert reason in d.reasons


@pytest.mark.parametrize("action", ["cloud", "redact", "auto"])
def test_failed_scan_never_reaches_cloud_even_via_matching_rule(action: str) -> None:
    p = policy(action, when="{scan_failed: true}", default="cloud")
    d = decide(ctx(scan=FAILED, load_state="saturated", complexity_class="complex"), p)
    assert (d.rule, d.route, d.redact) == ("r", "local", False)
    assert "scan_failed" in d.reasons


@pytest.mark.parametrize("action", ["cloud", "redact", "auto"])
@pytest.mark.parametrize("first_rule", [True, False])
def test_attachments_never_reach_the_cloud_without_the_operator_setting(
    action: str, first_rule: bool
) -> None:
    """Whatever the policy says: a cloud rule first, no non_text rule, default cloud."""
    p = (
        policy(action, when="{non_text: true}", default=action)
        if first_rule
        else only_default(action)
    )
    busy = {"load_state": "saturated", "complexity_class": "complex"}
    d = decide(ctx(scan=IMAGE, **busy), p)
    assert (d.route, d.redact) == ("local", False)
    assert "non_text_local" in d.reasons
    allowed = decide(ctx(scan=IMAGE, send_unscanned_attachments=True, **busy), p)
    assert allowed.route == "cloud"
    assert "non_text_sent" in allowed.reasons


@pytest.mark.parametrize("preset", ["default", "gdpr", "hipaa", "pci", "strict"])
def test_attachments_stay_local_under_every_preset(preset: str) -> None:
    from pathlib import Path

    from edge_router.routing.policy import load_policy

    p = load_policy(Path("policies") / f"{preset}.yaml")
    d = decide(ctx(scan=IMAGE, load_state="saturated", complexity_class="complex"), p)
    assert d.route in ("local", "block")


# (when clause, context overrides, matches?)
CONDITIONS = [
    ("{entities: [PERSON]}", {"scan": SENSITIVE}, True),
    ("{entities: [EMAIL_ADDRESS, PERSON]}", {"scan": SENSITIVE}, True),
    ("{entities: [EMAIL_ADDRESS]}", {"scan": SENSITIVE}, False),
    ("{entities: ['*']}", {"scan": SENSITIVE}, True),
    ("{entities: ['*']}", {}, False),
    ("{entities: [EMAIL_ADDRESS], min_score: 0.5}", {"scan": LOW_SCORE_EMAIL}, False),
    ("{entities: [EMAIL_ADDRESS], min_score: 0.3}", {"scan": LOW_SCORE_EMAIL}, True),
    ("{patterns: ['Project \\s+Blue']}", {}, False),
    ("{patterns: ['Project\\s+Blue']}", {}, True),
    ("{terms: [blue falcon]}", {}, True),
    ("{terms: [falco]}", {}, False),
    ("{terms: [ACME]}", {}, False),
    ("{models: ['gpt-*']}", {}, True),
    ("{models: ['GPT-4?']}", {}, True),
    ("{models: ['claude-*']}", {}, False),
    ("{api_keys: [team-*]}", {"api_key_id": "team-a"}, True),
    ("{api_keys: [team-*]}", {}, False),
    ("{tenants: [acme]}", {"tenant": "ACME"}, True),
    ("{tenants: [acme]}", {"tenant": "other"}, False),
    ("{headers: {X-Team: fin*}}", {"headers": {"x-team": "finance"}}, True),
    ("{headers: {X-Team: [hr, fin*]}}", {"headers": {"x-team": "hr"}}, True),
    ("{headers: {x-team: fin*}}", {"headers": {"x-team": "legal"}}, False),
    ("{headers: {x-team: fin*}}", {}, False),
    ("{complexity: complex}", {"complexity_class": "complex"}, True),
    ("{complexity: complex}", {"complexity_class": None}, False),
    ("{load: [busy, saturated]}", {"load_state": "busy"}, True),
    ("{load: [busy, saturated]}", {"load_state": "normal"}, False),
    ("{sensitive: true}", {"scan": SENSITIVE}, True),
    ("{sensitive: true}", {}, False),
    ("{non_text: true}", {"scan": IMAGE}, True),
    ("{non_text: false}", {"scan": IMAGE}, False),
    ("{scan_failed: true}", {"scan": FAILED}, True),
    # conditions are ANDed
    ("{entities: [PERSON], models: ['gpt-*']}", {"scan": SENSITIVE}, True),
    ("{entities: [PERSON], models: ['claude-*']}", {"scan": SENSITIVE}, False),
]


@pytest.mark.parametrize(("when", "over", "matches"), CONDITIONS)
def test_conditions(when: str, over: dict[str, Any], matches: bool) -> None:
    d = decide(ctx(**over), policy("block", when=when))
    assert d.rule == ("r" if matches else "default")


def test_reasons_are_machine_readable_and_never_values() -> None:
    p = policy("block", when="{terms: [blue falcon], entities: [PERSON], headers: {x-team: '*'}}")
    d = decide(ctx(scan=SENSITIVE, headers={"x-team": "secret-team"}), p)
    assert d.reasons == ("entity:PERSON", "term", "header:x-team")
    assert d.entity_types == ("PERSON",)
    joined = " ".join(d.reasons)
    assert "falcon" not in joined.lower() and "secret-team" not in joined and "John" not in joined


def test_entity_types_sorted() -> None:
    scan = ScanResult(
        entities=(
            Entity("US_SSN", 0, 1, 1.0, "system"),
            Entity("EMAIL_ADDRESS", 0, 1, 1.0, "system"),
            Entity("US_SSN", 2, 3, 1.0, "system"),
        )
    )
    assert decide(ctx(scan=scan), only_default("local")).entity_types == ("EMAIL_ADDRESS", "US_SSN")


def test_redact_decision_carries_custom_term_spans() -> None:
    p = parse_policy(
        "default: redact\nrules:\n  - name: codes\n    when: {terms: [blue falcon], models: none}\n"
        "    action: local\n"
    )
    d = decide(ctx(), p)
    assert d.redact and d.route == "cloud"
    assert d.extra_entities == (Entity(CUSTOM_TERM, 25, 36, 1.0, "messages[0].content"),)
    # not redacting: no spans computed
    assert decide(ctx(cloud_available=False), p).extra_entities == ()


# -- purity: by construction, and observed ------------------------------------------
# Types a decision input may hold: values with no behaviour that could reach the outside.
_VALUE_TYPES = (str, int, float, bool, type(None), re.Pattern)
_READ_ONLY = (tuple, frozenset, Sequence, Mapping)  # no mutating methods in their interface


def _io_free(tp: Any, seen: set[type], where: str) -> list[str]:
    """Why ``tp`` could carry I/O or mutable state into decide() (empty: it cannot)."""
    origin, args = typing.get_origin(tp), typing.get_args(tp)
    if origin is Literal:
        return []
    if origin in (typing.Union, types.UnionType):
        return [p for a in args for p in _io_free(a, seen, where)]
    if origin is not None:
        # The annotation itself must be read-only: list and dict are Sequences and
        # Mappings too, but a list annotation would let a caller hand decide() a buffer.
        if origin not in (*_READ_ONLY, re.Pattern):
            return [f"{where}: {tp} is not a read-only container"]
        return [p for a in args if a is not Ellipsis for p in _io_free(a, seen, where)]
    if isinstance(tp, type) and dataclasses.is_dataclass(tp):
        if tp in seen:
            return []
        seen.add(tp)
        if not tp.__dataclass_params__.frozen:  # type: ignore[attr-defined]
            return [f"{where}: {tp.__name__} is not a frozen dataclass"]
        hints = typing.get_type_hints(tp)
        return [
            p
            for f in dataclasses.fields(tp)
            for p in _io_free(hints[f.name], seen, f"{tp.__name__}.{f.name}")
        ]
    if isinstance(tp, type) and issubclass(tp, _VALUE_TYPES):
        return []
    return [f"{where}: {tp!r} is not a plain value type"]


def test_decide_is_pure_by_construction() -> None:
    # decide() takes exactly a context and a policy and returns a decision...
    params = inspect.signature(decide).parameters
    assert list(params) == ["ctx", "policy"]
    assert all(p.default is inspect.Parameter.empty for p in params.values())
    hints = typing.get_type_hints(decide)
    assert hints == {"ctx": RouteContext, "policy": Policy, "return": Decision}
    # ...each a tree of frozen dataclasses over plain values and read-only containers: no
    # callable, client, file or lock can reach it, so it has nothing to do I/O with.
    problems = [p for tp in (RouteContext, Policy, Decision) for p in _io_free(tp, set(), "")]
    assert problems == []


def test_decide_io_free_check_can_fail() -> None:
    @dataclasses.dataclass(frozen=True)
    class Leaky:
        send: Callable[[str], None]
        texts: list[str]

    @dataclasses.dataclass
    class Thawed:
        x: int

    problems = [*_io_free(Leaky, set(), ""), *_io_free(Thawed, set(), "")]
    assert len(problems) == 3, problems


def test_decide_inputs_refuse_mutation() -> None:
    c, p = ctx(scan=SENSITIVE), policy("auto", when="{entities: [PERSON]}")
    targets: list[tuple[Any, str]] = [
        (c, "load_state"),
        (c.scan, "sensitive"),
        (c.scan.entities[0], "start"),
        (c.texts[0], "text"),
        (p, "default"),
        (p.rules[0], "action"),
    ]
    for obj, attr in targets:
        with pytest.raises(dataclasses.FrozenInstanceError):
            setattr(obj, attr, None)
    # Containers are tuples and frozensets: no item can be added or replaced either.
    rules: Any = p.rules
    with pytest.raises(TypeError):
        rules[0] = rules[0]
    with pytest.raises(AttributeError):
        rules[0].entities.add("EMAIL_ADDRESS")


def _cases() -> list[tuple[RouteContext, Policy]]:
    presets = [load_policy(Path("policies") / f"{n}.yaml") for n in PRESETS]
    made = [
        policy(a, w) for a in ("block", "cloud", "redact", "auto") for w, _, _ in CONDITIONS[:12]
    ]
    contexts = [ctx(**over) for _, over, _, _, _ in RESOLUTION] + [
        # Mutable containers where the types allow them, so a write would show.
        ctx(scan=SENSITIVE, headers={"x-team": "fin"}, texts=[TextField("system", "blue falcon")]),
        ctx(scan=IMAGE, load_state="busy", complexity_class="complex", api_key_id="team-a"),
    ]
    return [(c, p) for p in presets + made for c in contexts]


def test_decide_changes_nothing_and_touches_nothing_outside(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    cases = _cases()
    before = copy.deepcopy(cases)
    expected = [decide(c, p) for c, p in cases]

    # Only this thread is watched: the session's daemons run uvicorn in threads that
    # keep reading the clock and the environment, and tripping them here would surface
    # as an unraisable error in some later test.
    me = threading.get_ident()

    def guarded(original: Any) -> Any:
        def forbidden(*a: Any, **k: Any) -> Any:
            if threading.get_ident() == me:
                raise AssertionError("decide() reached outside its arguments")
            return original(*a, **k)

        return forbidden

    # Files, sockets, processes, clocks, randomness, the environment and logging: any
    # of them would make a decision depend on (or leave traces in) the outside world.
    for target, name in [
        (builtins, "open"), (io, "open"), (os, "open"), (os, "getenv"), (os, "system"),
        (socket, "socket"), (socket, "create_connection"), (socket, "getaddrinfo"),
        (subprocess, "Popen"), (time, "time"), (time, "monotonic"), (time, "sleep"),
        (random, "random"), (logging.Logger, "_log"),
    ]:  # fmt: skip
        monkeypatch.setattr(target, name, guarded(getattr(target, name)))
    monkeypatch.setattr(os, "environ", ForbiddenEnviron(os.environ, me))
    module_state = dict(vars(decide_module))
    got = [decide(c, p) for c, p in cases]
    monkeypatch.undo()
    assert got == expected  # the same answer every time
    assert cases == before  # and every input as it was
    assert vars(decide_module) == module_state  # no module state written


class ForbiddenEnviron(dict[str, str]):
    """os.environ that refuses reads from the watched thread and serves all others."""

    def __init__(self, real: Mapping[str, str], watched: int) -> None:
        super().__init__(real)
        self._watched = watched

    def _check(self) -> None:
        if threading.get_ident() == self._watched:
            raise AssertionError("decide() read the environment")

    def __getitem__(self, key: str) -> str:
        self._check()
        return super().__getitem__(key)

    def get(self, *a: Any, **k: Any) -> Any:
        self._check()
        return super().get(*a, **k)
