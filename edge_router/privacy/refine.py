"""Second look at the English pipeline's person names, knowing the text's language.

The NER model, the name lists and the context recognizer were built for English.
What they report is checked here against the text's ``scripts.Profile``:

* In another script (Han, Arabic, Cyrillic, ...) the English model cannot read
  the text: what it found there is dropped, names included, and
  ``foreign.ScriptNameRecognizer`` reads those scripts instead.
* In Spanish, French or German text a name from the lists must hold a listed word
  (the spelling model behind unlisted ones knows only English words), and a name
  span is trimmed to its name: leading and trailing function words, greetings and
  (in text that uses capitals) lower-case words go ("resume la obra de Gabriel
  García Márquez" -> "Gabriel García Márquez", "Liebe Svetlana" -> "Svetlana"), as
  do capitalised nouns after an article ("die Hausverwaltung", "zur Geburt").
  German capitalises every noun, so there a one-word name must be a listed name or
  follow a title or greeting.
* Everywhere: a word that labels a line ("Betreff:", "Attendees:") unless it is a
  listed name or a speaker before a quote, a codename after "Project", "Bill to:",
  weekday or month abbreviations ("Fri") and a word followed by a number ("Invoice
  4471") are no people; nor are common English words that NER took for a name only
  after lower-case text was re-cased for it ("keys", "email"), a listed city after "in"
  or "moving to", or a verb opening the sentence ("Summarise"). An NER span run on over
  small words is split ("Elon Musk rename Twitter"); a "phone" running into ":22" goes.

Example::

    refiner = Refiner(english_words(nlp), load_name_lists(), english_verbs(nlp))
    kept = refiner.refine(chunk, profile(chunk), results, recased=False)
"""

from __future__ import annotations

import copy
import re
from collections.abc import Sequence

from presidio_analyzer import RecognizerResult

from edge_router.privacy import cues
from edge_router.privacy.name_cues import EVERYDAY_AFTER, SIGN_OFF_END
from edge_router.privacy.namelists import NameLists, fold
from edge_router.privacy.nametext import NAME_PARTICLES as _PARTICLES
from edge_router.privacy.nametext import is_lowercase_prose, split_runs
from edge_router.privacy.reserved import reserved_ip
from edge_router.privacy.scripts import CALENDAR, CALENDAR_EN, Profile, script_of
from edge_router.privacy.scripts import STOP_WORDS as _STOP


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


# Articles and determiners: a capitalised word right after one is a noun ("die
# Hausverwaltung", "la Gare", "au Real"), unless it is a listed first name ("dem Fabian").
_ARTICLES = _words(
    "der die das den dem des ein eine einen einem einer eines kein keine mein meine meinen "
    "meinem meiner dein deine sein seine ihr ihre unser unsere im am zum zur vom beim ins ans "
    "el la los las un una unos unas del al mi mis tu tus su sus este esta le les une du des au "
    "aux mon ma mes ton ta tes son sa ses ce cette"
)
_TITLES = re.compile(r"(?:" + cues.TITLE + r"|señorita|srta|don|doña|mme|mlle)$", re.IGNORECASE)
_GREETING = re.compile(rf"(?:{cues.GREETING_WORDS})", re.IGNORECASE)
_WORD = re.compile(r"[^\W\d_][\w'’.-]*")
# Weekdays and months, abbreviated or not, in the four Latin-script languages.
# A codename, not a person: "Project Atlas", "Operation Overlord".
_CODENAME_BEFORE = re.compile(
    r"\b(?:project|operation|codename|code\s+name|programme|program|initiative|proyecto|"
    r"projet|projekt)[ \t]+$",
    re.IGNORECASE,
)
# Invoice and shipping labels that open a line: "Bill to:", "Ship to:".
_LINE_LABEL = re.compile(r"[ \t]+to[ \t]*:", re.IGNORECASE)
# "-woo" in "Hyun-woo", "-Luc" in "Jean-Luc"; then a capitalised family name.
_HYPHEN_TAIL = re.compile(r"-[^\W\d_]{2,}(?![\w-])")
_FAMILY_AFTER = re.compile(r"[ \t]+([A-Z][^\W\d_]+)(?![\w-])")
# A family name that starts with a capitalised particle, after a found given name.
_PARTICLE_NAME_AFTER = re.compile(
    r"[ \t]+(?:Le|La|De|Du|Des|Van|Von|Da|Di|Del|Della|Dos|Das)[ \t]+[A-Z][^\W\d_]+(?![\w-])"
)
# Chat shorthand NER takes for part of a name in re-cased text.
_CHAT_SHORTHAND = _words(
    "pls plz thx ty lol lmao tbh ngl imo imho rn btw idk omg smh fr ur ya vs bc cuz st rd ave "
    "asap tmrw tmr"
)
# A capitalised word right before a one-word name, on the same line: its given name.
_GIVEN_BEFORE = re.compile(r"(?<![\w.-])([A-Z][^\W\d_A-Z]{2,})[ \t]$")
_TIME_AFTER = re.compile(r":\d{2}(?!\d)")
_NUMBER_AFTER = re.compile(r"[ \t]+#?\d")
_SPEECH_AFTER = re.compile(r"[ \t]*\\?[\"“'«]")
_GAZETTEER = "GazetteerNameRecognizer"
_NER = "SpacyRecognizer"
_GERMAN_ARTICLE_BEFORE = re.compile(
    r"\b(?:der|die|das|den|dem|des|ein|eine|einen|einem|unsere?|meine?|deine?|ihre?|seine?|"
    r"(vom|zum|zur|im|ins|am|ans|aufs))"  # group 1: "vom Bett", a thing (not "beim Huber")
    r"[ \t]+$",
    re.IGNORECASE,
)


