"""Recognizers for numbers and addresses that Presidio's stock ones miss.

Each one validates what it can (Luhn, IBAN mod-97) and otherwise asks for a
context cue next to the value, so that a bare number in a maths question or a
log line stays clean:

* ``LuhnCardRecognizer``: any Luhn-valid 12-19 digit card number, with
  consistent separators (Presidio's regex knows only some issuer prefixes and
  lengths).
* ``ContextPhoneRecognizer``: local numbers without an area code
  ("call me on 450 0840", "not answering at 41 772913"), which ``phonenumbers``
  cannot place in a region; only next to a phone cue before them (in the same
  sentence) or a label after them ("0612 345 678 mobile"), and not when the
  digit groups read as a quantity, year, date, decimal, IP or progression.
* ``AnyCaseIbanRecognizer``: IBANs typed in lower case, checked with mod-97.
* ``PostalAddressRecognizer``: military (PSC/APO/FPO) addresses, "City, ST
  12345" lines, postal codes after "zip code", and, a few words after an
  address cue ("I live at", "send it to", "my address is", "the bakery is on",
  "meet ... at"), "Street Name 12" or "34 Street Name 12" in any script, where
  the word before the number is no label ("Room 101", "Python 3", "May 5").

Example::

    LuhnCardRecognizer().analyze("card 4111 1111 1111 1111", ["CREDIT_CARD"])
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from itertools import pairwise
from typing import Any

from presidio_analyzer import EntityRecognizer, RecognizerResult
from presidio_analyzer.nlp_engine import NlpArtifacts
from spacy.lang.en.stop_words import STOP_WORDS


class _RegexRecognizer(EntityRecognizer):
    """Shared plumbing: subclasses yield (start, end, score) from ``_find``."""

    ENTITY = ""

    def __init__(self, supported_language: str = "en") -> None:
        super().__init__(
            supported_entities=[self.ENTITY],
            name=type(self).__name__,
            supported_language=supported_language,
        )

    def load(self) -> None:
        """Nothing to load: compiled regexes only."""

    def analyze(
        self, text: str, entities: list[str], nlp_artifacts: NlpArtifacts | None = None
    ) -> list[RecognizerResult]:
        if entities and self.ENTITY not in entities:
            return []
        meta: dict[str, Any] = {
            RecognizerResult.RECOGNIZER_NAME_KEY: type(self).__name__,
            RecognizerResult.RECOGNIZER_IDENTIFIER_KEY: self.id,
        }
        return [
            RecognizerResult(self.ENTITY, start, end, score, recognition_metadata=meta)
            for start, end, score in self._find(text)
        ]

    def _find(self, text: str) -> Iterator[tuple[int, int, float]]:
        raise NotImplementedError


# A sentence end: "!" or a full stop before a capital ("Tel. 555" is no end). Not "?":
# a question is often answered with the number ("What's your number? 0612 34 56 78").
_SENTENCE_BREAK = re.compile(r"!\s|\.\s+(?=[A-Z])")


def _cue_before(
    cue: re.Pattern[str], text: str, start: int, reach: int, sentence: bool = False
) -> bool:
    """Does ``cue`` occur in the ``reach`` characters before ``start``?

    Always within the paragraph; with ``sentence``, also within the sentence.
    """
    window = text[max(0, start - reach) : start]
    window = window[window.rfind("\n\n") + 1 :]
    if sentence:
        cut = 0
        for end in _SENTENCE_BREAK.finditer(window):
            cut = end.end()
        window = window[cut:]
    return cue.search(window) is not None


def luhn_valid(digits: str) -> bool:
    total = 0
    for i, char in enumerate(reversed(digits)):
        value = int(char) * (2 if i % 2 else 1)
        total += value - 9 if value > 9 else value
    return total % 10 == 0


_CARD = re.compile(r"(?<![\d.,/:-])\d{2,6}(?:([ -]?)\d{2,7})*(?![\d.,/:-]?\d)")
_CARD_CUE = re.compile(
    r"\b(?:card|cards|credit|debit|visa|master\s?card|amex|american\s+express|discover|maestro|"
    r"jcb|diners|cc|pan|cvv|expir\w*|charge|billing)\b",
    re.IGNORECASE,
)
# Issuer prefixes of the major networks (ISO/IEC 7812): enough, with Luhn, without a cue.
_IIN = re.compile(r"^(?:4|5[1-5]|2[2-7]|3[47]|6(?:011|5|4[4-9]|2)|35)")


class LuhnCardRecognizer(_RegexRecognizer):
    """Luhn-valid card numbers of 12-19 digits, grouped by spaces or dashes or not at all."""

    ENTITY = "CREDIT_CARD"

    def _find(self, text: str) -> Iterator[tuple[int, int, float]]:
        for match in _CARD.finditer(text):
            value = match.group(0)
            separators = set(re.findall(r"\D", value))
            if len(separators) > 1:
                continue
            digits = re.sub(r"\D", "", value)
            if not 12 <= len(digits) <= 19 or len(set(digits)) < 3 or not luhn_valid(digits):
                continue
            cue = _cue_before(_CARD_CUE, text, match.start(), 60)
            # A Luhn pass alone is 1 in 10 for random digits: without a card cue,
            # also require a network prefix and a card-like length.
            if cue:
                yield match.start(), match.end(), 0.8
            elif _IIN.match(digits) and 13 <= len(digits) <= 19:
                yield match.start(), match.end(), 0.6


# Digit groups joined by one space, dash or dot, optionally a (area) prefix and +country:
# "450 0840", "99 668472", "06-24312407", "+33 (0)6 12 34 56 78", or one unbroken run
# ("5551234"). Inner groups have 2+ digits so a list of single digits is no phone; the
# lookbehinds keep a match from starting inside a longer number, a price or a version.
_LOCAL_PHONE = re.compile(
    r"(?<![\w./:+$€£¥#-])(?<!\d[ .,])(?:\+\d{1,3}[ .-]?)?(?:\(\d{1,4}\)[ .-]?)?\d{1,12}"
    r"(?:[ .-]\d{2,8}){0,4}(?:\s*(?:ext\.?|x)\s*\d{1,5})?"
    # Nothing glued on after, except a "-Office"/"-Fax" label; no further digit group
    # (more than five groups is a list of numbers, not a phone).
    r"(?![\w]|[ .,/:]\d|-(?!(?:office|fax|mobile|cell|home|work|tel|phone)\b))",
    re.IGNORECASE,
)
# Words that make a nearby number a phone number. "message(s)", "registered" and
# "answering" cover the informal support-chat phrasing ("stop sending messages to ...",
# "my registered 668 5702", "they're not answering at ...").
_PHONE_CUE = re.compile(
    r"\b(?:(?:tele|cell|smart|mobile\s)?phone[sd]?|tel|mob|mobile|cell|number|no\.|"
    r"call(?:s|ing|ed)?|dial(?:l?ed|l?ing)?|ring(?:ing)?\s+(?:me|us|him|her|them)|rang|"
    r"reach(?:ed|able)?|"
    r"answer(?:ing|ed)|contact(?:ed)?|text(?:s|ed|ing)?|messag(?:e[sd]?|ing)|sms|mms|"
    r"whats\s?app|viber|telegram|voicemail|fax|hotline|helpline|landline|"
    r"extension|registered)\b",
    re.IGNORECASE,
)
# Cues strong enough for an unbroken run of digits ("call 5551234"); "number", "no."
# or "registered" before 8 plain digits is as likely an order or account number.
_STRONG_PHONE_CUE = re.compile(
    r"\b(?:(?:tele|cell|smart|mobile\s)?phone[sd]?|tel|mob|mobile|cell|"
    r"call(?:s|ing|ed)?|dial(?:l?ed|l?ing)?|ring(?:ing)?\s+(?:me|us|him|her|them)|rang|"
    r"text(?:s|ed|ing)?|"
    r"sms|whats\s?app|viber|telegram|voicemail|fax|landline)\b",
    re.IGNORECASE,
)
# A label straight after the number: "416 60 039 office", "(37) 788-063-Office".
_PHONE_LABEL_AFTER = re.compile(
    r"[ \t]*[-–(]?[ \t]*(?:office|fax|mobile|cell|home|work|tel|phone|landline)\b",
    re.IGNORECASE,
)
# A count or a unit straight after the number: "reached 120 450 300 users" is no phone.
_QUANTITY_AFTER = re.compile(
    r"\s*(?:%|(?:percent|people|persons|users|customers|subscribers|followers|views|visitors|"
    r"members|votes|voters|messages|texts|calls|times|copies|units|items|records|rows|"
    r"bytes|[kmgt]b|dollars|euros|pounds|usd|eur|gbp|km|kms|miles|kg|tons|tonnes|years|"
    r"months|days|hours|minutes|seconds|ms|words|characters|pages|steps)\b)",
    re.IGNORECASE,
)
_YEAR = re.compile(r"(?:19|20)\d\d")


def _not_a_phone(groups: list[str], separators: set[str], prefixed: bool) -> bool:
    """Digit groups that are numbers of another kind: quantities, years, dates, decimals."""
    if prefixed:  # "+44 ..." or "(0)6 ...": a phone by its form
        return False
    if "." in separators and (len(groups) == 2 or separators != {"."}):
        return True  # a decimal: "12345.6789", "3.14159 26535"
    if all(len(g) == 4 and _YEAR.fullmatch(g) for g in groups):  # "1998 2005": years
        return True
    lengths = [len(g) for g in groups]
    if (lengths == [4, 2, 2] and _YEAR.fullmatch(groups[0])) or (
        lengths == [2, 2, 4] and _YEAR.fullmatch(groups[2])
    ):
        return True  # a date: "2023-10-12", "12.10.2023"
    if separators == {"."} and len(groups) == 4 and all(int(g) <= 255 for g in groups):
        return True  # an IPv4 address, the IP recognizer's

    # A run of numbers in steps or ratios: "12 24 36 48", "1024 2048 4096".
    if len(groups) >= 3 and not any(g.startswith("0") for g in groups):
        values = [int(g) for g in groups]
        steps = {b - a for a, b in pairwise(values)}
        ratios = {b / a for a, b in pairwise(values)}
        if len(steps) == 1 or len(ratios) == 1:
            return True
    if len(groups) == 1:  # "20231012" as a date, "2500000" as a round count
        digits = groups[0]
        return digits.endswith("000") or (len(digits) == 8 and bool(_YEAR.match(digits)))
    # Thousands grouping ("1 234 567", "12 500 000", "1.234.567"): a quantity when it
    # starts with a single digit or ends in 000; "699 956 915" stays a phone.
    thousands = len(separators) == 1 and 1 <= lengths[0] <= 3 and set(lengths[1:]) == {3}
    return thousands and (lengths[0] == 1 or groups[-1] == "000")


class ContextPhoneRecognizer(_RegexRecognizer):
    """Phone numbers in local formats, next to a phone cue ("call me on ...", "... fax")."""

    ENTITY = "PHONE_NUMBER"

    def _find(self, text: str) -> Iterator[tuple[int, int, float]]:
        for match in _LOCAL_PHONE.finditer(text):
            if match.end() - match.start() < 7:  # most numbers in prose: too short
                continue
            value = re.split(r"\s*(?:ext\.?|x)\s*", match.group(0), flags=re.IGNORECASE)[0]
            digits = re.sub(r"\D", "", value)
            if not 7 <= len(digits) <= 15 or len(set(digits)) < 3:
                continue
            prefixed = value.startswith(("+", "("))
            groups = re.findall(r"\d+", value)
            if _not_a_phone(groups, set(re.findall(r"[ .-]", value)), prefixed):
                continue
            if _QUANTITY_AFTER.match(text, match.end()):
                continue
            # An unbroken run needs a strong cue close by; groups take any cue in reach.
            if len(groups) == 1 and not prefixed:
                cued = _cue_before(_STRONG_PHONE_CUE, text, match.start(), 30, sentence=True)
            else:
                cued = _cue_before(_PHONE_CUE, text, match.start(), 40, sentence=True)
            if cued or _PHONE_LABEL_AFTER.match(text, match.end()):
                yield match.start(), match.end(), 0.6


_IBAN = re.compile(r"\b[a-zA-Z]{2}\d{2}(?:[ ]?[a-zA-Z0-9]){11,30}\b")


def iban_valid(value: str) -> bool:
    compact = value.replace(" ", "").upper()
    if not 15 <= len(compact) <= 34:
        return False
    moved = compact[4:] + compact[:4]
    return int("".join(str(int(c, 36)) for c in moved)) % 97 == 1


class AnyCaseIbanRecognizer(_RegexRecognizer):
    """IBANs in any letter case (Presidio's regex wants capitals), checked with mod-97."""

    ENTITY = "IBAN_CODE"

    def _find(self, text: str) -> Iterator[tuple[int, int, float]]:
        for match in _IBAN.finditer(text):
            value = match.group(0)
            # Trailing words may have been swallowed by the optional spaces; back off.
            while value and not iban_valid(value) and " " in value:
                value = value.rsplit(" ", 1)[0]
            if iban_valid(value):
                yield match.start(), match.start() + len(value), 0.9


_MILITARY = re.compile(
    r"\b(?:(?:PSC|CMR|Unit)\s+\d{1,5},?\s+Box\s+\d{1,5}|(?:USNS|USS|USCGC)\s+[^\W\d_][\w'’.-]*"
    r"(?:[ \t]+[^\W\d_][\w'’.-]*){0,2})\s*,?\s*(?:(?:APO|FPO|DPO)\s+(?:AA|AE|AP)\s+\d{5})?"
    r"|\b(?:APO|FPO|DPO)\s+(?:AA|AE|AP)\s+\d{5}\b",
    re.IGNORECASE,
)
# "Springfield, IL 62704" / "Boston, MA 02101-1234": a city, a state code, a ZIP.
_CITY_STATE_ZIP = re.compile(
    r"\b[^\W\d_][\w'’.-]*(?:[ \t][^\W\d_][\w'’.-]*){0,3},[ \t]*[A-Z]{2}[ \t]+\d{5}(?:-\d{4})?\b"
)
# "my zip code is 72664", "postcode: SW1A 1AA", "postal code H2X 1Y4".
_POSTAL = re.compile(
    r"\b(?:zip(?:\s*code)?|post(?:al)?\s*code|postcode)\s*(?:is|was|:|=|-)?\s*"
    r"(\d{5}(?:-\d{4})?|\d{4,6}|[A-Z]\d[A-Z]\s?\d[A-Z]\d|[A-Z]{1,2}\d[A-Z\d]?\s?\d[A-Z]{2})\b",
    re.IGNORECASE,
)
# ---- streets after an address cue ---------------------------------------------------
# A cue that an address follows somewhere in the next few words: "I live at", "my
# address is", "send it to", "located at", "meet (Tuesday) at", "the corner of",
# "arrived at", "the bakery is on". The street itself is found by its shape after it.
_STREET_CUE = re.compile(
    r"\b(?:address(?:es)?|addr\.?|"
    r"liv(?:e[sd]?|ing)\s+(?:at|on|in)|resid(?:e[sd]?|ing)\s+(?:at|on|in)|staying\s+at|"
    r"(?:located|situated)\s+(?:at|on|in)|based\s+(?:at|in)|"
    # "send a new one to": a few words between, but only after verbs that move things,
    # not "take" or "come" ("take the machine to fill 500 bottles").
    r"(?:send|sent|ship|shipped|deliver|delivered|mail|mailed|post|forward)(?:\s+[\w']+){0,3}?"
    r"\s+to|(?:return|move|moved|moving|taxi|come|drive|bring|take)\s+(?:it\s+|them\s+|me\s+|"
    r"us\s+)?to|"
    r"meet(?:ing|s)?(?:\s+[\w']+){0,2}?\s+at|arrived\s+at|(?:pick|drop)\s+(?:me|us|it)\s+"
    r"(?:up|off)\s+at|visit\s+us\s+at|(?:corner|intersection|junction)\s+of|"
    # A place as the subject: "the bus station is on ...", "our office is at ...".
    r"(?:office|house|home|flat|apartment|shop|store|restaurant|caf[eé]|bar|pub|hotel|"
    r"hostel|station|school|clinic|hospital|bank|branch|headquarters|hq|warehouse|venue|"
    r"studio|gym|salon|bakery|pharmacy|church|museum|factory|garage|depot)s?\s+"
    r"(?:is|are|was|were|sits|lies)\s+(?:(?:located|situated)\s+)?(?:at|on|in))\b",
    re.IGNORECASE,
)
# How far after a cue a street may start, and the words a street name may have.
_STREET_REACH = 90
_STREET_WORDS = 5
# The house number that ends a street ("Havnegata 14", "Pod Floriánem 1677", "Torvet 18b"),
# not a time, a decimal, a fraction, a percentage or a quantity.
_STREET_NUMBER = re.compile(
    r"(?<![\w.,:/-])\d{1,4}[A-Za-z]?(?![\w%]|[.,:/]\d|\s*(?:am|pm|a\.m|p\.m|o'clock|h|hours?|"
    r"hrs?|minutes?|mins?|seconds?|secs?|days?|weeks?|months?|years?|times?|km|kms|m|cm|mm|"
    r"kg|g|lbs?|ft|feet|miles?|people|persons|percent|points?|items?|euros?|dollars?|"
    r"usd|eur)\b)",
    re.IGNORECASE,
)
_WORD = re.compile(r"[^\W\d_][\w'’.-]*")
_HOUSE = re.compile(r"\d{1,5}[A-Za-z]?,?")
# A sentence end between the cue and a street.
_SENTENCE_END = re.compile(r"[.?!](?:\s|$)")
# Only little words between the cue and the street: "address is", "lives at", "to".
_ADJACENT_GAP = re.compile(
    r"[\s:,-]*(?:(?:is|are|was|at|on|in|to|it's|it’s|it\s+is)\s+)*", re.IGNORECASE
)
# The end of "the address (of X) is", "address:", "address to".
_ADDRESS_IS = re.compile(r"(?:\b(?:is|are|was|were|to|at|on|with)|[:=-])\s*$", re.IGNORECASE)
# English words that fill a street name ("Avenue of the Americas", "Jan and Archkogl").
# Also particles of other languages that are English stop words ("Rúa do Paseo").
_STREET_JOINERS = frozenset({"and", "&", "of", "the", "do"})
# English stop words that, capitalised, begin street names ("Via Roma 131").
_STREET_STOP_WORDS = frozenset({"Via", "Upper", "Side", "Front", "Back", "Down"})
# Words before a number that make it a label, not a house number: "Room 101", "Chapter
# 12", "Windows 11", "Route 66", "May 5". Months and weekdays too.
_LABEL_TEXT = """
    room rm suite ste apt apartment unit floor fl level lvl storey gate terminal platform
    track bay dock pier berth stall booth desk table seat row aisle section sec sector zone
    area lot plot ward building bldg hall wing tower page pp chapter ch chap verse article
    art clause paragraph para part volume vol issue no nr num number version ver v release
    build update patch step stage phase round line col column figure fig exhibit appendix
    annex item question q problem exercise ex example lesson module week day year month
    hour minute grade class period episode ep season series act scene psalm route rte
    highway hwy interstate exit mile km kilometre kilometer channel window windows python
    java iphone ipad ios android macos ubuntu debian fedora excel xbox playstation ps gpt
    llama model type mark mk gen generation edition ed player team group batch case test
    trial cohort patient participant subject sample specimen experiment study lab bed cell
    slot port pin node server host core thread process task job ticket bug pr commit sprint
    quarter semester term world war game match race heat leg lap inning half set pool
    division league tier rank top covid bus tram train flight apollo boeing airbus option
    choice answer score vs versus block folder file list tab box form field register offset
    address sheet width height length size depth risk position pos index gallery mall
    warehouse hangar door entrance stop stand counter arena court pitch base camp instagram
    facebook twitter youtube tiktok linkedin fortune formula catch industry web chromosome
    chr theorem lemma equation eq definition rule method approach criterion scenario
    hypothesis assumption proposition corollary axiom law principle amendment title
    schedule protocol category layer band mode state region slide frame note footnote
    reference ref source entry record user speaker person agent customer client student
    employee member reviewer witness defendant plaintiff party firm company country city
    january february march april may june july august september october november december
    jan feb mar apr jun jul aug sep sept oct nov dec monday tuesday wednesday thursday
    friday saturday sunday mon tue tues wed thu thur thurs fri sat sun
"""
_LABEL_WORDS = frozenset(_LABEL_TEXT.split())


def _proper(word: str) -> bool:
    """Capitalised, or in a script without case (a street name, not a common word)."""
    first = word[0]
    return first.isupper() or (first.isalpha() and not first.islower())


def _street_before(text: str, lo: int, number: re.Match[str]) -> tuple[int, bool, bool] | None:
    """The street name ending at ``number``: walk back over words from the number.

    Returns (start, has a house number before the name, has a capitalised word), or
    None when the word before the number is no street word ("at 5", "Room 101").
    """
    line_start = text.rfind("\n", lo, number.start()) + 1
    tokens = list(re.finditer(r"\S+", text[max(lo, line_start) : number.start()]))
    offset = max(lo, line_start)
    name: list[re.Match[str]] = []
    house: re.Match[str] | None = None
    for token in reversed(tokens):
        value = token.group(0)
        if name and _HOUSE.fullmatch(value):
            house = token
            break
        if not _WORD.fullmatch(value) or len(name) >= _STREET_WORDS:
            break
        # A comma or a sentence end closes the name ("Locavore, 641 Dašická 688");
        # a short word with a dot is an abbreviation ("St.", "u.").
        if value.endswith(",") or (value.endswith(".") and len(value) > 4):
            break
        low = value.lower().rstrip(".")
        if low in _STREET_JOINERS:
            if not name:
                break
        elif (low in STOP_WORDS and value not in _STREET_STOP_WORDS) or low in _LABEL_WORDS:
            break
        name.append(token)
    name.reverse()
    proper = any(_proper(t.group(0)) for t in name)
    # Without a house number, leading joiners and lower-case words are the sentence,
    # not the street: "the north side of Joaquin Suarez 2906".
    if house is None or (name and name[0].group(0).lower() in _STREET_JOINERS):
        house = None
        while name and (
            name[0].group(0).lower() in _STREET_JOINERS
            or (proper and not _proper(name[0].group(0)))
        ):
            name.pop(0)
    # Initials alone ("Appendix B 3") are no street name.
    if not name or all(len(t.group(0).rstrip(".")) <= 1 for t in name):
        return None
    start = offset + (house or name[0]).start()
    return start, house is not None, proper


class PostalAddressRecognizer(_RegexRecognizer):
    """Addresses in formats the street-suffix patterns miss; see module docstring."""

    ENTITY = "STREET_ADDRESS"

    def _find(self, text: str) -> Iterator[tuple[int, int, float]]:
        for match in _MILITARY.finditer(text):
            yield match.start(), match.end(), 0.7
        for match in _CITY_STATE_ZIP.finditer(text):
            yield match.start(), match.end(), 0.5
        for match in _POSTAL.finditer(text):
            yield match.start(1), match.end(1), 0.6
        yield from _cued_streets(text)


def _cued_streets(text: str) -> Iterator[tuple[int, int, float]]:
    """Street names with a house number within reach after an address cue."""
    seen: set[int] = set()  # two cues before one street ("address ... located at") report it once
    for cue in _STREET_CUE.finditer(text):
        lo = cue.end()
        hi = min(len(text), lo + _STREET_REACH)
        paragraph = text.find("\n\n", lo, hi)
        hi = hi if paragraph == -1 else paragraph
        # Scan a little past ``hi`` so a number starting before it is read whole, with
        # the unit after it; never to the end of a long text without numbers.
        for number in _STREET_NUMBER.finditer(text, lo, hi + 16):
            if number.start() >= hi:
                break
            found = _street_before(text, lo, number)
            if found is None:
                continue
            start, house, proper = found
            gap = text[lo:start]
            adjacent = _ADJACENT_GAP.fullmatch(gap) is not None
            # "Name 12" must be in the cue's sentence and no year ("Paris 2024");
            # "12 Name 34" is a street shape on its own and may follow in a later one
            # ("What's the address? ... It's in 18 Zona Estação 75").
            if not house and (_SENTENCE_END.search(gap) or _YEAR.fullmatch(number.group(0))):
                continue
            # After the bare noun, "Name 12" must be what the address is: "the address
            # of X is Name 12", "address: Name 12", not "the address bus of the Intel 8086".
            if not house and cue.group(0)[:4].lower() == "addr" and not _ADDRESS_IS.search(gap):
                continue
            # Lower-case names only straight after the cue ("i live at beiteveien 2").
            if proper or adjacent:
                if start not in seen:
                    seen.add(start)
                    yield start, number.end(), 0.5
                break
