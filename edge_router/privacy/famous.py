"""Family names that mean one famous person when used alone: "Kafka", "Messi", "Достоевский".

A question about a writer, a scientist, a ruler or a footballer names them by family
name alone ("why did Kafka write The Trial", "is Messi better than Maradona", "explain
Bernoulli's principle"), and a one-word name with no cue stays a possible private
person, so such prompts were flagged. No package offers a list of who is famous
offline (see the README), so ``famous_surnames.txt`` is general knowledge written for
this project by four helper sessions, one per field, that read no prompt of the
project's sets: writers, thinkers and characters; scientists, artists and composers;
politicians and historical figures; sportspeople, film, music and business. Each
wrote the form used alone, spelling variants, and Cyrillic and Han forms.

A written list is a leak risk only through private namesakes, so two filters hold:
a name that ranks among the ``COMMON_RANK`` commonest given or family names of any
country in names-dataset (Holmes, Newton, Bach, Cervantes, Nadal) was dropped when the
file was made (``bench/famous_risk.py`` prints what the list holds against the private
names of the realistic set), and ``lone_names.LoneNames.famous_alone`` asks for the
same absence of private cues as the one-word-name rule: no title, initial, speech
verb, owned thing or errand at any occurrence, and framing asks only after every
private cue (greeting, relation, "write to", pasted material) said nothing.

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