def _signed(chunk: str, s: int) -> bool:
    """Does the name at ``s`` close the text after a short sign-off ("LG Fenja")?"""
    m = SIGN_OFF_END.search(chunk)
    return m is not None and m.start(1) == s


# Recognizers that judged their spans themselves (scripts, layout, tables): kept as found.
_OURS = frozenset({"ScriptNameRecognizer", "LayoutNameRecognizer", "ColumnNameRecognizer"})
_PERSON = "PERSON"
_ORG = "ORGANIZATION"


class Refiner:
    """Checks and trims the English pipeline's findings by the text's language."""

    def __init__(
        self,
        english: frozenset[str],
        names: NameLists | None,
        verbs: frozenset[str] = frozenset(),
    ) -> None:
        """``verbs``: English verbs; one opening a sentence is no name ("Summarise")."""
        self._english = english
        self._verbs = verbs
        self._first = names.first if names else frozenset()
        self._places = names.places if names else frozenset()
        self._last = names.last if names else frozenset()

    def refine(
        self,
        chunk: str,
        prof: Profile,
        results: Sequence[RecognizerResult],
        *,
        recased: bool,
    ) -> list[RecognizerResult]:
        out = []
        mixed = chunk != chunk.lower() and not is_lowercase_prose(chunk)
        for r in results:
            by = _recognizer(r)
            if by in _OURS:
                out.append(r)
                continue
            span = chunk[r.start : r.end]
            if (by == _NER or r.entity_type == _PERSON) and script_of(span) != "latin":
                continue  # an English model's guess on a script it cannot read
            if (r.entity_type == "IP_ADDRESS" and reserved_ip(span)) or (
                r.entity_type == "PHONE_NUMBER" and _TIME_AFTER.match(chunk, r.end)
            ):
                continue  # "127.0.0.1" (reserved.py); "03/04 14" of "03/04 14:22": a time
            if r.entity_type != _PERSON:
                out.append(r)
                continue
            if by == _NER and mixed:  # one word is a run too: "Summarise" opening a prompt
                parts = split_runs(chunk, r.start, r.end, self._listed, self._verbs.__contains__)
                if parts != [(r.start, r.end)]:
                    out += self.refine(chunk, prof, _pieces(r, parts), recased=recased)
                    continue
            bounds = self._person(chunk, r.start, r.end, prof, mixed=mixed, ner=by == _NER)
            if bounds is None or self._placeholder(chunk, *bounds):
                continue  # none, or a template's slot: "To: [Customer name]"
            if by == _GAZETTEER and not self._listed_in(chunk, bounds, prof):
                continue
            if recased and by == _NER:
                bounds = self._trim_small_talk(chunk, *bounds)
                if bounds is None or self._common_word(chunk[bounds[0] : bounds[1]]):
                    continue
            if self._organisation(chunk, *bounds, results, by=by) or (
                by == _NER and self._place(chunk, *bounds)
            ):
                continue
            r.start, r.end = self._extend(chunk, *bounds)
            out.append(r)
        return out

    def _place(self, chunk: str, s: int, e: int) -> bool:
        """A listed city after "in", "à", "moving to"...: "sorties à Lyon", "en Valencia"."""
        before = cues.LOCATIVE_BEFORE.search(chunk, max(0, s - 30), s)
        owned = chunk[e : e + 1] in ("'", "’")  # "in Gonçalves' sheet": a person's
        return before is not None and not owned and fold(chunk[s:e].lower()) in self._places

    def _organisation(
        self, chunk: str, s: int, e: int, results: Sequence[RecognizerResult], *, by: str
    ) -> bool:
        """Is the one-word "name" chunk[s:e] a company or product, not a person?

        Brands are single words NER and the lists often take for names ("Deezer",
        "Canva"). A word that is a listed first name or stands after a title is left a
        person; any other is a brand when a product or service noun follows it ("X
        webhooks", "X templates", "the X app"), or, if it is in no name list, when it is
        listed with an organisation NER found ("Nike and X") or when its sentence is a
        customer's complaint or about a market ("complaint", "customer service", "market
        share"). NER calling the word itself an organisation is no proof: it does so for
        rare first names.
        """
        word = chunk[s:e]
        if " " in word or self._first_name(fold(word)) or self._titled(chunk, s):
            return False
        if not word[:1].isupper():
            return False
        orgs = [
            (o.start, o.end)
            for o in results
            if o.entity_type == _ORG and _recognizer(o) == _NER and (o.start, o.end) != (s, e)
        ]
        if cues.PRODUCT_AFTER.match(chunk, e):
            return True
        if self._listed(word):
            # A listed surname in a list with a company is a founder or partner
            # ("Kónya, Becker and Vasquez").
            return False
        for o_start, o_end in orgs:
            if cues.LIST_JOINER.fullmatch(chunk[o_end:s]) or cues.LIST_JOINER.fullmatch(
                chunk[e:o_start]
            ):
                return True
        sentence_start = max(chunk.rfind(c, 0, s) for c in ".!?\n") + 1
        ends = [i for i in (chunk.find(c, e) for c in ".!?\n") if i >= 0]
        sentence = chunk[sentence_start : min(ends, default=len(chunk))]
        return cues.COMPANY_CONTEXT.search(sentence) is not None

    def _extend(self, chunk: str, start: int, end: int) -> tuple[int, int]:
        """Take in the rest of a hyphenated given name and the family name after it:
        the tokenizer splits "Hyun-woo Park" so that NER and the lists see "Hyun" alone.
        A one-word name also takes in a capitalised word just before it that is no
        English word ("Author: Okechukwu Nnaji", where NER found "Nnaji" alone), so
        redaction does not leave the given name behind."""
        given = _GIVEN_BEFORE.search(chunk, max(0, start - 40), start)
        if (
            given is not None
            and " " not in chunk[start:end]
            and not self._not_given(given.group(1).lower())
        ):
            start = given.start(1)
        particle = _PARTICLE_NAME_AFTER.match(chunk, end)
        if particle is not None:  # "Yannick Le Goff", "Jan Van Dyck", "Ana De Souza"
            return start, particle.end()
        tail = _HYPHEN_TAIL.match(chunk, end)
        if tail is None:
            return start, end
        end = tail.end()
        family = _FAMILY_AFTER.match(chunk, end)
        if family is not None:
            word = family.group(1)
            low = word.lower()
            if (low not in self._english and low not in _ARTICLES) or self._listed(word):
                end = family.end()
        return start, end

    def _person(
        self, chunk: str, start: int, end: int, prof: Profile, *, mixed: bool, ner: bool
    ) -> tuple[int, int] | None:
        """The name's bounds inside chunk[start:end], or None when it is no name."""
        # A name sits on one line: "Brauckmann\nSumme" is a name and a table's next row.
        newline = chunk.find("\n", start, end)
        if newline > start and chunk[start:newline].strip():
            end = newline
        words = [(start + m.start(), start + m.end()) for m in _WORD.finditer(chunk[start:end])]
        words = [(s, s + len(chunk[s:e].rstrip(".'’-"))) for s, e in words]
        lang = prof.lang if prof.lang in _STOP else ""
        if lang:
            words = self._trim(chunk, words, lang, mixed=mixed)
        if not words:
            return None
        s, e = words[0][0], words[-1][1]
        if len(words) == 1 and not self._single_word_ok(chunk, s, e, lang):
            return None
        if lang and ner and not mixed and not any(self._listed(chunk[a:b]) for a, b in words):
            return None  # English NER on lower-case foreign prose: guesses ("llora")
        if lang == "de" and len(words) > 1 and not self._german_name(chunk, words):
            return None
        if _CODENAME_BEFORE.search(chunk[max(0, s - 20) : s]):
            return None
        if (
            ner
            and len(words) == 1
            and _NUMBER_AFTER.match(chunk, e)
            and not self._listed(chunk[s:e])
        ):
            return None  # "Rechnung 4471", "Invoice 118": a document, not a person
        return s, e

    def _trim(
        self, chunk: str, words: list[tuple[int, int]], lang: str, *, mixed: bool
    ) -> list[tuple[int, int]]:
        stop = _STOP[lang]

        def edge_noise(s: int, e: int) -> bool:
            word = chunk[s:e]
            low = word.lower()
            return (
                low in stop
                or _GREETING.fullmatch(low) is not None
                # small in a text with capitals: a word, unless a title comes first
                # ("schreib an herrn kowalski-brenner, dass die Lieferung ...")
                or (mixed and word[:1].islower() and not self._titled(chunk, s))
                or (self._after_article(chunk, s) and not self._first_name(low))
            )

        while words and edge_noise(*words[0]):
            words = words[1:]
        while words and edge_noise(*words[-1]):
            words = words[:-1]
        for i, (s, e) in enumerate(words[1:], start=1):
            low = chunk[s:e].lower()
            if low in stop and low not in _PARTICLES:
                return words[:i]
        return words

    def _single_word_ok(self, chunk: str, s: int, e: int, lang: str) -> bool:
        word = chunk[s:e]
        low = word.lower()
        # In English text only the English abbreviations: "said Mai to Jerry" is a name.
        calendar = CALENDAR if lang else CALENDAR_EN
        if low in calendar or _TITLES.fullmatch(low) or _GREETING.fullmatch(low):
            return False
        if lang and low in _STOP[lang]:
            return False
        if (
            chunk[e : e + 1] == ":"
            and not (self._listed_part(low) or self._titled(chunk, s))
            and not _SPEECH_AFTER.match(chunk, e + 1)
        ):
            return False  # a label ("Betreff:", "Attendees:"), not a speaker ('Mo: "Hi"')
        if _LINE_LABEL.match(chunk, e) and (s == 0 or chunk[s - 1] == "\n"):
            return False  # "Bill to:"
        if lang == "de":
            # Every German noun is capitalised: a lone word needs a list or a title, or
            # to do what people do with no article before it ("Brunnhuber hat die Zahlen
            # nicht geschickt", not "Die Firma hat ...").
            article = _GERMAN_ARTICLE_BEFORE.search(chunk, 0, s)
            return (
                (self._listed(low) and not (article and article.group(1)))
                or self._titled(chunk, s)
                or (EVERYDAY_AFTER.match(chunk, e) is not None and article is None)
                or _signed(chunk, s)
            )
        return True

    def _placeholder(self, chunk: str, s: int, e: int) -> bool:
        """In brackets with no name ("[Customer name]": "Name" is a surname, but a word)?"""
        opened = max(chunk.rfind(c, max(0, s - 30), s) for c in "[{<")
        closed = chunk.find({"[": "]", "{": "}", "<": ">"}.get(chunk[opened : opened + 1], "]"), e)
        inside = chunk[opened + 1 : closed]
        if opened < 0 or not 0 <= closed - e <= 30 or any(c in inside for c in "[]{}<>\n"):
            return False
        words = re.findall(r"[^\W\d_]+", inside.lower())  # "[Tomasz Nowak]" is a person
        return not any(self._listed(w) and not self._english_word(w) for w in words)

    def _german_name(self, chunk: str, words: list[tuple[int, int]]) -> bool:
        return any(self._listed_part(chunk[s:e]) for s, e in words) or self._titled(
            chunk, words[0][0]
        )

    def _listed_in(self, chunk: str, bounds: tuple[int, int], prof: Profile) -> bool:
        """Outside English a list hit needs a listed word: the spelling model vouching for
        unlisted ones tells names from *English* words; other languages' look like names."""
        if prof.lang not in _STOP:
            return True
        words = re.findall(r"[^\W\d_]+", chunk[bounds[0] : bounds[1]])
        return any(self._listed(w) for w in words)

    def _first_name(self, low: str) -> bool:
        """A listed first name as written: "niño" is no "Nino" (the lists are folded)."""
        return low == fold(low) and low in self._first

    def _listed(self, word: str) -> bool:
        folded = fold(word.lower())
        return folded in self._first or folded in self._last

    def _listed_part(self, word: str) -> bool:
        """Is ``word`` or one of its hyphenated parts listed ("Wen-Li", "Anne-Marie")?"""
        return any(self._listed(part) for part in word.split("-"))

    @staticmethod
    def _titled(chunk: str, s: int) -> bool:
        before = chunk[max(0, s - 24) : s].split()
        return bool(before) and (
            _TITLES.fullmatch(before[-1].rstrip(",")) is not None
            or _GREETING.fullmatch(before[-1].rstrip(",").lower()) is not None
        )

    @staticmethod
    def _after_article(chunk: str, s: int) -> bool:
        before = chunk[max(0, s - 12) : s]
        if not before.endswith((" ", "\t", "'", "’")):
            return False
        words = re.findall(r"[^\W\d_]+", before)
        return bool(words) and words[-1].lower() in _ARTICLES

    def _common_word(self, span: str) -> bool:
        """Common English words, none a listed first name ("keys", "whale episodes")."""
        words = span.lower().split()
        if not words or any(fold(w) in self._first for w in words):
            return False
        return all(self._english_word(w) for w in words)

    def _trim_small_talk(self, chunk: str, start: int, end: int) -> tuple[int, int] | None:
        """NER on re-cased chat runs a name on into the words around it ("lewandowski
        twice", "tweet pls", "vs saitama"): English words that are no listed first name
        and chat shorthand come off both ends; None when nothing is left."""
        words = [(start + m.start(), start + m.end()) for m in _WORD.finditer(chunk[start:end])]

        def small(s: int, e: int) -> bool:
            low = chunk[s:e].lower()
            if low in _CHAT_SHORTHAND:
                return True
            return self._english_word(low) and not self._first_name(low)

        # Off the end first, but an English word only while three words are left: the
        # second of two may be a family name that WordNet lists ("andy burnham").
        while words and (
            chunk[words[-1][0] : words[-1][1]].lower() in _CHAT_SHORTHAND
            or (len(words) > 2 and small(*words[-1]))
        ):
            words = words[:-1]
        while words and small(*words[0]):
            words = words[1:]
        return (words[0][0], words[-1][1]) if words else None

    def _not_given(self, low: str) -> bool:
        """A word, greeting, title or weekday, in any language we trim: no given name."""
        return (
            self._english_word(low)
            or low in _ARTICLES
            or low in CALENDAR
            or _GREETING.fullmatch(low) is not None
            or _TITLES.fullmatch(low) is not None
            or any(low in stop for stop in _STOP.values())
        )

    def _english_word(self, low: str) -> bool:
        return low in self._english or any(
            low.endswith(suffix) and low[: -len(suffix)] + repl in self._english
            for suffix, repl in (("s", ""), ("es", ""), ("ies", "y"), ("ed", ""), ("ing", ""))
        )


def _pieces(result: RecognizerResult, parts: list[tuple[int, int]]) -> list[RecognizerResult]:
    """``result`` cut to each of ``parts``: same type, score and recognizer."""
    pieces = []
    for start, end in parts:
        piece = copy.copy(result)
        piece.start, piece.end = start, end
        pieces.append(piece)
    return pieces


def _recognizer(result: RecognizerResult) -> str:
    meta = result.recognition_metadata or {}
    return str(meta.get(RecognizerResult.RECOGNIZER_NAME_KEY, ""))
