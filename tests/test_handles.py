"""Online identifiers (issue 11 item 5): handles, profile usernames and personal sites are
USERNAME findings, sensitive on their own and redacted like names; code, e-mail
addresses and times are not handles."""

from __future__ import annotations

from pathlib import Path

import pytest
from privacy_fixtures import redact_text, scan_text, scanner  # noqa: F401 - pytest fixture

from edge_router.privacy.handles import HandleRecognizer
from edge_router.privacy.redaction import Vault, redact_body
from edge_router.privacy.scanner import PrivacyScanner
from edge_router.privacy.types import ScanResult, TextField
from edge_router.routing.decide import RouteContext, decide
from edge_router.routing.policy import load_policy_dir

PRESETS = load_policy_dir(Path(__file__).resolve().parent.parent / "policies")


def _found(text: str) -> list[str]:
    return [text[r.start : r.end] for r in HandleRecognizer().analyze(text, [])]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Follow John Smith (@jsmith_92) for updates", ["@jsmith_92"]),
        ("cc @anna.k, @ben: please review", ["@anna.k", "@ben"]),
        # brands and organisations are handles too: no list could tell them apart
        ("thanks @nytimes and @OpenAI for the coverage", ["@nytimes", "@OpenAI"]),
        ("Toot me at @anna@mastodon.social", ["@anna@mastodon.social"]),
        ("see github.com/jsmith92 and https://twitter.com/jsmith", ["jsmith92", "jsmith"]),
        ("https://www.linkedin.com/in/anna-kowalska-1234/", ["anna-kowalska-1234"]),
        ("Posted by u/madneon_ 3 hours ago, see /u/throwaway_anna", ["madneon_", "throwaway_anna"]),
        ("youtube.com/@mkbhd", ["mkbhd"]),
        ("blog at https://anna.github.io and annak.substack.com", ["anna", "annak"]),
        ("my instagram is anna_b92 and my username: jdoe", ["anna_b92", "jdoe"]),
        ("My website is annaschmidt.dev", ["annaschmidt.dev"]),
        ("find me at https://jdoe.me/blog", ["https://jdoe.me/blog"]),
        # a pasted chat log's speakers (two speaker lines or more)
        ("bea.k: anyone know?\nRowan P: yes, 3 days\nbea.k: thx Rowan", ["bea.k", "bea.k"]),
        ("[10:02] j_smith: ok then we go\n[10:03] anna.k: sure thing", ["j_smith", "anna.k"]),
    ],
)
def test_handles_and_profile_usernames(text: str, expected: list[str]) -> None:
    assert sorted(_found(text)) == sorted(expected)


@pytest.mark.parametrize(
    "text",
    [
        '@app.route("/")\ndef index():\n    return "hi"',
        "class A:\n    @property\n    def x(self):\n        return 1",
        "@Override\npublic String toString() { return name; }",
        "Use the `@Input` decorator in Angular.",
        "@media (max-width: 600px) { body { color: red } }",
        "npm install @types/node @angular/core",
        "DECLARE @count INT; SELECT * FROM t WHERE id = @id",
        "Mail me at anna@example.com or anna.k@mail.example.org",
        "meet @ 5pm or @5pm; use icon@2x.png",
        "@here the build is broken, @everyone please check",
        # (the ssh form of a git remote names a user: see test_real_prompt_rules.py)
        "git clone git@gitlab.example.net:repo.git",
        "See https://github.com/features and https://www.reddit.com/r/python",
        "username is required; the login is invalid",
        "/**\n * @param name the name\n * @return the greeting\n */",
        # labels that are no chat speakers: config keys, "e.g", one line, kebab-case programs
        "server.port: 8080\nspring.datasource.url: jdbc:x\nlogging.level.root: INFO",
        "Note: this is it\ne.g: the value here\nTODO: fix the thing",
        "anna.k: is this one line only?",
        "systemd-resolved: using DNS server now\nsystemd-resolved: cache flushed fully",
    ],
)
def test_code_emails_and_times_are_no_handles(text: str) -> None:
    assert _found(text) == []


@pytest.mark.parametrize(
    "text",
    [
        "Can you check what @jsmith_92 posted yesterday?",
        "Her profile is linkedin.com/in/anna-kowalska-1234",
        "Is github.com/dzdravkovic a good portfolio?",
    ],
)
def test_usernames_make_a_request_sensitive(
    scanner: PrivacyScanner,  # noqa: F811
    text: str,
) -> None:
    result = scan_text(scanner, text)
    assert "USERNAME" in result.entity_types
    assert result.sensitive and "entity:USERNAME" in result.reasons


