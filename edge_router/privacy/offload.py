"""What the scanner hands uncached texts to when it does not analyse them itself: a pool
of worker processes (``privacy/pool.py``). Kept apart so ``scanner.py`` need not import
the pool, which imports the scanner."""

from __future__ import annotations

from concurrent.futures import Executor, Future
from typing import Protocol

# (type, start, end, score) per text: what the cache keeps. Never the text.
Detection = tuple[str, int, int, float]


class Offload(Protocol):
    """Analyses fresh texts elsewhere; see :meth:`PrivacyScanner.offload_to`."""

    @property
    def ready(self) -> bool: ...

    @property
    def executor(self) -> Executor:
        """Threads that wait for the offload, so the event loop's default executor never
        does."""
        ...

    def submit(self, texts: list[str]) -> Future[dict[str, tuple[Detection, ...]]]:
        """``detect`` without waiting: the future fails when the analysis does; cancelling
        it while still queued withdraws the texts."""
        ...

    def detect(self, texts: list[str]) -> dict[str, tuple[Detection, ...]]:
        """Detections per text, as ``PrivacyScanner.detect_fresh`` gives; raises when the
        analysis failed (the scan then fails closed)."""
        ...
