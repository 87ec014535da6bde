"""How often our scanner and stock Presidio flag PII-bearing vs clean prompts.

    .venv/bin/python bench/scan_quality.py [--data ../shared/data] [--limit N] [--show N]
        [--split] [--no-stock] [--unseen N]

``--split`` also reports the even-indexed half of each set (the half rules were tuned
on) and the odd-indexed half (held out) separately, so overfitting shows as a gap.
The halves share the sets' sentence templates, so they cannot show overfitting to
those; ``--unseen N`` adds N MMLU questions (never looked at while tuning, no PII
labels: exam questions about hypothetical and historical people) as a rough proxy for
how noisy the rules are on real prompts.

"PII-bearing" means a Presidio-research sample with at least one span of a type that
identifies a private person or their data (PRIVATE_SPAN_TYPES). Samples whose only spans
are dates, places, organisations, titles, ages, nationalities or domain names are left
out of that denominator (they reveal nothing private on their own) but the "all spans"
row counts every sample with any span. Clean prompts: MT-Bench turns and self-instruct
tasks (instruction plus instance inputs). Stock = Presidio's default AnalyzerEngine on
the same spaCy model, threshold 0.35, any entity => sensitive.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

# Stock Presidio's email recognizer uses tldextract's global extractor, which would fetch
# the public suffix list; an empty URL list makes it use the bundled snapshot instead.
os.environ.setdefault("TLDEXTRACT_PUBLIC_SUFFIX_LIST_URLS", "")

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

PRIVATE_SPAN_TYPES = frozenset(
    {
        "PERSON",
        "STREET_ADDRESS",
        "ADDRESS",
        "CREDIT_CARD",
        "PHONE_NUMBER",
        "EMAIL_ADDRESS",
        "US_SSN",
        "IBAN_CODE",
        "IP_ADDRESS",
        "US_DRIVER_LICENSE",
    }
)


def load_pii(data: Path) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for name in ("presidio_synth_dataset_v2.json", "presidio_generated_large.json"):
        for sample in json.loads((data / name).read_text()):
            if sample.get("spans"):
                out.append(sample)
    return out


def load_clean(data: Path) -> list[str]:
    out: list[str] = []
    with (data / "mt_bench_questions.jsonl").open() as fh:
        for line in fh:
            out += json.loads(line)["turns"]
    with (data / "self_instruct_seed_tasks.jsonl").open() as fh:
        for line in fh:
            task = json.loads(line)
            inputs = [i["input"] for i in task.get("instances", []) if i.get("input")]
            out.append("\n".join([task["instruction"], *inputs]))
    return out


def load_unseen(data: Path, n: int) -> list[str]:
    """``n`` MMLU questions spread evenly over the subject files (never tuned on)."""
    rows: list[str] = []
    for path in sorted((data / "routellm" / "mmlu").glob("mmlu_*.csv")):
        with path.open(newline="") as fh:
            rows += [row["prompt"] for row in csv.DictReader(fh)]
    step = max(1, len(rows) // n) if n else 1
    return rows[::step][:n]


def stock_engine(model: str) -> Any:
    from presidio_analyzer import AnalyzerEngine
    from presidio_analyzer.nlp_engine import NlpEngineProvider

    conf = {
        "nlp_engine_name": "spacy",
        "models": [{"lang_code": "en", "model_name": model}],
    }
    return AnalyzerEngine(nlp_engine=NlpEngineProvider(nlp_configuration=conf).create_engine())


def stock_flags(engine: Any, texts: list[str]) -> list[tuple[bool, set[str]]]:
    out = []
    for text in texts:
        found = engine.analyze(text, language="en", score_threshold=0.35)
        out.append((bool(found), {r.entity_type for r in found}))
    return out


def ours_flags(scanner: Any, texts: list[str]) -> list[tuple[bool, set[str]]]:
    from edge_router.privacy.types import TextField

    out = []
    for start in range(0, len(texts), 256):
        batch = [([TextField("text", t)], ()) for t in texts[start : start + 256]]
        for res in scanner.scan_many(batch):
            types = {r.removeprefix("entity:") for r in res.reasons if r.startswith("entity:")}
            out.append((res.sensitive, types))
    return out


def pct(flags: list[tuple[bool, set[str]]], idx: list[int]) -> str:
    if not idx:
        return "n/a"
    return f"{100.0 * sum(flags[i][0] for i in idx) / len(idx):.1f}%"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=REPO.parent / "shared" / "data")
    parser.add_argument("--limit", type=int, default=0, help="samples per set (0 = all)")
    parser.add_argument("--show", type=int, default=0, help="print N misses/false alarms")
    parser.add_argument(
        "--split", action="store_true", help="also report even (tuned) / odd (held-out) halves"
    )
    parser.add_argument("--no-stock", action="store_true", help="skip stock Presidio (faster)")
    parser.add_argument(
        "--unseen",
        type=int,
        default=0,
        help="also report the share of N unseen MMLU questions flagged (no PII labels)",
    )
    args = parser.parse_args()

    from edge_router.privacy.scanner import PrivacyScanner
    from edge_router.privacy.settings import ScannerSettings

    pii, clean = load_pii(args.data), load_clean(args.data)
    if args.limit:
        pii, clean = pii[: args.limit], clean[: args.limit]
    strict = [
        i for i, s in enumerate(pii) if {x["entity_type"] for x in s["spans"]} & PRIVATE_SPAN_TYPES
    ]
    every = list(range(len(pii)))

    settings = ScannerSettings()
    t0 = time.perf_counter()
    scanner = PrivacyScanner(settings)
    ours_p, ours_c = ours_flags(scanner, [s["full_text"] for s in pii]), ours_flags(scanner, clean)
    t_ours = time.perf_counter() - t0
    t0 = time.perf_counter()
    if args.no_stock:
        stock_p, stock_c = [(False, set())] * len(pii), [(False, set())] * len(clean)
    else:
        stock = stock_engine(settings.spacy_model)
        stock_p = stock_flags(stock, [s["full_text"] for s in pii])
        stock_c = stock_flags(stock, clean)
    t_stock = time.perf_counter() - t0

    print("| set | n | ours sensitive | stock Presidio sensitive |")
    print("|---|---:|---:|---:|")
    allc = list(range(len(clean)))
    rows = [
        ("PII-bearing (private span types)", strict, ours_p, stock_p),
        ("PII, all samples with any span", every, ours_p, stock_p),
        ("clean (MT-Bench + self-instruct)", allc, ours_c, stock_c),
    ]
    if args.split:
        for half, rest in (("even, tuned", 0), ("odd, held out", 1)):
            rows += [
                (f"PII-bearing, {half}", [i for i in strict if i % 2 == rest], ours_p, stock_p),
                (f"clean, {half}", [i for i in allc if i % 2 == rest], ours_c, stock_c),
            ]
    for label, idx, o, s in rows:
        print(f"| {label} | {len(idx)} | {pct(o, idx)} | {pct(s, idx)} |")
    if args.unseen:
        unseen = load_unseen(args.data, args.unseen)
        ours_u = ours_flags(scanner, unseen)
        stock_u = [(False, set())] * len(unseen) if args.no_stock else stock_flags(stock, unseen)
        every_u = list(range(len(unseen)))
        label = "unseen MMLU questions (real-world noise proxy)"
        print(f"| {label} | {len(unseen)} | {pct(ours_u, every_u)} | {pct(stock_u, every_u)} |")
    print(f"\nwall time incl. engine build: ours {t_ours:.1f}s, stock {t_stock:.1f}s")

    missed = Counter(
        t for i in strict if not ours_p[i][0] for t in {x["entity_type"] for x in pii[i]["spans"]}
    )
    alarms = Counter(t for f, types in ours_c if f for t in types)
    print("\nours, misses by gold span type:", dict(missed.most_common()))
    print("ours, false alarms on clean by detected type:", dict(alarms.most_common()))
    if args.show:
        print("\n-- misses --")
        for i in [i for i in strict if not ours_p[i][0]][: args.show]:
            print(repr(pii[i]["full_text"][:200]), [x["entity_type"] for x in pii[i]["spans"]])
        print("\n-- false alarms --")
        for i in [i for i in allc if ours_c[i][0]][: args.show]:
            print(repr(clean[i][:200]), ours_c[i][1])


if __name__ == "__main__":
    main()
