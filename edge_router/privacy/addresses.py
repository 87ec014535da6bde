"""Postal addresses that Presidio's street-suffix patterns miss.

``PostalAddressRecognizer`` finds military (PSC/APO/FPO) addresses, "City, ST
12345" lines, postal codes after "zip code", and, a few words after an address
cue ("I live at", "send it to", "my address is", "the bakery is on", "meet ...
at"), "Street Name 12" or "34 Street Name 12" in any script, where the word
before the number is no label ("Room 101", "Python 3", "May 5"); and Russian
("ул. Лесная, д. 5, кв. 41"), Chinese ("朝阳路88号501室"), Arabic and Persian ("شارع
الجاردنز، بناية 14، شقة 6") street addresses by their own markers, cue or not.

Example::

    PostalAddressRecognizer().analyze("please update my address to Beiteveien 2", [])
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from spacy.lang.en.stop_words import STOP_WORDS

from edge_router.privacy.numbers import YEAR, RegexRecognizer

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
# A Russian home address: "ул. Лесная, д. 5, кв. 41", "проспект Мира, дом 12, корп. 2".
_RU_STREET = re.compile(
    r"(?<![\w])(?:ул\.|улица|пр-т|пр\.|проспект|пер\.|переулок|ш\.|шоссе|б-р|бульвар|"
    r"наб\.|набережная|пл\.|площадь|мкр\.?|микрорайон)[ \t]*[А-ЯЁA-Z0-9][\w.-]*"
    r"(?:[ \t]+[А-ЯЁа-яё][\w-]*){0,2},?[ \t]*(?:д\.|дом)[ \t]*\d{1,4}[а-я]?"
    r"(?:[ \t]*,?[ \t]*(?:к\.|корп\.|корпус|стр\.|строение)[ \t]*\d{1,3})?"
    r"(?:[ \t]*,?[ \t]*(?:кв\.|квартира|офис)[ \t]*\d{1,4})?",
    re.IGNORECASE,
)
# A Chinese street address: "朝阳路88号3栋2单元501室", "漕溪北路 88 弄 5 号 1202 室".
_ZH_STREET = re.compile(
    r"[\u4e00-\u9fff]{1,12}(?:路|街|大道|巷|弄|胡同)[ \t]*\d{1,5}[ \t]*(?:弄[ \t]*\d{1,5}[ \t]*)?号"
    r"(?:[ \t]*\d{1,3}[ \t]*(?:栋|幢|号楼))?(?:[ \t]*\d{1,2}[ \t]*单元)?"
    r"(?:[ \t]*\d{1,5}[ \t]*(?:室|房))?"
)
# An Arabic or Persian street address: a street, then a building and its number, maybe a
# flat: "شارع الجاردنز، بناية 14، شقة 6", "خیابان آزادی، کوچه ۱۲، پلاک ۷، واحد ۳".
_DIGITS = r"[\d٠-٩۰-۹]{1,4}"
_AR_STREET = re.compile(
    r"(?:شارع|طريق|جادة|خیابان|بلوار)[ \t]+[\u0621-\u064a\u0671-\u06d3\u06fa-\u06ff\u200c ]{2,40}?"
    r"[،,][ \t]*(?:(?:کوچه|زقاق)[ \t]*[^\n،,]{1,20}[،,][ \t]*)?"
    r"(?:بناية|عمارة|مبنى|بيت|منزل|فيلا|پلاک|ساختمان)[ \t]*(?:رقم[ \t]*)?"
    + _DIGITS
    + r"(?:[ \t]*[،,]?[ \t]*(?:شقة|طابق|واحد|طبقه)[ \t]*"
    + _DIGITS
    + r")?"
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


class PostalAddressRecognizer(RegexRecognizer):
    """Addresses in formats the street-suffix patterns miss; see module docstring."""

    ENTITY = "STREET_ADDRESS"

    def _find(self, text: str) -> Iterator[tuple[int, int, float]]:
        for match in _MILITARY.finditer(text):
            yield match.start(), match.end(), 0.7
        for match in _CITY_STATE_ZIP.finditer(text):
            yield match.start(), match.end(), 0.5
        for match in _POSTAL.finditer(text):
            yield match.start(1), match.end(1), 0.6
        for match in _RU_STREET.finditer(text):
            yield match.start(), match.end(), 0.6
        for match in _ZH_STREET.finditer(text):
            yield match.start(), match.end(), 0.6
        for match in _AR_STREET.finditer(text):
            yield match.start(), match.end(), 0.6
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
            if not house and (_SENTENCE_END.search(gap) or YEAR.fullmatch(number.group(0))):
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
