"""Framing per name: is one person a request mentions invented, public, cited or private?

A name is weak only because of what surrounds *that name*, never because of a task
verb or a stray word elsewhere in a long prompt (issues 11 and 12). Each person is
found at every place their name occurs (a shorter form, "Musk" for "Elon Musk",
counts as the same person) and each place is read in its own sentence (the patterns
are in ``cues.py``):

* **private** (beats everything below): a greeting or salutation before it ("Hi
  Anna,", "Dear Mr. Okafor", "Привет, Наталья"), a sign-off ("Best,\\nTom"), a
  mail header ("From: ..."), "to/for <name>" after write/email/message/letter
  words, or "email/invite/thank <name>".
* **cited**: a reference after it ("Smith et al.", "Smith (2020)", "(Smith, 2020)").
* **public**: its family name could be a public figure's (``known`` names, plus
  ``cues.MODERN_PUBLIC_NAMES``) and its sentence has a public cue ("president",
  "novel", "inaugural", a quoted 'Title'), a public title stands right before it
  ("CEO", "Senator") or a titled work right after it ("Shakespeare's Hamlet").
* **notable**: a full name on the notable-name list (``notables``: a Wikipedia title
  whose first and family name are rare together), with none of the private cues above.
* **invented**: its sentence makes people up ("a story about", "pretend", "suppose"),
  its paragraph is an exercise (a word problem's "how many", a quiz, answer options
  under a question, an empty "Answer:" slot), or it follows an introducer that asks
  for made-up people or gives an example ("Here is an example:").
* **material** (private too, but below the weak verdicts): inside quoted text or
  ``>`` lines, or after an introducer (a clause ending in ":", or a first line with
  more lines after it) that hands over material to work on ("Summarize this note:",
  "Translate:", "Reply to the email.\\n...").

A person with a private place is private; otherwise one weak place makes them weak
(a president quoted in a pasted article), and only then does material count.
Organisation and product names are not PERSON findings, so nothing here sees them.

Example::

    framer = Framer(ScannerSettings(), known=frozenset({"obama"}))
    framer.verdicts(["Dear Anna, ..."], ["Anna"])   # ["private"]
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal, get_args

from edge_router.privacy import cues, public_names
from edge_router.privacy.exercises import is_exercise
from edge_router.privacy.lone_names import LoneNames
from edge_router.privacy.namelists import fold, load_name_lists
from edge_router.privacy.notables import load_notables
from edge_router.privacy.settings import ScannerSettings
from edge_router.privacy.translit import latin_variants
from edge_router.privacy.wholeword import whole_words

# In precedence order (``_combine``). "material": only inside pasted material (private
# unless another place is weak); "lone_name": a one-word non-given name (lone_names.py).
Verdict = Literal[
    "private", "cited", "public_context", "notable", "invented", "material", "lone_name", "none"
]
_ORDER: tuple[Verdict, ...] = get_args(Verdict)[:-2]
# Field index, start, end of one place a name occurs.
Place = tuple[int, int, int]

# A colon that ends a clause: followed by a space, a line break or the end.
_COLON = re.compile(r":(?=\s|$)")
_CLAUSE_BREAK = re.compile(r"[,;:]")
_WORD = re.compile(r"[^\W\d_]+")
_UNSPACED = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_ABBREVIATIONS = frozenset(
    {"mr", "mrs", "ms", "mx", "dr", "prof", "st", "jr", "sr", "vs", "etc", "al", "inc", "ltd",
     "co", "no", "fig", "eg", "ie", "approx", "dept", "gen", "gov", "sen", "rep", "rev"}
)  # fmt: skip
# A courtesy title ending the text before a name: "Ms. " in "Ms. Frizzle".
_TITLE_END = re.compile(r"\b(" + cues.TITLE + r")[ \t]+$", re.IGNORECASE)
_SENTENCE_END = re.compile(r"[.!?]+[\"'”’)\]]*(?:[ \t]*\n|(?=\s))|\n")


def phrase_regex(phrases: Sequence[str]) -> re.Pattern[str] | None:
    """One case-insensitive regex matching any phrase as whole words (flexible spaces)."""
    parts = sorted(
        {r"\s+".join(re.escape(w) for w in p.split()) for p in phrases if p.strip()},
        key=len,
        reverse=True,
    )
    if not parts:
        return None
    return re.compile(r"(?<![\w-])(?:" + "|".join(parts) + r")(?![\w-])", re.IGNORECASE)


def sentence_bounds(text: str) -> list[int]:
    """Offsets where sentences start (0 first): after . ! ? or a line break.

    A full stop after an abbreviation or an initial ("Dr.", "J.") ends nothing.
    """
    starts = [0]
    for match in _SENTENCE_END.finditer(text):
        if text[match.start()] == ".":
            word = re.search(r"(\w+)$", text[max(0, match.start() - 12) : match.start()])
            if word and (
                word.group(1).lower() in _ABBREVIATIONS
                or (len(word.group(1)) == 1 and word.group(1).isupper())
            ):
                continue
        start = match.end()
        while start < len(text) and text[start] in " \t":
            start += 1
        if start > starts[-1]:
            starts.append(start)
    return starts


@dataclass
class _Layout:
    """What one field's verdicts need, computed once however many names it holds."""

    text: str
    blanked: str  # every name overwritten by spaces
    sentences: list[int]  # sentence starts
    paragraphs: list[int]  # paragraph starts
    quotes: list[tuple[int, int]]
    introducers: list[tuple[int, str]]  # (end, "material" | "invented"), by position
    exercise: dict[int, bool] = field(default_factory=dict)  # paragraph start -> is one

    def sentence(self, pos: int) -> tuple[int, int]:
        i = bisect_right(self.sentences, pos) - 1
        end = self.sentences[i + 1] if i + 1 < len(self.sentences) else len(self.text)
        return self.sentences[i], end

    def in_exercise(self, pos: int) -> bool:
        i = bisect_right(self.paragraphs, pos) - 1
        start = self.paragraphs[i]
        if start not in self.exercise:
            end = self.paragraphs[i + 1] if i + 1 < len(self.paragraphs) else len(self.text)
            self.exercise[start] = is_exercise(self.blanked[start:end])
        return self.exercise[start]

    def introduced_as(self, pos: int) -> str | None:
        i = bisect_right(self.introducers, (pos, "~")) - 1
        return self.introducers[i][1] if i >= 0 else None


