"""A pooled, resilient client for one upstream provider (cloud API or on-prem server).

Speaks OpenAI chat completions inward whatever the upstream speaks outward
(OpenAI, Anthropic Messages, any OpenAI-compatible server), and OpenAI embeddings
(OpenAI kinds). Bodies arrive as the scanned (and, when decided, redacted) projection
of the client's request; the upstream body is built from it by the wire format's
builder (``upstream_body``, the Anthropic translation, ``embeddings_body``), with the
model name mapped and fields this provider does not allow left out. Nothing here logs
a body or a key. Stream decoding lives in ``cloud_stream``.

Resilience: retries with exponential backoff and full jitter on connection
errors, timeouts, 408/409/429/5xx (honouring ``Retry-After``), inside one
total-time budget; a circuit breaker per provider; a stream is retried only
until its first chunk is handed out, after which its target never changes.

Example::

    provider = CloudProvider.from_settings(settings)       # in the app lifespan
    completion = await provider.complete(body)              # OpenAI chat.completion
    async for chunk in provider.stream(body):               # chat.completion.chunk
        ...
    vectors, prompt_tokens = await provider.embeddings(embeddings_projection)
    await provider.aclose()
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import random
import ssl
import time
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable, Mapping
from pathlib import Path
from typing import Any, TypeVar

import httpx

from edge_router.backends.cloud_errors import (
    ProviderError,
    ProviderUnavailable,
    classify,
    counts_against_provider,
    error_from_response,
    malformed,
)
from edge_router.backends.cloud_stream import decode_stream
from edge_router.backends.resilience import (
    CircuitBreaker,
    Ewma,
    backoff_delay,
    retry_after_from_headers,
)
from edge_router.backends.settings import ProviderSettings, resolve_api_key
from edge_router.errors import BadRequest, ModelNotFound
from edge_router.wire.anthropic_upstream import (
    AnthropicChunker,
    MalformedUpstream,
    anthropic_message_to_openai,
    openai_request_to_anthropic,
)
from edge_router.wire.openai_chat import upstream_body
from edge_router.wire.openai_embeddings import embeddings_body, upstream_vectors

__all__ = ["CloudProvider", "ProviderError", "ProviderUnavailable"]

log = logging.getLogger(__name__)
T = TypeVar("T")
AUTO = "auto"
Chunks = AsyncGenerator[dict[str, Any], None]


def _media_type(response: httpx.Response) -> str:
    value: str = response.headers.get("content-type", "")
    return value.split(";")[0].strip().lower()


class CloudProvider:
    """One upstream provider with its own connection pool, retries and breaker.

    ``transport`` replaces the network (httpx ``MockTransport`` in unit tests);
    ``clock``, ``sleep`` and ``rng`` make retry timing testable.
    """

    def __init__(
        self,
        settings: ProviderSettings,
        *,
        api_key: str | None,
        transport: httpx.AsyncBaseTransport | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        rng: random.Random | None = None,
    ) -> None:
        self.settings = settings
        self.name = settings.name
        self.trusted_local = settings.trusted_local
        self._secret = api_key  # kept only to scrub it from upstream error text
        self._clock = clock
        self._sleep = sleep
        self._rng = rng
        self._breaker = CircuitBreaker(
            failures=settings.breaker_failures, reset_s=settings.breaker_reset_s, clock=clock
        )
        self._latency = Ewma()
        self._anthropic = settings.kind == "anthropic"
        suffix = "/v1/messages" if self._anthropic else "/chat/completions"
        self._url = settings.base_url + suffix
        verify: ssl.SSLContext | bool = True
        if settings.ca_bundle:
            verify = ssl.create_default_context(cafile=settings.ca_bundle)
        self._client = httpx.AsyncClient(
            headers=self._headers(api_key),
            timeout=httpx.Timeout(
                connect=settings.connect_timeout_s,
                read=settings.read_timeout_s,
                write=settings.read_timeout_s,
                pool=settings.connect_timeout_s,
            ),
            limits=httpx.Limits(
                max_connections=settings.max_connections,
                max_keepalive_connections=settings.max_connections,
            ),
            transport=transport,
            # A proxy mount would take precedence over an injected transport.
            proxy=settings.proxy if transport is None else None,
            verify=verify,
            # A redirect would re-send the body somewhere the config never named.
            follow_redirects=False,
            # Proxies and .netrc from the environment would route or authenticate
            # requests behind the config's back.
            trust_env=False,
        )

    @classmethod
    def from_settings(
        cls,
        settings: ProviderSettings,
        *,
        environ: Mapping[str, str] | None = None,
        credentials_dir: str | Path | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> CloudProvider:
        """Build a provider, reading its key (raises CredentialError when missing)."""
        key = resolve_api_key(settings, os.environ if environ is None else environ, credentials_dir)
        return cls(settings, api_key=key, transport=transport)

    def _headers(self, api_key: str | None) -> dict[str, str]:
        s = self.settings
        headers = {"user-agent": "edge-router", "accept": "application/json", **s.extra_headers}
        if self._anthropic:
            headers["anthropic-version"] = s.anthropic_version
            if api_key:
                headers["x-api-key"] = api_key
        elif api_key:
            headers["authorization"] = f"Bearer {api_key}"
        return headers

    # -- state for routing ---------------------------------------------------------
    @property
    def available(self) -> bool:
        """False while the circuit breaker is open (calls would fail fast)."""
        return self._breaker.available

    @property
    def breaker_state(self) -> str:
        return self._breaker.state

    @property
    def healthy(self) -> bool:
        """False from a failed call until the next success (for /readyz, not routing)."""
        return self._breaker.healthy

    @property
    def recent_latency_s(self) -> float | None:
        """EWMA of time to the whole answer (complete) or first chunk (stream)."""
        return self._latency.value

    async def aclose(self) -> None:
        await self._client.aclose()

    async def __aenter__(self) -> CloudProvider:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    # -- request preparation ---------------------------------------------------------
    @property
    def models(self) -> tuple[str, ...]:
        """Client-facing model names this provider lists (empty: passes any name through)."""
        return tuple(self.settings.models)

    @property
    def embedding_models(self) -> tuple[str, ...]:
        """Client-facing embedding model names (served at ``{base_url}/embeddings``)."""
        return tuple(self.settings.embedding_models)

    def serves(self, model: str) -> bool:
        """Whether this provider takes requests for ``model`` (``auto``: has a default)."""
        s = self.settings
        if model == AUTO:
            return s.default_model is not None
        return not s.models or model in s.models

    def upstream_model(self, model: str) -> str:
        """The upstream name for a client-facing ``model`` (``auto`` -> default_model).

        Idempotent: an already-mapped upstream name passes through unchanged, so a
        caller may map the body's model before handing it over.
        """
        s = self.settings
        if model == AUTO:
            if s.default_model is None:
                raise ModelNotFound(f"Provider '{self.name}' has no default model for 'auto'.")
            model = s.default_model
        elif s.models and model not in s.models and model not in s.model_map.values():
            raise ModelNotFound(f"Provider '{self.name}' does not serve the requested model.")
        return s.upstream_model(model)

    def _wire(self, body: dict[str, Any], *, stream: bool) -> bytes:
        """The upstream bytes for ``body``, which must be a (redacted) projection from
        ``wire.openai_chat.project``: only its fields are ever sent (see pipeline.py)."""
        model = body.get("model")
        if not isinstance(model, str):
            raise BadRequest("Invalid value for 'model': expected a string.", param="model")
        model = self.upstream_model(model)
        if self._anthropic:
            wire = openai_request_to_anthropic(
                body, model=model, default_max_tokens=self.settings.default_max_tokens
            )
            if stream:
                wire["stream"] = True
            else:
                wire.pop("stream", None)
        else:
            wire = upstream_body(
                body, model=model, stream=stream, extra=self.settings.forward_fields
            )
        return json.dumps(wire, ensure_ascii=False, separators=(",", ":")).encode()

    @staticmethod
    def _include_usage(body: dict[str, Any]) -> bool:
        options = body.get("stream_options")
        return isinstance(options, dict) and bool(options.get("include_usage"))

    # -- errors --------------------------------------------------------------------------
    def _record(self, err: ProviderError) -> None:
        if counts_against_provider(err):
            self._breaker.record_failure()
        else:
            self._breaker.record_success()

    def _unavailable(self) -> ProviderUnavailable:
        return ProviderUnavailable(
            f"Provider '{self.name}' is unavailable (circuit open).",
            provider=self.name,
            retry_after_s=self._breaker.retry_after_s(),
        )

    async def _http_error(self, response: httpx.Response, body: dict[str, Any]) -> ProviderError:
        content = await response.aread()
        return error_from_response(
            self.name,
            response.status_code,
            content,
            body=body,
            secret=self._secret,
            retry_after_s=retry_after_from_headers(response.headers),
        )

    # -- retry loop --------------------------------------------------------------------
    def _retry_delay(self, err: ProviderError, attempt: int, deadline: float) -> float | None:
        s = self.settings
        if not err.retryable or attempt >= s.max_retries or err.code == "upstream_total_timeout":
            return None
        delay = backoff_delay(
            attempt + 1,
            base_s=s.backoff_base_s,
            max_s=s.backoff_max_s,
            jitter=s.jitter,
            rng=self._rng,
        )
        if err.retry_after_s is not None:
            delay = min(err.retry_after_s, s.backoff_max_s)
        if self._clock() + delay >= deadline:
            return None  # waiting would spend the budget; let the caller fall back now
        return delay

    async def _with_retries(self, op: Callable[[], Awaitable[T]], deadline: float, kind: str) -> T:
        attempt = 0
        while True:
            if not self._breaker.try_acquire():
                raise self._unavailable()
            started = self._clock()
            try:
                async with asyncio.timeout(max(0.0, deadline - started)):
                    result = await op()
            except Exception as exc:
                err = classify(self.name, exc)
                self._record(err)
                delay = self._retry_delay(err, attempt, deadline)
                if delay is None:
                    raise err from exc
                attempt += 1
                log.warning(
                    "provider %s %s attempt %d failed (%s, upstream status %s); retrying in %.2fs",
                    self.name,
                    kind,
                    attempt,
                    err.code,
                    err.upstream_status,
                    delay,
                )
                await self._sleep(delay)
                continue
            except BaseException:
                self._breaker.release()  # cancelled: says nothing about the upstream
                raise
            self._breaker.record_success()
            self._latency.add(self._clock() - started)
            return result

    # -- non-streaming -------------------------------------------------------------------
    async def complete(self, body: dict[str, Any]) -> dict[str, Any]:
        """Send one chat completion and return the OpenAI ``chat.completion`` dict."""
        return await self._post(self._url, self._wire(body, stream=False), body, self._reply)

    async def embeddings(self, body: dict[str, Any]) -> tuple[list[list[float]], int]:
        """(A vector per input, prompt tokens) for a ``wire.openai_embeddings`` projection."""
        wire = embeddings_body(body, model=self.settings.upstream_model(body["model"]))
        payload = json.dumps(wire, ensure_ascii=False, separators=(",", ":")).encode()
        url, n = self.settings.base_url + "/embeddings", len(wire["input"])
        return await self._post(url, payload, body, lambda data: upstream_vectors(data, n))

    def _reply(self, data: Any) -> dict[str, Any]:
        if self._anthropic:
            return anthropic_message_to_openai(data)
        if not isinstance(data, dict) or not isinstance(data.get("choices"), list):
            raise MalformedUpstream()
        return data

    async def _post(self, url: str, payload: bytes, body: Any, parse: Callable[[Any], T]) -> T:
        """A JSON POST, retried; ``parse`` runs inside, so a garbled answer counts too."""
        deadline = self._clock() + self.settings.total_timeout_s

        async def once() -> T:
            headers = {"content-type": "application/json"}
            response = await self._client.post(url, content=payload, headers=headers)
            if not response.is_success:
                raise await self._http_error(response, body)
            if _media_type(response) != "application/json":
                raise malformed(self.name, "a response that is not JSON (wrong content type)")
            try:
                return parse(json.loads(response.content))
            except (ValueError, RecursionError):
                raise malformed(self.name, "malformed JSON") from None
            except MalformedUpstream:
                raise malformed(self.name, "an answer of the wrong shape") from None

        return await self._with_retries(once, deadline, url.rsplit("/", 1)[-1])

    # -- streaming -----------------------------------------------------------------------
    def _chunks(self, response: httpx.Response, body: dict[str, Any]) -> Chunks:
        """Decode the upstream SSE body into OpenAI chunks; raise unless it ends properly."""
        chunker = (
            AnthropicChunker(include_usage=self._include_usage(body)) if self._anthropic else None
        )
        lines = response.aiter_lines()
        return decode_stream(self.name, lines, body, chunker=chunker, secret=self._secret)

    async def _open_stream(
        self, payload: bytes, body: dict[str, Any]
    ) -> tuple[httpx.Response, Chunks, dict[str, Any]]:
        request = self._client.build_request(
            "POST",
            self._url,
            content=payload,
            headers={"content-type": "application/json", "accept": "text/event-stream"},
        )
        response = await self._client.send(request, stream=True)
        chunks: Chunks | None = None
        try:
            if not response.is_success:
                raise await self._http_error(response, body)
            if _media_type(response) != "text/event-stream":
                raise malformed(
                    self.name, "a stream that is not text/event-stream (wrong content type)"
                )
            chunks = self._chunks(response, body)
            try:
                first = await anext(chunks)
            except StopAsyncIteration:
                raise malformed(self.name, "an empty stream") from None
            return response, chunks, first
        except BaseException:
            if chunks is not None:
                await chunks.aclose()
            await response.aclose()
            raise

    async def stream(self, body: dict[str, Any]) -> AsyncIterator[dict[str, Any]]:
        """Stream OpenAI ``chat.completion.chunk`` dicts.

        Failures before the first chunk are retried like :meth:`complete`; after
        it, any failure raises :class:`ProviderError` and nothing is re-sent.
        """
        payload = self._wire(body, stream=True)
        deadline = self._clock() + self.settings.total_timeout_s
        response, chunks, first = await self._with_retries(
            lambda: self._open_stream(payload, body), deadline, "stream"
        )
        try:
            yield first
            while True:
                try:
                    async with asyncio.timeout(max(0.0, deadline - self._clock())):
                        chunk = await anext(chunks)
                except StopAsyncIteration:
                    return
                except Exception as exc:
                    err = classify(self.name, exc)
                    self._record(err)
                    raise err from exc
                yield chunk
        finally:
            await chunks.aclose()
            await response.aclose()
