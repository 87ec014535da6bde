"""The other names of a list once one of them is found: attendees, rotas, seating plans.

A pasted list names people one after another with nothing around them ("Presentes: Iñaki
Etxeberria, Rosaura (secretaria)", "lundi : Solène, Mamadou", "参会：郑宇航、刘芳", one
name per line). NER and the name lists find some of them and miss the rest, so the
rest went to a cloud unredacted. When an item of a list is a found person, every other
item of the same list that is shaped like a name is taken as a person too:

* items are split on commas, semicolons, "、" and line breaks; a label before a colon
  ("Table B:", "lundi :"), a bullet or number and a bracketed note ("(chair)") are no
  part of an item;
* a list is one line of items, or a run of lines whose items are short (four words or
  fewer each);
* shaped like a name: one to three capitalised words (an initial allowed) none of which
  is a small word, an English word (unless a listed name) or a stop word (Latin and
  Cyrillic), two to four Han
  characters starting with a common family name and no everyday word, or one to three
  words of Arabic script that are no function words.

A list headed as one of people ("sort these names:", "Attendees:", "参会：", "أسماء
الحضور") needs no found item. The new spans are PERSON at the found item's score
(0.6 under a heading), and framing judges them like any
name (a list of authors or of players stays public where its cues say so).

Example::

    siblings("Attendees: Rhiannon Pugh, Ifeoma", [("PERSON", 11, 24, 0.85)], words)
    # [("PERSON", 26, 32, 0.85)]
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from spacy.lang.en.stop_words import STOP_WORDS as _EN_STOP

from edge_router.privacy.foreign_cues import (
    ARABIC_STOP,
    CYRILLIC_STOP,
    HAN_COMMON_SURNAMES,
    HAN_EVERYDAY_WORDS,
    arabic_norm,
)
from edge_router.privacy.namelists import fold, load_name_lists
from edge_router.privacy.parts import Detection
from edge_router.privacy.scripts import CALENDAR, STOP_WORDS

# "/" too: rotas pair people ("mon Dev/Sam, tue Wanjiru/Sam"); a spaced dash or colon
# ends a row's name ("Adaeze - brilliant reader", "Léa : bavarde"), a tab a cell.
_DASH = re.compile(r"[ \t]+[-–—:：][ \t]+|\t+")
# Spaced "+" and "&" pair people too ("FWD Jonah + Lucía").
# A bracket holding a list opens its items: "Fam. Kuczynski (Ida + Jan)".
_SPLIT = re.compile(
    rf"[,;、，；/]|[ \t]+[+&][ \t]+|{_DASH.pattern}|"
    r"[ \t]*[(（](?=[^)）\n]*(?:[,;/、，；]|[ \t][+&][ \t])[^)）\n]*[)）])"
)
_SPLIT_HAN = re.compile(rf"{_SPLIT.pattern}|[ \t\u3000]+")
# What opens a row before its name: a number or code ("3床", "U12s", "cand 2", "bed 4"),
# a short code in capitals before a capitalised word ("MID Isla", "GK Tom"), an
# abbreviation ("Fam.", "Hr."), a weekday ("mon Dev", "Wed Fatou Diallo").
_PREFIX = re.compile(
    r"[ \t]*(\w*\d\w*|[a-z]{2,6}\.?[ \t]*#?\d+\w*|[A-Z]{2,4}(?=[ \t]+[A-Z][a-z])|"
    r"[A-Z][a-z]{1,3}\.|(?i:mon|tues?|wed|thu(?:rs)?|fri|sat|sun)(?:day)?\.?)(?=[ \t])"
)
# Quotes and brackets round an item: a code list's ["Aoife", "Oisín"].
_EDGE = " \t\"'“”‘’«»[]{}()"
_LOWER = re.compile(r"[a-zà-öø-ÿ][a-zà-öø-ÿ'’-]{2,}")
_LABEL = re.compile(
    r"^[ \t]*(?:[-*•]|\d{1,2}[.)]|\[[^\]\n]{1,20}\])?[ \t]*(?:[^:：\n]{1,24}[:：])?[ \t]*"
)
_NOTE = re.compile(r"[ \t]*[(（][^)）\n]{0,30}[)）][ \t]*$")
_LATIN = re.compile(r"(?:[A-ZÀ-ÖØ-ÞА-ЯЁ][^\W\d_]+(?:[-'’][^\W\d_]+)?|[A-ZА-Я]\.?)")
_HAN = re.compile(r"[\u4e00-\u9fff]{2,4}")
_ARABIC = re.compile(r"[\u0621-\u064a\u0671-\u06d3\u06fa-\u06ff\u200c]+")
_SHORT_LINE_WORDS = 4
# A heading that says the list is of people: "sort these names", "Attendees:", "参会：".
# (Zero-width joiners are optional: the scanner reads text with them removed.)
_PEOPLE_HEADING = re.compile(
    r"(?i:\bnames\b(?![ \t]+of\b)|\b(?:attendees|participants|guests|invitees|members|"
    r"presentes|asistentes|participantes|invités|teilnehmer(?:innen)?|anwesend|gäste|"
    r"участник\w*|присутств\w*|имена|список[ \t]+гостей|"
    # rosters: a class list, a register, a team sheet, a seating plan
    r"class[ \t]+list|roster|register|team[ \t]+sheet|line-?up|seating[ \t]+plan|"
    r"klassenliste|aufstellung|liste[ \t]+de[ \t]+(?:classe|présence)|"
    r"lista[ \t]+de[ \t]+(?:clase|alumnos)|список[ \t]+(?:класса|учеников))\b)|"
    r"参会|出席|与会|名单|名字|花名册|座位表|أسماء|الحضور|المشاركين|قائمة[ \t]+(?:الطلاب|الصف)|"
    r"اسم\u200c?ها|اسامی|شرکت\u200c?کنندگان|حاضران|مهمانان|"
    r"(?:لیست|فهرست)[ \t]+(?:کلاس|دانش\u200c?آموزان)"
)
_HEADED_SCORE = 0.6
# One name joined to another ("jorge and mei-ling"): group 1 is the other name.
_JOIN = r"[ \t]+(?:and|&|y|e|et|und|и)[ \t]+"
_NAME_WORD = r"[^\W\d_][\w'’-]*"
_JOINED_AFTER = re.compile(rf"{_JOIN}({_NAME_WORD})(?![\w'’-])")
_JOINED_BEFORE = re.compile(rf"(?<![\w'’-])({_NAME_WORD}){_JOIN}$")


def _pieces(line: str, at: int) -> tuple[list[tuple[int, int, bool]], str]:
    """A line's items as (start, end, after_dash) with offsets from ``at``, and its labels.

    An item after a spaced dash or colon is the row's description ("Adaeze - brilliant
    reader", "BOUAZIZ Rayan : travail irrégulier"); a line with Han text is split at its
    spaces too ("8床 陈桂兰 拒绝进食")."""
    split = _SPLIT_HAN if _HAN.search(line) else _SPLIT
    bounds = [0]
    dashes = []
    for sep in split.finditer(line):
        bounds += [sep.start(), sep.end()]
        dashes.append(_DASH.fullmatch(sep.group()) is not None)
    bounds.append(len(line))
    pieces: list[tuple[int, int, bool]] = []
    labels = ""
    after_dash = False
    for i in range(0, len(bounds), 2):
        a, b = bounds[i], bounds[i + 1]
        label = _LABEL.match(line, a, b)
        if label is not None and label.end() > a:
            labels += label.group(0)
            a = label.end()
        a = _after_prefix(line, a, b)
        note = _NOTE.search(line, a, b)
        b = note.start() if note else b
        while b > a and line[b - 1] in _EDGE + ".":
            b -= 1
        while a < b and line[a] in _EDGE:
            a += 1
        if b > a:
            pieces.append((at + a, at + b, after_dash))
        if i // 2 < len(dashes):
            after_dash = after_dash or dashes[i // 2]
    return pieces, labels


def _after_prefix(line: str, a: int, b: int) -> int:
    """Where the row's name starts, after its codes (a listed name in capitals stays)."""
    lists = load_name_lists()
    while (prefix := _PREFIX.match(line, a, b)) is not None:
        code = prefix.group(1)
        if code[:1].isupper() and lists is not None and fold(code.lower()) in lists:
            break  # "ANA Lopez", "MIA Chen", "Sun Li"
        a = prefix.end()
    return a