class Framer:
    """Per-name verdicts from compiled settings; pure and cheap (regexes on short windows)."""

    def __init__(self, settings: ScannerSettings, known: frozenset[str] = frozenset()) -> None:
        """``known``: lower-case words a public figure's family name may be (empty: any)."""
        # Family names of the well-known people in ``public_names`` may be public too
        # when the text gives the family name alone under a public cue ("Mahomes
        # threw three interceptions in the playoffs").
        self._known = (
            known | cues.MODERN_PUBLIC_NAMES | public_names.FAMILY_NAMES if known else known
        )
        self._public = phrase_regex(settings.public_context_words)
        self._invented = phrase_regex(settings.invented_context_words)
        self._task = phrase_regex(settings.task_verbs)
        self._notables = load_notables(settings.notable_names)
        self._lone = LoneNames(settings.given_names, known, on=settings.weak_lone_names)

    def verdicts(self, texts: Sequence[str], names: Sequence[str]) -> list[Verdict]:
        """One verdict per distinct person in ``names`` (the PERSON spans' text).

        Cues are read with every name blanked: a cue word inside a name ("Ivan King")
        is no cue, one inside another finding ("the Turing Award") is. A name found
        nowhere in ``texts`` gets "none".
        """
        groups = [(g, [p for name in g for p in _places(texts, name)]) for g in _group(names)]
        masked = _blank(texts, [p for _, places in groups for p in places])
        layouts: dict[int, _Layout] = {}
        out: list[Verdict] = []
        for group, places in groups:
            seen = []
            for index, start, end in places:
                if index not in layouts:
                    layouts[index] = self._layout(texts[index], masked[index])
                seen.append(self._place(layouts[index], start, end, group[0]))
            out.append(_combine(seen))
        return _kin_of_public(groups, out)

    def _layout(self, text: str, blanked: str) -> _Layout:
        sentences = sentence_bounds(text)
        paragraphs = [0, *(m.end() for m in cues.PARAGRAPH_BREAK.finditer(text))]
        quotes = [
            (m.start(), m.end())
            for regex in (cues.QUOTED, cues.QUOTE_LINE)
            for m in regex.finditer(text)
        ]
        layout = _Layout(text, blanked, sentences, paragraphs, quotes, [])
        layout.introducers = self._introducers(layout)
        return layout

    def _place(self, layout: _Layout, start: int, end: int, full_name: str) -> Verdict:
        text, blanked = layout.text, layout.blanked
        before = text[max(0, start - 120) : start]
        if start > 120:  # a window cut mid-word must not start a greeting ("Mac|hi ")
            before = re.sub(r"^\w+", "", before)
        s_start, s_end = layout.sentence(start)
        own = text[s_start:start]
        famous = self._famous(full_name, own)
        greeting = cues.GREETING_BEFORE.search(before)
        if (
            (greeting is not None and not (famous and cues.THANKS.search(greeting.group(0))))
            or cues.GREETING_INSIDE.match(text, start, end)
            or cues.SIGN_OFF_BEFORE.search(before)
            or cues.DASH_SIGNATURE.search(before)
            or cues.HEADER_BEFORE.search(before)
        ):
            return "private"
        if famous:
            # A famous full name is public even where a message is written to it or
            # thanked ("a tweet thanking X", "thank you X for the titles"); "Hi X," or
            # "Dear X" above it still make it private.
            return "public_context"
        addressed = cues.ADDRESSED_BEFORE.search(own) and not cues.NOT_ADDRESSED.search(own)
        if addressed or cues.VERB_BEFORE.search(own):
            return "private"
        cited_after = cues.CITED_AFTER.match(text[end : end + 40])
        if cited_after or "et al" in text[start:end].lower() or cues.in_reference(text, start):
            return "cited"
        sentence = blanked[s_start:s_end]
        words = text[start:end].split()
        if len(words) > 1:
            # NER sometimes swallows a cue into the name ("Suppose Benjamin"); the
            # masked sentence lost it, so its first word is read as a cue too.
            sentence += " " + words[0]
        if cues.PUBLIC_OFFICE_BEFORE.search(own) or cues.PUBLIC_POSITION_BEFORE.search(own):
            return "public_context"  # "CEO Koji Sato", "who was Ada Lovelace"
        if (
            cues.EPONYM_AFTER.match(text, end)
            or cues.PLACE_BEFORE.search(own)
            or cues.named_place(text, start, end, own)
            or cues.BRAND_AFTER.match(text, end)
            or cues.NAMED_AFTER_SPAN.search(text, start, end)
            or cues.ORG_AFTER.match(text, end)
            or cues.OFFICE_AFTER.match(text, end)
            or (cues.ORG_STAFF_BEFORE.search(own) and not _possessive(text, start, end))
        ):
            return "public_context"  # "the Kalman filter", "Lake Louise": no person meant
        if _regnal(text, start, end):
            return "public_context"  # "Henry VIII", "Louis XIV": monarchs and popes
        if _work_title(text, start, end, own):
            return "public_context"  # a name that is a work's title: «Анна Каренина», 《雷雨》
        if self._is_known(full_name) and (
            (self._public is not None and self._public.search(sentence))
            or cues.PUBLIC_ACTS.search(sentence)
            or cues.PUBLIC_ACTS_MORE.search(sentence)
            or cues.WORK_TITLE.search(sentence)
            or cues.PUBLIC_TITLE_BEFORE.search(own)
            or cues.WHO_IS_BEFORE.search(own)
            or cues.HISTORIC_YEAR.search(sentence)
            or _possessive_work(text, start, end)
        ):
            return "public_context"
        if cues.MEDIA_OR_SPORT.search(sentence):
            return "public_context"  # "season 2", "the premiere", "won the Boston Marathon"
        if self._notables is not None and self._notables.has_name(full_name):
            return "notable"  # a Wikipedia title that is a rare name: that notable person
        if not cues.LIFE_EVENT.search(sentence) and (
            (self._invented is not None and self._invented.search(sentence))
            or cues.HYPOTHETICAL.search(sentence)
            or cues.INVENTED_MORE.search(sentence)
            or layout.in_exercise(start)
        ):
            return "invented"
        if any(q_start < start and end < q_end for q_start, q_end in layout.quotes):
            return "material"
        kind = layout.introduced_as(start)
        if kind == "invented":
            return "invented"
        if kind == "material":
            return "material"
        if self._lone.famous_alone(text, start, end):
            return "notable"  # "why did Kafka write...": a famous family name alone
        return "lone_name" if self._lone.is_lone(text, start, end) else "none"

    def _famous(self, name: str, own: str) -> bool:
        """A well-known person's or character's full name (``public_names``), or a one-word
        name known on its own that is no listed first name; a title just before it counts
        as part of the name ("Ms. Frizzle"). In text written small a span may run on
        into the next words ("harry styles touring"): its first words count as the name
        when the rest is small too."""
        if public_names.is_public_name(name):
            return True
        words = name.split()
        if name.islower() and any(
            public_names.is_public_name(" ".join(words[:k])) for k in range(2, len(words))
        ):
            return True
        title = _TITLE_END.search(own)
        if title is not None and public_names.is_public_name(f"{title.group(1)} {name}"):
            return True
        if not public_names.is_mononym(name) or title is not None:
            return False
        lists = load_name_lists()
        return lists is None or public_names.canonical(name) not in lists.first

    def _is_known(self, name: str) -> bool:
        """Could ``name`` be a public figure's? Its family name (last word of 3+ letters)
        decides: WordNet lists "James" for famous bearers, so a first name vouches for no one.
        """
        if not self._known:
            return True
        words = [w.lower() for w in _WORD.findall(name) if len(w) >= 3]
        if not words:
            return False
        # Accents and other scripts: "Márquez", "Пушкин" (as "pushkin").
        spellings = {words[-1], fold(words[-1]), *latin_variants(words[-1])}
        return not spellings.isdisjoint(self._known)

    def _introducers(self, layout: _Layout) -> list[tuple[int, str]]:
        """(end, kind) of each introducer, by position, with a name after it taking the
        kind of the nearest one before it that is not neutral.

        Introducers are clauses of two or more words ending in ":" ("Summarize this
        email:", "Here is an example:"; not labels like "Roles:") and a field's first
        line when more lines follow.
        """
        blanked = layout.blanked
        found: list[tuple[int, str]] = []
        for colon in _COLON.finditer(blanked):
            s_start, _ = layout.sentence(colon.start())
            breaks = [m.end() for m in _CLAUSE_BREAK.finditer(blanked, s_start, colon.start())]
            clause = blanked[max([s_start, *breaks]) : colon.start()]
            if len(_WORD.findall(clause)) >= 2:
                found.append((colon.end(), clause))
        first_line_end = blanked.find("\n")
        if first_line_end >= 0:
            found.append((first_line_end, blanked[:first_line_end]))
        out: list[tuple[int, str]] = []
        for end, clause in sorted(found):
            kind = self._kind(clause)
            if kind is not None:
                out.append((end, kind))
        return out

    def _kind(self, clause: str) -> str | None:
        if cues.CONSUME.search(clause):
            return "material"
        if (
            (self._invented is not None and self._invented.search(clause))
            or cues.HYPOTHETICAL.search(clause)
            or cues.INVENTED_MORE.search(clause)
        ):
            return "invented"
        if cues.GIVEN.search(clause) or (self._task is not None and self._task.search(clause)):
            return "material"
        return None


