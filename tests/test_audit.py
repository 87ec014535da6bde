"""Audit trail: round trip, filters, exports, retention, no raw text, crash durability."""

from __future__ import annotations

import asyncio
import csv
import hashlib
import io
import json
import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from edge_router.record.audit import AuditLog, AuditRecord, AuditSettings
from edge_router.record.audit_cli import audit_cli
from edge_router.record.audit_schema import SCHEMA_VERSION, AuditError

REPO = Path(__file__).resolve().parent.parent
PII = ["jane.doe@example.com", "+1 415 555 0134", "4111 1111 1111 1111", "Jane Doe"]


@pytest.fixture()
def db(tmp_path: Path) -> Path:
    return tmp_path / "state" / "audit.sqlite"


@pytest.fixture()
def log(db: Path) -> Iterator[AuditLog]:
    lg = AuditLog(db)
    yield lg
    lg.close()


def rec(i: int = 0, **kw: Any) -> AuditRecord:
    base: dict[str, Any] = {
        "request_id": f"req-{i}",
        "route": "local",
        "status": 200,
        "key_id": "ci",
        "rule": "default",
    }
    base.update(kw)
    return AuditRecord(**base)


def test_round_trip(log: AuditLog) -> None:
    r = AuditRecord(
        request_id="req-1",
        route="cloud",
        status=200,
        ts=1_700_000_000.25,
        key_id="ci",
        tenant="acme",
        rule="redact-pii",
        action="redact",
        provider="openai",
        model="gpt-4o-mini",
        entity_types={"EMAIL_ADDRESS": 2, "PERSON": 1},
        reasons=("entity:EMAIL_ADDRESS",),
        latency_ms=12.5,
        prompt_tokens=30,
        completion_tokens=7,
        content_hashes=log.hasher.digests(["hello", "world"]),
        domain="code",
        cost_usd=0.00042,
        upstream_model="gpt-4o-mini-2024-07-18",
        reply_entity_types={"PHONE_NUMBER": 1},
        arm="exp1:b",
        cache="miss",
    )
    row_id = asyncio.run(log.record(r))
    [row] = log.query()
    assert row == {
        "id": row_id,
        "ts": "2023-11-14T22:13:20.250Z",
        "request_id": "req-1",
        "key_id": "ci",
        "tenant": "acme",
        "route": "cloud",
        "rule": "redact-pii",
        "action": "redact",
        "provider": "openai",
        "model": "gpt-4o-mini",
        "status": 200,
        "entity_types": {"EMAIL_ADDRESS": 2, "PERSON": 1},
        "reasons": ["entity:EMAIL_ADDRESS"],
        "latency_ms": 12.5,
        "prompt_tokens": 30,
        "completion_tokens": 7,
        "content_hashes": list(log.hasher.digests(["hello", "world"])),
        "endpoint": "chat",
        "domain": "code",
        "cost_usd": 0.00042,
        "upstream_model": "gpt-4o-mini-2024-07-18",
        "reply_entity_types": {"PHONE_NUMBER": 1},
        "arm": "exp1:b",
        "cache": "miss",
    }


def test_concurrent_records_get_distinct_ids(log: AuditLog) -> None:
    async def many() -> list[int]:
        return await asyncio.gather(*(log.record(rec(i)) for i in range(300)))

    ids = asyncio.run(many())
    assert ids == list(range(1, 301))  # more than one batch, still in submission order
    assert len(log.query(limit=None)) == 300


def test_cancelled_waiter_still_gets_its_record_written(log: AuditLog) -> None:
    async def cancel_one() -> None:
        task = asyncio.create_task(log.record(rec(7)))
        await asyncio.sleep(0)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    asyncio.run(cancel_one())
    log.record_sync(rec(8))  # the writer is in order: 7 is in once 8 is
    assert {r["request_id"] for r in log.query()} == {"req-7", "req-8"}


def test_cancelled_future_and_failed_write_keep_the_writer_alive(log: AuditLog, db: Path) -> None:
    futs = [log.submit(rec(i)) for i in range(50)]
    futs[-1].cancel()  # may or may not win the race with the writer; neither may kill it
    assert log.record_sync(rec(99)) > 0
    conn = sqlite3.connect(db)
    try:
        conn.execute("DROP TABLE audit")  # sabotage: the next insert fails
        conn.commit()
    finally:
        conn.close()
    with pytest.raises(AuditError, match="audit write failed: OperationalError"):
        log.record_sync(rec(100), timeout=10)
    with pytest.raises(AuditError):
        log.record_sync(rec(101), timeout=10)  # still answering, not hung


