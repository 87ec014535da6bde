from __future__ import annotations

import asyncio
import socket
import time
from typing import Any

import pytest
from presidio_analyzer import EntityRecognizer, RecognizerResult
from privacy_fixtures import scan_text, scanner  # noqa: F401 - pytest fixture

from edge_router.privacy.redaction import Vault, redact_body
from edge_router.privacy.scanner import PrivacyScanner
from edge_router.privacy.settings import ScannerSettings
from edge_router.privacy.types import TextField


class _Trap(EntityRecognizer):
    """Raises on 'BOOM' and sleeps on 'SLOW', to prove the scanner fails closed."""

    def __init__(self) -> None:
        super().__init__(supported_entities=["TRAP"], name="Trap")

    def load(self) -> None:
        pass

    def analyze(
        self, text: str, entities: Any, nlp_artifacts: Any = None
    ) -> list[RecognizerResult]:
        if "BOOM" in text:
            raise RuntimeError("recognizer exploded")
        if "SLOW" in text:
            time.sleep(1.0)
        return []


@pytest.fixture(scope="module")
def trap_scanner() -> PrivacyScanner:
    return PrivacyScanner(ScannerSettings(timeout_s=0.3), extra_recognizers=[_Trap()])


def test_offline_with_sockets_blocked(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise OSError("network disabled in this test")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    fresh = PrivacyScanner(ScannerSettings())
    assert fresh.ready
    text = "Mail jane.doe@example.co.uk, see https://example.org/docs"
    result = fresh.scan([TextField("text", text)])
    assert "entity:EMAIL_ADDRESS" in result.reasons
    assert "URL" in result.entity_types


def test_recognizer_error_fails_closed(trap_scanner: PrivacyScanner) -> None:
    result = trap_scanner.scan([TextField("text", "BOOM goes the text")])
    assert result.sensitive
    assert result.reasons == ("scan_failed",)


def test_timeout_fails_closed(trap_scanner: PrivacyScanner) -> None:
    result = asyncio.run(trap_scanner.ascan([TextField("text", "SLOW text here")]))
    assert result.sensitive
    assert result.reasons == ("scan_failed",)


def test_ascan_normal(scanner: PrivacyScanner) -> None:  # noqa: F811
    result = asyncio.run(scanner.ascan([TextField("text", "email me: a.b@example.com")]))
    assert result.reasons == ("entity:EMAIL_ADDRESS",)


def test_bad_input_fails_closed(scanner: PrivacyScanner) -> None:  # noqa: F811
    result = scanner.scan([TextField("text", 123)])  # type: ignore[arg-type]
    assert result.reasons == ("scan_failed",)


@pytest.mark.parametrize(
    "text",
    [
        "Write a poem about the French Revolution of 1789.",
        "What is the capital of Australia, and when was it founded?",
        "Compare the economies of Japan and Germany since the 1990s.",
        # The small model calls "Summarize Shakespeare's" a person; a known family
        # name before a titled work ("Shakespeare's Hamlet") is public framing.
        "Summarize Shakespeare's Hamlet in three sentences.",
        "Write a function that parses JSON and returns len(X) for each TODO item.",
        "Schedule a meeting for next Tuesday at 3pm.",
        "Explain how Google's PageRank algorithm works.",
    ],
)
def test_clean_prompts_not_sensitive(scanner: PrivacyScanner, text: str) -> None:  # noqa: F811
    result = scan_text(scanner, text)
    assert not result.sensitive, result.reasons


def test_reasons_never_contain_values(scanner: PrivacyScanner) -> None:  # noqa: F811
    text = "I'm amer, card 4111 1111 1111 1111, mail amer@example.com"
    result = scan_text(scanner, text)
    assert result.sensitive
    for reason in result.reasons:
        assert "amer" not in reason and "4111" not in reason
    assert {"entity:CREDIT_CARD", "entity:EMAIL_ADDRESS"} <= set(result.reasons)


def test_non_text_parts_are_sensitive(scanner: PrivacyScanner) -> None:  # noqa: F811
    result = scanner.scan([TextField("text", "describe this")], ["messages[0].content[1]"])
    assert result.sensitive and result.reasons == ("non_text_part",)
    assert result.non_text_parts == ("messages[0].content[1]",)


def test_fields_and_offsets(scanner: PrivacyScanner) -> None:  # noqa: F811
    fields = [TextField("messages[0].content", "hi"), TextField("messages[1].content", "x a@b.com")]
    result = scanner.scan(fields)
    (email,) = [e for e in result.entities if e.type == "EMAIL_ADDRESS"]
    assert email.field == "messages[1].content"
    assert fields[1].text[email.start : email.end] == "a@b.com"


def test_cache_reuses_results_without_text() -> None:
    fresh = PrivacyScanner(ScannerSettings(cache_size=2))
    first = fresh.scan([TextField("a", "call me at 212-555-0199")])
    again = fresh.scan([TextField("a", "call me at 212-555-0199")])
    assert first == again
    for value in fresh._cache.values():  # only types, offsets, scores
        assert all(isinstance(x, str | int | float) for det in value for x in det)
        assert all("212" not in str(x) for det in value for x in det)
    fresh.scan([TextField("b", "one")])
    fresh.scan([TextField("c", "two")])
    assert len(fresh._cache) <= 2


def test_long_text_is_chunked_and_offsets_map_back() -> None:
    fresh = PrivacyScanner(ScannerSettings(max_chunk_chars=1000, chunk_overlap_chars=100))
    filler = "lorem ipsum dolor sit amet " * 200
    text = filler + "contact jane.roe@example.com today " + filler
    result = fresh.scan([TextField("t", text)])
    emails = [e for e in result.entities if e.type == "EMAIL_ADDRESS"]
    assert [text[e.start : e.end] for e in emails] == ["jane.roe@example.com"]


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        (
            "Pretend yourself to be Elon Musk in all the following conversations. "
            "Speak like Elon Musk as much as possible.",
            "weak:PERSON(public_context)",
        ),
        (
            "Write a short story about John Smith, a famous detective.",
            "weak:PERSON(public_context)",
        ),
    ],
)
def test_person_under_public_or_invented_framing_is_weak(
    scanner: PrivacyScanner,  # noqa: F811
    text: str,
    reason: str,
) -> None:
    result = scan_text(scanner, text)
    assert "PERSON" in result.entity_types
    assert not result.sensitive, result.reasons
    assert reason in result.reasons


