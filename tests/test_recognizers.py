from __future__ import annotations

import pytest
import spacy
from presidio_analyzer.nlp_engine import NlpArtifacts
from privacy_fixtures import scan_text, scanner  # noqa: F401 - pytest fixture
from spacy.lang.en.stop_words import STOP_WORDS

from edge_router.privacy.addresses import PostalAddressRecognizer
from edge_router.privacy.gazetteer import GazetteerNameRecognizer
from edge_router.privacy.namelists import NameLists, fold, load_name_lists
from edge_router.privacy.numbers import (
    AnyCaseIbanRecognizer,
    ContextPhoneRecognizer,
    LuhnCardRecognizer,
)
from edge_router.privacy.recognizers import (
    OfflineEmailRecognizer,
    SecretsRecognizer,
    offline_tld_extractor,
)
from edge_router.privacy.scanner import PrivacyScanner
from edge_router.privacy.settings import ScannerSettings
from edge_router.privacy.types import TextField

TAIL = "Ab3dEfGh1jKlMn0pQrStUvWxYz_0123456789-ABCDEFGH"
JWT = (
    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0."
    "dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U"
)


@pytest.mark.parametrize(
    ("text", "entity", "value"),
    [
        ("use key AKIAIOSFODNN7EXAMPLE for s3", "API_KEY", "AKIAIOSFODNN7EXAMPLE"),
        ("token ghp_abcdefghijklmnopqrstuvwxyz0123456789 ok", "API_KEY", None),
        (f"Authorization: {JWT}", "SECRET", JWT),
        ("postgres://admin:S3cretPw@db.internal:5432/app", "PASSWORD", "S3cretPw"),
        ("Server=db;User Id=sa;Password=S3cr3t!;", "PASSWORD", "S3cr3t!"),
        ("my password is hunter2, don't tell", "PASSWORD", "hunter2"),
        ("db_password: Tr0ub4dor&3", "PASSWORD", "Tr0ub4dor&3"),
        # provider keys detect-secrets 1.5 has no plugin for (fake, right shape)
        (f"OPENAI_API_KEY=sk-proj-{TAIL} done", "API_KEY", f"sk-proj-{TAIL}"),
        (f"key sk-ant-api03-{TAIL}AA", "API_KEY", f"sk-ant-api03-{TAIL}AA"),
        (f"sk-{TAIL[:40].replace('_', 'x').replace('-', 'y')}", "API_KEY", None),
        ("github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyzABCDEF", "API_KEY", None),
        (
            "maps key AIzaSyA1234567890abcdefghijklmnopqrstu.",
            "API_KEY",
            "AIzaSyA1234567890abcdefghijklmnopqrstu",
        ),
        (
            "HF_TOKEN=hf_AbCdEfGhIjKlMnOpQrStUvWxYz0123456789",
            "API_KEY",
            "hf_AbCdEfGhIjKlMnOpQrStUvWxYz0123456789",
        ),
        (f"groq gsk_{TAIL.replace('_', '').replace('-', '')}x", "API_KEY", None),
    ],
)
def test_secrets(text: str, entity: str, value: str | None) -> None:
    found = SecretsRecognizer().analyze(text, [])
    spans = {(r.entity_type, text[r.start : r.end]) for r in found}
    assert any(t == entity and (value is None or v == value) for t, v in spans), spans


def test_private_key_covers_whole_pem_block() -> None:
    pem = "-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA\n-----END RSA PRIVATE KEY-----"
    text = f"here:\n{pem}\nthanks"
    found = SecretsRecognizer().analyze(text, [])
    assert any(r.entity_type == "PRIVATE_KEY" and text[r.start : r.end] == pem for r in found)


@pytest.mark.parametrize(
    "text",
    [
        "What makes a strong password? Explain entropy.",
        "The secret: add a pinch of salt.",
        "Write a function that checks a JWT's expiry.",
        "My PIN is important to me, how do I choose one?",
        "Read sk-learn-classification-with-random-forests-and-more on the blog.",
        "The hf_transfer_and_accelerate_integration_notes flag is documented.",
    ],
)
def test_no_secret_in_prose(text: str) -> None:
    assert SecretsRecognizer().analyze(text, []) == []