@pytest.mark.parametrize(
    "text",
    [
        "Write to me at anna.kowalska@example.com",
        "What does @dataclass(frozen=True) do in Python?",
        "Explain what @property does.",
    ],
)
def test_no_username_in_emails_or_code(scanner: PrivacyScanner, text: str) -> None:  # noqa: F811
    assert "USERNAME" not in scan_text(scanner, text).entity_types


def test_username_beside_a_name_is_redacted(scanner: PrivacyScanner) -> None:  # noqa: F811
    # The partial leak of issue 11: the name went, the handle stayed.
    text = "Please summarise what Dragomir Okonkwo (@dokonkwo_77) wrote about the merger."
    field = TextField("messages[0].content", text)
    result = scanner.scan([field])
    assert {"PERSON", "USERNAME"} <= result.entity_types
    body = {"messages": [{"role": "user", "content": text}]}
    vault = Vault()
    out = redact_body(body, result, vault, texts=[field])["messages"][0]["content"]
    assert "dokonkwo" not in out and "Okonkwo" not in out
    assert "<USERNAME_1_" in out
    assert vault.restore(out) == text


@pytest.mark.parametrize(
    ("text", "redacted"),
    [
        ("Hauptstraße 5, 10115 Berlin", "10115"),
        ("221B Baker Street, London NW1 6XE", "NW1 6XE"),
        ("I live at 123 Main St, Springfield, IL 62704 since 2020.", "62704"),
    ],
)
def test_postal_code_after_a_street_is_part_of_the_address(
    scanner: PrivacyScanner,  # noqa: F811
    text: str,
    redacted: str,
) -> None:
    result = scan_text(scanner, text)
    spans = [text[e.start : e.end] for e in result.entities if e.type == "STREET_ADDRESS"]
    assert any(redacted in span for span in spans), spans


def test_year_after_a_street_is_no_postal_code(scanner: PrivacyScanner) -> None:  # noqa: F811
    text = "Send it to 12 Elm Street, 2024 was a good year."
    result = scan_text(scanner, text)
    spans = [text[e.start : e.end] for e in result.entities if e.type == "STREET_ADDRESS"]
    assert spans == ["12 Elm Street"]


def _route(preset: str, *types: str) -> tuple[str, bool, str]:
    from edge_router.privacy.types import Entity

    scan = ScanResult(
        entities=tuple(Entity(t, 0, 4, 0.9, "messages[0].content") for t in types),
        sensitive=True,
    )
    ctx = RouteContext(
        scan=scan,
        texts=(TextField("messages[0].content", "@abc hello"),),
        model="gpt-4o",
        cloud_available=True,
        load_state="busy",
    )
    d = decide(ctx, PRESETS[preset])
    return d.route, d.redact, d.rule


@pytest.mark.parametrize(
    ("preset", "expected"),
    [
        # like a name: redacted under gdpr, PHI under hipaa, kept local by default
        ("gdpr", ("cloud", True, "personal-data-redact")),
        ("hipaa", ("local", False, "phi-identifiers-local")),
        ("default", ("local", False, "default")),
        ("strict", ("local", False, "default")),
    ],
)
def test_presets_treat_username_like_a_person(preset: str, expected: tuple[str, bool, str]) -> None:
    assert _route(preset, "USERNAME") == expected


def test_a_value_found_once_is_redacted_everywhere(scanner: PrivacyScanner) -> None:  # noqa: F811
    # NER finds "Rhiannon Pugh" under "Attendees:" but not "Rhiannon" at a list item's
    # start; the git error names the user twice, the URL finds one of them.
    text = (
        "turn these minutes into action items:\nAttendees: Rhiannon Pugh (chair), Tom Baker\n"
        "- Rhiannon to chase the renewal\n- the board is Tom's\n"
        "remote: Permission to ljuba-k/dotfiles.git denied to ljuba-k.\n"
        "fatal: unable to access 'https://github.com/ljuba-k/dotfiles.git/'"
    )
    out = redact_text(scanner, text)
    for value in ("Rhiannon", "Pugh", "Tom", "ljuba"):
        assert value not in out


def test_an_english_word_recurs_only_inside_a_sentence(scanner: PrivacyScanner) -> None:  # noqa: F811
    # "Will" opening a question is the verb; capitalised mid-sentence it is the name.
    text = "Ask Will Okafor about the rota. Will the rota change? I told Will yesterday."
    spans = [
        (e.start, text[e.start : e.end]) for e in scanner.scan([TextField("t", text)]).entities
    ]
    assert (text.index("Will the"), "Will") not in spans
    assert (text.index("Will yesterday"), "Will") in spans
