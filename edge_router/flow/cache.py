"""The response cache's store: exact-match answers under keyed digests, bounded and aged.

What goes in is decided elsewhere (``flow.cache_key``: whose answer it is, whether it
may be kept at all); this module only keeps answers, by a digest it computes itself
with a per-process random secret (HMAC-SHA256), the same way the scanner keeps its
per-scope results (``privacy.scanner``): a key reveals nothing about the prompt, and
a restart forgets every entry (nothing is ever written to disk).

Bounded three ways: ``max_entries``, ``max_bytes`` (the serialised answers) and
``ttl_s``; least recently used entries go first. An answer is stored as JSON bytes,
so a hit hands out a fresh object that no later consumer can change in the store.

Example::

    cache = ResponseCache(CacheSettings(enabled=True, ttl_s=60))
    key = cache.key(["key", "acme", "ci", "default", "local", "{...}"])
    cache.put(key, CachedAnswer.of(completion, stream=False, route="local",
                                   provider="llama", model="smollm2-135m-instruct"))
    hit = cache.get(key)   # None once 60 s have passed
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any, Literal

from pydantic import Field

from edge_router.frozen import Frozen


class CacheSettings(Frozen):
    """The ``cache:`` section of the config file.

    Example::

        CacheSettings(enabled=True, ttl_s=600, max_entries=5000, scope="tenant")
    """

    enabled: bool = False
    """Answer a request that repeats an earlier one exactly (same projected body, model,
    routing decision, policy, tenant and API key) from memory, without running it again.
    Off by default: a cached answer is the same answer, whatever the temperature."""
    ttl_s: float = Field(default=300.0, gt=0)
    """How long an answer is served from the cache after it was produced."""
    max_entries: int = Field(default=1000, ge=1)
    """Most answers kept; the least recently used go first."""
    max_bytes: int = Field(default=64 * 1024 * 1024, ge=1024)
    """Most bytes of answers (serialised JSON) kept; an answer larger than this is not
    cached at all."""
    scope: Literal["key", "tenant"] = "key"
    """Who may share an entry: `key` = only the same API key; `tenant` = all keys of one
    tenant with the same policy (keys without a tenant still share with no one). Requests
    in which the scanner found anything are kept per API key whatever this says, and
    not at all for requests without an API key."""


EvictReason = Literal["ttl", "size", "replaced"]


@dataclass(frozen=True)
class CachedAnswer:
    """One stored answer: a whole ``chat.completion`` or the chunks of a streamed one,
    and who produced it (for headers, metrics and the audit of a hit)."""

    stream: bool
    data: bytes
    route: str
    provider: str
    model: str
    expires: float = 0.0
    upstream_model: str | None = None
    """The exact id the provider answered with (``flow.pinning``); None for this machine's
    model. A hit's audit record carries it, as the first answer's did."""
    reply_entity_types: tuple[tuple[str, int], ...] = ()
    """What the reply guard found in this answer (types and counts, never values): the
    answer kept is the guarded one, and a hit's audit record says what was found in it."""

    @classmethod
    def of(
        cls,
        value: Any,
        *,
        stream: bool,
        route: str,
        provider: str,
        model: str,
        upstream_model: str | None = None,
        reply_entity_types: Mapping[str, int] | None = None,
    ) -> CachedAnswer:
        # ASCII escapes: a lone surrogate a model emitted round-trips instead of failing.
        data = json.dumps(value, separators=(",", ":")).encode()
        found = tuple(sorted((reply_entity_types or {}).items()))
        return cls(stream, data, route, provider, model, 0.0, upstream_model, found)

    @property
    def size(self) -> int:
        return len(self.data)

    def value(self) -> Any:
        """A fresh copy of the stored completion (dict) or chunks (list of dicts)."""
        return json.loads(self.data)


class ResponseCache:
    """An LRU of :class:`CachedAnswer` under keyed digests; see the module docstring.
    Safe to share between the event loop and threads (one lock, short critical parts)."""

    def __init__(
        self,
        settings: CacheSettings,
        *,
        clock: Callable[[], float] = time.monotonic,
        on_evict: Callable[[EvictReason], None] | None = None,
    ) -> None:
        self.settings = settings
        self.clock = clock
        """Seconds, monotonic: TTLs count on it (tests may set their own)."""
        self._on_evict = on_evict
        # Per process, never stored: digests from one run mean nothing in another.
        self._secret = secrets.token_bytes(32)
        self._entries: OrderedDict[bytes, CachedAnswer] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()

    def key(self, parts: Sequence[str]) -> bytes:
        """HMAC-SHA256 of the parts, each length-prefixed so no two lists collide."""
        mac = hmac.new(self._secret, digestmod=hashlib.sha256)
        for p in parts:
            b = p.encode("utf-8", "surrogatepass")
            mac.update(len(b).to_bytes(8, "big"))
            mac.update(b)
        return mac.digest()

    @property
    def entries(self) -> int:
        return len(self._entries)

    @property
    def total_bytes(self) -> int:
        return self._bytes

    def get(self, key: bytes) -> CachedAnswer | None:
        with self._lock:
            found = self._entries.get(key)
            if found is None:
                return None
            if found.expires <= self.clock():
                self._drop(key, "ttl")
                return None
            self._entries.move_to_end(key)
            return found

    def put(self, key: bytes, answer: CachedAnswer) -> bool:
        """Keep ``answer`` for ``ttl_s``; False when it alone is over ``max_bytes``."""
        s = self.settings
        if answer.size > s.max_bytes:
            return False
        now = self.clock()
        answer = replace(answer, expires=now + s.ttl_s)
        with self._lock:
            if key in self._entries:
                self._drop(key, "replaced")
            self._entries[key] = answer
            self._bytes += answer.size
            # Expired entries at the cold end go first, then the least recently used.
            while self._entries:
                oldest, entry = next(iter(self._entries.items()))
                if entry.expires <= now and oldest != key:
                    self._drop(oldest, "ttl")
                elif len(self._entries) > s.max_entries or self._bytes > s.max_bytes:
                    self._drop(oldest, "size")
                else:
                    break
        return True

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self._bytes = 0

    def _drop(self, key: bytes, reason: EvictReason) -> None:
        entry = self._entries.pop(key)
        self._bytes -= entry.size
        if self._on_evict is not None and reason != "replaced":
            self._on_evict(reason)
