"""Famous family names alone (issue 12): the written list, the cues that keep a namesake
private, and what the scanner reports. Every sentence here is written for this file."""

from __future__ import annotations

import pytest
from privacy_fixtures import assert_found_and_redacted, scan_text, scanner  # noqa: F401

from edge_router.privacy.famous import famous_surnames, is_famous_surname
from edge_router.privacy.lone_names import LoneNames
from edge_router.privacy.namelists import fold
from edge_router.privacy.scanner import PrivacyScanner

# ---- the list -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "word",
    ["Kafka", "kafka", "Kafka's", "Foucault", "Messi", "Dostoevsky", "Достоевский",
     "Достоевского", "Толстому", "Чехова", "毛泽东", "de Gaulle"],
)  # fmt: skip
def test_famous_family_names_and_their_forms_are_listed(word: str) -> None:
    assert is_famous_surname(word)


@pytest.mark.parametrize(
    # Common surnames anywhere stay off, famous bearers or not (Holmes, Newton,
    # Cervantes, Alcaraz rank among the 300 commonest somewhere; two Han characters
    # are as often a common full name).
    "word",
    ["Smith", "Garcia", "Kowalski", "Holmes", "Newton", "Cervantes", "Alcaraz", "Иванов", "李娜"],
)
def test_common_and_unknown_family_names_are_not(word: str) -> None:
    assert not is_famous_surname(word)


def test_the_list_is_clean_text() -> None:
    names = famous_surnames()
    assert len(names) > 2000
    assert all(n == fold(n) and n.strip() == n and "  " not in n for n in names)


# ---- alone, with no private cue -------------------------------------------------------

LONE = LoneNames(None, on=False)  # the opt-in rule off: famous_alone answers regardless


def _alone(text: str, name: str) -> bool:
    at = text.index(name)
    return LONE.famous_alone(text, at, at + len(name))


@pytest.mark.parametrize(
    ("text", "name"),
    [("why did Kafka write The Trial?", "Kafka"),
     ("was Foucault right about prisons", "Foucault"),
     ("Kafka and Camus both wrote about the absurd", "Kafka"),
     ("why did napoleon sell louisiana to the us", "napoleon sell"),  # NER's run-on span
     ("почему Пушкин стрелялся с Дантесом?", "Пушкин")],
)  # fmt: skip
def test_a_famous_name_alone_is_the_famous_person(text: str, name: str) -> None:
    assert _alone(text, name)


@pytest.mark.parametrize(
    ("text", "name"),
    [("ask Kafka if the invoice went out", "Kafka"),
     ("Mr. Kafka called about the boiler", "Kafka"),
     ("Kafka's parcel arrives tomorrow", "Kafka"),
     ("Kafka said the numbers are late", "Kafka"),
     ("Lukas Kafka joined the team", "Kafka"),
     ("Wojtczak and Kafka fixed the boiler on Monday", "Kafka"),
     ("напиши записку соседу Пушкину из 12-й квартиры", "Пушкину"),
     ("передай Пушкину, что собрание завтра", "Пушкину")],
)  # fmt: skip
def test_a_namesake_the_user_deals_with_is_not(text: str, name: str) -> None:
    assert not _alone(text, name)


# ---- through the scanner --------------------------------------------------------------


def test_a_question_about_a_famous_name_is_not_sensitive(
    scanner: PrivacyScanner,  # noqa: F811
) -> None:
    result = scan_text(scanner, "why did Kafka write The Trial? keep it short")
    assert not result.sensitive
    assert "weak:PERSON(notable_name)" in result.reasons


@pytest.mark.parametrize(
    "text",
    ["write an email to Kafka about the unpaid invoice",
     "Hi Kafka, the invoice is attached, please pay by Friday",
     "ask Kafka if the invoice went out"],
)  # fmt: skip
def test_a_private_namesake_stays_sensitive(
    scanner: PrivacyScanner,  # noqa: F811
    text: str,
) -> None:
    assert_found_and_redacted(scanner, text, "Kafka", "PERSON")


@pytest.mark.parametrize(
    ("text", "name"),
    [("Булгаков до сих пор не прислал отчёт за квартал, а сдавать завтра", "Булгаков"),
     ("Kafka still hasn't sent the deck, write him a nudge", "Kafka"),
     ("Kafka in procurement needs the signed PO by friday", "Kafka")],
)  # fmt: skip
def test_work_owed_or_a_message_to_them_keeps_a_namesake_private(text: str, name: str) -> None:
    assert not _alone(text, name)


@pytest.mark.parametrize(
    "text",
    ["наша соседка Наталья Пушкина из 47-й квартиры опять нас затопила",
     "my great-grandfather Otto Brandt left Hamburg for New York in 1923",
     "mi vecina Rosa Montero me dejó las llaves"],
)  # fmt: skip
def test_relatives_and_neighbours_in_other_languages_are_private(
    scanner: PrivacyScanner,  # noqa: F811
    text: str,
) -> None:
    assert scan_text(scanner, text).sensitive


@pytest.mark.parametrize(
    ("text", "name"),
    [("Nadal from the club booked court 3 on saturday, write her a friendly msg", "Nadal"),
     ("Okonjo from our sunday league still owes 20 quid for the pitch", "Okonjo")],
)  # fmt: skip
def test_a_club_mate_is_a_person(
    scanner: PrivacyScanner,  # noqa: F811
    text: str,
    name: str,
) -> None:
    assert_found_and_redacted(scanner, text, name, "PERSON")
