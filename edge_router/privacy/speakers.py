"""Names a pasted document's layout gives away: chat speakers and the name line of a CV.

Pasted material often names people where no sentence does, so NER, which reads
sentences, misses them:

* a chat log or meeting transcript puts each speaker before a colon at the start of a
  line ("[09:12] Bongani: who's bringing the tongs", "Lerato M: me"). With two speaker
  lines or more (two of them saying two words or more), a label shaped like a name (one
  or two capitalised words, an initial allowed) is a person; a label shaped like a
  handle ("bea.k") is ``handles.py``'s;
* a CV, a letterhead or a signature puts the name alone on a line next to the contact
  lines ("RUAIRIDH MBEKI-STONE" above an address, a phone number or an e-mail). A line
  of two or three capitalised or upper-case words within two lines of a line with an
  e-mail address or a phone number is a person.

Labels that are words ("Note:", "Answer:", "Summary:") and roles ("User:", "Agent:")
are left alone unless they are listed first names ("Rowan"), and every span still goes
through the refiner's checks like NER's.

Example::

    LayoutNameRecognizer(english, names).analyze("[09:12] Bongani: hi\\n[09:14] Pieter: yo", [])
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from spacy.lang.en.stop_words import STOP_WORDS

from edge_router.privacy.namelists import NameLists, fold
from edge_router.privacy.nametext import looks_like_code
from edge_router.privacy.numbers import RegexRecognizer

# A speaker line of a pasted chat log: "bea.k: anyone know if ...", "[10:02] j_smith: ok".
_SPEAKER = re.compile(
    r"^[ \t]*(?:\[[\d:apm ]{4,11}\][ \t]*|(?:\d{1,4}[/.-]\d{1,2}(?:[/.-]\d{2,4})?,?[ \t]+)?"
    r"\d{1,2}:\d{2}[ \t]+)?"
    r"([A-Za-zА-ЯЁа-яё][\w.' -]{0,30}?(?:, [A-Z][\w'-]{1,20})?):[ \t]+(?=\S)",
    re.MULTILINE,
)
_STAMP = re.compile(
    r"[ \t]*(?:\[[\d:apm ]{4,11}\]|(?:\d{1,4}[/.-]\d{1,2}(?:[/.-]\d{2,4})?,?[ \t]+)?"
    r"\d{1,2}:\d{2}[ \t])"
)
# "Lerato", "Lerato M", "Lerato Mokoena", or family name first: "Dunleavy, Saoirse".
_NAME_LABEL = re.compile(
    r"[A-Z][a-z'’-]{1,20}(?: [A-Z](?:[a-z'’-]{1,20}|\.?)|, [A-Z][a-z'’-]{1,20})?|"
    r"[А-ЯЁ][а-яё'’-]{1,20}(?: [А-ЯЁ][а-яё]*\.?)?"
)
# Roles and tools that label transcripts the way people do.
_NOT_SPEAKERS = frozenset(
    {"user", "assistant", "system", "bot", "human", "ai", "agent", "customer", "support",
     "me", "you", "host", "guest", "moderator", "interviewer", "admin", "chatgpt", "claude",
     "я", "ты", "вы", "мы", "бот", "оператор", "клиент", "пользователь", "ассистент"}
)  # fmt: skip
# Any Latin letters: "Merve Yıldırım-Hoffmann", "Zoë Ó Briain".
_UPPER = r"[A-ZÀ-ÖØ-ÞĀ-Ž]"
_NAME_LINE = re.compile(
    rf"^[ \t]*((?:{_UPPER}[^\W\d_'’-]*[^\W\d_][^\W\d_'’-]*(?:[-'’][^\W\d_]+)*|{_UPPER}\.)"
    rf"(?:[ \t]+(?:{_UPPER}[^\W\d_]*(?:[-'’][^\W\d_]+)*|{_UPPER}\.)){{1,2}})[ \t]*$",
    re.MULTILINE,
)
_CONTACT = re.compile(r"[\w.+-]+@[\w-]+\.\w|(?<!\w)\+?\d[\d ()./-]{6,}\d(?!\w)")


def speaker_lines(text: str) -> list[re.Match[str]]:
    """The speaker lines of ``text`` when it reads as a chat log (two or more), else none."""
    if text.count(":") < 2:
        return []
    lines = [m for m in _SPEAKER.finditer(text) if not looks_like_code(_rest_of_line(text, m))]
    # Two lines saying something (two words or more), so "key: value" lists are no chat;
    # one is enough under a timestamp ("[09:14] Lochlann: anyone know if ...").
    said = [m for m in lines if len(_rest_of_line(text, m).split()) >= 2]
    return lines if len(said) >= 2 or any(map(stamped, said)) else []


def stamped(match: re.Match[str]) -> bool:
    """Does this speaker line start with a chat timestamp?"""
    return _STAMP.match(match.group(0)) is not None


def _rest_of_line(text: str, match: re.Match[str]) -> str:
    end = text.find("\n", match.end())
    return text[match.end() : end if end >= 0 else len(text)]


class LayoutNameRecognizer(RegexRecognizer):
    """``PERSON`` spans from layout: chat speakers and a CV's or signature's name line."""

    ENTITY = "PERSON"

    def __init__(
        self, english: frozenset[str], names: NameLists | None, supported_language: str = "en"
    ) -> None:
        super().__init__(supported_language)
        self._english = english
        self._names = names

    def _find(self, text: str) -> Iterator[tuple[int, int, float]]:
        speakers = [
            m
            for m in speaker_lines(text)
            if _NAME_LABEL.fullmatch(m.group(1)) and self._name_like(m.group(1).split()[0])
        ]
        # A chat has two people in it or one who speaks twice; a form's one odd field
        # label ("Strengths: ...") is neither.
        if len(speakers) >= 2 or any(map(stamped, speakers)):
            for match in speakers:
                yield match.start(1), match.end(1), 0.6
        if _CONTACT.search(text) is None:
            return
        lines = text.split("\n")
        offsets = [0]
        for line in lines[:-1]:
            offsets.append(offsets[-1] + len(line) + 1)
        for i, line in enumerate(lines):
            m = _NAME_LINE.match(line)
            if m is None or not any(
                _CONTACT.search(lines[j]) for j in range(i - 2, i + 3) if 0 <= j < len(lines)
            ):
                continue
            words = [w for w in re.split(r"[ \t]+", m.group(1)) if len(w) > 2]
            # Letters beyond ASCII may be another language's words ("Persönliche
            # Daten"): then a word of the line must be a listed name ("Merve").
            foreign = not m.group(1).isascii() and not any(self._listed(w) for w in words)
            if words and not foreign and all(self._name_like(w) for w in words):
                yield offsets[i] + m.start(1), offsets[i] + m.end(1), 0.6

    def _name_like(self, word: str) -> bool:
        """No English word or role, unless a listed first name ("Rowan", "Grace")."""
        low = word.lower().strip("'’-")
        if low in _NOT_SPEAKERS or low in STOP_WORDS:  # "When: ... / Where: ..."
            return False
        listed = self._names is not None and fold(low) in self._names.first
        # A double-barrelled name may have a word in it ("Mbeki-Stone"), not only words.
        return listed or not all(self._word(part) for part in low.split("-"))

    def _listed(self, word: str) -> bool:
        return self._names is not None and fold(word.lower()) in self._names

    def _word(self, low: str) -> bool:
        return low in self._english or (low.endswith("s") and low[:-1] in self._english)
