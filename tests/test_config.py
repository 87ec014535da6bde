from __future__ import annotations

from pathlib import Path

import pytest

from edge_router.config import ConfigError, load_settings


def test_defaults_bind_loopback() -> None:
    s = load_settings(None)
    assert (s.server.host, s.server.port) == ("127.0.0.1", 8088)
    assert s.local.default_model == "smollm2-135m-instruct"
    assert s.local.resolve_path(s.local.models[0]).name == "SmolLM2-135M-Instruct.Q4_1.gguf"


def test_file_and_env_overrides(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cfg = tmp_path / "c.yaml"
    cfg.write_text("server:\n  port: 9000\n  max_body_bytes: 4096\n")
    assert load_settings(cfg).server.port == 9000
    monkeypatch.setenv("EDGE_ROUTER_PORT", "9100")
    monkeypatch.setenv("EDGE_ROUTER_HOST", "127.0.0.2")
    s = load_settings(cfg)
    assert (s.server.host, s.server.port, s.server.max_body_bytes) == ("127.0.0.2", 9100, 4096)


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ("server:\n  port: eighty\n", "server.port"),
        ("server:\n  prot: 80\n", "server.prot"),
        ("local:\n  default_model: nope\n", "default_model 'nope'"),
        ("local:\n  models:\n    - name: a\n", "local.models.0.path"),
        ("server: [1, 2\n", "invalid YAML"),
        ("- 1\n- 2\n", "top level must be a mapping"),
    ],
)
def test_invalid_config_names_file_and_key(tmp_path: Path, text: str, needle: str) -> None:
    cfg = tmp_path / "bad.yaml"
    cfg.write_text(text)
    with pytest.raises(ConfigError) as info:
        load_settings(cfg)
    assert str(cfg) in str(info.value)
    assert needle in str(info.value)


def test_missing_file_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read config"):
        load_settings(tmp_path / "absent.yaml")
