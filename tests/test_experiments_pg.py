"""Experiment reports and cost reports over a fleet's PostgreSQL store (a real server).

The same records written to SQLite and to PostgreSQL give the same report, figure for
figure; ``experiments report`` and ``audit --costs`` read PostgreSQL when the config
says ``audit.url``; and two real daemons on one database, each taking part of an
experiment's traffic and ratings, show up together in one report from the CLI.
"""

from __future__ import annotations

import io
import json
import os
import random
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import openai
import psycopg
import pytest
import yaml
from fake_provider import FakeControl, fake_provider_settings
from pg_fixture import PgServer
from privacy_fixtures import shared_scanner
from serving import serve

from edge_router.app import create_app
from edge_router.config import PolicySettings, Settings
from edge_router.flow.experiments import assignment_key
from edge_router.load.probe import FakeLoadProbe
from edge_router.record.audit import AuditLog, AuditRecord, AuditSettings
from edge_router.record.audit_cli import audit_cli
from edge_router.record.audit_pg import PgAuditLog
from edge_router.record.audit_pg_schema import PgAuditReader
from edge_router.record.experiments_report import build_report, experiments_cli
from edge_router.record.feedback import Feedback, FeedbackSettings, FeedbackStore
from edge_router.record.feedback_pg import PgFeedbackStore, pg_ratings
from edge_router.routing.experiments import Experiments, ExperimentSettings

ARMS = {"control": (0.5, 0.6), "same": (0.5, 0.6), "better": (0.85, 0.9)}  # local p, rating p


def _fill(audit: AuditLog, store: FeedbackStore) -> None:
    """Seeded traffic for three arms (one clearly better) and one other experiment."""
    rng = random.Random(11)
    futs, rated = [], []
    for arm, (local_p, rating_p) in ARMS.items():
        for i in range(150):
            rid = f"chatcmpl-{arm}-{i}"
            local = rng.random() < local_p
            futs.append(
                audit.submit(
                    AuditRecord(
                        request_id=rid,
                        key_id=f"k{i % 3}",
                        route="local" if local else "cloud",
                        provider=None if local else "p1",
                        model="m",
                        status=200 if rng.random() > 0.03 else 502,
                        latency_ms=rng.lognormvariate(6, 0.4),
                        prompt_tokens=rng.randint(5, 50),
                        completion_tokens=rng.randint(1, 20),
                        cost_usd=0.0 if local else rng.random() / 1000,
                        arm=f"exp:{arm}",
                    )
                )
            )
            if rng.random() < 0.6:
                rated.append(Feedback(rid, float(rng.random() < rating_p), arm=f"exp:{arm}"))
    futs.append(audit.submit(AuditRecord(request_id="x", route="local", status=200, arm="o:a")))
    store.write_many(rated)
    for f in futs:
        f.result()


@pytest.fixture(scope="module")
def stores(
    pg: PgServer, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Path, str, Path]]:
    """(directory with audit.sqlite and feedback.sqlite, database URL, fleet key file),
    both holding the same records."""
    d = tmp_path_factory.mktemp("report-pg")
    url = pg.new_database()
    lite, lite_fb = (
        AuditLog(d / "audit.sqlite", synchronous="normal"),
        FeedbackStore(d / "feedback.sqlite"),
    )
    pglog, pgfb = PgAuditLog(url, key_path=d / "fleet.key"), PgFeedbackStore(url)
    try:
        _fill(lite, lite_fb)
        _fill(pglog, pgfb)
    finally:
        for s in (lite, lite_fb, pglog, pgfb):
            s.close()
    yield d, url, d / "fleet.key"


def _config(path: Path, url: str, key: Path, experiments: list[dict[str, Any]]) -> Path:
    path.write_text(
        yaml.safe_dump({"audit": {"url": url, "key_path": str(key)}, "experiments": experiments})
    )
    return path


def test_postgresql_gives_the_same_figures_as_sqlite(stores: tuple[Path, str, Path]) -> None:
    d, url, _ = stores
    arms = ("control", "same", "better")
    lite = build_report(d / "audit.sqlite", d / "feedback.sqlite", "exp", arms=arms)
    fleet = build_report(PgAuditReader(url), url, "exp", arms=arms)
    assert fleet.as_dict() == lite.as_dict()
    # Not an empty comparison: every arm has rows and ratings, and the real difference
    # is found in both the trail's figures and the ratings.
    assert [a.n for a in fleet.arms] == [150, 150, 150]
    assert all(a.figures["rating mean"].n > 50 for a in fleet.arms)
    assert ("better", "local share", "higher") in fleet.claims()
    assert ("better", "rating mean", "higher") in fleet.claims()


