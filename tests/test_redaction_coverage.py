"""Values that used to stay in a redacted body (issue 12, `gdpr`): a French or Spanish
street address written number first, a Spanish NIE, a name after a short sign-off on
the same line, a Latin name before a Chinese relation, an Arabic title after "to",
and an Arabic kunya. Real scanner, real redaction."""

from __future__ import annotations

import pytest
from privacy_fixtures import redact_text, scan_text, scanner  # noqa: F401 - pytest fixture

from edge_router.privacy.scanner import PrivacyScanner


@pytest.mark.parametrize(
    ("text", "value", "kind"),
    [
        ("je déménage, ma nouvelle adresse: 8 allée des Tilleuls, 35000 Rennes",
         "8 allée des Tilleuls, 35000 Rennes", "STREET_ADDRESS"),
        ("envoyez le colis au 12 bis rue du Moulin Vert, 69003 Lyon svp",
         "12 bis rue du Moulin Vert, 69003 Lyon", "STREET_ADDRESS"),
        ("mi NIE es X1234567L, ¿me ayudas con el formulario?", "X1234567L", "ES_NIE"),
        ("übersetz: wir kommen später, fangt ohne uns an. LG Fenja", "Fenja", "PERSON"),
        ("帮我翻译：我是Maisie的妈妈，她今天不能来上课", "Maisie", "PERSON"),
        ("اكتب رسالة للأستاذ خالد عن الواجب", "خالد", "PERSON"),
        ("أبو سامي جارنا يركن سيارته أمام بابنا", "أبو سامي", "PERSON"),
        ("# utils/dates.py\n# Author: Ruairí Tierney\nimport re", "Ruairí Tierney", "PERSON"),
        ("traduis : Nom : Benhamou, Prénom : Ines, né le 3 mars", "Benhamou", "PERSON"),
        ("Traduis en anglais : Nom : Benali, Prénom : Samira", "Benali", "PERSON"),
        ("یه پیام برای همکارم نگار رحیمی بنویس", "نگار رحیمی", "PERSON"),
        ("sshd[2231]: Accepted publickey for ttierney from 203.0.113.9 port 5143",
         "ttierney", "USERNAME"),
    ],
)  # fmt: skip
def test_value_is_found_whole_and_redacted(
    scanner: PrivacyScanner,  # noqa: F811
    text: str,
    value: str,
    kind: str,
) -> None:
    found = {(e.type, text[e.start : e.end]) for e in scan_text(scanner, text).entities}
    assert (kind, value) in found
    out = redact_text(scanner, text)
    assert all(word not in out for word in value.split() if len(word) >= 3)


def test_a_sign_off_word_inside_a_sentence_names_nobody(
    scanner: PrivacyScanner,  # noqa: F811
) -> None:
    text = "what does cheers mean at the end of a british email"
    assert not scan_text(scanner, text).sensitive


@pytest.mark.parametrize(
    "text",
    [
        "oye q le digo a mi suegra Maripili si me pregunta otra vez",
        "我同事小周天天在工位上吃螺蛳粉，怎么委婉地跟他说",
        "короче Димон опять занял у меня 5к и пропал",
    ],
)
def test_private_people_after_relations_and_everyday_verbs(
    scanner: PrivacyScanner,  # noqa: F811
    text: str,
) -> None:
    assert scan_text(scanner, text).sensitive


def test_a_failed_login_for_an_invalid_user_names_nobody(
    scanner: PrivacyScanner,  # noqa: F811
) -> None:
    text = "sshd[2231]: Failed password for invalid user admin from 203.0.113.9 port 51422"
    assert all(e.type != "USERNAME" for e in scan_text(scanner, text).entities)


def test_a_family_name_with_a_capitalised_particle_is_redacted_whole(
    scanner: PrivacyScanner,  # noqa: F811
) -> None:
    text = "corrige ce mail : Bonjour, voici le devis. Cordialement, Yannick Le Goff"
    out = redact_text(scanner, text)
    assert "Yannick" not in out and "Goff" not in out
