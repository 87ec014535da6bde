"""Recognizers for numbers and addresses that Presidio's stock ones miss.

Each one validates what it can (Luhn, IBAN mod-97) and otherwise asks for a
context cue next to the value, so that a bare number in a maths question or a
log line stays clean:

* ``LuhnCardRecognizer``: any Luhn-valid 12-19 digit card number, with
  consistent separators (Presidio's regex knows only some issuer prefixes and
  lengths).
* ``ContextPhoneRecognizer``: local numbers without an area code
  ("call me on 450 0840"), which ``phonenumbers`` cannot place in a region;
  only next to a phone cue.
* ``AnyCaseIbanRecognizer``: IBANs typed in lower case, checked with mod-97.
* ``PostalAddressRecognizer``: military (PSC/APO/FPO) addresses, "City, ST
  12345" lines, postal codes after "zip code", and "Street 12" after an
  address cue ("I live at", "send it to", "my address is").

Example::

    LuhnCardRecognizer().analyze("card 4111 1111 1111 1111", ["CREDIT_CARD"])
"""

from __future__ import annotations

import re
from collections.abc import Iterator
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


def _cue_before(cue: re.Pattern[str], text: str, start: int, reach: int) -> bool:
    """Does ``cue`` occur in the ``reach`` characters before ``start`` (same paragraph)?"""
    window = text[max(0, start - reach) : start]
    window = window[window.rfind("\n\n") + 1 :]
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


# 2-5 digit groups joined by one space, dash or dot, optionally a (area) prefix and +country.
_LOCAL_PHONE = re.compile(
    r"(?<![\w.,/:+-])(?:\+\d{1,3}[ .-]?)?(?:\(\d{1,4}\)[ .-]?)?\d{2,5}(?:[ .-]\d{2,5}){0,4}"
    r"(?:\s*(?:ext\.?|x)\s*\d{1,5})?(?![\w,/:-]|\.\d)",
    re.IGNORECASE,
)
_PHONE_CUE = re.compile(
    r"\b(?:phone|telephone|tel|mobile|cell(?:phone)?|call(?:ing|ed)?|number|no\.|dial|"
    r"text|sms|whatsapp|fax|ring|reach|answering|contact|hotline|extension)\b",
    re.IGNORECASE,
)


class ContextPhoneRecognizer(_RegexRecognizer):
    """Phone numbers in local formats, only right after a phone cue ("call me on ...")."""

    ENTITY = "PHONE_NUMBER"

    def _find(self, text: str) -> Iterator[tuple[int, int, float]]:
        for match in _LOCAL_PHONE.finditer(text):
            digits = re.sub(r"\D", "", match.group(0).split("x")[0].split("X")[0])
            if not 7 <= len(digits) <= 15 or len(set(digits)) < 3:
                continue
            if _cue_before(_PHONE_CUE, text, match.start(), 40):
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
# After an address cue, a few words and a house number: "live at Beiteveien 2",
# "send it to 12 Rue Cler", "my address is Calle Mayor 5, Madrid".
_ADDRESS_CUE = (
    r"(?:address(?:es)?|addr\.?|live[sd]?\s+(?:at|on|in)|living\s+(?:at|on)|reside[sd]?\s+at|"
    r"located\s+(?:at|on)|(?:send|sent|ship|shipped|deliver|delivered|mail|mailed|post|return"
    r"|forward|move|moved|moving|taxi|come|drive)\s+(?:it\s+|them\s+|me\s+)?to|meet\s+(?:me|us)"
    r"\s+at|(?:office|house|home|flat|apartment)\s+is\s+(?:at|on))"
)
_CUED_STREET = re.compile(
    _ADDRESS_CUE + r"\b[\s:,-]*(?:is\s+|are\s+|at\s+|on\s+|to\s+)?(?:the\s+corner\s+of\s+)?"
    r"((?:\d{1,6}[A-Za-z]?,?\s+)?(?:[^\W\d_][\w'’.-]*\s+){0,4}?\d{1,6}[A-Za-z]?\b)"
    r"(?!\s*(?:%|[.,:/]\d|(?:am|pm|a\.m|p\.m|hours?|hrs?|minutes?|mins?|days?|weeks?|months?|"
    r"years?|times?|km|miles?|people|percent|points?)\b))",
    re.IGNORECASE,
)
# Words that make "to the office 3" or "at noon in 5" a sentence, not a street name.
_NOT_STREET_WORDS = frozenset(STOP_WORDS) | {"me", "us", "you", "him", "her", "them"}


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
        for match in _CUED_STREET.finditer(text):
            words = re.findall(r"[^\W\d_][\w'’.-]*", match.group(1))
            # Need a street-like word: "address is 5" or "moved to 2019" is no street.
            if words and not any(w.lower().rstrip(".") in _NOT_STREET_WORDS for w in words):
                yield match.start(1), match.end(1), 0.5
