"""``edge-router experiments report NAME``: per-arm figures with 95% intervals.

Read from the audit trail (requests whose ``arm`` is ``NAME:<arm>``; chat, Anthropic
messages and legacy completions only: ``/v1/route`` dry runs and embeddings are not
answers to compare) and the feedback store (ratings of those requests). Per arm:

- ``n``: audited requests;
- latency p50 (ms), mean cost (USD) and local share: over answered requests (status
  below 400); local share = answered on the local tier;
- error rate: status 500 or above, over all requests;
- mean rating: over rated requests (0-1).

With ``audit.url`` (a fleet's PostgreSQL store) both are read from that database, so
the report covers every router's requests and ratings; SQLite files otherwise.

Each arm after the first (the control: the first arm in the config, else the first
name in sort order) is compared with the control on each figure by
:func:`edge_router.record.experiment_stats.compare`; anything it cannot decide is
reported as "too few data to decide".

Example::

    r = build_report(audit_db, feedback_db, "threshold", arms=("control", "low"))
    print(format_report(r))
    r.claims()   # [("low", "local share", "higher")]
"""

from __future__ import annotations

import argparse
import json
import os
import sqlite3
import sys
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from edge_router.record.audit_query import AuditReader
from edge_router.record.audit_schema import AuditError
from edge_router.record.experiment_stats import (
    Estimate,
    Verdict,
    compare,
    mean_ci,
    median_ci,
    wilson,
)
from edge_router.record.feedback import ratings

MIN_N = 30
"""Default smallest number of observations per arm and figure before a difference is
claimed."""
FIGURES = ("latency p50 ms", "cost mean usd", "local share", "error rate", "rating mean")


@dataclass(frozen=True)
class ArmFigures:
    name: str
    n: int
    figures: dict[str, Estimate]


@dataclass(frozen=True)
class Comparison:
    arm: str
    figure: str
    verdict: Verdict
    why: str


@dataclass(frozen=True)
class Report:
    experiment: str
    arms: tuple[ArmFigures, ...]
    min_n: int
    comparisons: tuple[Comparison, ...] = field(default=())

    def claims(self) -> list[tuple[str, str, Verdict]]:
        """(arm, figure, higher|lower) for every difference the report asserts."""
        return [(c.arm, c.figure, c.verdict) for c in self.comparisons if c.verdict != "undecided"]

    def as_dict(self) -> dict[str, Any]:
        return {
            "experiment": self.experiment,
            "min_n": self.min_n,
            "control": self.arms[0].name if self.arms else None,
            "arms": [
                {"name": a.name, "n": a.n, **{k: e.as_dict() for k, e in a.figures.items()}}
                for a in self.arms
            ],
            "comparisons": [c.__dict__ for c in self.comparisons],
        }


def is_pg_url(s: str | Path | None) -> bool:
    """Whether a store named on the command line or in the config is PostgreSQL."""
    return isinstance(s, str) and s.startswith(("postgresql://", "postgres://"))


def _ratings(feedback: Path | str | None, experiment: str) -> dict[str, float]:
    if is_pg_url(feedback):
        from edge_router.record.feedback_pg import pg_ratings  # psycopg only when used

        return pg_ratings(str(feedback), experiment)
    if feedback is None or not Path(feedback).is_file():
        return {}  # no rating stored yet
    return ratings(Path(feedback), experiment)


def build_report(
    audit: Path | AuditReader,
    feedback: Path | str | None,
    experiment: str,
    *,
    arms: Sequence[str] = (),
    min_n: int = MIN_N,
    since: float | None = None,
    until: float | None = None,
) -> Report:
    """Per-arm figures and comparisons with the control (module doc). ``audit``: a
    SQLite file or a reader (:class:`~edge_router.record.audit_pg_schema.PgAuditReader`
    for a fleet's trail); ``feedback``: a SQLite file or a ``postgresql://`` URL.
    ``arms``: the configured arm names in order (arms with no data yet have n = 0)."""
    reader = audit if isinstance(audit, AuditReader) else AuditReader(audit)
    by_arm: dict[str, list[tuple[str, str, int, float | None, float | None]]] = defaultdict(list)
    for arm, rid, route, status, latency, cost in reader.arm_rows(experiment, since, until):
        by_arm[arm].append((rid, route, status, latency, cost))
    rated = _ratings(feedback, experiment)
    names = list(dict.fromkeys([*arms, *sorted(by_arm)]))
    out = []
    for name in names:
        rows = by_arm.get(name, [])
        answered = [r for r in rows if r[2] < 400]
        figures = {
            "latency p50 ms": median_ci([r[3] for r in answered if r[3] is not None]),
            "cost mean usd": mean_ci([r[4] for r in answered if r[4] is not None]),
            "local share": wilson(sum(r[1] == "local" for r in answered), len(answered)),
            "error rate": wilson(sum(r[2] >= 500 for r in rows), len(rows)),
            "rating mean": mean_ci([rated[r[0]] for r in rows if r[0] in rated]),
        }
        out.append(ArmFigures(name, len(rows), figures))
    comparisons = []
    if out:
        control = out[0]
        for a in out[1:]:
            for fig in FIGURES:
                verdict, why = compare(a.figures[fig], control.figures[fig], min_n)
                comparisons.append(Comparison(a.name, fig, verdict, why))
    return Report(experiment, tuple(out), min_n, tuple(comparisons))


