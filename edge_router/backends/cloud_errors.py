"""Upstream provider failures, translated into the router's exception tree.

Everything an upstream can do wrong (refuse the connection, time out, answer
429/5xx, send garbage, hang up mid-stream, reject the request) ends up as a
:class:`ProviderError`. A 4xx's status, type and message are passed through
only when the message provably quotes nothing from the request or the key.

    BackendError (edge_router.errors)
    └── ProviderError            retryable: may the same request succeed if sent again?
        └── ProviderUnavailable  no service right now (breaker open, refused, 429, 503)
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable, Mapping
from typing import Any

import httpx

from edge_router.errors import BackendError

# Statuses whose request may be repeated as-is (OpenAI's and Anthropic's SDKs agree).
_RETRY_STATUSES = frozenset({408, 409, 429})
_NOT_RETRYABLE_5XX = frozenset({501, 505})
_UNAVAILABLE_STATUSES = frozenset({429, 503, 529})
# Client errors whose status means the same to our caller as to us.
_PASSTHROUGH_STATUSES = frozenset({400, 404, 413, 422})
_IDENTIFIER = re.compile(r"^[A-Za-z0-9_.:\-\[\]]{1,100}$")
_MAX_MESSAGE = 500
# Request strings shorter than this are too common (roles, "auto") to count as content.
_MIN_LEAF = 6
# Echo detection: any 16-char window of the message, every 4 chars, found in the request.
_WINDOW, _STRIDE = 16, 4
# Fixed vocabulary, never request content. Ids are not skipped: clients put data in them.
_SKIP_KEYS = frozenset({"role", "type", "media_type", "model", "cache_control"})


class ProviderError(BackendError):
    """An upstream provider failed; ``retryable`` says whether sending the same
    request again (here or to another provider) may succeed."""

    code = "provider_error"

    def __init__(
        self,
        message: str,
        *,
        provider: str,
        retryable: bool,
        upstream_status: int | None = None,
        status: int | None = None,
        error_type: str | None = None,
        code: str | None = None,
        param: str | None = None,
        retry_after_s: float | None = None,
    ) -> None:
        headers = None
        if retry_after_s is not None:
            headers = {"Retry-After": str(max(1, math.ceil(retry_after_s)))}
        super().__init__(message, param=param, code=code, headers=headers)
        self.provider = provider
        self.retryable = retryable
        self.upstream_status = upstream_status
        self.retry_after_s = retry_after_s
        if status is not None:
            self.status = status
        if error_type is not None:
            self.type = error_type


class ProviderUnavailable(ProviderError):
    """The provider cannot serve now; try another one (or after ``retry_after_s``)."""

    status = 503
    type = "upstream_unavailable"
    code = "provider_unavailable"

    def __init__(
        self,
        message: str,
        *,
        provider: str,
        upstream_status: int | None = None,
        retry_after_s: float | None = None,
    ) -> None:
        super().__init__(
            message,
            provider=provider,
            retryable=True,
            upstream_status=upstream_status,
            retry_after_s=retry_after_s,
        )


def is_retry_status(status: int) -> bool:
    return status in _RETRY_STATUSES or (status >= 500 and status not in _NOT_RETRYABLE_5XX)


def is_unavailable_status(status: int) -> bool:
    return status in _UNAVAILABLE_STATUSES


def request_texts(body: Any) -> list[str]:
    """Every string value of the forwarded body (all fields), for echo checks: whatever
    went upstream may come back quoted in an error."""
    out: list[str] = []

    def walk(value: Any) -> None:
        if isinstance(value, str):
            if len(value) >= _MIN_LEAF:
                out.append(value)
        elif isinstance(value, Mapping):
            for key, item in value.items():
                if key not in _SKIP_KEYS:
                    walk(item)
        elif isinstance(value, list | tuple):
            for item in value:
                walk(item)

    if isinstance(body, Mapping):
        for key, value in body.items():
            if key != "model":  # the configured name is no request content
                walk(value)
    return out


def _quotes(message: str, texts: Iterable[str]) -> bool:
    long_texts: list[str] = []
    for text in texts:
        if text in message:
            return True
        if len(text) >= _WINDOW:
            long_texts.append(text)
    if not long_texts:
        return False
    haystack = "\x00".join(long_texts)
    if len(message) <= _WINDOW:
        return len(message) >= _MIN_LEAF and message in haystack
    last = len(message) - _WINDOW
    starts = [*range(0, last, _STRIDE), last]
    return any(message[i : i + _WINDOW] in haystack for i in starts)


def safe_message(message: Any, texts: Iterable[str], secret: str | None) -> str | None:
    """``message`` if it is short, printable and quotes neither request nor key."""
    if not isinstance(message, str):
        return None
    text = "".join(ch if ch.isprintable() else " " for ch in message).strip()
    if not text or len(text) > _MAX_MESSAGE:
        return None
    # Upstreams echo keys masked ("sk-abc...wxyz"): any recognisable end is too much.
    if secret and any(part in text for part in (secret, secret[:8], secret[-4:])):
        return None
    if _quotes(text, texts):
        return None
    return text


def _identifier(value: Any) -> str | None:
    return value if isinstance(value, str) and _IDENTIFIER.match(value) else None


def parse_error_payload(payload: Any) -> tuple[str | None, Any, str | None, str | None]:
    """(type, message, param, code) from an OpenAI, Anthropic or vLLM-style error body."""
    if not isinstance(payload, Mapping):
        return None, None, None, None
    error = payload.get("error", payload)
    if isinstance(error, str):
        return None, error, None, None
    if not isinstance(error, Mapping):
        return None, None, None, None
    code = error.get("code")
    return (
        _identifier(error.get("type")),
        error.get("message"),
        _identifier(error.get("param")),
        _identifier(code if isinstance(code, str) else None),
    )


def error_from_response(
    provider: str,
    status: int,
    content: bytes,
    *,
    body: Any,
    secret: str | None,
    retry_after_s: float | None = None,
) -> ProviderError:
    """The exception for a non-2xx upstream answer (after retries, if any)."""
    if status in (401, 403):
        # The upstream rejected *our* credentials; the client's are fine, and the
        # upstream's text may quote a fragment of the key.
        return ProviderError(
            f"Provider '{provider}' rejected the router's credentials (HTTP {status}).",
            provider=provider,
            retryable=False,
            upstream_status=status,
            code="upstream_auth_failed",
        )
    if is_unavailable_status(status):
        return ProviderUnavailable(
            f"Provider '{provider}' is unavailable (HTTP {status}).",
            provider=provider,
            upstream_status=status,
            retry_after_s=retry_after_s,
        )
    if status >= 500 or is_retry_status(status):
        return ProviderError(
            f"Provider '{provider}' failed (HTTP {status}).",
            provider=provider,
            retryable=is_retry_status(status),
            upstream_status=status,
        )
    try:
        payload = json.loads(content)
    except (ValueError, RecursionError):
        payload = None
    err_type, raw_message, param, code = parse_error_payload(payload)
    message = safe_message(raw_message, request_texts(body), secret)
    text = f"Provider '{provider}' rejected the request (HTTP {status})"
    text = f"{text}: {message}" if message else f"{text}."
    return ProviderError(
        text,
        provider=provider,
        retryable=False,
        upstream_status=status,
        status=status if status in _PASSTHROUGH_STATUSES else None,
        error_type=err_type
        or ("invalid_request_error" if status in _PASSTHROUGH_STATUSES else None),
        code=code or "upstream_rejected",
        param=param,
    )


def error_from_stream_payload(
    provider: str, payload: Any, *, body: Any, secret: str | None
) -> ProviderError:
    """An error reported inside a 200 stream (OpenAI `data: {"error":...}` or
    Anthropic `event: error`). Overload and server errors are retryable."""
    err_type, raw_message, _, _ = parse_error_payload(payload)
    message = safe_message(raw_message, request_texts(body), secret)
    retryable = err_type in (None, "overloaded_error", "api_error", "server_error", "timeout_error")
    text = f"Provider '{provider}' reported an error mid-stream"
    text = f"{text} ({err_type}): {message}" if message and err_type else f"{text}."
    return ProviderError(text, provider=provider, retryable=retryable, code="upstream_stream_error")


def malformed(provider: str, what: str) -> ProviderError:
    """A 200 answer we cannot use (wrong content type, bad JSON, wrong shape): most
    often a misconfigured base_url or a proxy page, so retrying will not help."""
    return ProviderError(
        f"Provider '{provider}' sent {what}.",
        provider=provider,
        retryable=False,
        upstream_status=200,
        code="upstream_malformed",
    )


def classify(provider: str, exc: BaseException) -> ProviderError:
    """Any failure of one attempt -> our exception (never quoting httpx's text)."""
    if isinstance(exc, ProviderError):
        return exc
    if isinstance(exc, httpx.ConnectTimeout | httpx.ConnectError | httpx.ProxyError):
        return ProviderUnavailable(
            f"Provider '{provider}' could not be reached.", provider=provider
        )
    if isinstance(exc, httpx.PoolTimeout):
        return ProviderUnavailable(
            f"Provider '{provider}' has no free connection (pool exhausted).", provider=provider
        )
    if isinstance(exc, httpx.TimeoutException):
        return ProviderError(
            f"Provider '{provider}' timed out waiting for data.",
            provider=provider,
            retryable=True,
            code="upstream_timeout",
        )
    if isinstance(exc, TimeoutError):  # our own total budget (asyncio.timeout)
        return ProviderError(
            f"Provider '{provider}' exceeded its total time budget.",
            provider=provider,
            retryable=True,
            code="upstream_total_timeout",
        )
    if isinstance(exc, httpx.DecodingError):
        return malformed(provider, "a body that could not be decoded")
    if isinstance(exc, httpx.TransportError):
        return ProviderError(
            f"Provider '{provider}' dropped the connection.",
            provider=provider,
            retryable=True,
            code="upstream_disconnected",
        )
    return ProviderError(
        f"Provider '{provider}' failed unexpectedly ({type(exc).__name__}).",
        provider=provider,
        retryable=False,
    )


def counts_against_provider(err: ProviderError) -> bool:
    """Whether a failure feeds the circuit breaker. A rejected request proves the
    upstream alive; rejected credentials and rate limits do not."""
    status = err.upstream_status
    request_fault = (
        status is not None and 400 <= status < 500 and status not in (401, 403, 408, 429)
    )
    return not request_fault
