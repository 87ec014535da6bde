from __future__ import annotations

import pytest
from privacy_fixtures import scan_text, scanner  # noqa: F401 - pytest fixture

from edge_router.privacy.recognizers import (
    OfflineEmailRecognizer,
    SecretsRecognizer,
    offline_tld_extractor,
)
from edge_router.privacy.scanner import PrivacyScanner

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
    ],
)
def test_no_secret_in_prose(text: str) -> None:
    assert SecretsRecognizer().analyze(text, []) == []


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


def test_offline_email_recognizer_validates_with_snapshot() -> None:
    rec = OfflineEmailRecognizer(offline_tld_extractor())
    text = "write to jane.doe@example.co.uk or to x@y.notatld"
    found = [text[r.start : r.end] for r in rec.analyze(text, ["EMAIL_ADDRESS"])]
    assert found == ["jane.doe@example.co.uk"]
