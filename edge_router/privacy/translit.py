"""Latin spellings of Cyrillic and Greek names, so the name lists know "Sokolov" and "Papadakis".

People write their names in Latin letters in English prompts, but the national
name lists for Russian, Ukrainian, Kazakh and Greek are in their own scripts.
One name has several common romanizations (Ефимов: Efimov, Yefimov; Дмитрий:
Dmitriy, Dmitry, Dmitri), and generic transliterators give only one, so this
module spells each name with a few small letter tables (passport-style and the
popular English forms) and returns all of them.

Example::

    sorted(latin_variants("Ефимов"))   # ['efimov', 'yefimov']
"""

from __future__ import annotations

from collections.abc import Mapping

# One Cyrillic letter (lower case) to its Latin options; the first is the passport form.
_CYRILLIC: Mapping[str, tuple[str, ...]] = {
    "а": ("a",), "б": ("b",), "в": ("v",), "г": ("g",), "д": ("d",), "е": ("e",),
    "ё": ("e", "yo"), "ж": ("zh",), "з": ("z",), "и": ("i",), "й": ("i", "y"), "к": ("k",),
    "л": ("l",), "м": ("m",), "н": ("n",), "о": ("o",), "п": ("p",), "р": ("r",),
    "с": ("s",), "т": ("t",), "у": ("u",), "ф": ("f",), "х": ("kh", "h"), "ц": ("ts",),
    "ч": ("ch",), "ш": ("sh",), "щ": ("shch", "sch"), "ъ": ("",), "ы": ("y",), "ь": ("", "i"),
    "э": ("e",), "ю": ("iu", "yu"), "я": ("ia", "ya"),
    # Ukrainian, Kazakh and Belarusian letters
    "є": ("ie", "ye"), "і": ("i",), "ї": ("i", "yi"), "ґ": ("g",), "ў": ("u",),
    "ә": ("a", "ae"), "ғ": ("g", "gh"), "қ": ("k", "q"), "ң": ("n", "ng"), "ө": ("o", "oe"),
    "ұ": ("u",), "ү": ("u", "ue"), "һ": ("h",),
}  # fmt: skip

_GREEK: Mapping[str, tuple[str, ...]] = {
    "α": ("a",), "ά": ("a",), "β": ("v",), "γ": ("g",), "δ": ("d",), "ε": ("e",), "έ": ("e",),
    "ζ": ("z",), "η": ("i",), "ή": ("i",), "θ": ("th",), "ι": ("i",), "ί": ("i",), "ϊ": ("i",),
    "ΐ": ("i",), "κ": ("k",), "λ": ("l",), "μ": ("m",), "ν": ("n",), "ξ": ("x", "ks"),
    "ο": ("o",), "ό": ("o",), "π": ("p",), "ρ": ("r",), "σ": ("s",), "ς": ("s",), "τ": ("t",),
    "υ": ("y", "i"), "ύ": ("y", "i"), "ϋ": ("y",), "ΰ": ("y",), "φ": ("f", "ph"), "χ": ("ch", "h"),
    "ψ": ("ps",), "ω": ("o",), "ώ": ("o",),
}  # fmt: skip

# Where a Cyrillic "е" sounds "ye": at the start and after a vowel or a soft/hard sign.
_YE_AFTER = frozenset("аеёиоуыэюяєіїъь")
# Common English endings: "-ий"/"-ый" (Dmitriy, Dmitry, Dmitri), "-ия" (Yuliya, Yulia).
_ENDINGS = (("iy", ("y", "i")), ("yy", ("y",)), ("iia", ("ia",)), ("iya", ("ia",)))
# Combinations are multiplied out; a name with many ambiguous letters keeps the first few.
_MAX_VARIANTS = 8


def latin_variants(name: str) -> frozenset[str]:
    """Lower-case Latin spellings of a Cyrillic or Greek ``name``; empty for other scripts."""
    low = name.lower()
    if any(c in _CYRILLIC for c in low):
        return _spell(low, _CYRILLIC, cyrillic=True)
    if any(c in _GREEK for c in low):
        return _spell(low, _GREEK, cyrillic=False)
    return frozenset()


def _spell(low: str, table: Mapping[str, tuple[str, ...]], *, cyrillic: bool) -> frozenset[str]:
    spellings = [""]
    for i, char in enumerate(low):
        options = table.get(char)
        if options is None:
            if not char.isalpha() and char not in "-' ":
                return frozenset()
            # A Latin letter or a separator inside the name is kept; another script is not ours.
            if char.isalpha() and not char.isascii():
                return frozenset()
            options = (char,)
        if cyrillic and char == "е" and (i == 0 or low[i - 1] in _YE_AFTER):
            options = ("e", "ye")
        spellings = [s + o for s in spellings for o in options][:_MAX_VARIANTS]
    out = set(spellings)
    for spelling in spellings:
        for ending, alternatives in _ENDINGS:
            if spelling.endswith(ending):
                out.update(spelling[: -len(ending)] + alt for alt in alternatives)
    return frozenset(s for s in out if s)