def _cell(e: Estimate, digits: int) -> str:
    if e.value is None:
        return "-"
    if e.low is None or e.high is None:
        return f"{e.value:.{digits}f}"
    return f"{e.value:.{digits}f} [{e.low:.{digits}f}, {e.high:.{digits}f}]"


_DIGITS = {"latency p50 ms": 0, "cost mean usd": 6, "local share": 3, "error rate": 3}


def format_report(r: Report) -> str:
    """The report as a table, then one line per arm and figure against the control."""
    lines = [f"experiment {r.experiment}: per arm, value [95% interval]"]
    head = ["arm", "n", *FIGURES, "rated"]
    cells = [
        [
            a.name,
            str(a.n),
            *(_cell(a.figures[f], _DIGITS.get(f, 2)) for f in FIGURES),
            str(a.figures["rating mean"].n),
        ]
        for a in r.arms
    ]
    widths = [max([len(h)] + [len(c[i]) for c in cells]) for i, h in enumerate(head)]
    for row in [head, *cells]:
        lines.append("  ".join(v.ljust(w) for v, w in zip(row, widths, strict=True)).rstrip())
    if not r.arms:
        lines.append("no requests recorded for this experiment")
    if len(r.arms) >= 2:
        lines.append("")
        lines.append(
            f"against the control '{r.arms[0].name}' (a difference is claimed only when both "
            f"arms have >= {r.min_n} observations and the 95% intervals do not overlap):"
        )
    for c in r.comparisons:
        if c.verdict == "undecided":
            lines.append(f"  {c.arm}: {c.figure}: too few data to decide ({c.why})")
        else:
            lines.append(f"  {c.arm}: {c.figure}: {c.verdict} than the control ({c.why})")
    if r.comparisons and not r.claims():
        lines.append("verdict: too few data to decide: no figure differs between the arms yet")
    return "\n".join(lines)


def _sources(args: argparse.Namespace) -> tuple[AuditReader, Path | str, tuple[str, ...]]:
    """(audit reader, feedback file or URL, configured arm names) from the flags and the
    config. With ``audit.url`` (or ``--db postgresql://...``) both the trail and the
    ratings come from that database: every router of the fleet writes there."""
    from edge_router.config import ConfigError, load_settings  # lazy: config imports record

    config = args.config or os.environ.get("EDGE_ROUTER_CONFIG")
    try:
        settings = load_settings(Path(config) if config else None)
    except ConfigError as exc:
        raise AuditError(str(exc)) from exc
    exp = next((e for e in settings.experiments if e.name == args.name), None)
    arms = tuple(a.name for a in exp.arms) if exp else ()
    url: str | None = settings.audit.url
    if args.db:  # the flag names the store, whatever the config says
        url = args.db if is_pg_url(args.db) else None
    reader: AuditReader
    if url:
        from edge_router.record.audit_pg_schema import PgAuditReader  # psycopg only when used

        reader = PgAuditReader(url)
    else:
        reader = AuditReader(Path(args.db) if args.db else settings.audit.resolve_path())
    fb: Path | str
    if args.feedback_db:
        fb = args.feedback_db if is_pg_url(args.feedback_db) else Path(args.feedback_db)
    else:
        fb = url or settings.feedback.resolve_path(settings.audit)
    return reader, fb, arms


def experiments_cli(argv: Sequence[str] | None = None, out: TextIO | None = None) -> int:
    """``edge-router experiments report NAME``; returns the exit status."""
    from edge_router.record.audit_cli import _parse_time

    p = argparse.ArgumentParser(
        prog="edge-router experiments", description="Report on routing experiments."
    )
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")
    rep = sub.add_parser("report", help="per-arm figures with 95%% intervals")
    rep.add_argument("name", help="experiment name")
    rep.add_argument("--config", help="config file (audit and feedback paths, arm order)")
    rep.add_argument(
        "--db", help="audit SQLite file or postgresql:// URL (default: from the config)"
    )
    rep.add_argument(
        "--feedback-db",
        help="feedback SQLite file or postgresql:// URL (default: the audit database's "
        "URL with PostgreSQL, else from the config)",
    )
    rep.add_argument("--since", type=_parse_time, help="ISO time (UTC if naive) or age: 7d")
    rep.add_argument("--until", type=_parse_time, help="ISO time (exclusive)")
    rep.add_argument("--control", help="the arm to compare with (default: the first arm)")
    rep.add_argument("--min-n", type=int, default=MIN_N, help=f"default {MIN_N}")
    rep.add_argument("--json", action="store_true", help="JSON instead of a table")
    args = p.parse_args(argv)
    out = out or sys.stdout
    try:
        audit, fb, arms = _sources(args)
        if args.control:
            arms = (args.control, *(a for a in arms if a != args.control))
        report = build_report(
            audit,
            fb,
            args.name,
            arms=arms,
            min_n=max(1, args.min_n),
            since=args.since.timestamp() if args.since else None,
            until=args.until.timestamp() if args.until else None,
        )
    except (AuditError, sqlite3.Error) as exc:
        print(f"edge-router experiments: {exc}", file=sys.stderr)
        return 2
    if not report.arms:
        print(
            f"edge-router experiments: no experiment {args.name!r} in the config and no "
            f"requests recorded for it in {audit.path}",
            file=sys.stderr,
        )
        return 2
    out.write(json.dumps(report.as_dict(), indent=2) if args.json else format_report(report))
    out.write("\n")
    return 0
