"""The complexity score: range, ordering of obvious cases, reasons, and request knobs."""

from __future__ import annotations

import math

import pytest

from edge_router.routing.complexity import Complexity, ComplexityScorer, text_features
from edge_router.routing.complexity_features import FITTED_FEATURES

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
