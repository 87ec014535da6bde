"""Failed authentications counted per client address, so wrong keys cannot make the
daemon run scrypt without bound.

The HTTP layer sets :data:`client_address` for each request; the authenticator counts
each failed check of a presented key or token against it, and while an address is
blocked refuses (:class:`TooManyAuthFailures`, 429) before hashing anything.
"""

from __future__ import annotations

import ipaddress
import logging
import math
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass

from edge_router.errors import RouterError

_THROTTLE_SIZE = 10_000  # client addresses tracked; the least recently failing go first

log = logging.getLogger("edge_router.auth")

client_address: ContextVar[str | None] = ContextVar("edge_router_client_address", default=None)
"""The calling client's address for the request being handled (set by the HTTP layer);
None outside a request, where failures are not throttled."""


class TooManyAuthFailures(RouterError):
    """429: this client address failed authentication too often; carries Retry-After."""

    status = 429
    type = "rate_limit_error"
    code = "too_many_auth_failures"

    def __init__(self, retry_after_s: float) -> None:
        super().__init__(
            "Too many failed authentication attempts from this address; retry later.",
            headers={"Retry-After": str(max(1, math.ceil(retry_after_s)))},
        )


def address_bucket(host: str) -> str:
    """The unit failures are counted in: an IPv4 address as is, IPv6 per /64 (a host
    usually owns a whole /64, so per-address counting would not hold it back), anything
    else (a Unix socket) as given."""
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        return host
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.IPv6Network((ip, 64), strict=False))
    return str(ip)


@dataclass
class _Failures:
    window_start: float
    count: int = 0
    blocked_until: float = 0.0


class FailureThrottle:
    """Failed authentications per client address, in fixed windows; thread-safe.

    ``max_failures`` failures within ``window_s`` block the address for ``block_s``, and
    a fresh window starts when the block ends. Successes change nothing: on a shared
    address one client's success must not wipe out another's failures. At most
    ``max_entries`` addresses are tracked; the least recently failing are forgotten
    first. ``max_failures`` 0 turns it off.

    Example::

        t = FailureThrottle(max_failures=10, block_s=60)
        t.failed("192.0.2.7")       # True when this failure started a block
        t.retry_after("192.0.2.7")  # seconds left of the block, or None
    """

    def __init__(
        self,
        max_failures: int,
        block_s: float,
        *,
        window_s: float = 60.0,
        max_entries: int = _THROTTLE_SIZE,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.max_failures = max_failures
        self.block_s = block_s
        self.window_s = window_s
        self.max_entries = max_entries
        self._clock = clock
        self._entries: OrderedDict[str, _Failures] = OrderedDict()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._entries)

    def retry_after(self, addr: str) -> float | None:
        """Seconds until ``addr`` may authenticate again, or None if it may now."""
        if self.max_failures <= 0:
            return None
        now = self._clock()
        with self._lock:
            entry = self._entries.get(address_bucket(addr))
            left = entry.blocked_until - now if entry is not None else 0.0
        return left if left > 0 else None

    def failed(self, addr: str) -> bool:
        """Count one failure for ``addr``; True if it started a block (logged once)."""
        if self.max_failures <= 0:
            return False
        bucket = address_bucket(addr)
        now = self._clock()
        with self._lock:
            entry = self._entries.get(bucket)
            if entry is not None and now < entry.blocked_until:
                return False  # a verification that began before the block
            if entry is None or now >= entry.window_start + self.window_s:
                entry = self._entries[bucket] = _Failures(window_start=now)
            self._entries.move_to_end(bucket)
            entry.count += 1
            started = entry.count >= self.max_failures
            if started:
                entry.blocked_until = entry.window_start = now + self.block_s
                entry.count = 0
            while len(self._entries) > self.max_entries:
                self._entries.popitem(last=False)
        if started:
            # The address only: never the presented key.
            log.warning(
                "client blocked after repeated authentication failures",
                extra={
                    "fields": {
                        "client": bucket,
                        "failures": self.max_failures,
                        "block_s": self.block_s,
                    }
                },
            )
        return started
