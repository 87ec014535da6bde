"""Values spelled out to dodge patterns: emails in words, digits spread out.

Two normalisation passes (see ``normalize.py``); each returns edits on its input text,
so offsets map back. Both are conservative: they only fold what, once folded, looks
like a whole address (a plausible top-level domain, no common word as mailbox or host)
or a run of digits no prose writes that way.

Example::

    emails("jo [at] example [dot] org")  # [(2, 8, "@"), (15, 22, ".")]
    digits("ssn 5 3 6 2 2 1 2 3 4")      # the eight spaces deleted
"""

from __future__ import annotations

import itertools
import re

# (start, end, replacement) on the pass's input; sorted, non-overlapping.
Edit = tuple[int, int, str]

# ---- spelled-out emails --------------------------------------------------------

_SP = r"[ \t]{0,3}"
# The at-sign without the blanks around it ("[at]", "(@)", "@", " at "): a regex opening
# with optional blanks would be tried at every position of the text; _widen adds them.
_AT = re.compile(r"[\[({<][ \t]{0,3}(?:[aA][tT]|@)[ \t]{0,3}[\])}>]|@|[ \t][aA][tT][ \t]")
# Letters in either case are spelled out ([dD][oO][tT]) rather than matched ignoring case:
# Unicode case folding would let "İ", "ı", "ſ" or the Kelvin sign into [A-Za-z], where the
# label walk (_LABEL_AT) does not follow.
_DOT_WORD, _TOD_WORD = "[dD][oO][tT]", "[tT][oO][dD]"
_DOT = (
    rf"(?:{_SP}[\[({{<]{_SP}(?:{_DOT_WORD}|\.){_SP}[\])}}>]{_SP}"
    rf"|[ \t]{{1,3}}{_DOT_WORD}[ \t]{{1,3}}|{_SP}\.{_SP})"
)
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9_%+\-]{0,62}[A-Za-z0-9])?"
# The local part is matched backwards from the at-sign, on the reversed text: an anchored
# match costs its own length, where a search for a match ending at the at-sign would be
# tried at every position before it. Its dots are spelled or plain, not spaced.
_REVERSED_DOT = (
    rf"(?:{_SP}[\])}}>]{_SP}(?:{_TOD_WORD}|\.){_SP}[\[({{<]{_SP}"
    rf"|[ \t]{{1,3}}{_TOD_WORD}[ \t]{{1,3}}|\.)"
)
_LOCAL_REVERSED = re.compile(rf"{_LABEL}(?:{_REVERSED_DOT}{_LABEL}){{0,8}}")
_LABEL_AT = re.compile(_LABEL)
_TLD_SHAPE = re.compile(r"[A-Za-z]{2,24}")
# How many candidate addresses (an at-sign and something like a domain) one text may
# have examined, each a few tens of microseconds.
_MAX_TRIES = 1000
_DOT_AT = re.compile(_DOT)
_DOMAIN = re.compile(rf"{_LABEL}(?:{_DOT}{_LABEL}){{1,8}}(?![\w@])")
# Top-level domains likely enough to fold "x at y dot com" or "x @ y . org"; ccTLDs that
# are English words ("it", "me", "in", "to") would turn prose into addresses.
# fmt: off
_COMMON_TLDS = frozenset({
    "com", "org", "net", "edu", "gov", "mil", "int", "info", "biz", "name", "pro", "mobi",
    "app", "dev", "io", "co", "ai", "tech", "online", "site", "email", "mail", "cloud", "uk",
    "de", "fr", "nl", "ca", "au", "ch", "es", "se", "dk", "fi", "pl", "ru", "jp", "cn", "br",
    "mx", "ar", "cz", "pt", "gr", "ie", "nz", "za", "kr", "tw", "hk", "sg", "il", "tr", "ua",
    "ro", "hu", "sk", "si", "hr", "rs", "bg", "lt", "lv", "ee", "eu", "fm", "tv", "cc", "ly",
    "xyz",
})
# fmt: on
# Words that are no mailbox or host in prose: "look at this dot", "meet @ home . org".
# fmt: off
_STOPWORDS = frozenset({
    "a", "an", "the", "this", "that", "these", "those", "it", "its", "me", "my", "you", "your",
    "we", "us", "our", "he", "him", "his", "she", "her", "they", "them", "their", "one", "all",
    "any", "some", "home", "work", "school", "least", "last", "first", "once", "here", "there",
    "online", "look", "looking", "is", "are", "was", "were", "be", "been", "am", "arrive",
    "arrived", "meet", "met", "stay", "stayed", "live", "lives", "lived", "works",
    "worked", "working", "born", "available", "best", "most",
})
# fmt: on


