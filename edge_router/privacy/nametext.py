"""What a text or a span looks like, for the name rules: lower-case prose, code, labels,
acronyms and places that are no names (no spaCy here: plain string shape).

Example::

    if is_lowercase_prose(chunk) and (cased := recase(chunk)) is not None:
        ...  # run NER again on the re-cased chunk
    not_a_name("Mount Kenya")  # True
"""

from __future__ import annotations

import re
from collections.abc import Callable

from spacy.lang.en.stop_words import STOP_WORDS

from edge_router.privacy.namelists import fold

# A title before a name: "Dr. patel", "mrs okafor", "ms, yoyo", "Frau Hoxha", "la señorita
# Itziar", and kinship words used as titles: "auntie Folake", "uncle Ben".
TITLE_WORDS = (
    r"mr|mrs|ms|mx|miss|dr|prof|herrn|herr|frau|sr|sra|srta|señor|señora|señorita|don|doña|mme|"
    r"mlle|monsieur|madame|auntie|aunty|aunt|uncle|granny|grandma|grandpa|nana|cousin|"
    r"tía|tío|tante|onkel|tata|tonton|abuela|abuelo|oma|opa|mamie|papi"
)

# Lower-case particles inside a full name: "Teresa de Vaan", "Jan van der Berg".
NAME_PARTICLES = frozenset(
    {"de", "del", "della", "la", "le", "van", "von", "da", "di", "du", "der", "den", "y", "zu",
     "ten", "ter", "dos", "das"}
)  # fmt: skip

_LETTERS = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)*")
# Letters glued to digits are a code, not a capitalised word ("Q1 42k", "B2", "4K").
_CODE_LETTERS = re.compile(r"(?<=\d)[^\W\d_]+|[^\W\d_]+(?=\d)")


def is_lowercase_prose(chunk: str) -> bool:
    """Is ``chunk`` written (almost) without capitals, so NER cannot lean on them?"""
    words = _PLAIN_WORD.findall(chunk)
    if len(words) < 2 or not chunk.lstrip()[:1].islower() or looks_like_code(chunk):
        # Lower-case code is no prose: re-cased, its identifiers would read as names.
        return False
    # Normal prose has capitals at least at sentence starts; "I" says nothing.
    caps = sum(
        1 for w in _LETTERS.findall(_CODE_LETTERS.sub("", chunk)) if w[0].isupper() and w not in _I
    )
    return caps <= len(words) // 20


def recase(chunk: str) -> str | None:
    """Chunk with plain non-stop words capitalised, if it is written without capitals.

    Only whole words between spaces and punctuation are touched: "a.b@example.com" or
    "snake_case" stay as they are, so NER does not see names in addresses or code.
    """
    if not is_lowercase_prose(chunk):
        return None
    out = list(chunk)
    for match in _PLAIN_WORD.finditer(chunk):
        # A sentence's first word is more often a verb ("email me ...") than a name.
        if chunk[: match.start(1)].rstrip()[-1:] in ("", ".", "!", "?", "\n"):
            continue
        word = match.group(1)
        head = word[0].upper()
        if len(word) > 1 and len(head) == 1 and word.lower() not in STOP_WORDS:
            out[match.start(1)] = head
    return "".join(out)


_I = frozenset({"I", "I'm", "I’m", "I'd", "I'll", "I've"})
# A word standing alone: spaces or sentence punctuation (not "." "@" "_" "/") either side.
_PLAIN_WORD = re.compile(
    r"(?:^|(?<=[\s\"'(\[,;:!?]))([^\W\d_]+(?:['’-][^\W\d_]+)*)(?=$|[\s\"'),\];:!?]|\.(?:\s|$))"
)
_CODE_CHARS = re.compile(r"[=()\[\]{}<>_\d@#$%^*|\\/]")


# Marks of code and shell lines that prose rarely has: brackets, "=", ";", pipes, "$",
# underscores and command-line flags. Parentheses, quotes and backslashes are left out:
# prose has asides, and chat logs escape their quotes.
_CODE_SYNTAX = re.compile(r"[{}\[\]=;<>|$_]|(?<=\s)--?[a-z]")


