"""Normalise text before detection, so trivial obfuscation does not hide personal data.

The scanner detects on ``Normalised.text`` and maps every finding back with
``Normalised.span``, which covers all the original characters involved (hidden ones
inside the span included). Redaction then replaces original characters, so an
invisible character inside an email goes with it, and the vault keeps exactly what
the client sent.

Passes, in order, each bounded and each a no-op on ordinary prose:

* HTML character references (``&#64;``, ``&commat;``) and percent-escapes (``%40``);
* Unicode: format characters and invisible fillers dropped (zero-width space and
  joiners, soft hyphen, bidi controls, BOM), NFKC per character (fullwidth digits),
  Cyrillic/Greek look-alikes folded inside words that also have Latin letters, decimal
  digits of other scripts (``٤١١١``) as ASCII digits, dashes and minus signs between
  digits as hyphens, and ideographic full stops between Latin letters or digits read
  as dots (as IDNA does: ``jo@example。org``);
* spelled-out emails (``jo [at] example [dot] org``, ``jo at example dot org``,
  ``jo @ example . org``, ``j o @ e x a m p l e . o r g``) when the result has a
  plausible top-level domain, digits said in words (``four one five, five five five,
  ...`` in English, Spanish, French or German), and digits spread out to defeat
  patterns (``5 3 6 2 2 1 2 3 4``, ``4111.1111.1111.1111``, ``078 - 05 - 1120``,
  ``AB 12-34-56 C``): all in ``spelled.py``.

Base64 and hex blobs that decode to printable text are appended as extra views
after the text; a finding there maps to the whole blob. (Values split across the
text parts of a message are rejoined by ``parts.py``.)

Example::

    norm = normalise("mail jo\u200b@example.org")
    norm.text            # "mail jo@example.org"
    norm.span(5, 19)     # (5, 20): the zero-width space is inside the span
"""

from __future__ import annotations

import base64
import binascii
import html
import re
import unicodedata
from bisect import bisect_right
from collections.abc import Callable
from dataclasses import dataclass

from edge_router.privacy.spelled import (
    Edit,
    digits,
    emails,
    han_digits,
    number_words,
    spaced_letters,
    spaced_words,
    underscores,
)


class _Map:
    """One pass's edits, mapping a character of its output back to a range of its input."""

    __slots__ = ("_in_ends", "_in_starts", "_out_ends", "_out_starts")

    def __init__(self, edits: list[Edit]) -> None:
        self._out_starts: list[int] = []
        self._out_ends: list[int] = []
        self._in_starts: list[int] = []
        self._in_ends: list[int] = []
        out = prev = 0
        for start, end, new in edits:
            out += start - prev
            self._out_starts.append(out)
            out += len(new)
            self._out_ends.append(out)
            self._in_starts.append(start)
            self._in_ends.append(end)
            prev = end

    def char(self, pos: int) -> tuple[int, int]:
        """The input range that output character ``pos`` comes from."""
        # The last edit starting at or before pos: deletions (empty output) before pos
        # share its start, so the non-empty edit that may contain pos sorts last.
        i = bisect_right(self._out_starts, pos) - 1
        if i < 0:
            return pos, pos + 1
        if pos < self._out_ends[i]:
            return self._in_starts[i], self._in_ends[i]
        start = pos - self._out_ends[i] + self._in_ends[i]
        return start, start + 1

    def span(self, start: int, end: int) -> tuple[int, int]:
        return self.char(start)[0], self.char(end - 1)[1]


def _apply(text: str, edits: list[Edit]) -> str:
    parts: list[str] = []
    pos = 0
    for start, end, new in edits:
        parts += [text[pos:start], new]
        pos = end
    parts.append(text[pos:])
    return "".join(parts)


@dataclass(frozen=True, slots=True)
class Normalised:
    """A text as the scanner reads it, and the way back to the original's offsets."""

    text: str
    _maps: tuple[_Map, ...] = ()
    # Length of the normalised original; decoded blobs are appended after it.
    _main: int = -1
    # (start, end) in ``text`` of each appended view, and the blob it came from.
    _views: tuple[tuple[int, int, int, int], ...] = ()

    @property
    def changed(self) -> bool:
        return bool(self._maps or self._views)

    def span(self, start: int, end: int) -> tuple[int, int]:
        """Original (start, end) covering every character of ``text[start:end]``."""
        if not 0 <= start < end <= len(self.text):
            raise ValueError("span out of range")
        main = len(self.text) if self._main < 0 else self._main
        lo, hi = len(self.text) + 1, -1
        if start < main:
            s, e = start, min(end, main)
            for m in reversed(self._maps):
                s, e = m.span(s, e)
            lo, hi = s, e
        for v_start, v_end, o_start, o_end in self._views:
            if v_start < end and start < v_end:
                lo, hi = min(lo, o_start), max(hi, o_end)
        return lo, hi


# ---- decoding ------------------------------------------------------------------

_ENTITY = re.compile(r"&(?:#[0-9]{1,7};?|#[xX][0-9a-fA-F]{1,6};?|[A-Za-z][A-Za-z0-9]{1,31};)")
_PERCENT = re.compile(r"%[0-9A-Fa-f]{2}(?:%[0-9A-Fa-f]{2})*")


