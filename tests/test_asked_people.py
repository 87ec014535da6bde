"""Questions about a private person's day (issue 12, batch rp-1956..rp-2055): "is X on
leave", "did X reply", "X's new number", "¿ya contestó X?", "chase X", and a second batch
(rp-2056..rp-2155) of tool tasks ("the mail from X", a full name NER calls a firm or a
place); someone's real leave or age that only looks like a word problem. Cue patterns
are unit-tested; the scanner tests use the real engine and check that the name is found
and redacted, and that public people asked about the same way are not made private by
the new cues."""

from __future__ import annotations

import pytest
from privacy_fixtures import (  # noqa: F401 - pytest fixture
    assert_found_and_redacted,
    scan_text,
    scanner,
)

from edge_router.privacy import cues
from edge_router.privacy import name_cues as nc
from edge_router.privacy.exercises import is_exercise
from edge_router.privacy.scanner import PrivacyScanner


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("is devyani on leave next week? need her", "devyani"),
        ("has Okafor replied yet", "Okafor"),
        ("did Wilmer ya mandó el reporte or still nada?", "Wilmer"),
        ("when is Halloran back from holiday", "Halloran"),
        ("wait did Tamsin Greaves confirm the venue", "Tamsin Greaves"),
    ],
)
def test_asked_captures_the_name_after_the_verb(text: str, name: str) -> None:
    match = nc.ASKED.search(text)
    assert match is not None and match.group(1) == name


def test_asked_more_forms() -> None:
    match = nc.ASKED.search("did nkechi put the committee minutes in the shared drive yet")
    assert match is not None and match.group(1) == "nkechi"
    match = nc.ASKED_DE.search("wann hat Wojciechowski zuletzt die Miete überwiesen?")
    assert match is not None and match.group(1) == "Wojciechowski"
    match = nc.HAND_TO.search("remind me thurs to chase Velasquez-Moore for the deposit")
    assert match is not None and match.group(1).startswith("Velasquez-Moore")


def test_asked_needs_an_everyday_state_after_the_name() -> None:
    assert nc.ASKED.search("did Messi leave Barcelona in 2021") is None
    assert nc.ASKED.search("how is the weather on holiday") is None
    # A pronoun fills the slot; the recognizer trims stop words, so it names no one.
    match = nc.ASKED.search("is it coming today")
    assert match is not None and match.group(1) == "it"


def test_spanish_verb_first_question() -> None:
    match = nc.ASKED_ES.search("¿ya contestó Ibarrola lo del contrato del piso?")
    assert match is not None and match.group(1) == "Ibarrola"
    assert nc.ASKED_ES.search("¿ya contestó lo del contrato?") is None


def test_owned_day_things() -> None:
    match = nc.OWNED.search("whats Rustam's new number, he changed it")
    assert match is not None and match.group(1) == "Rustam"
    assert nc.OWNED.search("what's the new number for the office") is None


def test_real_leave_and_age_are_no_word_problem() -> None:
    assert not is_exercise("how many days of PTO does Ruiz-Navarro have left this year")
    assert not is_exercise("how old is Mirela now, born 2011? filling in her camp form")
    assert is_exercise("Tom has 5 apples and eats 2. How many apples does he have now?")
    assert cues.LIFE_EVENT.search("how many days of annual leave does Kowalczyk have left")


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("is rhiannon on leave next week? need someone for the stocktake", "rhiannon"),
        ("did Okwuosa reply about the boiler yet", "Okwuosa"),
        ("has Wojtczak signed the lease or not", "Wojtczak"),
        ("oye did Marisela ya mandó las fotos?", "Marisela"),
        ("¿ya contestó Echeverría lo de la factura?", "Echeverría"),
        ("whats Bogdan's new number, he switched carriers", "Bogdan"),
        ("how old is Ines now, born 2014? doing her passport form", "Ines"),
        ("how many days of annual leave does Kowalczyk have left", "Kowalczyk"),
        ("скажи коляну, что я опоздаю", "коляну"),  # a casual Russian form, written small
        # second batch (rp-2056..rp-2155): tool tasks and what is still owed
        ("pls find the mail from Timur Saidov w the signed quote", "Timur Saidov"),
        (
            "look up Niamh Brackenridge in the crm and tell me when we last called her",
            "Niamh Brackenridge",
        ),
        ("remind me friday to chase Oyelowo-Banks for the invoice", "Oyelowo-Banks"),
        ("did chiamaka put the rota in the shared drive yet", "chiamaka"),
        ("wann hat Kaczmarek zuletzt die Nebenkosten überwiesen?", "Kaczmarek"),
        # written small at the start: a casual Russian form before a verb only people do,
        # a listed German name before its appointment; "问一下" before a Chinese name
        ("колян опять опоздал на работу", "колян"),
        ("wann ist jörgs zahnarzttermin, steht im kalender", "jörg"),
        ("问一下欧阳敏明天能不能帮我接孩子", "欧阳敏"),
        ("Сидоренко скинул фотки в чат", "Сидоренко"),
    ],
)
def test_private_people_asked_about_are_found_and_redacted(
    scanner: PrivacyScanner,  # noqa: F811
    text: str,
    name: str,
) -> None:
    assert_found_and_redacted(scanner, text, name, "PERSON")


@pytest.mark.parametrize(
    "text",
    [
        "did Messi leave Barcelona in 2021?",
        "is Federer still playing exhibitions?",
        "has Messi won the world cup yet",
        "did Lewis Hamilton win in Monaco this year",
        "Tom has 5 apples and gives 2 to Anna. How many apples does Tom have now?",
    ],
)
def test_public_and_invented_people_asked_about_stay_weak(
    scanner: PrivacyScanner,  # noqa: F811
    text: str,
) -> None:
    result = scan_text(scanner, text)
    assert not result.sensitive
    assert any(r.startswith("weak:PERSON") for r in result.reasons)


def test_asking_about_the_weather_names_no_one(
    scanner: PrivacyScanner,  # noqa: F811
) -> None:
    result = scan_text(scanner, "问一下明天会不会下雨")  # "ask (a bit) whether it rains"
    assert not result.sensitive
    assert not [e for e in result.entities if e.type == "PERSON"]
