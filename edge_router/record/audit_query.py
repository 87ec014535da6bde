"""Reading the audit trail: filters, queries and exports (JSON, JSONL, CSV).

:class:`AuditReader` opens its own read-only connections, so queries and the
``edge-router audit`` CLI never block the writer (:class:`~edge_router.record.audit.AuditLog`,
which is also a reader). The SQL is the subset SQLite and PostgreSQL share, with ``?``
placeholders (:class:`~edge_router.record.audit_pg_schema.PgAuditReader` runs it there).

Example::

    reader = AuditReader(Path("/var/lib/edge-router/audit.sqlite"))
    reader.query(route="cloud", since=datetime(2025, 1, 1), limit=10)   # newest first
    reader.export_to(sys.stdout, "csv", AuditQuery(key_id="ci"))        # oldest first
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal, TextIO

from edge_router.record.audit_schema import (
    COLUMNS,
    JSON_COLUMNS,
    read_only,
    row_dict,
)

ExportFormat = Literal["json", "jsonl", "csv"]
CostGroup = Literal["key", "tenant", "route"]
COST_GROUPS: dict[str, tuple[str, ...]] = {
    "key": ("key_id",),
    "tenant": ("tenant",),
    "route": ("route", "provider", "model"),
}
"""The columns the cost report groups by."""


def _epoch(t: datetime | float | None) -> float | None:
    if t is None or isinstance(t, float | int):
        return t
    if t.tzinfo is None:  # naive times are UTC, like everything stored here
        t = t.replace(tzinfo=UTC)
    return t.timestamp()


@dataclass(frozen=True)
class AuditQuery:
    """Filters for queries and exports; None means "any"."""

    since: datetime | float | None = None
    until: datetime | float | None = None
    key_id: str | None = None
    route: str | None = None
    rule: str | None = None
    limit: int | None = None
    endpoint: str | None = None


class AuditReader:
    """Queries and exports over an existing audit database (no writer; used by the CLI)."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def _read(self) -> contextlib.AbstractContextManager[sqlite3.Connection]:
        return read_only(self.path, "audit database")

    @staticmethod
    def _where(q: AuditQuery) -> tuple[str, list[Any]]:
        """`` WHERE ...`` (or "") and its parameters for the query's filters."""
        where, params = [], []
        for clause, value in (
            ("ts >= ?", _epoch(q.since)),
            ("ts < ?", _epoch(q.until)),
            ("key_id = ?", q.key_id),
            ("route = ?", q.route),
            ("rule = ?", q.rule),
            # Rows from before schema v2 have no endpoint: they were all chat.
            ("COALESCE(endpoint, 'chat') = ?", q.endpoint),
        ):
            if value is not None:
                where.append(clause)
                params.append(value)
        return (" WHERE " + " AND ".join(where) if where else ""), params

    def _select(
        self, conn: sqlite3.Connection, q: AuditQuery, *, newest_first: bool
    ) -> Iterator[dict[str, Any]]:
        where, params = self._where(q)
        sql = f"SELECT {', '.join(COLUMNS)} FROM audit{where}"
        sql += f" ORDER BY id {'DESC' if newest_first else 'ASC'}"
        if q.limit is not None:
            sql += " LIMIT ?"
            params.append(q.limit)
        for row in conn.execute(sql, params):
            yield row_dict(row)

    def query(
        self,
        since: datetime | float | None = None,
        until: datetime | float | None = None,
        key_id: str | None = None,
        route: str | None = None,
        rule: str | None = None,
        limit: int | None = 100,
        endpoint: str | None = None,
    ) -> list[dict[str, Any]]:
        """Newest first; ``since`` inclusive, ``until`` exclusive; ``ts`` as ISO 8601 UTC."""
        q = AuditQuery(since, until, key_id, route, rule, limit, endpoint)
        with self._read() as conn:
            return list(self._select(conn, q, newest_first=True))

    def latest(self, request_id: str) -> dict[str, Any] | None:
        """The newest record of ``request_id``, or None (indexed since schema v4)."""
        sql = f"SELECT {', '.join(COLUMNS)} FROM audit WHERE request_id = ?"
        sql += " ORDER BY id DESC LIMIT 1"
        with self._read() as conn:
            row = conn.execute(sql, (request_id,)).fetchone()
        return row_dict(row) if row else None

    def spend_since(self, since: float, column: Literal["key_id", "tenant"]) -> dict[str, float]:
        """``cost_usd`` summed per key id (or tenant) over records from ``since`` on."""
        assert column in ("key_id", "tenant")  # a column name, never a caller's string
        sql = (
            f"SELECT {column}, SUM(cost_usd) FROM audit WHERE ts >= ? "
            f"AND {column} IS NOT NULL AND cost_usd IS NOT NULL GROUP BY {column}"
        )
        with self._read() as conn:
            return {str(name): float(usd) for name, usd in conn.execute(sql, (since,))}

    def cost_by(self, q: AuditQuery, group: CostGroup) -> list[dict[str, Any]]:
        """Spending per key, tenant or route (route, provider, model), most first: each
        row has the group's columns, ``requests``, ``cost_usd`` and ``unpriced`` (cloud
        answers whose cost is unknown)."""
        cols = COST_GROUPS[group]
        where, params = self._where(q)
        names = ", ".join(cols)
        # NULLS FIRST said outright: SQLite puts NULLs first by default, PostgreSQL last,
        # and the fleet's report must list rows in the order the embedded one does.
        order = ", ".join(f"{c} NULLS FIRST" for c in cols)
        sql = (
            f"SELECT {names}, COUNT(*), COALESCE(SUM(cost_usd), 0), "
            # CASE, not SUM(boolean): the same SQL runs on SQLite and PostgreSQL.
            "SUM(CASE WHEN cost_usd IS NULL AND route = 'cloud' AND status < 400 "
            "THEN 1 ELSE 0 END) "
            f"FROM audit{where} GROUP BY {names} ORDER BY {len(cols) + 2} DESC, {order}"
        )
        with self._read() as conn:
            return [
                {
                    **dict(zip(cols, row[: len(cols)], strict=True)),
                    "requests": row[-3],
                    "cost_usd": float(row[-2]),
                    "unpriced": int(row[-1] or 0),
                }
                for row in conn.execute(sql, params)
            ]

    def local_tokens(self, q: AuditQuery) -> tuple[int, int, int]:
        """(answers, prompt tokens, completion tokens) the local tier served and a
        provider could have (chat and completions; cache hits ran nothing)."""
        where, params = self._where(q)
        sql = (
            "SELECT COUNT(*), COALESCE(SUM(prompt_tokens), 0), "
            f"COALESCE(SUM(completion_tokens), 0) FROM audit{where}"
            + (" AND " if where else " WHERE ")
            + "route = 'local' AND status = 200 AND COALESCE(cache, '') != 'hit' "
            "AND COALESCE(endpoint, 'chat') IN ('chat', 'completions')"
        )
        with self._read() as conn:
            n, pt, ct = conn.execute(sql, params).fetchone()
        return int(n), int(pt), int(ct)

    def arm_rows(
        self, experiment: str, since: float | None = None, until: float | None = None
    ) -> list[tuple[str, str, str, int, float | None, float | None]]:
        """(arm, request_id, route, status, latency_ms, cost_usd) of every chat and
        completions request in an arm of ``experiment`` (dry runs and embeddings are not
        answers to compare); ``since`` inclusive, ``until`` exclusive."""
        prefix = experiment + ":"
        sql = (
            "SELECT substr(arm, ?), request_id, route, status, latency_ms, cost_usd "
            "FROM audit WHERE substr(arm, 1, ?) = ? "
            "AND COALESCE(endpoint, 'chat') IN ('chat', 'completions')"
        )
        params: list[Any] = [len(prefix) + 1, len(prefix), prefix]
        if since is not None:
            sql += " AND ts >= ?"
            params.append(since)
        if until is not None:
            sql += " AND ts < ?"
            params.append(until)
        sql += " ORDER BY id"  # one order on both dialects: the same sums to the last bit
        with self._read() as conn:
            return [
                (str(a), str(r), str(route), int(st), lat, cost)
                for a, r, route, st, lat, cost in conn.execute(sql, params)
            ]

    def export_to(self, out: TextIO, fmt: ExportFormat, q: AuditQuery | None = None) -> int:
        """Stream matching records, oldest first, to ``out``; returns the count. ``json`` is
        one array, ``jsonl`` one object a line, ``csv`` a header then rows with the dict and
        list columns as JSON text."""
        n = 0
        with self._read() as conn:
            rows = self._select(conn, q or AuditQuery(), newest_first=False)
            writer = csv.writer(out) if fmt == "csv" else None
            if writer:
                writer.writerow(COLUMNS)
            elif fmt == "json":
                out.write("[")
            for row in rows:
                if writer:
                    writer.writerow(
                        json.dumps(row[c], sort_keys=True) if c in JSON_COLUMNS else row[c]
                        for c in COLUMNS
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