def looks_like_code(text: str) -> bool:
    """Does ``text`` carry code syntax: two or more marks, 2%+ of its characters?"""
    marks = len(_CODE_SYNTAX.findall(text))
    return marks >= 2 and marks * 50 >= len(text)


# Field labels that open a line of a form or a task ("Problem: ...", "List: [...]"):
# NER and the name lists take some of them for names.
_LABELS = frozenset(
    {"answer", "born", "category", "context", "date", "example", "explanation", "facts",
     "hint", "input", "instruction", "instructions", "job", "list", "loc", "location",
     "note", "options", "output", "problem", "question", "reason", "response", "result",
     "role", "roles", "solution", "source", "status", "step", "subject", "summary", "task",
     "text", "time", "title", "topic"}
)  # fmt: skip
# Religions, which the name lists also hold as surnames ("Islam"): alone, a religion.
_RELIGIONS = frozenset(
    {"islam", "christianity", "judaism", "hinduism", "buddhism", "sikhism", "jainism",
     "taoism", "shinto", "atheism", "catholicism", "protestantism", "zoroastrianism"}
)  # fmt: skip
# Words that make a span a place, not a person: "Mount Rainier", "Anavilhanas Archipelago".
_PLACE_FIRST = frozenset({"mount", "mt", "mt.", "lake", "isle", "gulf", "strait", "loch"})
_PLACE_LAST = frozenset(
    {"archipelago", "island", "islands", "isles", "mountains", "mountain", "valley", "ocean",
     "desert", "glacier", "canyon", "peninsula", "falls", "volcano", "gulf", "strait", "reef",
     "creek", "plateau", "lagoon", "fjord", "river"}
)  # fmt: skip


def not_a_name(span: str, before: str = "") -> bool:
    """NER noise on code, acronyms and lists: "len(X", "str2", "JSON", "X" are not people
    (``before``: the text before the span; after a title capitals are a surname),
    nor is a span across lines ("A. Buffers\nB. Decoders"): a name sits on one line.
    Nor are a form label ("Problem"), a religion alone ("Islam") or a place named by its
    kind ("Mount Rainier")."""
    words = span.split()
    if _CODE_CHARS.search(span) or not words or "\n" in span.strip():
        return True
    lower = [w.lower() for w in words]
    if len(words) == 1 and (lower[0].rstrip(":") in _LABELS or lower[0] in _RELIGIONS):
        return True
    if len(words) > 1 and (lower[0] in _PLACE_FIRST or lower[-1] in _PLACE_LAST):
        return True
    if len(words) == 1 and lower[0] in _WHO_DID and _WHO_BEFORE.search(before):
        return True  # "who said 'the only thing...'": re-cased, the verb reads as "Said"
    # Short words are initials or acronyms in cased scripts; a Han name has 2-3 characters.
    short = len(span) <= 2 and (span[:1].isupper() or span[:1].islower())
    # After a title a short word in capitals is a surname: "Dear Ms. ODUYA".
    acronym = span.isupper() and len(span) <= 5 and not _TITLE_BEFORE.search(before)
    return len(words) == 1 and (short or acronym)


_TITLE_BEFORE = re.compile(r"\b(?:" + TITLE_WORDS + r")\.?[ \t]+$", re.IGNORECASE)
# A question for who did something names nobody with its verb (some are given names too).
_WHO_BEFORE = re.compile(r"\bwho[ \t]+$", re.IGNORECASE)
_WHO_DID = frozenset(
    {"said", "says", "wrote", "sang", "invented", "discovered", "painted", "coined", "won"}
)


_RUN_WORD = re.compile(r"[^\W\d_][\w'’.-]*")


