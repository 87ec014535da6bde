"""Issue 12, lists of people written for work: report comments, team sheets, seating plans
in code, ward handovers, class lists. Once one name of such a list is found, the others
are too, whatever the row looks like around them (a description after a dash, a code or
position before the name, quotes, a name written small or in capitals); and a found
name's other mentions are found in any case. Unit tests of ``siblings`` and
``recurrences`` with given detections, then the real scanner and real redaction."""

from __future__ import annotations

import pytest
from privacy_fixtures import (  # noqa: F401 - scanner is a pytest fixture
    assert_found_and_redacted,
    redact_text,
    scan_text,
    scanner,
)

from edge_router.privacy.recur import recurrences
from edge_router.privacy.scanner import PrivacyScanner
from edge_router.privacy.siblings import siblings

_ENGLISH = frozenset(
    {"reads", "well", "chatty", "forgot", "kit", "subs", "mark", "twain", "apple", "finn", "open",
     "close"}
)  # fmt: skip


def _found(text: str, names: list[str]) -> list[tuple[str, int, int, float]]:
    return [("PERSON", text.index(n), text.index(n) + len(n), 0.85) for n in names]


@pytest.mark.parametrize(
    ("text", "found", "expected"),
    [
        # a description after a spaced dash or colon is no part of the row's name
        (
            "comments:\nZofia K - reads well\nOluwadamilare - chatty\n"
            "magnus lindqvist — forgot kit",
            ["Zofia K"],
            ["Oluwadamilare", "magnus lindqvist"],
        ),
        # a seating plan in code: quotes and brackets round the names
        (
            'tables = {\n  1: ["Aoife", "Bartosz"],\n  2: ["Chiamaka", "Dervla"],\n}',
            ["Aoife"],
            ["Bartosz", "Chiamaka", "Dervla"],
        ),
        # a team sheet: positions before the names, "+" between them
        ("GK Mateus\nDEF Kwabena / Ilse\nFWD Sigrun + Tadeo", ["Mateus"],
         ["Kwabena", "Ilse", "Sigrun", "Tadeo"]),
        # a ward handover: bed numbers, then the name among words, spaces between
        ("3床 王建国 术后第二天\n8床 陈桂芳 发热 已告知医生", ["王建国"], ["陈桂芳"]),
        # a found part of a name-shaped item takes the item whole
        ("- OYELARAN Tobi : bavard\n- Inès : calme", ["Tobi"], ["OYELARAN Tobi", "Inès"]),
        # a bracket holding a list opens its items; a weekday before a name is no part of it
        ("Rückfahrt: Fam. Kuczynski (Ida + Jan)\nWed Fatou Diallo, Mon Lars", ["Lars"],
         ["Kuczynski", "Ida", "Jan", "Fatou Diallo"]),
        # a rota's word after a name is no part of it
        ("saturday: Morag open, Lachlan close\nsunday: Ifeoma", ["Ifeoma"],
         ["Morag", "Lachlan"]),
        # a row's weekday is no name, even where a name list has it
        ("lunes - Ibrahim / Wojciech\nmartes - consuelo (solo mañana)", ["Ibrahim"],
         ["Wojciech", "consuelo"]),
    ],
)  # fmt: skip
def test_the_other_names_of_a_list_of_people(
    text: str, found: list[str], expected: list[str]
) -> None:
    spans = siblings(text, _found(text, found), _ENGLISH)
    assert sorted(text[s:e] for _, s, e, _ in spans) == sorted(expected)


@pytest.mark.parametrize(
    ("text", "found"),
    [
        # words written small are no names: an English word, a famous pair of words
        ("rota:\nZofia K\nsubs, kit", ["Zofia K"]),
        ("authors:\nZofia K\nmark twain", ["Zofia K"]),
        # a code list of things beside a name
        ('owner = ["Aoife"]\nfruit = ["apple", "kiwi"]', ["Aoife"]),
    ],
)
def test_what_is_no_name_in_such_a_list(text: str, found: list[str]) -> None:
    spans = siblings(text, _found(text, found), _ENGLISH)
    assert [text[s:e] for _, s, e, _ in spans] == []


def test_a_name_written_small_joined_to_a_found_one() -> None:
    text = "as discussed with jorge and mei-ling last week, and with the team"
    found = siblings(text, _found(text, ["jorge"]), _ENGLISH | {"team", "week", "last"})
    assert [text[s:e] for _, s, e, _ in found] == ["mei-ling"]


def test_capitalised_names_joined_stay_to_ner() -> None:
    text = "the difference between Bismarck und Wilhelm II"
    assert siblings(text, _found(text, ["Bismarck"]), _ENGLISH) == []


def test_a_class_list_heading_needs_no_found_name() -> None:
    text = "این لیست کلاس رو مرتب کن:\nنیلوفر\nبهراد احمدی"
    assert [text[s:e] for _, s, e, _ in siblings(text, [], _ENGLISH)] == ["نیلوفر", "بهراد احمدی"]


