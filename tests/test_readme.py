"""The README is the front door: its commands and its config reference must stay true."""

from __future__ import annotations

import re

from edge_router.config import REPO_ROOT, Settings
from edge_router.configdoc import END, START, markdown, rows

README = (REPO_ROOT / "README.md").read_text(encoding="utf-8")


def test_every_config_key_is_documented() -> None:
    missing = [key for key, _, _ in rows(Settings) if f"`{key}`" not in README]
    assert missing == [], f"config keys missing from README.md: {missing}"
    block = README.split(START, 1)[1].split(END, 1)[0].strip()
    assert block == markdown(), "stale: run python -m edge_router.configdoc --write README.md"


def test_two_setup_commands_come_first_and_ci_runs_the_test_command() -> None:
    block = re.search(r"```bash\n(.*?)```", README, re.S)
    assert block is not None
    lines = [ln.split("#")[0].strip() for ln in block.group(1).splitlines() if ln.strip()]
    assert lines[0].startswith("./install.sh && .venv/bin/edge-router serve")
    test_cmd = lines[1]
    assert test_cmd.startswith("./install.sh --dev")
    ci = (REPO_ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert test_cmd in ci


def test_every_preset_is_documented() -> None:
    for preset in (REPO_ROOT / "policies").glob("*.yaml"):
        assert f"`{preset.stem}`" in README, preset.stem
