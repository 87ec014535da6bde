"""The audit trail in PostgreSQL: schema parity with SQLite, migrations, the shared key,
and the writer through a real outage (pg_ctl stop / start of a real server).

Daemon-level fleet tests (two routers on one database) are in test_audit_pg_fleet.py;
the ``pg`` server fixture is in conftest.py.
"""

from __future__ import annotations

import concurrent.futures
import io
import json
import sqlite3
import threading
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from pg_fixture import PgServer

from edge_router.record.audit import AuditLog, AuditRecord, AuditSettings
from edge_router.record.audit_cli import audit_cli
from edge_router.record.audit_pg import PgAuditLog
from edge_router.record.audit_pg_schema import PG_MIGRATIONS, PgAuditReader
from edge_router.record.audit_query import AuditQuery
from edge_router.record.audit_schema import SCHEMA_VERSION, AuditError, migrate


@pytest.fixture()
def url(pg: PgServer) -> str:
    return pg.new_database()


@pytest.fixture()
def key(tmp_path: Path) -> Path:
    return tmp_path / "fleet.key"


@pytest.fixture()
def log(url: str, key: Path) -> Iterator[PgAuditLog]:
    opened = PgAuditLog(url, key_path=key)
    yield opened
    opened.close()


def rec(i: int, **kw: object) -> AuditRecord:
    return AuditRecord(request_id=f"r{i}", route="local", status=200, **kw)  # type: ignore[arg-type]


def test_one_migration_list_per_dialect() -> None:
    assert len(PG_MIGRATIONS) == SCHEMA_VERSION, "add the new SQLite migration to audit_pg_schema"


# SQLite declared type -> what the PostgreSQL migration must make of it.
_PG_TYPE = {"INTEGER": {"bigint", "integer"}, "REAL": {"double precision"}, "TEXT": {"text"}}


def test_both_dialects_produce_the_same_columns(log: PgAuditLog, url: str) -> None:
    lite = sqlite3.connect(":memory:", isolation_level=None)
    migrate(lite, Path(":memory:"))
    lite_cols = [
        (name, decl, bool(notnull) or bool(pk))
        for _, name, decl, notnull, _, pk in lite.execute("PRAGMA table_info(audit)")
    ]
    with psycopg.connect(url) as conn:
        pg_cols = conn.execute(
            "SELECT column_name, data_type, is_nullable = 'NO' FROM information_schema.columns "
            "WHERE table_name = 'audit' ORDER BY ordinal_position"
        ).fetchall()
        indexes = {r[0] for r in conn.execute("SELECT indexname FROM pg_indexes")}
    assert [c[0] for c in pg_cols] == [c[0] for c in lite_cols]
    for (name, decl, notnull), (_, pg_type, pg_notnull) in zip(lite_cols, pg_cols, strict=True):
        assert pg_type in _PG_TYPE[decl], name
        assert pg_notnull == notnull, name
    lite_indexes = {r[0] for r in lite.execute("SELECT name FROM sqlite_master WHERE type='index'")}
    assert {i for i in lite_indexes if not i.startswith("sqlite_")} <= indexes


def test_records_read_back_like_sqlite(log: PgAuditLog, tmp_path: Path) -> None:
    lite = AuditLog(tmp_path / "a.sqlite")
    try:
        for store in (log, lite):
            store.record_sync(rec(1, key_id="ci", cost_usd=0.25, entity_types={"PERSON": 2}))
            store.record_sync(rec(2, key_id="ci", cost_usd=0.5, reply_entity_types={"X": 1}))
            store.record_sync(AuditRecord(request_id="r3", route="cloud", status=200))

        def rows(store: AuditLog) -> list[dict[str, object]]:
            lines = store.export("jsonl").splitlines()
            return [{k: v for k, v in json.loads(x).items() if k != "ts"} for x in lines]

        assert rows(log) == rows(lite)
        assert len(rows(log)) == 3
        assert log.spend_since(0, "key_id") == lite.spend_since(0, "key_id") == {"ci": 0.75}
        for group in ("key", "tenant", "route"):
            assert log.cost_by(AuditQuery(), group) == lite.cost_by(AuditQuery(), group)
        assert log.local_tokens(AuditQuery()) == lite.local_tokens(AuditQuery())
    finally:
        lite.close()