def test_a_found_name_recurs_in_any_case() -> None:
    text = 'search(q="okonjo") returned: Adaeze Okonjo, payroll. OKONJO confirmed.'
    found = _found(text, ["Adaeze Okonjo"])
    spans = [text[s:e] for _, s, e, _ in recurrences(text, found, _ENGLISH)]
    assert spans == ["okonjo", "OKONJO"]


def test_an_english_word_recurs_in_its_own_case_only() -> None:
    text = "Finn Okafor will call. the finn sauna is booked."
    found = _found(text, ["Finn Okafor"])
    assert [text[s:e] for _, s, e, _ in recurrences(text, found, _ENGLISH)] == []


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("tidy this team sheet:\nGK Mateus Albuquerque\nDEF Kwabena Asante / Ilse\nsubs Tadeo",
         "Ilse"),
        ("turn into a table:\n2床 王建国 术后第二天 体温37.8\n6床 陈桂芳 血糖偏高", "陈桂芳"),
        ('seating = {1: ["Aoife Brennan", "Bartosz Wróbel"],\n 2: ["Chiamaka Eze", "Oisín"]}',
         "Oisín"),
    ],
)  # fmt: skip
def test_lists_of_people_are_redacted_whole(
    scanner: PrivacyScanner,  # noqa: F811
    text: str,
    value: str,
) -> None:
    assert_found_and_redacted(scanner, text, value, "PERSON")


def test_a_search_term_naming_a_found_person_is_redacted(
    scanner: PrivacyScanner,  # noqa: F811
) -> None:
    text = 'Tool people.search(q="okonjo") returned:\n1. Adaeze Okonjo, Payroll, Lagos office'
    assert "okonjo" not in redact_text(scanner, text).lower()


@pytest.mark.parametrize(
    ("text", "value", "kind"),
    [
        # a colleague named by their team, even written small
        ("leaving card for gurpreet from payroll, she always nicked the good mugs", "gurpreet",
         "PERSON"),
        ("can you ask Okwuosa from accounts about the invoice", "Okwuosa", "PERSON"),
        # an informal "no is" before a local number
        ("marisol's mum is driving, her no is 555-0199 if ur late", "555-0199", "PHONE_NUMBER"),
        # a full name NER misses: a given name of the install-built list, then a non-word
        ('reply to this review: "Waited 40 minutes, waiter was rude." - Declan Moriarty',
         "Declan Moriarty", "PERSON"),
        # a marketplace buyer named by their account, in French, Russian, English
        ('l\'acheteur "Ludo_du_59" me propose 80€ pour le vélo', "Ludo_du_59", "USERNAME"),
        ("для покупателя на eBay (ник gr8deals_tomasz, он из Польши)", "gr8deals_tomasz",
         "USERNAME"),
        ("seller: jay_k88 shipped it late, write a polite nudge", "jay_k88", "USERNAME"),
        # a handle in Chinese characters
        ("感谢老顾客 @爱吃橘子的Momo 连续三年在我们花店订花", "@爱吃橘子的Momo", "USERNAME"),
        # a name in brackets is still a person
        ("Dear [Tomasz Nowak], thanks for the order", "Tomasz Nowak", "PERSON"),
        # Russian short names, inflected: "Светке и Гоше", "у Вадика"
        ("напиши в чат: Светке и Гоше напомнить про справки до пятницы", "Гоше", "PERSON"),
        ("[10:14] Катя: ты у Вадика был?", "Вадика", "PERSON"),
    ],
)  # fmt: skip
def test_colleagues_and_customers_written_casually(
    scanner: PrivacyScanner,  # noqa: F811
    text: str,
    value: str,
    kind: str,
) -> None:
    assert_found_and_redacted(scanner, text, value, kind)


@pytest.mark.parametrize(
    "text",
    [
        # a contraction after a relation is a verb
        "my landlord won't give my deposit back, what are my rights in England?",
        "my boss can't stand long meetings, how do I suggest shorter ones",
        # an imperative opening a prompt in French, Spanish or German
        "Rédige un mail à mon assurance pour déclarer un dégât des eaux",
        "Traduis ce paragraphe en anglais, ton neutre",
        # a German noun after a contraction of an article
        "Beispiel: jemand kommt nur noch mit Rollator vom Bett ins Bad.",
        # someone from a team, unnamed
        "someone from payroll called about my tax code",
        # a template's slots
        "INVOICE #2291\nTo: [Customer name], [Customer address]\nDate: 04/11",
        "Kannst du prüfen, ob die MwSt stimmt?\nan: [Kundenname], [Anschrift]",
        # an order code, a count, a service after a trade word
        "the customer ORD12345 wants a refund, what do I say",
        "customer service was rude to me, how do I complain",
        # re-cased code: an English word before an identifier is no full name
        "when should I use pearsonr vs spearmanr here",
    ],
)
def test_words_that_only_look_like_names(scanner: PrivacyScanner, text: str) -> None:  # noqa: F811
    result = scan_text(scanner, text)
    assert not result.sensitive, [(e.type, text[e.start : e.end]) for e in result.entities]
