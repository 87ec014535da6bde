"""Durable audit trail: who sent what kind of request where, and why. Never the text.

One SQLite file in WAL mode. A single writer thread owns the write connection
and commits records in small groups (group commit): every record handed to
:meth:`AuditLog.record` is acknowledged only after the transaction holding it
is committed with ``synchronous=FULL``, i.e. the WAL is fsynced, so an
acknowledged record survives a SIGKILL and a power cut. Readers (queries, the
``edge-router audit`` CLI) use their own connections and never block the writer.

A record holds ids, route, rule, entity *types* with counts, timings, token
counts and keyed hashes of message contents. Keyed (HMAC-SHA256), not plain
SHA-256: a phone number or a name has so few possibilities that a plain hash
is reversed by hashing every candidate. The HMAC key is generated once and kept
beside the database (``<db>.key``, mode 0600): whoever holds the key (root on
this host) can still check "was this exact text sent?", while a copied database
file, backup or export alone reveals nothing.

Example::

    log = AuditLog.open(AuditSettings(path="/tmp/audit.sqlite"))
    rec = AuditRecord(request_id="r1", route="local", status=200,
                      content_hashes=log.hasher.digests(["hello"]))
    row_id = await log.record(rec)      # returns once the record is durable
    log.query(route="local", limit=10)
    log.close()
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import csv
import hashlib
import hmac
import io
import json
import os
import queue
import re
import secrets
import sqlite3
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal, TextIO

from pydantic import BaseModel, ConfigDict, Field

AuditRoute = Literal["local", "cloud", "block"]
ExportFormat = Literal["json", "jsonl", "csv"]
_ROUTES = ("local", "cloud", "block")
_REPO_ROOT = Path(__file__).resolve().parents[2]
SYSTEMD_DB = Path("/var/lib/edge-router/audit.sqlite")
"""Where the shipped unit's StateDirectory puts the database."""


class AuditError(Exception):
    """The audit log cannot be opened or written; messages never quote record contents."""


