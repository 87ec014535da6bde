"""Fit the domain classifier's built-in weights (``edge_router/routing/domain_weights.tsv``)
on the hand-written training set and the dev half of the shared labelled prompts, offline.

    .venv/bin/python bench/domain_fit.py [--data ../shared/data] [--write]

A multinomial logistic regression over the classifier's own features (presence, so a
long prompt isn't louder), trained on the built-in seeds and cue words, the hand-written
prompts of ``bench/data/domain_train.jsonl`` (each field's whole syllabus, in the styles
users ask in; see ``bench/data/DOMAIN_TRAIN.md``) and the ``dev`` half of
``bench/domain_eval.py``'s shared set (never ``test``, never the unseen sets in
``bench/data/routellm_extra``). The shared dev subjects cover each domain narrowly (only
US bar-exam law, only economics for finance), so without the hand-written set the fit
learns those subjects rather than the domains. Classes are weighted so that each domain
counts the same (general would otherwise swamp medical and code), and within a domain the
hand-written prompts count as much as the shared dev ones. Features seen in fewer than
``MIN_DF`` training prompts are dropped, and so are weights too small to change a
decision, to keep the module small.

The L2 strength (``L2S``) and how much the cue-word scores (which carry the operator's
extra examples for a built-in domain) count beside the fitted weights, ``CUE_SCALE``,
are chosen on dev too: fit on one half of dev with each strength, keep the strength
whose best scale labels the other half best, and with it the largest scale whose
accuracy there is within ``SCALE_SLACK`` points of the best (so an operator's examples
for a built-in domain still count; dev shows larger scales cost little), then refit on
all of dev. The chosen strength and scale are recorded in the weights file's header.
numpy is used here only; the router reads the written table with plain dicts.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import time
from collections import Counter
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))

from domain_eval import load, split_of  # noqa: E402

from edge_router.routing.domain import (  # noqa: E402
    FIT_MARGIN,
    GENERAL,
    DomainClassifier,
    features,
)
from edge_router.routing.domain_seeds import BUILTIN_DOMAINS, seed_examples  # noqa: E402

OUT = REPO / "edge_router" / "routing" / "domain_weights.tsv"
TRAIN = REPO / "bench" / "data" / "domain_train.jsonl"
MIN_DF = 3
L2S = (1e-4, 3e-4, 1e-3)  # L2 strengths tried on dev; the best is refitted on all
ITERS = 300
KEEP = 0.02  # smallest |weight| written
SCALES = (0.0, 0.05, 0.1, 0.2, 0.4)
SCALE_SLACK = 0.5
D = list(BUILTIN_DOMAINS)

Model = tuple[dict[str, int], NDArray[np.float64], NDArray[np.float64]]


def fit(docs: list[str], labels: list[str], sources: list[str], l2: float) -> Model:
    """Fit on ``docs``; every domain weighs the same in the loss, and within a domain
    every source (hand-written, shared dev) weighs the same, so the hundreds of shared
    bar-exam questions don't outvote the hand-written prompts that span the rest of law."""
    feats = [set(features(t)) for t in docs]
    df = Counter(f for fs in feats for f in fs)
    vocab = {f: i for i, f in enumerate(sorted(f for f, c in df.items() if c >= MIN_DF))}
    # The design matrix is binary and sparse (tens of features per prompt out of ~10^4),
    # so it is kept as (prompt, feature) index pairs: a dense matrix made one fit take
    # minutes.
    pairs = [(i, j) for i, fs in enumerate(feats) for f in fs if (j := vocab.get(f)) is not None]
    rows = np.array([i for i, _ in pairs], np.int64)
    cols = np.array([j for _, j in pairs], np.int64)
    starts = np.searchsorted(rows, np.arange(len(feats)))
    has = np.bincount(rows, minlength=len(feats)) > 0
    y = np.array([D.index(lab) for lab in labels])
    onehot = np.eye(len(D), dtype=np.float64)[y]
    groups = Counter(zip(labels, sources, strict=True))
    per_domain = Counter(lab for lab, _ in groups)
    sw = np.array(
        [
            1.0 / (per_domain[lab] * groups[lab, src])
            for lab, src in zip(labels, sources, strict=True)
        ]
    )
    sw = sw / sw.sum()
    w = np.zeros((len(vocab), len(D)), np.float64)
    b = np.zeros(len(D), np.float64)
    params = [w, b]
    m = [np.zeros_like(p) for p in params]
    v = [np.zeros_like(p) for p in params]
    for t in range(1, ITERS + 1):  # Adam, full batch
        z = np.zeros((len(feats), len(D)))
        if len(cols):
            z[has] = np.add.reduceat(w[cols], starts[has], axis=0)
        z += b
        z -= z.max(1, keepdims=True)
        p = np.exp(z)
        p /= p.sum(1, keepdims=True)
        g = (p - onehot) * sw[:, None]
        gw = np.stack(
            [np.bincount(cols, weights=g[rows, k], minlength=len(vocab)) for k in range(len(D))],
            axis=1,
        )
        grads = [gw + l2 * w, g.sum(0)]
        for k, (par, gr) in enumerate(zip(params, grads, strict=True)):
            m[k] = 0.9 * m[k] + 0.1 * gr
            v[k] = 0.999 * v[k] + 0.001 * gr * gr
            par -= 0.05 * (m[k] / (1 - 0.9**t)) / (np.sqrt(v[k] / (1 - 0.999**t)) + 1e-8)
    return vocab, w, b