@pytest.mark.parametrize(
    ("text", "entity", "value"),
    [
        (
            "my number is four one five, five five five, two six seven one. thanks",
            "PHONE_NUMBER",
            "four one five, five five five, two six seven one",
        ),
        (
            "reach me at j a n e k @ e x a m p l e . o r g today",
            "EMAIL_ADDRESS",
            "j a n e k @ e x a m p l e . o r g",
        ),
        (
            "reach me at jane.dunmore@example\u3002org today",
            "EMAIL_ADDRESS",
            "jane.dunmore@example\u3002org",
        ),
        (f"use sk-proj-{TAIL} please", "API_KEY", f"sk-proj-{TAIL}"),
    ],
)
def test_obfuscated_values_are_found_over_their_written_span(
    scanner: PrivacyScanner,  # noqa: F811
    text: str,
    entity: str,
    value: str,
) -> None:
    """Found on the normalised text, reported over the characters the client sent, so
    redaction replaces all of them (a digit word or letter left behind would leak)."""
    result = scanner.scan([TextField("p", text)])
    assert result.sensitive
    spans = [text[e.start : e.end] for e in result.entities if e.type == entity]
    assert any(value in s for s in spans), (spans, [e.type for e in result.entities])


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("my name is amer and I need help", "amer"),
        ("Hi, this is maria from accounting.", "maria"),
        ("I'm JOHN SMITH, the new tenant", "JOHN SMITH"),
        ("Please send it over.\nRegards,\nbob", "bob"),
        ("Name: priya patel\nRole: admin", "priya patel"),
        ("Dear anna,\nthe report is late.", "anna"),
        ("CALL JOHN SMITH TOMORROW ABOUT THE LEASE", "JOHN SMITH"),
    ],
)
def test_names_in_any_casing(scanner: PrivacyScanner, text: str, name: str) -> None:  # noqa: F811
    result = scan_text(scanner, text)
    persons = {text[e.start : e.end] for e in result.entities if e.type == "PERSON"}
    assert name in persons, persons
    assert result.sensitive
    assert "entity:PERSON" in result.reasons


@pytest.mark.parametrize(
    "text",
    ["I'm tired.", "Hi there, can you help?", "This is important.", "Hello world!\nprint it"],
)
def test_self_introduction_cues_need_a_name(scanner: PrivacyScanner, text: str) -> None:  # noqa: F811
    assert not scan_text(scanner, text).sensitive


def test_street_address(scanner: PrivacyScanner) -> None:  # noqa: F811
    result = scan_text(scanner, "Ship it to 1600 Pennsylvania Ave NW, Apt. 4, please")
    assert "entity:STREET_ADDRESS" in result.reasons


@pytest.mark.parametrize(
    ("text", "address"),
    [
        ("plan a 20 minute circle time around a nursery rhyme", False),
        ("a 5 mile loop trail near the lake", False),
        ("it's a 5 minute walk from 12 Oak Street", True),
        ("I live at 20 Maple Circle", True),
    ],
)
def test_a_quantity_before_a_street_word_is_no_address(
    scanner: PrivacyScanner,  # noqa: F811
    text: str,
    address: bool,
) -> None:
    assert ("entity:STREET_ADDRESS" in scan_text(scanner, text).reasons) is address


def test_offline_email_recognizer_validates_with_snapshot() -> None:
    rec = OfflineEmailRecognizer(offline_tld_extractor())
    text = "write to jane.doe@example.co.uk or to x@y.notatld"
    found = [text[r.start : r.end] for r in rec.analyze(text, ["EMAIL_ADDRESS"])]
    assert found == ["jane.doe@example.co.uk"]


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("Need to change billing date of my card 2623322164608847", "2623322164608847"),
        ("What is the limit for card 501864667909?", "501864667909"),
        ("Please block card no 4415101282806639538", "4415101282806639538"),
        ("pay with 4539-1488-0343-6467 today", "4539-1488-0343-6467"),
    ],
)
def test_luhn_cards(text: str, value: str) -> None:
    found = {text[r.start : r.end] for r in LuhnCardRecognizer().analyze(text, ["CREDIT_CARD"])}
    assert value in found