def split_runs(
    chunk: str,
    start: int,
    end: int,
    listed: Callable[[str], bool],
    verb: Callable[[str], bool],
) -> list[tuple[int, int]]:
    """The names in an NER span that ran on over small words in text with capitals
    ("Elon Musk rename Twitter", "Résume la vie de Victor Hugo"): split at each lower-case
    word that is no name particle and no ``listed`` name, drop the runs without a capital,
    and a one-word run opening the sentence that is a ``verb`` and no listed name
    ("Résume", "Summarise"; not "Clausewitz", a noun). ``[(start, end)]`` when a span
    of two words or more has nothing to split."""
    words = [(start + m.start(), start + m.end()) for m in _RUN_WORD.finditer(chunk[start:end])]
    runs: list[list[tuple[int, int]]] = [[]]
    for s, e in words:
        low = chunk[s:e].lower()
        # A listed name of two letters written small is a word ("Rédige un mail").
        if chunk[s].islower() and low not in NAME_PARTICLES and not (len(low) > 2 and listed(low)):
            runs.append([])
        else:
            runs[-1].append((s, e))
    if len(runs) == 1 and len(words) > 1:
        return [(start, end)]
    out = []
    for run in runs:
        while run and chunk[run[0][0] : run[0][1]] in NAME_PARTICLES:
            run = run[1:]
        while run and chunk[run[-1][0] : run[-1][1]] in NAME_PARTICLES:
            run = run[:-1]
        if not run or not any(chunk[s].isupper() for s, _ in run):
            continue
        # A verb alone opening the sentence ("Summarise", "Explique-moi"); not the first
        # word of a longer run, which may be a given name that is also a verb ("Dawn").
        if len(run) == 1 and _imperative(chunk, *run[0], listed, verb):
            continue
        out.append((run[0][0], run[-1][1]))
    return out


# A French imperative's pronoun: "Résume-moi", "Écris-lui", "Dis-nous".
_PRONOUN_TAIL = re.compile(r"-(?:moi|toi|lui|leur|nous|vous|le|la|les|en|y)$")


def _imperative(
    chunk: str, s: int, e: int, listed: Callable[[str], bool], verb: Callable[[str], bool]
) -> bool:
    """Does the word chunk[s:e] open its sentence as a verb, not as a listed name?"""
    low = fold(_PRONOUN_TAIL.sub("", chunk[s:e].lower()))
    opens = not chunk[:s].strip() or chunk[:s].rstrip()[-1] in ".!?:\n"
    return opens and verb(low) and not listed(low)


# A lower-case identifier joined by "-", "_" or "." or holding digits: no person's name.
IDENTIFIER = re.compile(r"[a-z0-9]+(?:[-_.][a-z0-9]+)+|[a-z]*\d[a-z0-9]*")


def verb_form(words: str, english: frozenset[str]) -> bool:
    """Does ``words`` open with an "-ing" or "-ed" form of an English word ("comparing")?"""
    first = words.split()[0]
    for suffix in ("ing", "ed"):
        stem = first.removesuffix(suffix)
        if stem != first and len(stem) > 2 and (stem in english or stem + "e" in english):
            return True
    return False


# "A. ", "b) ": a list or multiple-choice marker opening a line.
_OPTION_MARKER = re.compile(r"[A-Za-z][.)][ \t]+")


def after_option_marker(chunk: str, start: int, end: int, english: frozenset[str]) -> int:
    """Where a PERSON span really starts when it opens with a list marker, or -1.

    NER reads a multiple-choice option ("A. Leukemia") as an initial and a surname. At
    the start of a line the marker is dropped from the span; what is left is no name if
    it is one English word ("Leukemia", "Weight").
    """
    marker = _OPTION_MARKER.match(chunk, start, end)
    if marker is None or (start > 0 and chunk[start - 1] != "\n"):
        return start
    rest = chunk[marker.end() : end]
    if " " not in rest.strip() and rest.strip().lower() in english:
        return -1
    return marker.end()


def lowercase_noise(chunk: str, start: int, end: int) -> bool:
    """Is chunk[start:end] all lower case in a chunk with capitals elsewhere or in code?"""
    span = chunk[start:end]
    return span == span.lower() and (chunk != chunk.lower() or looks_like_code(chunk))
