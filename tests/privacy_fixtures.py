"""Shared real-scanner fixture for the privacy tests (the engine takes seconds to build)."""

from __future__ import annotations

import functools

import pytest

from edge_router.privacy.scanner import PrivacyScanner
from edge_router.privacy.settings import ScannerSettings
from edge_router.privacy.types import ScanResult, TextField


@functools.cache
def shared_scanner() -> PrivacyScanner:
    """One real scanner per test session, whichever module asks first."""
    return PrivacyScanner(ScannerSettings())


@pytest.fixture
def scanner() -> PrivacyScanner:
    return shared_scanner()


def scan_text(scanner: PrivacyScanner, text: str) -> ScanResult:
    return scanner.scan([TextField("text", text)])
