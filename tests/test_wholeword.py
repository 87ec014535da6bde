"""``wholeword.whole_words`` finds exactly what the per-name regex it replaced found."""

from __future__ import annotations

import re

from hypothesis import given
from hypothesis import strategies as st

from edge_router.privacy.wholeword import whole_words

# Letters, digits, the underscore, spaces, punctuation and a few non-Latin characters:
# every kind of word edge, in short strings so that occurrences are frequent.
_ALPHABET = st.sampled_from(list("aAb1_ -.'’éЖ李\n"))


@given(st.text(_ALPHABET, max_size=40), st.text(_ALPHABET, min_size=1, max_size=4))
def test_same_as_the_regex(text: str, word: str) -> None:
    pattern = re.compile(r"(?<!\w)" + re.escape(word) + r"(?!\w)")
    assert list(whole_words(text, word)) == [m.span() for m in pattern.finditer(text)]


@given(st.text(_ALPHABET, max_size=40), st.text(_ALPHABET, min_size=1, max_size=4))
def test_without_edges_same_as_a_plain_search(text: str, word: str) -> None:
    pattern = re.compile(re.escape(word))
    spans = list(whole_words(text, word, left=False, right=False))
    assert spans == [m.span() for m in pattern.finditer(text)]


def test_examples() -> None:
    assert list(whole_words("Ann, Anna and Ann", "Ann")) == [(0, 3), (14, 17)]
    assert list(whole_words("李明和李明华", "李明", left=False, right=False)) == [(0, 2), (3, 5)]
    assert list(whole_words("anything", "")) == []
