"""What the complexity score reads from one message: text signals and the fitted feature vector.

Pattern tables (math, code, steps, cue words, answer options, a common-English word
list), :class:`Signals` (raw counts and shares of one message, never its text),
:func:`signals` to measure them, and :func:`fitted_vector`, the features in
:data:`FITTED_FEATURES` order that the weights in :mod:`edge_router.routing.complexity`
apply to. Pure Python, no I/O; pattern scans read at most 6,000 characters.

Example::

    s = signals("Prove that the square root of 2 is irrational.")
    s.reasoning, non_english(s), fitted_vector(s)[0]   # 1, False, log(1 + 8 words)
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

# Pattern scans look at most this many characters of the last message (its head and tail);
# lengths are still taken from the whole text. Keeps a pasted book from costing milliseconds.
_SCAN_CAP = 6000

_WORD = re.compile(r"[^\W\d_]+(?:'[^\W\d_]+)?")
_DIGIT = re.compile(r"\d")
_WORD_CHAR = re.compile(r"[^\W\d_]")
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


# Features whose weights are fitted offline by bench/complexity_eval.py --fit (logistic
# regression on the "gain" label, all 39 usable MMLU subjects); order matters: it is the
# order of fitted_vector() and of the weights in edge_router.routing.complexity.
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
_MAX_LOG_WORDS = 7.0  # log1p of ~1,100 words; see fitted_vector()


@dataclass(frozen=True)
class Signals:
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


def signals(text: str) -> Signals:
    """Measure one message; pattern scans read its head and tail, at most 6,000 chars."""
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
    return Signals(
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


def fitted_vector(s: Signals) -> tuple[float, ...]:
    """Features in FITTED_FEATURES order; NaN where a feature is undefined for this text
    (no answer options; no words; not English), which the scorer replaces by its mean."""
    # Clamped at ~1,100 words, the longest MMLU prompts: the fitted length curve is not
    # extrapolated to documents it never saw.
    log_words = min(math.log1p(s.words), _MAX_LOG_WORDS)
    nan = math.nan
    has_options = s.option_words > 0
    english = s.words > 0 and not non_english(s)
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


def non_english(s: Signals) -> bool:
    """Whether the message looks like anything but English (a prior signal and a reason)."""
    # Mostly non-Latin letters, or a longer text with almost none of the commonest English
    # words (English prose runs at roughly 40-60% of them; MMLU's lowest prompts ~20%).
    return s.non_latin_share >= 0.3 or (s.words >= 8 and s.common_share < 0.1)
