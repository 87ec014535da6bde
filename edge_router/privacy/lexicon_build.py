"""Build the ordinary-word list of ``lexicon.py`` from two registry packages.

``simplemma`` (MIT) ships per-language dictionaries of word forms and their lemmas;
its wheel is unpacked into a temporary folder and read through its own public API
(``DefaultDictionaryFactory``), only here, at install time: the daemon reads the
hashes. ``names-dataset`` (MIT) gives each name's rank per country; a form that is, or
whose lemma or Russian nominative is, a common given or family name (``_ranked``), or
on the language's mimesis name lists, is left off, so it can still be a name. Called
from ``notables_build`` (which downloads the wheels and pins the sha256).
"""

from __future__ import annotations

import importlib.util
import json
import re
import sys
import tempfile
import zipfile
from pathlib import Path
from typing import Any

import numpy as np

from edge_router.privacy.foreign_cues import cyrillic_forms
from edge_router.privacy.namelists import fold, folded_words
from edge_router.privacy.notables import key

# The same languages' name lists in mimesis (the gazetteer's lists): names-dataset has
# no German ranks at all, and few Russian family names.
LOCALES: dict[str, tuple[str, ...]] = {
    "es": ("es", "es-mx"),
    "fr": ("fr",),
    "de": ("de", "de-at", "de-ch"),
    "ru": ("ru", "uk", "kk"),
}
# A name this common in any country may be meant as a name even when it is a word
# ("Rosa" 7th in Spain, "Moreno" 9th, "Emma" 10th in Britain, "Вера" 77th in Russia):
# such forms are left off, as is every name of the language's own mimesis lists.
TOP_NAME_RANK = 300
# Less common, a form must rank in two countries: names-dataset comes from social-network
# profiles, and a word ranks as a name in one country now and then ("Reformas" 1,946th
# first name in Spain, "Sanitaria" in Uruguay, "Cita" in the Philippines).
NAME_RANK = 2000
_LETTERS = re.compile(r"[^\W\d_]{2,}")

Ranks = dict[str, dict[str, int]]


def listed_names(lang: str) -> set[str]:
    """The folded first and family names of ``lang``'s mimesis locales."""
    spec = importlib.util.find_spec("mimesis")
    roots = list(spec.submodule_search_locations or []) if spec else []
    out: set[str] = set()
    for root in roots:
        for locale in LOCALES[lang]:
            path = Path(root, "datasets", locale, "person.json")
            if path.is_file():
                data = json.loads(path.read_text(encoding="utf-8"))
                for field in ("names", "surnames", "patronymic"):
                    out.update(folded_words(data.get(field), spell=False))
    return out


def _ranked(word: str, first: Ranks, last: Ranks) -> bool:
    """Among the ``TOP_NAME_RANK`` commonest names of a country, or the ``NAME_RANK``
    commonest of two countries or more."""
    ranks = [(c, r) for t in (first, last) for c, r in t.get(word, {}).items()]
    return any(r <= TOP_NAME_RANK for _, r in ranks) or (
        len({c for c, r in ranks if r <= NAME_RANK}) >= 2
    )


def words_of(dictionary: dict[str, str], lang: str, first: Ranks, last: Ranks) -> set[str]:
    """The folded forms of ``dictionary`` (form -> lemma) that are no common name."""
    listed = listed_names(lang)
    out: set[str] = set()
    for form, lemma in dictionary.items():
        word = fold(form)
        if not _LETTERS.fullmatch(word):
            continue
        variants = {word, fold(lemma)}
        if lang == "ru":
            variants |= cyrillic_forms(word)
        if not any(v in listed or _ranked(v, first, last) for v in variants):
            out.add(word)
    return out


def _dictionaries(simplemma_wheel: Path) -> dict[str, dict[str, str]]:
    """Each language's dictionary, read through simplemma's API from the unpacked wheel."""
    with tempfile.TemporaryDirectory(prefix="edge-router-simplemma-") as tmp:
        with zipfile.ZipFile(simplemma_wheel) as wheel:
            wheel.extractall(tmp)
        sys.path.insert(0, tmp)
        try:
            from simplemma.strategies.dictionaries import (  # type: ignore[import-not-found]
                DefaultDictionaryFactory,
            )

            factory: Any = DefaultDictionaryFactory()
            return {lang: dict(factory.get_dictionary(lang).items()) for lang in LOCALES}
        finally:
            sys.path.remove(tmp)
            for name in [m for m in sys.modules if m.split(".")[0] == "simplemma"]:
                del sys.modules[name]


def build_words(
    simplemma_wheel: Path, first: Ranks, last: Ranks, say: Any = print
) -> np.ndarray[Any, np.dtype[np.uint64]]:
    """The sorted keys ("<lang> <folded form>") of every language's ordinary words."""
    keys: set[int] = set()
    for lang, dictionary in _dictionaries(simplemma_wheel).items():
        words = words_of(dictionary, lang, first, last)
        say(f"{lang}: {len(dictionary):,} dictionary forms, {len(words):,} kept as words")
        keys.update(key([lang, w]) for w in words)
    return np.array(sorted(keys), dtype=np.uint64)