def test_query_filters(log: AuditLog) -> None:
    t0 = 1_700_000_000.0
    log.record_sync(rec(1, ts=t0, key_id="a", route="local", rule="r1"))
    log.record_sync(rec(2, ts=t0 + 10, key_id="b", route="cloud", rule="r2"))
    log.record_sync(rec(3, ts=t0 + 20, key_id="a", route="block", rule="r2"))
    log.record_sync(rec(4, ts=t0 + 30, key_id="b", route="cloud", rule="r1"))

    def ids(**kw: object) -> list[str]:
        return [r["request_id"] for r in log.query(**kw)]  # type: ignore[arg-type]

    assert ids() == ["req-4", "req-3", "req-2", "req-1"]  # newest first
    assert ids(key_id="a") == ["req-3", "req-1"]
    assert ids(route="cloud") == ["req-4", "req-2"]
    assert ids(rule="r2") == ["req-3", "req-2"]
    assert ids(since=t0 + 10, until=t0 + 30) == ["req-3", "req-2"]  # until is exclusive
    assert ids(route="cloud", rule="r1") == ["req-4"]
    assert ids(limit=1) == ["req-4"]
    assert ids(since=datetime.fromtimestamp(t0 + 25, UTC)) == ["req-4"]


def test_endpoint_column_and_filter(log: AuditLog) -> None:
    log.record_sync(rec(1))
    log.record_sync(rec(2, endpoint="route"))
    log.record_sync(rec(3, endpoint="embeddings"))
    rows = log.query()
    assert [(r["request_id"], r["endpoint"]) for r in rows] == [
        ("req-3", "embeddings"),
        ("req-2", "route"),
        ("req-1", "chat"),
    ]
    assert [r["request_id"] for r in log.query(endpoint="route")] == ["req-2"]
    assert [r["request_id"] for r in log.query(endpoint="chat")] == ["req-1"]


def test_v1_database_is_migrated_and_its_rows_read_as_chat(db: Path) -> None:
    """A trail written before the endpoint column keeps its rows; they were all chat."""
    from edge_router.record import audit_schema

    db.parent.mkdir(parents=True)
    now = time.time()  # recent: retention would prune an old row when the log opens
    conn = sqlite3.connect(db)
    try:
        conn.executescript(audit_schema._MIGRATIONS[0])
        conn.execute(
            "INSERT INTO audit (ts, request_id, route, status, entity_types, reasons,"
            " content_hashes) VALUES (?, 'old-1', 'local', 200, '{}', '[]', '[]')",
            (now - 60,),
        )
        conn.execute("PRAGMA user_version = 1")
        conn.commit()
    finally:
        conn.close()
    db.chmod(0o600)
    lg = AuditLog(db)
    try:
        lg.record_sync(rec(2, endpoint="route"))
        assert [(r["request_id"], r["endpoint"]) for r in lg.query()] == [
            ("req-2", "route"),
            ("old-1", "chat"),
        ]
        assert [r["request_id"] for r in lg.query(endpoint="chat")] == ["old-1"]
    finally:
        lg.close()


def test_exports_parse(log: AuditLog) -> None:
    for i in range(3):
        log.record_sync(rec(i, entity_types={"PERSON": i}, reasons=("a", "b,c")))
    data = json.loads(log.export("json"))
    assert [r["request_id"] for r in data] == ["req-0", "req-1", "req-2"]  # oldest first
    lines = log.export("jsonl", route="local").splitlines()
    assert [json.loads(x)["entity_types"] for x in lines] == [{"PERSON": i} for i in range(3)]
    rows = list(csv.DictReader(io.StringIO(log.export("csv", limit=2))))
    assert len(rows) == 2
    assert json.loads(rows[1]["entity_types"]) == {"PERSON": 1}
    assert json.loads(rows[1]["reasons"]) == ["a", "b,c"]
    assert json.loads(log.export("json", key_id="nobody")) == []
    out = io.StringIO()
    assert log.export_to(out, "jsonl") == 3


def test_retention_by_age_and_rows(db: Path) -> None:
    now = time.time()
    lg = AuditLog(db, retention_days=1, max_rows=0)
    try:
        lg.record_sync(rec(1, ts=now - 3 * 86400))
        lg.record_sync(rec(2, ts=now - 2 * 86400))
        lg.record_sync(rec(3, ts=now - 60))
        assert lg.prune(now) == 2
        assert [r["request_id"] for r in lg.query()] == ["req-3"]
    finally:
        lg.close()
    lg = AuditLog(db, retention_days=0, max_rows=2)  # applied at open too
    try:
        for i in range(4, 8):
            lg.record_sync(rec(i))
        lg.prune()
        assert [r["request_id"] for r in lg.query()] == ["req-7", "req-6"]
    finally:
        lg.close()


