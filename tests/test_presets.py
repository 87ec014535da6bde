"""The shipped policies in policies/: they load, and behave as their comments say."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from edge_router.privacy.types import Entity, ScanResult, TextField
from edge_router.routing.decide import RouteContext, decide
from edge_router.routing.policy import Policy, check_policy_file, load_policy_dir

POLICY_DIR = Path(__file__).resolve().parent.parent / "policies"
PRESETS = load_policy_dir(POLICY_DIR)
FIELD = "messages[0].content"


def scan(*types: str, sensitive: bool | None = None, **kw: Any) -> ScanResult:
    ents = tuple(Entity(t, 0, 4, 0.9, FIELD) for t in types)
    return ScanResult(
        entities=ents, sensitive=bool(types) if sensitive is None else sensitive, **kw
    )


def route(
    preset: str, s: ScanResult, text: str = "hello there", **kw: Any
) -> tuple[str, bool, str]:
    ctx = RouteContext(
        scan=s,
        texts=(TextField(FIELD, text),),
        model=kw.pop("model", "gpt-4o"),
        cloud_available=kw.pop("cloud_available", True),
        **kw,
    )
    d = decide(ctx, PRESETS[preset])
    return d.route, d.redact, d.rule


def test_all_five_presets_load() -> None:
    assert sorted(PRESETS) == ["default", "gdpr", "hipaa", "pci", "strict"]
    for f in POLICY_DIR.glob("*.yaml"):
        assert check_policy_file(f) == []
    for p in PRESETS.values():
        assert isinstance(p, Policy) and p.description


BUSY = {"load_state": "busy"}
COMPLEX = {"complexity_class": "complex"}
IMAGE: dict[str, Any] = {"non_text_parts": ("messages[0].content[1]",)}

# preset, scan, text, ctx overrides, expected (route, redact, rule)
CASES = [
    # default: balanced
    ("default", scan(), "hello there", BUSY, ("cloud", False, "default")),
    ("default", scan(), "hello there", COMPLEX, ("cloud", False, "default")),
    ("default", scan(), "hello there", {}, ("local", False, "default")),
    ("default", scan("API_KEY"), "k", BUSY, ("local", False, "credentials-local")),
    ("default", scan("US_SSN"), "x", COMPLEX, ("local", False, "identifiers-local")),
    ("default", scan("EMAIL_ADDRESS"), "x", BUSY, ("local", False, "identifiers-local")),
    ("default", scan("PERSON", sensitive=True), "x", BUSY, ("local", False, "default")),
    ("default", scan("DATE_TIME", sensitive=False), "x", BUSY, ("cloud", False, "default")),
    ("default", scan(**IMAGE), "x", BUSY, ("local", False, "non-text-local")),
    ("default", scan(), "x", {**BUSY, "cloud_available": False}, ("local", False, "default")),
    ("default", ScanResult.failed(), "x", BUSY, ("local", False, "default")),
    # strict: everything local
    ("strict", scan(), "hello there", BUSY, ("local", False, "default")),
    (
        "strict",
        scan(),
        "hello",
        {**COMPLEX, "load_state": "saturated"},
        ("local", False, "default"),
    ),
    ("strict", scan("CREDIT_CARD"), "x", BUSY, ("local", False, "default")),
    # hipaa: PHI local
    ("hipaa", scan("PERSON", "DATE_TIME"), "x", BUSY, ("local", False, "phi-identifiers-local")),
    ("hipaa", scan("MEDICAL_LICENSE"), "x", BUSY, ("local", False, "phi-identifiers-local")),
    ("hipaa", scan("PHONE_NUMBER"), "x", COMPLEX, ("local", False, "phi-identifiers-local")),
    (
        "hipaa",
        scan(),
        "She was diagnosed with diabetes",
        BUSY,
        ("local", False, "health-terms-local"),
    ),
    ("hipaa", scan(), "the patient's prescriptions", BUSY, ("local", False, "health-terms-local")),
    (
        "hipaa",
        scan("DATE_TIME", sensitive=False),
        "what day is it?",
        BUSY,
        ("cloud", False, "default"),
    ),
    ("hipaa", scan(), "sort this list in python", BUSY, ("cloud", False, "default")),
    ("hipaa", scan(**IMAGE), "x-ray attached", BUSY, ("local", False, "non-text-local")),
    # gdpr: personal data redacted, IDs / financial / special categories local
    ("gdpr", scan("EMAIL_ADDRESS"), "x", {}, ("cloud", True, "personal-data-redact")),
    ("gdpr", scan("PERSON", "PHONE_NUMBER"), "x", {}, ("cloud", True, "personal-data-redact")),
    (
        "gdpr",
        scan("EMAIL_ADDRESS"),
        "x",
        {"cloud_available": False},
        ("local", False, "personal-data-redact"),
    ),
    (
        "gdpr",
        scan("EMAIL_ADDRESS", "UK_NINO"),
        "x",
        {},
        ("local", False, "national-ids-and-financial-local"),
    ),
    ("gdpr", scan("IBAN_CODE"), "x", BUSY, ("local", False, "national-ids-and-financial-local")),
    ("gdpr", scan("NRP"), "x", BUSY, ("local", False, "special-categories-local")),
    (
        "gdpr",
        scan(),
        "my diagnosis came back",
        BUSY,
        ("local", False, "special-categories-health-local"),
    ),
    ("gdpr", scan("PASSWORD"), "x", BUSY, ("local", False, "credentials-local")),
    ("gdpr", ScanResult.failed(), "x", BUSY, ("local", False, "default")),
    ("gdpr", scan(), "hello there", BUSY, ("cloud", False, "default")),
    # pci: card data never to the cloud
    ("pci", scan("CREDIT_CARD"), "x", BUSY, ("local", False, "card-data-local")),
    ("pci", scan("CREDIT_CARD"), "x", {"model": "claude-3"}, ("local", False, "card-data-local")),
    ("pci", scan("IBAN_CODE"), "x", COMPLEX, ("local", False, "card-data-local")),
    ("pci", scan("US_BANK_NUMBER"), "x", BUSY, ("local", False, "card-data-local")),
    ("pci", scan(), "the CVV is on the back", BUSY, ("local", False, "card-context-local")),
    ("pci", scan(), "mask the PAN in logs", BUSY, ("local", False, "card-context-local")),
    ("pci", scan(), "heat a pan of oil", BUSY, ("cloud", False, "default")),
    ("pci", scan(), "hello there", COMPLEX, ("cloud", False, "default")),
]


@pytest.mark.parametrize(("preset", "s", "text", "over", "expected"), CASES)
def test_preset_behaviour(
    preset: str, s: ScanResult, text: str, over: dict[str, Any], expected: tuple[str, bool, str]
) -> None:
    assert route(preset, s, text, **over) == expected


@pytest.mark.parametrize("preset", sorted(PRESETS))
def test_no_preset_sends_a_failed_scan_to_the_cloud(preset: str) -> None:
    for over in (BUSY, COMPLEX, {"load_state": "saturated", **COMPLEX}):
        r, redact, _ = route(preset, ScanResult.failed(), "x", **over)
        assert r in ("local", "block") and not redact


@pytest.mark.parametrize("preset", sorted(PRESETS))
@pytest.mark.parametrize("secret", ["API_KEY", "PRIVATE_KEY", "PASSWORD", "SECRET"])
def test_no_preset_sends_credentials_to_the_cloud(preset: str, secret: str) -> None:
    assert route(preset, scan(secret, sensitive=False), "x", **BUSY)[0] == "local"
