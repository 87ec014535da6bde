"""Prompt complexity score for routing: how likely a prompt needs the bigger model.

``ComplexityScorer().score(texts, max_tokens=..., turns=...)`` returns a
:class:`Complexity`: ``score`` in [0, 1] (higher = more likely to need the bigger model),
``klass`` (``complex`` when ``score >= threshold``) and ``reasons``, machine-readable names
of the upward signals present (never prompt text). Pure Python, no model, no I/O: about
0.1-0.3 ms per prompt on one shared CPU core (MT-Bench / MMLU prompts, 300-470 chars),
bounded for long inputs because pattern scans read at most 6,000 characters.

Which text: the last non-blank entry of ``texts`` (normally the latest user message) is
the request, and every text feature comes from it; earlier entries (system prompt,
history) count only through their total length. A long system prompt says little about
how hard the request is, while the request itself does.

Score = sigmoid(intercept + fitted part + prior part):

- Fitted part (``FITTED_FEATURES``, 19 weights): length (log words, with hinges at ~90
  and ~250 words; clamped at ~1,100 words), digit share, math (operators between operands,
  LaTeX, written-out algebra), reasoning and hypothetical cue words, multi-part claims
  ("Statement 1 | ... Statement 2 | ..."), answer-option structure (compound verdicts like
  "True, False", word overlap between options, catch-all options, numeric options, option
  length), vocabulary (share of words outside a common-word list, share of 10+ letter
  words, capitalised names), sentence length, question marks, and reading-comprehension
  cues ("refers to the following passage"). A feature that is undefined for a text (no
  answer options, no words, not English) takes its MMLU mean, so it neither pushes nor
  pulls.
- Prior part (hand-set, not fitted, because MMLU has no code, lists, turns, output
  budgets or other languages): code markers, numbered/bulleted steps and step cue words,
  non-English text, ``max_tokens`` (per doubling over 512), ``turns`` (per doubling) and
  earlier-context length. They are in the bench as a fixed offset, so the measured
  numbers include them (they rarely fire on MMLU).

How the weights were fitted: ``bench/complexity_eval.py --fit --write`` fits an
L2-penalised logistic regression (ridge 10 on standardised features) on RouteLLM's MMLU
data (``../shared/data/routellm``; contaminated prompts dropped), label "gain" = the weak
model (Mixtral-8x7B) is wrong and the strong one (GPT-4) is right, on all 39 usable
subjects (high_school_mathematics is left out: its strong-model labels are below chance,
3%, i.e. broken answer extraction). The intercept is then shifted so that score 0.5 is
the operating point where routing everything above it recovers half the weak-to-strong
quality gap (CPT(50%)).

Measured (``bench/complexity_eval.py``, leave-subjects-out: 39 subjects in 5 folds, fitted
on 4, scored on the 5th; held-out scores pooled; 10,878 prompts):

=========================  ======  ========
scorer                     APGR    CPT(50%)
=========================  ======  ========
random                     0.507   48.0%
length alone (chars)       0.564   37.4%
this scorer                0.626   32.4%
=========================  ======  ========

Over 10 different subject partitions: APGR 0.623 mean (0.615-0.632). Per fold it ranges
0.520-0.648 (length 0.453-0.569). With the broken subject kept: 0.599 vs 0.585 for length.

Sentence embeddings were tried and not adopted (``bench/complexity_eval.py --embed``):
all-MiniLM-L6-v2 (int8 ONNX, 384-d, mean-pooled) into the same logistic regression, with
the embedding penalty picked by inner leave-subjects-out CV, scores held-out subjects at
APGR 0.553 alone and 0.608 next to these features (0.540 / 0.571 with the broken subject
kept), below this scorer in both settings, at ~20-90 ms of CPU per prompt. On a random
prompt split, where every subject is seen in training, the combination does reach 0.630
(0.647): embeddings mostly learn which subject a prompt is from, which does not transfer.

Threshold: the default 0.5 marks ~30% of held-out MMLU prompts ``complex`` and sending
exactly those to the strong model recovered 47% of the quality gap (vs 30% for random).
Raise it to send less; on chat traffic the share differs (only 10 of MT-Bench's 80 first
turns reach 0.5; extraction and reasoning score highest, humanities and writing lowest).

Reasons (fixed order; each names an upward signal that is present): ``long_prompt``
(>= 200 words in the request), ``math``, ``code``, ``multi_step`` (numbered/bulleted steps
or step cue words), ``reasoning`` (prove/derive/calculate/suppose/most likely...),
``multi_part`` (several claims judged at once), ``non_english``, ``long_context``
(>= 1,000 words before the request), ``many_turns`` (>= 4), ``large_max_tokens``
(>= 1,024). Length's fitted effect peaks around 250 words (MMLU's longest prompts are
reading passages, which the weak model handles), so ``long_prompt`` on a very long request
says "long", not "pushed up a lot".

Limits: most of the gain is between subjects (moral dilemmas, multi-claim questions,
legal cases rank above psychology or history passages); inside one subject the ranking is
near random (median per-subject APGR 0.53, below 0.5 in 14 of 34 subjects; worst:
college_physics, us_foreign_policy, virology, high_school_chemistry). Math content is only
weakly positive on this data because both models often fail it. The fitted weights
describe MMLU-style multiple choice; on free-form chat only the prior signals and length
are well founded. Feature design was iterated while looking at held-out numbers, so they
are somewhat optimistic.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

# Pattern scans look at most this many characters of the last message (its head and tail);
# lengths are still taken from the whole text. Keeps a pasted book from costing milliseconds.
_SCAN_CAP = 6000

_WORD = re.compile(r"[^\W\d_]+(?:'[^\W\d_]+)?")
_DIGIT = re.compile(r"\d")
_WORD_CHAR = re.compile(r"[^\W\d_]")
_CHARS_PER_WORD = 6.0
# Unambiguous math symbols; + - * / are counted separately, only between operands.
_MATH_SYM = re.compile(r"[=^<>≤≥≠±×÷√∑∏∫∂∞πθλμσΔ∈∪∩⊂⊃⊆≡→↔¬∧∨•]")
_OPERATOR = re.compile(r"[-+*/]")
_LATEX = re.compile(
    r"\\(?:frac|sqrt|sum|int|prod|lim|infty|cdot|times|leq|geq|neq|alpha|beta|"
    r"gamma|delta|theta|lambda|sigma|pi|mathbb|mathrm|log|ln|sin|cos|tan)\b|\$[^$\n]{1,80}\$"
)
# Algebra written out in plain text: x^2, f(x), 3x + 4, a_n, log(…), "x = 5".
_EQUATION = re.compile(
    r"\b[a-zA-Z]\s*\^\s*[-\d(a-zA-Z]|\b[a-zA-Z]\([a-z0-9, ]{1,8}\)"
    r"|\b[a-zA-Z]_\{?[a-z0-9]|\b(?:log|ln|sin|cos|tan|exp|sqrt)\s*\(|\b[a-zA-Z]\s*=\s*[-\d(]"
)
# Code: lines that start or end like code, plus operators prose does not use.
_CODE_LINE = re.compile(
    r"^[ \t]*(?:def \w|class \w+[:(]|import \w|from [\w.]+ import|return\b|#include|for ?\(|"
    r"while ?\(|if ?\(|public |private |function |const |let |var |SELECT |print\()"
    r"|[;{}][ \t]*$",
    re.MULTILINE,
)
_CODE_TOKENS = ("```", "=>", "==", "!=", "++", "();", "){", "</", "/>", "->")
_EQUATION_HINTS = ("^", "(", "_", "=")
# A coefficient on a variable: "3x + 4", "2y =".
_COEFFICIENT = re.compile(r"\d[a-z]\b ?[-+*/=]")
_STEP_LINE = re.compile(r"^\s*(?:\d{1,2}[.)]|[-*•])\s+\S", re.MULTILINE)
# Cue words, looked up per word (one dict lookup beats a dozen-way regex alternation);
# the multi-word cues are counted as substrings of the lower-cased text.
_STEP, _REASON, _HYPO = 0, 1, 2
_STEP_WORDS = "first firstly second secondly then next finally afterwards"
_REASON_WORDS = """prove proof derive derivation calculate compute solve estimate determine
    evaluate find probability expected minimum maximum optimal why explain justify analyse
    analyze compare implies infer deduce valid follows"""
_HYPO_WORDS = """suppose supposing assume assuming imagine hypothetical scenario consider would
    best strongest weakest primarily"""
_CUE_WORDS: dict[str, int] = {
    **dict.fromkeys(_STEP_WORDS.split(), _STEP),
    **dict.fromkeys(_REASON_WORDS.split(), _REASON),
    **dict.fromkeys(_HYPO_WORDS.split(), _HYPO),
}
_STEP_PHRASES = (
    "step by step",
    "step-by-step",
    "after that",
    "followed by",
    "in order to",
    "for each",
    "each of",
)
_REASON_PHRASES = ("how many", "how much", "must be true")
_HYPO_PHRASES = ("most likely", "least likely", "most appropriate")
# "Answer from this text": the answer is in the prompt, so a reading task, not recall.
_READING_PHRASES = (
    "refers to the following",
    "refer to the following",
    "the following passage",
    "the following information",
    "the following excerpt",
    "the following text",
    "the following article",
    "the passage",
    "the excerpt",
    " read the ",
    "based on the",
)
# "Statement 1 | …", "Scenario 2 | …", "I. … II. …": several claims judged at once.
_MULTI_LABEL = re.compile(
    r"\b(?:statement|scenario|claim|premise|assertion|reason)\s*(?:[1-9]|i{1,3})\b\s*[|:.]",
    re.IGNORECASE,
)
_MULTI_LABEL_HINTS = ("statement", "scenario", "claim", "premise", "assertion", "reason")
_ROMAN_PART = re.compile(r"^\s*(?:I{1,3}|IV)[.)]\s|\b(?:I|II|III) (?:and|only)\b", re.MULTILINE)
_ROMAN_HINTS = ("I.", "I)", "I and", "I only")
_OPTION_LINE = re.compile(r"^\s*\(?[A-Ha-h][.)]\s+(.*)$", re.MULTILINE)
# Options that combine several verdicts ("True, False", "Wrong, Not wrong").
_COMPOUND_OPTION = re.compile(
    r"(?:true|false|wrong|not wrong|yes|no|valid|invalid|correct|incorrect)"
    r"\s*,\s*(?:true|false|wrong|not wrong|yes|no|valid|invalid|correct|incorrect)\s*",
    re.IGNORECASE,
)
# "All of the above", "None of these", "Both A and B", "Neither ...".
_CATCH_ALL_OPTION = re.compile(r"(?:all|none|both|neither|either)\b", re.IGNORECASE)
# Capitalised words; those right after a sentence end or at the start are not counted.
_CAPITALISED = re.compile(r"[A-Z][a-z]{2,}")
_SENTENCE_END = re.compile(r"[.!?](?:\s|$)")
_NON_LATIN_LETTER = re.compile(r"[^\W\d_a-zA-Z\u00C0-\u024F]")

# A few hundred of the commonest English words; the share of a prompt's words outside this
# list (and longer than 3 letters) is a cheap stand-in for rare, specialist vocabulary.
_COMMON_WORDS = """
    the of and to a in is it you that he was for on are with as i his they be at one have this
    from or had by not word but what some we can out other were all there when up use your how
    said an each she which do their time if will way about many then them write would like so
    these her long make thing see him two has look more day could go come did number sound no
    most people my over know water than call first who may down side been now find any new work
    part take get place made live where after back little only round man year came show every
    good me give our under name very through just form sentence great think say help low line
    differ turn cause much mean before move right boy old too same tell does set three want air
    well also play small end put home read hand port large spell add even land here must big
    high such follow act why ask men change went light kind off need house picture try us again
    animal point mother world near build self earth father head stand own page should country
    found answer school grow study still learn plant cover food sun four between state keep eye
    never last let thought city tree cross farm hard start might story saw far sea draw left
    late run while press close night real life few north open seem together next white children
    begin got walk example ease paper group always music those both mark often letter until mile
    river car feet care second book carry took science eat room friend began idea fish mountain
    stop once base hear horse cut sure watch color face wood main enough plain girl usual young
    ready above ever red list though feel talk bird soon body dog family direct pose leave song
    measure door product black short numeral class wind question happen complete ship area half
    rock order fire south problem piece told knew pass since top whole king space heard best hour
    better true during hundred five remember step early hold west ground interest reach fast verb
    sing listen six table travel less morning ten simple several vowel toward war lay against
    pattern slow center love person money serve appear road map rain rule govern pull cold
    notice voice unit power town fine certain fly fall lead cry dark machine note wait plan
    figure star box noun field rest correct able pound done beauty drive stood contain front
    teach week final gave green quick develop ocean warm free minute strong special mind behind
    clear tail produce fact street inch multiply nothing course stay wheel full force blue
    object decide surface deep moon island foot system busy test record boat common gold
    possible plane stead dry wonder laugh thousand ago ran check game shape equate miss brought
    heat snow tire bring distance fill east paint language among which following best most
    likely statement true false option would could should because however therefore
