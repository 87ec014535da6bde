"""One-word names that are no given name: a family name, a character or a brand alone.

On real prompts, a private person named by one word and nothing else around it is
named by their given name ("is jamal still coming tonight", "ask Marisol if she still
has my Switch"); a private person named by their family name alone gets a title or an
initial ("write to mr.Nakamura", "frau dr. Wächtershäuser", "J. Okoro-Benson"). A
lone word that is no given name is then far more often somebody public or invented:
"Was Napoleon actually short?", "why did Achebe write...", "Senna and Prost",
"Hashimoto's", "should i side with roche or iorveth", "Dr. Martens" (a title, so not
this rule). Framing asks this only when nothing else placed the name: any private cue
(greeting, "write to", a relation, a sign-off, a list of people, pasted material) came
first. A name stays private, too, where any of its occurrences has a title or an
initial, a capitalised word NER left off ("Maha Cazares"), a question for a name
("your last name?"), a speech verb ("says Joly"), a thing owned ("the Kowalski file") or
an errand in its sentence ("...arrives tomorrow").

"Given name" is decided by two lists: the built-in per-locale first names
(``namelists``) and ``models/given-names.u64`` (``notables_build.given``: first names a
name-frequency data set ranks high, or better as first than as family names). Only
Latin-script words are judged: the lists are thin for other scripts, so a Cyrillic,
Arabic or Han name alone stays private.

Example::

    lone = LoneNames("models/given-names.u64")
    lone.is_lone("Was Napoleon actually short?", 4, 12)   # True
    lone.is_lone("is jamal still coming", 3, 8)           # False: a given name
"""

from __future__ import annotations

import re

from edge_router.privacy import cues
from edge_router.privacy.famous import is_famous_surname
from edge_router.privacy.foreign_cues import CYRILLIC_BEFORE, CYRILLIC_ROLE_BEFORE
from edge_router.privacy.name_cues import FROM_TEAM
from edge_router.privacy.namelists import fold, load_name_lists
from edge_router.privacy.notables import Notables, load_notables
from edge_router.privacy.wholeword import whole_words

