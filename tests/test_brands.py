"""Brands written as a person's name (issue 12): public like a famous name, unless a
private cue (a greeting, a sign-off, "write to") says a namesake is meant."""

from __future__ import annotations

import pytest
from privacy_fixtures import scan_text, scanner  # noqa: F401 - pytest fixture

from edge_router.privacy.public_names import BRANDS, is_public_name
from edge_router.privacy.scanner import PrivacyScanner


def test_brand_names_are_public_whole_and_common_names_are_left_out() -> None:
    assert is_public_name("Tommy Hilfiger") and is_public_name("Dr. Martens")
    assert is_public_name("Papa John's")  # a possessive is no part of the name
    assert not is_public_name("Hilfiger")  # one word is nobody
    assert {"paul smith", "john lewis", "ted baker"}.isdisjoint(BRANDS)


@pytest.mark.parametrize(
    "text",
    [
        "is Tommy Hilfiger sizing smaller than Michael Kors?",
        "Jimmy Choo or Steve Madden for a wedding",
        "Betty Crocker or Duncan Hines for a quick brownie mix",
    ],
)
def test_brand_questions_are_clean(scanner: PrivacyScanner, text: str) -> None:  # noqa: F811
    assert not scan_text(scanner, text).sensitive


def test_a_greeting_still_makes_a_namesake_private(scanner: PrivacyScanner) -> None:  # noqa: F811
    assert scan_text(scanner, "Dear Vera Wang,\nyour parcel is at the depot.").sensitive
