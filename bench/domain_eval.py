"""Domain classifier accuracy and speed on labelled prompts it was not built from.

    .venv/bin/python bench/domain_eval.py [--data ../shared/data] [--split test|dev|all]
        [--per-subject] [--errors N]

Two views, one run:

1. **Shared MMLU + MT-Bench, one half** (``--split``, default ``test``). RouteLLM's MMLU
   files in ``../shared/data/routellm/mmlu`` (minus ``contaminated_prompts.jsonl``),
   subjects mapped to domains by ``SUBJECTS``, plus MT-Bench's 80 questions (both turns
   as separate prompts: ``coding`` -> code, ``math`` -> math, the rest -> general; the
   only labelled code prompts in the shared set). Every prompt falls into ``dev`` or
   ``test`` by a hash of its text. The seeds, ``margin`` and the fitted weights
   (``routing/domain_weights.tsv``, see ``bench/domain_fit.py``) were chosen or fitted on
   ``dev`` only. ``test`` is never read for tuning, but it is the *same subjects* as
   ``dev``, so it flatters anything fitted on ``dev``.
2. **Fully unseen** (``bench/data/routellm_extra``): the 17 MMLU subjects the shared set
   lacks, mapped by ``EXTRA_SUBJECTS`` (decided before the first measurement, with the
   same rule as ``SUBJECTS``), and GSM8K's test questions (-> math). Nothing was tuned or
   fitted on them and their misclassified prompts are never printed (``--errors`` reads
   ``dev`` only). This is the headline figure.

Mapping rule: a subject whose questions are plainly one domain gets it; subjects that sit
between two domains are left out rather than guessed (shared: human_aging, econometrics,
machine_learning, computer_security, formal_logic, management; unseen: business_ethics and
marketing, between finance and general like management; college_computer_science, mostly
automata, complexity theory and machine architecture rather than programming, between
code and math like machine_learning). Biology, chemistry and physics are general, as in
the shared mapping; anatomy, professional_medicine and nutrition (clinical dietetics:
deficiencies, diets for conditions) are medical; high_school_computer_science (program
segments, data representation, algorithms) is code. The "Answer:" scaffolding and choices
stay in: that is what such a prompt looks like.

Accuracy is reported per domain, overall (micro, every prompt counts once) and as the
mean of the per-domain figures (macro, so the large general and math sets don't hide the
small ones). Time: classifying one prompt (features + scoring), median and p95 over all
prompts of the view, on one core; noisy on a loaded machine.
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
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from edge_router.routing.domain import DomainClassifier, DomainSettings  # noqa: E402

EXTRA = REPO / "bench" / "data" / "routellm_extra"

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
# The subjects in bench/data/routellm_extra (left out: business_ethics, marketing,
# college_computer_science; see the module docstring).
EXTRA_SUBJECTS: dict[str, str] = {
    "anatomy": "medical", "nutrition": "medical", "professional_medicine": "medical",
    "international_law": "legal", "jurisprudence": "legal",
    "college_mathematics": "math",
    "professional_accounting": "finance",
    "high_school_computer_science": "code",
    "college_biology": "general", "high_school_geography": "general",
    "high_school_physics": "general", "high_school_us_history": "general",
    "logical_fallacies": "general", "world_religions": "general",
}
MT_BENCH = {"coding": "code", "math": "math"}
# fmt: on

Row = tuple[str, str, str]  # (source, domain, prompt)


def split_of(text: str) -> str:
    return "dev" if hashlib.sha256(text.encode()).digest()[0] % 2 == 0 else "test"


def _contaminated(data: Path) -> set[str]:
    bad: set[str] = set()
    with (data / "routellm" / "mmlu" / "contaminated_prompts.jsonl").open(encoding="utf-8") as f:
        for line in f:
            bad.update(v for v in json.loads(line).values() if isinstance(v, str))
    return bad


def _mmlu(folder: Path, subjects: dict[str, str], bad: set[str]) -> list[Row]:
    out: list[Row] = []
    for subject, domain in subjects.items():
        with (folder / f"mmlu_{subject}.csv").open(encoding="utf-8", newline="") as f:
            out += [(subject, domain, r["prompt"]) for r in csv.DictReader(f)]
    return [row for row in out if row[2] not in bad]


def load(data: Path) -> list[Row]:
    """Every labelled prompt of the shared set (both halves)."""
    out = _mmlu(data / "routellm" / "mmlu", SUBJECTS, _contaminated(data))
    with (data / "mt_bench_questions.jsonl").open(encoding="utf-8") as f:
        for line in f:
            q = json.loads(line)
            cat = q["category"]
            out += [(f"mt_bench_{cat}", MT_BENCH.get(cat, "general"), t) for t in q["turns"]]
    return out


def load_unseen(data: Path) -> tuple[list[Row], list[Row]]:
    """The fully unseen sets: (MMLU subjects, GSM8K)."""
    mmlu = _mmlu(EXTRA / "mmlu", EXTRA_SUBJECTS, _contaminated(data))
    with (EXTRA / "gsm8k.csv").open(encoding="utf-8", newline="") as f:
        gsm = [("gsm8k", "math", r["prompt"]) for r in csv.DictReader(f)]
    return mmlu, gsm


@dataclass
class Result:
    """Accuracy counts and times of one view."""

    by_domain: dict[str, Counter[str]] = field(default_factory=lambda: defaultdict(Counter))
    by_subject: dict[str, Counter[str]] = field(default_factory=lambda: defaultdict(Counter))
    times: list[float] = field(default_factory=list)
    errors: list[tuple[str, str, str, str]] = field(default_factory=list)

    @property
    def n(self) -> int:
        return sum(c["n"] for c in self.by_domain.values())

    def acc(self, domain: str | None = None) -> float:
        cs = [self.by_domain[domain]] if domain else list(self.by_domain.values())
        return 100 * sum(c["ok"] for c in cs) / max(1, sum(c["n"] for c in cs))

    def macro(self) -> float:
        return statistics.mean(self.acc(d) for d in self.by_domain)

    def time_line(self) -> str:
        t = sorted(self.times)
        p95 = t[int(0.95 * (len(t) - 1))]
        return f"median {statistics.median(t):.3f} ms, p95 {p95:.3f} ms"


def evaluate(clf: DomainClassifier, rows: list[Row]) -> Result:
    res = Result()
    for source, want, prompt in rows:
        t = time.perf_counter()
        got = clf.classify([prompt])
        res.times.append((time.perf_counter() - t) * 1000)
        ok = got == want
        res.by_domain[want]["ok"] += ok
        res.by_domain[want]["n"] += 1
        res.by_subject[source]["ok"] += ok
        res.by_subject[source]["n"] += 1
        res.by_subject[source][f"->{got}"] += 1
        if not ok:
            res.errors.append((source, want, got, prompt))
    return res


def table(domains: tuple[str, ...], views: dict[str, Result]) -> list[str]:
    head = " | ".join(f"{name} (n) | {name}" for name in views)
    lines = [f"| domain | {head} |", "|---" + "|---:|---:" * len(views) + "|"]

    def cell(r: Result, d: str | None) -> str:
        if d is not None and not r.by_domain.get(d, Counter())["n"]:
            return "- | -"
        n = r.by_domain[d]["n"] if d else r.n
        return f"{n} | {r.acc(d):.1f}%"

    for d in domains:
        lines.append(f"| {d} | " + " | ".join(cell(r, d) for r in views.values()) + " |")
    lines.append("| **overall** | " + " | ".join(cell(r, None) for r in views.values()) + " |")
    macro = " | ".join(f"| {r.macro():.1f}%" for r in views.values())
    lines.append(f"| **mean of domains** {macro} |")
    return lines


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
    shared = [r for r in load(args.data) if args.split == "all" or split_of(r[2]) == args.split]
    mmlu, gsm = load_unseen(args.data)
    views = {
        f"shared {args.split}": evaluate(clf, shared),
        "unseen MMLU": evaluate(clf, mmlu),
        "GSM8K": evaluate(clf, gsm),
    }
    unseen = Result()
    for r in (views["unseen MMLU"], views["GSM8K"]):
        for d, c in r.by_domain.items():
            unseen.by_domain[d].update(c)
        unseen.times += r.times
    views["unseen all"] = unseen

    print(f"classifier built in {train_ms:.0f} ms")
    print("\n".join(table(clf.domains, views)))
    for name, r in views.items():
        print(f"time per prompt, {name}: {r.time_line()} ({r.n} prompts)")
    if args.per_subject:
        for name in (f"shared {args.split}", "unseen MMLU"):
            print(f"{name}, per subject (accuracy, what it was labelled):")
            subjects = views[name].by_subject.items()
            for s, c in sorted(subjects, key=lambda kv: kv[1]["ok"] / kv[1]["n"]):
                labels = {k[2:]: v for k, v in sorted(c.items()) if k.startswith("->")}
                print(f"  {s:40s} {100 * c['ok'] / c['n']:5.1f}%  {labels}")
    if args.errors and args.split == "dev":
        for source, want, got, prompt in views["shared dev"].errors[: args.errors]:
            print(f"--- {source}: want {want}, got {got}\n{prompt[:300]}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
