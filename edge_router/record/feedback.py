"""Feedback on answers (``POST /v1/feedback``), kept in its own SQLite file (a fleet's
PostgreSQL database with ``audit.url``: :mod:`edge_router.record.feedback_pg`).

One row per answered request (a later rating of the same request replaces the earlier
one): the rating, short labels, the comment only when the scanner found no personal
data in it (otherwise only the entity *types* it carried), and the request's key,
tenant and experiment arm copied from its audit record, so reports need no join
across files. The file sits beside the audit database (``feedback.sqlite``) unless
``feedback.path`` says otherwise; the experiments' assignment key lives beside it as
``<path>.key`` (mode 0600). WAL mode, ``synchronous=FULL``: an acknowledged rating
survives a power cut; removed rows are overwritten (``secure_delete``).

Example::

    store = FeedbackStore(Path("/tmp/feedback.sqlite"))
    ref = find_request(AuditReader(Path("/tmp/audit.sqlite")), "chatcmpl-...")   # None: unknown id
    store.write(Feedback(request_id="chatcmpl-...", rating=1.0, arm=ref.arm))
    store.close()
    ratings(Path("/tmp/feedback.sqlite"), "threshold")   # {"chatcmpl-...": 1.0}
"""

from __future__ import annotations

import contextlib
import json
import os
import sqlite3
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import Field

from edge_router.frozen import Frozen
from edge_router.record.audit import AuditSettings
from edge_router.record.audit_query import AuditReader
from edge_router.record.audit_schema import AuditError, read_only

_SCHEMA = """
CREATE TABLE IF NOT EXISTS feedback (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    ts REAL NOT NULL,
    request_id TEXT NOT NULL UNIQUE,
    key_id TEXT, tenant TEXT, arm TEXT,
    rating REAL NOT NULL,
    labels TEXT NOT NULL,                 -- JSON array of short tags
    comment TEXT,                         -- only a comment the scanner found clean
    comment_entity_types TEXT NOT NULL    -- JSON object type -> count (a dropped comment)
);
CREATE INDEX IF NOT EXISTS feedback_arm ON feedback (arm);
"""
_VERSION = 1


class FeedbackSettings(Frozen):
    """The ``feedback:`` section of the config file."""

    enabled: bool = True
    """Accept `POST /v1/feedback` (needs the audit trail, to check the request id)."""
    path: str | None = None
    """SQLite file for feedback. Default: `feedback.sqlite` beside the audit database;
    with `audit.url`, ratings go to that database instead. The experiments' assignment
    key (HMAC) lives beside it as `<path>.key` (mode 0600); with `audit.url` it is
    derived from `audit.key_path` instead, so a fleet shares it."""
    max_comment_chars: int = Field(default=2000, ge=0, le=100_000)
    """Longest comment accepted; a longer one gets 400. 0 refuses comments."""
    store_comments: bool = True
    """Keep comments the scanner found clean; false keeps only ratings, labels and the
    entity types of comments."""

    def resolve_path(self, audit: AuditSettings) -> Path:
        return Path(self.path) if self.path else audit.resolve_path().with_name("feedback.sqlite")

    def key_path(self, audit: AuditSettings) -> Path:
        p = self.resolve_path(audit)
        return p.with_name(p.name + ".key")


@dataclass(frozen=True)
class Feedback:
    """One rating of one answered request (no text but a comment found clean)."""

    request_id: str
    rating: float
    key_id: str | None = None
    tenant: str | None = None
    arm: str | None = None
    labels: tuple[str, ...] = ()
    comment: str | None = None
    comment_entity_types: Mapping[str, int] = field(default_factory=dict)
    ts: float = field(default_factory=time.time)


@dataclass(frozen=True)
class RequestRef:
    """What the audit trail says about a request feedback names."""

    key_id: str | None
    tenant: str | None
    arm: str | None
    endpoint: str


def find_request(audit: AuditReader, request_id: str) -> RequestRef | None:
    """The newest audit record of ``request_id``, or None (read-only; through the
    reader, so a fleet's PostgreSQL trail answers too)."""
    row = audit.latest(request_id)
    if row is None:
        return None
    return RequestRef(row["key_id"], row["tenant"], row["arm"], row["endpoint"])


