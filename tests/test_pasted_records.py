"""Issue 12, this round: people in pasted records and tool traffic, and look-alikes that
are no one in particular. Table columns, JSON keys, log key=value accounts, birth dates
under a key, self-declarations ("I, X, agree"), informal kin ("my big sis X"), codes that
made lower-case prose look capitalised; NER spans run on over small words, British
spellings, placeholders, streets, eponyms and court cases. Unit tests on the pieces,
then the real scanner and real redaction."""

from __future__ import annotations

import pytest
from privacy_fixtures import (  # noqa: F401 - scanner is a pytest fixture
    assert_found_and_redacted,
    redact_text,
    scan_text,
    scanner,
)

from edge_router.privacy import cues
from edge_router.privacy.columns import ColumnNameRecognizer
from edge_router.privacy.name_cues import KIN_OWNER, SELF_DECLARED
from edge_router.privacy.namelists import british_spellings
from edge_router.privacy.nametext import is_lowercase_prose, split_runs
from edge_router.privacy.public_names import is_public_name
from edge_router.privacy.scanner import PrivacyScanner
from edge_router.privacy.spelled import number_words


def _cells(text: str) -> list[str]:
    found = ColumnNameRecognizer().analyze(text, ["PERSON"])
    return [text[r.start : r.end] for r in found]


def test_a_name_column_gives_its_cells() -> None:
    text = 'id,name,phone,city\n1042,Nnamdi Eze,555 0142,Enugu\n1043,"N. Eze",,Enugu'
    assert _cells(text) == ["Nnamdi Eze", "N. Eze"]


def test_a_markdown_table_skips_its_rule_line() -> None:
    text = "| Full Name | Email |\n|---|---|\n| Siobhan Kerr | sk@x.org |\n| Tomasz Wolny | - |"
    assert _cells(text) == ["Siobhan Kerr", "Tomasz Wolny"]


@pytest.mark.parametrize(
    "text",
    [
        "name,price\nWidget,3.99\nGadget,5.00",  # "name" alone, no column about a person
        "id,name,email\n1,2,3",  # no letters in the cells
        "Write a story, name the hero, then stop\nOnce upon a time",  # prose, not a header
    ],
)
def test_no_name_column_gives_nothing(text: str) -> None:
    assert _cells(text) == []


def test_a_table_ends_at_a_shorter_line() -> None:
    text = "first_name;last_name\nAda;Obi\nthanks for the help"
    assert _cells(text) == ["Ada", "Obi"]


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("Make it formal:\nI, Adaeze Nwankwo-Ferris, agree that", "Adaeze Nwankwo-Ferris"),
        ("Je soussignée Claire Dubreuil, certifie avoir reçu", "Claire Dubreuil"),
        ("Yo, Ana Ruiz Ortega, declaro que", "Ana Ruiz Ortega"),
    ],
)
def test_a_self_declaration_cues_the_name(text: str, name: str) -> None:
    match = SELF_DECLARED.search(text)
    assert match is not None and match.group(1) == name


def test_british_spellings_of_american_lemmas() -> None:
    assert british_spellings(["summarize", "color", "analyze", "catalog", "floor", "door"]) == {
        "summarise",
        "colour",
        "analyse",
        "catalogue",
    }


def test_codes_do_not_make_lower_case_prose_capitalised() -> None:
    assert is_lowercase_prose("check if priyanka's numbers add up: Q1 42k, Q2 51k, Q3 38k")
    assert not is_lowercase_prose("check if Priyanka and Tomasz and Ines can make it, Q1 ok")


def _split(text: str) -> list[str]:
    listed = {"maria"}.__contains__
    english = {"rename", "summarise", "resume"}.__contains__
    return [text[s:e] for s, e in split_runs(text, 0, len(text), listed, english)]


def test_a_span_run_on_over_small_words_is_split() -> None:
    assert _split("Elon Musk rename Twitter") == ["Elon Musk", "Twitter"]
    assert _split("Résume la vie de Victor Hugo") == ["Victor Hugo"]
    assert _split("Summarise") == []
    # a listed name written small is part of the name, not a break
    assert _split("Ana maria Lopez") == ["Ana maria Lopez"]
    assert _split("Ngozi Okafor") == ["Ngozi Okafor"]


