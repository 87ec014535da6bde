"""The fleet recipe: the template unit keeps the single unit's sandbox, and the sample
fleet config is a valid config for a fleet (shared PostgreSQL store and key, nothing
answered unaudited, on-prem model servers as the local tier)."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from edge_router.config import load_settings

REPO = Path(__file__).resolve().parent.parent
UNIT = REPO / "systemd" / "edge-router.service"
TEMPLATE = REPO / "systemd" / "edge-router@.service"
FLEET = REPO / "systemd" / "fleet.example.yaml"
# What a fleet member may set differently from the single router's unit.
PER_MEMBER = {
    "Description",
    "ExecStart",
    "SyslogIdentifier",
    "Environment",
    "StateDirectory",
    "LogsDirectory",
    "LoadCredential",
}


def _directives(unit: Path) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for line in unit.read_text().splitlines():
        line = line.strip()
        if line and not line.startswith(("#", ";", "[")):
            key, _, value = line.partition("=")
            out.setdefault(key, []).append(value)
    return out


def test_template_keeps_the_units_hardening_and_lifecycle() -> None:
    single, member = _directives(UNIT), _directives(TEMPLATE)
    for key in single.keys() - PER_MEMBER:
        assert member.get(key) == single[key], key
    assert member.keys() - single.keys() <= PER_MEMBER
    assert "EDGE_ROUTER_PORT=%i" in member["Environment"]
    assert member["ExecStart"] == [
        "/opt/edge-router/.venv/bin/edge-router serve --config /etc/edge-router/fleet.yaml"
    ]
    assert {c.split(":")[0] for c in member["LoadCredential"]} == {"audit-key", "pgpass"}


def test_sample_fleet_config_is_a_fleet() -> None:
    s = load_settings(FLEET)
    assert s.audit.url is not None and s.audit.url.startswith("postgresql://")
    assert s.audit.key_path == "audit-key"  # the unit's LoadCredential=audit-key
    assert s.audit.on_failure != "serve"  # nothing answered unaudited
    assert s.auth.require_auth and s.server.host == "0.0.0.0"
    onprem = [p for p in s.providers if p.trusted_local]
    assert len(onprem) >= 2  # llama.cpp's server and vLLM
    assert ":" not in s.audit.url.split("@")[0].removeprefix("postgresql://")  # no password


_ANALYZE = shutil.which("systemd-analyze")


@pytest.mark.skipif(_ANALYZE is None, reason="systemd-analyze not installed")
def test_member_unit_verifies_with_exposure_at_most_2(tmp_path: Path) -> None:
    exe = REPO / ".venv" / "bin" / "edge-router"
    if not exe.exists():
        pytest.skip(f"{exe} missing: run ./install.sh")
    unit = tmp_path / "edge-router@8081.service"  # an instance, as systemctl would load it
    unit.write_text(
        TEMPLATE.read_text().replace("/opt/edge-router/.venv/bin/edge-router", str(exe))
    )
    r = subprocess.run(
        [str(_ANALYZE), "verify", str(unit)], capture_output=True, text=True, timeout=60
    )
    assert r.returncode == 0 and not r.stderr.strip(), r.stderr
    r = subprocess.run(
        [str(_ANALYZE), "security", "--offline=true", "--no-pager", str(unit)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    m = re.search(r"Overall exposure level for \S+: (\d+\.\d)", r.stdout)
    if m is None and "offline" in r.stderr:
        pytest.skip(f"this systemd-analyze cannot score unit files offline: {r.stderr[:200]}")
    assert m is not None, r.stdout[-500:] + r.stderr[-500:]
    assert float(m.group(1)) <= 2.0, r.stdout
