"""Domain routing: the classifier, `domains:` in policies, a rule's `provider`/`model`,
and the domain in explain, /v1/route, headers, the audit trail and metrics, against the
real daemon (real model, real scanner) with fake providers on 127.0.0.1."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import anthropic
import httpx
import openai
import pytest
from audit_wait import audit_row
from fake_provider import FakeControl, fake_provider_settings, make_fake_provider
from privacy_fixtures import shared_scanner
from serving import serve

from edge_router.app import create_app
from edge_router.config import PolicySettings, Settings
from edge_router.lifespan import check_names
from edge_router.routing.complexity import ComplexityScorer
from edge_router.routing.domain import (
    GENERAL,
    CustomDomain,
    DomainClassifier,
    DomainSettings,
    build_classifier,
    fitted,
)
from edge_router.routing.domain_seeds import BUILTIN_DOMAINS
from edge_router.routing.explain import explain_lines
from edge_router.routing.pipeline import PolicySet, Router
from edge_router.routing.policy import PolicyError, parse_policy

CODE = "Write a Python function that parses a JSON file and fix the KeyError in my loop."
MEDICAL = "What is the usual dose of metformin for a diabetes patient, and its side effects?"
LEGAL = "Can my landlord keep the deposit if the lease contract says nothing about it?"
MATH = "Solve the equation 3x^2 - 12x + 9 = 0 and prove the roots are integers."
FINANCE = "Should I move my retirement savings from stocks into bonds when interest rates rise?"
GENERAL_TEXT = "Write a short poem about autumn leaves falling in the park."
HR = "How many vacation days do I have left this year, and how do I request parental leave?"
HR_DOMAIN = CustomDomain(
    name="hr",
    examples=(
        "How do I request vacation days?",
        "What is the parental leave policy?",
        "When is payroll processed this month?",
        "How do I update my benefits enrollment?",
    ),
    keywords=("vacation", "payroll", "leave", "benefits", "onboarding"),
)

POLICY = """\
name: domains
default: local
rules:
  - name: code-to-p2
    when: {domains: [code]}
    action: cloud
    provider: p2
  - name: hr-cloud
    when: {domains: hr}
    action: cloud
  - name: math-on-local-model
    when: {domains: [math]}
    action: cloud
    model: smollm2-135m-instruct
