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
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import Field, ValidationError, ValidationInfo, field_validator, model_validator

from edge_router.api.auth import AuthSettings
from edge_router.backends.settings import ProviderSettings
from edge_router.errors import EdgeRouterError
from edge_router.flow.cache import CacheSettings
from edge_router.frozen import Frozen
from edge_router.load.control import LoadSettings
from edge_router.privacy.settings import ScannerSettings
from edge_router.record.audit import AuditSettings
from edge_router.record.costs import PricingSettings
from edge_router.record.feedback import FeedbackSettings
from edge_router.routing.domain import DomainSettings
from edge_router.routing.experiments import ExperimentSettings
from edge_router.wire.openai_chat import MODEL_PATTERN

REPO_ROOT = Path(__file__).resolve().parent.parent
AUTO = "auto"
"""The virtual model: the router picks local or cloud (matched in any case)."""


class ServerSettings(Frozen):
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
    max_header_bytes: int = Field(default=32_768, ge=1024)
    """Largest request target (path and query) and, separately, largest total of header
    names and values a request may send; more gets 414 (target) or 431 (headers) and the
    connection is closed."""
    max_headers: int = Field(default=100, ge=8)
    """Most header lines a request may send; more gets 431 and the connection is closed."""
    drain_timeout_s: float = Field(default=30.0, ge=0)
    """On SIGTERM, how long in-flight requests may take to finish."""
    log_level: Literal["debug", "info", "warning", "error"] = "info"
    """JSON log lines on stdout (journald under systemd); never prompt text or detected values."""
    access_log: bool = True
    """One log line per HTTP request (logger ``edge_router.access``): method, route path,
    status, route, rule, latency and request id; never a query string, header or body."""


class LocalModel(Frozen):
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
    n_gpu_layers: int | Literal["auto"] = "auto"
    """Layers to offload to a GPU: `auto` = all of them when llama.cpp was built with
    CUDA/Metal/Vulkan and can offload, else none; a number (-1 = all, 0 = CPU only)."""
    instances: int = Field(default=1, ge=1, le=64)
    """llama.cpp contexts for this model, each running one generation at a time: N
    generations run concurrently, each instance holds its own copy of the weights and
    KV cache (memory x N) and gets `n_threads / N` CPU threads. More than 1 pays off on
    a GPU or a many-core server, rarely on a small CPU box."""
    chat_template: str | None = None
    """Jinja chat template overriding the GGUF's own; used as-is."""
    fallback_chat_template: Literal["chatml", "plain"] = "chatml"
    """Template used when the GGUF carries none (e.g. base models such as Gemma 3 270M)."""
    default_max_tokens: int = Field(default=256, ge=1)
    """Completion length when the client sends neither max_tokens nor max_completion_tokens."""
    max_tokens_limit: int = Field(default=2048, ge=1)
    """Largest max_tokens a client may ask for; more gets 400."""


class EmbeddingModel(Frozen):
    name: str = Field(min_length=1, max_length=128, pattern=r"^[A-Za-z0-9][A-Za-z0-9._:/+-]*$")
    """The model id clients send to /v1/embeddings and see in /v1/models. Name it after
    the weights: vectors from different models are not comparable, so a new GGUF
    deserves a new name rather than a silent change under an old one."""
    path: str
    """GGUF file; relative paths are resolved against `models_dir`. A dedicated embedding
    model (BERT-style encoders such as bge, e5, nomic-embed, gte) embeds far better than
    a chat model's mean-pooled hidden states."""
    n_ctx: int = Field(default=2048, ge=8)
    """Longest input in tokens; a longer input is refused with 400 (never truncated)."""
    n_threads: int | None = Field(default=None, ge=1)
    """CPU threads; null = number of physical cores."""
    n_gpu_layers: int | Literal["auto"] = "auto"
    """Layers to offload to a GPU: `auto` = all when llama.cpp can offload, else none."""
    pooling: Literal["mean", "cls", "last"] = "mean"
    """How token states become one vector: `mean` (chat models, e5, gte, nomic-embed),
    `cls` (bge), `last` (decoder embedders such as Qwen3-Embedding); see the model's card.
    Vectors are always L2-normalised."""


