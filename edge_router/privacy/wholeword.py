"""Whole-word occurrences of a string, found without compiling a pattern for it.

What ``re.finditer(r"(?<!\\w)" + re.escape(word) + r"(?!\\w)", text)`` finds, by plain
substring search: the words looked for are names, mostly new to each request, and a
regex compiled per name cost more than the search itself (re's own cache is thrashed by
phonenumbers' patterns). ``left``/``right`` False drop an edge check (Chinese and
Japanese are written without spaces: a name there has no word edges).

Example::

    list(whole_words("Ann, Anna and Ann", "Ann"))   # [(0, 3), (14, 17)]
"""

from __future__ import annotations

from collections.abc import Iterator


def whole_words(
    text: str, word: str, *, left: bool = True, right: bool = True
) -> Iterator[tuple[int, int]]:
    """(start, end) of each non-overlapping occurrence of ``word`` with word edges."""
    if not word:
        return
    at = text.find(word)
    while at >= 0:
        end = at + len(word)
        if (not left or at == 0 or not _word_char(text[at - 1])) and (
            not right or end == len(text) or not _word_char(text[end])
        ):
            yield at, end
            at = text.find(word, end)
        else:
            at = text.find(word, at + 1)


def _word_char(c: str) -> bool:
    return c.isalnum() or c == "_"  # what ``\w`` matches in a str pattern
