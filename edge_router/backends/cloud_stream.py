"""An upstream's server-sent events decoded into OpenAI ``chat.completion.chunk`` dicts.

OpenAI-kind events pass through after a shape check; Anthropic events are translated
by ``wire.anthropic_upstream.AnthropicChunker``. Errors sent inside the stream become
our exceptions, and a stream that stops before its terminator raises: a cut-off answer
must never pass for a complete one. Moved out of ``cloud.py`` (one idea per module).

Example::

    chunks = decode_stream("openai", response.aiter_lines(), body, chunker=None, secret=key)
    first = await anext(chunks)
"""

from __future__ import annotations

import json
from collections.abc import AsyncGenerator, AsyncIterator
from typing import Any

from edge_router.backends.cloud_errors import (
    ProviderError,
    error_from_stream_payload,
    malformed,
)
from edge_router.wire.anthropic_upstream import (
    AnthropicChunker,
    AnthropicStreamError,
    MalformedUpstream,
)
from edge_router.wire.sse import iter_sse


async def decode_stream(
    provider: str,
    lines: AsyncIterator[str],
    body: dict[str, Any],
    *,
    chunker: AnthropicChunker | None,
    secret: str | None,
) -> AsyncGenerator[dict[str, Any], None]:
    """Decode ``lines`` (an SSE body) into OpenAI chunks; raise unless it ends properly.
    ``chunker`` translates an Anthropic stream; None reads an OpenAI one."""
    async for event in iter_sse(lines):
        if not event.data.strip():
            continue  # a bare `event:` keep-alive carries nothing to decode
        if chunker is None and event.data.strip() == "[DONE]":
            return
        try:
            data = json.loads(event.data)
        except (ValueError, RecursionError):
            raise malformed(provider, "a stream event with malformed JSON") from None
        if chunker is not None:
            try:
                chunks = chunker.feed(event.event, data)
            except AnthropicStreamError as exc:
                raise error_from_stream_payload(
                    provider, {"error": exc.payload}, body=body, secret=secret
                ) from None
            except MalformedUpstream:
                raise malformed(provider, "a stream event of the wrong shape") from None
            for chunk in chunks:
                yield chunk
            if chunker.finished:
                return
            continue
        if not isinstance(data, dict):
            raise malformed(provider, "a stream event of the wrong shape")
        if event.event == "error" or ("error" in data and "choices" not in data):
            raise error_from_stream_payload(provider, data, body=body, secret=secret)
        if not isinstance(data.get("choices"), list):
            raise malformed(provider, "a stream event of the wrong shape")
        yield data
    raise ProviderError(
        f"Provider '{provider}' ended the stream before it was complete.",
        provider=provider,
        retryable=True,
        code="upstream_disconnected",
    )