def _printable(value: str) -> bool:
    """Text a blob may decode to: printable characters and whitespace."""
    return all(c.isprintable() or c.isspace() for c in value)


def _no_controls(value: str) -> bool:
    """What an escape may decode to: anything but control characters. Format and
    space characters ("&#8203;", "%C2%A0") are kept for the Unicode pass to fold."""
    return not any(unicodedata.category(c) == "Cc" and c not in "\t\n\r" for c in value)


def _html(text: str) -> list[Edit]:
    if "&" not in text:
        return []
    edits: list[Edit] = []
    for m in _ENTITY.finditer(text):
        value = html.unescape(m[0])
        # An unknown name stays as written; a control character hides nothing a
        # pattern could find, and NUL would only upset later stages.
        if value != m[0] and value and _no_controls(value):
            edits.append((m.start(), m.end(), value))
    return edits


def _percent(text: str) -> list[Edit]:
    if "%" not in text:
        return []
    edits: list[Edit] = []
    for m in _PERCENT.finditer(text):
        try:
            value = bytes.fromhex(m[0].replace("%", "")).decode("utf-8")
        except UnicodeDecodeError:
            continue  # not text: leave it ("%ff", printf formats)
        if not _no_controls(value):
            continue
        if value.isascii():  # one escape per character: keep the map fine-grained
            edits += [(m.start() + 3 * i, m.start() + 3 * i + 3, c) for i, c in enumerate(value)]
        else:
            edits.append((m.start(), m.end(), value))
    return edits


# ---- Unicode -------------------------------------------------------------------

# Format characters (category Cf, Unicode 14) and fillers that render as nothing:
# Hangul fillers, combining grapheme joiner, Mongolian variation selectors, variation
# selectors, Khmer inherent vowels and the blank Braille pattern.
_INVISIBLE = re.compile(
    "[\u00ad\u0600-\u0605\u061c\u06dd\u070f\u0890\u0891\u08e2\u180e\u200b-\u200f"
    "\u202a-\u202e\u2060-\u2064\u2066-\u206f\ufeff\ufff9-\ufffb\U000110bd\U000110cd"
    "\U00013430-\U0001343f\U0001bca0-\U0001bca3\U0001d173-\U0001d17a\U000e0001"
    "\U000e0020-\U000e007f"
    "\u034f\u115f\u1160\u17b4\u17b5\u180b-\u180d\u2800\u3164\ufe00-\ufe0f\uffa0"
    "\U000e0100-\U000e01ef]"
)
_NON_ASCII = re.compile(r"[^\x00-\x7f]")
_GREEK_CYRILLIC = re.compile(r"[\u0370-\u03ff\u0400-\u052f]+")
_WORD_END = re.compile(r"\w*")
_LATIN = re.compile(r"[A-Za-z]")
_IDEOGRAPHIC_DOT = re.compile("[\u3002\uff61]")  # 。 and its halfwidth form
# Decimal digits of other scripts (Arabic-Indic, Persian, Devanagari, ...): NFKC keeps
# them, and number patterns read ASCII digits.
_SCRIPT_DIGIT = re.compile(r"(?=\d)[^0-9]")
# Hyphens, en and em dashes and minus signs between digits (a blank either side allowed):
# "536\u201022\u20101234" is an SSN as much as "536-22-1234".
_DIGIT_DASH = re.compile(
    r"(?:(?<=\d)|(?<=\d[ \t]))[\u2010-\u2015\u2212\ufe58\ufe63\uff0d](?=[ \t]?\d)"
)
_ASCII_ALNUM = re.compile(r"[A-Za-z0-9]")
# Cyrillic and Greek letters drawn like Latin ones (Unicode's confusables, the common few).
_CONFUSABLE = str.maketrans(
    "аԁеһіјӏоԛрѕуԝхсАВЕНІЈӀКМОРԚЅТУԜХСҺ"  # Cyrillic
    "αικνορυχϲϳΑΒΕΖΗΙΚΜΝΟΡΤΥΧ",  # Greek
    "adehijloqpsywxcABEHIJIKMOPQSTYWXCHaikvopuxcjABEZHIKMNOPTYX",
)


