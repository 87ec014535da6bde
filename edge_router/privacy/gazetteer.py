"""Names NER misses, found by looking them up in first-name and surname lists.

spaCy's small model misses or mislabels many names it did not see in training
("Why is Natasja so impulsive?", "Sofia Lima" as an ORG). A word that is written
like a name, is in a national list of first names or surnames and is not an
English word is a name candidate. It is reported with a modest score and goes
through the same context rules as any PERSON, so a name under public or task
framing stays a weak signal.

The lists are the per-locale person data shipped with the MIT-licensed
``mimesis`` package (read as JSON; its code is never imported). English words
come from the WordNet lemma index bundled with the spaCy model's lemmatizer.

Example::

    names = load_name_lists()
    rec = GazetteerNameRecognizer(names, english_words(nlp), stop_words)
"""

from __future__ import annotations

import importlib.util
import json
import logging
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from presidio_analyzer import EntityRecognizer, RecognizerResult
from presidio_analyzer.nlp_engine import NlpArtifacts
from spacy.language import Language
from spacy.tokens import Doc, Span, Token

from edge_router.privacy.names import is_lowercase_prose, not_a_name

logger = logging.getLogger(__name__)

# Lower-case particles inside a full name: "Teresa de Vaan", "Willemine ten Pas".
_PARTICLES = frozenset(
    {"de", "da", "di", "del", "della", "der", "den", "van", "von", "ten", "ter", "le", "la", "du"}
)
# Titles and ranks are listed as surnames ("King", "Lord") but before a name they are
# no part of it; left in, they would also hide a public-context cue ("King Manuel").
_TITLES = frozenset(
    {"king", "queen", "lord", "lady", "sir", "dame", "saint", "prince", "princess", "duke",
     "duchess", "count", "countess", "baron", "baroness", "emperor", "empress", "pope",
     "president", "general", "captain", "judge", "bishop", "cardinal", "sultan", "tsar"}
)  # fmt: skip
# NER labels for places: a listed word or pair inside one is a place ("Buenos Aires",
# "San Francisco"), however much it looks like a name.
_PLACE_LABELS = frozenset({"GPE", "LOC", "FAC"})
# Other things NER names; a single listed word inside one is more often part of a
# company or product than a person, so there only a first name + surname counts.
_THING_LABELS = frozenset({"ORG", "NORP", "PRODUCT", "EVENT", "WORK_OF_ART", "LANGUAGE", "LAW"})


@dataclass(frozen=True)
class NameLists:
    """First names and surnames (any locale), lower-cased and folded by ``fold``."""

    first: frozenset[str]
    last: frozenset[str]

    def __contains__(self, word: object) -> bool:
        return word in self.first or word in self.last


def load_name_lists(package: str = "mimesis") -> NameLists | None:
    """First names and surnames from ``package``'s per-locale person data, or None.

    Only the data files are read (``<package>/datasets/*/person.json``), so the
    package's code and its import cost stay out of the router.
    """
    spec = importlib.util.find_spec(package)
    roots = list(spec.submodule_search_locations or []) if spec else []
    first: set[str] = set()
    last: set[str] = set()
    for root in roots:
        for path in sorted(Path(root, "datasets").glob("*/person.json")):
            data = json.loads(path.read_text(encoding="utf-8"))
            first.update(_words(data.get("names")))
            last.update(_words(data.get("surnames")))
    if not first or not last:
        return None
    return NameLists(frozenset(first), frozenset(last))


def fold(word: str) -> str:
    """Lower case without accents, so "Vasquez" finds "Vásquez" and "Miklos" "Miklós"."""
    if word.isascii():
        return word.lower()
    decomposed = unicodedata.normalize("NFKD", word.lower())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def _words(value: Any) -> Iterable[str]:
    """Every string in nested lists/dicts (lists per gender or per locale), folded."""
    if isinstance(value, str):
        if value.strip():
            yield fold(value.strip())
    elif isinstance(value, dict):
        for item in value.values():
            yield from _words(item)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from _words(item)