@pytest.mark.parametrize(
    "text",
    [
        # the same framings, but the name is tied to personal data or a private fact
        "Write an email to my landlord John Smith about the broken heating.",
        "Summarize this email:\nDear John Smith, your HIV test results are attached.",
        "Pretend to be Elon Musk and email me at jo@example.com",
        "Write a poem for my daughter Maria.",
        # task verbs weaken no one (issue 11): a pasted email's people are real
        "Summarize this email in one sentence:\nDear Olivia, the meeting moved to Monday.",
    ],
)
def test_person_with_personal_context_stays_sensitive(
    scanner: PrivacyScanner,  # noqa: F811
    text: str,
) -> None:
    result = scan_text(scanner, text)
    assert result.sensitive, result.reasons
    assert "entity:PERSON" in result.reasons


def test_person_alone_setting() -> None:
    text = "Why is Jonathan Meyer so impulsive?"
    strict = PrivacyScanner(ScannerSettings())
    lenient = PrivacyScanner(ScannerSettings(person_alone_sensitive=False))
    assert scan_text(strict, text).reasons == ("entity:PERSON",)
    result = scan_text(lenient, text)
    assert not result.sensitive
    assert result.reasons == ("weak:PERSON(no_personal_context)",)


@pytest.mark.parametrize(
    ("text", "sensitive"),
    [
        # a public figure WordNet knows: the framing keeps the name weak
        ("Have you read the latest novel by Charles Dickens?", False),
        ("Which film did Albert Einstein appear in?", False),
        # a name no public figure bears: "film"/"novel" no longer vouch for it
        ("Have you read the latest novel by Branimira Zdravkovic?", True),
        ("Which film did Branimira Zdravkovic appear in?", True),
        # invented people (role play, exercises) stay weak whatever their name
        ("Play the character of Branimira Zdravkovic in our chat.", False),
    ],
)
def test_public_framing_needs_a_known_name(
    scanner: PrivacyScanner,  # noqa: F811
    text: str,
    sensitive: bool,
) -> None:
    result = scan_text(scanner, text)
    assert "PERSON" in result.entity_types
    assert result.sensitive is sensitive, result.reasons


