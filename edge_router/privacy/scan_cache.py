"""The scanner's per-text result cache: detections (types, offsets, scores) by a keyed
hash of the scope and the text, least recently used out first. Never the text itself.

Keys are BLAKE2b keyed with a per-process secret and prefixed with the scope (tenant or
API key), so a key reveals nothing about its text and a hit for one scope says nothing
about what another scope sent (no timing side channel between tenants).

Example::

    cache = DetectionCache(1000)
    found, todo = cache.split(["call 555-0100", ""], scope="team-a")
    # found: cached and blank texts; todo: key -> text still to analyse
    cache.store(todo, {"call 555-0100": (("PHONE_NUMBER", 5, 13, 0.7),)}, found)
"""

from __future__ import annotations

import hashlib
import secrets
import threading
from collections import OrderedDict
from collections.abc import Iterable, Iterator, Mapping

from edge_router.privacy.offload import Detection

Found = dict[str, tuple[Detection, ...]]


class DetectionCache:
    """Thread-safe LRU of detections per (scope, text); see the module docstring."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._lock = threading.Lock()
        self._entries: OrderedDict[bytes, tuple[Detection, ...]] = OrderedDict()
        self._secret = secrets.token_bytes(32)

    def split(self, texts: Iterable[str], scope: str = "") -> tuple[Found, dict[bytes, str]]:
        """(what is known now: cached and blank texts, {key: text} still to analyse)."""
        prefix = f"{len(scope)}:{scope}\x00".encode("utf-8", "surrogatepass")
        out: Found = {}
        todo: dict[bytes, str] = {}
        for text in texts:
            if not isinstance(text, str):
                raise TypeError("text field is not a string")
            if text in out:
                continue
            key = hashlib.blake2b(
                prefix + text.encode("utf-8", "surrogatepass"), digest_size=16, key=self._secret
            ).digest()
            with self._lock:
                cached = self._entries.get(key)
                if cached is not None:
                    self._entries.move_to_end(key)
            if cached is not None:
                out[text] = cached
            elif text.strip():
                todo[key] = text
            else:
                out[text] = ()
        return out, todo

    def store(self, todo: Mapping[bytes, str], fresh: Found, out: Found) -> None:
        """Put the fresh analysis of ``todo``'s texts into ``out`` and the cache."""
        with self._lock:
            for key, text in todo.items():
                found = fresh[text]
                out[text] = found
                if self.size:
                    self._entries[key] = found
            while len(self._entries) > self.size:
                self._entries.popitem(last=False)

    # What tests read: sizes and values, never texts (there are none).
    def __len__(self) -> int:
        return len(self._entries)

    def __contains__(self, key: object) -> bool:
        return key in self._entries

    def values(self) -> Iterator[tuple[Detection, ...]]:
        with self._lock:
            return iter(list(self._entries.values()))