"""


@pytest.mark.parametrize(
    ("text", "domain"),
    [
        (CODE, "code"),
        (MEDICAL, "medical"),
        (LEGAL, "legal"),
        (MATH, "math"),
        (FINANCE, "finance"),
        (GENERAL_TEXT, GENERAL),
        (HR, GENERAL),  # not a built-in domain
    ],
)
def test_builtin_domains(text: str, domain: str) -> None:
    assert DomainClassifier.build(DomainSettings()).classify([text]) == domain


def test_fitted_weights_cover_the_builtins_and_keep_chat_general() -> None:
    """The fitted table is the built-in domains' (a mismatch would mislabel silently), and
    it adds what the cue words alone miss: physiology worded like biology is medical."""
    assert fitted().domains == BUILTIN_DOMAINS
    assert len(fitted().weights) > 1000
    physiology = (
        "Which hormone secreted by the pancreas lowers blood glucose after a meal, and "
        "how does it act on skeletal muscle?"
    )
    assert DomainClassifier.build(DomainSettings()).classify([physiology]) == "medical"
    chat = ["Hello! How are you today?", "What should I cook for dinner tonight?"]
    clf = DomainClassifier.build(DomainSettings())
    assert [clf.classify([t]) for t in chat] == [GENERAL, GENERAL]


def test_operator_examples_for_a_builtin_domain_count() -> None:
    """A custom domain named like a built-in one adds examples to it, and they decide
    (through the cue words) where the fitted weights alone would say general."""
    hr_as_finance = CustomDomain(
        name="finance", examples=HR_DOMAIN.examples, keywords=HR_DOMAIN.keywords
    )
    assert DomainClassifier.build(DomainSettings()).classify([HR]) == GENERAL
    assert (
        DomainClassifier.build(DomainSettings(custom=(hr_as_finance,))).classify([HR]) == "finance"
    )


def test_custom_domain_from_examples_and_disabled() -> None:
    clf = DomainClassifier.build(DomainSettings(custom=(HR_DOMAIN,)))
    assert clf.classify([HR]) == "hr"
    assert clf.classify([MEDICAL]) == "medical"  # the built-ins still work beside it
    assert build_classifier(DomainSettings(enabled=False)).classify([CODE]) == GENERAL
    assert DomainSettings(custom=(HR_DOMAIN,)).names()[-1] == "hr"
    with pytest.raises(ValueError, match="unique"):
        DomainSettings(custom=(HR_DOMAIN, HR_DOMAIN))


def test_policy_domain_names_are_checked_against_the_config(settings: Settings) -> None:
    bad = parse_policy(
        "name: x\ndefault: local\nrules:\n"
        "  - {name: a, when: {domains: [hr]}, action: cloud, provider: nowhere}\n"
        "  - {name: b, when: {domains: [code]}, action: cloud, model: no-such-model}\n"
    )
    with pytest.raises(PolicyError) as err:
        check_names(PolicySet({"x": bad}, "x"), settings)
    text = "\n".join(err.value.problems)
    assert "unknown domain 'hr'" in text
    assert "unknown provider 'nowhere'" in text
    assert "'no-such-model' is not served" in text
    with pytest.raises(PolicyError, match="domains"):
        parse_policy(
            "default: local\nrules:\n  - {name: a, when: {domains: [Bad!]}, action: local}"
        )


def test_explain_reports_the_domain(settings: Settings) -> None:
    router = Router(
        shared_scanner(),
        PolicySet({"domains": parse_policy(POLICY)}, "domains"),
        ComplexityScorer(),
        domains=build_classifier(DomainSettings(custom=(HR_DOMAIN,))),
    )
    lines = [json.dumps({"text": t}) for t in (MEDICAL, HR, CODE)]
    rows = list(explain_lines(lines, router, cloud_available=True))
    assert [r["domain"] for r in rows] == ["medical", "hr", "code"]
    assert rows[2]["rule"] == "code-to-p2" and "domain:code" in rows[2]["reasons"]


@pytest.fixture(scope="module")
def fakes() -> Iterator[list[tuple[str, FakeControl]]]:
    (a1, c1), (a2, c2) = make_fake_provider(), make_fake_provider()
    with serve(a1) as u1, serve(a2) as u2:
        yield [(u1, c1), (u2, c2)]


@pytest.fixture(scope="module")
def daemon(
    settings: Settings,
    fakes: list[tuple[str, FakeControl]],
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[str, Any]]:
    d = tmp_path_factory.mktemp("policies")
    (d / "domains.yaml").write_text(POLICY)
    s = settings.model_copy(
        update={
            "policy": PolicySettings(dir=str(d), default="domains"),
            "providers": (
                fake_provider_settings(fakes[0][0], "p1"),
                fake_provider_settings(fakes[1][0], "p2"),
            ),
            "domains": DomainSettings(custom=(HR_DOMAIN,)),
        }
    )
    app = create_app(s, scanner=shared_scanner())
    with serve(app) as url:
        yield url, app


def test_domain_in_headers_audit_and_metrics(
    daemon: tuple[str, Any], fakes: list[tuple[str, FakeControl]], settings: Settings
) -> None:
    url, _ = daemon
    for _, c in fakes:
        c.reset()
    oa = openai.OpenAI(base_url=url + "/v1", api_key="x", max_retries=0)
    msgs: Any = [{"role": "user", "content": MEDICAL}]
    raw = oa.chat.completions.with_raw_response.create(model="auto", messages=msgs, max_tokens=4)
    assert raw.headers["x-edge-router-domain"] == "medical"
    assert raw.headers["x-edge-router-route"] == "local"  # the policy's default
    assert audit_row(settings, raw.headers["x-request-id"])["domain"] == "medical"
    assert fakes[0][1].request_count == fakes[1][1].request_count == 0
    metrics = httpx.get(url + "/metrics").text
    assert 'edge_router_requests_by_domain_total{domain="medical"}' in metrics


def test_domain_rule_sends_code_to_the_named_provider(
    daemon: tuple[str, Any], fakes: list[tuple[str, FakeControl]], settings: Settings
) -> None:
    url, _ = daemon
    for _, c in fakes:
        c.reset()
    oa = openai.OpenAI(base_url=url + "/v1", api_key="x", max_retries=0)
    msgs: Any = [{"role": "user", "content": CODE}]
    raw = oa.chat.completions.with_raw_response.create(model="auto", messages=msgs)
    h = raw.headers
    assert (h["x-edge-router-domain"], h["x-edge-router-rule"]) == ("code", "code-to-p2")
    assert (h["x-edge-router-route"], h["x-edge-router-provider"]) == ("cloud", "p2")
    assert "domain:code" in h["x-edge-router-reasons"].split(",")
    assert fakes[0][1].request_count == 0 and fakes[1][1].request_count == 1
    row = audit_row(settings, h["x-request-id"])
    assert (row["domain"], row["provider"]) == ("code", "p2")
    # With p2 down the rule's provider is the only one allowed: the prompt stays here.
    fakes[1][1].down = True
    raw = oa.chat.completions.with_raw_response.create(model="auto", messages=msgs, max_tokens=4)
    assert raw.headers["x-edge-router-route"] == "local"
    assert raw.headers["x-edge-router-fallbacks"] == "1"
    assert "cloud_unavailable" in raw.headers["x-edge-router-reasons"].split(",")
    assert fakes[0][1].request_count == 0


def test_custom_domain_routes_and_anthropic_front_door(
    daemon: tuple[str, Any], fakes: list[tuple[str, FakeControl]]
) -> None:
    url, _ = daemon
    for _, c in fakes:
        c.reset()
    ac = anthropic.Anthropic(base_url=url, api_key="x", max_retries=0)
    raw = ac.messages.with_raw_response.create(
        model="auto", max_tokens=16, messages=[{"role": "user", "content": HR}]
    )
    assert raw.headers["x-edge-router-domain"] == "hr"
    assert (raw.headers["x-edge-router-rule"], raw.headers["x-edge-router-provider"]) == (
        "hr-cloud",
        "p1",
    )
    assert fakes[0][1].request_count == 1


def test_rule_model_routes_a_domain_to_a_named_model(
    daemon: tuple[str, Any], fakes: list[tuple[str, FakeControl]]
) -> None:
    """`math` goes to this machine's model by the rule's `model`, though the client
    asked for a cloud model and the action is `cloud`: that model's name never leaves."""
    url, _ = daemon
    for _, c in fakes:
        c.reset()
    body = {"model": "gpt-fake", "max_tokens": 4, "messages": [{"role": "user", "content": MATH}]}
    r = httpx.post(url + "/v1/chat/completions", json=body, timeout=120)
    assert r.status_code == 200
    assert r.headers["x-edge-router-domain"] == "math"
    assert r.headers["x-edge-router-route"] == "local"
    assert r.headers["x-edge-router-model"] == "smollm2-135m-instruct"
    assert fakes[0][1].request_count == fakes[1][1].request_count == 0


def test_route_endpoint_reports_the_domain(daemon: tuple[str, Any]) -> None:
    url, _ = daemon
    body = {"model": "auto", "messages": [{"role": "user", "content": LEGAL}]}
    rep = httpx.post(url + "/v1/route", json=body).json()
    assert rep["domain"] == "legal"
    body = {"model": "auto", "messages": [{"role": "user", "content": CODE}]}
    rep = httpx.post(url + "/v1/route", json=body).json()
    assert (rep["domain"], rep["rule"]) == ("code", "code-to-p2")
    assert rep["target"]["name"] == "p2" and rep["target"]["fallbacks"] == []
