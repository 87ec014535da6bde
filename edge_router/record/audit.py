"""Durable audit trail: who sent what kind of request where, and why. Never the text.

This module owns what is written and the writing: :class:`AuditRecord` (validated so
only shapes that cannot carry prompt text get in), :class:`AuditSettings` (the config
section), and :class:`AuditLog`, the writer with its retention. Reading lives in
:mod:`edge_router.record.audit_query`, the table layout in
:mod:`edge_router.record.audit_schema`, keyed content hashes in
:mod:`edge_router.record.audit_hash`.

One SQLite file in WAL mode. A single writer thread owns the write connection
and commits records in small groups (group commit): every record handed to
:meth:`AuditLog.record` is acknowledged only after the transaction holding it
is committed with ``synchronous=FULL``, i.e. the WAL is fsynced, so an
acknowledged record survives a SIGKILL and a power cut. Readers (queries, the
``edge-router audit`` CLI) use their own connections and never block the writer.

A record holds ids, route, rule, entity *types* with counts, timings, token
counts and keyed hashes of message contents (HMAC-SHA256 under a key kept beside
the database as ``<db>.key``; see :mod:`edge_router.record.audit_hash` for why keyed).
With ``audit.url`` the trail is in PostgreSQL instead, shared by a fleet
(:mod:`edge_router.record.audit_pg`, same table, same readers).

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
import json
import os
import queue
import re
import sqlite3
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, model_validator

from edge_router.frozen import Frozen
from edge_router.record.audit_hash import ContentHasher
from edge_router.record.audit_query import AuditReader
from edge_router.record.audit_schema import COLUMNS, AuditError, migrate

AuditRoute = Literal["local", "cloud", "block"]
_ROUTES = ("local", "cloud", "block")
ENDPOINTS = ("chat", "completions", "embeddings", "route")
SYSTEMD_DB = Path("/var/lib/edge-router/audit.sqlite")
"""Where the shipped unit's StateDirectory puts the database."""


class AuditSettings(Frozen):
    """The ``audit:`` section of the config file.

    Example::

        AuditSettings(path="/var/lib/edge-router/audit.sqlite", retention_days=30)
    """

    enabled: bool = True
    """Write an audit record for every chat request."""
    path: str | None = None
    """SQLite file. Default: ``$STATE_DIRECTORY/audit.sqlite`` when systemd provides a
    StateDirectory (``/var/lib/edge-router/audit.sqlite`` with the shipped unit), else the
    user's state directory, ``$XDG_STATE_HOME/edge-router/audit.sqlite`` (without
    XDG_STATE_HOME: ``~/.local/state/edge-router/audit.sqlite``); never the checkout. The
    HMAC key for content hashes lives beside it as ``<path>.key`` (mode 0600)."""
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
    url: str | None = None
    """PostgreSQL instead of the SQLite file: ``postgresql://user@host:5432/dbname`` (keep
    the password out of the config: ``~/.pgpass`` or ``PGPASSWORD``). One trail for a fleet
    of routers: same schema, same ``edge-router audit``, budgets count every router's
    spending. Migrations run at startup; a router that cannot reach it does not start."""
    key_path: str | None = None
    """HMAC key file for content hashes (created 0600 when missing). Default: beside the
    SQLite file, ``<path>.key``. Required with ``url``: the same file on every router of the
    fleet, so one text hashes alike everywhere (the database refuses a router whose key
    differs). A relative path names a systemd credential (``LoadCredential=``) in
    ``$CREDENTIALS_DIRECTORY`` when that is set."""
    on_failure: Literal["wait", "refuse", "serve"] = "wait"
    """While the audit store cannot be written (database unreachable, disk full): ``wait``:
    requests wait up to ``wait_s`` for it, then get a 503; ``refuse``: a 503 at once;
    ``serve``: answer anyway, log the failure and count it in
    ``edge_router_audit_failures_total`` (the trail becomes best effort). With ``wait`` and
    ``refuse`` nothing is served unaudited; the records of requests that were running are
    kept and written when the store is back."""
    wait_s: float = Field(default=30, gt=0)
    """With ``on_failure: wait``, the longest a request waits for the audit store."""

    @model_validator(mode="after")
    def _store(self) -> AuditSettings:
        if self.url is not None:
            if not self.url.startswith(("postgresql://", "postgres://")):
                raise ValueError("audit.url must be a postgresql:// URL")
            if not self.key_path:
                raise ValueError(
                    "audit.url needs audit.key_path: the content-hash key every router of "
                    "the fleet shares"
                )
        return self

    def resolve_key_path(self) -> Path:
        if self.key_path:
            creds = os.environ.get("CREDENTIALS_DIRECTORY")
            if creds and not os.path.isabs(self.key_path):
                return Path(creds) / self.key_path
            return Path(self.key_path)
        path = self.resolve_path()
        return path.with_name(path.name + ".key")

    def resolve_path(self) -> Path:
        if self.path:
            return Path(self.path)
        state = os.environ.get("STATE_DIRECTORY")
        if state:
            # systemd may pass several colon-separated dirs; ours is the first.
            return Path(state.split(":")[0]) / "audit.sqlite"
        # The XDG base-directory spec: a relative XDG_STATE_HOME is invalid and ignored.
        xdg = os.environ.get("XDG_STATE_HOME", "")
        base = Path(xdg) if os.path.isabs(xdg) else Path.home() / ".local" / "state"
        return base / "edge-router" / "audit.sqlite"