def test_writer_prunes_while_idle(db: Path) -> None:
    lg = AuditLog(db, retention_days=1, prune_interval_s=0.05)
    try:
        lg.record_sync(rec(1, ts=time.time() - 2 * 86400))
        deadline = time.monotonic() + 5
        while lg.query() and time.monotonic() < deadline:
            time.sleep(0.02)
        assert lg.query() == []
    finally:
        lg.close()


def test_no_raw_text_on_disk(db: Path) -> None:
    lg = AuditLog(db)
    try:
        for i, value in enumerate(PII):
            prompt = f"Please email {value} about the invoice"
            lg.record_sync(
                rec(
                    i,
                    entity_types={"EMAIL_ADDRESS": 1, "PERSON": 1},
                    content_hashes=lg.hasher.digests([prompt, value]),
                )
            )
        # Hashes are keyed: not the plain SHA-256 an attacker could recompute.
        plain = hashlib.sha256(PII[0].encode()).hexdigest()[:32]
        assert lg.hasher.digest(PII[0]) != plain
        files = [p for p in db.parent.iterdir() if p.name.startswith(db.name)]
        blob = b"".join(p.read_bytes() for p in files)  # db, -wal, -shm, key
        assert blob
        for value in PII:
            for needle in (value, value.replace(" ", ""), value.split("@")[0]):
                assert needle.encode() not in blob, needle
            assert hashlib.sha256(value.encode()).hexdigest().encode() not in blob
    finally:
        lg.close()


@pytest.mark.parametrize(
    "bad",
    [
        {"route": "elsewhere"},
        {"entity_types": {"jane.doe@example.com is here": 1}},
        {"entity_types": {"PERSON": -1}},
        {"content_hashes": ("Jane Doe",)},
        {"reasons": ("x" * 500,)},
        {"endpoint": "jane.doe@example.com"},
    ],
)
def test_record_rejects_shapes_that_could_carry_text(bad: dict[str, Any]) -> None:
    with pytest.raises(ValueError):
        rec(**bad)


def test_files_are_private_and_key_is_checked(db: Path) -> None:
    AuditLog(db).close()
    key = db.with_name(db.name + ".key")
    assert db.stat().st_mode & 0o777 == 0o600
    assert key.stat().st_mode & 0o777 == 0o600
    first = key.read_text()
    AuditLog(db).close()
    assert key.read_text() == first  # generated once, reused
    key.chmod(0o644)
    with pytest.raises(AuditError, match="chmod 600"):
        AuditLog(db)


def test_schema_version_and_newer_schema_refused(db: Path) -> None:
    AuditLog(db).close()
    conn = sqlite3.connect(db)
    try:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
        conn.commit()
    finally:
        conn.close()
    with pytest.raises(AuditError, match="knows v"):
        AuditLog(db)


def test_closed_log_refuses(db: Path) -> None:
    lg = AuditLog(db)
    lg.close()
    lg.close()  # idempotent
    with pytest.raises(AuditError, match="closed"):
        lg.record_sync(rec())


def test_settings_default_path_follows_state_directory(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("STATE_DIRECTORY", str(tmp_path))
    assert AuditSettings().resolve_path() == tmp_path / "audit.sqlite"
    monkeypatch.delenv("STATE_DIRECTORY")
    # Outside systemd: the user's XDG state directory, never the checkout.
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "xdg"))
    assert AuditSettings().resolve_path() == tmp_path / "xdg" / "edge-router" / "audit.sqlite"
    monkeypatch.setenv("XDG_STATE_HOME", "relative/ignored")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    home_db = tmp_path / "home" / ".local" / "state" / "edge-router" / "audit.sqlite"
    assert AuditSettings().resolve_path() == home_db
    assert AuditSettings(path="/x/a.db").resolve_path() == Path("/x/a.db")
    with pytest.raises(ValueError):
        AuditSettings(retention=3)  # type: ignore[call-arg]


