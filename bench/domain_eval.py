"""Domain classifier accuracy and speed on labelled prompts it was not built from.

    .venv/bin/python bench/domain_eval.py [--data ../shared/data] [--split test|dev|all]
        [--per-subject] [--errors N]

Data (third-party, in ``../shared/data``; the classifier's seeds in
``edge_router/routing/domain_seeds.py`` are hand-written and share no prompt with it):

- RouteLLM's MMLU files (``routellm/mmlu/mmlu_<subject>.csv``, minus
  ``contaminated_prompts.jsonl``), subjects mapped to domains by ``SUBJECTS`` below. The
  "Answer:" scaffolding and choices stay in: that is what such a prompt looks like.
  Subjects that sit between two domains (human_aging, econometrics, machine_learning,
  computer_security, formal_logic, management) are left out rather than guessed.
- MT-Bench's 80 questions, both turns as separate prompts: ``coding`` -> code, ``math``
  -> math, every other category -> general. The only labelled code prompts here.

Protocol: every prompt falls into ``dev`` or ``test`` by a hash of its text (half each).
Seeds and ``margin`` were adjusted only while looking at ``dev`` results; the README
figures are ``--split test``, which no tuning ever read. Accuracy is reported per domain
and overall (micro, every prompt counts once) and macro (mean of the per-domain figures,
so the large general and legal sets don't hide the small ones). Time: classification of
one prompt (features + scoring), median and p95 over all prompts, on one core.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
import statistics
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from edge_router.routing.domain import DomainClassifier, DomainSettings  # noqa: E402

# fmt: off
SUBJECTS: dict[str, str] = {
    "clinical_knowledge": "medical", "college_medicine": "medical",
    "medical_genetics": "medical", "virology": "medical",
    "professional_law": "legal",
    "abstract_algebra": "math", "elementary_mathematics": "math",
    "high_school_mathematics": "math", "high_school_statistics": "math",
    "high_school_macroeconomics": "finance", "high_school_microeconomics": "finance",
    "astronomy": "general", "college_chemistry": "general", "college_physics": "general",
    "conceptual_physics": "general", "electrical_engineering": "general",
    "global_facts": "general", "high_school_biology": "general",
    "high_school_chemistry": "general", "high_school_european_history": "general",
    "high_school_government_and_politics": "general", "high_school_psychology": "general",
    "high_school_world_history": "general", "human_sexuality": "general",
    "miscellaneous": "general", "moral_disputes": "general", "moral_scenarios": "general",
    "philosophy": "general", "prehistory": "general", "professional_psychology": "general",
    "public_relations": "general", "security_studies": "general", "sociology": "general",
    "us_foreign_policy": "general",
}
MT_BENCH = {"coding": "code", "math": "math"}
# fmt: on


def split_of(text: str) -> str:
    return "dev" if hashlib.sha256(text.encode()).digest()[0] % 2 == 0 else "test"


def load(data: Path) -> list[tuple[str, str, str]]:
    """(source, domain, prompt) for every labelled prompt."""
    mmlu = data / "routellm" / "mmlu"
    bad: set[str] = set()
    with (mmlu / "contaminated_prompts.jsonl").open(encoding="utf-8") as f:
        for line in f:
            bad.update(v for v in json.loads(line).values() if isinstance(v, str))
    out: list[tuple[str, str, str]] = []
    for subject, domain in SUBJECTS.items():
        with (mmlu / f"mmlu_{subject}.csv").open(encoding="utf-8", newline="") as f:
            out += [(subject, domain, r["prompt"]) for r in csv.DictReader(f)]
    out = [row for row in out if row[2] not in bad]
    with (data / "mt_bench_questions.jsonl").open(encoding="utf-8") as f:
        for line in f:
            q = json.loads(line)
            cat = q["category"]
            out += [(f"mt_bench_{cat}", MT_BENCH.get(cat, "general"), t) for t in q["turns"]]
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", type=Path, default=REPO.parent / "shared" / "data")
    ap.add_argument("--split", choices=("test", "dev", "all"), default="test")
    ap.add_argument("--per-subject", action="store_true")
    ap.add_argument("--errors", type=int, default=0, help="print N misclassified (dev only)")
    args = ap.parse_args()

    t0 = time.perf_counter()
    clf = DomainClassifier.build(DomainSettings())
    train_ms = (time.perf_counter() - t0) * 1000
    rows = [r for r in load(args.data) if args.split == "all" or split_of(r[2]) == args.split]
    times: list[float] = []
    by_domain: dict[str, Counter[str]] = defaultdict(Counter)
    by_subject: dict[str, Counter[str]] = defaultdict(Counter)
    errors: list[tuple[str, str, str, str]] = []
    for source, want, prompt in rows:
        t = time.perf_counter()
        got = clf.classify([prompt])
        times.append((time.perf_counter() - t) * 1000)
        ok = "ok" if got == want else "wrong"
        by_domain[want][ok] += 1
        by_domain[want]["n"] += 1
        by_subject[source][ok] += 1
        by_subject[source][got] += 1
        if got != want:
            errors.append((source, want, got, prompt))

    def acc(c: Counter[str]) -> float:
        return 100 * c["ok"] / max(1, c["ok"] + c["wrong"])

    print(f"split {args.split}: {len(rows)} prompts; classifier trained in {train_ms:.0f} ms")
    print("| domain | prompts | accuracy |")
    print("|---|---:|---:|")
    for d in clf.domains:
        if by_domain[d]["n"]:
            print(f"| {d} | {by_domain[d]['n']} | {acc(by_domain[d]):.1f}% |")
    total = Counter({"ok": sum(c["ok"] for c in by_domain.values())})
    total["wrong"] = len(rows) - total["ok"]
    macro = statistics.mean(acc(c) for c in by_domain.values())
    print(f"| **overall (micro)** | {len(rows)} | {acc(total):.1f}% |")
    print(f"| **macro (mean of domains)** | | {macro:.1f}% |")
    times.sort()
    p95 = times[int(0.95 * (len(times) - 1))]
    print(f"time per prompt: median {statistics.median(times):.3f} ms, p95 {p95:.3f} ms")
    if args.per_subject:
        for s, c in sorted(by_subject.items(), key=lambda kv: acc(kv[1])):
            wrong = {k: v for k, v in c.items() if k not in ("ok", "wrong")}
            print(f"  {s:40s} {acc(c):5.1f}%  {dict(sorted(wrong.items()))}")
    if args.errors and args.split == "dev":
        for source, want, got, prompt in errors[: args.errors]:
            print(f"--- {source}: want {want}, got {got}\n{prompt[:300]}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
