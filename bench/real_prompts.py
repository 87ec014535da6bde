"""Privacy decisions on the project's own realistic prompts (issue 12), ours vs stock Presidio.

    .venv/bin/python bench/real_prompts.py [--split dev|heldout|all] [--json-out PATH]
        [--data bench/data/real_prompts.jsonl] [--no-stock] [--weak-lone-names]

The set (``bench/data/real_prompts.jsonl``, rules in ``bench/data/REAL_PROMPTS.md``) is
hand-written prompts in the way people type to chatbots, each labelled ``private`` with
the exact private strings (``values``), a language, ``informal`` (chat messages, social
posts) and a fixed ``split``: tune on ``dev``, report ``heldout``.

Per half, overall and per language it reports:

- flagged, private prompts: ours = ``ScanResult.sensitive`` of the real scanner;
  stock = Presidio's default ``AnalyzerEngine`` on the same spaCy model finds any entity
  at threshold 0.35 (as ``scan_quality.py``);
- flagged, clean look-alikes; flagged, informal private texts;
- leak under ``default`` and under ``gdpr``: share of the private prompts that the real
  ``Router`` (policies from ``policies/``, ``ComplexityScorer(0)`` so every prompt counts
  as complex, a cloud available, no load snapshot) sends to the cloud with a labelled
  private value still in ``router.outbound(ev)[0]``. A value counts as left in when it
  occurs whole, or, for a name (no digits, no ``@``, not said in words: "five five
  five ..."), when any of its words of three or more characters occurs as a whole word
  (so a half-redacted "Dana <PERSON>" still counts). A decision to redact that cannot
  be applied (``RedactionError``) sends nothing;
- median scan time per prompt, ours uncached vs stock, alternating prompt by prompt.

The summary never prints prompt text or values: ids, languages, kinds and entity types.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import os
import re
import statistics
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

os.environ.setdefault("TLDEXTRACT_PUBLIC_SUFFIX_LIST_URLS", "")  # stock: offline PSL

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from scan_quality import stock_engine  # noqa: E402

from edge_router.privacy.normalize import normalise  # noqa: E402
from edge_router.privacy.redaction import RedactionError  # noqa: E402
from edge_router.privacy.scanner import PrivacyScanner  # noqa: E402
from edge_router.privacy.settings import ScannerSettings  # noqa: E402
from edge_router.privacy.types import TextField  # noqa: E402
from edge_router.routing.complexity import ComplexityScorer  # noqa: E402
from edge_router.routing.pipeline import Evaluation, PolicySet, Router  # noqa: E402

DEFAULT_DATA = REPO / "bench" / "data" / "real_prompts.jsonl"
LANG_ORDER = ("en", "es", "fr", "de", "ru", "zh", "fa", "ar", "mixed")
# Name particles that are ordinary words elsewhere; not checked on their own.
# Name particles and titles: not private on their own, so a redacted name may keep them
# ("Mrs. <PERSON_1>" keeps no private word). Compared after the dot is stripped; the
# titles were listed with their dot until 2026-11-29, so they never matched.
_PARTICLES = frozenset(
    {"van", "der", "den", "de", "da", "del", "della", "di", "du", "la", "le", "von", "al"}
    | {"el", "bin", "ibn", "dos", "das", "mr", "mrs", "ms", "dr", "prof", "herr", "herrn"}
    | {"frau", "sr", "sra", "mme", "mlle", "monsieur", "madame", "señor", "señora", "don"}
)


@dataclass
class Outcome:
    """Per-prompt result: ids, labels and decisions only, never text or values."""

    id: str
    split: str
    lang: str
    kind: str
    private: bool
    informal: bool
    ours: bool = False
    ours_types: list[str] = field(default_factory=list)
    ours_reasons: list[str] = field(default_factory=list)
    stock: bool = False
    stock_types: list[str] = field(default_factory=list)
    route_default: str = ""
    leak_default: bool = False
    route_gdpr: str = ""
    leak_gdpr: bool = False
    scan_failed: bool = False
    ms_ours: float = 0.0
    ms_stock: float = 0.0


def load(path: Path) -> list[dict[str, Any]]:
    with path.open(encoding="utf-8") as fh:
        rows = [json.loads(line) for line in fh if line.strip()]
    for r in rows:
        bad = [v for v in r["values"] if v not in r["text"]]
        if bad or r["private"] != bool(r["values"]):
            raise SystemExit(f"{r['id']}: labelled values do not match the text")
    return rows


def strings(value: Any) -> Iterable[str]:
    """Every string in a JSON-like body (keys included: they go upstream too)."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for k, v in value.items():
            yield str(k)
            yield from strings(v)
    elif isinstance(value, list):
        for v in value:
            yield from strings(v)