def test_cli_reads_the_configured_database(stores: tuple[Path, str, Path], tmp_path: Path) -> None:
    d, url, key = stores
    exp = {"name": "exp", "arms": [{"name": n} for n in ("control", "same", "better")]}
    config = _config(tmp_path / "c.yaml", url, key, [exp])

    def report(*flags: str) -> Any:
        out = io.StringIO()
        assert (
            experiments_cli(["report", "exp", "--json", "--config", str(config), *flags], out) == 0
        )
        return json.loads(out.getvalue())

    fleet = report()  # audit.url: trail and ratings from PostgreSQL
    # The flags name the store, whatever the config says (it still gives the arm order).
    lite = report("--db", str(d / "audit.sqlite"), "--feedback-db", str(d / "feedback.sqlite"))
    assert fleet == lite
    assert [a["rating mean"]["n"] > 0 for a in fleet["arms"]] == [True] * 3
    # --db with a URL takes the ratings from the same database.
    assert report("--db", url) == lite


def test_audit_costs_read_the_configured_database(
    stores: tuple[Path, str, Path], tmp_path: Path
) -> None:
    d, url, key = stores
    config = _config(tmp_path / "c.yaml", url, key, [])
    out_pg, out_lite = io.StringIO(), io.StringIO()
    assert audit_cli(["--costs", "--format", "json", "--config", str(config)], out_pg) == 0
    assert (
        audit_cli(["--costs", "--format", "json", "--db", str(d / "audit.sqlite")], out_lite) == 0
    )
    pg_costs, lite_costs = json.loads(out_pg.getvalue()), json.loads(out_lite.getvalue())
    for part in ("by_key", "by_tenant", "by_route"):
        assert pg_costs[part] == lite_costs[part], part
    assert pg_costs["total"]["requests"] == lite_costs["total"]["requests"] == 451
    assert pg_costs["total"]["cost_usd"] == pytest.approx(lite_costs["total"]["cost_usd"])
    assert pg_costs["total"]["cost_usd"] > 0
    for k in ("local_answers", "prompt_tokens", "completion_tokens"):
        assert pg_costs["avoided"][k] == lite_costs["avoided"][k] > 0


def test_a_second_rating_replaces_the_first_in_postgresql(pg: PgServer) -> None:
    url = pg.new_database()
    assert pg_ratings(url, "exp") == {}  # no router has stored feedback there yet
    a, b = PgFeedbackStore(url), PgFeedbackStore(url)  # two routers, one table
    try:
        first = a.write(Feedback("r1", 1.0, arm="exp:a"))
        assert b.write(Feedback("r1", 0.0, arm="exp:a")) == first
        b.write(Feedback("r2", 0.5, arm="other:a"))
    finally:
        a.close()
        b.close()
    assert pg_ratings(url, "exp") == {"r1": 0.0}
    with psycopg.connect(url) as conn:
        assert conn.execute("SELECT count(*) FROM feedback").fetchone() == (2,)


CLI = (sys.executable, "-m", "edge_router.cli")
# Two daemons on the real model: auto keeps a plain prompt local under the control arm
# (threshold 1: nothing is complex) and offloads it under "eager" (threshold 0).
EXP_POLICY = "name: exp\ndefault: auto\n"
EXPERIMENT = {
    "name": "fleet",
    "sticky": "session",
    "arms": [
        {"name": "control", "complexity_threshold": 1.0},
        {"name": "eager", "complexity_threshold": 0.0},
    ],
}