@pytest.mark.parametrize(
    "text",
    [
        "order 501864667909 shipped",  # Luhn-valid, but no card cue and no network prefix
        "card 4111 1111 1111 1112",  # fails Luhn
        "timestamp 1700000000000 ms",
        "card 4111-1111 1111-1111",  # mixed separators
    ],
)
def test_luhn_cards_need_checksum_and_cue(text: str) -> None:
    assert LuhnCardRecognizer().analyze(text, ["CREDIT_CARD"]) == []


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("Can someone call me on 450 0840? I have questions.", "450 0840"),
        ("They're not answering at (32) 484-557", "(32) 484-557"),
        ("They're not answering at 71-33-52-22", "71-33-52-22"),
        ("my mobile: 0612 345 678 ext 12", "0612 345 678 ext 12"),
    ],
)
def test_local_phone_numbers_after_a_cue(text: str, value: str) -> None:
    found = {text[r.start : r.end] for r in ContextPhoneRecognizer().analyze(text, [])}
    assert value in found


@pytest.mark.parametrize(
    "text",
    ["The population grew from 450 0840 to 9 000 000.", "call it 3.14159 26535", "call 12 34"],
)
def test_local_phone_numbers_need_a_cue_and_a_shape(text: str) -> None:
    assert ContextPhoneRecognizer().analyze(text, []) == []


@pytest.mark.parametrize(
    ("text", "value"),
    [
        # Informal cues, no area code, 2-4 groups of uneven length.
        ("please stop sending messages to 612 448 903", "612 448 903"),
        ("nobody is answering at 41 772913", "41 772913"),
        ("I never got a text on my registered 771 2290, can you check?", "771 2290"),
        ("whatsapp me at 0687 12 34 56", "0687 12 34 56"),
        ("you can ring me on 0161 4960 773", "0161 4960 773"),
        ("dial 06-81234567 after six", "06-81234567"),
        ("What's your number? 0493 21 87 65", "0493 21 87 65"),
        # One unbroken run after a strong cue.
        ("my cell is 5551234", "5551234"),
        ("Fax: 0207946012", "0207946012"),
        # The label after the number is the cue.
        ("0612 345 678 mobile", "0612 345 678"),
        ("(44) 931-227-Office", "(44) 931-227"),
        ("+33 (0)6 12 34 56 78 fax", "+33 (0)6 12 34 56 78"),
    ],
)
def test_informal_phone_cues_and_shapes(text: str, value: str) -> None:
    found = {text[r.start : r.end] for r in ContextPhoneRecognizer().analyze(text, [])}
    assert value in found, found


@pytest.mark.parametrize(
    "text",
    [
        "The message reached 1 234 567 people.",  # thousands grouping
        "We texted 12 500 000 customers.",
        "Our call center took 150 320 410 calls last year.",  # a count before a unit
        "Please text me the report by 2023-11-05.",  # a date
        "Call the function with 3.14159 26535",  # decimals
        "the number 12345.6789",
        "Phone models from 1998 2005 2010",  # years
        "Find the missing number: 12 24 36 48",  # a progression
        "Call stack sizes of 1024 2048 4096",
        "Find the largest number: 12 45 67 89 23 11",  # a list, not a phone
        "I can't reach 192.168.100.200 from here.",  # an IP address
        "order number 58213307 shipped",  # plain digits need a phone cue, not "number"
        "They reached 2500000 users.",
        "Call Anna. The budget is 450 0840 euros.",  # cue in another sentence, and a unit
        "The ring has 144 1728 elements.",  # "ring" only as "ring me"
    ],
)
def test_informal_phone_cues_leave_numbers_alone(text: str) -> None:
    assert ContextPhoneRecognizer().analyze(text, []) == []


def test_iban_any_case_checked_by_mod97() -> None:
    rec = AnyCaseIbanRecognizer()
    text = "my iban is gb82west12345698765432 and not gb82west12345698765433"
    assert [text[r.start : r.end] for r in rec.analyze(text, [])] == ["gb82west12345698765432"]


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("Meet me at PSC 1437, Box 3833\nAPO AA 66791", "PSC 1437, Box 3833\nAPO AA 66791"),
        ("Our offices are located at USNS Møller\nFPO AA 85844", "USNS Møller\nFPO AA 85844"),
        ("It's at 12 Elm St, Springfield, IL 62704", "Springfield, IL 62704"),
        ("My zip code is 72664", "72664"),
        ("The bus station is located at Pod Floriánem 1677", "Pod Floriánem 1677"),
        ("please update my address to Beiteveien 2", "Beiteveien 2"),
    ],
)
def test_postal_addresses(text: str, value: str) -> None:
    found = {text[r.start : r.end] for r in PostalAddressRecognizer().analyze(text, [])}
    assert value in found


