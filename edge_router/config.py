"""Typed, frozen settings from one YAML file plus environment overrides.

Validated once at startup (fail fast): an invalid file raises
:class:`ConfigError` naming the file and the offending key, and the daemon
refuses to start. The request path only ever sees a :class:`Settings`.

Example::

    settings = load_settings(Path("/etc/edge-router/config.yaml"))
    settings.server.port  # 8088 unless overridden
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from edge_router.api.auth import AuthSettings
from edge_router.backends.settings import ProviderSettings
from edge_router.errors import EdgeRouterError
from edge_router.load.control import LoadSettings
from edge_router.privacy.settings import ScannerSettings
from edge_router.record.audit import AuditSettings

REPO_ROOT = Path(__file__).resolve().parent.parent


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class ServerSettings(_Frozen):
    host: str = "127.0.0.1"
    """Bind address. Env override: EDGE_ROUTER_HOST."""
    port: int = Field(default=8088, ge=1, le=65535)
    """Bind port. Env override: EDGE_ROUTER_PORT."""
    max_body_bytes: int = Field(default=1_048_576, ge=1024)
    """Largest accepted request body; larger bodies get 413."""
    body_timeout_s: float = Field(default=30.0, gt=0)
    """Longest a client may take to send its request body; slower ones get 408."""
    header_timeout_s: float = Field(default=10.0, gt=0)
    """Longest a client may take to send a request's line and headers, counted from
    connecting (first request) or from the request's first byte (later requests on a
    kept-alive connection, which wait idle for at most 5 s); slower connections are
    closed, with 408 if a request had begun."""
    drain_timeout_s: float = Field(default=30.0, ge=0)
    """On SIGTERM, how long in-flight requests may take to finish."""
    log_level: Literal["debug", "info", "warning", "error"] = "info"
    """JSON log lines on stdout (journald under systemd); never prompt text or detected values."""


class LocalModel(_Frozen):
    name: str = Field(min_length=1)
    """The model id clients send in `model` and see in /v1/models."""
    path: str
    """GGUF file; relative paths are resolved against `models_dir`."""
    n_ctx: int = Field(default=2048, ge=128)
    """Context window in tokens (prompt + completion)."""
    n_threads: int | None = Field(default=None, ge=1)
    """CPU threads for generation; null = number of physical cores."""
    n_batch: int = Field(default=512, ge=1)
    """Prompt-processing batch size (tokens per llama.cpp decode call)."""
    n_gpu_layers: int = 0
    """Layers to offload to a GPU when llama.cpp was built with CUDA/Metal (-1 = all)."""
    chat_template: str | None = None
    """Jinja chat template overriding the GGUF's own; used as-is."""
    fallback_chat_template: Literal["chatml", "plain"] = "chatml"
    """Template used when the GGUF carries none (e.g. base models such as Gemma 3 270M)."""
    default_max_tokens: int = Field(default=256, ge=1)
    """Completion length when the client sends neither max_tokens nor max_completion_tokens."""
    max_tokens_limit: int = Field(default=2048, ge=1)
    """Largest max_tokens a client may ask for; more gets 400."""


class LocalSettings(_Frozen):
    models_dir: str | None = None
    """Where relative model paths live. Default: `models/` beside the package (the checkout)."""
    default_model: str = "smollm2-135m-instruct"
    """The local model used for `auto` and when routing picks the local tier."""
    models: tuple[LocalModel, ...] = (
        LocalModel(name="smollm2-135m-instruct", path="SmolLM2-135M-Instruct.Q4_1.gguf"),
    )
    """Local GGUF models; the default is the embedded SmolLM2-135M-Instruct."""
    max_queue: int = Field(default=16, ge=0)
    """Requests allowed to wait for the local model; more get 503 with Retry-After."""
    queue_timeout_s: float = Field(default=60.0, gt=0)
    """Longest a request waits for the local model before 503."""

    @field_validator("models")
    @classmethod
    def _unique_names(cls, models: tuple[LocalModel, ...]) -> tuple[LocalModel, ...]:
        names = [m.name for m in models]
        if len(set(names)) != len(names):
            raise ValueError("model names must be unique")
        if not models:
            raise ValueError("at least one local model is required")
        return models

    def resolve_path(self, model: LocalModel) -> Path:
        p = Path(model.path)
        if p.is_absolute():
            return p
        base = Path(self.models_dir) if self.models_dir else REPO_ROOT / "models"
        return base / p

    def model(self, name: str) -> LocalModel | None:
        return next((m for m in self.models if m.name == name), None)


