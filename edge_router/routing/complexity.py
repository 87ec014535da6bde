"""Prompt complexity score for routing: how likely a prompt needs the bigger model.

``ComplexityScorer().score(texts, max_tokens=..., turns=...)`` returns a
:class:`Complexity`: ``score`` in [0, 1] (higher = more likely to need the bigger model),
``klass`` (``complex`` when ``score >= threshold``) and ``reasons``, machine-readable names
of the upward signals present (never prompt text). Pure Python, no model, no I/O: about
0.1-0.4 ms (median) per prompt on one shared CPU core (MT-Bench / MMLU prompts, 300-470 chars),
bounded for long inputs because pattern scans read at most 6,000 characters.

This module holds the weights, the priors and the scorer; what they are applied to (the
text signals of one message and the fitted feature vector) is measured in
:mod:`edge_router.routing.complexity_features`.

Which text: the last non-blank entry of ``texts`` (normally the latest user message) is
the request, and every text feature comes from it; earlier entries (system prompt,
history) count only through their total length. A long system prompt says little about
how hard the request is, while the request itself does.

Score = sigmoid(intercept + fitted part + prior part):

- Fitted part (``FITTED_FEATURES``, 19 slots, 4 non-zero): log length in words (clamped
  at ~1,100 words), word overlap between answer options, compound verdict options
  ("True, False") and the share of words outside a common-word list (negative). The other
  slots (hinges on length, digits, math, cue words, multi-part claims, option shape,
  vocabulary, sentence length, questions, reading cues) are still measured, and still
  drive ``reasons``, but weigh 0: feature selection did not keep them (see below). A
  feature that is undefined for a text (no answer options, no words, not English) takes
  its MMLU mean, so it neither pushes nor pulls.
- Prior part (hand-set, not fitted, because MMLU has no code, lists, turns, output
  budgets or other languages): code markers, numbered/bulleted steps and step cue words,
  non-English text, ``max_tokens`` (per doubling over 512), ``turns`` (per doubling) and
  earlier-context length. They are in the bench as a fixed offset, so the measured
  numbers include them (they rarely fire on MMLU).

How the weights were fitted: ``bench/complexity_eval.py --select --fit --write`` fits an
L2-penalised logistic regression (ridge 10 on standardised features) on RouteLLM's MMLU
data (``../shared/data/routellm``; contaminated prompts dropped), label "gain" = the weak
model (Mixtral-8x7B) is wrong and the strong one (GPT-4) is right, on the 39 usable of its
40 subjects (high_school_mathematics is not fitted on: its strong-model labels are below
chance, 3%, i.e. broken answer extraction; it is still scored in the figures below).
Features are chosen by forward selection under leave-subjects-out CV; after fitting,
log_words gets a fixed extra 0.5 per standard deviation (``LENGTH_BLEND``): the fitted
weights mostly learn which subjects need the strong model, which transfers poorly, and
leaning on length transfers better. The intercept is then shifted so that score 0.5 is
the operating point where routing everything above it recovers half the weak-to-strong
quality gap (CPT(50%)).

Measured (``bench/complexity_eval.py --select``). Leave-subjects-out on the 40 shared
subjects (5 folds over subjects, fitted on 4, scored on the 5th; held-out scores pooled;
11,148 prompts, high_school_mathematics scored though never fitted on); the selection is
nested (each fold selects on its own training subjects), so the figure includes it:

=========================  ======  ========
scorer                     APGR    CPT(50%)
=========================  ======  ========
random                     0.514   49.0%
length alone (chars)       0.585   35.4%
this scorer                0.624   27.9%
=========================  ======  ========

Over 10 different subject partitions: APGR 0.627 mean (0.620-0.640); the previous
19-feature model without the length blend: 0.605 (0.597-0.617). Fully held out (fitted on
all 40, scored on ``bench/data/routellm_extra``, never fitted on): 17 new MMLU subjects
0.617 (length 0.594), GSM8K 0.596 (length 0.598), MT-Bench first turns 0.575 (length
0.546; 72 prompts), all three pooled 0.608 (length 0.557). So it still does not beat
length on GSM8K; the domain classifier's labels, a training target closer to APGR and a
stronger ridge were tried and not adopted, nor were (issue 14) ten more question and
option features, other fitting objectives (``--fit-variant``: weak-wrong label,
within-subject centring, subject weights, pairwise ranking), bagging the selection and a
per-domain scale: none beat this fit beyond partition noise (see the README).

Sentence embeddings were tried and not adopted (``bench/complexity_eval.py --embed``):
all-MiniLM-L6-v2 (int8 ONNX, 384-d, mean-pooled) into the same logistic regression, with
the embedding penalty picked by inner leave-subjects-out CV, scores held-out subjects at
APGR 0.553 alone and 0.608 next to these features (0.540 / 0.571 with the broken subject
kept), below this scorer in both settings, at ~20-90 ms of CPU per prompt. On a random
prompt split, where every subject is seen in training, the combination does reach 0.630
(0.647): embeddings mostly learn which subject a prompt is from, which does not transfer.

Threshold: the default 0.5 marks ~33% of held-out MMLU prompts ``complex`` and sending
exactly those to the strong model recovered 54% of the quality gap (vs ~33% for random).
Raise it to send less; elsewhere the share differs: 17% of the new MMLU subjects, 7% of
GSM8K and 18% of MT-Bench's first turns reach 0.5.

Reasons (fixed order; each names an upward signal that is present): ``long_prompt``
(>= 200 words in the request), ``math``, ``code``, ``multi_step`` (numbered/bulleted steps
or step cue words), ``reasoning`` (prove/derive/calculate/suppose/most likely...),
``multi_part`` (several claims judged at once), ``non_english``, ``long_context``
(>= 1,000 words before the request), ``many_turns`` (>= 4), ``large_max_tokens``
(>= 1,024). Length's fitted effect peaks around 250 words (MMLU's longest prompts are
reading passages, which the weak model handles), so ``long_prompt`` on a very long request
says "long", not "pushed up a lot".

Limits: most of the gain is between kinds of question (long prompts, multi-claim and
overlapping-option items rank above short fact recall); inside one subject the ranking is
near random (below 0.5 in 12 of 34 subjects; worst: college_physics, econometrics,
us_foreign_policy). Math content weighs nothing: on MMLU both models often fail it. The
fitted weights describe MMLU-style multiple choice; on free-form chat only the prior
signals and length are well founded. Feature design and the blend weight were chosen on
the leave-subjects-out figure (the blend over a grid of 7 values), so it is somewhat
optimistic.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from edge_router.routing.complexity_features import (
    Signals,
    fitted_vector,
    non_english,
    signals,
)

# ------------------------------------------------------------------ fitted part
# One (weight, mean) per FITTED_FEATURES entry (edge_router.routing.complexity_features),
# in that order; written by bench/complexity_eval.py --fit --write between the markers.
# FITTED_COEFFICIENTS_START
_INTERCEPT = -2.6143
# (weight, mean used when undefined)
_WEIGHTS_MEANS: tuple[tuple[float, float], ...] = (
    (0.6360, 4.0539),  # log_words
    (0.0000, 0.0000),  # words_over_90
    (0.0000, 0.0000),  # words_over_250
    (0.0000, 0.0000),  # digit_share
    (0.0000, 0.0000),  # log_math
    (0.0000, 0.0000),  # log_reasoning
    (0.0000, 0.0000),  # log_hypothetical
    (0.0000, 0.0000),  # multi_part
    (0.6542, 0.0918),  # compound_options
    (1.1100, 0.2098),  # option_overlap
    (0.0000, 0.0000),  # catch_all_option
    (0.0000, 0.0000),  # numeric_options
    (0.0000, 0.0000),  # log_option_words
    (-0.9732, 0.6993),  # rare_share
    (0.0000, 0.0000),  # long_word_share
    (0.0000, 0.0000),  # log_sentence_words
    (0.0000, 0.0000),  # log_questions
    (0.0000, 0.0000),  # capitalised_share
    (0.0000, 0.0000),  # reading
)
# FITTED_COEFFICIENTS_END

# ------------------------------------------------------------------ prior part
# Signals MMLU cannot measure (no code, no step lists, one turn, no max_tokens, English
# only): their weights are hand-set priors, in logit units, not fitted. They are applied
# identically in the bench (as a fixed offset) so the measured numbers include them.
_W_CODE = 0.5  # per log(1 + code markers)
_W_STEP_LINES = 0.35  # per log(1 + numbered/bulleted lines)
_W_STEP_CUES = 0.25  # per log(1 + "first/then/finally/step by step")
_W_NON_ENGLISH = 0.4  # small local models are weakest outside English
_W_MAX_TOKENS = 0.35  # per doubling of max_tokens over 512, in [-1, +3] doublings
_W_TURNS = 0.2  # per doubling of the number of turns
_W_CONTEXT = 0.15  # per log(1 + earlier-message words / 100)

# Earlier messages are measured by size only, at ~6 characters per English word.
_CHARS_PER_WORD = 6.0

# Reason thresholds (on the raw signals); each names an upward signal.
_LONG_PROMPT_WORDS = 200
_MANY_TURNS = 4
_LARGE_MAX_TOKENS = 1024
_LONG_CONTEXT_WORDS = 1000


def _text_prior(s: Signals) -> float:
    return (
        _W_CODE * math.log1p(s.code)
        + _W_STEP_LINES * math.log1p(s.step_lines)
        + _W_STEP_CUES * math.log1p(s.step_cues)
        + (_W_NON_ENGLISH if non_english(s) else 0.0)
    )


def text_features(text: str) -> tuple[tuple[float, ...], float]:
    """(fitted features in ``complexity_features.FITTED_FEATURES`` order, hand-set prior
    logit) of one message.

    Public so the offline bench fits exactly what the runtime computes.
    """
    s = signals(text)
    return fitted_vector(s), _text_prior(s)


# ------------------------------------------------------------------ public API

Klass = Literal["simple", "complex"]


@dataclass(frozen=True)
class Complexity:
    """How likely a prompt needs the bigger model.

    ``score`` is in [0, 1], higher = more likely; ``klass`` is ``complex`` when the score
    reaches the scorer's threshold; ``reasons`` name the upward signals that were present
    (machine-readable, never prompt text), in a fixed order.
    """

    score: float
    klass: Klass
    reasons: tuple[str, ...]


class ComplexityScorer:
    """Scores a conversation from cheap text signals; pure Python, no model, no I/O.

    Example::

        c = ComplexityScorer().score([system, user], max_tokens=2048, turns=3)
        if c.klass == "complex": ...   # c.reasons e.g. ("math", "large_max_tokens")
    """

    def __init__(self, threshold: float = 0.5) -> None:
        if not 0.0 <= threshold <= 1.0:
            raise ValueError("threshold must be in [0, 1]")
        self.threshold = threshold

    def score(
        self, texts: Sequence[str], *, max_tokens: int | None = None, turns: int = 1
    ) -> Complexity:
        """Score a conversation.

        ``texts``: the message texts in order (system, user, assistant...). The last
        non-blank one is taken as the request and all text features come from it; earlier
        ones count only through their total length (``long_context``). ``turns``: user
        turns so far. ``max_tokens``: the requested output budget, if any.
        """
        last_i = -1
        for i in range(len(texts) - 1, -1, -1):
            if texts[i] and not texts[i].isspace():
                last_i = i
                break
        last = texts[last_i] if last_i >= 0 else ""
        s = signals(last)
        z = _INTERCEPT + _text_prior(s)
        for (w, mean), f in zip(_WEIGHTS_MEANS, fitted_vector(s), strict=True):
            z += w * (mean if math.isnan(f) else f)

        # Earlier messages count by size only: ~6 characters per English word, O(1) per
        # message however long the history is.
        context_words = sum(len(t) for t in texts[:last_i]) / _CHARS_PER_WORD if last_i > 0 else 0
        z += _W_CONTEXT * math.log1p(context_words / 100)
        turns = max(turns, 1)
        z += _W_TURNS * math.log2(turns)
        if max_tokens is not None and max_tokens > 0:
            z += _W_MAX_TOKENS * min(max(math.log2(max_tokens / 512), -1.0), 3.0)

        score = 1.0 / (1.0 + math.exp(-z)) if z > -700 else 0.0
        reasons: list[str] = []
        if s.words >= _LONG_PROMPT_WORDS:
            reasons.append("long_prompt")
        if s.math >= 3 or (s.digit_share >= 0.05 and s.math >= 1):
            reasons.append("math")
        if s.code >= 2:
            reasons.append("code")
        if s.step_lines >= 2 or s.step_cues >= 2:
            reasons.append("multi_step")
        if s.reasoning + s.hypothetical >= 2:
            reasons.append("reasoning")
        if s.multi_part >= 2 or s.compound_options:
            reasons.append("multi_part")
        if non_english(s):
            reasons.append("non_english")
        if context_words >= _LONG_CONTEXT_WORDS:
            reasons.append("long_context")
        if turns >= _MANY_TURNS:
            reasons.append("many_turns")
        if max_tokens is not None and max_tokens >= _LARGE_MAX_TOKENS:
            reasons.append("large_max_tokens")
        klass: Klass = "complex" if score >= self.threshold else "simple"
        return Complexity(score, klass, tuple(reasons))
