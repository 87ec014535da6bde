"""The audit writer for PostgreSQL: one trail shared by a fleet of routers.

Selected by ``audit.url: postgresql://...``. It is an
:class:`~edge_router.record.audit.AuditLog` (same queue, batches and futures: a record
is acknowledged only once the transaction holding it has committed, and PostgreSQL's
commit is durable), reading through
:class:`~edge_router.record.audit_pg_schema.PgAuditReader`, and differs where a
server differs from a file:

* **The connection can go away.** A batch that fails on a lost connection is not
  failed: the writer reconnects with backoff and writes the same batch again, so no
  record handed to it is dropped while the daemon runs; the waiting requests meet
  ``audit.on_failure`` (:mod:`edge_router.flow.recorder`). :attr:`available` says
  whether the server takes writes now; while it does not, and when idle, the writer
  probes it, so the fleet notices an outage (and the return) without traffic. A
  commit whose answer is lost may be written twice on retry: a duplicate row, never a
  missing one.
* **Retention**: ``retention_days`` and ``max_rows`` apply as on SQLite (every router
  of the fleet prunes; that is idempotent). PostgreSQL has no ``secure_delete``: deleted
  rows are gone from queries at once and from the files after VACUUM.
* **The key**: content hashes use ``audit.key_path``, the same file on every router;
  the database refuses a router with another key (see ``audit_pg_schema``).

Example::

    log = PgAuditLog.open_url("postgresql://router@db/edge_router", key_path=Path("k"))
    await log.record(AuditRecord(request_id="r1", route="local", status=200))
    log.close()
"""

from __future__ import annotations

import contextlib
import queue
import threading
import time
from pathlib import Path
from typing import Any

import psycopg

from edge_router.record.audit import _BATCH, _STOP, AuditLog, AuditSettings, _values
from edge_router.record.audit_hash import ContentHasher
from edge_router.record.audit_pg_schema import PgAuditReader, connect, describe, migrate_pg
from edge_router.record.audit_schema import COLUMNS, AuditError

_INSERT = (
    f"INSERT INTO audit ({', '.join(COLUMNS[1:])}) "
    f"VALUES ({', '.join(['%s'] * (len(COLUMNS) - 1))}) RETURNING id"
)
_PROBE_S = 1.0
"""How often an idle writer checks that the server is there (and, while it is down,
the longest pause between reconnects)."""
_CLOSE_GRACE_S = 10.0
"""On shutdown with the server down: how long queued records wait for it before they
are failed (they were never acknowledged, so none is lost)."""


