"""Does `edge-router experiments report` find real differences, and only those?

Synthetic runs with a known truth, written to real stores (an audit database through
``AuditLog``, a feedback database through ``FeedbackStore``) and read back by the
report's own function (``build_report``), repeated over seeds:

- ``difference``: the treatment arm is faster (median latency 320 ms vs 400 ms,
  lognormal), more often local (60% vs 45%) and better rated (mean 0.75 vs 0.60, thumbs
  up/down, half the requests rated), and so cheaper (a local answer costs 0, a cloud one
  $0.0001-0.0003); the error rate (2%) is the same in both arms. A *detection* is the
  report claiming the true direction on a figure; a *false claim* is any claim on the
  error rate, or a claim in the wrong direction.
- ``none``: both arms are drawn from the control's distributions; any claim is false.

    .venv/bin/python bench/experiment_report.py                 # 20 seeds, n 100/300/1000 (~1 min)
    .venv/bin/python bench/experiment_report.py --seeds 20 --sizes 200
"""

from __future__ import annotations

import argparse
import math
import random
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from edge_router.record.audit import AuditLog, AuditRecord
from edge_router.record.experiments_report import MIN_N, build_report
from edge_router.record.feedback import Feedback, FeedbackStore

CONTROL = {"latency": 400.0, "local": 0.45, "rating": 0.60}
TREATMENT = {"latency": 320.0, "local": 0.60, "rating": 0.75}
TRUE = {
    "latency p50 ms": "lower",
    "cost mean usd": "lower",  # more local answers, which cost 0
    "local share": "higher",
    "rating mean": "higher",
}
ERROR_RATE, RATED = 0.02, 0.5


def write_arm(
    audit: AuditLog, fb: list[Feedback], arm: str, n: int, p: dict[str, float], rng: random.Random
) -> None:
    futures = []
    for i in range(n):
        rid = f"chatcmpl-{arm}-{i}"
        local = rng.random() < p["local"]
        futures.append(
            audit.submit(
                AuditRecord(
                    request_id=rid,
                    route="local" if local else "cloud",
                    status=502 if rng.random() < ERROR_RATE else 200,
                    latency_ms=rng.lognormvariate(math.log(p["latency"]), 0.5),
                    cost_usd=0.0 if local else rng.uniform(0.0001, 0.0003),
                    arm=f"exp:{arm}",
                )
            )
        )
        if rng.random() < RATED:
            fb.append(Feedback(rid, float(rng.random() < p["rating"]), arm=f"exp:{arm}"))
    for f in futures:
        f.result()


def one_run(d: Path, scenario: str, n: int, seed: int) -> list[tuple[str, str, str]]:
    """The report's claims for one synthetic run."""
    rng = random.Random(f"{scenario}-{n}-{seed}")
    audit = AuditLog(d / "audit.sqlite", synchronous="normal", prune_interval_s=3600)
    store = FeedbackStore(d / "feedback.sqlite")
    fb: list[Feedback] = []
    write_arm(audit, fb, "control", n, CONTROL, rng)
    write_arm(audit, fb, "treatment", n, TREATMENT if scenario == "difference" else CONTROL, rng)
    store.write_many(fb)
    audit.close()
    store.close()
    report = build_report(
        d / "audit.sqlite", d / "feedback.sqlite", "exp", arms=("control", "treatment")
    )
    return [(a, f, str(v)) for a, f, v in report.claims()]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seeds", type=int, default=20)
    ap.add_argument("--sizes", type=int, nargs="+", default=[100, 300, 1000])
    args = ap.parse_args()
    started = time.perf_counter()
    print(f"{args.seeds} seeds per row; requests per arm = n; a claim needs n >= {MIN_N}")
    print(
        "| scenario | n per arm | latency p50 found | cost found | local share found "
        "| rating found | all four found | runs with a false claim |"
    )
    print("|---|---|---|---|---|---|---|---|")
    # The stores' fsyncs measure the disk, not the report: use memory when there is some.
    shm = "/dev/shm" if Path("/dev/shm").is_dir() else None
    with tempfile.TemporaryDirectory(dir=shm) as tmp:
        for scenario in ("difference", "none"):
            for n in args.sizes:
                found: Counter[str] = Counter()
                all_found = false_runs = 0
                for seed in range(args.seeds):
                    d = Path(tmp) / f"{scenario}-{n}-{seed}"
                    d.mkdir()
                    claims = one_run(d, scenario, n, seed)
                    right = {
                        f for _, f, v in claims if scenario == "difference" and TRUE.get(f) == v
                    }
                    found.update(right)
                    all_found += len(right) == len(TRUE)
                    false_runs += any(scenario == "none" or TRUE.get(f) != v for _, f, v in claims)
                s = args.seeds

                def pct(k: int, s: int = s) -> str:
                    return f"{100 * k / s:.0f}%"

                cells = (
                    [pct(found[f]) for f in TRUE] + [pct(all_found)]
                    if scenario == "difference"
                    else ["-"] * (len(TRUE) + 1)
                )
                print(f"| {scenario} | {n} | " + " | ".join(cells) + f" | {pct(false_runs)} |")
    print(f"\n({time.perf_counter() - started:.0f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