def _combine(seen: Sequence[Verdict]) -> Verdict:
    """A marked private place makes the person private; else a weak place makes them weak
    (a president quoted in a pasted article); else pasted material makes them private."""
    for verdict in _ORDER:
        if verdict in seen:
            return verdict
    return "lone_name" if seen and all(v == "lone_name" for v in seen) else "none"


def _kin_of_public(
    groups: Sequence[tuple[list[str], list[Place]]], out: list[Verdict]
) -> list[Verdict]:
    """A person sharing a family name with a public one, and framed no other way, is
    public too: "Marie Curie ... She worked with Pierre Curie"."""
    public = {_family(g[0]) for (g, _), v in zip(groups, out, strict=True) if v == "public_context"}
    public.discard("")
    if not public:
        return out
    return [
        "public_context" if v in ("none", "material") and _family(g[0]) in public else v
        for (g, _), v in zip(groups, out, strict=True)
    ]


def _family(name: str) -> str:
    """The last word of a name of two words or more, lower case ("" for one word)."""
    words = _WORD.findall(name)
    return words[-1].lower() if len(words) > 1 else ""


def _group(names: Sequence[str]) -> list[list[str]]:
    """Distinct names, longest first, with shorter forms whose words they contain."""
    distinct = sorted({n.strip() for n in names if n.strip()}, key=len, reverse=True)
    groups: list[list[str]] = []
    for name in distinct:
        words = {w.lower() for w in _WORD.findall(name)}
        for group in groups:
            if words and words <= {w.lower() for w in _WORD.findall(group[0])}:
                group.append(name)
                break
        else:
            groups.append([name])
    return groups