class LocalSettings(Frozen):
    models_dir: str | None = None
    """Where relative model paths live. Default: `models/` beside the package (the checkout)."""
    default_model: str = "smollm2-135m-instruct"
    """The local model used for `auto` and when routing picks the local tier."""
    models: tuple[LocalModel, ...] = (
        LocalModel(name="smollm2-135m-instruct", path="SmolLM2-135M-Instruct.Q4_1.gguf"),
    )
    """Local GGUF models; the default is the embedded SmolLM2-135M-Instruct."""
    embedding_models: tuple[EmbeddingModel, ...] = (
        EmbeddingModel(name="smollm2-135m-embed", path="SmolLM2-135M-Instruct.Q4_1.gguf"),
    )
    """Local embedding models for /v1/embeddings, each loaded on its first request. The
    default mean-pools the embedded chat model: usable, but weak; see "Embeddings"."""
    default_embedding_model: str = "smollm2-135m-embed"
    """The embedding model for `model: "auto"` (or none): a local embedding model, or a
    provider's `embedding_models` entry (then sensitive input is refused, not re-routed)."""
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

    @field_validator("embedding_models")
    @classmethod
    def _unique_embedding_names(
        cls, models: tuple[EmbeddingModel, ...]
    ) -> tuple[EmbeddingModel, ...]:
        names = [m.name for m in models]
        if len(set(names)) != len(names):
            raise ValueError("embedding model names must be unique")
        return models

    def resolve_path(self, model: LocalModel | EmbeddingModel) -> Path:
        p = Path(model.path)
        if p.is_absolute():
            return p
        base = Path(self.models_dir) if self.models_dir else REPO_ROOT / "models"
        return base / p

    def model(self, name: str) -> LocalModel | None:
        return next((m for m in self.models if m.name == name), None)


class PolicySettings(Frozen):
    dir: str | None = None
    """Directory of policy YAML files. Default: `policies/` beside the package (the checkout)."""
    default: str = "default"
    """Policy applied to requests whose API key binds none: a name from `dir` or a file path."""
    complexity_threshold: float = Field(default=0.5, ge=0, le=1)
    """Complexity score at or above which a prompt counts as `complex` in policy rules."""

    def directory(self) -> Path:
        return Path(self.dir) if self.dir else REPO_ROOT / "policies"