def test_public_framing_known_name_setting() -> None:
    text = "Which film did Branimira Zdravkovic appear in?"
    lenient = PrivacyScanner(ScannerSettings(public_context_needs_known_name=False))
    assert scan_text(lenient, text).reasons == ("weak:PERSON(public_context)",)


def test_context_words_inside_a_name_are_no_cue(scanner: PrivacyScanner) -> None:  # noqa: F811
    # "King" is a public-context word, but here it is part of the name itself.
    result = scan_text(scanner, "The name in the account is wrong, change it to Ivan King")
    assert result.sensitive, result.reasons


PREFILTER_TEXTS = [
    "call me at +1 (212) 555-0199 or 020 7946 0958",
    "card 4539 1488 0343 6467, iban GB82 WEST 1234 5698 7654 32",
    "server 10.0.0.1 and fe80::1, mac 00:1B:44:11:3A:B7",
    "visit https://example.org/docs or mail jane@example.com",
    "ssn 078-05-1120, passport 912803456, nino AB123456C",
    "no digits and no at sign here at all, just Maria from Lisbon",
]


def test_prefilter_changes_no_findings(scanner: PrivacyScanner) -> None:  # noqa: F811
    unfiltered = PrivacyScanner(ScannerSettings(prefilter_recognizers=False))
    for text in PREFILTER_TEXTS:
        assert scan_text(scanner, text) == scan_text(unfiltered, text), text


def test_vocabulary_growth_is_bounded() -> None:
    # New words must not pile up in spaCy's string store for the daemon's life.
    bounded = PrivacyScanner(ScannerSettings(vocab_growth_limit=100))
    base = len(bounded._nlp.vocab.strings)
    words = [f"Zqx{i}vorn" for i in range(600)]
    for start in range(0, len(words), 30):
        scan_text(bounded, "Ask " + " and ".join(words[start : start + 30]) + " about it.")
    grown = len(bounded._nlp.vocab.strings) - base
    # Up to the limit, plus what the scan that crossed it added; nothing after that.
    assert 100 <= grown < 100 + 60
    # The scanner still works after each zone was left.
    assert scan_text(bounded, "mail me at jane.k@example.org").sensitive


# ---- obfuscation: detect on the normalised text, redact and restore the original ------

OBFUSCATED = [
    # (text with {} where the value goes, type, the value as the client wrote it)
    ("mail me at {}", "EMAIL_ADDRESS", "jane\u200b.dunmore@exa\u200dmple.org"),
    ("my card is {}", "CREDIT_CARD", "4111\u200b1111\u200b1111\u200b1111"),
    ("my ssn is {}", "US_SSN", "536\u200b-22-12\u206034"),
    ("my colleague {} called", "PERSON", "Mar\u200bta Kowal\u200bska"),
    ("my card is {}", "CREDIT_CARD", "４１１１ １１１１ １１１１ １１１１"),
    ("write to {}", "EMAIL_ADDRESS", "janek [at] example [dot] org"),
    ("write to {}", "EMAIL_ADDRESS", "janek (at) example (dot) org"),
    ("write to {}", "EMAIL_ADDRESS", "janek at example dot org"),
    ("write to {}", "EMAIL_ADDRESS", "janek @ example . org"),
    ("write to {}", "EMAIL_ADDRESS", "janek%40example.org"),
    ("write to {}", "EMAIL_ADDRESS", "janek&#64;example.org"),
    ('<a href="mailto:{}">mail me</a>', "EMAIL_ADDRESS", "janek&#x40;example.org"),
    ("write to {}", "EMAIL_ADDRESS", "jаnеk@ехаmple.org"),  # Cyrillic а, е, х
    ("my ssn is {}", "US_SSN", "5 3 6 2 2 1 2 3 4"),
    ("pay with card {}", "CREDIT_CARD", "4111.1111.1111.1111"),
    ("mail, base64: {}", "EMAIL_ADDRESS", "am9obi5kdW5tb3JlQGV4YW1wbGUuY29t"),
    ("my nino is {}", "UK_NINO", "AB  12  34  56  C"),
    ("my nino is {}", "UK_NINO", "A B 1 2 3 4 5 6 C"),
]  # fmt: skip


