"""The complexity score: range, ordering of obvious cases, reasons, and request knobs."""

from __future__ import annotations

import csv
import importlib
import json
import math
import sys
from pathlib import Path
from typing import Any

import pytest

from edge_router.routing.complexity import Complexity, ComplexityScorer, text_features
from edge_router.routing.complexity_features import FITTED_FEATURES

ROOT = Path(__file__).resolve().parent.parent
EXTRA = ROOT / "bench" / "data" / "routellm_extra"
SHARED = ROOT.parent / "shared" / "data"

TRIVIAL = ["hi", "What is the capital of France?", "Thanks!", "Translate 'good morning' to German."]
MATH = (
    "Calculate the integral of x^2 * sin(x) from 0 to pi, then prove that the result is "
    "positive. Show that f(x) = 3x + 4 satisfies f(2) = 10."
)
CODE = (
    "Why does this crash?\n```python\ndef parse(rows):\n    for r in rows:\n"
    "        if r == None:\n            return {}\n    return rows;\n```"
)
MULTI_STEP = (
    "First, read the attached quarterly report. Then do the following:\n"
    "1. Summarise revenue by region\n2. List the three biggest risks\n"
    "3. Draft an email to the board\nFinally, suggest next steps."
)
MULTI_PART = (
    "Statement 1 | Every group of order 4 is abelian. Statement 2 | Every field is a ring.\n"
    "A. True, True\nB. False, False\nC. True, False\nD. False, True\nAnswer:"
)
ALL = [*TRIVIAL, MATH, CODE, MULTI_STEP, MULTI_PART]
KNOWN_REASONS = {
    "long_prompt",
    "math",
    "code",
    "multi_step",
    "reasoning",
    "multi_part",
    "non_english",
    "long_context",
    "many_turns",
    "large_max_tokens",
}


@pytest.fixture(scope="module")
def scorer() -> ComplexityScorer:
    return ComplexityScorer()


@pytest.mark.parametrize("text", ALL)
def test_score_in_unit_interval(scorer: ComplexityScorer, text: str) -> None:
    c = scorer.score([text])
    assert isinstance(c, Complexity)
    assert 0.0 <= c.score <= 1.0
    assert c.klass in ("simple", "complex")
    assert set(c.reasons) <= KNOWN_REASONS


@pytest.mark.parametrize("hard", [MATH, CODE, MULTI_STEP, MULTI_PART])
def test_hard_prompts_outscore_trivial_ones(scorer: ComplexityScorer, hard: str) -> None:
    top_trivial = max(scorer.score([t]).score for t in TRIVIAL)
    assert scorer.score([hard]).score > top_trivial


def test_trivial_prompts_are_simple_at_default_threshold(scorer: ComplexityScorer) -> None:
    for t in TRIVIAL:
        c = scorer.score([t])
        assert c.klass == "simple"
        assert c.reasons == ()


@pytest.mark.parametrize(
    ("text", "reason"),
    [(MATH, "math"), (CODE, "code"), (MULTI_STEP, "multi_step"), (MULTI_PART, "multi_part")],
)
def test_reasons_fire(scorer: ComplexityScorer, text: str, reason: str) -> None:
    assert reason in scorer.score([text]).reasons


def test_math_prompt_also_flags_reasoning(scorer: ComplexityScorer) -> None:
    assert "reasoning" in scorer.score([MATH]).reasons


def test_long_prompt_reason() -> None:
    text = "The committee reviewed the proposal in detail. " * 40  # ~280 words
    c = ComplexityScorer().score([text])
    assert "long_prompt" in c.reasons
    assert "long_prompt" not in ComplexityScorer().score(["A short question?"]).reasons


def test_non_english_reason(scorer: ComplexityScorer) -> None:
    c = scorer.score(["Пожалуйста, объясните, как работает квантовая запутанность."])
    assert "non_english" in c.reasons
    assert "non_english" not in scorer.score(["Please explain quantum entanglement."]).reasons