class AuditSettings(BaseModel):
    """The ``audit:`` section of the config file.

    Example::

        AuditSettings(path="/var/lib/edge-router/audit.sqlite", retention_days=30)
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    enabled: bool = True
    """Write an audit record for every chat request."""
    path: str | None = None
    """SQLite file. Default: ``$STATE_DIRECTORY/audit.sqlite`` when systemd provides a
    StateDirectory (``/var/lib/edge-router/audit.sqlite`` with the shipped unit), else
    ``state/audit.sqlite`` in the checkout. The HMAC key for content hashes lives beside
    it as ``<path>.key`` (mode 0600)."""
    retention_days: float = Field(default=90, ge=0)
    """Records older than this are deleted (and overwritten: secure_delete). 0 = keep forever."""
    max_rows: int = Field(default=1_000_000, ge=0)
    """Cap on stored records; the oldest go first. 0 = no cap."""
    prune_interval_s: float = Field(default=3600, gt=0)
    """How often the writer applies retention_days and max_rows (also once at startup)."""
    synchronous: Literal["full", "normal"] = "full"
    """``full``: every commit is fsynced, so acknowledged records survive power loss
    (about 4 ms per non-streamed request on a typical disk). ``normal``: records survive a
    crash or ``kill -9`` of the daemon but the last ones may be lost on power loss."""
    hash_contents: bool = True
    """Store keyed hashes of request message contents (for "was this text sent?" checks)."""

    def resolve_path(self) -> Path:
        if self.path:
            return Path(self.path)
        state = os.environ.get("STATE_DIRECTORY")
        # systemd may pass several colon-separated dirs; ours is the first.
        base = Path(state.split(":")[0]) if state else _REPO_ROOT / "state"
        return base / "audit.sqlite"


_ENTITY_RE = re.compile(r"^[A-Za-z0-9_.:-]{1,64}$")
_HASH_RE = re.compile(r"^[0-9a-f]{16,64}$")
_MAX_REASON = 200


@dataclass(frozen=True)
class AuditRecord:
    """One request as the audit trail sees it. Validated on construction so that only
    shapes that cannot carry prompt text (entity type names, hex hashes) get in.

    Example::

        AuditRecord(request_id="r1", route="cloud", status=200, rule="redact-pii",
                    entity_types={"EMAIL_ADDRESS": 2}, reasons=("entity:EMAIL_ADDRESS",))
    """

    request_id: str
    route: AuditRoute
    status: int
    ts: float = field(default_factory=time.time)
    """Seconds since the epoch (UTC)."""
    key_id: str | None = None
    tenant: str | None = None
    rule: str | None = None
    action: str | None = None
    provider: str | None = None
    model: str | None = None
    entity_types: Mapping[str, int] = field(default_factory=dict)
    reasons: tuple[str, ...] = ()
    latency_ms: float | None = None
    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    content_hashes: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.route not in _ROUTES:
            raise ValueError(f"route must be one of {_ROUTES}")
        for name, count in self.entity_types.items():
            if not _ENTITY_RE.match(name) or not isinstance(count, int) or count < 0:
                raise ValueError("entity_types must map type names to counts")
        if any(len(r) > _MAX_REASON for r in self.reasons):
            raise ValueError(f"reasons are short codes (at most {_MAX_REASON} chars)")
        if not all(_HASH_RE.match(h) for h in self.content_hashes):
            raise ValueError("content_hashes must be hex digests")


class ContentHasher:
    """HMAC-SHA256 of message contents under a per-installation key (hex, 128 bits kept:
    enough to tell texts apart, half the storage)."""

    def __init__(self, key: bytes) -> None:
        if len(key) < 32:
            raise ValueError("HMAC key must be at least 32 bytes")
        self._key = key

    def digest(self, text: str) -> str:
        return hmac.new(self._key, text.encode("utf-8"), hashlib.sha256).hexdigest()[:32]

    def digests(self, texts: Sequence[str]) -> tuple[str, ...]:
        return tuple(self.digest(t) for t in texts)

    @classmethod
    def load_or_create(cls, path: Path) -> ContentHasher:
        if not path.exists():
            _create_key(path)
        st = path.stat()
        if st.st_mode & 0o077:
            raise AuditError(f"audit key {path} is readable by others; chmod 600 it")
        raw = path.read_text(encoding="ascii").strip()
        try:
            return cls(bytes.fromhex(raw))
        except ValueError as exc:
            raise AuditError(f"audit key {path} is not a hex key") from exc


def _create_key(path: Path) -> None:
    # Write a temp file then hard-link it into place: link fails if another process
    # won the race, and nobody ever reads a half-written key.
    tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        os.write(fd, (secrets.token_hex(32) + "\n").encode("ascii"))
        os.fsync(fd)
    finally:
        os.close(fd)
    try:
        os.link(tmp, path)
    except FileExistsError:
        pass
    finally:
        tmp.unlink()
    _fsync_dir(path.parent)


def _fsync_dir(d: Path) -> None:
    fd = os.open(d, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


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
)
SCHEMA_VERSION = len(_MIGRATIONS)
_COLUMNS = (
    *("id", "ts", "request_id", "key_id", "tenant", "route", "rule", "action", "provider"),
    *("model", "status", "entity_types", "reasons", "latency_ms", "prompt_tokens"),
    *("completion_tokens", "content_hashes"),
)
_JSON_COLUMNS = ("entity_types", "reasons", "content_hashes")
_INSERT = f"INSERT INTO audit ({', '.join(_COLUMNS[1:])}) VALUES ({', '.join('?' * 16)})"


def _migrate(conn: sqlite3.Connection, path: Path) -> None:
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


def _iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _epoch(t: datetime | float | None) -> float | None:
    if t is None or isinstance(t, float | int):
        return t
    if t.tzinfo is None:  # naive times are UTC, like everything stored here
        t = t.replace(tzinfo=UTC)
    return t.timestamp()


def _row_dict(row: sqlite3.Row) -> dict[str, Any]:
    d = dict(zip(_COLUMNS, row, strict=True))
    d["ts"] = _iso(d["ts"])
    for c in _JSON_COLUMNS:
        d[c] = json.loads(d[c])
    return d


@dataclass(frozen=True)
class AuditQuery:
    """Filters for queries and exports; None means "any"."""

    since: datetime | float | None = None
    until: datetime | float | None = None
    key_id: str | None = None
    route: str | None = None
    rule: str | None = None
    limit: int | None = None


class AuditReader:
    """Queries and exports over an existing audit database (no writer; used by the CLI)."""

    def __init__(self, path: Path) -> None:
        self.path = path

    @contextlib.contextmanager
    def _read(self) -> Iterator[sqlite3.Connection]:
        if not self.path.is_file():
            raise AuditError(f"no audit database at {self.path}")
        # mode=rw: never create a file here; query_only: this connection cannot write.
        conn = sqlite3.connect(f"file:{self.path}?mode=rw", uri=True, isolation_level=None)
        try:
            conn.execute("PRAGMA query_only = ON")
            conn.execute("PRAGMA busy_timeout = 5000")
            yield conn
        finally:
            conn.close()

    def _select(
        self, conn: sqlite3.Connection, q: AuditQuery, *, newest_first: bool
    ) -> Iterator[dict[str, Any]]:
        where, params = [], []
        for clause, value in (
            ("ts >= ?", _epoch(q.since)),
            ("ts < ?", _epoch(q.until)),
            ("key_id = ?", q.key_id),
            ("route = ?", q.route),
            ("rule = ?", q.rule),
        ):
            if value is not None:
                where.append(clause)
                params.append(value)
        sql = f"SELECT {', '.join(_COLUMNS)} FROM audit"
        if where:
            sql += " WHERE " + " AND ".join(where)
        sql += f" ORDER BY id {'DESC' if newest_first else 'ASC'}"
        if q.limit is not None:
            sql += " LIMIT ?"
            params.append(q.limit)
        for row in conn.execute(sql, params):
            yield _row_dict(row)

    def query(
        self,
        since: datetime | float | None = None,
        until: datetime | float | None = None,
        key_id: str | None = None,
        route: str | None = None,
        rule: str | None = None,
        limit: int | None = 100,
    ) -> list[dict[str, Any]]:
        """Newest first; ``since`` inclusive, ``until`` exclusive; ``ts`` as ISO 8601 UTC."""
        q = AuditQuery(since, until, key_id, route, rule, limit)
        with self._read() as conn:
            return list(self._select(conn, q, newest_first=True))

    def export_to(self, out: TextIO, fmt: ExportFormat, q: AuditQuery | None = None) -> int:
        """Stream matching records, oldest first, to ``out``; returns the count. ``json`` is
        one array, ``jsonl`` one object a line, ``csv`` a header then rows with the dict and
        list columns as JSON text."""
        n = 0
        with self._read() as conn:
            rows = self._select(conn, q or AuditQuery(), newest_first=False)
            writer = csv.writer(out) if fmt == "csv" else None
            if writer:
                writer.writerow(_COLUMNS)
            elif fmt == "json":
                out.write("[")
            for row in rows:
                if writer:
                    writer.writerow(
                        json.dumps(row[c], sort_keys=True) if c in _JSON_COLUMNS else row[c]
                        for c in _COLUMNS
                    )
                elif fmt == "json":
                    out.write(("," if n else "") + "\n" + json.dumps(row, sort_keys=True))
                else:
                    out.write(json.dumps(row, sort_keys=True) + "\n")
                n += 1
            if fmt == "json":
                out.write("\n]\n" if n else "]\n")
        return n

    def export(self, fmt: ExportFormat, **filters: Any) -> str:
        """Like :meth:`export_to` into a string; ``filters`` are :class:`AuditQuery` fields."""
        buf = io.StringIO()
        self.export_to(buf, fmt, AuditQuery(**filters))
        return buf.getvalue()


_Item = tuple[AuditRecord, "concurrent.futures.Future[int]"]
_STOP = "stop"  # queue markers; records travel as tuples
_IDLE = "idle"
_BATCH = 256


class AuditLog(AuditReader):
    """The writable audit trail: one writer thread, acknowledged = fsynced. See module doc."""

    def __init__(
        self,
        path: Path,
        *,
        retention_days: float = 90,
        max_rows: int = 1_000_000,
        prune_interval_s: float = 3600,
        hash_contents: bool = True,
        synchronous: Literal["full", "normal"] = "full",
    ) -> None:
        super().__init__(path)
        self.retention_days = retention_days
        self.max_rows = max_rows
        self.prune_interval_s = prune_interval_s
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        if not path.exists():
            # Create the file 0600 ourselves; SQLite gives -wal/-shm the db's mode.
            os.close(os.open(path, os.O_WRONLY | os.O_CREAT, 0o600))
        self.hasher = ContentHasher.load_or_create(path.with_name(path.name + ".key"))
        self.hash_contents = hash_contents
        try:
            self._conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        except sqlite3.Error as exc:
            raise AuditError(f"cannot open audit db {path}: {exc}") from exc
        try:
            c = self._conn
            c.execute("PRAGMA busy_timeout = 5000")
            if c.execute("PRAGMA journal_mode = WAL").fetchone()[0] != "wal":
                raise AuditError(f"audit db {path}: cannot enable WAL mode")
            # FULL in WAL mode fsyncs the WAL at every commit: durable across power loss,
            # not just process crashes. Group commit keeps the fsync count low.
            c.execute(
                "PRAGMA synchronous = FULL"
                if synchronous == "full"
                else "PRAGMA synchronous = NORMAL"
            )
            # Pruned rows are overwritten, not left in free pages: retention means gone.
            c.execute("PRAGMA secure_delete = ON")
            _migrate(c, path)
            self._db_lock = threading.Lock()  # the writer thread vs. prune() from elsewhere
            self.prune()
        except sqlite3.Error as exc:  # e.g. "file is not a database"
            self._conn.close()
            raise AuditError(f"cannot open audit db {path}: {exc}") from exc
        except BaseException:
            self._conn.close()
            raise
        self._queue: queue.SimpleQueue[_Item | str] = queue.SimpleQueue()
        self._closed = False
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._run, name="audit-writer", daemon=True)
        self._thread.start()

    @classmethod
    def open(cls, settings: AuditSettings) -> AuditLog:
        return cls(
            settings.resolve_path(),
            retention_days=settings.retention_days,
            max_rows=settings.max_rows,
            prune_interval_s=settings.prune_interval_s,
            hash_contents=settings.hash_contents,
            synchronous=settings.synchronous,
        )

    def submit(self, rec: AuditRecord) -> concurrent.futures.Future[int]:
        """Queue a record; the future resolves to its row id once durable. Thread-safe."""
        fut: concurrent.futures.Future[int] = concurrent.futures.Future()
        with self._lock:  # no record may slip in behind the stop marker
            if self._closed:
                raise AuditError("audit log is closed")
            self._queue.put((rec, fut))
        return fut

    async def record(self, rec: AuditRecord) -> int:
        """Write off the event loop; returns the row id once the record is durable.
        Shielded: a cancelled request (client gone) still gets its record written."""
        return await asyncio.shield(asyncio.wrap_future(self.submit(rec)))

    def record_sync(self, rec: AuditRecord, timeout: float | None = None) -> int:
        return self.submit(rec).result(timeout)

    def _run(self) -> None:
        next_prune = time.monotonic() + self.prune_interval_s
        carry: _Item | str = _IDLE  # a record dequeued when the last batch was full
        while True:
            item = carry
            if item == _IDLE:
                try:
                    # Wake for pruning even when idle: retention must not wait for traffic.
                    item = self._queue.get(timeout=max(0.0, next_prune - time.monotonic()))
                except queue.Empty:
                    item = _IDLE
            batch: list[_Item] = []
            while not isinstance(item, str) and len(batch) < _BATCH:
                batch.append(item)
                item = self._next_nowait()
            carry = item if not isinstance(item, str) else _IDLE
            if batch:
                self._write(batch)
            if item == _STOP:
                return
            if time.monotonic() >= next_prune:
                next_prune = time.monotonic() + self.prune_interval_s
                with contextlib.suppress(sqlite3.Error):  # retried next interval
                    self.prune()

    def _next_nowait(self) -> _Item | str:
        try:
            return self._queue.get_nowait()
        except queue.Empty:
            return _IDLE

    def _write(self, batch: list[_Item]) -> None:
        # A future cancelled by its waiter still gets its record written (the request
        # happened), but must not be resolved: that would raise and kill this thread.
        live = [fut.set_running_or_notify_cancel() for _, fut in batch]
        with self._db_lock:
            result = self._insert(batch)
        for (_, fut), ok, row_id in zip(batch, live, result, strict=True):
            if not ok:
                continue
            if isinstance(row_id, AuditError):
                fut.set_exception(row_id)
            else:
                fut.set_result(row_id)

    def _insert(self, batch: list[_Item]) -> list[int | AuditError]:
        """One transaction for the batch: the row ids, or the error once per record."""
        try:
            ids: list[int | AuditError] = []
            self._conn.execute("BEGIN IMMEDIATE")
            for rec, _ in batch:
                ids.append(self._conn.execute(_INSERT, _values(rec)).lastrowid or 0)
            self._conn.execute("COMMIT")
        except Exception as exc:
            if self._conn.in_transaction:
                with contextlib.suppress(sqlite3.Error):
                    self._conn.execute("ROLLBACK")
            return [AuditError(f"audit write failed: {type(exc).__name__}")] * len(batch)
        return ids

    def prune(self, now: float | None = None) -> int:
        """Apply retention_days and max_rows now; returns rows deleted. Thread-safe; the
        writer also runs it every prune_interval_s."""
        with self._db_lock:
            return self._prune(now)

    def _prune(self, now: float | None) -> int:
        deleted = 0
        c = self._conn
        if self.retention_days > 0:
            cutoff = (now if now is not None else time.time()) - self.retention_days * 86400
            deleted += c.execute("DELETE FROM audit WHERE ts < ?", (cutoff,)).rowcount
        if self.max_rows > 0:
            deleted += c.execute(
                "DELETE FROM audit WHERE id <= "
                "(SELECT id FROM audit ORDER BY id DESC LIMIT 1 OFFSET ?)",
                (self.max_rows,),
            ).rowcount
        return deleted

    def close(self) -> None:
        """Write everything queued, stop the writer, checkpoint and close. Idempotent."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            self._queue.put(_STOP)
        self._thread.join()
        with contextlib.suppress(sqlite3.Error):
            self._conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        self._conn.close()


def _values(rec: AuditRecord) -> tuple[Any, ...]:
    return (
        rec.ts,
        rec.request_id,
        rec.key_id,
        rec.tenant,
        rec.route,
        rec.rule,
        rec.action,
        rec.provider,
        rec.model,
        rec.status,
        json.dumps(dict(rec.entity_types), sort_keys=True),
        json.dumps(list(rec.reasons)),
        rec.latency_ms,
        rec.prompt_tokens,
        rec.completion_tokens,
        json.dumps(list(rec.content_hashes)),
    )
