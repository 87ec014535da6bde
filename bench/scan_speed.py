"""Per-prompt scan time, ours vs stock Presidio, and the incremental cost of a chat turn.

    .venv/bin/python bench/scan_speed.py [--data ../shared/data] [--limit 300]

Per-prompt: each prompt scanned alone (cache cleared per prompt for ours, so this is
the uncached cost); "normalisation" is the share of ours spent undoing obfuscation
(privacy/normalize.py) before detection. Multi-turn: a 10-turn chat from consecutive
MT-Bench turns; "turn 10" is scanning the whole chat after turns 1-9 were scanned (only
the new message is analysed, the rest comes from the cache) vs. rescanning all ten
messages from scratch with stock Presidio and with ours uncached.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

os.environ.setdefault("TLDEXTRACT_PUBLIC_SUFFIX_LIST_URLS", "")  # stock: offline PSL

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from scan_quality import load_clean, load_pii, stock_engine  # noqa: E402


def p95(values: list[float]) -> float:
    return sorted(values)[max(0, round(0.95 * len(values)) - 1)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=REPO.parent / "shared" / "data")
    parser.add_argument("--limit", type=int, default=300, help="prompts to time (0 = all)")
    parser.add_argument("--chats", type=int, default=10, help="10-turn chats to time")
    args = parser.parse_args()

    from edge_router.privacy.normalize import normalise
    from edge_router.privacy.scanner import PrivacyScanner
    from edge_router.privacy.settings import ScannerSettings
    from edge_router.privacy.types import TextField

    pii = [s["full_text"] for s in load_pii(args.data)]
    clean = load_clean(args.data)
    # Interleave PII and clean prompts so both kinds are represented in the sample.
    prompts = [p for pair in zip(pii[::7], clean, strict=False) for p in pair]
    if args.limit:
        prompts = prompts[: args.limit]

    settings = ScannerSettings(cache_size=0)
    ours = PrivacyScanner(settings)
    stock = stock_engine(settings.spacy_model)

    def t_ours(text: str) -> float:
        t0 = time.perf_counter()
        ours.scan([TextField("text", text)])
        return time.perf_counter() - t0

    def t_stock(text: str) -> float:
        t0 = time.perf_counter()
        stock.analyze(text, language="en", score_threshold=0.35)
        return time.perf_counter() - t0

    for text in prompts[:10]:  # warm both
        t_ours(text), t_stock(text)
    # Alternate the two engines prompt by prompt so background load hits both alike.
    times_o, times_s = [], []
    for text in prompts:
        times_o.append(t_ours(text))
        times_s.append(t_stock(text))
    # Normalisation alone (undoing obfuscation before detection; part of "ours").
    times_n = []
    for text in prompts:
        t0 = time.perf_counter()
        normalise(text)
        times_n.append(time.perf_counter() - t0)
    mo, ms = statistics.median(times_o), statistics.median(times_s)
    print(f"Per-prompt scan time, {len(prompts)} prompts (ms)\n")
    print("| engine | median | p95 |")
    print("|---|---:|---:|")
    print(f"| stock Presidio | {ms * 1e3:.2f} | {p95(times_s) * 1e3:.2f} |")
    print(f"| ours (uncached) | {mo * 1e3:.2f} | {p95(times_o) * 1e3:.2f} |")
    print(f"| ratio ours/stock | {mo / ms:.2f}x | {p95(times_o) / p95(times_s):.2f}x |")
    mn = statistics.median(times_n)
    print(f"| normalisation (part of ours) | {mn * 1e3:.3f} | {p95(times_n) * 1e3:.3f} |")

    # Multi-turn: consecutive MT-Bench turns as alternating user/assistant messages.
    cached = PrivacyScanner(ScannerSettings())
    inc, full_o, full_s = [], [], []
    for c in range(args.chats):
        turns = clean[c * 10 : c * 10 + 10]
        if len(turns) < 10:
            break
        fields = [TextField(f"messages[{i}].content", t) for i, t in enumerate(turns)]
        cached.scan(fields[:9])  # turns 1-9 already seen
        t0 = time.perf_counter()
        cached.scan(fields)
        inc.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        ours.scan(fields)
        full_o.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        for t in turns:
            stock.analyze(t, language="en", score_threshold=0.35)
        full_s.append(time.perf_counter() - t0)
    mi, mfo, mfs = (statistics.median(x) for x in (inc, full_o, full_s))
    print(f"\nTurn 10 of a 10-turn chat, {len(inc)} chats (median ms)\n")
    print("| scan | median | vs rescanning whole chat (ours) | vs stock rescan |")
    print("|---|---:|---:|---:|")
    print(f"| ours, incremental (cache) | {mi * 1e3:.2f} | {mi / mfo:.2f}x | {mi / mfs:.2f}x |")
    print(f"| ours, whole chat uncached | {mfo * 1e3:.2f} | 1.00x | {mfo / mfs:.2f}x |")
    print(f"| stock, whole chat | {mfs * 1e3:.2f} | | 1.00x |")


if __name__ == "__main__":
    main()