def test_max_tokens_raises_score(scorer: ComplexityScorer) -> None:
    base = scorer.score(["Tell me about volcanoes."])
    small = scorer.score(["Tell me about volcanoes."], max_tokens=64)
    large = scorer.score(["Tell me about volcanoes."], max_tokens=4096)
    assert small.score < base.score < large.score
    assert "large_max_tokens" in large.reasons
    assert "large_max_tokens" not in small.reasons
    # The effect is capped: an absurd budget counts like 4,096.
    huge = scorer.score(["Tell me about volcanoes."], max_tokens=10**9)
    assert huge.score == pytest.approx(large.score)


def test_turns_raise_score(scorer: ComplexityScorer) -> None:
    one = scorer.score(["And what about Mars?"], turns=1)
    many = scorer.score(["And what about Mars?"], turns=8)
    assert many.score > one.score
    assert "many_turns" in many.reasons
    assert "many_turns" not in one.reasons
    # Nonsense turn counts are treated as one turn.
    assert scorer.score(["And what about Mars?"], turns=0).score == one.score


def test_last_message_is_the_request(scorer: ComplexityScorer) -> None:
    # A hard earlier message does not make a trivial follow-up look hard (beyond context).
    c = scorer.score(["You are a helpful assistant.", MATH, "thanks"])
    assert "math" not in c.reasons
    assert scorer.score(["You are a helpful assistant.", MATH]).score > c.score
    # Blank trailing entries are skipped.
    assert scorer.score([MATH, "", "   "]).score == scorer.score([MATH]).score


def test_long_context_reason(scorer: ComplexityScorer) -> None:
    history = "We discussed the migration plan and its risks at length. " * 120
    c = scorer.score([history, "ok, go on"])
    assert "long_context" in c.reasons
    assert c.score > scorer.score(["ok, go on"]).score


@pytest.mark.parametrize("texts", [[], [""], ["   ", "\n"], [""] * 3])
def test_empty_input(scorer: ComplexityScorer, texts: list[str]) -> None:
    c = scorer.score(texts)
    assert 0.0 <= c.score <= 1.0
    assert c.klass == "simple"
    assert c.reasons == ()


def test_reasons_never_contain_text(scorer: ComplexityScorer) -> None:
    secret = "Zanzibarquux"
    text = f"{secret} asks: calculate 3x + 4 = 19 for x, then prove it.\n1. {secret}\n2. b"
    c = scorer.score([text, secret], max_tokens=2048, turns=5)
    for r in c.reasons:
        assert r in KNOWN_REASONS
        assert secret.lower() not in r.lower()


def test_threshold_sets_class() -> None:
    s = ComplexityScorer().score([MULTI_PART]).score
    assert ComplexityScorer(threshold=0.0).score(["hi"]).klass == "complex"
    assert ComplexityScorer(threshold=1.0).score([MULTI_PART]).klass == "simple"
    assert ComplexityScorer(threshold=s).score([MULTI_PART]).klass == "complex"
    with pytest.raises(ValueError):
        ComplexityScorer(threshold=1.5)


def test_huge_input_is_bounded(scorer: ComplexityScorer) -> None:
    text = "word " * 200_000 + MATH
    c = scorer.score([text])
    assert 0.0 <= c.score <= 1.0
    assert "long_prompt" in c.reasons


def test_text_features_shape() -> None:
    feats, prior = text_features(MULTI_PART)
    assert len(feats) == len(FITTED_FEATURES)
    assert all(math.isfinite(f) for f in feats)  # options and words present: all defined
    assert math.isfinite(prior)
    # No options: option features are undefined (NaN) and take their mean at score time.
    feats, _ = text_features("hi")
    assert math.isnan(feats[FITTED_FEATURES.index("option_overlap")])


def test_deterministic(scorer: ComplexityScorer) -> None:
    assert scorer.score([MATH], max_tokens=300, turns=2) == scorer.score(
        [MATH], max_tokens=300, turns=2
    )


# ------------------------------------------------------------------ the bench's metric


def _bench() -> tuple[Any, Any]:
    """(numpy, bench/complexity_eval.py); numpy is a bench (dev) dependency, not a runtime
    one, so it is imported here rather than at the top."""
    np = importlib.import_module("numpy")
    sys.path.insert(0, str(ROOT / "bench"))
    return np, importlib.import_module("complexity_eval")