@pytest.mark.parametrize(
    "text",
    [
        "We moved to 2019 budgets last week.",
        "Meet me at the station at 5 pm.",
        "Send it to the team in 3 days.",
        "The zip file is 20 MB.",
    ],
)
def test_no_postal_address_in_prose(text: str) -> None:
    assert PostalAddressRecognizer().analyze(text, []) == []


@pytest.mark.parametrize(
    ("text", "value"),
    [
        # "Name(s) number" a few words after a cue, in the same sentence.
        ("She lives on the east end of Ramón Castillo 1420.", "Ramón Castillo 1420"),
        ("The bakery is on Na Příkopě 2210", "Na Příkopě 2210"),
        ("what's the address? it is the corner of Torvet 18 and Sjøgata", "Torvet 18"),
        ("The address of Blue Fern Ltd is Saga and Øvrebyen 12", "Saga and Øvrebyen 12"),
        ("My address is Via Lunga 7", "Via Lunga 7"),
        ("can you send a new card to Rúa do Pombal 31?", "Rúa do Pombal 31"),
        ("i live at kongsveien 4", "kongsveien 4"),  # lower case straight after the cue
        # "number Name(s) number", any script, also past a business name or a question.
        ("Let's meet Friday at Kafe Lilla, 72 Havnegata 14, Tromsø", "72 Havnegata 14"),
        ("The parcel arrived at 9 Οδός Ερμού 42 yesterday.", "9 Οδός Ερμού 42"),
        ("What's the address? Is it far? It's at 14 Rua Augusta 88", "14 Rua Augusta 88"),
    ],
)
def test_cued_streets(text: str, value: str) -> None:
    found = {text[r.start : r.end] for r in PostalAddressRecognizer().analyze(text, [])}
    assert value in found, found


@pytest.mark.parametrize(
    "text",
    [
        "We'll meet at 5 pm.",
        "Let's meet at 10:30 on Monday 5",
        "Read Chapter 12 and meet us at Room 101.",
        "It runs on Python 3 and the office is on Windows 11.",
        "The new store is on iPhone 14 launch day.",
        "Our house is on Route 66.",
        "My office is at Level 3 of Building 5.",
        "The shop is on Black Friday 2023 and the event is on May 5.",
        "The address field in Form 8 must be filled.",
        "The IP address is wrong. Use Ubuntu 22 instead.",  # another sentence
        "The address bus is 16 bits wide in the Intel 8086.",  # "address" is no "address is"
        "They moved to Berlin in 2015.",
        "Our headquarters is in Paris 2024 Olympic village.",  # a year
        "The gene is located on chromosome 7.",
        "The answer is based on Theorem 2.",
        "The address is in Appendix B 3.",
        "It will take the machine to fill 500 bottles.",
    ],
)
def test_cued_streets_need_a_street_shape(text: str) -> None:
    assert PostalAddressRecognizer().analyze(text, []) == []


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("I would like to remove my kid Lukas from the will.", "Lukas"),
        ("Sometimes people call me Natalija", "Natalija"),
        ("She was born on 7/14/1995. Her maiden name is Inarkaevich", "Inarkaevich"),
        ("follow up with patricia desrosiers in a couple of months.", "patricia desrosiers"),
    ],
)
def test_names_from_naming_cues_and_lowercase_text(
    scanner: PrivacyScanner,  # noqa: F811
    text: str,
    name: str,
) -> None:
    result = scan_text(scanner, text)
    persons = {text[e.start : e.end] for e in result.entities if e.type == "PERSON"}
    assert name in persons, persons
    assert result.sensitive


# ---- names from first-name and surname lists -------------------------------------------