def _sep_kind(sep: str) -> str:
    """'plain' (a bare '.' or '@'), 'bracket', 'word' or 'spaced'."""
    if sep in ".@":
        return "plain"
    if any(c in sep for c in "[({<"):
        return "bracket"
    return "word" if sep.strip().isalpha() else "spaced"


def _labels(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """The labels of a local part or domain that the regexes matched at text[start:end]."""
    labels: list[tuple[int, int]] = []
    pos = start
    while (label := _LABEL_AT.match(text, pos, end)) is not None:
        labels.append(label.span())
        sep = _DOT_AT.match(text, label.end(), end)
        if sep is None or sep.end() == label.end():
            break
        pos = sep.end()
    return labels


def _widen(text: str, start: int, end: int) -> tuple[int, int]:
    """``start, end`` grown over up to three blanks on either side."""
    lo, hi = start, end
    while lo > max(0, start - 3) and text[lo - 1] in " \t":
        lo -= 1
    while hi < min(len(text), end + 3) and text[hi] in " \t":
        hi += 1
    return lo, hi


def _email(text: str, at_start: int, at_end: int, domain: re.Match[str]) -> list[Edit]:
    """Edits compacting the email around text[at_start:at_end], or none when implausible."""
    rhs = _labels(text, domain.start(), domain.end())
    while len(rhs) >= 2 and not _TLD_SHAPE.fullmatch(text, *rhs[-1]):
        rhs.pop()  # a top-level domain is 2-24 letters: most candidates end here
    if len(rhs) < 2:
        return []
    local = _LOCAL_REVERSED.match(text[max(0, at_start - 200) : at_start][::-1])
    if local is None:
        return []
    start = at_start - local.end()
    if start and (text[start - 1].isalnum() or text[start - 1] in "_.%+-"):
        return []  # the mailbox would start inside a word
    at = text[at_start:at_end]
    at_kind = _sep_kind(at)
    # "jane.doe at example.org": a mailbox-shaped local part makes "at" an at-sign even
    # before a plain domain.
    mailbox = at_kind == "word" and _mailbox(text[start:at_start])
    lhs = _labels(text, start, at_start)
    # The longest domain whose last label is a plausible top-level domain.
    while len(rhs) >= 2:
        user = [(a[1], b[0]) for a, b in itertools.pairwise(lhs)]
        host = [(a[1], b[0]) for a, b in itertools.pairwise(rhs)]
        words = (text[lhs[-1][0] : lhs[-1][1]], text[rhs[0][0] : rhs[0][1]])
        tld = text[rhs[-1][0] : rhs[-1][1]]
        if _plausible(
            at_kind,
            {_sep_kind(text[a:b]) for a, b in user},
            {_sep_kind(text[a:b]) for a, b in host},
            words,
            tld,
            mailbox=mailbox,
        ):
            edits = [(a, b, ".") for a, b in user + host if text[a:b] != "."]
            if at != "@":
                edits.append((at_start, at_end, "@"))
            return sorted(edits)
        rhs.pop()
    return []


_MAILBOX = re.compile(r"[A-Za-z][A-Za-z0-9]*(?:[._][A-Za-z][A-Za-z0-9]*)+")
# Extensions that make "README.md at example.com" a file on a site, not a mailbox.
_FILE_EXTENSIONS = frozenset(
    {"md", "txt", "py", "js", "ts", "json", "yaml", "yml", "html", "htm", "css", "pdf",
     "doc", "docx", "csv", "xml", "zip", "tar", "gz", "exe", "sh", "rst", "png", "jpg",
     "jpeg", "gif", "svg", "toml", "ini", "cfg", "log", "java", "go", "rs", "rb", "php"}
)  # fmt: skip


def _mailbox(local: str) -> bool:
    """Is this local part shaped like a mailbox, not a word (``jane.doe``, ``j_doe``)?"""
    if not _MAILBOX.fullmatch(local):
        return False
    return re.split(r"[._]", local)[-1].lower() not in _FILE_EXTENSIONS


def _plausible(
    at: str,
    user: set[str],
    host: set[str],
    words: tuple[str, str],
    tld: str,
    *,
    mailbox: bool = False,
) -> bool:
    """Is this (separator kinds, last user label, first host label, TLD) an address?
    ``mailbox``: the local part is shaped like one (``_mailbox``)."""
    if not tld.isalpha() or not 2 <= len(tld) <= 24:
        return False
    if at == "plain" and user | host <= {"plain"}:
        return False  # nothing to undo: a plain address
    if at == "word" and host & {"plain", "spaced"} and not mailbox:
        return False  # "look at example.com" points to a site, it is no address
    if ({at} | user | host) & {"word", "spaced"}:
        return tld.lower() in _COMMON_TLDS and not {w.lower() for w in words} & _STOPWORDS
    return True


def emails(text: str) -> list[Edit]:
    """Edits turning spelled-out addresses into plain ones ("jo [at] x [dot] org")."""
    edits: list[Edit] = []
    tries = 0
    for core in _AT.finditer(text):
        start, end = _widen(text, *core.span())
        if edits and start < edits[-1][1]:
            continue
        domain = _DOMAIN.match(text, end)  # cheap, and most at-signs and "at"s end here
        if domain is None:
            continue
        tries += 1
        if tries > _MAX_TRIES:
            break  # bounded: later addresses in a text with this many stay as written
        found = _email(text, start, end, domain)
        if found and (not edits or found[0][0] >= edits[-1][1]):
            edits += found
    return edits


# ---- spread-out digits ---------------------------------------------------------

# Each pattern opens with a digit or capital and looks behind after it: a leading
# lookbehind would be tried at every position of the text.
# Seven or more single digits each set apart ("5 3 6 2 2 1 2 3 4", "5-3-6-2-2-1-2-3-4"),
# not part of a longer list of numbers.
_SINGLES = re.compile(
    r"[0-9](?<![\w.,][0-9])(?<![0-9][ .\-][0-9])(?:(?:[ \t]{1,2}|[ \t]?[.\-][ \t]?)[0-9]){6,18}"
    r"(?!\w)(?![ \t]?[.,\-]?[ \t]?[0-9])"
)
# Card-shaped groups (4, then 4-6 digits) joined by a separator card patterns do not
# expect: "4111.1111.1111.1111", "4111 / 1111 / ...", wide gaps.
_GROUPS = re.compile(
    r"[0-9]{4}(?<![\w.\-/][0-9]{4})"
    r"(?:(?:[./_]|[ \t]{2,3}|[ \t]?[\-./][ \t]|[ \t][\-./])[0-9]{4,6}){2,4}"
    r"(?!\w)(?![.\-/][0-9])"
)
# Short groups joined by a dash or dot with spaces around it: "078 - 05 - 1120" (the
# blanks are what is deleted, so "078-05-1120" matches and is left as it is). Every
# alternation here is unambiguous: a separator two branches could match would make
# the regex backtrack through each combination on long runs of groups.
_SPACED_DASH = re.compile(
    r"[0-9](?<![\w.\-][0-9])[0-9]{1,3}(?:[ \t]*[\-.][ \t]*[0-9]{2,4}){2,4}"
    r"(?!\w)(?![ \t]*[\-.][ \t]*[0-9])"
)
# A UK National Insurance number with any spacing: "AB 12-34-56 C", "A B 1 2 3 4 5 6 C".
_NINO = re.compile(
    r"[A-Z](?<!\w[A-Z])[ \t.\-]{0,2}[A-Z](?:[ \t.\-]{0,2}[0-9]){6}[ \t.\-]{0,2}[A-D](?!\w)"
)
_GAP = re.compile(r"[^\w]+")
_BLANKS = re.compile(r"[ \t]+")


def digits(text: str) -> list[Edit]:
    """Edits deleting the gaps in spread-out numbers, so number patterns see them."""
    edits: set[Edit] = set()
    for m in _SINGLES.finditer(text):
        edits.update((g.start(), g.end(), "") for g in _GAP.finditer(text, m.start(), m.end()))
    for m in _GROUPS.finditer(text):
        seps = [text[g.start() : g.end()] for g in _GAP.finditer(text, m.start(), m.end())]
        if len(set(seps)) == 1 and 13 <= sum(c.isdigit() for c in m[0]) <= 19:
            edits.update((g.start(), g.end(), "") for g in _GAP.finditer(text, m.start(), m.end()))
    for m in _SPACED_DASH.finditer(text):
        if sum(c.isdigit() for c in m[0]) >= 7:
            edits.update(
                (g.start(), g.end(), "") for g in _BLANKS.finditer(text, m.start(), m.end())
            )
    for m in _NINO.finditer(text):
        edits.update((g.start(), g.end(), "") for g in _GAP.finditer(text, m.start(), m.end()))
    out: list[Edit] = []
    for edit in sorted(edits):  # rules may overlap: keep the first of overlapping edits
        if not out or edit[0] >= out[-1][1]:
            out.append(edit)
    return out


# ---- numbers in words -----------------------------------------------------------

# Digit words in the languages the scanner reads: English, Spanish, French, German,
# Russian (one digit at a time: "пять пять пять ноль один два три").
# fmt: off
_DIGIT_WORDS = {
    "zero": "0", "oh": "0", "one": "1", "two": "2", "three": "3", "four": "4", "five": "5",
    "six": "6", "seven": "7", "eight": "8", "nine": "9",
    "cero": "0", "uno": "1", "dos": "2", "tres": "3", "cuatro": "4", "cinco": "5",
    "seis": "6", "siete": "7", "ocho": "8", "nueve": "9",
    "zéro": "0", "un": "1", "deux": "2", "trois": "3", "quatre": "4", "cinq": "5",
    "sept": "7", "huit": "8", "neuf": "9",
    "null": "0", "eins": "1", "zwei": "2", "zwo": "2", "drei": "3", "vier": "4", "fünf": "5",
    "sechs": "6", "sieben": "7", "acht": "8", "neun": "9",
    "ноль": "0", "нуль": "0", "один": "1", "одна": "1", "два": "2", "две": "2", "три": "3",
    "четыре": "4", "пять": "5", "шесть": "6", "семь": "7", "восемь": "8", "девять": "9",
}
# fmt: on
_ONE_DIGIT = "(?:" + "|".join(sorted(_DIGIT_WORDS, key=len, reverse=True)) + ")"
# "double oh" is "00", "triple five" "555", "nine hundred" "900": how phone numbers are
# read out loud in English (and "double zéro" in French).
_REPEAT = {"double": 2, "triple": 3}
_DIGIT = rf"(?:(?:double|triple)[ \t]+{_ONE_DIGIT}|hundred|{_ONE_DIGIT}|[0-9]{{1,4}})"
_WORD_SEP = r"(?:[ \t]*[,\-./][ \t]*|[ \t]+)"
# Digits said one at a time, perhaps with some written ("four one five, 555, two six seven
# one"): a phone, an SSN or a card read out. A run needs seven digits and three words;
# shorter ones are prose ("one or two", "five 10 15").
_RUN = rf"\b{_DIGIT}(?:{_WORD_SEP}{_DIGIT}){{4,}}\b"
# Matched on the lowered text, six times faster than ignoring case; the case-blind pair
# serves a text whose lowering changes its length ("İ" lowers to two characters).
_DIGIT_RUN, _DIGIT_TOKEN = re.compile(_RUN), re.compile(_DIGIT)
# ASCII case folding only, for the reason given at _DOT_WORD.
_CASE_BLIND = re.IGNORECASE | re.ASCII
_DIGIT_RUN_I, _DIGIT_TOKEN_I = re.compile(_RUN, _CASE_BLIND), re.compile(_DIGIT, _CASE_BLIND)
_TO_BLANK = str.maketrans(",-./;:!?()\"'", " " * 12)


def _said(token: str) -> str:
    """The digits one token of a read-out number stands for."""
    low = token.lower()
    if low == "hundred":
        return "00"
    first, _, rest = low.partition(" ")
    if first in _REPEAT:
        return _DIGIT_WORDS.get(rest.strip(), "?") * _REPEAT[first]
    return _DIGIT_WORDS.get(low, token)


def number_words(text: str) -> list[Edit]:
    """Edits turning digits said in words into digits ("four one five, ..." ->
    "415-..."): a gap with punctuation becomes a dash, a blank gap goes."""
    edits: list[Edit] = []
    # The run regex tries its words at every word start; most texts do not say three
    # digit words anywhere, which a split and a set lookup tell faster.
    lower = text.lower()
    if sum(w in _DIGIT_WORDS for w in lower.translate(_TO_BLANK).split()) < 3:
        return edits
    same = len(lower) == len(text)
    runs, token = (_DIGIT_RUN, _DIGIT_TOKEN) if same else (_DIGIT_RUN_I, _DIGIT_TOKEN_I)
    seen = lower if same else text
    for run in runs.finditer(seen):
        tokens = list(token.finditer(seen, run.start(), run.end()))
        said = [_said(t[0]) for t in tokens]
        if not all(d.isascii() and d.isdigit() for d in said):
            continue  # a token no digit word names (case folding); never guess
        words = sum(t[0] != d for t, d in zip(tokens, said, strict=True))
        if words < 3 or len("".join(said)) < 7:
            continue
        steps = {int(b) - int(a) for a, b in itertools.pairwise(said)}
        if steps in ({1}, {-1}):
            continue  # counting: "one, two, three, four, five, six, seven"
        for prev, tok, digit in zip([None, *tokens], tokens, said, strict=False):
            if prev is not None:
                gap = text[prev.end() : tok.start()]
                edits.append((prev.end(), tok.start(), "-" if gap.strip() else ""))
            if tok[0] != digit:
                edits.append((tok.start(), tok.end(), digit))
    return edits


# Chinese digits said one at a time ("一五五 五五五 零一二三", 幺 for one on the phone):
# seven or more in a run, with single blanks between groups. Runs of that length are
# no prose ("一一" or "三三两两" are words); 两 (a count's two) is no digit here.
_HAN_DIGITS = {"零": "0", "〇": "0", "一": "1", "幺": "1", "二": "2", "三": "3", "四": "4",
               "五": "5", "六": "6", "七": "7", "八": "8", "九": "9"}  # fmt: skip
_HAN_RUN = re.compile("[零〇一幺二三四五六七八九](?:[ \t]?[零〇一幺二三四五六七八九]){6,}")


def han_digits(text: str) -> list[Edit]:
    """Edits turning Chinese digit characters in a run of seven or more into digits."""
    edits: list[Edit] = []
    for run in _HAN_RUN.finditer(text):
        for pos in range(run.start(), run.end()):
            digit = _HAN_DIGITS.get(text[pos])
            if digit is not None:
                edits.append((pos, pos + 1, digit))
    return edits


# Handles and mailboxes said aloud: "luna underscore makes underscore pots", "f
# underscore alzahra at example dot org"; "at" before such a name is its at-sign.
_UNDERSCORED = re.compile(
    r"\b[A-Za-z0-9]+(?:[ \t]+underscore[ \t]+[A-Za-z0-9]+)+\b", re.IGNORECASE | re.ASCII
)
_UNDERSCORE_GAP = re.compile(r"[ \t]+underscore[ \t]+", re.IGNORECASE)
_SAID_AT_BEFORE = re.compile(r"\b[aA][tT][ \t]+$")
_SAID_AT_AFTER = re.compile(r"[ \t]+(?:[aA][tT]|@)[ \t]")


def underscores(text: str) -> list[Edit]:
    """Edits joining words said with "underscore" between them, and an "at" before them
    that no mail domain follows into "@"."""
    edits: list[Edit] = []
    if "underscore" not in text.lower():  # the run pattern ignores case; so must this
        return edits
    for run in _UNDERSCORED.finditer(text):
        at = _SAID_AT_BEFORE.search(text, max(0, run.start() - 4), run.start())
        if at is not None and not _SAID_AT_AFTER.match(text, run.end()):
            edits.append((at.start(), run.start(), "@"))
        for gap in _UNDERSCORE_GAP.finditer(text, run.start(), run.end()):
            edits.append((gap.start(), gap.end(), "_"))
    return edits


# ---- addresses spelled a letter at a time ----------------------------------------

_LONE_AT = re.compile(r"(?<=[^\s] )@(?= [^\s])")
_RUN_END = frozenset(" \t\r\n.,;:!?)]}>\"'")


def _single(text: str, pos: int) -> bool:
    """Is text[pos] a character standing alone (blank or edge before, blank, edge or
    closing punctuation after)?"""
    before = pos == 0 or text[pos - 1].isspace()
    after = pos + 1 == len(text) or text[pos + 1] in _RUN_END
    return before and after and not text[pos].isspace()


def spaced_letters(text: str) -> list[Edit]:
    """Edits deleting the blanks of an address written one character at a time
    ("j o h n @ e x a m p l e . c o m"), so the email patterns see it whole."""
    edits: list[Edit] = []
    if " @ " not in text:
        return edits
    for at in _LONE_AT.finditer(text):
        i = at.start()
        lo = hi = i  # first and last character of the run, each a blank apart
        while lo >= 2 and text[lo - 1] in " \t" and _single(text, lo - 2):
            lo -= 2
        while hi + 2 < len(text) and text[hi + 1] in " \t" and _single(text, hi + 2):
            hi += 2
        if i - lo < 6 or hi - i < 8 or "." not in text[i:hi] or (edits and lo < edits[-1][1]):
            continue  # at least "a b c @ d e . f g": shorter is notation, not an address
        edits += [(p, p + 1, "") for p in range(lo + 1, hi, 2)]
    return edits


# Four or more letters each set apart by the same blank or hyphen ("D a n a",
# "K-o-w-a-l-s-k-i"): a word spelled out so that name detection misses it.
_SPREAD_WORD = re.compile(r"\b[^\W\d_]([ \-])(?:[^\W\d_]\1){2,}[^\W\d_]\b")


def spaced_words(text: str) -> list[Edit]:
    """Edits deleting the gaps of words spelled a letter at a time, so names and words
    read whole ("D a n a  K o w a l s k i" -> "Dana  Kowalski")."""
    return [
        (m.start() + i, m.start() + i + 1, "")
        for m in _SPREAD_WORD.finditer(text)
        for i in range(1, m.end() - m.start(), 2)
    ]