# One word of Latin letters (accents, inner hyphen or apostrophe), an optional "'s".
_LATIN_WORD = re.compile(r"[A-Za-zÀ-ÖØ-öø-ɏ]+(?:[-'’][A-Za-zÀ-ÖØ-öø-ɏ]+)*")
_POSSESSIVE = re.compile(r"['’]s?$")
# One to three words in any script: a family name ("Kafka", "García Márquez", "鲁迅").
_ANY_NAME = re.compile(r"[^\W\d_]+(?:(?:[-'’]| (?=\w))[^\W\d_]+){0,2}")
# A title ("Mr", "Frau", "Dr.", "mr.Nakamura") or an initial ("J. ") just before.
_TITLE_BEFORE = re.compile(
    r"\b(?:" + cues.TITLE + r"|mme|mlle|don|doña|sir|dame|lady|lord)\.?\s*$", re.IGNORECASE
)
_INITIAL_BEFORE = re.compile(r"\b[A-Z]\.\s*$")
# A name asked for or given ("What's your last name? Magnusson"), or a speaker quoted
# ("...," says Joly): a person in the conversation, not a public figure in a question.
_NAME_ASKED = re.compile(r"\b(?:name|nom|nombre)\b[^.!\n]{0,20}$", re.IGNORECASE)
_SPEECH_BEFORE = re.compile(r"\b(?:says|said|asks|asked|told|tells)\s+$", re.IGNORECASE)
_SPEECH_AFTER = re.compile(r"\s*,?\s*(?:says|said|asks|asked|told|tells)\b", re.IGNORECASE)
# Someone's things or errands: "the Kowalski file", "Kowalski's box arrives tomorrow".
_OWNED_AFTER = re.compile(
    r"(?:['’]s?)?\s+(?:file|case|account|order|invoice|report|contract|box|parcel|package|"
    r"house|flat|family|kids|car|project|ticket|booking|appointment)s?\b",
    re.IGNORECASE,
)
# Someone the user deals with: "ask Kafka if...", "email Proust", "met Goethe at",
# "dile a Cervantes", "sag Goethe".
_DEALT_WITH = re.compile(
    r"\b(?:ask|tell|remind|e-?mail|message|text|call|ring|ping|invite|thank|cc|bcc|meet|"
    r"visit|pay|hire|contact|(?:reply|write|send|forward|talk|speak|spoke|talked|chat|"
    r"wrote|sent)\s+(?:to|with)|asked|told|called|e-?mailed|messaged|texted|pinged|invited|"
    r"thanked|met|paid|hired|contacted|dile\s+a|dis\s+à|sag|frag|schreib)\s+$",
    re.IGNORECASE,
)
_ERRAND = re.compile(
    r"\b(?:today|tonight|tomorrow|yesterday|this (?:morning|afternoon|evening|week)|"
    r"next (?:week|month)|on (?:mon|tues|wednes|thurs|fri|satur|sun)day|"
    # ... in the languages we read, and work owed: "still hasn't sent the deck"
    r"завтра|сегодня|вчера|до\s+сих\s+пор|mañana|hoy|ayer|demain|aujourd['’]hui|morgen|"
    r"heute|gestern|(?:has|have|had|did|does)(?:n['’]?t|\s+not)\s+(?:yet\s+)?(?:sent|"
    r"replied|paid|signed|answered|called|returned|submitted|finished|delivered|confirmed)|"
    r"hasnt|didnt|still\s+owes|не\s+(?:прислал|ответил|отправил|заплатил|подписал|сдал|"
    r"вернул)\w*)\b|明天|今天|昨天",
    re.IGNORECASE,
)
# The request is a message to the person: "write him a nudge", "напиши ему", "écris-lui".
_TO_THEM = re.compile(
    r"\b(?:write|send|text|e-?mail|message|reply\s+to|answer|nudge|remind|tell|ask|thank|"
    r"congratulate)\s+(?:him|her|them)\b|\bнапиш\w*\s+(?:ему|ей|им)\b|"
    r"\bescr[íi]bele\b|\bécris[- ]lui\b|\bschreib\w*\s+(?:ihm|ihr)\b",
    re.IGNORECASE,
)


