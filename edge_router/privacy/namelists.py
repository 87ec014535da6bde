"""The name lists and English word list the name recognizers look words up in.

* First names and surnames: the per-locale person data shipped with the
  MIT-licensed ``mimesis`` package (read as JSON; its code is never imported),
  Cyrillic and Greek entries also in their Latin spellings (translit.py).
* Places (cities, regions, countries) from the same package's address data, so
  a place NER recognised is not taken for a person.
* English words: the WordNet lemma index and irregular forms bundled with the
  spaCy model's lemmatizer.

Example::

    lists = load_name_lists()
    "sokolov" in lists.last, fold("Vásquez") == "vasquez"
"""

from __future__ import annotations

import functools
import importlib.util
import json
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from spacy.language import Language
from spacy.strings import StringStore

from edge_router.privacy.translit import latin_variants


@dataclass(frozen=True)
class NameLists:
    """First names and surnames (any locale), lower-cased and folded by ``fold``."""

    first: frozenset[str]
    last: frozenset[str]
    # Cities, regions and countries (folded, multi-word ones with single spaces): a span
    # NER called a place is left alone when it is one of these ("Sierra Leone").
    places: frozenset[str] = frozenset()

    def __contains__(self, word: object) -> bool:
        return word in self.first or word in self.last


@functools.cache
def load_name_lists(package: str = "mimesis") -> NameLists | None:
    """First names and surnames from ``package``'s per-locale person data, or None.

    Only the data files are read (``<package>/datasets/*/person.json``), so the
    package's code and its import cost stay out of the router.
    """
    spec = importlib.util.find_spec(package)
    roots = list(spec.submodule_search_locations or []) if spec else []
    first: set[str] = set()
    last: set[str] = set()
    places: set[str] = set()
    for root in roots:
        for path in sorted(Path(root, "datasets").glob("*/address.json")):
            data = json.loads(path.read_text(encoding="utf-8"))
            keys = ("city", "state", "country", "continent")
            places.update(folded_words([data.get(k) for k in keys], spell=False))
        for path in sorted(Path(root, "datasets").glob("*/person.json")):
            data = json.loads(path.read_text(encoding="utf-8"))
            first.update(folded_words(data.get("names")))
            # Patronymics stand where a surname would: "Bekbolat Musliyevich".
            last.update(folded_words(data.get("surnames")), folded_words(data.get("patronymic")))
    if not first or not last:
        return None
    return NameLists(frozenset(first), frozenset(last), frozenset(places))


def fold(word: str) -> str:
    """Lower case without accents, so "Vasquez" finds "Vásquez" and "Miklos" "Miklós"."""
    if word.isascii():
        return word.lower()
    decomposed = unicodedata.normalize("NFKD", word.lower())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def folded_words(value: Any, *, spell: bool = True) -> Iterable[str]:
    """Every string in nested lists/dicts (lists per gender or per locale), folded.

    ``spell``: also the Latin spellings of Cyrillic and Greek names (translit.py).
    """
    if isinstance(value, str):
        word = value.strip()
        if word:
            yield fold(word)
            if spell and not word.isascii():
                yield from latin_variants(word)
    elif isinstance(value, dict):
        for item in value.values():
            yield from folded_words(item, spell=spell)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from folded_words(item, spell=spell)


def english_words(nlp: Language, *, british: bool = True) -> frozenset[str]:
    """Lower-case English words (WordNet lemmas) from the pipeline's lemmatizer tables,
    with their British spellings unless ``british`` is False.

    Empty when the model has no such table; the recognizer then stays off.
    """
    components = dict(nlp.components)
    lemmatizer = components.get("lemmatizer")
    lookups = getattr(lemmatizer, "lookups", None)
    if lookups is None or not lookups.has_table("lemma_index"):
        return frozenset()
    index = lookups.get_table("lemma_index")
    words = {word for pos in index.values() for word in pos}
    if lookups.has_table("lemma_exc"):
        # Irregular forms ("women", "children", "mice") that no suffix rule leads back.
        words.update(form for pos in lookups.get_table("lemma_exc").values() for form in pos)
    if british:
        words.update(british_spellings(words))
    return frozenset(words)


def english_verbs(nlp: Language) -> frozenset[str]:
    """The verbs among ``english_words`` (with British spellings): a capitalised one
    opening a prompt is an imperative ("Summarise", "Résume"), where a noun may be a
    famous family name WordNet lists ("Clausewitz", "Newton")."""
    lookups = getattr(dict(nlp.components).get("lemmatizer"), "lookups", None)
    if lookups is None or not lookups.has_table("lemma_index"):
        return frozenset()
    index = lookups.get_table("lemma_index")
    verbs = set(index.get("verb", index.get(StringStore().as_int("verb"), [])))
    return frozenset(verbs | british_spellings(verbs))


# American endings WordNet lists and their British forms ("summarize" -> "summarise",
# "color" -> "colour"). Without them a British verb opening a prompt ("Summarise this")
# is an unknown capitalised word, which NER is asked about and may call a person.
_BRITISH = (("ization", "isation"), ("izing", "ising"), ("ize", "ise"), ("yze", "yse"),
            ("ense", "ence"), ("log", "logue"), ("or", "our"))  # fmt: skip


def british_spellings(words: Iterable[str]) -> set[str]:
    """The British spellings of the American ones among ``words``."""
    out = set()
    for word in words:
        for american, british in _BRITISH:
            # "-or" only after a consonant in a word of five letters or more ("color",
            # "behavior"), so short words and "-oor" stay as they are.
            if word.endswith(american) and len(word) > len(american) + 2:
                if american == "or" and (len(word) < 5 or word[-3] in "aeiou"):
                    continue
                out.add(word[: -len(american)] + british)
                break
    return out
