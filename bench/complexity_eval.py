"""How well the complexity score picks the prompts worth sending to the bigger model.

    .venv/bin/python bench/complexity_eval.py [--data ../shared/data] [--folds 5] [--seed 0]
        [--repeats 10] [--l2 10] [--keep-broken] [--subjects] [--fit [--write]]

Data: RouteLLM's MMLU files (``routellm/mmlu/mmlu_<subject>.csv``: prompt, whether a weak
model and a strong model answered it correctly), minus ``contaminated_prompts.jsonl``.

Metrics (as RouteLLM defines them): sort prompts by score, descending, and send the top
fraction f to the strong model. quality(f) = mean over prompts of the routed model's
correctness; PGR(f) = (quality(f) - weak) / (strong - weak); APGR = area under PGR over
f in [0, 1] (random routing = 0.5; not clipped, so it can exceed 1 when the score finds
prompts only the strong model gets right); CPT(50%) = the smallest f with PGR >= 0.5
(random = 50%). Tied scores are routed in random order, so we use the expected curve over
tie orders (linear inside a tie group): a constant score gets exactly the random result.

Evaluation: leave-subjects-out. The 40 subjects are shuffled (fixed seed) into ``--folds``
groups; the logistic regression is fitted on the other groups and scores the held-out
one, so every reported number is on subjects the coefficients never saw. Held-out scores
are pooled over folds for the headline row; per-fold and per-subject rows follow.
``--repeats`` re-runs the pooled evaluation over other subject partitions (seeds
seed..seed+repeats-1) to show how much the partition matters.

``--fit`` fits on every subject and prints the coefficients (weights, the means used for
undefined features, and the intercept shifted so that score 0.5 is the CPT(50%) operating
point) as Python source for ``edge_router/complexity.py``; ``--write`` also writes them
there, between the FITTED_COEFFICIENTS markers. Everything is deterministic (fixed seeds,
Newton's method, no sampling); only the latency line varies.
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from edge_router.complexity import (  # noqa: E402
    FITTED_FEATURES,
    ComplexityScorer,
    text_features,
)

WEAK = "mistralai/Mixtral-8x7B-Instruct-v0.1"
STRONG = "gpt-4-1106-preview"
# A 4-option test answered below chance means broken answer extraction, not difficulty
# (high_school_mathematics: the strong model "scores" 3%); such subjects are left out
# unless --keep-broken.
CHANCE = 0.25
# Per-subject APGR is meaningless when the strong model barely beats (or loses to) the weak.
MIN_SUBJECT_GAP = 0.05

F64 = NDArray[np.float64]
START = "# FITTED_COEFFICIENTS_START"
END = "# FITTED_COEFFICIENTS_END"


@dataclass
class Data:
    prompts: list[str]
    subject: NDArray[np.str_]
    weak: F64
    strong: F64
    x: F64  # fitted text features, one row per prompt
    prior: F64  # hand-set prior logit per prompt (fixed offset when fitting)


def load(data: Path, keep_broken: bool = False) -> Data:
    root = data / "routellm" / "mmlu"
    contaminated: set[str] = set()
    with (root / "contaminated_prompts.jsonl").open() as fh:
        for line in fh:
            if line.strip():
                row = json.loads(line)
                contaminated.add(row["eval_prompt"].strip())
                contaminated.add(row["train_prompt"].strip())
    prompts: list[str] = []
    subjects: list[str] = []
    weak: list[float] = []
    strong: list[float] = []
    dropped = 0
    for path in sorted(root.glob("mmlu_*.csv")):
        subject = path.stem.removeprefix("mmlu_")
        with path.open(newline="") as fh:
            for row in csv.DictReader(fh):
                if row["prompt"].strip() in contaminated:
                    dropped += 1
                    continue
                prompts.append(row["prompt"])
                subjects.append(subject)
                weak.append(float(row[WEAK] == "True"))
                strong.append(float(row[STRONG] == "True"))
    subj = np.array(subjects)
    w, st = np.array(weak), np.array(strong)
    keep = np.ones(len(prompts), dtype=bool)
    for sub in sorted(set(subjects)):
        m = subj == sub
        if not keep_broken and min(w[m].mean(), st[m].mean()) < CHANCE:
            print(
                f"left out {sub}: weak {w[m].mean():.2f}, strong {st[m].mean():.2f} (below chance)",
                file=sys.stderr,
            )
            keep &= ~m
    prompts = [p for p, k in zip(prompts, keep, strict=True) if k]
    print(
        f"loaded {len(prompts)} prompts, {len(set(subj[keep].tolist()))} subjects, dropped "
        f"{dropped} contaminated",
        file=sys.stderr,
    )
    feats = [text_features(p) for p in prompts]
    x = np.array([f for f, _ in feats], dtype=np.float64)
    prior = np.array([p for _, p in feats], dtype=np.float64)
    return Data(prompts, subj[keep], w[keep], st[keep], x, prior)


# ---------------------------------------------------------------- metrics


def pgr_curve(score: F64, weak: F64, strong: F64) -> tuple[F64, F64]:
    """(f, PGR(f)) at f = 0, 1/n, ..., 1, expected over random order inside score ties."""
    n = len(score)
    order = np.argsort(-score, kind="stable")
    s = score[order]
    delta = (strong - weak)[order]
    # Inside a tie group every prompt gets the group's mean delta (expected over tie orders).
    bounds = np.flatnonzero(np.diff(s)) + 1
    starts = np.concatenate(([0], bounds))
    sums = np.add.reduceat(delta, starts)
    sizes = np.diff(np.concatenate((starts, [n])))
    smoothed = np.repeat(sums / sizes, sizes)
    gain = np.concatenate(([0.0], np.cumsum(smoothed))) / n
    gap = strong.mean() - weak.mean()
    return np.arange(n + 1) / n, gain / gap


def apgr(score: F64, weak: F64, strong: F64) -> float:
    f, p = pgr_curve(score, weak, strong)
    return float(np.sum((p[1:] + p[:-1]) / 2 * np.diff(f)))


def cpt(score: F64, weak: F64, strong: F64, target: float = 0.5) -> float:
    f, p = pgr_curve(score, weak, strong)
    hit = np.flatnonzero(p >= target)
    return float(f[hit[0]]) if len(hit) else 1.0


# ---------------------------------------------------------------- model


def fit_logistic(x: F64, y: F64, l2: float, offset: F64 | None = None) -> tuple[float, F64]:
    """L2-penalised logistic regression by Newton's method on standardised features.

    ``offset`` is a fixed per-row logit added to the model (the hand-set priors). Returns
    (intercept, weights) on the *raw* features, so the runtime needs no scaler.
    """
    off = np.zeros(len(x)) if offset is None else offset
    mu = x.mean(axis=0)
    sd = x.std(axis=0)
    sd[sd == 0] = 1.0
    z = np.hstack([np.ones((len(x), 1)), (x - mu) / sd])
    w = np.zeros(z.shape[1])
    penalty = np.full(z.shape[1], l2)
    penalty[0] = 0.0  # the intercept is not shrunk
    for _ in range(50):
        p = 1.0 / (1.0 + np.exp(-(z @ w + off)))
        grad = z.T @ (p - y) + penalty * w
        hess = (z * (p * (1 - p))[:, None]).T @ z + np.diag(penalty)
        step = np.linalg.solve(hess, grad)
        w -= step
        if np.max(np.abs(step)) < 1e-9:
            break
    coef = w[1:] / sd
    return float(w[0] - coef @ mu), coef


def operating_point(logit: F64, weak: F64, strong: F64) -> float:
    """The logit at which routing everything above recovers half the gap (CPT(50%))."""
    f = cpt(logit, weak, strong)
    k = max(round(f * len(logit)) - 1, 0)
    return float(np.sort(logit)[::-1][k])


@dataclass
class Model:
    intercept: float
    weights: F64
    means: F64  # imputed where a feature is undefined (NaN), as the runtime does

    def logit(self, x: F64, prior: F64) -> F64:
        out: F64 = self.intercept + impute(x, self.means) @ self.weights + prior
        return out


def impute(x: F64, means: F64) -> F64:
    out: F64 = np.where(np.isnan(x), means, x)
    return out


def fit(d: Data, rows: NDArray[np.bool_], l2: float) -> Model:
    y = ((d.weak[rows] == 0) & (d.strong[rows] == 1)).astype(np.float64)  # "gain"
    means = np.nanmean(d.x[rows], axis=0)
    means[np.isnan(means)] = 0.0
    b, w = fit_logistic(impute(d.x[rows], means), y, l2, d.prior[rows])
    raw = Model(b, w, means).logit(d.x[rows], d.prior[rows])
    # Shift so that score 0.5 is the training data's CPT(50%) operating point.
    return Model(b - operating_point(raw, d.weak[rows], d.strong[rows]), w, means)


# ---------------------------------------------------------------- evaluation


def folds_for(subjects: list[str], k: int, seed: int) -> list[list[str]]:
    order = np.random.default_rng(seed).permutation(sorted(subjects))
    return [sorted(str(s) for s in order[i::k]) for i in range(k)]


def length_score(d: Data) -> F64:
    return np.array([len(p) for p in d.prompts], dtype=np.float64)


def random_score(n: int, seed: int) -> F64:
    return np.random.default_rng(seed).random(n)


def held_out(
    d: Data, folds: list[list[str]], l2: float
) -> tuple[F64, NDArray[np.int64], list[Model]]:
    score = np.zeros(len(d.prompts))
    fold_of = np.zeros(len(d.prompts), dtype=np.int64)
    models = []
    for i, subs in enumerate(folds):
        test = np.isin(d.subject, subs)
        m = fit(d, ~test, l2)
        models.append(m)
        score[test] = m.logit(d.x[test], d.prior[test])
        fold_of[test] = i
    return score, fold_of, models


def row(name: str, s: F64, w: F64, st: F64) -> str:
    return f"| {name} | {apgr(s, w, st):.3f} | {cpt(s, w, st) * 100:.1f}% |"


def report(d: Data, args: argparse.Namespace) -> None:
    subjects = sorted(set(d.subject.tolist()))
    folds = folds_for(subjects, args.folds, args.seed)
    ours, fold_of, _ = held_out(d, folds, args.l2)
    length = length_score(d)
    rnd = random_score(len(ours), args.seed)
    w, st = d.weak, d.strong
    print(
        f"## Held-out subjects, pooled ({len(d.prompts)} prompts, {args.folds} folds, "
        f"seed {args.seed})\n"
    )
    print(
        f"weak accuracy {w.mean():.3f}, strong {st.mean():.3f}, "
        f"gain (weak wrong, strong right) {((w == 0) & (st == 1)).mean():.3f}\n"
    )
    print("| scorer | APGR | CPT(50%) |\n|---|---|---|")
    print(row("random", rnd, w, st))
    print(row("length (chars)", length, w, st))
    print(row("ours (features + logistic)", ours, w, st))
    complex_share = (ours >= 0).mean()
    _f_curve, p_curve = pgr_curve(ours, w, st)
    k = int((ours >= 0).sum())
    print(
        f"\nDefault threshold 0.5 on held-out subjects: {complex_share * 100:.1f}% of prompts "
        f"complex, recovering PGR {p_curve[k]:.3f} of the gap.\n"
    )

    print("## Per fold (each fold's subjects held out)\n")
    print(
        "| fold | subjects | prompts | APGR random | APGR length | APGR ours | "
        "CPT length | CPT ours | complex @0.5 |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    for i, subs in enumerate(folds):
        m = fold_of == i
        a = [apgr(s[m], w[m], st[m]) for s in (rnd, length, ours)]
        c = [cpt(s[m], w[m], st[m]) * 100 for s in (length, ours)]
        print(
            f"| {i} | {len(subs)} | {int(m.sum())} | {a[0]:.3f} | {a[1]:.3f} | {a[2]:.3f} | "
            f"{c[0]:.1f}% | {c[1]:.1f}% | {(ours[m] >= 0).mean() * 100:.0f}% |"
        )
    print("\nfolds: " + "; ".join(f"{i}: {', '.join(s)}" for i, s in enumerate(folds)) + "\n")

    print("## Per subject (within-subject ranking only; held-out scores)\n")
    per: list[tuple[float, float, str, int, float]] = []
    skipped: list[str] = []
    for sub in subjects:
        m = d.subject == sub
        gap = st[m].mean() - w[m].mean()
        if gap < MIN_SUBJECT_GAP:
            skipped.append(f"{sub} (gap {gap:+.2f})")
            continue
        per.append(
            (apgr(ours[m], w[m], st[m]), apgr(length[m], w[m], st[m]), sub, int(m.sum()), gap)
        )
    per.sort()
    shown = per if args.subjects else per[:10]
    title = "all subjects" if args.subjects else "10 worst"
    print(f"{title}, by APGR ours:\n")
    print("| subject | prompts | gap | APGR length | APGR ours |\n|---|---|---|---|---|")
    for a_ours, a_len, sub, n, gap in shown:
        print(f"| {sub} | {n} | {gap:.2f} | {a_len:.3f} | {a_ours:.3f} |")
    below = sum(1 for a, *_ in per if a < 0.5)
    beat = sum(1 for a, b, *_ in per if a > b)
    print(
        f"\n{len(per)} subjects with a gap >= {MIN_SUBJECT_GAP}: ours below random in {below}, "
        f"above length in {beat}; skipped: {', '.join(skipped)}\n"
    )

    if args.repeats > 1:
        print(
            f"## Robustness over {args.repeats} subject partitions "
            f"(seeds {args.seed}..{args.seed + args.repeats - 1})\n"
        )
        res = []
        for s in range(args.seed, args.seed + args.repeats):
            sc, _, _ = held_out(d, folds_for(subjects, args.folds, s), args.l2)
            res.append((apgr(sc, w, st), cpt(sc, w, st)))
        arr = np.array(res)
        print("| scorer | APGR mean | APGR min | APGR max | CPT(50%) mean |\n|---|---|---|---|---|")
        a_len, c_len = apgr(length, w, st), cpt(length, w, st)
        print(f"| length (chars) | {a_len:.3f} | {a_len:.3f} | {a_len:.3f} | {c_len * 100:.1f}% |")
        print(
            f"| ours | {arr[:, 0].mean():.3f} | {arr[:, 0].min():.3f} | {arr[:, 0].max():.3f} | "
            f"{arr[:, 1].mean() * 100:.1f}% |\n"
        )


def latency(d: Data) -> None:
    scorer = ComplexityScorer()
    sample = d.prompts[:: max(len(d.prompts) // 2000, 1)]
    t0 = time.perf_counter()
    for p in sample:
        scorer.score([p])
    per = (time.perf_counter() - t0) / len(sample)
    print(f"runtime scorer: {per * 1e6:.0f} µs per prompt (mean over {len(sample)} MMLU prompts)\n")


def coefficient_source(m: Model) -> str:
    lines = [f"_INTERCEPT = {m.intercept:.4f}", "# (weight, mean used when undefined)"]
    lines.append("_WEIGHTS_MEANS: tuple[tuple[float, float], ...] = (")
    lines += [
        f"    ({wt:.4f}, {mu:.4f}),  # {name}"
        for name, wt, mu in zip(FITTED_FEATURES, m.weights, m.means, strict=True)
    ]
    return "\n".join([*lines, ")"])


def print_fit(d: Data, args: argparse.Namespace) -> None:
    m = fit(d, np.ones(len(d.prompts), dtype=bool), args.l2)
    src = coefficient_source(m)
    print("## Coefficients fitted on all subjects (for edge_router/complexity.py)\n")
    print(f"```python\n{src}\n```")
    if args.write:
        path = REPO / "edge_router" / "complexity.py"
        text = path.read_text()
        start = text.index(START) + len(START)
        end = text.index(END)
        path.write_text(text[:start] + "\n" + src + "\n" + text[end:])
        print(f"\nwritten to {path.relative_to(REPO)}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=REPO.parent / "shared" / "data")
    ap.add_argument("--folds", type=int, default=5)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--repeats", type=int, default=10)
    ap.add_argument("--l2", type=float, default=10.0, help="ridge penalty (standardised units)")
    ap.add_argument(
        "--keep-broken", action="store_true", help="keep subjects where a model scores below chance"
    )
    ap.add_argument("--subjects", action="store_true", help="print every subject, not the worst")
    ap.add_argument("--fit", action="store_true", help="print coefficients fitted on all data")
    ap.add_argument(
        "--write", action="store_true", help="with --fit: write them into edge_router/complexity.py"
    )
    args = ap.parse_args()
    d = load(args.data, args.keep_broken)
    report(d, args)
    if args.fit:
        print_fit(d, args)
    latency(d)


if __name__ == "__main__":
    main()
