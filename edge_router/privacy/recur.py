"""Every occurrence of a value once it is found: the rest of a person's mentions.

NER and the context-bound recognizers find a value where its context is telling and miss
it where it is not: "Attendees: Rhiannon Pugh (chair)" is found, "- Rhiannon to chase
the renewal" two lines down is not; "Permission to ljuba-k/dotfiles.git" is found,
"denied to ljuba-k." is not. Deciding that a prompt is sensitive needs one mention, but
redacting it needs all of them: a redacted body that still says "Rhiannon" leaks her.
So once a person's name or a username is found in a text, each other whole-word
occurrence of it (of each name part of three letters or more; a Chinese name whole and
its given name after a common family name; a place NER found, whole, since NER calls
some first names places) is found too, with the same type and score, and a person's
with the capitalised non-English word right after it (the family name NER missed
there: "Year 4 - Ezra Blumenfeld").

Parts that are also English words ("Rowan", "Will", "Bill") are taken only where they
stand capitalised inside a sentence, not at its start, where the capital says nothing.
Other types are found by their pattern wherever they occur, so they need no pass.

Example::

    recurrences("Rhiannon Pugh chairs.\\n- Rhiannon to chase", [("PERSON", 0, 13, 0.85)], words)
    # [("PERSON", 22, 30, 0.85)]
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence

from edge_router.privacy.foreign_cues import HAN_COMMON_SURNAMES, HAN_EVERYDAY_WORDS
from edge_router.privacy.parts import Detection
from edge_router.privacy.siblings import siblings

_PART = re.compile(r"[^\W\d_]{3,}(?:[-'’][^\W\d_]+)*")
_HAN = re.compile(r"[\u3400-\u9fff]{2,4}")
# A capitalised word right after a recurring name, on its line: its family name.
_FAMILY_AFTER = re.compile(r"[ \t]+([A-Z][^\W\d_]{2,}(?:-[A-Z][^\W\d_]+)?)(?![\w-])")
# What ends just before a sentence's or a list item's first word, where a capital tells
# nothing: a full stop or line break, then spaces and list markers ("- ", "2) ").
_OPENER = re.compile(r"(?:^|[.!?:;\n])[\s\-*•>#\d.)]*$")


def _wanted(text: str, found: Sequence[Detection]) -> dict[str, tuple[str, float]]:
    """The strings to look for again, each with the type and best score it was found at."""
    wanted: dict[str, tuple[str, float]] = {}
    for kind, start, end, score in found:
        value = text[start:end]
        if kind == "PERSON" and _HAN.fullmatch(value):
            # "陈雨桐" is also called "雨桐" ("雨桐妈妈"): the given name after a family name.
            given = value[1:] if len(value) == 3 and value[0] in HAN_COMMON_SURNAMES else ""
            parts = [value] + ([given] if given and given not in HAN_EVERYDAY_WORDS else [])
        elif kind == "PERSON":
            parts = _PART.findall(value)
        elif kind == "LOCATION":  # NER calls some first names places ("Siobhan")
            parts = [value] if len(value) >= 3 else []
        elif kind == "USERNAME":
            parts = [value.lstrip("@")] if len(value.lstrip("@")) >= 3 else []
        else:
            continue
        for part in parts:
            if wanted.get(part, ("", 0.0))[1] < score:
                wanted[part] = (kind, score)
    return wanted


def _occurrences(text: str, part: str, folded: str = "") -> Iterator[tuple[int, int]]:
    """Whole-word occurrences of ``part`` (anywhere, for Han names: no spaces there); in
    any case when ``folded`` is the lower-cased text (lower-casing keeps the offsets of
    the scripts names are found in; where it does not, only the exact case is searched).

    A plain substring search: a regex per name would be compiled for every new name,
    which cost more than the rest of this pass together."""
    han = _HAN.fullmatch(part) is not None
    if folded and len(folded) == len(text):
        text, part = folded, part.lower()
    at = text.find(part)
    while at >= 0:
        end = at + len(part)
        before = text[at - 1] if at else " "
        after = text[end : end + 2]
        if han or (
            not (before.isalnum() or before in "_@/.-")
            and not (after[:1].isalnum() or after[:1] in "_-")
            and not (after[:1] == "." and after[1:2].isalnum())
        ):
            yield at, end
        at = text.find(part, at + 1)


def recurrences(text: str, found: Sequence[Detection], english: frozenset[str]) -> list[Detection]:
    """Occurrences in ``text`` of found names' parts and usernames not already covered."""
    wanted = _wanted(text, found)
    if not wanted:
        return []
    taken = [(start, end) for _, start, end, _ in found]
    out: list[Detection] = []
    folded = text.lower()
    for part, (kind, score) in wanted.items():
        # A name part that is no English word is the same name in any case: a search
        # box's q="santos", a lower-case reply's "okafor", a header's "OKAFOR".
        anycase = kind == "PERSON" and len(part) >= 4 and not _HAN.fullmatch(part)
        anycase = anycase and part.lower() not in english
        for start, end in _occurrences(text, part, folded if anycase else ""):
            if any(s < end and start < e for s, e in taken):
                continue
            if (
                kind != "USERNAME"
                and part.lower() in english
                and _OPENER.search(text, max(0, start - 24), start) is not None
            ):
                continue
            family = _FAMILY_AFTER.match(text, end) if kind == "PERSON" else None
            if family is not None and family.group(1).lower() not in english:
                end = family.end()  # "Year 4 - Ezra Blumenfeld": the family name NER left
            taken.append((start, end))
            out.append((kind, start, end, score))
    return out


def complete(text: str, found: Sequence[Detection], english: frozenset[str]) -> list[Detection]:
    """What ``found`` misses: the other names of its lists (``siblings``), then every
    other occurrence of each found value."""
    more = siblings(text, found, english)
    return more + recurrences(text, [*found, *more], english)
