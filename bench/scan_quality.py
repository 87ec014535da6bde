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

Those two "sensitive" columns use each detector's own definition (stock counts any
entity, dates and NRP included; ours ignores or weakens some types). The span table
compares both detectors under ONE definition, on what ``redact`` depends on: per gold
entity type, the share of labelled spans a detection would hide (every character of
the span inside a detection; a missed or partly covered span leaks under ``gdpr``),
and the share found with the right type. Both detectors' outputs go through the same
type map (``DETECTOR_CLASS``) onto the same gold classes (``GOLD_CLASS``); a detected
type outside the map is dropped for both. Ours runs with its shipped settings
(thresholds, ``ignore_types``), because that is what redaction sees.
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


# Gold span types -> the class they are scored as. AGE, TITLE, ZIP_CODE and PREFIX have
# no detector on either side and are not scored.
GOLD_CLASS = {
    "PERSON": "PERSON",
    "STREET_ADDRESS": "ADDRESS",
    "ADDRESS": "ADDRESS",
    "GPE": "LOCATION",
    "LOCATION": "LOCATION",
    "EMAIL_ADDRESS": "EMAIL_ADDRESS",
    "PHONE_NUMBER": "PHONE_NUMBER",
    "CREDIT_CARD": "CREDIT_CARD",
    "US_SSN": "US_SSN",
    "IBAN_CODE": "IBAN_CODE",
    "IP_ADDRESS": "IP_ADDRESS",
    "US_DRIVER_LICENSE": "US_DRIVER_LICENSE",
    "ORGANIZATION": "ORGANIZATION",
    "NRP": "NRP",
    "DATE_TIME": "DATE_TIME",
    "DOMAIN_NAME": "DOMAIN_NAME",
}
# Detector output types (ours and stock alike) -> the same classes. A street address
# read only as a place counts as hidden (covered) but not as found with its type.
DETECTOR_CLASS = {
    "PERSON": "PERSON",
    "STREET_ADDRESS": "ADDRESS",
    "LOCATION": "LOCATION",
    "EMAIL_ADDRESS": "EMAIL_ADDRESS",
    "PHONE_NUMBER": "PHONE_NUMBER",
    "CREDIT_CARD": "CREDIT_CARD",
    "US_SSN": "US_SSN",
    "IBAN_CODE": "IBAN_CODE",
    "IP_ADDRESS": "IP_ADDRESS",
    "US_DRIVER_LICENSE": "US_DRIVER_LICENSE",
    "ORGANIZATION": "ORGANIZATION",
    "NRP": "NRP",
    "DATE_TIME": "DATE_TIME",
    "URL": "DOMAIN_NAME",
}
Span = tuple[str, int, int]  # (detected type, start, end)


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


Flag = tuple[bool, set[str], list[Span]]  # (sensitive, types, detected spans)


def stock_flags(engine: Any, texts: list[str]) -> list[Flag]:
    out: list[Flag] = []
    for text in texts:
        found = engine.analyze(text, language="en", score_threshold=0.35)
        spans = [(r.entity_type, r.start, r.end) for r in found]
        out.append((bool(found), {r.entity_type for r in found}, spans))
    return out


def ours_flags(scanner: Any, texts: list[str]) -> list[Flag]:
    from edge_router.privacy.types import TextField

    out: list[Flag] = []
    for start in range(0, len(texts), 256):
        batch = [([TextField("text", t)], ()) for t in texts[start : start + 256]]
        for res in scanner.scan_many(batch):
            types = {r.removeprefix("entity:") for r in res.reasons if r.startswith("entity:")}
            spans = [(e.type, e.start, e.end) for e in res.entities]
            out.append((res.sensitive, types, spans))
    return out


def span_scores(text: str, gold: dict[str, Any], found: list[Span]) -> tuple[bool, bool]:
    """(hidden, found with its type) for one gold span, under the shared type map.

    Hidden: every non-space character of the span lies inside some mapped detection,
    so redaction would leave nothing of it. Typed: a detection of the same class
    overlaps it.
    """
    start, end = gold["start_position"], gold["end_position"]
    cls = GOLD_CLASS[gold["entity_type"]]
    mapped = [(DETECTOR_CLASS[t], s, e) for t, s, e in found if t in DETECTOR_CLASS]
    covered = [False] * (end - start)
    typed = False
    for c, s, e in mapped:
        if s < end and e > start:
            typed = typed or c == cls
            for i in range(max(s, start), min(e, end)):
                covered[i - start] = True
    hidden = all(covered[i] for i in range(end - start) if not text[start + i].isspace())
    return hidden, typed


def span_table(pii: list[dict[str, Any]], ours: list[Flag], stock: list[Flag] | None) -> None:
    """Per gold class: spans, share hidden and share found with its type, both detectors."""
    counts: Counter[str] = Counter()
    tallies: dict[str, Counter[str]] = {}
    for i, sample in enumerate(pii):
        text = sample["full_text"]
        for g in sample["spans"]:
            if g["entity_type"] not in GOLD_CLASS:
                continue
            cls = GOLD_CLASS[g["entity_type"]]
            counts[cls] += 1
            t = tallies.setdefault(cls, Counter())
            for who, flags in (("ours", ours), ("stock", stock)):
                if flags is None:
                    continue
                hidden, typed = span_scores(text, g, flags[i][2])
                t[f"{who}_hidden"] += hidden
                t[f"{who}_typed"] += typed
    skipped = Counter(
        g["entity_type"] for s in pii for g in s["spans"] if g["entity_type"] not in GOLD_CLASS
    )

    def share(n: int, d: int) -> str:
        return f"{100.0 * n / d:.1f}%" if d else "n/a"

    def cells(t: Counter[str], n: int) -> str:
        out = []
        for k in ("hidden", "typed"):
            for w in ("ours", "stock"):
                out.append("n/a" if w == "stock" and stock is None else share(t[f"{w}_{k}"], n))
        return " | ".join(out)

    print("\n| gold type | spans | ours hidden | stock hidden | ours typed | stock typed |")
    print("|---|---:|---:|---:|---:|---:|")
    total: Counter[str] = Counter()
    private = {GOLD_CLASS[t] for t in PRIVATE_SPAN_TYPES}
    for cls, n in counts.most_common():
        if cls in private:
            total.update(tallies[cls])
            total["n"] += n
        print(f"| {cls} | {n} | {cells(tallies[cls], n)} |")
    print(f"| **private types together** | {total['n']} | {cells(total, total['n'])} |")
    print(f"not scored (no detector on either side): {dict(skipped.most_common())}")


def pct(flags: list[Flag], idx: list[int]) -> str:
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
        none: Flag = (False, set(), [])
        stock_p, stock_c = [none] * len(pii), [none] * len(clean)
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
        none: Flag = (False, set(), [])
        stock_u = [none] * len(unseen) if args.no_stock else stock_flags(stock, unseen)
        every_u = list(range(len(unseen)))
        label = "unseen MMLU questions (real-world noise proxy)"
        print(f"| {label} | {len(unseen)} | {pct(ours_u, every_u)} | {pct(stock_u, every_u)} |")
    print(f"\nwall time incl. engine build: ours {t_ours:.1f}s, stock {t_stock:.1f}s")
    print("\nSpan-level recall on the PII sets, both detectors under one type map:")
    span_table(pii, ours_p, None if args.no_stock else stock_p)

    missed = Counter(
        t for i in strict if not ours_p[i][0] for t in {x["entity_type"] for x in pii[i]["spans"]}
    )
    alarms = Counter(t for f, types, _ in ours_c if f for t in types)
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
