"""Recognizers for numbers that Presidio's stock ones miss.

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

Postal addresses are in addresses.py; ``RegexRecognizer`` is the shared plumbing.

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


class RegexRecognizer(EntityRecognizer):
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


class LuhnCardRecognizer(RegexRecognizer):
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
    # Not inside a word or number; Han characters are no word boundary ("电话是138 ...").
    # A colon only after a digit ("14:22"); after a label it opens the value ("电话:138...").
    r"(?<![^\W\u3400-\u9fff])(?<![./+$€£¥#-])(?<!\d:)(?<!\d[ .,])"
    r"(?:\+\d{1,3}[ .-]?)?(?:\(\d{1,4}\)[ .-]?)?\d{1,12}"
    r"(?:[ .-]\d{2,8}){0,4}(?:\s*(?:ext\.?|x)\s*\d{1,5})?"
    # Nothing glued on after, except a "-Office"/"-Fax" label; no further digit group
    # (more than five groups is a list of numbers, not a phone).
    r"(?![^\W\u3400-\u9fff]|[ .,/:]\d|-(?!(?:office|fax|mobile|cell|home|work|tel|phone)\b))",
    re.IGNORECASE,
)
# The same in the other languages users write in (Chinese has no word boundaries).
_PHONE_WORDS_INTL = (
    r"номер|телефон\w*|тел|мобильн\w*|(?:пере)?звон\w*|позвон\w*|teléfono|telefono|móvil|"
    r"movil|celular|llámame|llamar|téléphone|rappel\w*|"
    r"portable|numéro|número|numero|telefon\w*|handy\w*|nummer|bizum|"
    r"تلفن\w*|شماره|موبایل|هاتف|رقم|جوال"
)
_PHONE_WORDS_HAN = r"电话|手机|号码|联系方式"
# Words that make a nearby number a phone number. "message(s)", "registered" and
# "answering" cover the informal support-chat phrasing ("stop sending messages to ...",
# "my registered 668 5702", "they're not answering at ...").
_PHONE_CUE = re.compile(
    r"\b(?:(?:tele|cell|smart|mobile\s)?phone[sd]?|tel|mob|mobile|cell|number|no\.|"
    r"no(?=[ \t]+(?:is|was)\b)|"  # "her no is 555-0199"
    r"call(?:s|ing|ed)?|dial(?:l?ed|l?ing)?|ring(?:ing)?\s+(?:me|us|him|her|them)|rang|"
    r"reach(?:ed|able)?|"
    r"answer(?:ing|ed)|contact(?:ed)?|text(?:s|ed|ing)?|messag(?:e[sd]?|ing)|sms|mms|"
    r"whats\s?app|viber|telegram|voicemail|fax|hotline|helpline|landline|"
    r"extension|registered|" + _PHONE_WORDS_INTL + r")\b|" + _PHONE_WORDS_HAN,
    re.IGNORECASE,
)
# Cues strong enough for an unbroken run of digits ("call 5551234"); "number", "no."
# or "registered" before 8 plain digits is as likely an order or account number.
_STRONG_PHONE_CUE = re.compile(
    r"\b(?:(?:tele|cell|smart|mobile\s)?phone[sd]?|tel|mob|mobile|cell|"
    r"call(?:s|ing|ed)?|dial(?:l?ed|l?ing)?|ring(?:ing)?\s+(?:me|us|him|her|them)|rang|"
    r"text(?:s|ed|ing)?|"
    r"sms|whats\s?app|viber|telegram|voicemail|fax|landline|"
    + _PHONE_WORDS_INTL
    + r")\b|"
    + _PHONE_WORDS_HAN,
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
# A year (1900-2099); addresses.py uses it too: a year is no house number.
YEAR = re.compile(r"(?:19|20)\d\d")


_CN_MOBILE = re.compile(r"1[3-9]\d{9}")


def _not_a_phone(groups: list[str], separators: set[str], prefixed: bool) -> bool:
    """Digit groups that are numbers of another kind: quantities, years, dates, decimals."""
    if prefixed:  # "+44 ..." or "(0)6 ...": a phone by its form
        return False
    if "." in separators and (len(groups) == 2 or separators != {"."}):
        return True  # a decimal: "12345.6789", "3.14159 26535"
    if all(len(g) == 4 and YEAR.fullmatch(g) for g in groups):  # "1998 2005": years
        return True
    lengths = [len(g) for g in groups]
    if (lengths == [4, 2, 2] and YEAR.fullmatch(groups[0])) or (
        lengths == [2, 2, 4] and YEAR.fullmatch(groups[2])
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
        if _CN_MOBILE.fullmatch(digits):
            return False  # "13800138000": a Chinese mobile's shape, never a count
        return digits.endswith("000") or (len(digits) == 8 and bool(YEAR.match(digits)))
    # Thousands grouping ("1 234 567", "12 500 000", "1.234.567"): a quantity when it
    # starts with a single digit or ends in 000; "699 956 915" stays a phone.
    thousands = len(separators) == 1 and 1 <= lengths[0] <= 3 and set(lengths[1:]) == {3}
    return thousands and (lengths[0] == 1 or groups[-1] == "000")


class ContextPhoneRecognizer(RegexRecognizer):
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
            # "+44 7700 900257" in a CV's contact line: a country code and ten digits
            # or more in groups is a phone number with no cue; so are eight or more in
            # three groups or more ("+1 555 0143").
            international = value.startswith("+") and (
                (len(groups) > 1 and len(digits) >= 10) or (len(groups) > 2 and len(digits) >= 8)
            )
            if cued or international or _PHONE_LABEL_AFTER.match(text, match.end()):
                yield match.start(), match.end(), 0.6


_IBAN = re.compile(r"\b[a-zA-Z]{2}\d{2}(?:[ ]?[a-zA-Z0-9]){11,30}\b")


def iban_valid(value: str) -> bool:
    compact = value.replace(" ", "").upper()
    if not 15 <= len(compact) <= 34:
        return False
    moved = compact[4:] + compact[:4]
    return int("".join(str(int(c, 36)) for c in moved)) % 97 == 1


class AnyCaseIbanRecognizer(RegexRecognizer):
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