@pytest.mark.parametrize(
    ("text", "start", "end"),
    [
        ("estoy en la calle Alcalá", 18, 24),
        ("Location: Pasteur Building, 3rd floor", 10, 26),
        ("explain Miranda v. Arizona", 8, 15),
        ("la maladie de Charcot", 14, 21),
    ],
)
def test_streets_buildings_eponyms_and_cases_are_places(text: str, start: int, end: int) -> None:
    assert cues.named_place(text, start, end, text[:start])


def test_a_family_name_that_is_a_word_stays_a_person() -> None:
    text = "cc Sarah Hall on the contract"
    assert not cues.named_place(text, 3, 13, text[:3])


def test_placeholder_names_are_nobody() -> None:
    assert is_public_name("John Doe") and is_public_name("Max Mustermann")
    assert not is_public_name("John Dodd")


# Tool traffic and records: JSON keys, log accounts, a table column, forms, kin.
_FOUND_0 = [
        ('{"user": {"id": 48122, "username": "bogdan_r", "dob": "1991-07-22"}}',
         "bogdan_r", "USERNAME"),
        ('{"user": {"id": 48122, "username": "bogdan_r", "dob": "1991-07-22"}}',
         "1991-07-22", "DATE_OF_BIRTH"),
        ("10:11:03 WARN auth: login failed user=hkowalczyk src=10.2.3.4 attempt=4",
         "hkowalczyk", "USERNAME"),
        ("dedupe these rows:\nid,name,phone,city\n1042,Nnamdi Eze,555 0142,Enugu\n"
         "1077,Chiamaka Obi-Lawal,555 0199,Lagos", "Chiamaka Obi-Lawal", "PERSON"),
        ("Make this consent statement sound more formal:\nI, Adaeze Nwankwo-Ferris, agree "
         "that my daughter may take part in the swimming gala.", "Adaeze Nwankwo-Ferris",
         "PERSON"),
        ("make this caption less cringe: 'happy 30th to my big sis Thandeka 🥾🐈 queen of "
         "getting us lost on every trail, love u forever'", "Thandeka", "PERSON"),
        ("can you check if priyanka's numbers add up: Q1 42k, Q2 51k, Q3 38k, she says 141k",
         "priyanka", "PERSON"),
]  # fmt: skip


@pytest.mark.parametrize(
    "text",
    [
        "login(user=request.user) raises, why?",  # code, not a log line
        "SELECT * FROM orders WHERE user_id = 42",
        "Summarise this: 'Apple reported quarterly revenue of $94.9 billion.'",
        "Résume la vie de Victor Hugo en cinq phrases.",
        'Write a JSON schema for objects like {"name": "John Doe", "age": 42}',
        "estoy en la calle Alcalá, cómo llego andando al Museo Sorolla?",
        "explain Donoghue v Stevenson and Miranda v. Arizona like I'm a first year",
        "Unlike Hashimoto's thyroiditis or Addison's disease, it spares the gland.",
        "write an email to our fleet manager comparing the Tesla Model 3 and the Ford Mustang",
    ],
)
def test_look_alikes_stay_clean(scanner: PrivacyScanner, text: str) -> None:  # noqa: F811
    assert not scan_text(scanner, text).sensitive


def test_a_lone_initial_in_a_list_is_no_person(scanner: PrivacyScanner) -> None:  # noqa: F811
    text = "I, however, think it is fine. I, Ishaan, agree."
    names = [text[e.start : e.end] for e in scan_text(scanner, text).entities]
    assert "I" not in names and "Ishaan" in names


def test_numbers_read_out_with_double_and_hundred() -> None:
    text = "call me back on oh seven seven double oh, nine hundred, four four eight. thanks"
    out = text
    for start, end, new in sorted(number_words(text), reverse=True):
        out = out[:start] + new + out[end:]
    assert "07700-900-448" in out
    assert number_words("i have one or two hundred ideas") == []


