"""Ordinary words of Spanish, French, German and Russian, which are no names.

The English NER model reads a capitalised word of another language as a name (a form's
"Fecha (A), Clienta (B)", "Motivo: revisión", "Повестка дня:"), and the name lists
hold many words too ("Mis", "Año", "Netto"). English text has WordNet to tell the two
apart; these languages had nothing. The list holds every form in simplemma's
dictionaries of the four languages (Wiktionary data), minus each form that is, or whose
lemma or Russian nominative is, among the 300 commonest given or family names of any
country or the 2,000 commonest of two (names-dataset), or on the language's own name
lists (mimesis): "Rosa",
"Pilar", "Moreno", "Fuchs", "Emma", "Вера" and "Маши" (of Маша) stay possible names,
and so does a capitalised Russian word of a family name's shape ("Белинский"). Built
at install time (``lexicon_build``) and stored as hashes like the notable-name list.

A span found as a person is no person when each of its words is on the list for the
text's language and no title, nor a greeting before a capital, stands before it ("Sr.
Herrero", "Hola Blanca" stay). The dictionaries list some proper nouns too ("Kafka"),
so a rare family name that is also a Wiktionary entry can be taken for a word:
measured in the README ("Ordinary words").

Example::

    words = load_lexicon("models/foreign-words.u64")
    words is not None and words.ordinary("Fecha (A)", 0, 5, "es")   # True
"""

from __future__ import annotations

import re

from edge_router.privacy.cues import GREETING_BEFORE
from edge_router.privacy.cyrillic_names import CYR_SURNAME
from edge_router.privacy.nametext import TITLE_WORDS
from edge_router.privacy.notables import Notables, load_notables

# The profile's language (``scripts.Profile.lang``) -> the dictionary's.
LANGUAGES = {"es": "es", "fr": "fr", "de": "de", "cyrillic": "ru"}
_WORD = re.compile(r"[^\W\d_]+")
_TITLE_BEFORE = re.compile(r"\b(?:" + TITLE_WORDS + r")\.?[ \t]+$", re.IGNORECASE)


class Lexicon:
    """``ordinary``: is a span made of the text language's ordinary words only?"""

    def __init__(self, keys: Notables) -> None:
        self._keys = keys

    def is_word(self, word: str, lang: str) -> bool:
        """Is ``word`` on the list for ``lang`` (a dictionary code: "es", "ru")?"""
        return self._keys.has_parts([lang, word])

    def ordinary(self, text: str, start: int, end: int, lang: str) -> bool:
        """Is ``text[start:end]`` words of the text's language (``lang`` as the script
        profile gives it), with no title before it, nor a greeting before a capital?"""
        code = LANGUAGES.get(lang)
        words = _WORD.findall(text[start:end])
        if code is None or not words:
            return False
        before = text[max(0, start - 30) : start]
        # A capitalised word after a greeting is addressed ("Hola Blanca"); one written
        # small there is what a message goes on to say ("добрый вечер, коляска ещё...").
        greeted = text[start].isupper() and GREETING_BEFORE.search(before) is not None
        if greeted or _TITLE_BEFORE.search(before):
            return False
        # Russian family names are mostly adjectives and possessives of words
        # ("Белинский", "Абрикосов"): one with a capital keeps its surname shape.
        if code == "ru" and any(CYR_SURNAME.fullmatch(w) for w in words):
            return False
        return all(self.is_word(w, code) for w in words)


def load_lexicon(path: str | None) -> Lexicon | None:
    """The list at ``path``, or None when unset, missing or not the pinned build (then
    no word is dropped: more spans stay possible names)."""
    keys = load_notables(path)
    return Lexicon(keys) if keys is not None else None