def _said_value(value: str) -> bool:
    """A number or address said in words ("five five five ...", "f underscore x at y dot
    org"): no name, so only the whole value counts, since its words ("five") are
    anybody's. Told by what the scanner's own normaliser makes of it."""
    folded = normalise(value).text
    return any(ch.isdigit() for ch in folded) or "@" in folded


def left_in(values: Sequence[str], body: Any) -> bool:
    """True when a private value, or a word of a private name, is still in ``body``."""
    blob = "\n".join(strings(body))
    for v in values:
        if v in blob:
            return True
        if any(ch.isdigit() for ch in v) or "@" in v or _said_value(v):
            continue
        for part in v.split():
            p = part.strip(".,;:")
            if len(p) < 3 or p.lower() in _PARTICLES:
                continue
            if re.search(rf"(?<!\w){re.escape(p)}(?!\w)", blob):
                return True
    return False


def leaks(router: Router, ev: Evaluation, values: Sequence[str]) -> bool:
    if ev.decision.route != "cloud":
        return False
    try:
        out, _ = router.outbound(ev)
    except RedactionError:  # fails closed: nothing is sent
        return False
    return left_in(values, out)


async def route_all(
    router: Router, policies: PolicySet, rows: list[dict[str, Any]], outs: list[Outcome]
) -> None:
    gdpr = policies.named("gdpr")
    for r, o in zip(rows, outs, strict=True):
        body = {"model": "auto", "messages": [{"role": "user", "content": r["text"]}]}
        ev = await router.evaluate(body, model="auto", cloud_available=True)
        o.ours = ev.scan.sensitive
        o.ours_types = sorted(ev.scan.entity_types)
        o.ours_reasons = [x for x in ev.scan.reasons if not x.startswith("entity:")]
        o.scan_failed = "scan_failed" in ev.scan.reasons
        o.route_default = ev.decision.route
        o.leak_default = r["private"] and leaks(router, ev, r["values"])
        evg = await router.evaluate(body, model="auto", policy=gdpr, cloud_available=True)
        o.route_gdpr = evg.decision.route
        o.leak_gdpr = r["private"] and leaks(router, evg, r["values"])


def time_scans(
    scanner: PrivacyScanner, stock: Any, rows: list[dict[str, Any]], outs: list[Outcome]
) -> None:
    """Uncached scan times, the two engines alternating prompt by prompt; stock verdicts."""

    def ours(text: str) -> float:
        t0 = time.perf_counter()
        scanner.scan([TextField("messages[0].content", text)])
        return (time.perf_counter() - t0) * 1e3

    for r in rows[:10]:  # warm both
        ours(r["text"])
        if stock is not None:
            stock.analyze(r["text"], language="en", score_threshold=0.35)
    for r, o in zip(rows, outs, strict=True):
        o.ms_ours = ours(r["text"])
        if stock is None:
            continue
        t0 = time.perf_counter()
        found = stock.analyze(r["text"], language="en", score_threshold=0.35)
        o.ms_stock = (time.perf_counter() - t0) * 1e3
        o.stock = bool(found)
        o.stock_types = sorted({f.entity_type for f in found})


def rate(outs: Sequence[Outcome], attr: str) -> float | None:
    return 100.0 * sum(bool(getattr(o, attr)) for o in outs) / len(outs) if outs else None