# Numbers read out, a tracker account, chat lines under a date and time.
_FOUND_1 = [
        ("write a voicemail asking them to call me back on oh seven seven double oh, nine "
         "hundred, four four eight", "oh seven seven double oh, nine hundred, four four eight",
         "PHONE_NUMBER"),
        ("classify this ticket:\nTicket #88213 | Reporter: gpapadakis | Product: Mobile app",
         "gpapadakis", "USERNAME"),
        ("who talks most?\n03/04 14:22 Abernathy, Colm: are we still doing the offsite\n"
         "03/04 14:23 Dunleavy, Saoirse: depends on budget", "Dunleavy, Saoirse", "PERSON"),
]  # fmt: skip


@pytest.mark.parametrize(
    "text",
    [
        "03/04 14:22 the build went green, 03/04 14:30 deploy started",  # times, no phone
        "kubectl apply fails:\nmetadata:\n  name: billing-worker\n  labels: {app: billing}",
        "Reporter: anonymous | Assignee: team-platform | Status: open",
    ],
)
def test_record_look_alikes_stay_clean(scanner: PrivacyScanner, text: str) -> None:  # noqa: F811
    assert not scan_text(scanner, text).sensitive


# Labelled ids, birth dates in other languages, a Russian family name first.
_FOUND_2 = [
        ("Hilfe beim Formular: Name Jana Roth, Steuer-ID 57 549 285 017, geb. 1.2.1990",
         "57 549 285 017", "ID_NUMBER"),
        ("Nom : Benali, née le 3 mars 1991, n° de sécurité sociale 2 91 02 75 114 023 45",
         "2 91 02 75 114 023 45", "ID_NUMBER"),
        ("Nom : Benali, née le 3 mars 1991", "3 mars 1991", "DATE_OF_BIRTH"),
        ("nacida el 12 de marzo de 1990 en Sevilla", "12 de marzo de 1990", "DATE_OF_BIRTH"),
        ("کد ملی من ۰۰۱۲۳۴۵۶۷۸ هست", "۰۰۱۲۳۴۵۶۷۸", "ID_NUMBER"),
        ("Rewrite this HR note:\nEmployee: Dana Whitfield (EMP-20931)\nManager: Rob Tran",
         "EMP-20931", "ID_NUMBER"),
        ("Исправь ошибки в резюме: Петренко Олег Васильевич, опыт работы 6 лет",
         "Петренко Олег Васильевич", "PERSON"),
]  # fmt: skip


def test_small_words_after_a_relation_are_no_name(scanner: PrivacyScanner) -> None:  # noqa: F811
    assert not scan_text(scanner, "I broke a glass at my mother-in-law's house").sensitive
    assert not scan_text(scanner, "the room has 3 4 5 seats, row 12 14 16").sensitive
    assert scan_text(scanner, "my daughter grace is off sick today").sensitive


# Phones, names and kin in everyday requests.
_FOUND_3 = [
        ("corrige: 'si no te llega, mi número es 612 555 374'", "612 555 374", "PHONE_NUMBER"),
        ("帮我写给房东：热水器坏了，我的电话是138 0013 8000。", "138 0013 8000", "PHONE_NUMBER"),
        ("Tighten this CV:\n\nJo Okafor\njo@example.com | +44 7700 900257 | Manchester",
         "+44 7700 900257", "PHONE_NUMBER"),
        ("get my dad something for his 60th. his name's Clive, do a card too", "Clive",
         "PERSON"),
        ("Lebenslauf kürzen:\n\nMerve Yıldırım-Hoffmann\nTel. 0176 5550 1234",
         "Merve Yıldırım-Hoffmann", "PERSON"),
        ("football rota: oranges from Chidi's mum, then drinks", "Chidi", "PERSON"),
        ("напиши учителю: Миша завтра не придёт в школу", "Миша", "PERSON"),
]  # fmt: skip


def test_a_firm_s_client_is_no_kin() -> None:
    assert KIN_OWNER.search("pull Google's client list") is None
    match = KIN_OWNER.search("ask Amara's dad")
    assert match is not None and match.group(1) == "Amara"


