"""Feedback in a fleet's PostgreSQL database (``audit.url``), beside the shared trail.

With ``audit.url`` set, every router writes its ratings to one ``feedback`` table in
that database, so ``edge-router experiments report`` rates the whole fleet's traffic,
not the share one router happened to receive. The table has the SQLite store's columns
and is written and read with the SQLite store's SQL (:mod:`edge_router.record.feedback`,
run through :class:`~edge_router.record.audit_pg_schema.Qmark`); PostgreSQL's commit is
durable, so an acknowledged rating survives a crash as it does on SQLite.

A write that meets a lost connection reconnects and runs once more: the upsert is keyed
by request id, so a commit whose answer was lost and is then repeated leaves one row.
A write that still fails is an AuditError (the API answers 500; the client may retry).

Example::

    store = PgFeedbackStore("postgresql://router@db.internal/edge_router")
    store.write(Feedback(request_id="chatcmpl-...", rating=1.0, arm="threshold:low"))
    store.close()
    pg_ratings("postgresql://router@db.internal/edge_router", "threshold")
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import psycopg

from edge_router.record.audit_pg_schema import Qmark, connect, describe, pg_read
from edge_router.record.audit_schema import AuditError
from edge_router.record.feedback import (
    _UPSERT,
    _VERSION,
    Feedback,
    FeedbackStore,
    _values,
    ratings_on,
)

# The SQLite schema's columns, in its order; REAL is a double there.
_PG_SCHEMA = (
    """
    CREATE TABLE IF NOT EXISTS feedback (
        id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        ts DOUBLE PRECISION NOT NULL,
        request_id TEXT NOT NULL UNIQUE,
        key_id TEXT, tenant TEXT, arm TEXT,
        rating DOUBLE PRECISION NOT NULL,
        labels TEXT NOT NULL,
        comment TEXT,
        comment_entity_types TEXT NOT NULL
    )
    """,
    "CREATE INDEX IF NOT EXISTS feedback_arm ON feedback (arm)",
)
# SQLite keeps the version in PRAGMA user_version; here a one-row table, as audit_meta.
_META = """
CREATE TABLE IF NOT EXISTS feedback_meta (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    schema_version INTEGER NOT NULL
)
"""
# pg_advisory_xact_lock key: "edgeFDBK" as a number, fixed forever (routers starting
# together create the table once; audit_pg_schema's lock is another number).
_LOCK = 0x6564676546444240


def _migrate(conn: psycopg.Connection[Any], url: str) -> None:
    with conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(%s)", (_LOCK,))
        conn.execute(_META)
        row = conn.execute("SELECT schema_version FROM feedback_meta").fetchone()
        version = int(row[0]) if row else 0
        if version > _VERSION:
            raise AuditError(
                f"feedback in {describe(url)} has schema v{version}; expected v{_VERSION}"
            )
        if version == _VERSION:
            return
        for statement in _PG_SCHEMA:
            conn.execute(statement)
        conn.execute(
            "INSERT INTO feedback_meta (id, schema_version) VALUES (1, %s) "
            "ON CONFLICT (id) DO UPDATE SET schema_version = excluded.schema_version",
            (_VERSION,),
        )


class PgFeedbackStore(FeedbackStore):
    """The feedback table in PostgreSQL: a :class:`FeedbackStore` (same ``write``,
    ``write_many``, ``close``), one connection, writes serialised by a lock."""

    def __init__(self, url: str) -> None:
        # Deliberately not FeedbackStore.__init__: that one opens a SQLite file.
        self.path = Path(describe(url))  # names the store in messages; no file
        self.url = url
        self._lock = threading.Lock()
        self._pg: psycopg.Connection[Any] | None = connect(url)
        try:
            _migrate(self._pg, url)
        except psycopg.Error as exc:
            self._pg.close()
            raise AuditError(f"cannot set up feedback in {describe(url)}: {exc}") from exc
        except BaseException:
            self._pg.close()
            raise

    def write_many(self, items: Sequence[Feedback]) -> list[int]:
        with self._lock:
            for attempt in range(2):
                try:
                    if self._pg is None or self._pg.closed or self._pg.broken:
                        self._drop()
                        self._pg = connect(self.url)  # AuditError while it is away
                    ids: list[int] = []
                    with self._pg.transaction():
                        q = Qmark(self._pg)
                        for fb in items:
                            row = q.execute(_UPSERT, _values(fb)).fetchone()
                            ids.append(int(row[0]) if row else 0)
                    return ids
                except (psycopg.OperationalError, psycopg.InterfaceError) as exc:
                    self._drop()
                    if attempt:
                        raise AuditError(f"feedback write failed: {type(exc).__name__}") from exc
                except psycopg.Error as exc:  # refused by the server: retrying won't help
                    raise AuditError(f"feedback write failed: {type(exc).__name__}") from exc
        raise AssertionError("unreachable")

    def _drop(self) -> None:
        if self._pg is not None:
            self._pg.close()
            self._pg = None

    def close(self) -> None:
        with self._lock:
            self._drop()


def pg_ratings(url: str, experiment: str) -> dict[str, float]:
    """:func:`~edge_router.record.feedback.ratings_on` over a fleet's database: every
    router's ratings; none when no router has stored feedback there yet."""
    with pg_read(url) as conn:
        if conn.execute("SELECT to_regclass('feedback')").fetchone()[0] is None:
            return {}
        return ratings_on(conn, experiment)