_LISTS = NameLists(
    first=frozenset(map(fold, ["Csanád", "Radka", "Sofia", "Ravil", "Will", "Ask", "Scott"])),
    last=frozenset(map(fold, ["Lima", "Dvořáková", "Yefimov"])),
    places=frozenset({"sofia", "lima"}),
)
_ENGLISH = frozenset({"will", "sofia", "lima", "ask", "scott", "rose", "rocket", "art", "holding"})


def _gazetteer_spans(text: str, ents: tuple[tuple[int, int, str], ...] = ()) -> list[str]:
    """Spans the recognizer reports on a tokenized ``text`` with the given NER entities."""
    nlp = spacy.blank("en")
    doc = nlp.make_doc(text)
    doc.ents = [doc.char_span(s, e, label=label) for s, e, label in ents]
    rec = GazetteerNameRecognizer(_LISTS, _ENGLISH, frozenset(STOP_WORDS), score=0.55)
    artifacts = NlpArtifacts([], doc, [t.idx for t in doc], [t.lower_ for t in doc], None, "en")
    return [text[r.start : r.end] for r in rec.analyze(text, ["PERSON"], artifacts)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # Accent-insensitive, also at the start of a sentence.
        ("Why is Csanad so impulsive?", ["Csanad"]),
        ("Csanád is very reliable.", ["Csanád"]),
        # Initials and unknown capitalised words join the name.
        ("Have you been to a Ravil G Yefimov concert?", ["Ravil G Yefimov"]),
        # A first name + surname counts even when both are English words too.
        ("Please change it to Sofia Lima", ["Sofia Lima"]),
        # A listed first name + a word that is no English word.
        ("I met Scott Deutekom yesterday", ["Scott Deutekom"]),
        # A verb opening the sentence is not part of the name.
        ("Ask Radka whether the invoice was paid.", ["Radka"]),
        # A title before a name is no part of it.
        ("A letter from King Radka arrived", ["Radka"]),
        # Lower-case prose: listed names in any casing.
        ("can radka bring the charger tomorrow?", ["radka"]),
        # English words, stop words and a lone English first name stay clean.
        ("Will you and Rose bring the Rocket and Art books?", []),
        ("We asked Scott about it.", []),
        ("Ask for help", []),
    ],
)
def test_gazetteer_names(text: str, expected: list[str]) -> None:
    assert _gazetteer_spans(text) == expected


def test_gazetteer_respects_ner_labels() -> None:
    text = "We drove from Sofia Lima to Radka with Csanád."
    # A known place that NER calls a place is never a name; NER's own PERSON spans are
    # not reported twice.
    ents = ((14, 24, "GPE"), (39, 45, "PERSON"))
    assert _gazetteer_spans(text, ents) == ["Radka"]
    # A lone listed first name that NER calls an organisation is still a name.
    assert _gazetteer_spans("Is Radka coming?", ((3, 8, "ORG"),)) == ["Radka"]
    # Inside a longer organisation name it is not.
    assert _gazetteer_spans("Is Radka Holdings hiring?", ((3, 17, "ORG"),)) == []


def test_name_lists_load_from_the_installed_package() -> None:
    lists = load_name_lists()
    assert lists is not None
    assert len(lists.first) > 10_000 and len(lists.last) > 10_000
    assert load_name_lists("edge_router_no_such_package") is None
    assert fold("Vásquez") == "vasquez" and fold("Miklós") == "miklos"


@pytest.mark.parametrize(
    "text",
    [
        "Is Vesna coming to the barbecue on Sunday?",
        "Should Radka sign the lease before Friday?",
    ],
)
def test_listed_names_ner_misses_are_sensitive(
    scanner: PrivacyScanner,  # noqa: F811
    text: str,
) -> None:
    result = scan_text(scanner, text)
    assert result.sensitive, result.reasons
    assert "entity:PERSON" in result.reasons


def test_listed_names_follow_the_context_rules(scanner: PrivacyScanner) -> None:  # noqa: F811
    # The same kind of name in a story stays a weak signal, as NER's names do.
    result = scan_text(scanner, "Write a short story in which Radka finds a lost dog.")
    assert not result.sensitive, result.reasons


def test_name_lists_can_be_switched_off() -> None:
    text = "Should Radka sign the lease before Friday?"
    off = PrivacyScanner(ScannerSettings(name_lists=False))
    assert not any(e.type == "PERSON" for e in scan_text(off, text).entities)