def english_words(nlp: Language) -> frozenset[str]:
    """Lower-case English words (WordNet lemmas) from the pipeline's lemmatizer tables.

    Empty when the model has no such table; the recognizer then stays off.
    """
    components = dict(nlp.components)
    lemmatizer = components.get("lemmatizer")
    lookups = getattr(lemmatizer, "lookups", None)
    if lookups is None or not lookups.has_table("lemma_index"):
        return frozenset()
    index = lookups.get_table("lemma_index")
    return frozenset(word for pos in index.values() for word in pos)


class GazetteerNameRecognizer(EntityRecognizer):
    """PERSON spans for listed names NER did not mark as people.

    A hit is a word written like a name (Title case; any casing in text written
    without capitals), in the name lists, not an English word or stop word. Next
    to it, initials, particles and other listed or unknown capitalised words
    join the span ("Ravil G Yefimov"). A first name followed by a surname counts
    even when the words are also English ("Sofia Lima", "Madison Boyes").
    """

    def __init__(
        self,
        names: NameLists,
        english: frozenset[str],
        stop_words: frozenset[str],
        *,
        score: float,
        supported_language: str = "en",
    ) -> None:
        self._names = names
        self._english = english
        self._stop = stop_words
        self._score = score
        super().__init__(
            supported_entities=["PERSON"],
            name="GazetteerNameRecognizer",
            supported_language=supported_language,
        )

    def load(self) -> None:
        """Nothing to load: the lists are injected."""

    def analyze(
        self, text: str, entities: list[str], nlp_artifacts: NlpArtifacts | None = None
    ) -> list[RecognizerResult]:
        if (entities and "PERSON" not in entities) or nlp_artifacts is None:
            return []
        doc = nlp_artifacts.tokens
        if not isinstance(doc, Doc):
            return []
        meta = {
            RecognizerResult.RECOGNIZER_NAME_KEY: type(self).__name__,
            RecognizerResult.RECOGNIZER_IDENTIFIER_KEY: self.id,
        }
        return [
            RecognizerResult("PERSON", start, end, self._score, recognition_metadata=meta)
            for start, end in self.spans(doc, any_case=is_lowercase_prose(text))
        ]

    def spans(self, doc: Doc, *, any_case: bool) -> list[tuple[int, int]]:
        """Character spans of name candidates in ``doc`` that NER did not call PERSON."""
        kind = _entity_kinds(doc, any_case)
        out: list[tuple[int, int]] = []
        i = 0
        while i < len(doc):
            if not self._starts_name(doc[i], kind[i], any_case):
                i += 1
                continue
            j = self._run_end(doc, i, any_case)
            run = doc[i:j]
            if self._is_candidate(run, kind):
                span = (run.start_char, run.end_char)
                if not not_a_name(doc.text[span[0] : span[1]]):
                    out.append(span)
            i = j
        return out

    def _starts_name(self, token: Token, kind: int, any_case: bool) -> bool:
        low = token.lower_
        if kind == _PERSON or low in _TITLES or not self._name_shaped(token, any_case):
            return False
        if any_case:
            return self._listed(low)
        if self._is_english(low) and _sentence_initial(token):
            # Capitalised only because it opens the sentence: "Ask Radka", "Will you".
            return False
        return self._namish(low)

    def _name_shaped(self, token: Token, any_case: bool) -> bool:
        text = token.text
        if not text[:1].isalpha():
            return False
        if any_case:
            return text.isalpha() and (text.islower() or text.istitle())
        return text.istitle()

    def _run_end(self, doc: Doc, i: int, any_case: bool) -> int:
        """Extend a name run over the next name-shaped words, initials and particles."""
        j = i + 1
        while j < len(doc) and j - i < 4:
            tok = doc[j]
            low = tok.lower_
            if self._is_initial(tok) or (
                low in _PARTICLES and j + 1 < len(doc) and self._name_shaped(doc[j + 1], False)
            ):
                j += 1
                continue
            if low in _TITLES:
                break
            if not any_case and self._name_shaped(tok, False) and self._namish(low):
                j += 1
                continue
            if any_case and self._name_shaped(tok, True) and self._listed(low):
                j += 1
                continue
            break
        return j

    @staticmethod
    def _is_initial(token: Token) -> bool:
        """ "G" or "D." in "Ravil G Yefimov", "Faina D. Yefremova"."""
        text = token.text.rstrip(".")
        return len(text) == 1 and text.isupper() and text.isalpha()

    def _is_english(self, low: str) -> bool:
        """An English word or a regular inflection of one ("rockets", "studies", "walked")."""
        english = self._english
        if low in english:
            return True
        for suffix, repl in _INFLECTIONS:
            stem = len(low) - len(suffix)
            if stem > 2 and low.endswith(suffix) and low[:stem] + repl in english:
                return True
        return False

    def _listed(self, low: str) -> bool:
        """In the lists and not an English word or stop word: a name on its own."""
        if len(low) < 3 or low in self._stop or self._is_english(low):
            return False
        return fold(low) in self._names

    def _namish(self, low: str) -> bool:
        """Could continue a name: listed, or no English word at all ("Yefimov")."""
        return low not in self._stop and (not self._is_english(low) or fold(low) in self._names)

    def _is_candidate(self, run: Span, kind: list[int]) -> bool:
        words = [t for t in run if not self._is_initial(t) and t.lower_ not in _PARTICLES]
        kinds = {kind[t.i] for t in words}
        if not words or _PERSON in kinds:
            return False
        first, last = fold(words[0].text), fold(words[-1].text)
        # "Sofia Lima", "Logan Bykova": a first name then a surname, or then a word that
        # is no English word, is a name whatever else the first word means.
        if (
            len(words) > 1
            and not kinds & _PLACES
            and first in self._names.first
            and first not in self._stop
            and last not in self._stop
            and (last in self._names.last or not self._is_english(words[-1].lower_))
        ):
            return True
        if kinds & (_PLACES | _THINGS):
            # NER called it a place or thing. A lone word that is a listed first name and
            # no English word ("Is Vesna coming?") is still more likely a person.
            return (
                len(words) == 1
                and kind[words[0].i] in (_PLACE_ONE, _THING_ONE)
                and self._listed(words[0].lower_)
                and first in self._names.first
            )
        # Otherwise a listed word that is no English word; this holds at a sentence
        # start too, where every word is capitalised ("Csanád is very reliable").
        return any(self._listed(t.lower_) for t in words)


