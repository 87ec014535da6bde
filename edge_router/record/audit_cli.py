"""``edge-router audit``: query and export the audit trail (the evidence an auditor asks for)."""

from __future__ import annotations

import argparse
import json
import os
import re
import sqlite3
import sys
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TextIO

from edge_router.record.audit import _ROUTES, ENDPOINTS, SYSTEMD_DB, AuditSettings
from edge_router.record.audit_query import AuditQuery, AuditReader
from edge_router.record.audit_schema import AuditError
from edge_router.record.cost_report import cost_report, write_table
from edge_router.record.costs import Pricer

_RELATIVE = re.compile(r"^(\d+)([smhd])$")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}


def _parse_time(s: str) -> datetime:
    """ISO 8601 (naive = UTC) or a relative age such as ``24h``, ``7d``."""
    if m := _RELATIVE.match(s):
        return datetime.now(UTC) - timedelta(**{_UNITS[m[2]]: int(m[1])})
    try:
        t = datetime.fromisoformat(s)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"not an ISO time or age like 24h: {s!r}") from exc
    return t if t.tzinfo else t.replace(tzinfo=UTC)


def _table(rows: list[dict[str, Any]], out: TextIO) -> None:
    cols: tuple[str, ...] = ("id", "ts", "endpoint", "request_id", "key_id", "route", "rule")
    cols = (*cols, "status", "entities", "ms")
    cells = [
        [
            str(r["id"]),
            r["ts"],
            r["endpoint"],
            r["request_id"],
            r["key_id"] or "-",
            r["route"],
            r["rule"] or "-",
            str(r["status"]),
            ",".join(f"{k}={v}" for k, v in sorted(r["entity_types"].items())) or "-",
            "-" if r["latency_ms"] is None else f"{r['latency_ms']:.0f}",
        ]
        for r in rows
    ]
    widths = [max([len(c)] + [len(row[i]) for row in cells]) for i, c in enumerate(cols)]
    for line in [list(cols), *cells]:
        out.write("  ".join(v.ljust(w) for v, w in zip(line, widths, strict=True)).rstrip())
        out.write("\n")


def _settings(args: argparse.Namespace) -> Any:
    """The daemon's settings (``--config``, ``$EDGE_ROUTER_CONFIG`` or the defaults)."""
    # Lazy: config imports this module for AuditSettings.
    from edge_router.config import ConfigError, load_settings

    config = args.config or os.environ.get("EDGE_ROUTER_CONFIG")
    try:
        return load_settings(Path(config) if config else None)
    except ConfigError as exc:
        raise AuditError(str(exc)) from exc


def _pricer(args: argparse.Namespace) -> Pricer | None:
    """Prices from the config, for "cost avoided" (None: none given next to --db)."""
    if args.db and not os.environ.get("EDGE_ROUTER_CONFIG"):
        return None
    settings = _settings(args)
    return Pricer(settings.pricing, settings.providers)


def _db_path(args: argparse.Namespace) -> Path:
    if args.db:
        return Path(args.db)
    settings = _settings(args)
    audit = getattr(settings, "audit", None)
    audit = audit if isinstance(audit, AuditSettings) else AuditSettings()
    path = audit.resolve_path()
    # An operator's shell has no $STATE_DIRECTORY: find the systemd unit's database.
    if audit.path is None and not path.exists() and SYSTEMD_DB.exists():
        return SYSTEMD_DB
    return path


def _reader(args: argparse.Namespace) -> AuditReader:
    """``--db`` (a SQLite file or a postgresql:// URL), else the config's audit store."""
    url = args.db if args.db and args.db.startswith(("postgresql://", "postgres://")) else None
    if not args.db:
        audit = getattr(_settings(args), "audit", None)
        url = audit.url if isinstance(audit, AuditSettings) else None
    if url:
        from edge_router.record.audit_pg_schema import PgAuditReader  # psycopg only when used

        return PgAuditReader(url)
    return AuditReader(_db_path(args))


def audit_cli(argv: Sequence[str] | None = None, out: TextIO | None = None) -> int:
    """``edge-router audit``: query or export the trail. Returns the exit status."""
    p = argparse.ArgumentParser(prog="edge-router audit", description="Query the audit trail.")
    src = p.add_mutually_exclusive_group()
    src.add_argument("--db", help="audit SQLite file or postgresql:// URL")
    src.add_argument("--config", help="config file whose audit.path (or audit.url) to read")
    p.add_argument("--since", type=_parse_time, help="ISO time (UTC if naive) or age: 24h, 7d")
    p.add_argument("--until", type=_parse_time, help="ISO time (exclusive)")
    p.add_argument("--key", help="client key id")
    p.add_argument("--route", choices=_ROUTES)
    p.add_argument("--rule", help="policy rule name")
    p.add_argument("--endpoint", choices=ENDPOINTS, help="chat, completions, embeddings, route")
    p.add_argument("--format", choices=("table", "json", "jsonl", "csv"), default="table")
    p.add_argument("--limit", type=int, help="at most N records (table default: 50)")
    p.add_argument(
        "--costs",
        action="store_true",
        help="spending per key, tenant and route, and cost avoided, instead of records",
    )
    args = p.parse_args(argv)
    out = out or sys.stdout
    try:
        reader = _reader(args)
        if args.costs:
            q = AuditQuery(
                args.since, args.until, args.key, args.route, args.rule, endpoint=args.endpoint
            )
            report = cost_report(reader, q, _pricer(args))
            if args.format == "table":
                write_table(report, out)
            else:
                out.write(json.dumps(report, sort_keys=True) + "\n")
        elif args.format == "table":
            rows = reader.query(
                args.since,
                args.until,
                args.key,
                args.route,
                args.rule,
                limit=args.limit or 50,
                endpoint=args.endpoint,
            )
            _table(list(reversed(rows)), out)  # newest last, like a log
        else:
            q = AuditQuery(
                args.since, args.until, args.key, args.route, args.rule, args.limit, args.endpoint
            )
            reader.export_to(out, args.format, q)
    except (AuditError, sqlite3.Error) as exc:
        print(f"edge-router audit: {exc}", file=sys.stderr)
        return 2
    return 0
