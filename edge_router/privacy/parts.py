"""Values split across the text parts of one message: "jane.doe@exa" + "mple.com".

Each part is scanned on its own; a value cut in two is then missed, or only half of
it redacted. Consecutive text parts of one message (``messages[3].content[0].text``,
``messages[3].content[1].text``; ``system[0].text``, ``system[1].text``) are also read
joined, a window around each boundary, and a finding that crosses a boundary becomes
one finding per part, each covering that part's share.

The parts are joined with no separator: that is how the split value reads again. A
space would not rejoin "exa" + "mple.com", and two words glued together are seldom a
pattern's value. Findings of the NER types are not taken from windows, though:
"Summarize this" + "John Smith ..." reads "thisJohn Smith", and the model may call
that a name reaching into the first part.

Example::

    windows = join_windows(fields)               # texts to scan besides the fields
    detections = split_findings(detections, windows, found)
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from edge_router.privacy.types import TextField

# (type, start, end, score), as the scanner keeps them.
Detection = tuple[str, int, int, float]

_PART = re.compile(r"(.+)\[\d+\]\.text\Z")
_SPACE = re.compile(r"\s")
# How much of each part, either side of a boundary, a window holds: more than any
# pattern's value plus the cue words before it that recognizers look for.
WINDOW_CHARS = 256
_MAX_WINDOW = 4096
# Types found by the NER model (names, places, organisations, groups, dates).
_NER_TYPES = frozenset({"PERSON", "LOCATION", "ORGANIZATION", "NRP", "DATE_TIME"})


@dataclass(frozen=True)
class Window:
    """Text joined from consecutive parts: (field index, start, end) of each piece."""

    text: str
    pieces: tuple[tuple[int, int, int], ...]


def _head_end(text: str) -> int:
    """End of the first WINDOW_CHARS of text, cut at a space so no word is halved."""
    if len(text) <= WINDOW_CHARS:
        return len(text)
    cut = max(text.rfind(c, 0, WINDOW_CHARS) for c in " \n\t")
    return cut if cut > 0 else WINDOW_CHARS


def _tail_start(text: str) -> int:
    """Start of the last WINDOW_CHARS of text, cut after a space."""
    start = len(text) - WINDOW_CHARS
    if start <= 0:
        return 0
    cut = _SPACE.search(text, start)
    return cut.end() if cut is not None else start


def _groups(fields: Sequence[TextField]) -> list[list[int]]:
    """Runs of 2+ consecutive fields that are text parts of the same message."""
    out: list[list[int]] = []
    prev = None
    for i, f in enumerate(fields):
        m = _PART.match(f.path)
        key = m[1] if m else None
        if key is not None and key == prev:
            out[-1].append(i)
        elif key is not None:
            out.append([i])
        prev = key
    return [g for g in out if len(g) > 1]


def join_windows(fields: Sequence[TextField]) -> list[Window]:
    """Windows over every boundary between consecutive text parts of one message.

    A window holds the tail of one part and the head of the next; a short part is taken
    whole and the window runs on into the part after it, so a value cut in three is
    rejoined too.
    """
    windows: list[Window] = []
    for group in _groups(fields):
        pieces: list[tuple[int, int, int]] = []
        size = 0
        for i in group:
            text = fields[i].text
            if pieces:
                end = _head_end(text)
                pieces.append((i, 0, end))
                size += end
                if end == len(text) and size < _MAX_WINDOW:
                    continue  # the whole part is in: the window runs on
                windows.append(_window(fields, pieces))
            start = _tail_start(text)
            pieces, size = [(i, start, len(text))], len(text) - start
        if len(pieces) > 1:
            windows.append(_window(fields, pieces))
    return windows


def _window(fields: Sequence[TextField], pieces: list[tuple[int, int, int]]) -> Window:
    return Window("".join(fields[i].text[s:e] for i, s, e in pieces), tuple(pieces))


def split_findings(
    detections: Sequence[tuple[Detection, ...]],
    windows: Sequence[Window],
    found: Mapping[str, tuple[Detection, ...]],
) -> list[list[Detection]]:
    """Per-field detections plus each part's share of findings crossing a boundary.

    ``found`` holds the detections of each window's text (in window offsets).
    """
    out = [list(d) for d in detections]
    for window in windows:
        for kind, start, end, score in found.get(window.text, ()):
            if kind in _NER_TYPES:
                continue
            shares: list[tuple[int, int, int]] = []
            pos = 0
            for i, s, e in window.pieces:
                lo, hi = max(start, pos), min(end, pos + e - s)
                if lo < hi:
                    shares.append((i, s + lo - pos, s + hi - pos))
                pos += e - s
            if len(shares) > 1:  # inside one part: the part's own scan has it
                for i, s, e in shares:
                    out[i].append((kind, s, e, score))
    return out
