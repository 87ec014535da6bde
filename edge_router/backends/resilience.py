"""Retry timing, a circuit breaker and a latency average for upstream providers.

Pure logic with an injectable clock and random source, so every state change
is tested without sleeping.

Example::

    breaker = CircuitBreaker(failures=5, reset_s=30)
    if breaker.try_acquire():
        ...  # call upstream, then breaker.record_success() / record_failure()
    delay = backoff_delay(attempt=1, base_s=0.5, max_s=8, jitter="full")
"""

from __future__ import annotations

import email.utils
import random
import time
from collections.abc import Callable, Mapping
from typing import Literal

Clock = Callable[[], float]
_RANDOM = random.Random()  # jitter needs spread, not secrecy


def parse_retry_after(value: str | None, *, now: float | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (delta-seconds or an HTTP date).

    Returns None for a missing or unparseable header; dates in the past give 0.
    ``now`` is wall-clock (epoch) time, injectable for tests.
    """
    if value is None:
        return None
    value = value.strip()
    if not value:
        return None
    try:
        seconds = float(value)
    except ValueError:
        pass
    else:
        return max(0.0, seconds) if seconds == seconds and seconds != float("inf") else None
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        return None  # HTTP dates are GMT; a zone-less date is not one
    current = time.time() if now is None else now
    return max(0.0, when.timestamp() - current)


def retry_after_from_headers(headers: Mapping[str, str]) -> float | None:
    """Seconds from ``retry-after-ms`` (OpenAI's finer variant) or ``Retry-After``."""
    ms = headers.get("retry-after-ms")
    if ms is not None:
        try:
            value = float(ms) / 1000
        except ValueError:
            pass
        else:
            if value == value and value != float("inf"):
                return max(0.0, value)
    return parse_retry_after(headers.get("retry-after"))


def backoff_delay(
    attempt: int,
    *,
    base_s: float,
    max_s: float,
    jitter: Literal["full", "none"],
    rng: random.Random | None = None,
) -> float:
    """Delay before retry number ``attempt`` (1-based): exponential, capped, jittered.

    Full jitter (uniform in [0, backoff]) keeps many clients that failed together
    from retrying together.
    """
    ceiling: float = min(max_s, base_s * 2.0 ** max(0, attempt - 1))
    if jitter == "none":
        return ceiling
    source = rng if rng is not None else _RANDOM
    return source.uniform(0.0, ceiling)


BreakerState = Literal["closed", "open", "half_open"]


class CircuitBreaker:
    """Closed -> open after ``failures`` consecutive failures -> half-open after
    ``reset_s`` (one trial call) -> closed on its success, open again on failure.

    Not thread-safe; it lives on one event loop with its provider.
    """

    def __init__(self, *, failures: int, reset_s: float, clock: Clock = time.monotonic) -> None:
        self.failures = failures
        self.reset_s = reset_s
        self._clock = clock
        self._consecutive = 0
        self._opened_at: float | None = None
        self._trial_in_flight = False

    @property
    def state(self) -> BreakerState:
        if self._opened_at is None:
            return "closed"
        if self._clock() - self._opened_at >= self.reset_s:
            return "half_open"
        return "open"

    @property
    def available(self) -> bool:
        """Whether a call would be let through now."""
        state = self.state
        return state == "closed" or (state == "half_open" and not self._trial_in_flight)

    @property
    def healthy(self) -> bool:
        """Whether the last call that counted succeeded (True before the first): what
        readiness reports, so a provider that just failed reads as unreachable until a
        call succeeds, whatever the breaker lets through meanwhile."""
        return self._consecutive == 0

    def retry_after_s(self) -> float:
        """Seconds until the breaker lets a trial call through (0 when it would now)."""
        if self._opened_at is None:
            return 0.0
        return max(0.0, self.reset_s - (self._clock() - self._opened_at))

    def try_acquire(self) -> bool:
        """Ask to make one call. In half-open only one trial runs at a time; every
        acquired call must end in record_success, record_failure or release."""
        state = self.state
        if state == "closed":
            return True
        if state == "half_open" and not self._trial_in_flight:
            self._trial_in_flight = True
            return True
        return False

    def record_success(self) -> None:
        self._consecutive = 0
        self._opened_at = None
        self._trial_in_flight = False

    def record_failure(self) -> None:
        self._trial_in_flight = False
        self._consecutive += 1
        if self._opened_at is not None or self._consecutive >= self.failures:
            # A failed trial (or the Nth failure) (re)starts the open period.
            self._opened_at = self._clock()

    def release(self) -> None:
        """The acquired call ended without telling us anything (e.g. cancelled)."""
        self._trial_in_flight = False


class Ewma:
    """Exponentially weighted moving average; None until the first sample."""

    def __init__(self, alpha: float = 0.3) -> None:
        self.alpha = alpha
        self.value: float | None = None

    def add(self, sample: float) -> None:
        self.value = (
            sample if self.value is None else (self.alpha * sample + (1 - self.alpha) * self.value)
        )
