"""Names that mean one famous person when nothing private is said: "Kafka", "Tom Daley".

A question about a writer, a scientist, a ruler or a footballer names them by family
name alone or by a full name that is common in its parts ("why did Kafka write The
Trial", "is Messi better than Maradona", "Tom Daley's diving record"), and such a name
with no cue stayed a possible private person, so the prompts were flagged. No package
offers a list of who is famous offline (see the README), so ``famous_surnames.txt`` is
general knowledge written for this project by six helper sessions that read no prompt
of the project's sets: family names of writers, thinkers and characters; of science,
arts and music; of politics and history; of sport, film, music and business; full
names of real people; full names of characters; with spelling variants and Cyrillic and
Han forms.

A written list is a leak risk only through private namesakes, so two filters hold:
what a namesake could too easily share was dropped when the file was made (common
family names, common pairs of given and family name: ``bench/famous_list.py``, which
also counts the realistic set's private names on the list), and
``lone_names.LoneNames.famous_alone`` asks for the absence of private cues at every
occurrence (title, initial, speech verb, owned thing, errand, someone dealing with the
person, a Russian role word, a non-famous partner), after framing found no greeting,
relation, "write to" or pasted material.

Example::

    is_famous_surname("Kafka")          # True
    is_famous_surname("Достоевского")   # True: a case form of Достоевский
    is_famous_surname("Kowalski")       # False
"""

from __future__ import annotations

import functools
from pathlib import Path

from edge_router.privacy.foreign_cues import cyrillic_forms
from edge_router.privacy.namelists import fold

_FILE = Path(__file__).with_name("famous_surnames.txt")
_CYRILLIC = frozenset("абвгдеёжзийклмнопрстуфхцчшщъыьэюя")


@functools.cache
def famous_surnames() -> frozenset[str]:
    """The folded entries of ``famous_surnames.txt`` (comment lines start with #)."""
    lines = _FILE.read_text(encoding="utf-8").splitlines()
    return frozenset(fold(" ".join(n.split())) for n in lines if n.strip() and n[0] != "#")


def is_famous_surname(word: str) -> bool:
    """Is ``word`` (a possessive and Russian case endings allowed) on the list?"""
    low = word.strip().removesuffix("'s").removesuffix("’s").lower()
    names = famous_surnames()
    if fold(low) in names:
        return True
    if low[:1] not in _CYRILLIC:
        return False
    # Case forms back to the nominative: "Достоевского", "Чехова", "Толстому".
    forms = set(cyrillic_forms(low))
    forms |= {f[: -len(e)] + "ой" for f in forms for e in ("ий", "ь") if f.endswith(e)}
    return not {fold(f) for f in forms}.isdisjoint(names)