_ENTITY_RE = re.compile(r"^[A-Za-z0-9_.:-]{1,64}$")
_HASH_RE = re.compile(r"^[0-9a-f]{16,64}$")
_MAX_REASON = 200
# Labels from config or a provider's model id: no spaces, so no room for prompt text.
_LABEL_RE = re.compile(r"^[A-Za-z0-9_.:/@+-]{1,128}$")


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
    endpoint: str = "chat"
    """What asked: ``chat`` (OpenAI chat and Anthropic messages), ``completions``,
    ``embeddings``, or ``route`` (a dry run through ``/v1/route``: decided, not run)."""
    domain: str | None = None
    """What the request is about (``code``, ``medical``, ... or an operator's own)."""
    cost_usd: float | None = None
    """Priced cost of the request in US dollars (0 for an unpriced local model)."""
    upstream_model: str | None = None
    """The exact model id the provider said answered (may differ from ``model``)."""
    reply_entity_types: Mapping[str, int] = field(default_factory=dict)
    """Entity types the response guard found in the reply (types and counts only)."""
    arm: str | None = None
    """``experiment:arm`` when the request was assigned to an experiment arm."""
    cache: str | None = None
    """``hit`` or ``miss`` when the response cache was consulted."""

    def __post_init__(self) -> None:
        if self.route not in _ROUTES:
            raise ValueError(f"route must be one of {_ROUTES}")
        if self.endpoint not in ENDPOINTS:
            raise ValueError(f"endpoint must be one of {ENDPOINTS}")
        for types in (self.entity_types, self.reply_entity_types):
            for name, count in types.items():
                if not _ENTITY_RE.match(name) or not isinstance(count, int) or count < 0:
                    raise ValueError("entity_types must map type names to counts")
        for label in (self.domain, self.upstream_model, self.arm, self.cache):
            if label is not None and not _LABEL_RE.match(label):
                raise ValueError("domain, upstream_model, arm and cache are short labels")
        if self.cost_usd is not None and not self.cost_usd >= 0:
            raise ValueError("cost_usd must be a non-negative number")
        if any(len(r) > _MAX_REASON for r in self.reasons):
            raise ValueError(f"reasons are short codes (at most {_MAX_REASON} chars)")
        if not all(_HASH_RE.match(h) for h in self.content_hashes):
            raise ValueError("content_hashes must be hex digests")


# Every column but the id SQLite assigns, filled from _values() in the same order.
_INSERT = (
    f"INSERT INTO audit ({', '.join(COLUMNS[1:])}) VALUES ({', '.join('?' * (len(COLUMNS) - 1))})"
)

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
        key_path: Path | None = None,
    ) -> None:
        super().__init__(path)
        self.retention_days = retention_days
        self.max_rows = max_rows
        self.prune_interval_s = prune_interval_s
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        if not path.exists():
            # Create the file 0600 ourselves; SQLite gives -wal/-shm the db's mode.
            os.close(os.open(path, os.O_WRONLY | os.O_CREAT, 0o600))
        self.hasher = ContentHasher.load_or_create(key_path or path.with_name(path.name + ".key"))
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
            migrate(c, path)
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
        """The SQLite file, or with ``settings.url`` PostgreSQL (``record.audit_pg``)."""
        if settings.url:
            from edge_router.record.audit_pg import PgAuditLog  # psycopg only when used

            return PgAuditLog.from_settings(settings)
        return cls(
            settings.resolve_path(),
            retention_days=settings.retention_days,
            max_rows=settings.max_rows,
            prune_interval_s=settings.prune_interval_s,
            hash_contents=settings.hash_contents,
            synchronous=settings.synchronous,
            key_path=settings.resolve_key_path(),
        )

    @property
    def available(self) -> bool:
        """Whether the store takes writes now: a file always does (a failed write says
        so itself); a database server may be away (``PgAuditLog``)."""
        return True

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
        rec.endpoint,
        rec.domain,
        rec.cost_usd,
        rec.upstream_model,
        json.dumps(dict(rec.reply_entity_types), sort_keys=True),
        rec.arm,
        rec.cache,
    )
