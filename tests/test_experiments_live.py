"""Experiments against the real daemon (real model, real scanner, a fake provider on
127.0.0.1, the official openai SDK): sticky arms, arms that change routing, the audit
record and the header, per-arm metrics, and the report over what was recorded."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import openai
import pytest
from fake_provider import FakeControl, fake_provider_settings
from privacy_fixtures import shared_scanner
from serving import serve

from edge_router.app import create_app
from edge_router.config import PolicySettings, Settings
from edge_router.load.probe import FakeLoadProbe
from edge_router.record.audit import AuditSettings
from edge_router.record.audit_hash import ContentHasher
from edge_router.record.audit_query import AuditReader
from edge_router.record.experiments_report import experiments_cli
from edge_router.routing.experiments import ArmSettings, Experiments, ExperimentSettings

EXP_POLICY = """name: exp
rules:
  - name: named-cloud
    when:
      models: [gpt-fake]
    action: cloud
default: auto
"""
PROMPT = [{"role": "user", "content": "Say hello"}]

EXPERIMENT = ExperimentSettings(
    name="routing",
    sticky="session",
    arms=(
        # Threshold 1: nothing is complex, so auto keeps a plain prompt local.
        ArmSettings(name="control", complexity_threshold=1.0),
        # Threshold 0: everything is complex, so auto offloads it.
        ArmSettings(name="eager", complexity_threshold=0.0),
        # auto is routed as gpt-fake, which the policy's rule sends to the cloud.
        ArmSettings(name="named", model="gpt-fake", complexity_threshold=1.0),
        # Another policy altogether.
        ArmSettings(name="cloudy", policy="cloudy"),
    ),
)


@pytest.fixture(scope="module")
def stack(
    settings: Settings, fake: tuple[str, FakeControl], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[str, Settings, dict[str, str]]]:
    d = tmp_path_factory.mktemp("exp")
    (d / "policies").mkdir()
    (d / "policies" / "exp.yaml").write_text(EXP_POLICY)
    (d / "policies" / "cloudy.yaml").write_text("name: cloudy\ndefault: cloud\n")
    s = settings.model_copy(
        update={
            "audit": AuditSettings(path=str(d / "audit.sqlite")),
            "policy": PolicySettings(dir=str(d / "policies"), default="exp"),
            "providers": (fake_provider_settings(fake[0]),),
            "experiments": (EXPERIMENT,),
        }
    )
    # A calm machine, whatever else runs here: auto decides by complexity alone.
    app = create_app(s, scanner=shared_scanner(), load=FakeLoadProbe("normal"))
    with serve(app) as url:
        # Which session lands in which arm, from the key the daemon created.
        key = ContentHasher.load_or_create(s.feedback.key_path(s.audit))
        exps = Experiments(s.experiments, key.digest)
        sessions: dict[str, str] = {}
        for i in range(500):
            a = exps.assign(
                key_id=None,
                tenant=None,
                key_policy=None,
                headers={"x-edge-router-session": f"session-{i}"},
            )
            assert a is not None
            sessions.setdefault(a.arm.name, f"session-{i}")
        assert len(sessions) == 4
        yield url, s, sessions


def chat(url: str, session: str | None, **kw: Any) -> Any:
    headers = {"x-edge-router-session": session} if session else {}
    client = openai.OpenAI(
        base_url=url + "/v1", api_key="x", max_retries=0, default_headers=headers
    )
    return client.chat.completions.with_raw_response.create(
        model=kw.pop("model", "auto"), messages=PROMPT, max_tokens=2, **kw
    )


def test_sticky_assignment_holds_across_requests(stack: Any) -> None:
    url, _, sessions = stack
    for arm, session in sessions.items():
        seen = {chat(url, session).headers["x-edge-router-arm"] for _ in range(3)}
        assert seen == {f"routing:{arm}"}
    # A streamed request keeps its arm too.
    raw = chat(url, sessions["eager"], stream=True)
    assert raw.headers["x-edge-router-arm"] == "routing:eager"
    for _ in raw.parse():
        pass
    # Without a session (and no key) a request is not enrolled.
    assert "x-edge-router-arm" not in chat(url, None).headers


def test_arms_change_routing(stack: Any, control: FakeControl) -> None:
    url, s, sessions = stack
    h = {arm: chat(url, session).headers for arm, session in sessions.items()}
    assert h["control"]["x-edge-router-route"] == "local"
    assert "auto:local_capable" in h["control"]["x-edge-router-reasons"]
    assert h["eager"]["x-edge-router-route"] == "cloud"
    assert "auto:complex" in h["eager"]["x-edge-router-reasons"]
    assert h["named"]["x-edge-router-route"] == "cloud"
    assert h["named"]["x-edge-router-rule"] == "named-cloud"
    assert h["cloudy"]["x-edge-router-route"] == "cloud"
    assert h["cloudy"]["x-edge-router-policy"] == "cloudy"
    assert h["control"]["x-edge-router-policy"] == "exp"
    assert control.request_count == 3
    # A model the client named is never replaced by the arm's.
    local = s.local.default_model
    named = chat(url, sessions["named"], model=local).headers
    assert named["x-edge-router-route"] == "local" and named["x-edge-router-model"] == local
    # The audit record carries the arm.
    rows = AuditReader(Path(str(s.audit.path))).query(limit=20)
    by_id = {r["request_id"]: r["arm"] for r in rows}
    for arm, headers in h.items():
        assert by_id[headers["x-request-id"]] == f"routing:{arm}"


def test_metrics_and_report(stack: Any) -> None:
    url, s, sessions = stack
    chat(url, sessions["cloudy"])
    text = httpx.get(url + "/metrics").text
    assert 'edge_router_experiment_requests_total{arm="cloudy",experiment="routing"' in text
    assert 'edge_router_experiment_request_seconds_count{arm="control"' in text
    out = io.StringIO()
    rc = experiments_cli(
        ["report", "routing", "--db", str(s.audit.path), "--control", "control"], out=out
    )
    report = out.getvalue()
    assert rc == 0, report
    lines = report.splitlines()
    assert lines[0].startswith("experiment routing")
    for arm in ("control", "eager", "named", "cloudy"):
        assert any(line.startswith(arm + " ") for line in lines), report
    # A handful of requests per arm: nothing may be claimed.
    assert "too few data to decide" in report
    assert "higher than the control" not in report and "lower than" not in report


def test_route_dry_run_reports_the_arm(stack: Any) -> None:
    url, _, sessions = stack
    r = httpx.post(
        url + "/v1/route",
        json={"model": "auto", "messages": PROMPT},
        headers={"x-edge-router-session": sessions["cloudy"]},
    )
    body = r.json()
    assert body["arm"] == "routing:cloudy" and body["policy"] == "cloudy"
    assert body["route"] == "cloud"
    plain = httpx.post(url + "/v1/route", json={"model": "auto", "messages": PROMPT}).json()
    assert "arm" not in plain and plain["policy"] == "exp"
