"""Person names in Cyrillic text, by rules (``foreign.ScriptNameRecognizer`` calls these).

Capitalised words that are listed first or family names (after undoing case endings:
"Насте", "Василия"), patronymics ("Петровна"), family names next to them or after any
capitalised word ("Лёха Семёнов"), any capitalised word after a greeting, a "tell/pass
to" verb or a relation ("Привет Дима", "передай Насте"), a name addressed at a
message's start before a greeting ("Дима, привет!"), or alone as a signature at the
end. Kept apart from ``foreign.py`` (Han and Arabic script) so each stays short.

Example::

    names = CyrillicNames(first, last)
    list(names.find("передай Насте, что я позвоню"))  # [(8, 13, 0.7)]
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from edge_router.privacy.foreign_cues import (
    CYRILLIC_BEFORE,
    CYRILLIC_FIRM_END,
    CYRILLIC_NOT_PEOPLE,
    CYRILLIC_ROLE_BEFORE,
    CYRILLIC_STOP,
    CYRILLIC_VERB_AFTER,
    RU_SHORT_NAMES,
    cyrillic_forms,
)
from edge_router.privacy.namelists import fold

CYRILLIC_WORD = re.compile(r"[А-ЯЁа-яёІіЇїЄєҐґ]+(?:-[А-ЯЁа-яёІіЇїЄєҐґ]+)?")
_PATRONYMIC = re.compile(r"[А-ЯЁ][а-яё]{2,}(?:ович|евич|овн|евн|ичн)[а-я]{0,3}")
# "tell/pass on/call/remind" right before a word: whom (dative) it is said to.
_TELL_TO = re.compile(r"(?:скажи|передай|позвони|напомни)(?:те)?[ \t]+$", re.IGNORECASE)
CYR_SURNAME = re.compile(
    r"[А-ЯЁ][а-яё]{2,}(?:ов|ев|ёв|ин|ын|ск|цк|енко|ук|юк|чук|швили|дзе|ян)(?:а|у|ым|ой|ы|е|"
    r"ого|ому|ей|ий|ая|ую|их|им)?"
)
_ADJECTIVE_ENDS = ("ой", "ый", "ая", "ое", "ые", "ых", "ого", "ому", "ую", "ом")
# A name addressed at a message's start, before a greeting: "Дима, привет!".
_GREETING_AFTER = re.compile(
    r",[ \t]*(?:привет|здравствуй(?:те)?|добрый|доброе|доброй|хай|салют)\b", re.IGNORECASE
)
# One or two initials right after or before a capitalised word: "Н.П.", "А. В.", "Е.".
_INITIALS_AFTER = re.compile(r"[ \t]+[А-ЯЁ]\.(?:[ \t]?[А-ЯЁ]\.)?")
_INITIALS_BEFORE = re.compile(r"(?<![\w.])[А-ЯЁ]\.(?:[ \t]?[А-ЯЁ]\.)?[ \t]+$")
_SHORT = frozenset(fold(w) for w in RU_SHORT_NAMES)
SCORE_CUED = 0.7
SCORE_LISTED = 0.6


class CyrillicNames:
    """The Cyrillic name rules, bound to the listed names in Cyrillic letters."""

    def __init__(self, first: frozenset[str], last: frozenset[str]) -> None:
        self._first = frozenset(w for w in first if CYRILLIC_WORD.fullmatch(w)) | {
            fold(w) for w in RU_SHORT_NAMES
        }
        self._last = frozenset(w for w in last if CYRILLIC_WORD.fullmatch(w))

    def find(self, text: str) -> Iterator[tuple[int, int, float]]:
        words = list(CYRILLIC_WORD.finditer(text))
        if not words:
            return
        kinds = [self._kind(text, words, k) for k in range(len(words))]
        k = 0
        while k < len(words):
            if not kinds[k]:
                k += 1
                continue
            end = k
            while (
                end + 1 < len(words)
                and adjacent(text, words[end], words[end + 1])
                and (kinds[end + 1] or self._family(words[end + 1].group(0)))
            ):
                end += 1
            score = SCORE_CUED if "cue" in kinds[k : end + 1] else SCORE_LISTED
            # A family name first, as forms and CVs write it: "Петренко Олег Васильевич".
            first = k - 1 if k and adjacent(text, words[k - 1], words[k]) else k
            first = first if self._morph(words[first].group(0)) else k
            start, stop = words[first].start(), words[end].end()
            # Initials as documents write them go with the name: "Морозов А.В.", "А.В. Морозов".
            after = _INITIALS_AFTER.match(text, stop)
            before = _INITIALS_BEFORE.search(text, max(0, start - 8), start)
            yield (before.start() if before else start), (after.end() if after else stop), score
            k = end + 1

    def _kind(self, text: str, words: list[re.Match[str]], k: int) -> str:
        """ "cue", "listed" or "" for the k-th Cyrillic word."""
        word = words[k].group(0)
        low = word.lower()
        if low in CYRILLIC_STOP or len(word) < 3:
            return ""
        before = text[max(0, words[k].start() - 40) : words[k].start()]
        cued = bool(CYRILLIC_BEFORE.search(before))
        title = _capitalised(word)
        listed = self._listed(low)
        # Written small, a cued word counts when listed or shaped like a familiar name
        # ("мой сосед гоша", "привет дима"), not like an adverb ("мой сосед сверху").
        if cued and (title or listed or (word.islower() and low.endswith(("а", "я")))):
            return "cue"
        if word.islower() and low.endswith("е") and _TELL_TO.search(before):
            return "cue"  # the one told, written small: "скажи вике", "передай маше"
        if not title:
            # Written small, a short form people use for friends before a verb only
            # people do: "димон придет сегодня?", "колян опять опоздал".
            short = word.islower() and fold(low) in _SHORT
            return "cue" if short and CYRILLIC_VERB_AFTER.match(text, words[k].end()) else ""
        if (
            _opens(text, words[k].start())
            and _GREETING_AFTER.match(text, words[k].end())
            and low not in CYRILLIC_NOT_PEOPLE
        ):
            return "cue"  # "Дима, привет!": addressed at a message's start
        if listed or _PATRONYMIC.fullmatch(word):
            return "listed"
        if low not in CYRILLIC_NOT_PEOPLE and (
            _INITIALS_AFTER.match(text, words[k].end()) or _INITIALS_BEFORE.search(before)
        ):
            return "cue"  # "Лисицына Н.П. (кв. 30)": a name with its initials
        if CYRILLIC_ROLE_BEFORE.search(before) or (
            low not in CYRILLIC_NOT_PEOPLE
            and not low.endswith(CYRILLIC_FIRM_END)
            and CYRILLIC_VERB_AFTER.match(text, words[k].end())
        ):
            return "cue"
        if _signature(text, words[k]) or (  # "будет вести Лёха Семёнов": a family name next
            k + 1 < len(words)
            and adjacent(text, words[k], words[k + 1])
            and CYR_SURNAME.fullmatch(words[k + 1].group(0))
            and low not in CYRILLIC_NOT_PEOPLE
            and not low.endswith(_ADJECTIVE_ENDS)  # "Красной Поляне": a place
        ):
            return "cue"
        return ""

    def _listed(self, low: str) -> bool:
        folded = {fold(f) for f in cyrillic_forms(low)}
        return any(f in self._first or f in self._last for f in folded)

    def _family(self, word: str) -> bool:
        """After a name, a family name: shaped like one, or any capitalised word that is
        no common word ("Егор Шмидт"), since only names are capitalised mid-sentence."""
        return self._morph(word) or (
            _capitalised(word)
            and word.lower() not in CYRILLIC_STOP
            and word.lower() not in CYRILLIC_NOT_PEOPLE
        )

    def _morph(self, word: str) -> bool:
        return bool(_PATRONYMIC.fullmatch(word) or CYR_SURNAME.fullmatch(word))


def _capitalised(word: str) -> bool:
    """A capital, then small letters (hyphens allowed): "Шмидт", "Римский-Корсаков"."""
    return word[:1].isupper() and word[1:].replace("-", "").islower()


def adjacent(text: str, a: re.Match[str], b: re.Match[str]) -> bool:
    """Only spaces between two words."""
    return not text[a.end() : b.start()].strip()


def _signature(text: str, word: re.Match[str]) -> bool:
    """A capitalised word alone at the very end, after a sentence: "... у меня. Лёша"."""
    if text[word.end() :].strip(" \t\n.!)"):
        return False
    before = text[: word.start()].rstrip(" \t")
    return before.endswith((".", "!", "\n", ",")) and len(before) > 0


def _opens(text: str, start: int) -> bool:
    """Does the word at ``start`` open the text, a line or a quoted message?"""
    before = text[:start].rstrip(" \t")
    return not before or before[-1] in ":\n\"«'“"
