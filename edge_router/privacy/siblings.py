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

from edge_router.privacy.foreign_cues import (
    ARABIC_STOP,
    CYRILLIC_STOP,
    HAN_COMMON_SURNAMES,
    HAN_EVERYDAY_WORDS,
    arabic_norm,
)
from edge_router.privacy.namelists import fold, load_name_lists
from edge_router.privacy.parts import Detection

# "/" too: rotas pair people ("mon Dev/Sam, tue Wanjiru/Sam").
_SPLIT = re.compile(r"[,;、，；/\n]")
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
    r"участник\w*|присутств\w*|имена|список[ \t]+гостей)\b)|"
    r"参会|出席|与会|名单|名字|أسماء|الحضور|المشاركين|اسم\u200c?ها|اسامی|شرکت\u200c?کنندگان|حاضران|مهمانان"
)
_HEADED_SCORE = 0.6


def _items(text: str) -> list[tuple[list[tuple[int, int]], str]]:
    """The lists of ``text``: each its (start, end) items, labels and notes cut, and the
    text that heads it (the line before a run of lines, the labels of a line's items)."""
    lists: list[tuple[list[tuple[int, int]], str]] = []
    run: list[tuple[int, int]] = []
    heading = previous = ""
    at = 0
    for line in text.split("\n"):
        pieces = []
        labels = ""
        pos = at
        for part in _SPLIT.split(line):
            label = _LABEL.match(part)
            labels += label.group(0) if label else ""
            start = pos + (label.end() if label else 0)
            end = pos + len(part)
            note = _NOTE.search(text, start, end)
            end = note.start() if note else end
            while end > start and text[end - 1] in " \t.":
                end -= 1
            if end > start:
                pieces.append((start, end))
            pos += len(part) + 1
        short = all(len(text[s:e].split()) <= _SHORT_LINE_WORDS for s, e in pieces)
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
    if all(_LATIN.fullmatch(w) for w in words):
        lists = load_name_lists()
        # An initial only beside another word ("J. Okafor"): alone it is "I" or a label.
        return all(
            (len(w.rstrip(".")) == 1 and len(words) > 1)
            or (lists is not None and fold(w) in lists)  # "Hugo" is a WordNet word too
            or (w.lower() not in english and w.lower() not in CYRILLIC_STOP and len(w) > 2)
            for w in words
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
        scores = [score for s, e in items for ps, pe, score in people if ps <= s and e <= pe + 1]
        if not scores and _PEOPLE_HEADING.search(heading):
            scores = [_HEADED_SCORE]
        if not scores:
            continue
        for s, e in items:
            if any(ts < e and s < te for ts, te in taken):
                continue
            if _name_shaped(text[s:e], english):
                out.append(("PERSON", s, e, max(scores)))
                taken.append((s, e))
    return out
