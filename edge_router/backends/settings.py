"""Settings for one upstream LLM provider (a cloud API or an on-prem server).

Frozen and validated once at startup: a bad provider block stops the daemon
instead of failing the first request. No public host name is built in; every
provider names its own ``base_url``.

Example::

    ProviderSettings(
        name="claude",
        kind="anthropic",
        base_url="https://anthropic.example.internal",
        api_key_credential="anthropic-key",  # systemd LoadCredential=anthropic-key:/etc/...
        models=("claude-fast",),
        default_model="claude-fast",
        model_map={"claude-fast": "claude-haiku-4-5"},
    )
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from pathlib import Path
from typing import Literal

import httpx
from pydantic import Field, field_validator, model_validator

from edge_router.errors import EdgeRouterError
from edge_router.frozen import Frozen
from edge_router.wire.openai_chat import check_extra_fields

ProviderKind = Literal["openai", "anthropic", "openai_compatible"]

# Headers that carry credentials or framing; they are set by the provider itself.
_RESERVED_HEADERS = frozenset(
    {"authorization", "x-api-key", "proxy-authorization", "host", "content-length", "cookie"}
)


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


class ProviderSettings(Frozen):
    """One upstream provider; see the field docstrings (copied into the README)."""

    name: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
    """Unique provider id used in policies, logs, metrics and the audit trail."""
    kind: ProviderKind
    """Wire protocol: `openai` (OpenAI Chat Completions API), `anthropic` (Anthropic
    Messages API; requests and responses are translated), or `openai_compatible`
    (any server speaking OpenAI's chat completions: vLLM, llama.cpp server, a gateway)."""
    base_url: str
    """Required for every kind; nothing is assumed. Written the way each official SDK
    takes it: for `openai`/`openai_compatible` it includes the version prefix and the
    router POSTs to `{base_url}/chat/completions` (e.g. `https://llm.example/v1`); for
    `anthropic` it is the API root and the router POSTs to `{base_url}/v1/messages`.
    Plain `http://` is accepted only for loopback hosts or `trusted_local` servers, so a
    cloud request never crosses the network unencrypted."""
    api_key_env: str | None = None
    """Name of the environment variable holding the API key (the key itself never
    appears in the config). Sent as `Authorization: Bearer` (OpenAI kinds) or
    `x-api-key` (anthropic)."""
    api_key_credential: str | None = None
    """File name under systemd's `$CREDENTIALS_DIRECTORY` (from `LoadCredential=`)
    holding the API key. Preferred over `api_key_env` when both are set."""
    models: tuple[str, ...] = ()
    """Client-facing model names this provider serves (listed in /v1/models). Empty:
    any model name the router sends is passed through (after `model_map`)."""
    default_model: str | None = None
    """Client-facing model used when the router sends `auto` to this provider (routing,
    fallback). Must be one of `models` when those are listed. Without it the provider
    takes no `auto` requests."""
    model_map: dict[str, str] = Field(default_factory=dict)
    """Client-facing name -> upstream model name (e.g. `fast` -> a dated model id)."""
    pinned_models: dict[str, str] = Field(default_factory=dict)
    """Model -> the exact id its answers must carry (the `model` field of the provider's
    response), e.g. `{gpt-4o: gpt-4o-2024-08-06}`; the key is the name sent upstream
    (after `model_map`) or the client-facing one. An answer with another id counts in
    `edge_router_pin_mismatches` and logs a warning (no content); see `on_pin_mismatch`.
    Listed by /v1/models."""
    on_pin_mismatch: Literal["warn", "failover"] = "warn"
    """`warn`: serve the answer anyway; `failover`: drop it and decide again without this
    provider (streams too: the id comes with the first chunk, before the client gets any)."""
    embedding_models: tuple[str, ...] = ()
    """Client-facing embedding model names this provider serves at `{base_url}/embeddings`
    (OpenAI kinds only; `model_map` applies). A client must name one to use it: an
    embedding request is never sent to another model than the one named, and input the
    policy keeps local is refused for these models, not re-routed (see "Embeddings")."""
    forward_fields: tuple[str, ...] = ()
    """Extra top-level request fields this provider may receive besides the ones the
    router forwards anyway (see "What leaves the machine"), e.g. a vendor-specific
    option. Unknown fields are dropped by default; the ones named here are kept, and
    scanned whole like every other forwarded field. Only for OpenAI kinds."""
    trusted_local: bool = False
    """Only for `openai_compatible`: the server is on the premises (llama.cpp server,
    vLLM) and counts as the LOCAL tier, so data sent there never leaves the site."""
    connect_timeout_s: float = Field(default=5.0, gt=0)
    """Time allowed to open a TCP/TLS connection."""
    read_timeout_s: float = Field(default=60.0, gt=0)
    """Longest wait for the first byte of a response and between streamed bytes."""
    total_timeout_s: float = Field(default=300.0, gt=0)
    """Wall-clock budget for one call, retries, backoff and (for streams) the whole
    generation included."""
    max_retries: int = Field(default=2, ge=0, le=10)
    """Extra attempts after a connection error, timeout, 408, 429 or 5xx. Streams are
    retried only before their first chunk reached the caller."""
    backoff_base_s: float = Field(default=0.5, ge=0)
    """First retry delay; doubles on each further attempt (exponential backoff)."""
    backoff_max_s: float = Field(default=8.0, ge=0)
    """Upper bound for any retry delay, an upstream `Retry-After` included."""
    jitter: Literal["full", "none"] = "full"
    """`full`: each delay is uniform in [0, backoff] (spreads retries of many clients);
    `none`: the exact backoff (deterministic, for tests)."""
    breaker_failures: int = Field(default=5, ge=1)
    """Consecutive failed attempts (connection errors, timeouts, 429, 5xx, rejected
    credentials, garbled responses) that open the circuit breaker; while it is open
    the provider is reported unavailable and calls fail fast."""
    breaker_reset_s: float = Field(default=30.0, gt=0)
    """How long the breaker stays open before one trial request (half-open) may pass;
    success closes it, failure opens it again."""
    max_connections: int = Field(default=32, ge=1)
    """Size of the provider's connection pool (concurrent requests upstream)."""
    extra_headers: dict[str, str] = Field(default_factory=dict)
    """Headers added to every upstream request (e.g. an organisation or project id).
    Credential headers are refused here: use `api_key_env`/`api_key_credential`."""
    anthropic_version: str = "2023-06-01"
    """`anthropic-version` header sent by kind `anthropic`."""
    default_max_tokens: int = Field(default=4096, ge=1)
    """Kind `anthropic` only: `max_tokens` sent when the request has none (Anthropic
    requires it; OpenAI does not)."""
    proxy: str | None = None
    """Outbound HTTP(S) proxy URL. Proxy environment variables are deliberately ignored
    so the route of every upstream byte is in the config."""
    ca_bundle: str | None = None
    """PEM file of CA certificates to trust instead of the system store (TLS-inspecting
    corporate proxies, private CAs)."""

    @field_validator("base_url")
    @classmethod
    def _valid_base_url(cls, v: str) -> str:
        try:
            url = httpx.URL(v)
        except httpx.InvalidURL as exc:
            raise ValueError("base_url is not a valid URL") from exc
        if url.scheme not in ("http", "https") or not url.host:
            raise ValueError("base_url must be an http(s) URL with a host")
        if url.query or url.fragment:
            raise ValueError("base_url must not have a query or fragment")
        return v.rstrip("/")

    @field_validator("api_key_env")
    @classmethod
    def _valid_env_name(cls, v: str | None) -> str | None:
        if v is not None and (not v or "=" in v or "\x00" in v):
            raise ValueError("api_key_env must be an environment variable name")
        return v

    @field_validator("api_key_credential")
    @classmethod
    def _valid_credential_name(cls, v: str | None) -> str | None:
        # A credential is a plain file name inside $CREDENTIALS_DIRECTORY, never a path.
        if v is not None and (not v or "/" in v or "\x00" in v or v in (".", "..")):
            raise ValueError("api_key_credential must be a plain file name")
        return v

    @field_validator("forward_fields")
    @classmethod
    def _valid_forward_fields(cls, v: tuple[str, ...]) -> tuple[str, ...]:
        return check_extra_fields(v)

    @field_validator("extra_headers")
    @classmethod
    def _no_credential_headers(cls, v: dict[str, str]) -> dict[str, str]:
        for key in v:
            if key.lower() in _RESERVED_HEADERS:
                raise ValueError(
                    f"header {key!r} may not be set in extra_headers"
                    " (keys belong in api_key_env or api_key_credential)"
                )
        return v

    @model_validator(mode="after")
    def _consistent(self) -> ProviderSettings:
        if len(set(self.models)) != len(self.models):
            raise ValueError("models must be unique")
        if self.models:
            if self.default_model is not None and self.default_model not in self.models:
                raise ValueError("default_model must be one of models")
            unknown = sorted(set(self.model_map) - {*self.models, *self.embedding_models})
            if unknown:
                raise ValueError(f"model_map names models not in models: {unknown}")
        if self.trusted_local and self.kind != "openai_compatible":
            raise ValueError("trusted_local is only valid for kind openai_compatible")
        if self.forward_fields and self.kind == "anthropic":
            raise ValueError("forward_fields is only valid for the OpenAI kinds")
        if self.embedding_models and self.kind == "anthropic":
            raise ValueError("embedding_models is only valid for the OpenAI kinds")
        if len(set(self.embedding_models)) != len(self.embedding_models):
            raise ValueError("embedding_models must be unique")
        if self.kind in ("openai", "anthropic") and not (
            self.api_key_env or self.api_key_credential
        ):
            raise ValueError(f"kind {self.kind} needs api_key_env or api_key_credential")
        url = httpx.URL(self.base_url)
        if url.scheme == "http" and not (self.trusted_local or _is_loopback(url.host)):
            raise ValueError("plain http base_url is only allowed for loopback or trusted_local")
        if self.backoff_max_s < self.backoff_base_s:
            raise ValueError("backoff_max_s must be >= backoff_base_s")
        return self

    def upstream_model(self, client_model: str) -> str:
        """``model_map`` applied to a client-facing name (``auto`` is resolved by the provider)."""
        return self.model_map.get(client_model, client_model)

    def pinned(self, upstream: str) -> str | None:
        """The id answers for ``upstream`` (a name as sent) must carry, if pinned."""
        if upstream in self.pinned_models:
            return self.pinned_models[upstream]
        names = [c for c, u in self.model_map.items() if u == upstream]
        return next((self.pinned_models[c] for c in names if c in self.pinned_models), None)


class CredentialError(EdgeRouterError):
    """A configured API key cannot be read. The message names the source, never a value."""


def resolve_api_key(
    settings: ProviderSettings,
    environ: Mapping[str, str],
    credentials_dir: str | Path | None = None,
) -> str | None:
    """Read the provider's API key: systemd credential first, then the environment.

    ``credentials_dir`` defaults to ``environ["CREDENTIALS_DIRECTORY"]``. Returns
    None when the provider has no key configured; raises :class:`CredentialError`
    when one is configured but missing or empty (fail fast at startup).
    """
    if settings.api_key_credential is not None:
        base = (
            credentials_dir if credentials_dir is not None else environ.get("CREDENTIALS_DIRECTORY")
        )
        if not base:
            raise CredentialError(
                f"provider {settings.name}: api_key_credential is set but"
                " CREDENTIALS_DIRECTORY is not (run under systemd with LoadCredential=)"
            )
        path = Path(base) / settings.api_key_credential
        try:
            key = path.read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise CredentialError(
                f"provider {settings.name}: cannot read credential"
                f" {settings.api_key_credential!r}: {exc.strerror}"
            ) from None
        except UnicodeDecodeError:
            # `from None`: a UnicodeDecodeError carries the raw bytes, i.e. the key.
            raise CredentialError(
                f"provider {settings.name}: credential {settings.api_key_credential!r}"
                " is not UTF-8 text"
            ) from None
        if not key:
            raise CredentialError(
                f"provider {settings.name}: credential {settings.api_key_credential!r} is empty"
            )
        return key
    if settings.api_key_env is not None:
        key = environ.get(settings.api_key_env, "").strip()
        if not key:
            raise CredentialError(
                f"provider {settings.name}: environment variable {settings.api_key_env}"
                " is not set or empty"
            )
        return key
    return None
