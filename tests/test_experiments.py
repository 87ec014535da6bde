"""Experiments without a daemon: keyed sticky assignment, config checks, the interval
estimates and the report's decision rule (on rows written to real stores)."""

from __future__ import annotations

import hashlib
import hmac
import io
import random
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from edge_router.config import ConfigError, load_settings
from edge_router.record.audit import AuditLog, AuditRecord
from edge_router.record.experiment_stats import Estimate, compare, mean_ci, median_ci, wilson
from edge_router.record.experiments_report import build_report, experiments_cli, format_report
from edge_router.record.feedback import Feedback, FeedbackStore
from edge_router.routing.experiments import (
    ArmSettings,
    Experiments,
    ExperimentSettings,
    check_experiments,
)
from edge_router.routing.policy import PolicyError


def digest(key: bytes) -> Any:
    return lambda text: hmac.new(key, text.encode(), hashlib.sha256).hexdigest()


def exp(**kw: Any) -> ExperimentSettings:
    arms = kw.pop("arms", None) or (
        ArmSettings(name="a", weight=1),
        ArmSettings(name="b", weight=3, complexity_threshold=0.2),
    )
    return ExperimentSettings(name=kw.pop("name", "t"), arms=arms, **kw)


def assign(e: Experiments, key: str | None = None, session: str | None = None, **kw: Any) -> Any:
    headers = {"x-edge-router-session": session} if session else {}
    a = e.assign(key_id=key, tenant=kw.get("tenant"), key_policy=kw.get("policy"), headers=headers)
    return a.label if a else None


def test_assignment_is_sticky_weighted_and_keyed() -> None:
    e1 = Experiments([exp()], digest(b"k" * 32))
    labels = [assign(e1, key=f"key-{i}") for i in range(4000)]
    assert labels == [assign(e1, key=f"key-{i}") for i in range(4000)]  # sticky
    share = Counter(labels)["t:b"] / len(labels)
    assert 0.72 < share < 0.78  # weights 1:3
    # Another installation's key splits the same ids differently: not guessable.
    e2 = Experiments([exp()], digest(b"j" * 32))
    other = [assign(e2, key=f"key-{i}") for i in range(4000)]
    assert sum(x != y for x, y in zip(labels, other, strict=True)) > 1000


def test_unit_is_the_key_or_the_session_and_neither_is_not_enrolled() -> None:
    e = Experiments([exp(), exp(name="s", sticky="session")], digest(b"k" * 32))
    assert assign(e) is None
    # A key and a session with the same text are different units.
    by_key = {assign(e, key=f"u{i}") for i in range(50)}
    assert by_key == {"t:a", "t:b"}
    # sticky: session only in the second experiment; the first takes the request first.
    sess = Experiments([exp(name="s", sticky="session")], digest(b"k" * 32))
    for i in range(20):
        first = assign(sess, key="same-key", session=f"s{i}")
        assert first == assign(sess, key="other-key", session=f"s{i}")
    assert assign(sess, key="only-key") in ("s:a", "s:b")  # falls back to the key


def test_scope_filters_and_bound_policies() -> None:
    e = Experiments(
        [
            exp(
                name="pol",
                tenants=("acme",),
                arms=(ArmSettings(name="x", policy="gdpr"), ArmSettings(name="y")),
            ),
            exp(name="keys", api_keys=("ci-*",)),
        ],
        digest(b"k" * 32),
    )
    assert assign(e, key="k1", tenant="ACME").startswith("pol:")
    # A key bound to a policy keeps it: not enrolled where arms set policies.
    assert assign(e, key="k1", tenant="acme", policy="strict") is None
    assert assign(e, key="ci-7").startswith("keys:")
    assert assign(e, key="dev-1") is None
    assert (
        Experiments([exp(enabled=False)], digest(b"k" * 32)).assign(
            key_id="k", tenant=None, key_policy=None, headers={}
        )
        is None
    )


def test_zero_weight_arm_gets_nothing() -> None:
    arms = (ArmSettings(name="off", weight=0), ArmSettings(name="on"))
    e = Experiments([exp(arms=arms)], digest(b"k" * 32))
    assert {assign(e, key=str(i)) for i in range(200)} == {"t:on"}


@pytest.mark.parametrize(
    "yaml_text, message",
    [
        ("experiments: [{name: t, arms: [{name: a}]}]", "at least 2"),
        ("experiments: [{name: t, arms: [{name: a}, {name: a}]}]", "unique"),
        ("experiments: [{name: 'a:b', arms: [{name: a}, {name: b}]}]", "pattern"),
        ("experiments: [{name: t, arms: [{name: a}, {name: b, model: nope}]}]", "nope"),
        (
            "experiments: [{name: t, arms: [{name: a, weight: 0}, {name: b, weight: 0}]}]",
            "positive weight",
        ),
        (
            "experiments: [{name: t, arms: [{name: a}, {name: b, complexity_threshold: 2}]}]",
            "complexity_threshold",
        ),
    ],
)
def test_config_errors(tmp_path: Path, yaml_text: str, message: str) -> None:
    path = tmp_path / "c.yaml"
    path.write_text(yaml_text)
    with pytest.raises(ConfigError, match=message):
        load_settings(path)