# What NER made of a token: part of a person, a place or a thing (or of a one-token one).
_PERSON, _PLACE, _THING, _PLACE_ONE, _THING_ONE = 1, 2, 3, 4, 5
_PLACES, _THINGS = frozenset({_PLACE, _PLACE_ONE}), frozenset({_THING, _THING_ONE})
# Tokens before a word that make it the first of a sentence, a line or a quote.
_OPENERS = frozenset({".", "!", "?", ":", ";", '"', "“", "'", "(", "-", "*", "#", ">", "…"})


def _entity_kinds(doc: Doc, any_case: bool) -> list[int]:
    """Per token: 0 outside entities, else the kind of entity NER put it in."""
    kind = [0] * len(doc)
    for ent in doc.ents:
        label = ent.label_
        if label in ("PERSON", "PER"):
            flag = _PERSON
        elif any_case:
            # Lower-case prose reaches NER re-cased, where every word looks like the
            # name of something; its places and organisations mean little.
            continue
        elif label in _PLACE_LABELS:
            flag = _PLACE_ONE if len(ent) == 1 else _PLACE
        elif label in _THING_LABELS:
            flag = _THING_ONE if len(ent) == 1 else _THING
        else:
            continue
        for i in range(ent.start, ent.end):
            kind[i] = flag
    return kind


def _sentence_initial(token: Token) -> bool:
    if token.i == 0:
        return True
    before = token.doc[token.i - 1]
    return before.text in _OPENERS or "\n" in before.whitespace_ or "\n" in before.text


# Regular English endings back to the lemma the WordNet index lists.
_INFLECTIONS = (
    ("ies", "y"),
    ("es", ""),
    ("s", ""),
    ("ed", ""),
    ("ed", "e"),
    ("ing", ""),
    ("ing", "e"),
    ("er", ""),
    ("est", ""),
)
