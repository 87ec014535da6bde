"""Notable full names: Wikipedia titles whose first-and-family-name pair is rare.

The hand-written list in ``public_names`` covers only the very famous, so a prompt about
an Olympic champion, a regional politician or a philosopher ("Faith Kipyegon's 1500 m
record", "Simone Veil's law") was flagged as naming a private person. Knowing every
notable person is a data problem, and Wikipedia's titles are the field's list. But the
titles alone would be a leak: "Sarah Johnson", "Maria Garcia" and "Kofi Mensah" are
Wikipedia titles too, and a private person with such a name is far more likely than the
notable one. So a title counts only when its first and family name are never both among
the ~20,000 commonest names *of the same country* in a name-frequency data set: the
name is rare enough that a namesake is unlikely (on 1,050 synthetic private names and
the dev half's private names, none matched; see the README).

The list is built at install time (``notables_build``) from two
registry packages and stored as sorted 64-bit hashes of the folded names
(``models/notable-names.u64``, about 20 MB, memory-mapped), so no title is kept in
clear text and a lookup is a binary search. Framing uses it only where no private cue
came first (greeting, sign-off, mail header, "write to", a relationship or personal
fact), and never for one-word names.

Example::

    notables = load_notables("models/notable-names.u64")
    notables is not None and notables.has("Faith Kipyegon")   # True
"""

from __future__ import annotations

import functools
import hashlib
import itertools
import json
import logging
import math
import re
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from edge_router.privacy.namelists import fold
from edge_router.privacy.translit import latin_variants
from edge_router.wheels import sha256_file

log = logging.getLogger(__name__)

# The repository (or release) root: a relative setting is resolved against it.
ROOT = Path(__file__).resolve().parents[2]
# A name part as the builder splits titles: letters, inner hyphens and apostrophes.
NAME_PART = re.compile(r"[^\W\d_]+(?:[-'’][^\W\d_]+)*")
_POSSESSIVE = re.compile(r"['’]s?\s*$")


def key(parts: list[str]) -> int:
    """The 64-bit key of a name given as its parts (folded and joined here)."""
    text = " ".join(fold(p).replace("’", "'") for p in parts)
    return int.from_bytes(hashlib.blake2b(text.encode(), digest_size=8).digest(), "little")


class Notables:
    """Membership test over the sorted key array."""

    def __init__(self, keys: NDArray[np.uint64]) -> None:
        self._keys = keys

    def __len__(self) -> int:
        return int(self._keys.shape[0])

    def has(self, name: str) -> bool:
        """Is ``name`` (two or three parts, each of two letters or more) a notable's?"""
        # A possessive is no part of the name: "Faith Kipyegon's record".
        parts = NAME_PART.findall(_POSSESSIVE.sub("", name))
        if not 2 <= len(parts) <= 3 or any(len(p) < 2 for p in parts):
            return False
        return self.has_parts(parts)

    def has_parts(self, parts: list[str]) -> bool:
        """Is the key of exactly these parts in the list (any number of parts)?"""
        wanted = np.uint64(key(parts))
        at = int(np.searchsorted(self._keys, wanted))
        return at < len(self) and bool(self._keys[at] == wanted)

    def has_name(self, span: str) -> bool:
        """``has`` for a PERSON span; one written small may run on past the name, as NER
        does in lower-case text ("andy burnham actually"), so its first words count too."""
        if self.has(span):
            return True
        words = span.split()
        # Cyrillic or Greek: the titles are English, so each Latin spelling is tried
        # ("Лев Толстой" as "lev tolstoy"); a few dozen lookups at most.
        spelled = [sorted(latin_variants(_POSSESSIVE.sub("", w))) for w in words]
        if (
            2 <= len(spelled) <= 3
            and all(spelled)
            and math.prod(map(len, spelled)) <= 64
            and any(self.has(" ".join(parts)) for parts in itertools.product(*spelled))
        ):
            return True
        return span.islower() and any(
            self.has(" ".join(words[:k])) for k in (2, 3) if k < len(words)
        )


@functools.cache
def load_notables(path: str | None) -> Notables | None:
    """The list at ``path`` (relative to the repository root), or None when unset or absent.

    Absent means fewer names are called public, the fail-closed direction, so the
    daemon still runs; it says so once in the log. A file that differs from the sha256
    pinned in the ``manifest.json`` beside it is refused the same way (about 30 ms to
    check at start).
    """
    if not path:
        return None
    file = Path(path) if Path(path).is_absolute() else ROOT / path
    if not file.is_file():
        log.warning(
            "list %s is missing: run install.sh to build it; until then the names or "
            "words it would rule out count as possibly private",
            file,
        )
        return None
    pinned = _pinned_sha256(file)
    if pinned is not None and sha256_file(file) != pinned:
        # A changed list could make private names public: refuse it (fail closed).
        log.error(
            "list %s differs from the build pinned in manifest.json; not "
            "used (run install.sh to rebuild it)",
            file,
        )
        return None
    keys = np.memmap(file, dtype="<u8", mode="r")
    return Notables(keys)


def _pinned_sha256(file: Path) -> str | None:
    """The sha256 ``manifest.json`` beside ``file`` pins for it (None: not pinned there,
    an operator's own list)."""
    try:
        manifest = json.loads((file.parent / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    for entry in manifest.get("data", []):
        if isinstance(entry, dict) and entry.get("file") == file.name:
            return str(entry.get("sha256", "")) or None
    return None
