"""Names that a pasted document's layout gives away (issue 12): chat speakers and the
name line of a CV, plus the given name NER leaves before a family name, a UK National
Insurance number and a Chinese nickname addressed at a message's start."""

from __future__ import annotations

import pytest
from privacy_fixtures import redact_text, scan_text, scanner  # noqa: F401 - pytest fixture

from edge_router.privacy.namelists import load_name_lists
from edge_router.privacy.scanner import PrivacyScanner
from edge_router.privacy.siblings import siblings
from edge_router.privacy.speakers import LayoutNameRecognizer, speaker_lines
from edge_router.privacy.types import TextField

_ENGLISH = frozenset({"note", "summary", "strength", "stone", "area", "report", "draft"})


def _layout(text: str) -> list[str]:
    rec = LayoutNameRecognizer(_ENGLISH, load_name_lists())
    return [text[r.start : r.end] for r in rec.analyze(text, [])]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "summarise this group chat:\n[09:12] Bongani: who's bringing the tongs\n"
            "[09:14] Lerato M: me\n[09:20] Pieter: ill bring ice and the cooler box",
            ["Bongani", "Lerato M", "Pieter"],
        ),
        (
            "tidy my CV:\nRUAIRIDH MBEKI-STONE\n22 Cobbold Terrace\n07700 900283",
            ["RUAIRIDH MBEKI-STONE"],
        ),
        # a form's field labels, a transcript's roles, a one-speaker note, no contact line
        ("Employee: [name]\nStrengths: great with clients\nAreas: documentation, late", []),
        ("User: hello there friend\nAssistant: hi there, how can I help", []),
        ("Bongani: who's bringing the tongs", []),
        ("Quarterly Report Draft\nsee the attached file for the figures", []),
        ("When: 2000-04-16 11:34:35\nWhere: Upton Country Club.", []),
    ],
)
def test_layout_names(text: str, expected: list[str]) -> None:
    assert _layout(text) == expected


def test_key_value_lists_are_no_chat() -> None:
    assert speaker_lines("name: app\nversion: 1.0.2\nmain: index.js") == []


def test_layout_and_left_out_given_names_are_redacted(scanner: PrivacyScanner) -> None:  # noqa: F811
    text = (
        "# Author: Okechukwu Nnaji <o.nnaji@example.com>\nimport os\n\n"
        "[09:12] Bongani: who's bringing the tongs\n[09:20] Pieter: ill bring ice and the box\n"
        "I'm Yasmin Chaudhry, NI number QQ 12 34 56 C, write to HMRC"
    )
    out = redact_text(scanner, text)
    for value in ("Okechukwu", "Nnaji", "Bongani", "Pieter", "Chaudhry", "QQ 12 34 56 C"):
        assert value not in out


@pytest.mark.parametrize(
    ("text", "sensitive"),
    [
        ("把这段话改得正式一点：小周，明天的会改到下午三点", True),
        ("总结：小时，分钟，秒", False),
        ("my national insurance number is AB123456C", True),
        ("Ask Professor Nnaji about the grant", True),
    ],
)
def test_nicknames_and_national_insurance(
    scanner: PrivacyScanner,  # noqa: F811
    text: str,
    sensitive: bool,
) -> None:
    assert scan_text(scanner, text).sensitive is sensitive


@pytest.mark.parametrize(
    ("text", "found", "expected"),
    [
        ("Attendees: Rhiannon Pugh, Ifeoma", ["Rhiannon Pugh"], ["Ifeoma"]),
        (
            "planning :\nlundi : Solène, Mamadou\nmardi : Hugo B.\nmercredi : Ophélie Tran",
            ["Ophélie Tran"],
            ["Solène", "Mamadou", "Hugo B"],
        ),
        ("参会：郑宇航、刘芳、市场部", ["刘芳"], ["郑宇航"]),
        ("رتب الأسماء:\nمريم الحداد\nطارق منصور\nهبة", ["مريم الحداد"], ["طارق منصور", "هبة"]),
        # no found person in the list, or items that are no names
        ("Table A: Rhiannon Pugh, Ifeoma", [], []),
        ("Agenda: Rhiannon Pugh, budget review, the new office", ["Rhiannon Pugh"], []),
    ],
)
def test_the_other_names_of_a_list(text: str, found: list[str], expected: list[str]) -> None:
    detections = [("PERSON", text.index(f), text.index(f) + len(f), 0.85) for f in found]
    english = frozenset({"budget", "review", "office", "agenda"})
    assert sorted(text[s:e] for _, s, e, _ in siblings(text, detections, english)) == sorted(
        expected
    )


def test_a_capitalised_word_after_a_russian_name_is_its_family_name(
    scanner: PrivacyScanner,  # noqa: F811
) -> None:
    text = "# автор: Егор Шмидт <e.schmidt@example.ru>\nimport os"
    spans = [text[e.start : e.end] for e in scanner.scan([TextField("t", text)]).entities]
    assert "Егор Шмидт" in spans


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # a list headed as one of people needs no found name in it
        ("این اسم‌ها را به ترتیب الفبا مرتب کن:\nفرهاد توکلی\nبهنام", ["فرهاد توکلی", "بهنام"]),
        ("Attendees:\nKalani Akana\nIfeoma", ["Kalani Akana", "Ifeoma"]),
        # "names of" is about things; a heading that is no people's
        ("list the names of planets:\nMercury\nVenus", []),
        ("Capitals:\nParis\nBerlin", []),
    ],
)
def test_a_list_headed_as_people(text: str, expected: list[str]) -> None:
    found = [text[s:e] for _, s, e, _ in siblings(text, [], frozenset({"mercury", "venus"}))]
    assert found == expected


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("жалоба: адрес ул. Лесная, д. 5, кв. 41, курьер не пришёл", "ул. Лесная, д. 5, кв. 41"),
        ("寄到朝阳路88号3栋2单元501室，谢谢", "朝阳路88号3栋2单元501室"),
        ("reply for me: 'hey its Niamh's mum, Clodagh, could the girls play'", "Clodagh"),
    ],
)
def test_foreign_addresses_and_relations_after_a_name_are_redacted(
    scanner: PrivacyScanner,  # noqa: F811
    text: str,
    value: str,
) -> None:
    assert scan_text(scanner, text).sensitive
    assert value not in redact_text(scanner, text)


def test_a_relation_word_must_end_where_the_word_ends(scanner: PrivacyScanner) -> None:  # noqa: F811
    # "Djokovic's Grand Slam": "gran" (grandmother) is no relation inside "Grand".
    result = scan_text(scanner, "make a table of Novak Djokovic's Grand Slam titles by year")
    assert not result.sensitive, result.reasons