@pytest.mark.parametrize(
    "text",
    [
        "Who was Ada Lovelace and why is she called the first programmer? Need about 150 "
        "words for my son's homework.",
        "des idées de sorties à Lyon ce week-end avec des enfants de 6 et 9 ans ?",
        "Write a leaving poem for a colleague who is moving to Kraków.",
    ],
)
def test_famous_people_and_places_beside_ones_own_life(
    scanner: PrivacyScanner,  # noqa: F811
    text: str,
) -> None:
    assert not scan_text(scanner, text).sensitive


@pytest.mark.parametrize(
    "text",
    [
        "my neighbour Tom Holland keeps parking in front of our garage",  # cue beside it
        "my son Lionel Messi has a fever again",
        "can you check the formula in Gonçalves' sheet, is it the average",  # a person's
    ],
)
def test_a_namesake_beside_a_personal_cue_stays_private(
    scanner: PrivacyScanner,  # noqa: F811
    text: str,
) -> None:
    assert scan_text(scanner, text).sensitive


def test_an_imperative_alone_is_dropped_a_name_that_is_a_verb_is_not() -> None:
    verbs = {"resume", "explique", "dawn"}.__contains__
    text = "Explique-moi"
    assert split_runs(text, 0, len(text), lambda w: False, verbs) == []
    text = "Résume-moi la vie de Tomasz Wolny"
    spans = split_runs(text, 0, len(text), lambda w: False, verbs)
    assert [text[s:e] for s, e in spans] == ["Tomasz Wolny"]
    text = "Dawn Njivar"  # a given name that is also a verb, in a longer run
    assert split_runs(text, 0, len(text), lambda w: False, verbs) == [(0, 11)]


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("帮我回一下这条微信：'小雯，你上次借我的两千块什么时候还？——阿杰'", "小雯"),
        ("帮我回一下这条微信：'小雯，你上次借我的两千块什么时候还？——阿杰'", "阿杰"),
        ("Help me reply to this WeChat: '押金的事你跟房东Mr. Tremblay说了吗？'", "Tremblay"),
        ("Переведи: 'Завтра планёрку будет вести Лёха Семёнов'", "Лёха Семёнов"),
        ("این پیامو مودبانه‌تر کن: 'سلام، مهتاب هستم از واحد ۸، لطفا پارک نکنید'", "مهتاب"),
        ("اكتب إيميل: ستتابع الزميلة لمى العنزي ملفات العملاء", "لمى العنزي"),
        ("me escribió: 'Hola, comemos en casa, traed el postre. Besos, Pili'", "Pili"),
        ("ترجمه کن: من سارا احمدی هستم و برای کار درخواست دادم", "سارا احمدی"),
    ],
)
def test_names_in_other_languages_messages(
    scanner: PrivacyScanner,  # noqa: F811
    text: str,
    value: str,
) -> None:
    result = scan_text(scanner, text)
    assert any(value in text[e.start : e.end] for e in result.entities if e.type == "PERSON")
    assert value not in redact_text(scanner, text)


@pytest.mark.parametrize(
    "text",
    [
        "翻译：'小心，地滑'",
        "Мы отдыхали в Красной Поляне летом",
        "ترجمه کن: من خسته هستم",  # "I am tired"
        "من دانشجو هستم و یک سوال دارم",  # "I am a student and have a question"
    ],
)
def test_everyday_words_in_other_languages_stay_clean(
    scanner: PrivacyScanner,  # noqa: F811
    text: str,
) -> None:
    found = [text[e.start : e.end] for e in scan_text(scanner, text).entities]
    assert not {"小心", "Красной Поляне", "خسته", "دانشجو"} & set(found)


@pytest.mark.parametrize(("text", "value", "kind"), _FOUND_0 + _FOUND_1 + _FOUND_2 + _FOUND_3)
def test_values_are_found_and_redacted(
    scanner: PrivacyScanner,  # noqa: F811
    text: str,
    value: str,
    kind: str,
) -> None:
    assert_found_and_redacted(scanner, text, value, kind)