def summarise(outs: Sequence[Outcome]) -> dict[str, Any]:
    priv = [o for o in outs if o.private]
    clean = [o for o in outs if not o.private]
    inf = [o for o in priv if o.informal]
    return {
        "n": len(outs),
        "private_n": len(priv),
        "private_flagged_ours": rate(priv, "ours"),
        "private_flagged_stock": rate(priv, "stock"),
        "clean_n": len(clean),
        "clean_flagged_ours": rate(clean, "ours"),
        "clean_flagged_stock": rate(clean, "stock"),
        "informal_private_n": len(inf),
        "informal_private_flagged_ours": rate(inf, "ours"),
        "informal_private_flagged_stock": rate(inf, "stock"),
        "informal_clean_flagged_ours": rate([o for o in clean if o.informal], "ours"),
        "leak_default": rate(priv, "leak_default"),
        "leak_gdpr": rate(priv, "leak_gdpr"),
        "scan_failed": sum(o.scan_failed for o in outs),
    }


def fmt(x: float | None) -> str:
    return "n/a" if x is None else f"{x:.1f}%"


def table(groups: Sequence[tuple[str, dict[str, Any]]], stock: bool) -> list[str]:
    head = (
        "| set | private n | flagged ours | flagged stock | clean n | flagged ours | "
        "flagged stock | informal private n | flagged ours | flagged stock | "
        "leak `default` | leak `gdpr` |"
    )
    lines = [head, "|---|" + "---:|" * 11]
    lines.append("| *target* | | **>= 95%** | | | **<= 10%** | | | **>= 85%** | | **<= 1%** | |")
    for label, s in groups:

        def st(key: str, s: dict[str, Any] = s) -> str:
            return fmt(s[key]) if stock else "-"

        lines.append(
            f"| {label} | {s['private_n']} | {fmt(s['private_flagged_ours'])} | "
            f"{st('private_flagged_stock')} | {s['clean_n']} | {fmt(s['clean_flagged_ours'])} | "
            f"{st('clean_flagged_stock')} | {s['informal_private_n']} | "
            f"{fmt(s['informal_private_flagged_ours'])} | "
            f"{st('informal_private_flagged_stock')} | {fmt(s['leak_default'])} | "
            f"{fmt(s['leak_gdpr'])} |"
        )
    return lines


def p95(values: Sequence[float]) -> float:
    return sorted(values)[max(0, round(0.95 * len(values)) - 1)]