def test_cli_reads_the_database(log: PgAuditLog, url: str) -> None:
    for i in range(3):
        log.record_sync(rec(i, key_id="ci"))
    out = io.StringIO()
    assert audit_cli(["--db", url, "--format", "jsonl"], out) == 0
    assert [json.loads(line)["request_id"] for line in out.getvalue().splitlines()] == [
        "r0",
        "r1",
        "r2",
    ]


def test_cli_unreachable_database_is_a_clear_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert audit_cli(["--db", "postgresql://nobody:secret@127.0.0.1:1/x"]) == 2
    err = capsys.readouterr().err
    assert "cannot reach audit database postgresql://nobody@127.0.0.1:1/x" in err
    assert "secret" not in err


def test_migrations_are_idempotent_and_run_once_for_routers_starting_together(
    url: str, key: Path
) -> None:
    with concurrent.futures.ThreadPoolExecutor(4) as pool:
        logs = list(pool.map(lambda _: PgAuditLog(url, key_path=key), range(4)))
    for opened in logs:
        opened.close()
    again = PgAuditLog(url, key_path=key)  # a restart: nothing left to migrate
    again.close()
    with psycopg.connect(url) as conn:
        assert conn.execute("SELECT schema_version FROM audit_meta").fetchone() == (SCHEMA_VERSION,)


def test_a_newer_schema_is_refused(url: str, key: Path) -> None:
    PgAuditLog(url, key_path=key).close()
    with psycopg.connect(url) as conn:
        conn.execute("UPDATE audit_meta SET schema_version = %s", (SCHEMA_VERSION + 1,))
    with pytest.raises(AuditError, match=f"schema v{SCHEMA_VERSION + 1}"):
        PgAuditLog(url, key_path=key)


def test_a_router_with_another_key_is_refused(url: str, key: Path, tmp_path: Path) -> None:
    PgAuditLog(url, key_path=key).close()
    with pytest.raises(AuditError, match=r"same audit\.key_path"):
        PgAuditLog(url, key_path=tmp_path / "other.key")


def test_fleet_hashes_agree(url: str, key: Path) -> None:
    a, b = PgAuditLog(url, key_path=key), PgAuditLog(url, key_path=key)
    try:
        assert a.hasher.digests(["same text"]) == b.hasher.digests(["same text"])
    finally:
        a.close()
        b.close()


def test_settings_need_a_shared_key_with_a_url() -> None:
    with pytest.raises(ValueError, match="key_path"):
        AuditSettings(url="postgresql://router@db/edge")
    with pytest.raises(ValueError, match="postgresql://"):
        AuditSettings(url="mysql://db/edge", key_path="/k")
    s = AuditSettings(url="postgresql://router@db/edge", key_path="/etc/edge-router/audit.key")
    assert s.resolve_key_path() == Path("/etc/edge-router/audit.key")


def test_outage_loses_no_acknowledged_record(pg: PgServer, log: PgAuditLog, url: str) -> None:
    before = [log.record_sync(rec(i)) for i in range(5)]
    pg.stop()
    try:
        during = [log.submit(rec(100 + i)) for i in range(5)]
        # Not acknowledged while the server is away: nothing is claimed durable.
        done, _ = concurrent.futures.wait(during, timeout=3)
        assert not done
        assert not log.available
    finally:
        pg.start()
    after = [f.result(timeout=60) for f in during]
    assert log.available
    assert log.record_sync(rec(200), timeout=60) > 0
    ids = {r["request_id"]: r["id"] for r in PgAuditReader(url).query(limit=None)}
    assert set(ids) == {f"r{i}" for i in (*range(5), *range(100, 105), 200)}
    assert sorted(ids[f"r{i}"] for i in range(5)) == before
    assert sorted(ids[f"r{100 + i}"] for i in range(5)) == sorted(after)


def test_idle_writer_notices_an_outage_and_the_return(pg: PgServer, log: PgAuditLog) -> None:
    seen = threading.Event()
    pg.stop()
    try:
        for _ in range(200):  # the idle probe, not a write, must notice
            if not log.available:
                seen.set()
                break
            threading.Event().wait(0.05)
    finally:
        pg.start()
    assert seen.is_set()
    assert log.record_sync(rec(1), timeout=60) > 0


def test_shutdown_with_the_server_away_fails_unacknowledged_records(
    pg: PgServer, url: str, key: Path
) -> None:
    log = PgAuditLog(url, key_path=key)
    pg.stop()
    try:
        fut = log.submit(rec(1))
        log.close()  # waits its grace period for the server, then gives up
        with pytest.raises(AuditError):
            fut.result(timeout=0)
    finally:
        pg.start()