def test_cli(log: AuditLog, db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    log.record_sync(rec(1, route="cloud", entity_types={"PERSON": 2}, latency_ms=5.0))
    log.record_sync(rec(2, route="local"))
    out = io.StringIO()
    assert audit_cli(["--db", str(db), "--route", "cloud", "--format", "json"], out=out) == 0
    assert [r["request_id"] for r in json.loads(out.getvalue())] == ["req-1"]
    out = io.StringIO()
    assert audit_cli(["--db", str(db), "--format", "csv", "--since", "1h"], out=out) == 0
    assert len(list(csv.DictReader(io.StringIO(out.getvalue())))) == 2
    out = io.StringIO()
    assert audit_cli(["--db", str(db), "--limit", "5"], out=out) == 0
    table = out.getvalue().splitlines()
    assert table[0].split()[:4] == ["id", "ts", "endpoint", "request_id"]
    assert "PERSON=2" in table[1] and "req-2" in table[2]  # newest last
    out = io.StringIO()
    assert audit_cli(["--db", str(db), "--endpoint", "route", "--format", "json"], out=out) == 0
    assert json.loads(out.getvalue()) == []
    assert audit_cli(["--db", str(db.with_name("missing.sqlite"))]) == 2
    assert "no audit database" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        audit_cli(["--db", str(db), "--since", "yesterday"])


_WRITER = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    from edge_router.record.audit import AuditLog, AuditRecord

    log = AuditLog(Path(sys.argv[1]))
    i = 0
    while True:
        i += 1
        row = log.record_sync(AuditRecord(request_id=f"r{i}", route="local", status=200))
        sys.stdout.write(f"{row}\\n")
        sys.stdout.flush()
    """
)


def test_sigkill_mid_write_loses_no_acknowledged_record(db: Path) -> None:
    proc = subprocess.Popen(
        [sys.executable, "-c", _WRITER, str(db)],
        cwd=REPO,
        env={**os.environ, "PYTHONPATH": str(REPO)},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    acked: list[int] = []
    try:
        assert proc.stdout is not None
        deadline = time.monotonic() + 30
        while len(acked) < 300 and time.monotonic() < deadline:
            line = proc.stdout.readline()
            if not line:
                break
            acked.append(int(line))
        os.kill(proc.pid, signal.SIGKILL)
        # Lines printed between our last read and the kill were acknowledged too.
        rest, err = proc.communicate(timeout=30)
        acked += [int(x) for x in rest.split(b"\n") if x.strip()]
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == -signal.SIGKILL
    assert len(acked) >= 300, err.decode(errors="replace")[-2000:]
    conn = sqlite3.connect(db)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        stored = {r[0] for r in conn.execute("SELECT id FROM audit")}
    finally:
        conn.close()
    assert set(acked) <= stored
    lg = AuditLog(db)  # and the log reopens and carries on
    try:
        assert lg.record_sync(rec()) > max(acked)
    finally:
        lg.close()


def test_cli_finds_db_through_config(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("STATE_DIRECTORY", str(tmp_path))
    lg = AuditLog(tmp_path / "audit.sqlite")
    try:
        lg.record_sync(rec(1))
    finally:
        lg.close()
    cfg = tmp_path / "config.yaml"
    cfg.write_text("server:\n  port: 8099\n")
    out = io.StringIO()
    assert audit_cli(["--config", str(cfg), "--format", "jsonl"], out=out) == 0
    assert json.loads(out.getvalue())["request_id"] == "req-1"
    cfg.write_text("server:\n  port: 0\n")
    assert audit_cli(["--config", str(cfg)]) == 2
    assert "invalid config" in capsys.readouterr().err


@pytest.mark.parametrize(
    "bad",
    [
        {"domain": "a label with spaces"},
        {"upstream_model": "x" * 200},
        {"cost_usd": -1.0},
        {"cost_usd": float("nan")},
        {"reply_entity_types": {"not a type": 1}},
        {"arm": "jane@example.com is here"},
    ],
)
def test_v3_fields_refuse_free_text(bad: dict[str, object]) -> None:
    # The v3 columns are labels and numbers: nothing shaped like prompt text gets in.
    with pytest.raises(ValueError):
        AuditRecord(request_id="r", route="local", status=200, **bad)  # type: ignore[arg-type]


def test_request_id_lookups_use_the_index(log: AuditLog, db: Path) -> None:
    # Feedback looks records up by request id; schema v4 indexes it, so a lookup does
    # not scan the whole trail.
    asyncio.run(log.record(rec(7)))
    assert log.latest("req-7") is not None and log.latest("req-none") is None
    conn = sqlite3.connect(db)
    try:
        plan = conn.execute(
            "EXPLAIN QUERY PLAN SELECT id FROM audit WHERE request_id = ? ORDER BY id DESC",
            ("req-7",),
        ).fetchall()
    finally:
        conn.close()
    assert any("audit_request" in str(step) for step in plan), plan