@pytest.mark.parametrize(("template", "kind", "value"), OBFUSCATED)
def test_obfuscated_values_are_found_redacted_and_restored(
    scanner: PrivacyScanner,  # noqa: F811
    template: str,
    kind: str,
    value: str,
) -> None:
    text = template.format(value)
    fields = [TextField("messages[0].content", text)]
    result = scanner.scan(fields)
    assert result.sensitive, result.reasons
    assert value in {text[e.start : e.end] for e in result.entities if e.type == kind}
    assert all(0 <= e.start < e.end <= len(text) for e in result.entities)
    # Redaction replaces the original characters, hidden ones included; the vault keeps
    # exactly what the client sent.
    vault = Vault()
    body = {"messages": [{"role": "user", "content": text}]}
    safe = redact_body(body, result, vault, texts=fields)["messages"][0]["content"]
    assert value not in safe
    assert not any(c in safe for c in "\u200b\u200d\u2060")
    assert vault.restore(safe) == text


@pytest.mark.parametrize("path", ["messages[0].content[{}].text", "system[{}].text"])
def test_email_split_across_content_parts(scanner: PrivacyScanner, path: str) -> None:  # noqa: F811
    first, second = "please write to jane.dunmore@exa", "mple.org about the invoice"
    fields = [TextField(path.format(0), first), TextField(path.format(1), second)]
    result = scanner.scan(fields)
    assert result.sensitive and "entity:EMAIL_ADDRESS" in result.reasons
    emails = {(e.field, e.start, e.end) for e in result.entities if e.type == "EMAIL_ADDRESS"}
    assert (path.format(0), first.index("jane"), len(first)) in emails
    assert (path.format(1), 0, len("mple.org")) in emails
    parts = [{"type": "text", "text": first}, {"type": "text", "text": second}]
    body: dict[str, Any] = (
        {"system": parts} if path.startswith("system") else {"messages": [{"content": parts}]}
    )
    vault = Vault()
    safe = redact_body(body, result, vault, texts=fields)
    out = safe["system"] if "system" in safe else safe["messages"][0]["content"]
    assert "jane" not in out[0]["text"] and "mple.org" not in out[1]["text"]
    assert [vault.restore(p["text"]) for p in out] == [first, second]


def test_joined_parts_add_no_names(scanner: PrivacyScanner) -> None:  # noqa: F811
    # Glued together, "this" + "John" reads "thisJohn": NER findings crossing a
    # boundary are not taken, so the first part stays clean.
    fields = [
        TextField("messages[0].content[0].text", "Summarize this"),
        TextField("messages[0].content[1].text", "John Smith wrote a book on gardening."),
    ]
    result = scanner.scan(fields)
    assert all(e.field == fields[1].path for e in result.entities)
    alone = scanner.scan(fields[1:])
    assert {(e.type, e.start, e.end) for e in result.entities} == {
        (e.type, e.start, e.end) for e in alone.entities
    }


def test_cache_is_keyed_per_scope_so_tenants_cannot_time_each_other() -> None:
    """A hit costs microseconds and a miss milliseconds: a text another tenant sent must
    be a miss for everyone else (issue 19's timing side channel)."""
    s = PrivacyScanner(ScannerSettings(cache_size=100))
    text = "Please call Ada Lovelace on 020 7946 0018 about the contract."
    s.scan([TextField("t", text)], scope="tenant-a")
    size = len(s._cache)
    s.scan([TextField("t", text)], scope="tenant-a")
    assert len(s._cache) == size  # a hit within the same scope
    s.scan([TextField("t", text)], scope="tenant-b")
    assert len(s._cache) > size  # another scope misses and scans for itself
    # Keys are keyed hashes: an unkeyed hash of the text is not among them.
    import hashlib

    plain = hashlib.blake2b(text.encode(), digest_size=16).digest()
    assert plain not in s._cache
