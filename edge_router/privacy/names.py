"""Person names beyond what spaCy's NER sees: context cues, re-cased text, NER noise.

The small English model leans on capitals and on names it saw in training. These
helpers find names after cues in any casing ("my name is amer", "I'm JOHN SMITH"),
re-run NER on lower-case text with its words capitalised, and drop NER "names"
that are code or acronyms; ``namecheck.NameChecks`` confirms them with the loaded
pipeline.

Example::

    checks = NameChecks(nlp)  # namecheck.py
    recognizer = ContextNameRecognizer(checks.looks_like_name, frozenset(STOP_WORDS))
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

from presidio_analyzer import EntityRecognizer, RecognizerResult
from presidio_analyzer.nlp_engine import NlpArtifacts
from spacy.tokens import Doc, Span

from edge_router.privacy import name_cues as nc
from edge_router.privacy.namecheck import PERSON_LABELS, spans_in
from edge_router.privacy.namelists import NameLists, fold
from edge_router.privacy.nametext import IDENTIFIER, NAME_PARTICLES, verb_form
from edge_router.privacy.scripts import STOP_WORDS as FOREIGN_STOP_WORDS
from edge_router.privacy.scripts import latin_language

# is_name(window, start, end, ner_only): the spans of window[start:end] that read as a
# person's name (by NER, or unless ner_only by part-of-speech tags).
NameCheck = Callable[[str, int, int, bool], list[tuple[int, int]]]

# Context kept either side of a candidate when NER re-reads it re-cased: the model reads
# four tokens either side of a word, so 32 characters (6-8 tokens) decide as the whole
# text would (no span changed on 3,030 prompts at 24); shorter windows, faster scans.
_CONFIRM_CHARS = 32
# Cues after which capitalised words no dictionary has are a name though NER says not.
_UNKNOWN_WILL_DO = (nc.SUBJECT, nc.ASKED, nc.ASKED_ES, nc.ASKED_DE, nc.SELF_DECLARED, nc.FROM_TEAM,
                    nc.GREETED_INTRO)  # fmt: skip
# An English contraction is a verb, never a name, after any cue ("my landlord won't").
_CONTRACTION = re.compile(r"[^\W\d_]+(?:n['’]t|['’](?:ll|re|ve|d|m))", re.IGNORECASE)
# Cues after which a word written small counts only if no English word ("ask questions",
# "get food for his party", "Reporter: anonymous"); after ``SUBJECT`` every one must be.
_SMALL_NEEDS_UNKNOWN = (nc.TELL, nc.WISH, nc.FOR_WHOM, nc.OWNED, nc.OWNED_DE, nc.FOR_SOMEONE,
                        nc.GIFT_FOR, nc.NAME_LABEL, nc.FROM_TEAM)  # fmt: skip
# Common addressees after a greeting that a tagger may still call proper nouns.
_NOT_NAMES = frozenset({"world", "there", "everyone", "all", "team", "guys", "folks", "again"})


class ContextNameRecognizer(EntityRecognizer):
    """Person names found from context, in any casing.

    spaCy's small model finds "John Smith" but not "my name is amer", "I'm JOHN SMITH"
    or a lowercase signature. Strong cues ("my name is") are trusted; weak ones ("this
    is X.") and capitalised runs are confirmed by ``is_name`` (NER / part-of-speech
    tags) on a copy where only the candidate is re-cased, so "I'm tired." stays clean.

    Example::

        ContextNameRecognizer(is_name, stop_words).analyze("hi, this is maria from HR", ...)
    """

    def __init__(
        self,
        is_name: NameCheck,
        stop_words: frozenset[str],
        supported_language: str = "en",
        *,
        relationships: tuple[str, ...] = (),
        english: frozenset[str] = frozenset(),
        names: NameLists | None = None,
        given: Callable[[str], bool] | None = None,
    ) -> None:
        """``english``: lower-case English words; after a title, one word that is none of
        them is a name even when NER and the tagger do not say so ("Dear Ms. ODUYA").
        ``names`` (``namelists``): a listed first name that is also an English word
        ("dana", "mark") still starts a name written small when a word no dictionary has
        follows it ("dana kowalczyk"); after a writing verb, a name written small must
        have a listed word ("email jorge ramirez", not "dm instagram influencers")."""
        self._is_name = is_name
        self._stop = stop_words
        self._english = english
        self._names = names
        self._given = given  # a folded word on the install-built given-name list?
        self._cues: list[tuple[re.Pattern[str], float, bool]] = [
            (nc.STRONG, 0.8, False),
            (nc.SELF_DECLARED, 0.7, True),
            (nc.SIGNATURE, 0.7, False),
            (nc.SIGN_OFF_END, 0.6, True),
            (nc.NAME_LABEL, 0.6, True),
            (nc.RELATION_ELSEWHERE, 0.6, True),
            (nc.WEAK, 0.7, True),
            (nc.GREETED_INTRO, 0.7, True),
            (nc.GREETING, 0.6, True),
            (nc.NAMING, 0.7, True),
            (nc.TITLED, 0.6, True),
            (nc.TELL, 0.6, True),
            (nc.WISH, 0.6, True),
            (nc.FOR_WHOM, 0.6, True),
            (nc.WRITE_TO, 0.6, True),
            (nc.HAND_TO, 0.6, True),
            (nc.SUBJECT, 0.6, True),
            (nc.ASKED, 0.6, True),
            (nc.ASKED_ES, 0.6, True),
            (nc.ASKED_DE, 0.6, True),
            (nc.OWNED, 0.6, True),
            (nc.OWNED_DE, 0.6, True),
            (nc.FOR_SOMEONE, 0.6, True),
            (nc.GIFT_FOR, 0.6, True),
            (nc.KIN_OWNER, 0.6, True),
            (nc.FROM_TEAM, 0.6, True),
        ]
        relation = nc.relationship_regex(relationships)
        self._relation = relation
        if relation is not None:
            self._cues.append((relation, 0.7, True))
        apposition = nc.apposition_regex(relationships)
        if apposition is not None:
            self._cues.append((apposition, 0.7, True))
        super().__init__(
            supported_entities=["PERSON"],
            name="ContextNameRecognizer",
            supported_language=supported_language,
        )

    def load(self) -> None:
        """Nothing to load: the NER callable is injected."""

    def analyze(
        self, text: str, entities: list[str], nlp_artifacts: NlpArtifacts | None = None
    ) -> list[RecognizerResult]:
        if entities and "PERSON" not in entities:
            return []
        meta = {
            RecognizerResult.RECOGNIZER_NAME_KEY: type(self).__name__,
            RecognizerResult.RECOGNIZER_IDENTIFIER_KEY: self.id,
        }
        spans: dict[tuple[int, int], float] = {}
        stop: frozenset[str] | None = None
        doc = nlp_artifacts.tokens if nlp_artifacts is not None else None
        ents = doc.ents if isinstance(doc, Doc) and doc.text == text else None
        for regex, score, confirm in self._cues:
            for match in regex.finditer(text):
                if stop is None:  # a candidate ends at the text's own function words too
                    stop = self._stop | FOREIGN_STOP_WORDS.get(latin_language(text), frozenset())
                span = self._trim(text, match.start(1), match.end(1), stop)
                if span is None:
                    continue
                # After "tell"/"happy ..." an English word ("ask questions") counts only
                # as written with a capital ("Happy 40th Raj!!").
                word = text[span[0] : span[1]]
                if _CONTRACTION.fullmatch(word.split()[0]):
                    continue  # "my landlord won't", "my boss can't stand it"
                if regex in _SMALL_NEEDS_UNKNOWN and word.islower() and self._english_word(word):
                    continue
                if regex is nc.OWNED_DE and word.islower() and not self._listed(word):
                    continue  # "dienstags termin" is a day's
                if (regex is nc.STRONG or regex is nc.NAME_LABEL) and IDENTIFIER.fullmatch(word):
                    continue  # "name: billing-worker" in a manifest is a program's
                if (
                    regex is self._relation
                    and word.islower()
                    and (self._english_word(word.split()[0]) or verb_form(word, self._english))
                    and not self._given_name(word.split()[0])
                ):
                    continue  # "our fleet manager comparing", "my mother-in-law's house"
                if regex in (nc.SUBJECT, nc.ASKED, nc.ASKED_ES, nc.ASKED_DE) and (
                    word.endswith(("'s", "’s"))
                    or (word.islower() and not self._unknown_words(word))
                ):
                    continue  # "understand people's needs", "so it said that"
                writing = regex is nc.WRITE_TO or regex is nc.HAND_TO
                if writing and word.islower() and not self._listed_unknown(word):
                    continue
                if regex is nc.FOR_WHOM:
                    span = _for_whom(text, span, ents, self._unknown_words)
                    if span is None:
                        continue
                if writing:
                    # Written small, the words already passed the dictionary: the tagger
                    # may confirm. Capitalised, only NER's PERSON ("Email Marketing Hub").
                    strict = not text[span[0] : span[1]].islower()
                    found_spans = self._confirmed(text, *span, ner_only=strict, ents=ents)
                    if not found_spans and strict and self._listed_name(text, *span):
                        found_spans = [span]  # "Reply to Wen-Li:", which NER misses
                    elif (
                        not found_spans
                        and regex is nc.HAND_TO
                        and self._unknown_name(text, span, ents)
                    ):
                        found_spans = [span]  # "assigned to Dziedzic"
                elif regex is nc.TITLED and self._not_a_word(text, *span):
                    found_spans = [span]  # a title, then words no dictionary has
                elif confirm:
                    found_spans = self._confirmed(text, *span, ner_only=False, ents=ents)
                    if not found_spans and (
                        (regex in _UNKNOWN_WILL_DO and self._unknown_name(text, span, ents))
                        or (regex is nc.FROM_TEAM and word.islower() and self._listed(word))
                    ):
                        found_spans = [span]  # "Brunnhuber hat die ...", "gurpreet from hr"
                else:
                    found_spans = [span]
                for found in found_spans:
                    spans[found] = max(score, spans.get(found, 0.0))
        for match in nc.CAPS_RUN.finditer(text):
            # A run of capitals may hold more than a name ("CALL JOHN SMITH NOW"):
            # keep only what NER marks as a person once re-cased.
            for found in self._confirmed(text, match.start(), match.end(), ner_only=True):
                spans.setdefault(found, 0.6)
        return [
            RecognizerResult("PERSON", start, end, score, recognition_metadata=meta)
            for (start, end), score in spans.items()
        ]

    def _english_word(self, candidate: str) -> bool:
        low = candidate.lower()
        return low in self._english or (low.endswith("s") and low[:-1] in self._english)

    def _unknown_name(self, text: str, span: tuple[int, int], ents: Sequence[Span] | None) -> bool:
        """Capitalised words no dictionary has, which NER calls no firm, product or place:
        a name after a cue that says a person follows, though NER and the lists miss it."""
        return (
            not text[span[0] : span[1]].islower()
            and self._not_a_word(text, *span)
            and not _a_thing(ents, *span)
        )

    def _listed(self, word: str) -> bool:
        """A first name or surname of the built-in lists, or a given name of the
        install-built list ("Ngaire", "ngozi")."""
        key = fold(word)
        return (self._names is not None and key in self._names) or (
            self._given is not None and self._given(key)
        )

    def _given_name(self, word: str) -> bool:
        """A first name of the built-in lists ("grace", "rose"); surnames that are words
        ("House", "Bush") do not count, nor the install-built list, which holds some
        English words among its given names."""
        return self._names is not None and fold(word) in self._names.first

    def _listed_unknown(self, words: str) -> bool:
        """``_unknown_words``, with a word from the name lists among them."""
        names = self._names
        return (
            names is not None
            and self._unknown_words(words)
            and any(self._listed(w) for w in words.split())
        )

    def _listed_name(self, text: str, start: int, end: int) -> bool:
        """Capitalised words no dictionary has, one of them (or of their hyphenated
        parts) a listed first name or surname: "Wen-Li", not "GitHub" or "Marketing"."""
        names = self._names
        return (
            names is not None
            and self._not_a_word(text, start, end)
            and any(self._listed(p) for p in re.split(r"[\s-]+", text[start:end]) if p)
        )

    def _unknown_words(self, words: str) -> bool:
        """Every word three letters or more and in no dictionary: a name written small
        ("dana kowalczyk"), not "customers" or "the team"."""
        split = words.split()
        if not self._english or not split:
            return False

        def unknown(w: str) -> bool:
            return (
                len(w) >= 3
                and w.replace("-", "").isalpha()
                and w.lower() not in self._stop
                and not self._english_word(w)
            )

        first = self._names.first if self._names is not None else frozenset()
        if len(split) > 1 and fold(split[0]) in first:
            return all(unknown(w) for w in split[1:])
        return all(unknown(w) for w in split)

    def _not_a_word(self, text: str, start: int, end: int) -> bool:
        """One word, or up to three capitalised ones, none of them an English word."""
        words = text[start:end].split()
        if len(words) > 1 and not all(w[:1].isupper() for w in words):
            return False
        return bool(self._english) and all(
            len(word) >= 3
            and word.replace("-", "").isalpha()
            and word.lower() not in self._stop
            and word.lower() not in self._english
            for word in words
        )

    @staticmethod
    def _trim(text: str, start: int, end: int, stop: frozenset[str]) -> tuple[int, int] | None:
        """Keep the leading words that are not stop words ("amer and I" -> "amer"), after
        a capitalised first word only capitalised ones or particles ("Gary Holt keeps" ->
        "Gary Holt", "Jan de Vries" whole)."""
        kept_end, capitalised = start, text[start : start + 1].isupper()
        for word in re.finditer(r"\S+", text[start:end]):
            low = word.group(0).lower()
            if low.strip("'’") in stop or (
                capitalised and low[:1] == word.group(0)[:1] and low not in NAME_PARTICLES
            ):
                break
            kept_end = start + word.end()
        while kept_end > start and text[kept_end - 1] in "'’":
            kept_end -= 1  # a closing quote: "Besos, Pili'"
        return (start, kept_end) if kept_end > start else None

    def _confirmed(
        self,
        text: str,
        start: int,
        end: int,
        *,
        ner_only: bool,
        ents: Sequence[Span] | None = None,
    ) -> list[tuple[int, int]]:
        """The name spans inside text[start:end] once it is written like a name (Title case).

        ``ents``: NER's entities on ``text`` itself. A candidate already written in Title
        case would read the same in the window, so what NER made of it there decides
        without running the pipeline again, unless it found nothing at all.
        """
        candidate = text[start:end]
        if candidate.lower() in _NOT_NAMES:
            return []
        left = max(0, start - _CONFIRM_CHARS)
        right = min(len(text), end + _CONFIRM_CHARS)
        recased = candidate.title()
        if len(recased) != len(candidate):  # some Unicode changes length when re-cased
            recased = candidate
        if ents is not None and recased == candidate:
            known = spans_in(ents, start, end, ner_only)
            if known is not None:
                return known
        window = text[left:start] + recased + text[end:right]
        found = self._is_name(window, start - left, end - left, ner_only)
        return [(s + left, e + left) for s, e in found]


def _for_whom(
    text: str,
    span: tuple[int, int],
    ents: Sequence[Span] | None,
    unknown: Callable[[str], bool],
) -> tuple[int, int] | None:
    """The name part of a candidate after "a card for" or "From:": in text that uses
    capitals, its leading capitalised words ("HR asking" -> "HR"), or else its leading
    words no dictionary has (a name written small: "an email to dana kowalczyk", not
    "a letter to parents"); None where NER calls
    any of it an organisation or product ("Siemens support"): companies get mail too.
    A place label is kept: the small model calls many rare first names places."""
    start, end = span
    if text != text.lower():
        kept = start
        for word in re.finditer(r"\S+", text[start:end]):
            if not word.group(0)[:1].isupper():
                break
            kept = start + word.end()
        if kept == start and unknown(text[start:end]):
            kept = end  # the whole candidate ("dana kowalczyk": a listed first name first)
        elif kept == start:
            for word in re.finditer(r"\S+", text[start:end]):
                if not unknown(word.group(0)):
                    break
                kept = start + word.end()
        end = kept
    if end <= start:
        return None
    if ents is not None and any(
        e.start_char < end and e.end_char > start and e.label_ in ("ORG", "PRODUCT") for e in ents
    ):
        return None
    return start, end


def _a_thing(ents: Sequence[Span] | None, start: int, end: int) -> bool:
    """Does NER call anything in [start, end) a firm, product, place or work?"""
    return any(
        e.start_char < end and e.end_char > start and e.label_ not in PERSON_LABELS
        for e in ents or ()
    )
