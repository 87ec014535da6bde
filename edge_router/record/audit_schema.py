"""The audit database's layout: table schema and migrations, column order, row decoding.

One definition shared by the writer (:mod:`edge_router.record.audit`) and the readers
(:mod:`edge_router.record.audit_query`), so both agree on what a row is. Also home of
:class:`AuditError`, which every part of the audit store raises.
"""

from __future__ import annotations

import contextlib
import json
import sqlite3
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from edge_router.errors import EdgeRouterError


class AuditError(EdgeRouterError):
    """The audit log cannot be opened or written; messages never quote record contents."""


# Schema migrations, applied in order; PRAGMA user_version holds how many ran.
_MIGRATIONS: tuple[str, ...] = (
    """
    CREATE TABLE audit (
        id INTEGER PRIMARY KEY AUTOINCREMENT,  -- never reused, so ids can be cited
        ts REAL NOT NULL,
        request_id TEXT NOT NULL,
        key_id TEXT, tenant TEXT,
        route TEXT NOT NULL, rule TEXT, action TEXT, provider TEXT, model TEXT,
        status INTEGER NOT NULL,
        entity_types TEXT NOT NULL,    -- JSON object type -> count
        reasons TEXT NOT NULL,         -- JSON array
        latency_ms REAL, prompt_tokens INTEGER, completion_tokens INTEGER,
        content_hashes TEXT NOT NULL   -- JSON array of keyed hashes
    );
    CREATE INDEX audit_ts ON audit (ts);
    CREATE INDEX audit_key_ts ON audit (key_id, ts);
    """,
    # v2: which endpoint made the decision. Older rows were all chat (NULL reads as it).
    """
    ALTER TABLE audit ADD COLUMN endpoint TEXT;
    """,
    # v3: routing strategies and the response guard. All nullable so older rows stay valid;
    # reply_entity_types NULL reads as "no reply findings" (the guard did not exist).
    """
    ALTER TABLE audit ADD COLUMN domain TEXT;
    ALTER TABLE audit ADD COLUMN cost_usd REAL;
    ALTER TABLE audit ADD COLUMN upstream_model TEXT;
    ALTER TABLE audit ADD COLUMN reply_entity_types TEXT;
    ALTER TABLE audit ADD COLUMN arm TEXT;
    ALTER TABLE audit ADD COLUMN cache TEXT;
    """,
    # v4: feedback and `audit --request-id` look rows up by request id; without an index
    # each lookup scans the whole trail.
    """
    CREATE INDEX audit_request ON audit (request_id);
    """,
)
SCHEMA_VERSION = len(_MIGRATIONS)
COLUMNS = (
    *("id", "ts", "request_id", "key_id", "tenant", "route", "rule", "action", "provider"),
    *("model", "status", "entity_types", "reasons", "latency_ms", "prompt_tokens"),
    *("completion_tokens", "content_hashes", "endpoint"),
    *("domain", "cost_usd", "upstream_model", "reply_entity_types", "arm", "cache"),
)
"""Every column, in table order (``id`` first)."""
JSON_COLUMNS = ("entity_types", "reasons", "content_hashes", "reply_entity_types")
"""Columns stored as JSON text."""


def migrate(conn: sqlite3.Connection, path: Path) -> None:
    """Bring the database on ``conn`` up to :data:`SCHEMA_VERSION`; refuse a newer one."""
    version: int = conn.execute("PRAGMA user_version").fetchone()[0]
    if version > SCHEMA_VERSION:
        raise AuditError(
            f"audit db {path} has schema v{version}; this edge-router knows v{SCHEMA_VERSION}"
        )
    for n in range(version, SCHEMA_VERSION):
        try:
            conn.executescript(
                f"BEGIN IMMEDIATE; {_MIGRATIONS[n]}; PRAGMA user_version = {n + 1}; COMMIT;"
            )
        except sqlite3.Error:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise


@contextlib.contextmanager
def read_only(path: Path, what: str = "database") -> Iterator[sqlite3.Connection]:
    """A read-only connection to an existing SQLite file (the audit trail, feedback)."""
    if not path.is_file():
        raise AuditError(f"no {what} at {path}")
    # mode=rw: never create a file here; query_only: this connection cannot write.
    conn = sqlite3.connect(f"file:{path}?mode=rw", uri=True, isolation_level=None)
    try:
        conn.execute("PRAGMA query_only = ON")
        conn.execute("PRAGMA busy_timeout = 5000")
        yield conn
    finally:
        conn.close()


def _iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def row_dict(row: sqlite3.Row) -> dict[str, Any]:
    """A row selected as :data:`COLUMNS` -> a dict: ``ts`` as ISO 8601 UTC, JSON decoded."""
    d = dict(zip(COLUMNS, row, strict=True))
    d["ts"] = _iso(d["ts"])
    d["endpoint"] = d["endpoint"] or "chat"  # rows from before schema v2
    d["reply_entity_types"] = d["reply_entity_types"] or "{}"  # rows from before v3
    for c in JSON_COLUMNS:
        d[c] = json.loads(d[c])
    return d