def _places(texts: Sequence[str], name: str) -> list[Place]:
    # Chinese and Japanese are written without spaces: a name there has no word edges.
    left, right = not _UNSPACED.match(name[:1]), not _UNSPACED.match(name[-1:])
    return [
        (i, s, e)
        for i, t in enumerate(texts)
        for s, e in whole_words(t, name, left=left, right=right)
    ]


def _work_title(text: str, start: int, end: int, own: str) -> bool:
    """Does the name fill a title's brackets (Chinese 《》, always a work's title) or
    guillemets after a word for a work ("сюжет «Анны Карениной»")? Guillemets also quote
    speech ('подпиши «Мария»'), and plain quotes a signature ('sign it "Maria"')."""
    before, after = text[start - 1 : start], text[end : end + 1]
    if before == "《" and after == "》":
        return True
    return before == "«" and after == "»" and bool(cues.WORK_NOUN_BEFORE.search(own))


def _regnal(text: str, start: int, end: int) -> bool:
    """Does a regnal number or epithet follow the name, or end it ("Henry VIII", "Pius
    XII", "Peter the Great")?"""
    words = text[start:end].split()
    if (len(words) == 1 and cues.EPITHET_AFTER.match(text, end)) or (
        len(words) > 1 and cues.EPITHET_AFTER.fullmatch(" " + " ".join(words[1:]))
    ):
        return True  # "Catherine the Great", "Пётр Первый"
    numeral = ""
    if len(words) > 1 and (m := cues.ROMAN_AFTER.fullmatch(" " + words[-1])):
        numeral, words = m.group(1), words[:-1]
    elif m := cues.ROMAN_AFTER.match(text, end):
        numeral = m.group(1)
    if len(numeral) < 2 and numeral not in ("V", "X"):
        return False  # "I" is a pronoun, not Henry the first
    return len(words) == 1 or numeral not in ("II", "III", "IV")


def _possessive(text: str, start: int, end: int) -> bool:
    """Is the name at text[start:end] a possessive ("Dana's", "Dana’s firm")?"""
    return text[start:end].endswith(("'s", "’s")) or text[end : end + 2] in ("'s", "’s")


def _possessive_work(text: str, start: int, end: int) -> bool:
    """Is the name at text[start:end] a possessive followed by a capitalised title?"""
    if text[start:end].endswith(("'s", "’s")):
        return bool(cues.POSSESSIVE_WORK.match(text, end)) and text[end : end + 1] in " \t"
    return text[end : end + 2] in ("'s", "’s") and bool(cues.POSSESSIVE_WORK.match(text, end))


def _blank(texts: Sequence[str], places: Sequence[Place]) -> list[str]:
    """``texts`` with the given places overwritten by spaces (same length)."""
    chars = [list(t) for t in texts]
    for index, start, end in places:
        chars[index][start:end] = " " * (end - start)
    return ["".join(c) for c in chars]
