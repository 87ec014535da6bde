from __future__ import annotations

import asyncio
import socket
import time
from typing import Any

import pytest
from presidio_analyzer import EntityRecognizer, RecognizerResult
from privacy_fixtures import scan_text, scanner  # noqa: F401 - pytest fixture

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
        # The small model calls "Summarize Shakespeare's" a person; the task framing
        # (an instruction over a public work, nothing personal) keeps it weak.
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
        (
            "Summarize this email in one sentence:\nDear Olivia, the meeting moved to Monday.",
            "weak:PERSON(task_framing)",
        ),
    ],
)
def test_person_under_public_or_task_framing_is_weak(
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
    assert scan_text(bounded, "mail me at jane@example.org").sensitive
