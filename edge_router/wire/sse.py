"""Decode an upstream server-sent-event stream (the WHATWG event-stream format).

Example::

    async for event in iter_sse(response.aiter_lines()):
        event.event, event.data   # "content_block_delta", '{"type": ...}'
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass


@dataclass(frozen=True)
class SSEvent:
    event: str | None
    data: str


async def iter_sse(lines: AsyncIterator[str]) -> AsyncIterator[SSEvent]:
    """Yield one :class:`SSEvent` per blank-line-terminated block.

    ``lines`` come without their line terminators (httpx's ``aiter_lines``).
    Comments (``: keep-alive``), ``id`` and ``retry`` fields are skipped; an
    unterminated block at the end of the stream is dropped, as the spec says.
    """
    event: str | None = None
    data: list[str] = []
    async for line in lines:
        if not line:
            if data or event is not None:
                yield SSEvent(event, "\n".join(data))
            event, data = None, []
            continue
        if line.startswith(":"):
            continue
        name, _, value = line.partition(":")
        value = value.removeprefix(" ")
        if name == "event":
            event = value
        elif name == "data":
            data.append(value)
