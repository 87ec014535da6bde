"""The audit trail's layout in PostgreSQL (a fleet's shared store), and reading it.

The table is the one :mod:`edge_router.record.audit_schema` defines for SQLite, column
for column and in the same order, so rows decode with the same
:func:`~edge_router.record.audit_schema.row_dict` and every query in
:class:`~edge_router.record.audit_query.AuditReader` runs unchanged on both (its SQL is
the portable subset; only the placeholder differs). ``tests/test_audit_pg.py`` checks
that both dialects produce the same columns: a migration added to one list must be
added to the other.

Versions live in ``audit_meta`` (SQLite keeps them in ``PRAGMA user_version``), with a
fingerprint of the fleet's content-hash key: every router of a fleet must hash with
the same key, or "was this text sent?" would only find the texts one router saw, so a
router whose key differs is refused at startup. The fingerprint is an HMAC of a fixed
string and reveals nothing about the key. Migrations run at startup under an advisory
lock, so routers starting together migrate once.

Example::

    reader = PgAuditReader("postgresql://router@db.internal/edge_router")
    reader.query(route="cloud", limit=10)
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import psycopg
from psycopg.conninfo import conninfo_to_dict

from edge_router.record.audit_hash import ContentHasher
from edge_router.record.audit_query import AuditReader
from edge_router.record.audit_schema import SCHEMA_VERSION, AuditError

# SQLite type -> PostgreSQL type: INTEGER is 64-bit and REAL a double in SQLite.
# The id is an identity column that is never reused, like SQLite's AUTOINCREMENT.
PG_MIGRATIONS: tuple[tuple[str, ...], ...] = (
    (
        """
        CREATE TABLE audit (
            id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            ts DOUBLE PRECISION NOT NULL,
            request_id TEXT NOT NULL,
            key_id TEXT, tenant TEXT,
            route TEXT NOT NULL, rule TEXT, action TEXT, provider TEXT, model TEXT,
            status BIGINT NOT NULL,
            entity_types TEXT NOT NULL,
            reasons TEXT NOT NULL,
            latency_ms DOUBLE PRECISION, prompt_tokens BIGINT, completion_tokens BIGINT,
            content_hashes TEXT NOT NULL
        )
        """,
        "CREATE INDEX audit_ts ON audit (ts)",
        "CREATE INDEX audit_key_ts ON audit (key_id, ts)",
    ),
    # v2
    ("ALTER TABLE audit ADD COLUMN endpoint TEXT",),
    # v3
    (
        "ALTER TABLE audit ADD COLUMN domain TEXT",
        "ALTER TABLE audit ADD COLUMN cost_usd DOUBLE PRECISION",
        "ALTER TABLE audit ADD COLUMN upstream_model TEXT",
        "ALTER TABLE audit ADD COLUMN reply_entity_types TEXT",
        "ALTER TABLE audit ADD COLUMN arm TEXT",
        "ALTER TABLE audit ADD COLUMN cache TEXT",
    ),
    # v4
    ("CREATE INDEX audit_request ON audit (request_id)",),
)
PG_SCHEMA_VERSION = len(PG_MIGRATIONS)

_META = """
CREATE TABLE IF NOT EXISTS audit_meta (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    schema_version INTEGER NOT NULL,
    key_check TEXT
)
"""
# pg_advisory_xact_lock key: "edge-router audit" as a number, fixed forever.
_LOCK = 0x6564676541554454
_KEY_CHECK = "edge-router audit key check"
CONNECT_TIMEOUT_S = 5


def describe(url: str) -> str:
    """The URL without its password, for messages and /status."""
    try:
        d = conninfo_to_dict(url)
    except psycopg.ProgrammingError:
        return "postgresql (unparsable URL)"
    host = d.get("host") or "localhost"
    port = f":{d['port']}" if d.get("port") else ""
    user = f"{d['user']}@" if d.get("user") else ""
    return f"postgresql://{user}{host}{port}/{d.get('dbname') or ''}"


def connect(url: str, *, read_only: bool = False) -> psycopg.Connection[Any]:
    """An autocommit connection; AuditError (naming no password) when unreachable."""
    try:
        conn = psycopg.connect(url, autocommit=True, connect_timeout=CONNECT_TIMEOUT_S)
    except psycopg.Error as exc:
        raise AuditError(f"cannot reach audit database {describe(url)}: {_reason(exc)}") from exc
    if read_only:
        conn.execute("SET default_transaction_read_only = on")
    return conn


def _reason(exc: BaseException) -> str:
    # libpq's first line says what failed (refused, auth, no such db) without secrets.
    first = str(exc).strip().splitlines()
    return first[-1][:200] if first else type(exc).__name__


def migrate_pg(conn: psycopg.Connection[Any], url: str, hasher: ContentHasher) -> None:
    """Bring the database up to :data:`PG_SCHEMA_VERSION`, refuse a newer one, and check
    (or, on a new database, record) the fleet's content-hash key."""
    if PG_SCHEMA_VERSION != SCHEMA_VERSION:  # a migration added to one dialect only
        raise AuditError("this edge-router's PostgreSQL and SQLite audit schemas differ")
    check = hasher.digest(_KEY_CHECK)
    while True:
        with conn.transaction():
            conn.execute("SELECT pg_advisory_xact_lock(%s)", (_LOCK,))
            conn.execute(_META)
            conn.execute(
                "INSERT INTO audit_meta (id, schema_version, key_check) VALUES (1, 0, %s) "
                "ON CONFLICT (id) DO NOTHING",
                (check,),
            )
            row = conn.execute("SELECT schema_version, key_check FROM audit_meta").fetchone()
            version, stored = (int(row[0]), row[1]) if row else (0, None)
            if version > PG_SCHEMA_VERSION:
                raise AuditError(
                    f"audit database {describe(url)} has schema v{version}; "
                    f"this edge-router knows v{PG_SCHEMA_VERSION}"
                )
            if stored != check:
                raise AuditError(
                    f"audit database {describe(url)} was set up with another content-hash "
                    "key: give every router of the fleet the same audit.key_path file"
                )
            if version == PG_SCHEMA_VERSION:
                return
            for statement in PG_MIGRATIONS[version]:
                conn.execute(statement)
            conn.execute("UPDATE audit_meta SET schema_version = %s", (version + 1,))


