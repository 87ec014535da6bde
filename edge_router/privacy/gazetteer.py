"""Names NER misses, found by looking them up in first-name and surname lists.

spaCy's small model misses or mislabels many names it did not see in training
("Why is Natasja so impulsive?", "Sofia Lima" as an ORG). A word that is written
like a name, is in a national list of first names or surnames and is not an
English word is a name candidate. It is reported with a modest score and goes
through the same context rules as any PERSON, so a name under public or task
framing stays a weak signal.

A word in no list that NER labelled as a thing or nothing counts too when it is
spelled like a name (nameshape.py), and so does a one-word name in a slot only
people fill ("Lucas, can you ...", '... says Yudina.'). The lists are in
namelists.py.

Example::

    names = load_name_lists()
    rec = GazetteerNameRecognizer(names, english_words(nlp), stop_words)
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from typing import TYPE_CHECKING

from presidio_analyzer import EntityRecognizer, RecognizerResult
from presidio_analyzer.nlp_engine import NlpArtifacts
from spacy.tokens import Doc, Span, Token

from edge_router.privacy.namelists import NameLists, fold
from edge_router.privacy.nametext import is_lowercase_prose, looks_like_code, not_a_name
from edge_router.privacy.ner_kinds import INFLECTIONS as _INFLECTIONS
from edge_router.privacy.ner_kinds import PERSON as _PERSON
from edge_router.privacy.ner_kinds import PLACES as _PLACES
from edge_router.privacy.ner_kinds import THINGS as _THINGS
from edge_router.privacy.ner_kinds import entity_kinds as _entity_kinds
from edge_router.privacy.ner_kinds import line_initial as _line_initial
from edge_router.privacy.ner_kinds import sentence_initial as _sentence_initial

if TYPE_CHECKING:
    from edge_router.privacy.nameshape import NameShape

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
        shape: NameShape | None = None,
        shape_threshold: float = 0.0,
        given: Callable[[str], bool] | None = None,
        supported_language: str = "en",
    ) -> None:
        """``shape``: if given, unlisted words spelled like names (see nameshape.py) count;
        ``given``: is a folded word on the install-built given-name list (lone_names.py)?"""
        self._names = names
        self._given = given
        self._shape = shape
        self._shape_threshold = shape_threshold
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
            # Text with no capital at all can only hold lower-case names, unless it is code.
            for start, end in self.spans(
                doc,
                any_case=is_lowercase_prose(text)
                or (text.lower() == text and not looks_like_code(text)),
            )
        ]

    def spans(self, doc: Doc, *, any_case: bool) -> list[tuple[int, int]]:
        """Character spans of name candidates in ``doc`` that NER did not call PERSON."""
        kind = _entity_kinds(doc, any_case)
        out: list[tuple[int, int]] = []
        i = 0
        while i < len(doc):
            if self._addressed(doc, i, kind[i], any_case):
                out.append((doc[i].idx, doc[i].idx + len(doc[i])))
                i += 1
                continue
            if self._full_name(doc, i, kind, any_case):
                out.append((doc[i].idx, doc[i + 1].idx + len(doc[i + 1])))
                i += 2
                continue
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

    def _addressed(self, doc: Doc, i: int, kind: int, any_case: bool) -> bool:
        """A one-word name in a slot only people fill: spoken to at the start of a sentence
        ("Lucas, can you ..."), quoted after a speech verb ('..." says Yudina.') or
        labelling a line of dialogue ("Troy: Who are you?").

        There a listed first name or surname counts even when it is also an English word,
        and so does a word that is no English word at all.
        """
        token = doc[i]
        low = token.lower_
        if kind == _PERSON or low in self._stop or len(low) < 3 or not token.text.isalpha():
            return False
        if not self._name_shaped(token, any_case):
            return False
        after = doc[i + 1].text if i + 1 < len(doc) else ""
        vocative = (
            _sentence_initial(token)
            and after == ","
            and i + 2 < len(doc)
            and doc[i + 2].lower_ in _ADDRESSING
        )
        quoted = i > 0 and doc[i - 1].lower_ in _SPEECH_VERBS and after in ("", ".", ",", "!", "?")
        speaker = after == ":" and _line_initial(token)
        if not (vocative or quoted or speaker):
            return False
        return fold(low) in self._names or not self._is_english(low)

    def _full_name(self, doc: Doc, i: int, kind: list[int], any_case: bool) -> bool:
        """A listed first name followed by a listed surname or a non-word spelled like a
        name: "add tammy gyarmathy", "david lange"; either word may be English on its
        own, together they read as a full name. Written small only in text without
        capitals; capitalised ("thanks to Raj Chaudhary who ...") anywhere NER saw no
        person, place or thing, and then a first name of the install-built list counts
        too when the surname is no English word."""
        if i + 1 >= len(doc) or _PERSON in (kind[i], kind[i + 1]):
            return False
        first, last = doc[i], doc[i + 1]
        if not (first.text.isalpha() and last.text.isalpha() and len(last.text) > 2):
            return False
        if first.lower_ in self._stop or last.lower_ in self._stop:
            return False
        titled = first.text.istitle() and last.text.istitle()
        if not (any_case or (titled and kind[i] == kind[i + 1] == 0)):
            return False
        if fold(first.lower_) not in self._names.first:
            # The install-built list is far longer (Declan, Rasmus) and holds English
            # words: only a non-word, before a capitalised non-word ("Moriarty"). (Re-cased
            # lower-case text capitalises every word: "use pearsonr" is no name.)
            return (
                titled
                and self._given is not None
                and self._given(fold(first.lower_))
                and not self._is_english(first.lower_)
                and not self._is_english(last.lower_)
                and not self._compound(last.lower_)
            )
        if fold(last.lower_) in self._names.last:
            return True
        return (
            self._shape is not None
            and not self._is_english(last.lower_)
            and self._shape.score(last.text) > self._shape_threshold
        )

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
        return text.istitle() or _PREFIXED_NAME.fullmatch(text) is not None

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
        if not kinds & _PLACES and self._first_then_surname(words):
            return True
        if kinds & _PLACES and all(fold(t.text) in self._names.places for t in words):
            # NER's place is made of known places ("Sofia Lima"): trust NER.
            return False
        if kinds & (_PLACES | _THINGS):
            return self._mislabelled(run, words)
        # Otherwise a listed word that is no English word; this holds at a sentence
        # start too, where every word is capitalised ("Csanád is very reliable").
        return (
            any(self._listed(t.lower_) for t in words)
            or self._unknown(words)
            or self._listed_and_unknown(words)
        )

    def _listed_and_unknown(self, words: list[Token]) -> bool:
        """Two or more words, each a listed name or spelled like one, not all English:
        "Shelly Mitchell" where only the surname is in the lists."""
        return (
            len(words) > 1
            and all(fold(t.lower_) in self._names or self._unknown([t]) for t in words)
            and not all(self._is_english(t.lower_) for t in words)
        )

    def _unknown(self, words: list[Token]) -> bool:
        """Capitalised words in no list and no dictionary, each spelled like a name
        ("Shovda is very reliable", "the Ruoho novel"); not a known place."""
        if self._shape is None or fold(" ".join(t.text for t in words)) in self._names.places:
            return False
        return all(
            len(t.text) >= 3
            and (
                (t.text.isalpha() and t.text.istitle())
                or _PREFIXED_NAME.fullmatch(t.text) is not None
            )
            and t.lower_ not in self._stop
            and not self._is_english(t.lower_)
            and not self._compound(t.lower_)
            and self._shape.score(t.text) > self._shape_threshold
            for t in words
        )

    def _compound(self, low: str) -> bool:
        """Two English words of four letters or more run together ("northvolt",
        "dropbox"): a coined brand name. Only asked of words in no name list, where
        surnames made that way ("Blackwood") sit; shorter parts would split names
        ("tam|sin")."""
        english = self._english
        return any(low[:i] in english and low[i:] in english for i in range(4, len(low) - 3))

    def _mislabelled(self, run: Span, words: list[Token]) -> bool:
        """NER called the run (part of) a place or a thing; is it still a person's name?

        Yes for a first name then a surname, or when every word is a listed name and
        no English word ("Is Vesna coming?", "the Sokolov novel", "ex-Zombie Kastner")
        or is spelled like one (``_unknown``), unless the run is a known place: the
        small model labels names it never saw as whatever the sentence suggests.
        """
        if fold(" ".join(t.text for t in words)) in self._names.places:
            return False
        after = run.doc[run.end] if run.end < len(run.doc) else None
        if after is not None and after.ent_iob_ == "I" and after.lower_ not in _NAME_TAILS:
            # The entity goes on after the words: "Radka Holdings" is a company, while
            # in "ex-Zombie Kastner" or "Usamov and Bowers" the name ends it.
            return False
        if self._first_then_surname(words) or self._given_then_surname(words):
            return True
        return (
            all(self._listed(t.lower_) for t in words)
            or self._unknown(words)
            or self._listed_and_unknown(words)
        )

    def _given_then_surname(self, words: list[Token]) -> bool:
        """ "Rustam Nazarov" as an ORG, "Tamsin Whitcombe" as a place: two capitalised
        words, the first a given name of the install-built list, neither an English word,
        the second no known place; names the built-in lists lack."""
        if len(words) != 2 or self._given is None:
            return False
        first, last = words
        return (
            first.text.istitle()
            and last.text.istitle()
            and self._given(fold(first.lower_))
            and not self._is_english(first.lower_)
            and not self._is_english(last.lower_)
            and fold(last.text) not in self._names.places
            and first.lower_ not in self._stop
        )

    def _first_then_surname(self, words: list[Token]) -> bool:
        """ "Sofia Lima", "Logan Bykova": a first name, then a surname or a word that is no
        English word, is a name whatever else the first word means."""
        first, last = fold(words[0].text), fold(words[-1].text)
        return (
            len(words) > 1
            and first in self._names.first
            and first not in self._stop
            and last not in self._stop
            and (last in self._names.last or not self._is_english(words[-1].lower_))
        )


# Surnames written with a capital inside: "McKenzie", "MacLeod", "DeRose", "O'Brien".
_PREFIXED_NAME = re.compile(r"(?:Mc|Mac|De|Di|Da|Du|La|Le|Van|Fitz|O['’])[A-Z][a-z]{2,}")
# Tokens that may follow a name inside an entity NER mislabelled: a possessive, a
# degree or suffix, another person.
_NAME_TAILS = frozenset({"'s", "’s", "'", "md", "phd", "jr", "jr.", "sr", "sr.", "and"})
# After "Name," at the start of a sentence: a request or question put to that person.
_ADDRESSING = frozenset(
    {"can", "could", "would", "will", "please", "do", "did", "are", "have", "i", "you", "we",
     "thanks", "thank", "let", "let's", "what", "when", "where", "how", "why", "is"}
)  # fmt: skip
# Reported speech names the speaker right after the verb: '"...," says Lugo.'
_SPEECH_VERBS = frozenset(
    {"says", "said", "asks", "asked", "replies", "replied", "explains", "explained", "adds",
     "added", "writes", "wrote", "notes", "noted", "recalls", "recalled", "told", "tells"}
)  # fmt: skip