def test_apgr_on_graded_quality() -> None:
    np, complexity_eval = _bench()
    # MT-Bench style: quality is a judge score / 10, not 0/1.
    weak = np.array([0.9, 0.5, 0.8, 0.7])
    strong = np.array([1.0, 0.9, 0.8, 0.9])
    apgr = complexity_eval.apgr
    # A constant score routes in random order: exactly the random result.
    assert apgr(np.zeros(4), weak, strong) == pytest.approx(0.5)
    # The oracle order (largest strong - weak first): PGR 4/7, 6/7, 1, 1 at f = 1/4..1.
    oracle = strong - weak
    assert apgr(oracle, weak, strong) == pytest.approx(41 / 56)
    assert apgr(-oracle, weak, strong) < 0.5


def _prompts(path: Path) -> set[str]:
    if path.suffix == ".jsonl":
        with path.open() as fh:
            return {json.loads(line)["turns"][0].strip() for line in fh if line.strip()}
    with path.open(newline="") as fh:
        return {r["prompt"].strip() for r in csv.DictReader(fh)}


def test_held_out_sets_never_overlap_the_fitting_data() -> None:
    shared = SHARED / "routellm" / "mmlu"
    if not shared.is_dir():
        pytest.skip("../shared/data is not checked out")
    fitted: set[str] = set()
    for path in shared.glob("mmlu_*.csv"):
        fitted |= _prompts(path)
    extra = [*sorted((EXTRA / "mmlu").glob("mmlu_*.csv")), EXTRA / "gsm8k.csv"]
    extra.append(EXTRA / "mt_bench.jsonl")
    assert len(extra) == 19
    for path in extra:
        assert not (shared / path.name).exists(), path.name
        assert not _prompts(path) & fitted, path.name


def test_load_extra_sets() -> None:
    if not (SHARED / "routellm" / "mmlu").is_dir():
        pytest.skip("../shared/data is not checked out")
    np, complexity_eval = _bench()
    sets = complexity_eval.load_extra(EXTRA, SHARED)
    assert list(sets) == ["MMLU, 17 new subjects", "GSM8K", "MT-Bench (turn 1, score/10)"]
    gsm, mt = sets["GSM8K"], sets["MT-Bench (turn 1, score/10)"]
    assert len(gsm.prompts) == 1307
    assert set(np.unique(gsm.weak)) <= {0.0, 1.0}
    assert len(mt.prompts) == 72
    # Graded quality: judge scores 1-10 become 0.1-1.0, and not all of them are 0/1.
    for q in (mt.weak, mt.strong):
        assert q.min() >= 0.1 and q.max() <= 1.0
        assert not set(np.unique(q)) <= {0.0, 1.0}
    pooled = complexity_eval.concat(list(sets.values()))
    assert len(pooled.prompts) == sum(len(d.prompts) for d in sets.values())
    assert pooled.x.shape == (len(pooled.prompts), len(FITTED_FEATURES))


def test_length_blend_adds_fixed_log_words_weight(monkeypatch: pytest.MonkeyPatch) -> None:
    np, complexity_eval = _bench()
    rng = np.random.default_rng(0)
    n = 400
    x = rng.normal(size=(n, len(FITTED_FEATURES)))
    j = FITTED_FEATURES.index("log_words")
    x[:5, j] = np.nan  # undefined rows take the mean, as at run time
    weak = (rng.random(n) < 0.6).astype(float)
    strong = (rng.random(n) < 0.8).astype(float)
    prior = np.zeros(n)
    use = list(range(len(FITTED_FEATURES)))
    monkeypatch.setattr(complexity_eval, "LENGTH_BLEND", 0.0)
    plain = complexity_eval._fit(x, prior, weak, strong, 10.0, use)
    monkeypatch.setattr(complexity_eval, "LENGTH_BLEND", 0.5)
    blended = complexity_eval._fit(x, prior, weak, strong, 10.0, use)
    # Only log_words moves, by exactly 0.5 per standard deviation of the training column.
    extra = 0.5 / np.nanstd(x[:, j])
    assert blended.weights[j] == pytest.approx(plain.weights[j] + extra)
    others = [k for k in use if k != j]
    assert np.allclose(blended.weights[others], plain.weights[others])
    # Even when selection leaves log_words out, the blend still applies to it.
    monkeypatch.setattr(complexity_eval, "LENGTH_BLEND", 0.5)
    small = complexity_eval._fit(x, prior, weak, strong, 10.0, [k for k in use if k != j])
    assert small.weights[j] == pytest.approx(extra)
    assert small.means[j] == pytest.approx(np.nanmean(x[:, j]))


