"""The third-party leak check's harness (bench/pii_leak.py) stays runnable.

The harness itself runs in .ci/run against a real daemon; these are its fast parts:
the config it writes must load and its policies must check, and the tool's negative
control (its client straight into its capture, no gateway) must report every canary.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

pytest.importorskip("pii_leak_benchmark")

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))

import pii_leak  # noqa: E402

from edge_router.cli import main as cli_main  # noqa: E402
from edge_router.config import load_settings  # noqa: E402


def test_written_config_loads_and_binds_one_key_per_policy(tmp_path: Path) -> None:
    keys = {name: f"er-test-{name}" for name in pii_leak.POLICIES}
    cfg = pii_leak.write_config(tmp_path, 18088, 18765, keys, "openai")
    settings = load_settings(cfg)
    (provider,) = settings.providers
    assert provider.base_url == "http://127.0.0.1:18765/v1"
    assert provider.models == (pii_leak.MODEL,)
    assert {k.policy for k in settings.auth.keys} == set(pii_leak.POLICIES)
    assert settings.policy.default == "redact-all"
    files = sorted(str(p) for p in (tmp_path / "policies").glob("*.yaml"))
    assert len(files) == len(pii_leak.POLICIES)
    assert cli_main(["policy", "check", *files]) == 0


def test_negative_control_sees_every_canary() -> None:
    ok, detail = pii_leak.negative_control()
    assert ok, detail


def test_fidelity_description() -> None:
    fixture = {"EMAIL": "abcdefgh@example.com"}
    prompt = "contact abcdefgh@example.com"
    assert pii_leak.describe_fidelity(prompt, prompt, fixture) == "exact"
    got = pii_leak.describe_fidelity(prompt, "contact <EMAIL_ADDRESS_1_k7q2x9ab>", fixture)
    assert "values not restored: EMAIL" in got
    assert "1 placeholder(s) left" in got


def test_locate_upstream_names_the_field_a_canary_arrived_in() -> None:
    import httpx
    from pii_leak_benchmark import capture_session

    fixture = {"EMAIL": "abcdefgh@example.com", "SSN": "914-27-6083"}
    body = {
        "model": "m",
        "messages": [{"role": "user", "content": "mail abcdefgh@example.com"}],
        "metadata": {"note": "ssn 914 27 6083"},
    }
    with capture_session(capture_port=0) as session:
        httpx.post(session.local_base_url + "/chat/completions", json=body, timeout=10)
        found = pii_leak.locate_upstream(session, fixture)
    assert found == [
        "EMAIL: POST /v1/chat/completions body.content (verbatim)",
        "SSN: POST /v1/chat/completions body.note (separators changed)",
    ]