def _items(text: str) -> list[tuple[list[tuple[int, int]], str]]:
    """The lists of ``text``: each its (start, end) items, labels and notes cut, and the
    text that heads it (the line before a run of lines, the labels of a line's items).

    A line joins a run of lines when its items before any description are short."""
    lists: list[tuple[list[tuple[int, int]], str]] = []
    run: list[tuple[int, int]] = []
    heading = previous = ""
    at = 0
    for line in text.split("\n"):
        found, labels = _pieces(line, at)
        heads = [(s, e) for s, e, desc in found if not desc]
        short = bool(heads) and all(len(text[s:e].split()) <= _SHORT_LINE_WORDS for s, e in heads)
        pieces = [(s, e) for s, e, desc in found if not desc or len(text[s:e].split()) <= 3]
        if pieces and short:
            if not run:
                heading = previous
            run += pieces
            heading += " " + labels
        else:
            if run:
                lists.append((run, heading))
            run = []
            if len(pieces) > 1:
                lists.append((pieces, labels))
        previous = line
        at += len(line) + 1
    if run:
        lists.append((run, heading))
    return lists


def _name_shaped(item: str, english: frozenset[str]) -> bool:
    words = item.split()
    if not 1 <= len(words) <= 3:
        return False
    lists = load_name_lists()
    if all(_LATIN.fullmatch(w) for w in words):
        # An initial only beside another word ("J. Okafor"): alone it is "I" or a label.
        return all(
            (len(w.rstrip(".")) == 1 and len(words) > 1)
            or (lists is not None and fold(w) in lists)  # "Hugo" is a WordNet word too
            or (w.lower() not in english and w.lower() not in CYRILLIC_STOP and len(w) > 2)
            for w in words
        )
    if all(_LOWER.fullmatch(w) for w in words):
        # Written small in a list ("finn o'rourke", "consuelo"): a listed name, no stop
        # word or weekday, and a word of the dictionary only if it is a listed given name
        # beside a word that is not ("finn o'rourke", not "mark twain").
        odd = any(w not in english for w in words)
        return (
            lists is not None
            and any(fold(part) in lists for w in words for part in w.split("-"))
            and not any(_stop_word(w) for w in words)
            and all(w not in english or (fold(w) in lists.first and odd) for w in words)
        )
    if len(words) == 1 and _HAN.fullmatch(item):
        return (item[0] in HAN_COMMON_SURNAMES or item[:2] in HAN_COMMON_SURNAMES) and item[
            :2
        ] not in HAN_EVERYDAY_WORDS
    return all(_ARABIC.fullmatch(w) and arabic_norm(w) not in ARABIC_STOP for w in words)


