"""NER's matrix products with thinc's BLIS against numpy's BLAS, and what that does to a scan.

    .venv/bin/python bench/matmul.py [--data bench/data/real_prompts.jsonl] [--limit 0]

Two tables, one run:

1. The products themselves: one maxout layer of the spaCy token encoder's shape
   (``n`` tokens x 288 inputs -> 288 outputs, float32), thinc's default ``NumpyOps``
   (its bundled BLIS) against ``NumpyOps(use_blis=False)`` (numpy's BLAS).
2. Whole scans on the real-prompt set: ours as shipped (numpy's BLAS, see
   ``privacy/engine.py:set_matmul``, and NER's token encoder run by
   ``privacy/nerfast.py``) and ours switched back to BLIS with thinc's own encoder
   forward (the code before either), beside stock Presidio as shipped (BLIS) and stock
   with the same switch, all four alternating prompt by prompt so background load hits
   them alike. It also counts prompts whose detections differ between our two settings
   (the products round differently in the last float32 bit).
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

os.environ.setdefault("TLDEXTRACT_PUBLIC_SUFFIX_LIST_URLS", "")  # stock: offline PSL

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import numpy  # noqa: E402
from scan_quality import stock_engine  # noqa: E402
from scan_speed import p95  # noqa: E402
from thinc.api import NumpyOps  # noqa: E402


def time_call(fn: Callable[[], object], reps: int) -> float:
    fn()
    t0 = time.perf_counter()
    for _ in range(reps):
        fn()
    return (time.perf_counter() - t0) / reps


def products() -> None:
    rng = numpy.random.default_rng(0)
    weights = rng.standard_normal((288, 288), dtype=numpy.float32)
    blis, plain = NumpyOps(use_blis=True), NumpyOps(use_blis=False)
    print("One maxout layer's product, n x 288 -> 288 float32 (microseconds, GFLOPS)\n")
    print("| tokens | thinc BLIS | numpy BLAS | speed-up |")
    print("|---:|---:|---:|---:|")
    for n in (40, 200, 1000):
        x = rng.standard_normal((n, 288), dtype=numpy.float32)
        reps = 2000 if n < 500 else 200
        tb = time_call(lambda x=x: blis.gemm(x, weights, trans2=True), reps)
        tn = time_call(lambda x=x: plain.gemm(x, weights, trans2=True), reps)
        flops = 2 * n * 288 * 288
        print(
            f"| {n} | {tb * 1e6:.0f} us, {flops / tb / 1e9:.0f} GFLOPS | "
            f"{tn * 1e6:.0f} us, {flops / tn / 1e9:.0f} GFLOPS | {tb / tn:.1f}x |"
        )


def scans(path: Path, limit: int) -> None:
    from edge_router.privacy.engine import set_matmul
    from edge_router.privacy.nergate import GreedyNer
    from edge_router.privacy.scanner import PrivacyScanner
    from edge_router.privacy.settings import ScannerSettings
    from edge_router.privacy.types import TextField

    texts = [json.loads(line)["text"] for line in path.open(encoding="utf-8")]
    if limit:
        texts = texts[:limit]
    settings = ScannerSettings(cache_size=0)
    ours = PrivacyScanner(settings)
    stock = stock_engine(settings.spacy_model)
    ours_nlp = ours._nlp  # the bench flips the one pipeline the scanner reads
    stock_nlp = stock.nlp_engine.nlp["en"]

    # Every stepped NER decoder of our scanner (the gate's and the name check's): the
    # "before" row runs them with thinc's own encoder forward, which reads set_matmul's ops.
    steppers = [o for o in gc.get_objects() if isinstance(o, GreedyNer)]
    fast = [(g, g._fast) for g in steppers]

    def run(nlp: Any, blis: bool, scan: Callable[[str], Any]) -> Callable[[str], Any]:
        def timed(text: str) -> tuple[float, Any]:
            set_matmul(nlp, blis=blis)
            if nlp is ours_nlp:
                for g, encoder in fast:
                    g._fast = None if blis else encoder
            t0 = time.perf_counter()
            found = scan(text)
            return time.perf_counter() - t0, found

        return timed

    def ours_scan(text: str) -> Any:
        return ours.scan([TextField("text", text)]).entities

    def stock_scan(text: str) -> Any:
        return stock.analyze(text, language="en", score_threshold=0.35)

    engines = {
        "edge-router, numpy BLAS + nerfast (shipped)": run(ours_nlp, False, ours_scan),
        "edge-router, thinc BLIS + thinc's forward (two rounds ago)": run(
            ours_nlp, True, ours_scan
        ),
        "stock Presidio, thinc BLIS (shipped)": run(stock_nlp, True, stock_scan),
        "stock Presidio, numpy BLAS": run(stock_nlp, False, stock_scan),
    }
    for text in texts[:10]:  # warm all four
        for fn in engines.values():
            fn(text)
    times: dict[str, list[float]] = {name: [] for name in engines}
    differ = 0
    for text in texts:
        found = {}
        for name, fn in engines.items():
            seconds, found[name] = fn(text)
            times[name].append(seconds)
        mine = [found[name] for name in list(engines)[:2]]
        differ += mine[0] != mine[1]
    set_matmul(ours_nlp, blis=False)
    for g, encoder in fast:
        g._fast = encoder
    base = statistics.median(times["stock Presidio, thinc BLIS (shipped)"])
    print(f"\nWhole scans, {len(texts)} prompts of {path.name}, uncached, alternating (ms)\n")
    print("| engine | median | p95 | median vs stock as shipped |")
    print("|---|---:|---:|---:|")
    for name, values in times.items():
        med = statistics.median(values)
        print(f"| {name} | {med * 1e3:.2f} | {p95(values) * 1e3:.2f} | {med / base:.2f}x |")
    print(f"\nPrompts whose detections differ between our two settings: {differ}")


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--data", type=Path, default=REPO / "bench/data/real_prompts.jsonl")
    parser.add_argument("--limit", type=int, default=0, help="prompts to time (0 = all)")
    args = parser.parse_args()
    products()
    scans(args.data, args.limit)


if __name__ == "__main__":
    main()