def test_arm_policy_must_exist() -> None:
    e = exp(arms=(ArmSettings(name="a"), ArmSettings(name="b", policy="nope")))
    with pytest.raises(PolicyError, match="unknown policy 'nope'"):
        check_experiments([e], {"default"})
    check_experiments([exp()], {"default"})


def test_estimates() -> None:
    w = wilson(40, 100)
    assert w.value == 0.4 and w.low == pytest.approx(0.3094, abs=1e-3)
    assert w.high == pytest.approx(0.4980, abs=1e-3)
    assert wilson(0, 10).low == 0.0 and wilson(0, 0).value is None
    m = mean_ci([1.0, 2.0, 3.0, 4.0, 5.0])
    assert m.value == 3.0 and m.high == pytest.approx(3 + 2.776 * 1.5811 / 5**0.5, abs=0.02)
    med = median_ci([float(i) for i in range(1, 101)])
    assert med.value == 50.5 and med.low is not None and med.high is not None
    assert 38 <= med.low <= 42 and 59 <= med.high <= 63


def test_decision_rule() -> None:
    a, b = Estimate(0.5, 0.4, 0.6, 100), Estimate(0.8, 0.7, 0.9, 100)
    assert compare(b, a, 30) == ("higher", "95% intervals do not overlap")
    assert compare(a, b, 30)[0] == "lower"
    assert compare(Estimate(0.65, 0.55, 0.75, 100), a, 30)[0] == "undecided"
    assert compare(b, Estimate(0.5, 0.4, 0.6, 10), 30) == (
        "undecided",
        "fewer than 30 observations",
    )


def _write(
    audit: AuditLog,
    store: FeedbackStore,
    arm: str,
    n: int,
    local_p: float,
    rating_p: float,
    rng: random.Random,
) -> None:
    futs = []
    for i in range(n):
        rid = f"chatcmpl-{arm}-{i}"
        futs.append(
            audit.submit(
                AuditRecord(
                    request_id=rid,
                    route="local" if rng.random() < local_p else "cloud",
                    status=200 if rng.random() > 0.02 else 502,
                    latency_ms=rng.lognormvariate(6, 0.4),
                    arm=f"exp:{arm}",
                    cost_usd=0.0,
                )
            )
        )
        if rng.random() < 0.5:
            store.write(
                Feedback(request_id=rid, rating=float(rng.random() < rating_p), arm=f"exp:{arm}")
            )
    for f in futs:
        f.result()


def test_report_finds_a_real_difference_and_no_false_one(tmp_path: Path) -> None:
    audit = AuditLog(tmp_path / "audit.sqlite", synchronous="normal")
    store = FeedbackStore(tmp_path / "feedback.sqlite")
    rng = random.Random(7)
    _write(audit, store, "control", 400, 0.5, 0.6, rng)
    _write(audit, store, "same", 400, 0.5, 0.6, rng)
    _write(audit, store, "better", 400, 0.8, 0.85, rng)
    audit.submit(AuditRecord(request_id="x", route="local", status=200, arm="other:a")).result()
    audit.close()
    store.close()
    r = build_report(
        tmp_path / "audit.sqlite",
        tmp_path / "feedback.sqlite",
        "exp",
        arms=("control", "same", "better", "empty"),
    )
    assert [a.name for a in r.arms] == ["control", "same", "better", "empty"]
    assert [a.n for a in r.arms] == [400, 400, 400, 0]
    claims = r.claims()
    assert ("better", "local share", "higher") in claims
    assert ("better", "rating mean", "higher") in claims
    assert not [c for c in claims if c[0] in ("same", "empty")]
    text = format_report(r)
    assert "empty: local share: too few data to decide (no data)" in text
    assert "same: local share: too few data to decide" in text
    out = io.StringIO()
    rc = experiments_cli(
        [
            "report",
            "exp",
            "--db",
            str(tmp_path / "audit.sqlite"),
            "--feedback-db",
            str(tmp_path / "feedback.sqlite"),
            "--control",
            "control",
        ],
        out=out,
    )
    assert rc == 0 and "better: local share: higher than the control" in out.getvalue()
    assert (
        experiments_cli(
            ["report", "nothing", "--db", str(tmp_path / "audit.sqlite")], out=io.StringIO()
        )
        == 2
    )