def head_commit() -> str:
    try:
        out = subprocess.run(
            ["git", "-C", str(REPO), "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            check=True,
        )
        dirty = subprocess.run(
            ["git", "-C", str(REPO), "status", "--porcelain", "--untracked-files=no"],
            capture_output=True,
            text=True,
            check=True,
        )
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return out.stdout.strip() + (" (+ uncommitted changes)" if dirty.stdout.strip() else "")


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--split", choices=("dev", "heldout", "all"), default="all")
    parser.add_argument("--json-out", type=Path, help="write per-prompt outcomes (no text)")
    parser.add_argument("--no-stock", action="store_true", help="skip stock Presidio")
    parser.add_argument(
        "--weak-lone-names",
        action="store_true",
        help="turn on the opt-in privacy.weak_lone_names rule",
    )
    args = parser.parse_args()

    started = dt.datetime.now(dt.UTC)
    rows = load(args.data)
    if args.split != "all":
        rows = [r for r in rows if r["split"] == args.split]
    outs = [
        Outcome(r["id"], r["split"], r["lang"], r["kind"], r["private"], r["informal"])
        for r in rows
    ]

    # The daemon's scanner settings, minus the result cache: the same detections, but
    # every scan (timed or routed) is a real, uncached one.
    settings = ScannerSettings(cache_size=0, weak_lone_names=args.weak_lone_names)
    scanner = PrivacyScanner(settings)
    stock = None if args.no_stock else stock_engine(settings.spacy_model)
    policies = PolicySet.load(REPO / "policies", "default")
    router = Router(scanner, policies, ComplexityScorer(0.0), cloud_available=lambda: True)

    time_scans(scanner, stock, rows, outs)
    asyncio.run(route_all(router, policies, rows, outs))

    halves = ("dev", "heldout") if args.split == "all" else (args.split,)
    groups = [(f"{h} half", summarise([o for o in outs if o.split == h])) for h in halves]
    if args.split == "all":
        groups.append(("all", summarise(outs)))
    langs = [x for x in LANG_ORDER if any(o.lang == x for o in outs)]
    by_lang = [(lang, summarise([o for o in outs if o.lang == lang])) for lang in langs]

    print(f"# real_prompts bench, {started:%Y-%m-%d %H:%M} UTC, code {head_commit()}")
    if args.weak_lone_names:
        print("# with the opt-in privacy.weak_lone_names rule on")
    print(f"# data {args.data.name}, split {args.split}, {len(outs)} prompts\n")
    print("\n".join(table(groups, stock is not None)))
    print(f"\nPer language (split {args.split}):\n")
    print("\n".join(table(by_lang, stock is not None)))

    mo = statistics.median(o.ms_ours for o in outs)
    timing: dict[str, Any] = {"ours_median_ms": mo, "ours_p95_ms": p95([o.ms_ours for o in outs])}
    print(f"\nScan time per prompt, {len(outs)} prompts, uncached, alternating:\n")
    print("| engine | median | p95 |\n|---|---:|---:|")
    if stock is not None:
        ms = statistics.median(o.ms_stock for o in outs)
        ps = p95([o.ms_stock for o in outs])
        timing |= {"stock_median_ms": ms, "stock_p95_ms": ps, "ratio_median": mo / ms}
        print(f"| stock Presidio | {ms:.2f} ms | {ps:.2f} ms |")
        print(
            f"| edge-router | {mo:.2f} ms (**{mo / ms:.2f}x**, target <= 0.5x) | "
            f"{timing['ours_p95_ms']:.2f} ms ({timing['ours_p95_ms'] / ps:.2f}x) |"
        )
    else:
        print(f"| edge-router | {mo:.2f} ms | {timing['ours_p95_ms']:.2f} ms |")

    failed = [o.id for o in outs if o.scan_failed]
    if failed:
        print(f"\nWARNING: {len(failed)} scans failed closed (counted as flagged): {failed}")

    def ids(sel: Iterable[Outcome], with_types: bool = True) -> list[str]:
        return [
            f"{o.id} ({o.split}, {o.lang}, {o.kind}{', informal' if o.informal else ''})"
            + (f" ours={','.join(o.ours_types) or '-'}" if with_types else "")
            + (f" stock={','.join(o.stock_types) or '-'}" if with_types and stock else "")
            for o in sel
        ]

    missed = [o for o in outs if o.private and not o.ours]
    alarms = [o for o in outs if not o.private and o.ours]
    print(f"\nMissed private prompts ({len(missed)}), entity types found:")
    print("\n".join(f"- {line}" for line in ids(missed)) or "- none")
    print(f"\nFalse alarms on clean prompts ({len(alarms)}), entity types found:")
    print("\n".join(f"- {line}" for line in ids(alarms)) or "- none")
    for pol in ("default", "gdpr"):
        leaked = [o for o in outs if getattr(o, f"leak_{pol}")]
        print(f"\nSent to the cloud under `{pol}` with a private value left in ({len(leaked)}):")
        print(", ".join(o.id for o in leaked) or "none")
    print(
        "\nmissed by kind:",
        dict(Counter(o.kind for o in missed).most_common()),
        "\nmissed by language:",
        dict(Counter(o.lang for o in missed).most_common()),
    )

    if args.json_out:
        args.json_out.write_text(
            json.dumps(
                {
                    "started_utc": started.isoformat(timespec="seconds"),
                    "code": head_commit(),
                    "split": args.split,
                    "summary": dict(groups),
                    "by_language": dict(by_lang),
                    "timing": timing,
                    "prompts": [asdict(o) for o in outs],
                },
                indent=1,
            )
        )


if __name__ == "__main__":
    main()