_UPSERT = (
    "INSERT INTO feedback (ts, request_id, key_id, tenant, arm, rating, labels, comment, "
    "comment_entity_types) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT(request_id) DO "
    "UPDATE SET ts = excluded.ts, rating = excluded.rating, labels = excluded.labels, "
    "comment = excluded.comment, comment_entity_types = excluded.comment_entity_types "
    "RETURNING id"
)


def _values(fb: Feedback) -> tuple[Any, ...]:
    return (
        fb.ts,
        fb.request_id,
        fb.key_id,
        fb.tenant,
        fb.arm,
        fb.rating,
        json.dumps(list(fb.labels)),
        fb.comment,
        json.dumps(dict(fb.comment_entity_types), sort_keys=True),
    )


class FeedbackStore:
    """The feedback table: writes serialised by a lock, each one fsynced."""

    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        if not path.exists():
            os.close(os.open(path, os.O_WRONLY | os.O_CREAT, 0o600))
        try:
            self._conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        except sqlite3.Error as exc:
            raise AuditError(f"cannot open feedback db {path}: {exc}") from exc
        try:
            c = self._conn
            c.execute("PRAGMA busy_timeout = 5000")
            c.execute("PRAGMA journal_mode = WAL")
            c.execute("PRAGMA synchronous = FULL")
            c.execute("PRAGMA secure_delete = ON")
            version = c.execute("PRAGMA user_version").fetchone()[0]
            if version > _VERSION:
                raise AuditError(f"feedback db {path} has schema v{version}; expected v1")
            c.executescript(f"BEGIN; {_SCHEMA} PRAGMA user_version = {_VERSION}; COMMIT;")
        except sqlite3.Error as exc:
            self._conn.close()
            raise AuditError(f"cannot open feedback db {path}: {exc}") from exc
        except BaseException:
            self._conn.close()
            raise
        self._lock = threading.Lock()

    def write(self, fb: Feedback) -> int:
        """Store (or replace) the rating of ``fb.request_id``; returns its row id once
        durable."""
        return self.write_many([fb])[0]

    def write_many(self, items: Sequence[Feedback]) -> list[int]:
        """:meth:`write` for several ratings in one transaction (one fsync)."""
        with self._lock:
            try:
                self._conn.execute("BEGIN IMMEDIATE")
                ids = [self._conn.execute(_UPSERT, _values(fb)).fetchone()[0] for fb in items]
                self._conn.execute("COMMIT")
            except sqlite3.Error as exc:
                if self._conn.in_transaction:
                    with contextlib.suppress(sqlite3.Error):
                        self._conn.execute("ROLLBACK")
                raise AuditError(f"feedback write failed: {type(exc).__name__}") from exc
        return [int(i) for i in ids]

    def close(self) -> None:
        with self._lock, contextlib.suppress(sqlite3.Error):
            self._conn.close()


def ratings_on(conn: Any, experiment: str) -> dict[str, float]:
    """request id -> rating for every rated request of ``experiment``, on a read
    connection taking ``?`` placeholders (SQLite, or a fleet's PostgreSQL database
    through :class:`~edge_router.record.audit_pg_schema.Qmark`)."""
    prefix = experiment + ":"
    rows = conn.execute(
        "SELECT request_id, rating FROM feedback WHERE substr(arm, 1, ?) = ?",
        (len(prefix), prefix),
    ).fetchall()
    return {str(r): float(v) for r, v in rows}


def ratings(path: Path, experiment: str) -> dict[str, float]:
    """:func:`ratings_on` over a feedback SQLite file (read-only)."""
    with read_only(path) as conn:
        return ratings_on(conn, experiment)


def rows(path: Path) -> list[dict[str, Any]]:
    """Every feedback row, oldest first (tests and exports)."""
    with read_only(path) as conn:
        conn.row_factory = sqlite3.Row
        out = [dict(r) for r in conn.execute("SELECT * FROM feedback ORDER BY id")]
    for r in out:
        r["labels"] = json.loads(r["labels"])
        r["comment_entity_types"] = json.loads(r["comment_entity_types"])
    return out
