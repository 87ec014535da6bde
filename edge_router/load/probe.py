"""What routing reads: the frozen :class:`LoadSnapshot`, the :class:`LoadProbe`
protocol the request path calls, and :class:`FakeLoadProbe` for tests."""

from __future__ import annotations

import time
from dataclasses import dataclass, replace
from typing import Any, Protocol, runtime_checkable

from edge_router.load.control import LoadState
from edge_router.load.gpu import GpuReading


def _r(x: float | None, nd: int = 1) -> float | None:
    return None if x is None else round(x, nd)


@dataclass(frozen=True)
class LoadSnapshot:
    """One sample of the host and local tier, with the offload state it produced.

    Host figures are ``None`` until measured; ``gpu`` is empty without a usable GPU.
    """

    timestamp: float
    """Unix time of the sample."""
    state: LoadState = "normal"
    reasons: tuple[str, ...] = ()
    """Active signals (``cpu_high``, ``queue_deep`` ...), plus ``min_dwell`` when the
    state is held above its target, ``confirming`` when a rise is pending, ``stale``."""
    cpu_pct: float | None = None
    cpu_self_pct: float | None = None
    """This daemon's CPU as a share of the whole machine (0..100)."""
    per_core_pct: tuple[float, ...] = ()
    load_avg: tuple[float, float, float] | None = None
    mem_available_mb: float | None = None
    swap_used_pct: float | None = None
    rss_mb: float | None = None
    gpu: tuple[GpuReading, ...] = ()
    queue_depth: int = 0
    in_flight: int = 0
    tokens_per_s: float | None = None
    ttft_s: float | None = None
    service_time_s: float | None = None
    predicted_local_wait_s: float | None = None
    cloud_latency_s: float | None = None

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready figures for explain, ``/v1/route`` and response headers."""
        return {
            "state": self.state,
            "reasons": list(self.reasons),
            "timestamp": round(self.timestamp, 3),
            "cpu_pct": _r(self.cpu_pct),
            "cpu_self_pct": _r(self.cpu_self_pct),
            "per_core_pct": [round(c, 1) for c in self.per_core_pct],
            "load_avg": None if self.load_avg is None else [round(x, 2) for x in self.load_avg],
            "mem_available_mb": _r(self.mem_available_mb),
            "swap_used_pct": _r(self.swap_used_pct),
            "rss_mb": _r(self.rss_mb),
            "gpu": [g.as_dict() for g in self.gpu],
            "queue_depth": self.queue_depth,
            "in_flight": self.in_flight,
            "tokens_per_s": _r(self.tokens_per_s),
            "ttft_s": _r(self.ttft_s, 3),
            "service_time_s": _r(self.service_time_s, 3),
            "predicted_local_wait_s": _r(self.predicted_local_wait_s, 3),
            "cloud_latency_s": _r(self.cloud_latency_s, 3),
        }


@runtime_checkable
class LoadProbe(Protocol):
    """Where the request path reads the load state. ``snapshot()`` must be cheap:
    it returns the latest sample and never waits on I/O."""

    def snapshot(self) -> LoadSnapshot: ...

    def decision_snapshot(self) -> LoadSnapshot:
        """The state a decision should see now; reading it changes nothing."""
        ...

    def admit(self) -> LoadSnapshot:
        """A request is being admitted: let live evidence (the local queue) raise the
        state for good, and return what :meth:`decision_snapshot` then shows."""
        ...


class FakeLoadProbe:
    """A :class:`LoadProbe` whose state and figures tests set directly.

    Example::

        probe = FakeLoadProbe("busy", reasons=("queue_deep",), queue_depth=3)
        probe.set(state="saturated", queue_depth=9)
        assert probe.snapshot().state == "saturated"
    """

    def __init__(self, state: LoadState = "normal", **fields: Any) -> None:
        self._snap = LoadSnapshot(timestamp=time.time(), state=state, **fields)
        self.calls = 0
        self.admitted = 0

    def set(self, **fields: Any) -> None:
        """Replace any :class:`LoadSnapshot` fields (``state``, ``reasons``, figures)."""
        self._snap = replace(self._snap, **fields)

    def snapshot(self) -> LoadSnapshot:
        self.calls += 1
        return self._snap

    def decision_snapshot(self) -> LoadSnapshot:
        return self.snapshot()

    def admit(self) -> LoadSnapshot:
        self.admitted += 1
        return self.snapshot()