class Qmark:
    """A connection that takes SQLite's ``?`` placeholders, so one SQL text serves both
    dialects (the audit reader's queries, the feedback store's upsert and reads)."""

    def __init__(self, conn: psycopg.Connection[Any]) -> None:
        self._conn = conn

    def execute(self, sql: str, params: Sequence[Any] = ()) -> psycopg.Cursor[Any]:
        # The shared SQL holds no literal "?" or "%": only placeholders become %s.
        assert "%" not in sql
        return self._conn.execute(sql.replace("?", "%s"), params)


@contextlib.contextmanager
def pg_read(url: str) -> Iterator[Any]:
    """A read-only connection taking ``?`` placeholders, so SQL written for SQLite's
    :func:`~edge_router.record.audit_schema.read_only` runs unchanged (audit trail,
    feedback); server errors become AuditError naming no password."""
    conn = connect(url, read_only=True)
    try:
        yield Qmark(conn)
    except psycopg.Error as exc:
        raise AuditError(f"audit database {describe(url)}: {_reason(exc)}") from exc
    finally:
        conn.close()


class PgAuditReader(AuditReader):
    """:class:`AuditReader` over PostgreSQL: the same queries, exports and CLI."""

    def __init__(self, url: str) -> None:
        # Not super().__init__: in PgAuditLog the next class is the SQLite AuditLog.
        self.path = Path(describe(url))  # names the store in messages; no file
        self.url = url

    def _read(self) -> contextlib.AbstractContextManager[Any]:
        return pg_read(self.url)