def test_row_weights_equal_repeated_rows() -> None:
    np, complexity_eval = _bench()
    rng = np.random.default_rng(1)
    x = rng.normal(size=(60, 2))
    y = (rng.random(60) < 0.4).astype(float)
    twice = np.r_[np.arange(60), np.arange(10)]  # the first 10 rows counted twice
    weights = np.r_[np.full(10, 2.0), np.ones(50)]
    b_rep, w_rep = complexity_eval.fit_logistic(x[twice], y[twice], 1.0)
    b_wt, w_wt = complexity_eval.fit_logistic(x, y, 1.0, weights=weights)
    # The same likelihood, though standardisation differs (weights do not enter the
    # scaler), so compare at a tight tolerance rather than bit for bit.
    assert b_wt == pytest.approx(b_rep, abs=0.05)
    assert np.allclose(w_wt, w_rep, atol=0.05)
    assert not np.allclose(w_wt, complexity_eval.fit_logistic(x, y, 1.0)[1], atol=0.01)


@pytest.mark.parametrize(
    "variant", ["gain", "weak-wrong", "centered", "subject-weighted", "pairwise"]
)
def test_fit_variants(monkeypatch: pytest.MonkeyPatch, variant: str) -> None:
    np, complexity_eval = _bench()
    rng = np.random.default_rng(2)
    n = 600
    groups = np.array(["a", "b", "c"])[np.arange(n) % 3]
    signal = rng.normal(size=n)  # a real within-subject effect on the label
    subject_only = (groups == "a").astype(float)  # constant inside each subject
    x = np.c_[rng.normal(size=n), signal, subject_only]
    gain = rng.random(n) < 1 / (1 + np.exp(-(2 * signal + 2 * subject_only - 1)))
    weak = (~gain).astype(float)  # gain rows: weak wrong, strong right
    strong = np.ones(n)
    monkeypatch.setattr(complexity_eval, "FIT_VARIANT", variant)
    monkeypatch.setattr(complexity_eval, "LENGTH_BLEND", 0.0)
    m = complexity_eval._fit(x, np.zeros(n), weak, strong, 1.0, [1, 2], None, groups)
    assert m.weights[0] == 0.0  # not selected
    assert m.weights[1] > 0.5  # every variant finds the within-subject effect
    if variant == "centered":
        # Centred within subjects, a subject-level column carries nothing.
        assert m.weights[2] == pytest.approx(0.0, abs=1e-9)
    else:
        assert m.weights[2] > 0.3
    if variant in ("centered", "subject-weighted"):
        with pytest.raises(ValueError):  # they need each row's subject
            complexity_eval._fit(x, np.zeros(n), weak, strong, 1.0, [1, 2])


def test_candidate_features() -> None:
    _, complexity_eval = _bench()
    names = complexity_eval.CANDIDATE_FEATURES
    f = dict(zip(names, complexity_eval.candidate_features(MULTI_PART), strict=True))
    assert len(f) == len(names)
    assert f["opt_words_max"] == pytest.approx(math.log(3))  # "True, True": 2 words
    assert f["opt_sent_share"] == 0.0
    assert f["stem_qmark"] == 0.0 and f["which_following"] == 0.0
    q = "A car goes 60 km in 2 hours. Which of the following is its speed?\nA. 30 km/h\nB. 120 km"
    g = dict(zip(names, complexity_eval.candidate_features(q), strict=True))
    assert g["which_following"] == 1.0 and g["wh_which"] == 1.0 and g["stem_qmark"] == 1.0
    assert g["q_words"] == pytest.approx(math.log1p(7))  # the last stem sentence only
    assert g["log_units"] == pytest.approx(math.log1p(4))  # 60 km, 2 hours, 30 km, 120 km
    assert g["opt_prefix"] == 0.0  # "30 km/h" vs "120 km/h" share no leading word
    # No options: option features are undefined.
    h = dict(zip(names, complexity_eval.candidate_features("hi there"), strict=True))
    assert math.isnan(h["opt_words_max"]) and math.isnan(h["ttr"])