class Settings(Frozen):
    server: ServerSettings = ServerSettings()
    local: LocalSettings = LocalSettings()
    privacy: ScannerSettings = ScannerSettings()
    policy: PolicySettings = PolicySettings()
    load: LoadSettings = LoadSettings()
    audit: AuditSettings = AuditSettings()
    auth: AuthSettings = AuthSettings()
    cache: CacheSettings = CacheSettings()
    domains: DomainSettings = DomainSettings()
    providers: tuple[ProviderSettings, ...] = ()
    """Cloud providers and trusted on-prem servers, tried in this order."""
    aliases: dict[str, str] = Field(default_factory=dict)
    """Extra model names clients may send, each standing for `auto`, a local model or a
    provider's model: `{gpt-4o-mini: auto}` points a client hard-wired to `gpt-4o-mini` at
    the router. Resolved before routing (policies, headers and the audit see the target);
    listed by /v1/models. An alias may shadow a provider's name, not `auto` or a local one."""
    offline: bool = False
    """Never contact a provider: everything the policy allows runs locally."""
    pricing: PricingSettings = PricingSettings()
    experiments: tuple[ExperimentSettings, ...] = ()
    """Named experiments: arms that change routing (policy, complexity threshold, the
    model `auto` is routed as) for a weighted, sticky share of the traffic; see
    "Experiments and feedback"."""
    feedback: FeedbackSettings = FeedbackSettings()
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

    @field_validator("aliases")
    @classmethod
    def _aliases_resolve(cls, aliases: dict[str, str], info: ValidationInfo) -> dict[str, str]:
        local, providers = info.data.get("local"), info.data.get("providers")
        if local is None or providers is None:
            return aliases  # reported on their own keys
        names = {m.name for m in local.models}
        out: dict[str, str] = {}
        for alias, target in aliases.items():
            if not re.fullmatch(MODEL_PATTERN, alias):
                raise ValueError(f"{alias!r} is not a model name (letters, digits, ._:/+-)")
            if alias.lower() == AUTO or alias in names:
                raise ValueError(f"{alias!r} would hide the model of that name")
            target = AUTO if target.lower() == AUTO else target
            # Providers without a `models` list pass any name through.
            served = any(not p.models or target in p.models for p in providers)
            if target in aliases or not (target == AUTO or target in names or served):
                raise ValueError(
                    f"{alias!r} -> {target!r}: a target must be auto, a local model or a "
                    "model a provider serves (not another alias)"
                )
            out[alias] = target
        return out

    @field_validator("local")
    @classmethod
    def _default_model_exists(cls, local: LocalSettings) -> LocalSettings:
        if local.model(local.default_model) is None:
            raise ValueError(f"default_model {local.default_model!r} is not in local.models")
        if {m.name for m in local.models} & {m.name for m in local.embedding_models}:
            raise ValueError("a name may not be both a chat model and an embedding model")
        return local

    @model_validator(mode="after")
    def _default_embedding_model_exists(self) -> Settings:
        name = self.local.default_embedding_model
        names = {m.name for m in self.local.embedding_models}
        names.update(e for p in self.providers for e in p.embedding_models)
        if name not in names:
            raise ValueError(
                f"local.default_embedding_model {name!r} is neither in local.embedding_models "
                "nor in any provider's embedding_models"
            )
        return self

    @model_validator(mode="after")
    def _experiments_ok(self) -> Settings:
        names = [e.name for e in self.experiments]
        if len(set(names)) != len(names):
            raise ValueError("experiments: names must be unique")
        local = {m.name for m in self.local.models}
        for e in self.experiments:
            for a in e.arms:
                model = a.model
                if model is None or model.lower() == AUTO or model in local:
                    continue
                model = self.aliases.get(model, model)
                if (
                    model != AUTO
                    and model not in local
                    and not any(not p.models or model in p.models for p in self.providers)
                ):
                    raise ValueError(
                        f"experiments: {e.name!r} arm {a.name!r}: model {a.model!r} is not a "
                        "local model, an alias or a model a provider serves"
                    )
        return self

    @model_validator(mode="after")
    def _budgets_durable(self) -> Settings:
        """Budgets are counted from the audit trail, so it must hold a whole period."""
        budgets = [k.budget for k in self.auth.keys] + [
            t.budget for t in self.auth.tenants.values()
        ]
        if not any(b.limited for b in budgets):
            return self
        if not self.audit.enabled:
            raise ValueError("budgets need audit.enabled: spending is counted from the trail")
        monthly = any(b.monthly_usd is not None for b in budgets)
        days = self.audit.retention_days
        if days and days < (31 if monthly else 1):
            raise ValueError(
                f"audit.retention_days {days:g} is shorter than a budget period "
                f"({'31 days for monthly' if monthly else '1 day for daily'} budgets)"
            )
        return self


class ConfigError(EdgeRouterError):
    """The config file is unreadable or invalid; the message names file and key."""


def _env_overrides(raw: dict[str, Any]) -> dict[str, Any]:
    env = {"host": os.environ.get("EDGE_ROUTER_HOST"), "port": os.environ.get("EDGE_ROUTER_PORT")}
    return _override(raw, {"server": {k: v for k, v in env.items() if v}})


def _override(raw: dict[str, Any], sections: Mapping[str, Mapping[str, Any]]) -> dict[str, Any]:
    """``raw`` with ``sections`` (section -> key -> value) laid over it, one level deep."""
    for name, values in sections.items():
        section = raw.get(name) or {}
        if not values or not isinstance(section, dict):
            continue  # a non-mapping is left for validation to report
        raw = {**raw, name: {**section, **values}}
    return raw


def _describe(err: ValidationError, source: str) -> str:
    lines = [f"invalid config {source}:"]
    for e in err.errors():
        key = ".".join(str(p) for p in e["loc"]) or "<root>"
        lines.append(f"  {key}: {e['msg']}")
    return "\n".join(lines)


def load_settings(
    path: Path | None = None, overrides: Mapping[str, Mapping[str, Any]] | None = None
) -> Settings:
    """Read, merge env overrides into, and validate the config file. ``overrides``
    (section -> key -> value, e.g. ``{"server": {"port": 9000}}`` from command-line
    flags) win over the file and the environment, and are validated like them."""
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
    raw = _override(_env_overrides(raw), overrides or {})
    try:
        return Settings.model_validate({**raw, "source": source})
    except ValidationError as exc:
        raise ConfigError(_describe(exc, source)) from exc
