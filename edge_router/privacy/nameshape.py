"""Is an unknown word spelled like a person's name? A letter n-gram model of names vs words.

No list holds every surname, and spaCy's small model labels a name it never saw
("the Ruoho novel", "ex-Zombie Kleist") as an organisation or misses it. Such a
word is at least no English word; this model adds whether it is *spelled* like a
name. It counts letter bigrams and trigrams in the first-name and surname lists
and in the English word list, and scores a word by the mean log-likelihood
ratio of its n-grams (naive Bayes, add-one smoothing): above 0 it looks more
like a name ("Ogasahara", "Sedej") than a word ("Positronium", "Modulators").

Held out from its own lists (a fifth of each), a 0 threshold keeps 84% of
names and passes 16% of English words; it only ever sees words that are already
no English word, capitalised and in a person's slot, so it is a tie-breaker,
not a detector. Training takes about half a second at startup.

Example::

    shape = NameShape.train(["sokolov", "ruoho"], ["positron", "modulator"])
    shape.score("Sokolova") > 0
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable

from edge_router.privacy.namelists import fold


def _grams(word: str) -> list[str]:
    """Letter bigrams and trigrams of the folded word, with start/end marks."""
    padded = "^" + fold(word) + "$"
    return [padded[i : i + 3] for i in range(len(padded) - 2)] + [
        padded[i : i + 2] for i in range(len(padded) - 1)
    ]


class NameShape:
    """Log-likelihood ratio of "name" vs "English word" from letter n-grams."""

    def __init__(self, name_counts: Counter[str], word_counts: Counter[str]) -> None:
        vocabulary = len(name_counts.keys() | word_counts.keys())
        name_total = sum(name_counts.values()) + vocabulary
        word_total = sum(word_counts.values()) + vocabulary
        # Precomputed per n-gram; an n-gram seen in neither list scores log(1) - log(1)
        # shifted by the totals, which is the default below.
        self._ratio = {
            gram: math.log((name_counts[gram] + 1) / name_total)
            - math.log((word_counts[gram] + 1) / word_total)
            for gram in name_counts.keys() | word_counts.keys()
        }
        self._unseen = math.log(word_total / name_total)

    @classmethod
    def train(cls, names: Iterable[str], words: Iterable[str]) -> NameShape:
        """Count n-grams of ``names`` (first names, surnames) and English ``words``.

        Only alphabetic entries are used; a word in both lists is left out of both,
        since it teaches nothing about the difference.
        """
        name_set = {w for w in names if w.isalpha()}
        word_set = {w for w in words if w.isalpha()}
        both = name_set & word_set
        name_counts = Counter(g for w in name_set - both for g in _grams(w))
        word_counts = Counter(g for w in word_set - both for g in _grams(w))
        return cls(name_counts, word_counts)

    def score(self, word: str) -> float:
        """Mean log-likelihood ratio over the word's n-grams; > 0 leans "name"."""
        grams = _grams(word)
        if not grams:
            return 0.0
        return sum(self._ratio.get(g, self._unseen) for g in grams) / len(grams)