def siblings(text: str, found: Sequence[Detection], english: frozenset[str]) -> list[Detection]:
    """PERSON spans for the unfound name-shaped items of lists with a found person."""
    people = [(s, e, score) for kind, s, e, score in found if kind == "PERSON"]
    if not people and _PEOPLE_HEADING.search(text) is None:
        return []
    taken = [(s, e) for _, s, e, _ in found]
    out: list[Detection] = []
    for items, heading in _items(text):
        headed = _PEOPLE_HEADING.search(heading) is not None
        if not headed and not any(
            (ps <= s and e <= pe + 1) or (s <= ps and pe <= e)
            for s, e in items
            for ps, pe, _ in people
        ):
            continue  # no found person in or around an item: no item's name is asked for
        cores = {(s, e): _core(text, s, e, english) for s, e in items}
        scores = [
            score
            for (s, e), core in cores.items()
            for ps, pe, score in people
            if (ps <= s and e <= pe + 1) or (core is not None and core[0] <= ps and pe <= core[1])
        ]
        if not scores and headed:
            scores = [_HEADED_SCORE]
        if not scores:
            continue
        for core in cores.values():
            if core is None:
                continue
            s, e = core
            inside = [(ts, te) for ts, te in taken if ts < e and s < te]
            # A found part of a name-shaped item is the item's: "BOUAZIZ Rayan" where
            # only "Rayan" was found is one name, redacted whole.
            if inside and not (
                all(s <= ts and te <= e for ts, te in inside)
                and any(s <= ps and pe <= e and (ps, pe) != (s, e) for ps, pe, _ in people)
            ):
                continue
            out.append(("PERSON", s, e, max(scores)))
            taken.append((s, e))
    return out + _joined(text, people, taken, english)


def _core(text: str, s: int, e: int, english: frozenset[str]) -> tuple[int, int] | None:
    """The name in an item, or None: the item, or the item less up to two small words
    at either end that are dictionary or stop words ("Morag open", "ask Tomasz")."""
    if _name_shaped(text[s:e], english):
        return s, e
    words = [(s + m.start(), s + m.end()) for m in re.finditer(r"\S+", text[s:e])]

    def small(a: int, b: int) -> bool:
        word = text[a:b]
        return word.islower() and (word in english or _stop_word(word))

    i, j = 0, len(words)
    while i < min(2, j - 1) and small(*words[i]):
        i += 1
    while j - 1 > i and len(words) - j < 2 and small(*words[j - 1]):
        j -= 1
    if (i, j) == (0, len(words)):
        return None
    a, b = words[i][0], words[j - 1][1]
    # Names written small are taken only as whole items: "the new" is no name.
    return (a, b) if not text[a:b].islower() and _name_shaped(text[a:b], english) else None


def _joined(
    text: str,
    people: Sequence[tuple[int, int, float]],
    taken: list[tuple[int, int]],
    english: frozenset[str],
) -> list[Detection]:
    """A name written small joined to a found one written small by "and", "&", "y",
    "et", "und", "и": "as discussed with jorge and mei-ling". (Capitalised, NER finds
    both, or judged one public: "Bismarck und Wilhelm II".)"""
    out: list[Detection] = []
    for ps, pe, score in people:
        if not text[ps:pe].islower():
            continue
        after = _JOINED_AFTER.match(text, pe)
        before = _JOINED_BEFORE.search(text, max(0, ps - 40), ps)
        for m in (after, before):
            if m is None:
                continue
            s, e = m.span(1)
            if any(ts < e and s < te for ts, te in taken):
                continue
            if text[s:e].islower() and _name_shaped(text[s:e], english):
                out.append(("PERSON", s, e, score))
                taken.append((s, e))
    return out


def _stop_word(word: str) -> bool:
    return word in CALENDAR or word in _EN_STOP or any(word in stop for stop in STOP_WORDS.values())