class PolicySettings(_Frozen):
    dir: str | None = None
    """Directory of policy YAML files. Default: `policies/` beside the package (the checkout)."""
    default: str = "default"
    """Policy applied to requests whose API key binds none: a name from `dir` or a file path."""
    complexity_threshold: float = Field(default=0.5, ge=0, le=1)
    """Complexity score at or above which a prompt counts as `complex` in policy rules."""

    def directory(self) -> Path:
        return Path(self.dir) if self.dir else REPO_ROOT / "policies"


class Settings(_Frozen):
    server: ServerSettings = ServerSettings()
    local: LocalSettings = LocalSettings()
    privacy: ScannerSettings = ScannerSettings()
    policy: PolicySettings = PolicySettings()
    load: LoadSettings = LoadSettings()
    audit: AuditSettings = AuditSettings()
    auth: AuthSettings = AuthSettings()
    providers: tuple[ProviderSettings, ...] = ()
    """Cloud providers and trusted on-prem servers, tried in this order."""
    offline: bool = False
    """Never contact a provider: everything the policy allows runs locally."""
    source: str = "<defaults>"
    """Where these settings came from (file path); filled by load_settings."""

    @field_validator("providers")
    @classmethod
    def _unique_providers(
        cls, providers: tuple[ProviderSettings, ...]
    ) -> tuple[ProviderSettings, ...]:
        names = [p.name for p in providers]
        if len(set(names)) != len(names):
            raise ValueError("provider names must be unique")
        return providers

    @field_validator("local")
    @classmethod
    def _default_model_exists(cls, local: LocalSettings) -> LocalSettings:
        if local.model(local.default_model) is None:
            raise ValueError(f"default_model {local.default_model!r} is not in local.models")
        return local


class ConfigError(EdgeRouterError):
    """The config file is unreadable or invalid; the message names file and key."""


def _env_overrides(raw: dict[str, Any]) -> dict[str, Any]:
    section = raw.get("server") or {}
    if not isinstance(section, dict):
        return raw  # left for validation to report as "server: must be a mapping"
    server = dict(section)
    if host := os.environ.get("EDGE_ROUTER_HOST"):
        server["host"] = host
    if port := os.environ.get("EDGE_ROUTER_PORT"):
        server["port"] = port
    if server:
        raw = {**raw, "server": server}
    return raw


def _describe(err: ValidationError, source: str) -> str:
    lines = [f"invalid config {source}:"]
    for e in err.errors():
        key = ".".join(str(p) for p in e["loc"]) or "<root>"
        lines.append(f"  {key}: {e['msg']}")
    return "\n".join(lines)


def load_settings(path: Path | None = None) -> Settings:
    """Read, merge env overrides into, and validate the config file."""
    raw: dict[str, Any] = {}
    source = "<defaults>"
    if path is not None:
        source = str(path)
        try:
            loaded = yaml.safe_load(path.read_text(encoding="utf-8"))
        except OSError as exc:
            raise ConfigError(f"cannot read config {source}: {exc.strerror}") from exc
        except yaml.YAMLError as exc:
            raise ConfigError(f"invalid YAML in config {source}: {exc}") from exc
        if loaded is None:
            loaded = {}
        if not isinstance(loaded, dict):
            raise ConfigError(f"invalid config {source}: top level must be a mapping")
        raw = loaded
    raw = _env_overrides(raw)
    try:
        return Settings.model_validate({**raw, "source": source})
    except ValidationError as exc:
        raise ConfigError(_describe(exc, source)) from exc