def _unicode(text: str) -> list[Edit]:
    if text.isascii():
        return []
    edits: dict[int, Edit] = {
        m.start(): (m.start(), m.end(), "") for m in _INVISIBLE.finditer(text)
    }
    if not unicodedata.is_normalized("NFKC", text):
        for m in _NON_ASCII.finditer(text):
            c = m[0]
            if m.start() in edits or unicodedata.is_normalized("NFKC", c):
                continue
            folded = unicodedata.normalize("NFKC", c)
            # Per character, so offsets stay exact; a result with a combining mark
            # (spacing accents, halfwidth sound marks) would glue onto its neighbour.
            if not any(unicodedata.combining(x) for x in folded):
                edits[m.start()] = (m.start(), m.end(), folded)
    # Only words that mix scripts: "jоhn" with a Cyrillic o, not Russian or Greek.
    word_end = 0
    for run in _GREEK_CYRILLIC.finditer(text):
        if run.start() < word_end:
            continue  # a later run of a word already seen
        start = run.start()
        while start > 0 and (text[start - 1].isalnum() or text[start - 1] == "_"):
            start -= 1
        tail = _WORD_END.match(text, run.end())
        word_end = tail.end() if tail is not None else run.end()
        if not _LATIN.search(text, start, word_end):
            continue
        for i in range(start, word_end):
            folded = text[i].translate(_CONFUSABLE)
            if folded != text[i] and i not in edits:
                edits[i] = (i, i + 1, folded)
    for m in _SCRIPT_DIGIT.finditer(text):
        edits[m.start()] = (m.start(), m.end(), str(unicodedata.decimal(m[0])))
    for m in _DIGIT_DASH.finditer(text):
        edits[m.start()] = (m.start(), m.end(), "-")
    for m in _IDEOGRAPHIC_DOT.finditer(text):
        # Between Latin letters or digits (as written, or once folded) only: in Chinese
        # or Japanese prose it ends a sentence and stays.
        i = m.start()
        before = edits[i - 1][2] if i - 1 in edits else text[i - 1 : i]
        after = edits[i + 1][2] if i + 1 in edits else text[i + 1 : i + 2]
        if _ASCII_ALNUM.fullmatch(before[-1:]) and _ASCII_ALNUM.fullmatch(after[:1]):
            edits[i] = (i, i + 1, ".")
    return [edits[k] for k in sorted(edits)]


# ---- encoded blobs -------------------------------------------------------------

# No lookbehind (it would be tried at every position): a run is matched from its start,
# and _blobs checks the character before it.
_BLOB = re.compile(r"[A-Za-z0-9+/_\-]{16,}={0,2}(?![\w+/=\-])")
_HEX = re.compile(r"(?:[0-9a-fA-F]{2})+")
_NUMBERISH = re.compile(r"[0-9 ()+\-.]+")
_MAX_BLOB_CHARS = 4096
_MAX_BLOB_TRIES = 32
_MAX_BLOBS = 8
_MAX_DECODED_CHARS = 8192


def _decode_blob(token: str) -> str | None:
    """The printable UTF-8 text a hex or base64 token encodes, else None."""
    raw: bytes | None = None
    if _HEX.fullmatch(token):
        raw = bytes.fromhex(token)
    else:
        if not (re.search(r"[a-z]", token) and re.search(r"[A-Z0-9]", token)):
            return None  # one case, no digits: a word or an identifier, not base64
        body = token.rstrip("=")
        alt = b"-_" if re.search(r"[\-_]", body) else None
        try:
            raw = base64.b64decode(body + "=" * (-len(body) % 4), altchars=alt, validate=True)
        except (binascii.Error, ValueError):
            return None
    try:
        value = raw.decode("utf-8")
    except UnicodeDecodeError:
        return None
    if token.isdigit() and not _NUMBERISH.fullmatch(value):
        # Card and account numbers are decimal digits, which read as hex too; only the
        # hex of a number ("353336..." -> "536...") is worth a second look.
        return None
    return value if len(value.strip()) >= 4 and _printable(value) else None


def _blobs(text: str) -> list[tuple[int, int, str]]:
    found: list[tuple[int, int, str]] = []
    tries = size = 0
    for m in _BLOB.finditer(text):
        before = text[m.start() - 1] if m.start() else " "
        if len(m[0]) > _MAX_BLOB_CHARS or before.isalnum() or before in "_+/=-":
            continue
        tries += 1
        value = _decode_blob(m[0])
        if value is not None:
            found.append((m.start(), m.end(), value))
            size += len(value)
        if tries >= _MAX_BLOB_TRIES or len(found) >= _MAX_BLOBS or size >= _MAX_DECODED_CHARS:
            break
    return found


# ---- the whole ----------------------------------------------------------------

_PASSES: tuple[Callable[[str], list[Edit]], ...] = (
    _html,
    _percent,
    _unicode,
    spaced_letters,
    spaced_words,
    underscores,
    emails,
    number_words,
    han_digits,
    digits,
)


def _run_passes(text: str) -> tuple[str, list[_Map]]:
    maps: list[_Map] = []
    for fold in _PASSES:
        edits = fold(text)
        if edits:
            maps.append(_Map(edits))
            text = _apply(text, edits)
    return text, maps


def normalise(text: str) -> Normalised:
    """``text`` as the scanner should read it; see the module docstring."""
    main, maps = _run_passes(text)
    blobs = _blobs(main)
    if not blobs:
        return Normalised(main, tuple(maps))
    parts = [main]
    views: list[tuple[int, int, int, int]] = []
    pos = len(main)
    for start, end, decoded in blobs:
        for m in reversed(maps):
            start, end = m.span(start, end)
        view = "\n" + _run_passes(decoded)[0]
        # The newline keeps the view from gluing onto the text before it; it maps to
        # the blob too, so no character of the view maps outside it.
        parts.append(view)
        views.append((pos, pos + len(view), start, end))
        pos += len(view)
    return Normalised("".join(parts), tuple(maps), len(main), tuple(views))