"""
_COMMON = frozenset(_COMMON_WORDS.split())


# ------------------------------------------------------------------ fitted part
# Features whose weights are fitted offline by bench/complexity_eval.py --fit (logistic
# regression on the "gain" label, all 39 usable MMLU subjects); order matters.
FITTED_FEATURES: tuple[str, ...] = (
    "log_words",  # log(1 + words) of the last message
    "words_over_90",  # hinge: max(log_words - 4.5, 0)
    "words_over_250",  # hinge: max(log_words - 5.5, 0)
    "digit_share",  # digits / characters
    "log_math",  # operators, LaTeX, written-out algebra
    "log_reasoning",  # prove/derive/calculate/why/probability...
    "log_hypothetical",  # suppose/assume/would/most likely/best...
    "multi_part",  # "Statement 1 | ... Statement 2 | ...", "I. II. III."
    "compound_options",  # options like "True, False" / "Wrong, Not wrong"
    "option_overlap",  # mean pairwise Jaccard of the answer options
    "catch_all_option",  # an "All/None/Both/Neither of ..." option
    "numeric_options",  # share of options that are numbers
    "log_option_words",  # log(1 + mean words per option)
    "rare_share",  # share of words (> 3 letters) outside a common-word list
    "long_word_share",  # share of words with >= 10 letters
    "log_sentence_words",  # log(1 + words per sentence)
    "log_questions",  # log(1 + question marks)
    "capitalised_share",  # mid-sentence capitalised words (names, places)
    "reading",  # "refers to the following passage": the answer is in the text
)

# FITTED_COEFFICIENTS_START
_INTERCEPT = -0.2789
# (weight, mean used when undefined)
_WEIGHTS_MEANS: tuple[tuple[float, float], ...] = (
    (0.2323, 4.0539),  # log_words
    (0.5785, 0.1653),  # words_over_90
    (-1.3841, 0.0145),  # words_over_250
    (-0.5465, 0.0137),  # digit_share
    (0.1538, 0.1337),  # log_math
    (0.0052, 0.1151),  # log_reasoning
    (0.0918, 0.2746),  # log_hypothetical
    (0.4410, 0.0658),  # multi_part
    (0.4520, 0.0918),  # compound_options
    (0.8886, 0.2098),  # option_overlap
    (0.1936, 0.0703),  # catch_all_option
    (0.4588, 0.0727),  # numeric_options
    (-0.1332, 1.7774),  # log_option_words
    (-0.5650, 0.6993),  # rare_share
    (-1.5313, 0.0692),  # long_word_share
    (-0.1888, 2.1913),  # log_sentence_words
    (-0.0862, 0.4125),  # log_questions
    (-0.8588, 0.0498),  # capitalised_share
    (-0.5968, 0.0476),  # reading
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

# Reason thresholds (on the raw signals); each names an upward signal.
_LONG_PROMPT_WORDS = 200
_MAX_LOG_WORDS = 7.0
_MANY_TURNS = 4
_LARGE_MAX_TOKENS = 1024
_LONG_CONTEXT_WORDS = 1000


@dataclass(frozen=True)
class _Signals:
    """Raw measurements of one message (counts, shares); no text."""

    words: float
    digit_share: float
    math: int
    reasoning: int
    hypothetical: int
    multi_part: int
    compound_options: bool
    option_overlap: float
    catch_all_option: bool
    numeric_options: float
    option_words: float
    rare_share: float
    long_word_share: float
    sentence_words: float
    questions: int
    capitalised_share: float
    reading: bool
    code: int
    step_lines: int
    step_cues: int
    common_share: float
    non_latin_share: float


def _signals(text: str) -> _Signals:
    n_chars = len(text)
    if n_chars > _SCAN_CAP:
        half = _SCAN_CAP // 2
        scan = text[:half] + "\n" + text[-half:]
    else:
        scan = text
    low = " " + scan.lower() + " "
    words = _WORD.findall(scan)
    n_scan = len(words)
    lowered = [w.lower() for w in words]
    cues = [0, 0, 0]
    common = rare = content = long_words = letters = 0
    for w, lw in zip(words, lowered, strict=True):
        n = len(w)
        letters += n
        if n >= 10:
            long_words += 1
        is_common = lw in _COMMON
        common += is_common
        if n > 3:
            content += 1
            rare += not is_common
        kind = _CUE_WORDS.get(lw)
        if kind is not None:
            cues[kind] += 1
    cues[_STEP] += sum(low.count(p) for p in _STEP_PHRASES)
    cues[_REASON] += sum(low.count(p) for p in _REASON_PHRASES)
    cues[_HYPO] += sum(low.count(p) for p in _HYPO_PHRASES)
    options = _OPTION_LINE.findall(scan)
    digits = len(_DIGIT.findall(scan))
    n_sent = len(_SENTENCE_END.findall(scan))
    equations = len(_COEFFICIENT.findall(scan)) if digits else 0
    if any(h in scan for h in _EQUATION_HINTS):
        equations += len(_EQUATION.findall(scan))
    multi_part = 0
    if any(h in low for h in _MULTI_LABEL_HINTS):
        multi_part += len(_MULTI_LABEL.findall(scan))
    if any(h in scan for h in _ROMAN_HINTS):
        multi_part += len(_ROMAN_PART.findall(scan))
    return _Signals(
        # Scale the word count of a capped scan back up to the whole text.
        words=n_scan * n_chars / len(scan) if scan else 0.0,
        digit_share=digits / max(len(scan), 1),
        math=len(_MATH_SYM.findall(scan))
        + _operators(scan)
        + 2 * len(_LATEX.findall(scan))
        + equations,
        reasoning=cues[_REASON],
        hypothetical=cues[_HYPO],
        multi_part=multi_part,
        compound_options=any(_COMPOUND_OPTION.fullmatch(o) for o in options),
        option_overlap=_overlap(options),
        catch_all_option=any(_CATCH_ALL_OPTION.match(o) for o in options),
        numeric_options=sum(1 for o in options if _is_numeric(o)) / len(options)
        if options
        else 0.0,
        option_words=sum(len(o.split()) for o in options) / len(options) if options else 0.0,
        rare_share=rare / content if content else math.nan,
        long_word_share=long_words / n_scan if n_scan else math.nan,
        sentence_words=n_scan / max(n_sent, 1),
        questions=scan.count("?"),
        capitalised_share=_capitalised(scan) / n_scan if n_scan else math.nan,
        reading=any(p in low for p in _READING_PHRASES),
        code=len(_CODE_LINE.findall(scan)) + sum(scan.count(t) for t in _CODE_TOKENS),
        step_lines=len(_STEP_LINE.findall(scan)),
        step_cues=cues[_STEP],
        common_share=common / n_scan if n_scan else 0.0,
        non_latin_share=len(_NON_LATIN_LETTER.findall(scan)) / letters if letters else 0.0,
    )


def _operators(scan: str) -> int:
    """+ - * / between operands ("3 - x", "(a+b)/2", "x * 4"); not "I/me/my" or "well-known"."""
    n = 0
    last = len(scan) - 1
    for m in _OPERATOR.finditer(scan):
        i = m.start()
        j = i - 1
        if j >= 0 and scan[j] == " ":
            j -= 1
        k = i + 1
        if k <= last and scan[k] == " ":
            k += 1
        if j < 0 or k > last:
            continue
        before, after = scan[j], scan[k]
        if before.isdigit() or before in ")]":
            n += after.isdigit() or after == "(" or after.isalpha()
        elif before.isalpha() and (j == 0 or not scan[j - 1].isalpha()):
            # A one-letter variable before the operator: "x + 1", "n*(n-1)".
            n += after.isdigit() or after == "("
    return n


def _capitalised(scan: str) -> int:
    """Capitalised words inside sentences (names, places, terms), not sentence starts."""
    n = 0
    for m in _CAPITALISED.finditer(scan):
        i = m.start()
        if i == 0 or scan[i - 1].isalpha():
            continue
        if i >= 2 and scan[i - 1].isspace() and scan[i - 2] in ".!?\n":
            continue
        n += 1
    return n


def _fitted_vector(s: _Signals) -> tuple[float, ...]:
    """Features in FITTED_FEATURES order; NaN where a feature is undefined for this text
    (no answer options; no words; not English), which the scorer replaces by its mean."""
    # Clamped at ~1,100 words, the longest MMLU prompts: the fitted length curve is not
    # extrapolated to documents it never saw.
    log_words = min(math.log1p(s.words), _MAX_LOG_WORDS)
    nan = math.nan
    has_options = s.option_words > 0
    english = s.words > 0 and not _non_english(s)
    return (
        log_words,
        max(log_words - 4.5, 0.0),
        max(log_words - 5.5, 0.0),
        s.digit_share,
        math.log1p(s.math),
        math.log1p(s.reasoning),
        math.log1p(s.hypothetical),
        min(s.multi_part, 3) / 3.0,
        float(s.compound_options) if has_options else nan,
        s.option_overlap if has_options else nan,
        float(s.catch_all_option) if has_options else nan,
        s.numeric_options if has_options else nan,
        math.log1p(s.option_words) if has_options else nan,
        s.rare_share if english else nan,
        s.long_word_share if english else nan,
        math.log1p(s.sentence_words),
        math.log1p(s.questions),
        s.capitalised_share if english else nan,
        float(s.reading),
    )


def _non_english(s: _Signals) -> bool:
    # Mostly non-Latin letters, or a longer text with almost none of the commonest English
    # words (English prose runs at roughly 40-60% of them; MMLU's lowest prompts ~20%).
    return s.non_latin_share >= 0.3 or (s.words >= 8 and s.common_share < 0.1)


def _text_prior(s: _Signals) -> float:
    return (
        _W_CODE * math.log1p(s.code)
        + _W_STEP_LINES * math.log1p(s.step_lines)
        + _W_STEP_CUES * math.log1p(s.step_cues)
        + (_W_NON_ENGLISH if _non_english(s) else 0.0)
    )


def text_features(text: str) -> tuple[tuple[float, ...], float]:
    """(fitted features in :data:`FITTED_FEATURES` order, hand-set prior logit) of one message.

    Public so the offline bench fits exactly what the runtime computes.
    """
    s = _signals(text)
    return _fitted_vector(s), _text_prior(s)


def _is_numeric(option: str) -> bool:
    digits = len(_DIGIT.findall(option))
    return digits > 0 and digits >= len(_WORD_CHAR.findall(option))


def _overlap(options: list[str]) -> float:
    """Mean pairwise word overlap (Jaccard) of the answer options: near-identical options
    ask for a fine distinction."""
    sets = [t for t in (frozenset(o.lower().split()) for o in options[:8]) if t]
    if len(sets) < 2:
        return 0.0
    total = 0.0
    pairs = 0
    for i in range(len(sets)):
        for j in range(i + 1, len(sets)):
            total += len(sets[i] & sets[j]) / len(sets[i] | sets[j])
            pairs += 1
    return total / pairs


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
        s = _signals(last)
        z = _INTERCEPT + _text_prior(s)
        for (w, mean), f in zip(_WEIGHTS_MEANS, _fitted_vector(s), strict=True):
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
        if _non_english(s):
            reasons.append("non_english")
        if context_words >= _LONG_CONTEXT_WORDS:
            reasons.append("long_context")
        if turns >= _MANY_TURNS:
            reasons.append("many_turns")
        if max_tokens is not None and max_tokens >= _LARGE_MAX_TOKENS:
            reasons.append("large_max_tokens")
        klass: Klass = "complex" if score >= self.threshold else "simple"
        return Complexity(score, klass, tuple(reasons))
