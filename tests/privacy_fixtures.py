"""Shared real-scanner fixture for the privacy tests (the engine takes seconds to build)."""

from __future__ import annotations

import functools
import json

import pytest

from edge_router.config import REPO_ROOT
from edge_router.privacy.redaction import Vault, redact_body
from edge_router.privacy.scanner import PrivacyScanner
from edge_router.privacy.settings import ScannerSettings
from edge_router.privacy.types import ScanResult, TextField
from edge_router.wheels import sha256_file


def check_pinned_data(name: str) -> None:
    """The install-built data file ``name`` of models/manifest.json is there and is the
    pinned build (a test of the real list fails, not skips, without it)."""
    entries = json.loads((REPO_ROOT / "models" / "manifest.json").read_text())["data"]
    entry = next(e for e in entries if e["name"] == name)
    path = REPO_ROOT / "models" / entry["file"]
    if not path.is_file():
        pytest.fail(f"{path} missing: run ./install.sh to build it")
    assert sha256_file(path) == entry["sha256"], "the list differs from the pinned build"


@functools.cache
def shared_scanner() -> PrivacyScanner:
    """One real scanner per test session, whichever module asks first."""
    return PrivacyScanner(ScannerSettings())


@pytest.fixture
def scanner() -> PrivacyScanner:
    return shared_scanner()


def scan_text(scanner: PrivacyScanner, text: str) -> ScanResult:
    return scanner.scan([TextField("text", text)])


def redact_text(scanner: PrivacyScanner, text: str) -> str:
    """``text`` as a cloud would receive it in a chat message under a redacting policy;
    checks on the way that the redacted body restores to the original."""
    field = TextField("messages[0].content", text)
    body = {"messages": [{"role": "user", "content": text}]}
    vault = Vault()
    out: str = redact_body(body, scanner.scan([field]), vault, texts=[field])["messages"][0][
        "content"
    ]
    assert vault.restore(out) == text
    return out


def assert_found_and_redacted(scanner: PrivacyScanner, text: str, value: str, kind: str) -> None:
    """The scan calls ``text`` sensitive, finds ``value`` as ``kind``, and no redacted body
    keeps it."""
    result = scan_text(scanner, text)
    assert result.sensitive, result.reasons
    assert (kind, value) in {(e.type, text[e.start : e.end]) for e in result.entities}
    assert value not in redact_text(scanner, text)