class LoneNames:
    """``is_lone``: is the name at ``text[start:end]`` a one-word non-given name?"""

    def __init__(
        self, given_names: str | None, english: frozenset[str] = frozenset(), *, on: bool = True
    ) -> None:
        """``english``: lower-case English words; a capitalised word that starts a
        sentence and is none of them is read as the name's first part ("Maha Cazares").
        ``on`` False (``privacy.weak_lone_names`` off): ``is_lone`` is always False, the
        list still answers ``is_given``."""
        self._given: Notables | None = load_notables(given_names)
        self._english = english
        self._on = on
        lists = load_name_lists()
        self._first = lists.first if lists is not None else None

    @property
    def enabled(self) -> bool:
        """Off when not asked for or without either list: every one-word name stays
        possibly private."""
        return self._on and self._given is not None and self._first is not None

    def listed(self, folded: str) -> bool:
        """Is the folded word on the given-name list (False without the list)?"""
        return self._given is not None and self._given.has_parts([folded])

    def is_given(self, word: str) -> bool:
        key = fold(word)
        return (self._first is not None and key in self._first) or self.listed(key)

    def is_lone(self, text: str, start: int, end: int) -> bool:
        if not self.enabled:
            return False
        word = _POSSESSIVE.sub("", text[start:end])
        if not _LATIN_WORD.fullmatch(word) or self.is_given(word):
            return False
        return self._uncued(text, word)

    def famous_alone(self, text: str, start: int, end: int) -> bool:
        """Is ``text[start:end]`` a famous name (``famous``: a family name alone, up to
        three words) with no private cue at any of its occurrences? Answered whether
        or not the opt-in lone-name rule is on."""
        word = _POSSESSIVE.sub("", text[start:end])
        if word.islower() and " " in word and not is_famous_surname(word):
            # NER on re-cased text runs a name on into the next word ("napoleon sell").
            parts = word.split()
            word = next(
                (" ".join(parts[:k]) for k in range(len(parts) - 1, 0, -1)
                 if is_famous_surname(" ".join(parts[:k]))),
                word,
            )  # fmt: skip
        return (
            _ANY_NAME.fullmatch(word) is not None
            and is_famous_surname(word)
            and self._uncued(text, word)
            and not _with_someone_else(text, start, end)
        )

    def _uncued(self, text: str, word: str) -> bool:
        """No message to them in the request ("write him"), and no title, initial, name
        before, question for a name, speech verb, owned thing, errand, dealing with the
        person ("ask Kafka if"), team or Russian role word at any occurrence of ``word``."""
        if _TO_THEM.search(text):
            return False
        # Any of these at any occurrence: "Mr. Hashimoto ... Hashimoto said".
        for at, end in whole_words(text, word):
            window = text[max(0, at - 40) : at]
            joined = window.endswith("-") or text.startswith("-", end)
            if (
                joined
                or _TITLE_BEFORE.search(window)
                or _INITIAL_BEFORE.search(window)
                or self._part_of_a_name(window)
                or _NAME_ASKED.search(window)
                or _SPEECH_BEFORE.search(window)
                or _SPEECH_AFTER.match(text, end)
                or _OWNED_AFTER.match(text, end)
                or _ERRAND.search(_sentence(text, at))
                or _DEALT_WITH.search(window)
                or FROM_TEAM.match(text, at)  # "Musk in procurement", "Kafka from IT"
                or CYRILLIC_BEFORE.search(window)  # "передай Пушкину", "моему соседу"
                or CYRILLIC_ROLE_BEFORE.search(window)  # "соседу Пушкину", "врач Чехов"
            ):
                return False
        return True

    def _part_of_a_name(self, window: str) -> bool:
        """Does ``window`` end in a capitalised word that does not start a sentence, or
        that does and is no English word ("Was Napoleon" is a question, "Maha Cazares"
        a name NER cut short)?"""
        m = re.search(r"([\w'’-]+)\s+$", window)
        if m is None or not m.group(1)[:1].isupper():
            return False
        head = window[: m.start()].rstrip()
        if head and head[-1] not in '.!?:;"“«(\n' and not head.endswith(("--", "—")):
            return True
        return m.group(1).lower() not in self._english


# A capitalised word joined by "and" (in the languages we read) before or after a name.
_JOINED_AFTER = re.compile(r"['’]?s?\s+(?:and|&|y|e|et|und|и)\s+([^\W\d_][\w'’-]*)")
_JOINED_BEFORE = re.compile(r"([^\W\d_][\w'’-]*)\s+(?:and|&|y|e|et|und|и)\s+$")


def _with_someone_else(text: str, start: int, end: int) -> bool:
    """Is the name paired with a capitalised name that is not famous ("Abramovich and
    Wilson were engineers")? Two famous names pair up ("Kafka and Camus"); a famous
    one with anybody else is likelier a namesake among people the user knows."""
    after = _JOINED_AFTER.match(text, end)
    before = _JOINED_BEFORE.search(text, max(0, start - 40), start)
    others = [m.group(1) for m in (after, before) if m is not None]
    return any(w[:1].isupper() and not is_famous_surname(w) for w in others)


def _sentence(text: str, at: int) -> str:
    """The sentence (or line) around ``at``."""
    start = max(text.rfind(c, 0, at) for c in ".!?\n") + 1
    ends = [e for e in (text.find(c, at) for c in ".!?\n") if e >= 0]
    return text[start : min(ends, default=len(text))]