def fitted_scores(model: Model, text: str) -> NDArray[np.float64]:
    vocab, w, b = model
    s = b.copy()
    for f in set(features(text)):
        if (j := vocab.get(f)) is not None:
            s += w[j]
    return s


def decide(model: Model, cue: DomainClassifier, scale: float, prompt: str) -> str:
    """What ``DomainClassifier.classify`` does with these weights: no intercepts, and a
    built-in domain needs ``FIT_MARGIN`` more evidence than general."""
    cs = cue.scores([prompt])
    s = fitted_scores(model, prompt) - model[2] + scale * np.array([cs[d] for d in D])
    g = D.index(GENERAL)
    diff = s - s[g]
    diff[g] = -np.inf
    return D[int(diff.argmax())] if diff.max() >= FIT_MARGIN else GENERAL


def seeds() -> tuple[list[str], list[str]]:
    """The built-in seeds and the hand-written training set: fitted on always, never
    measured on."""
    pairs = [(t, d) for d, ts in seed_examples().items() for t in ts]
    with TRAIN.open(encoding="utf-8") as f:
        for line in f:
            row = json.loads(line)
            if row["domain"] not in D:
                raise ValueError(f"{TRAIN.name}: unknown domain {row['domain']!r}")
            pairs.append((row["text"], row["domain"]))
    return [t for t, _ in pairs], [d for _, d in pairs]


def sources(shared: int, written: int) -> list[str]:
    return ["shared"] * shared + ["written"] * written


def choose(dev: list[tuple[str, str, str]]) -> tuple[float, float]:
    """Fit on one half of dev with each L2 strength, return the (L2, cue scale) that
    labels the other half best (the largest scale within ``SCALE_SLACK`` of the best)."""
    half = [hashlib.sha256(r[2].encode()).digest()[1] % 2 for r in dev]
    a = [r for r, h in zip(dev, half, strict=True) if h == 0]
    b = [r for r, h in zip(dev, half, strict=True) if h == 1]
    sd, sl = seeds()
    cue = DomainClassifier.from_seeds()
    acc: dict[tuple[float, float], float] = {}
    for l2 in L2S:
        docs, labels = [r[2] for r in a] + sd, [r[1] for r in a] + sl
        model = fit(docs, labels, sources(len(a), len(sd)), l2)
        for scale in SCALES:
            ok = sum(decide(model, cue, scale, prompt) == want for _, want, prompt in b)
            acc[l2, scale] = 100 * ok / len(b)
            print(f"L2 {l2:g}, cue scale {scale}: dev-b accuracy {acc[l2, scale]:.1f}%")
    best_l2 = max(L2S, key=lambda l2: max(acc[l2, s] for s in SCALES))
    top = max(acc[best_l2, s] for s in SCALES)
    return best_l2, max(s for s in SCALES if acc[best_l2, s] >= top - SCALE_SLACK)


def render(model: Model, scale: float, l2: float) -> str:
    """The weights file: a JSON header line, then one feature per line, a tab, and its
    weight per domain (package data, read by ``routing.domain.Fitted``)."""
    vocab, w, b = model
    rows = []
    for f, j in sorted(vocab.items()):
        if np.abs(w[j]).max() >= KEEP and "\t" not in f and "\n" not in f:
            rows.append(f + "\t" + " ".join(f"{x:.3f}" for x in w[j]))
    head = {
        "what": (
            "Fitted weights for the built-in domains (edge_router.routing.domain), written "
            "by bench/domain_fit.py --write from the built-in seeds, bench/data/"
            "domain_train.jsonl and the dev half of the shared labelled prompts; do not "
            "edit by hand. After this line: one feature per "
            "line, a tab, then its weight for each domain."
        ),
        "domains": list(D),
        "bias": [round(float(x), 3) for x in b],
        "cue_scale": scale,
        "l2": l2,
    }
    return json.dumps(head) + "\n" + "\n".join(rows) + "\n"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", type=Path, default=REPO.parent / "shared" / "data")
    ap.add_argument("--write", action="store_true", help=f"write {OUT.relative_to(REPO)}")
    args = ap.parse_args()
    dev = [r for r in load(args.data) if split_of(r[2]) == "dev"]
    t0 = time.perf_counter()
    l2, scale = choose(dev)
    sd, sl = seeds()
    docs, labels = [r[2] for r in dev] + sd, [r[1] for r in dev] + sl
    model = fit(docs, labels, sources(len(dev), len(sd)), l2)
    took = time.perf_counter() - t0
    print(f"L2 {l2:g}, cue scale {scale}; {len(model[0])} features; fitted in {took:.0f} s")
    if args.write:
        OUT.write_text(render(model, scale, l2), encoding="utf-8")
        print(f"wrote {OUT.relative_to(REPO)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
