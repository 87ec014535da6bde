"""Addresses that belong to no one (documentation domains, this machine's IPs) are not
personal data; the look-alikes that do name someone still are. Unit tests on
``privacy/reserved.py``, then the real scanner."""

from __future__ import annotations

import pytest
from privacy_fixtures import (  # noqa: F401 - scanner is a pytest fixture
    assert_found_and_redacted,
    scan_text,
    scanner,
)

from edge_router.privacy.reserved import nobodys_mailbox, reserved_host, reserved_ip
from edge_router.privacy.scanner import PrivacyScanner


@pytest.mark.parametrize(
    ("address", "nobodys"),
    [
        ("oncall@example.com", True),
        ("john.doe@example.org", True),
        ("no-reply@mail.example", True),
        ("test2@app.test", True),
        ("USER@EXAMPLE.NET", True),
        ("support@acme-widgets.com", True),  # a role, at any domain
        ("maria.gonzalez@example.com", False),  # may carry a real name: fail closed
        ("jane.roe@example.com", False),  # a stand-in given name with another word
        ("a.b@example.com", False),  # initials
        ("user123@example.com", False),  # three digits: maybe a number
        ("card.4111111111111111@example.com", False),
        ("jdunmore@example.com", False),
        ("user@notexample.com", False),
        ("user@gmail.com", False),
        ("not an address", False),
    ],
)
def test_nobodys_mailbox(address: str, nobodys: bool) -> None:
    assert nobodys_mailbox(address) is nobodys


@pytest.mark.parametrize(
    ("address", "nobodys"),
    [
        ("team-payments@example.com", True),
        ("leak.canary.7@example.org", True),
        ("all-hands@mail.example", True),
        ("jane.roe@example.com", False),
        ("a.b@example.com", False),  # letters too short to be a plain word
        ("team-payments@acme.com", False),  # a real domain
    ],
)
def test_plain_words_at_reserved_domains(address: str, nobodys: bool) -> None:
    plain = {"team", "payments", "leak", "canary", "all", "hands", "roe", "a", "b"}.__contains__
    assert nobodys_mailbox(address, plain) is nobodys


@pytest.mark.parametrize(
    ("value", "reserved"),
    [
        ("127.0.0.1", True),
        ("127.8.9.10", True),
        ("::1", True),
        ("[::1]", True),
        ("0.0.0.0", True),
        ("192.168.1.20", False),  # a real network
        ("198.51.100.23", False),  # documentation range: maybe a stand-in
        ("8.8.8.8", False),
        ("not an ip", False),
    ],
)
def test_reserved_ip(value: str, reserved: bool) -> None:
    assert reserved_ip(value) is reserved


def test_reserved_host() -> None:
    assert reserved_host("docs.example.org.") and reserved_host("printer.localhost")
    assert reserved_host("mail.example") and reserved_host("nas.local")
    assert not reserved_host("examples.com") and not reserved_host("gmail.com")


@pytest.mark.parametrize(
    "text",
    [
        "regex to validate emails like name@example.com but reject name@localhost",
        "kubectl apply fails:\nmetadata:\n  name: billing-worker\n"
        "  labels: {owner: team-platform, contact: oncall@example.com}",
        "what does this nginx error mean: [error] 2231#2231: *1 connect() failed, upstream: "
        '"http://127.0.0.1:8000/"',
        "users = [{'name': 'John Doe', 'email': 'user@example.com'}]\nloop over these dicts",
    ],
)
def test_code_and_logs_with_reserved_addresses_are_not_sensitive(
    scanner: PrivacyScanner,  # noqa: F811
    text: str,
) -> None:
    result = scan_text(scanner, text)
    assert not result.sensitive, result.reasons


@pytest.mark.parametrize(
    ("text", "value", "kind"),
    [
        ("write to maria.gonzalez@example.com about the lease", "maria.gonzalez@example.com",
         "EMAIL_ADDRESS"),
        ("the box at 192.168.1.20 keeps dropping ssh", "192.168.1.20", "IP_ADDRESS"),
        ("add me on discord, dana_k#4821", "dana_k#4821", "USERNAME"),
    ],
)  # fmt: skip
def test_look_alikes_that_name_someone_are_found_and_redacted(
    scanner: PrivacyScanner,  # noqa: F811
    text: str,
    value: str,
    kind: str,
) -> None:
    assert_found_and_redacted(scanner, text, value, kind)