@pytest.fixture(scope="module")
def fleet(
    pg: PgServer,
    settings: Settings,
    fake: tuple[str, FakeControl],
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[Path, Settings, list[str], dict[str, str]]]:
    """(config file, settings, two routers' base URLs, a session header per arm)."""
    d = tmp_path_factory.mktemp("fleet-exp")
    (d / "policies").mkdir()
    (d / "policies" / "exp.yaml").write_text(EXP_POLICY)
    url = pg.new_database()
    config = _config(d / "config.yaml", url, d / "fleet.key", [EXPERIMENT])
    s = settings.model_copy(
        update={
            "audit": AuditSettings(url=url, key_path=str(d / "fleet.key")),
            # Given, so the test can tell that no rating lands in a local file.
            "feedback": FeedbackSettings(path=str(d / "feedback.sqlite")),
            "policy": PolicySettings(dir=str(d / "policies"), default="exp"),
            "providers": (fake_provider_settings(fake[0]),),
            "experiments": (ExperimentSettings.model_validate(EXPERIMENT),),
        }
    )
    # The second router keeps its local files elsewhere, as a second machine would: the
    # arms must still agree, because the assignment key derives from the shared one.
    (d / "b").mkdir()
    s_b = s.model_copy(update={"feedback": FeedbackSettings(path=str(d / "b" / "feedback.sqlite"))})
    with (
        serve(create_app(s, scanner=shared_scanner(), load=FakeLoadProbe("normal"))) as a,
        serve(create_app(s_b, scanner=shared_scanner(), load=FakeLoadProbe("normal"))) as b,
    ):
        exps = Experiments(s.experiments, assignment_key(s).digest)
        sessions: dict[str, str] = {}
        for i in range(200):
            headers = {"x-edge-router-session": f"s{i}"}
            got = exps.assign(key_id=None, tenant=None, key_policy=None, headers=headers)
            assert got is not None
            sessions.setdefault(got.arm.name, f"s{i}")
        assert set(sessions) == {"control", "eager"}
        yield config, s, [a, b], sessions


def _chat(base: str, session: str) -> str:
    client = openai.OpenAI(
        base_url=base + "/v1",
        api_key="x",
        max_retries=0,
        default_headers={"x-edge-router-session": session},
    )
    with client:
        raw = client.chat.completions.with_raw_response.create(
            model="auto", messages=[{"role": "user", "content": "Say hello"}], max_tokens=2
        )
    return str(raw.headers["x-request-id"])


def _rate(base: str, request_id: str, rating: float) -> None:
    with openai.OpenAI(base_url=base + "/v1", api_key="x", max_retries=0) as client:
        done = client.post(
            "/feedback", body={"request_id": request_id, "rating": rating}, cast_to=object
        )
    assert done["request_id"] == request_id  # type: ignore[index]


def test_two_routers_one_report(
    fleet: tuple[Path, Settings, list[str], dict[str, str]], control: FakeControl
) -> None:
    config, s, (a, b), sessions = fleet
    # Router A serves control twice and eager once, B the other way round; each
    # answer is rated on the other router.
    plan = [
        (a, b, "control", 1.0),
        (a, b, "control", 1.0),
        (a, b, "eager", 0.0),
        (b, a, "control", 0.0),
        (b, a, "eager", 0.5),
        (b, a, "eager", 0.5),
    ]
    for served, rated_on, arm, rating in plan:
        _rate(rated_on, _chat(served, sessions[arm]), rating)
    assert control.request_count == 3  # the eager arm's answers came from the provider
    env = {k: v for k, v in os.environ.items() if k != "EDGE_ROUTER_CONFIG"}
    done = subprocess.run(
        [*CLI, "experiments", "report", "fleet", "--config", str(config), "--json"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env=env,
    )
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    arms = {arm["name"]: arm for arm in report["arms"]}
    assert report["control"] == "control" and set(arms) == {"control", "eager"}
    # Three requests per arm: both routers' rows, not the one router's one or two.
    assert arms["control"]["n"] == arms["eager"]["n"] == 3
    assert arms["control"]["local share"]["value"] == 1.0
    assert arms["eager"]["local share"]["value"] == 0.0
    # Every rating, whichever router took it, and none in a router's own file.
    assert arms["control"]["rating mean"]["n"] == arms["eager"]["rating mean"]["n"] == 3
    assert arms["control"]["rating mean"]["value"] == pytest.approx(2 / 3)
    assert arms["eager"]["rating mean"]["value"] == pytest.approx(1 / 3)
    assert not Path(str(s.feedback.path)).exists()
    assert not (Path(str(s.feedback.path)).parent / "b" / "feedback.sqlite").exists()
    # Neither router made its own assignment key: both used the one derived from the
    # fleet's audit key.
    assert not Path(str(s.feedback.path) + ".key").exists()