class PgAuditLog(PgAuditReader, AuditLog):
    """The writable audit trail in PostgreSQL. See module doc.

    Built by :meth:`open_url`, not by ``AuditLog.__init__`` (which opens a SQLite file);
    the writer loop is this class's own, the queueing and acknowledgement are shared.
    """

    def __init__(
        self,
        url: str,
        *,
        key_path: Path,
        retention_days: float = 90,
        max_rows: int = 1_000_000,
        prune_interval_s: float = 3600,
        hash_contents: bool = True,
    ) -> None:
        # Deliberately not AuditLog.__init__: that one opens a SQLite file.
        PgAuditReader.__init__(self, url)
        self.retention_days = retention_days
        self.max_rows = max_rows
        self.prune_interval_s = prune_interval_s
        self.hasher = ContentHasher.load_or_create(key_path)
        self.hash_contents = hash_contents
        self._pg: psycopg.Connection[Any] | None = connect(url)
        try:
            migrate_pg(self._pg, url, self.hasher)
        except psycopg.Error as exc:
            self._pg.close()
            raise AuditError(f"cannot migrate audit database {describe(url)}: {exc}") from exc
        except BaseException:
            self._pg.close()
            raise
        self._up = threading.Event()
        self._up.set()
        self._stopping = threading.Event()
        self._db_lock = threading.Lock()
        with contextlib.suppress(AuditError, psycopg.Error):  # retried every interval
            self.prune()
        self._queue: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._closed = False
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._run, name="audit-writer-pg", daemon=True)
        self._thread.start()

    @classmethod
    def from_settings(cls, settings: AuditSettings) -> PgAuditLog:
        assert settings.url is not None
        return cls(
            settings.url,
            key_path=settings.resolve_key_path(),
            retention_days=settings.retention_days,
            max_rows=settings.max_rows,
            prune_interval_s=settings.prune_interval_s,
            hash_contents=settings.hash_contents,
        )

    @property
    def available(self) -> bool:
        """Whether the server took the last write or probe."""
        return self._up.is_set()

    def _run(self) -> None:
        next_prune = time.monotonic() + self.prune_interval_s
        carry: Any = None  # a record dequeued when the last batch was full
        while True:
            item = carry
            if item is None:
                try:
                    wait = min(_PROBE_S, max(0.0, next_prune - time.monotonic()))
                    item = self._queue.get(timeout=wait)
                except queue.Empty:
                    self._probe()
            batch: list[Any] = []
            while isinstance(item, tuple) and len(batch) < _BATCH:
                batch.append(item)
                item = self._next_nowait()
            carry = item if isinstance(item, tuple) else None
            if batch:
                self._write(batch)
            if item == _STOP:
                return
            if time.monotonic() >= next_prune and self.available:
                next_prune = time.monotonic() + self.prune_interval_s
                with self._db_lock:
                    try:
                        self._prune(None)
                    except (AuditError, psycopg.Error):  # retried next interval
                        self._lost()

    def _connection(self) -> psycopg.Connection[Any]:
        if self._pg is None or self._pg.closed or self._pg.broken:
            if self._pg is not None:
                self._pg.close()
            self._pg = None
            self._pg = connect(self.url)  # AuditError while the server is away
        return self._pg

    def _lost(self) -> None:
        self._up.clear()
        if self._pg is not None:
            self._pg.close()
            self._pg = None

    def _probe(self) -> None:
        with self._db_lock:
            try:
                self._connection().execute("SELECT 1")
                self._up.set()
            except (AuditError, psycopg.Error):
                self._lost()

    def _insert(self, batch: list[Any]) -> list[int | AuditError]:
        """One transaction for the batch; on a lost connection, reconnect and write the
        same batch again until it commits (or shutdown outlasts the grace period)."""
        delay = 0.05
        give_up = float("inf")
        while True:
            try:
                conn = self._connection()
                ids: list[int | AuditError] = []
                with conn.transaction():
                    for rec, _ in batch:
                        row = conn.execute(_INSERT, _values(rec)).fetchone()
                        ids.append(int(row[0]) if row else 0)
                self._up.set()
                return ids
            except (AuditError, psycopg.OperationalError, psycopg.InterfaceError) as exc:
                self._lost()
                if self._stopping.is_set():
                    give_up = min(give_up, time.monotonic() + _CLOSE_GRACE_S)
                if time.monotonic() >= give_up:
                    return [AuditError(f"audit write failed: {type(exc).__name__}")] * len(batch)
                time.sleep(delay)
                delay = min(delay * 2, _PROBE_S)
            except psycopg.Error as exc:  # the server refused the rows: retrying won't help
                return [AuditError(f"audit write failed: {type(exc).__name__}")] * len(batch)

    def _prune(self, now: float | None) -> int:
        deleted = 0
        conn = self._connection()
        if self.retention_days > 0:
            cutoff = (now if now is not None else time.time()) - self.retention_days * 86400
            deleted += conn.execute("DELETE FROM audit WHERE ts < %s", (cutoff,)).rowcount
        if self.max_rows > 0:
            deleted += conn.execute(
                "DELETE FROM audit WHERE id <= "
                "(SELECT id FROM audit ORDER BY id DESC LIMIT 1 OFFSET %s)",
                (self.max_rows,),
            ).rowcount
        return deleted

    def close(self) -> None:
        """Write everything queued (waiting up to a grace period for a server that is
        away), stop the writer and disconnect. Idempotent."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            self._stopping.set()
            self._queue.put(_STOP)
        self._thread.join()
        if self._pg is not None:
            self._pg.close()
