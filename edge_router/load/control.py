"""Offload thresholds, sampler inputs and the load state machine: pure logic.

:class:`OffloadController` (injectable clock) turns one sample of readings into the load state that
routing reads (``"normal"``, ``"busy"`` or ``"saturated"``); the sampler in
:mod:`edge_router.load.sampler` feeds it. Everything here is importable from
:mod:`edge_router.load.sampler` too.

State machine (levels normal < busy < saturated):

1. Every signal is a latch with separate enter/exit thresholds: it turns on at
   or beyond its *enter* threshold and off only once back at or within its *exit*
   threshold. Signals and the level they ask for:
   ``cpu_high``, ``mem_low``, ``gpu_high``, ``queue_deep``,
   ``local_slower_than_cloud`` -> busy; ``queue_full`` -> saturated.
2. The *target* is the highest level any active signal asks for.
3. Going up needs the target to stay above the state for ``enter_after_s``
   (one-sample spikes are ignored) and the state to have been held for
   ``min_dwell_s``, except that saturation is entered without waiting out the
   dwell (the local queue would otherwise start refusing requests).
4. Going down (possibly two levels at once) needs ``min_dwell_s`` in the state.

So under any load the state changes at most about twice per
``min_dwell_s + enter_after_s``. An unknown reading (no GPU, no local generation
yet, no cloud figure) turns its signal off: missing data keeps traffic local and
never pushes it to the cloud.

Example::

    t = [0.0]
    ctl = OffloadController(LoadSettings(enter_after_s=0), clock=lambda: t[0])
    ctl.update(Readings(queue_depth=3)).state   # "busy"
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Literal, Protocol, Self

from pydantic import Field, model_validator

from edge_router.frozen import Frozen

LoadState = Literal["normal", "busy", "saturated"]
_STATES: tuple[LoadState, ...] = ("normal", "busy", "saturated")
NORMAL, BUSY, SATURATED = 0, 1, 2


class LoadSettings(Frozen):
    """Sampling and offload thresholds (the ``load:`` section of the config).

    Example::

        LoadSettings(cpu_busy_enter_pct=80, cpu_busy_exit_pct=60, min_dwell_s=30)
    """

    # Not imported from config.py: config.py embeds this model, so importing back
    # would be circular.

    sample_interval_s: float = Field(default=1.0, ge=0.1, le=60)
    """Seconds between background samples. Sampling never runs on the request path."""
    stale_after_s: float = Field(default=10.0, gt=0)
    """A snapshot older than this (sampler stuck, e.g. a hung GPU driver) reads as
    ``normal`` with reason ``stale``: without fresh figures, traffic stays local."""
    enter_after_s: float = Field(default=2.0, ge=0)
    """How long a higher level must persist before the state rises (filters spikes)."""
    min_dwell_s: float = Field(default=10.0, ge=0)
    """Least time in a state before it may fall again (or rise to busy); stops flapping."""

    cpu_busy_basis: Literal["others", "total"] = "others"
    """What ``cpu_busy_*`` compare against: ``others`` = host CPU minus this daemon's
    own share (local generation already shows in the queue signals and would
    otherwise mark every generation busy); ``total`` = the whole host."""
    cpu_busy_enter_pct: float = Field(default=90.0, gt=0, le=100)
    """CPU percent (whole machine, 0..100) at or above which ``cpu_high`` turns on."""
    cpu_busy_exit_pct: float = Field(default=70.0, ge=0, lt=100)
    """CPU percent at or below which ``cpu_high`` turns off again."""

    mem_available_min_mb: float = Field(default=512.0, ge=0)
    """Available memory (MiB) at or below which ``mem_low`` turns on (busy)."""
    mem_available_exit_mb: float = Field(default=1024.0, ge=0)
    """Available memory (MiB) at or above which ``mem_low`` turns off; above the minimum."""

    gpu: Literal["auto", "off"] = "auto"
    """``auto``: read NVML when nvidia-ml-py and a device are present, else report no
    GPU; ``off``: never touch NVML."""
    gpu_busy_enter_pct: float | None = Field(default=None, gt=0, le=100)
    """Utilisation of the busiest GPU at or above which ``gpu_high`` turns on; null (the
    default) only reports GPUs, since NVML's figure includes our own generation."""
    gpu_busy_exit_pct: float = Field(default=70.0, ge=0, lt=100)
    """Utilisation at or below which ``gpu_high`` turns off again."""

    queue_busy_enter: int = Field(default=2, ge=1)
    """Requests waiting for the local model (running ones excluded) at or above which
    ``queue_deep`` turns on (busy)."""
    queue_busy_exit: int = Field(default=0, ge=0)
    """Waiting requests at or below which ``queue_deep`` turns off."""
    queue_saturated_enter: int = Field(default=6, ge=1)
    """Waiting requests at or above which ``queue_full`` turns on (saturated). Keep it
    below ``local.max_queue`` so offload starts before the local tier refuses (503)."""
    queue_saturated_exit: int = Field(default=2, ge=0)
    """Waiting requests at or below which ``queue_full`` turns off."""

    expected_completion_tokens: int = Field(default=128, ge=1)
    """Completion length assumed when estimating one local request's service time:
    ``ttft + expected_completion_tokens / tokens_per_s`` (both recent EWMAs)."""
    cloud_margin: float = Field(default=0.5, ge=0)
    """``local_slower_than_cloud`` turns on when the predicted local wait reaches
    ``cloud_latency * (1 + cloud_margin) + cloud_margin_s``."""
    cloud_exit_margin: float = Field(default=0.1, ge=0)
    """...and turns off once the wait is at or below
    ``cloud_latency * (1 + cloud_exit_margin) + cloud_margin_s``; below ``cloud_margin``."""
    cloud_margin_s: float = Field(default=1.0, ge=0)
    """Absolute slack (seconds) added to both cloud thresholds, so short waits against a
    fast cloud do not trigger offload."""
    cloud_latency_default_s: float | None = Field(default=3.0, gt=0)
    """Cloud latency assumed until one has been measured (otherwise a router that never
    offloads would never learn it); null = the rule waits for a measurement."""

    @model_validator(mode="after")
    def _enter_beyond_exit(self) -> Self:
        pairs = [
            ("cpu_busy", self.cpu_busy_enter_pct, self.cpu_busy_exit_pct),
            ("queue_busy", self.queue_busy_enter, self.queue_busy_exit),
            ("queue_saturated", self.queue_saturated_enter, self.queue_saturated_exit),
            ("cloud_margin", self.cloud_margin, self.cloud_exit_margin),
        ]
        if self.gpu_busy_enter_pct is not None:
            pairs.append(("gpu_busy", self.gpu_busy_enter_pct, self.gpu_busy_exit_pct))
        for name, enter, exit_ in pairs:
            if not enter > exit_:
                raise ValueError(f"{name}: the enter threshold must be above the exit threshold")
        if not self.mem_available_exit_mb > self.mem_available_min_mb:
            raise ValueError("mem_available_exit_mb must be above mem_available_min_mb")
        if not self.queue_saturated_enter > self.queue_busy_enter:
            raise ValueError("queue_saturated_enter must be above queue_busy_enter")
        if not self.stale_after_s > self.sample_interval_s:
            raise ValueError("stale_after_s must be above sample_interval_s")
        return self


# -- estimates ---------------------------------------------------------------
def estimate_service_s(
    tokens_per_s: float | None, ttft_s: float | None, expected_tokens: int
) -> float | None:
    """One local request's expected duration from recent EWMAs, or None if unknown."""
    if tokens_per_s is None or tokens_per_s <= 0:
        return None
    return (ttft_s or 0.0) + expected_tokens / tokens_per_s


def predict_local_wait_s(
    queue_depth: int, in_flight: int, service_s: float | None, slots: int = 1
) -> float | None:
    """Time before a new request would start locally: ``(queue + in_flight) // slots``
    waves of ``service`` each, where ``slots`` generations run at once.

    Only the queueing delay, not the request's own work: an idle local tier is never
    "slower than the cloud" here (speed versus quality is complexity routing's call).
    Zero when a slot is free, even with no service estimate yet.
    """
    waves = (queue_depth + in_flight) // max(1, slots)
    if waves <= 0:
        return 0.0
    return None if service_s is None else waves * service_s


# -- inputs from the local and cloud tiers -------------------------------------
@dataclass(frozen=True)
class BackendStats:
    """The local tier's own figures at one moment (see :func:`local_stats_from`)."""

    queue_depth: int = 0
    """Requests waiting for the local model (not yet running)."""
    in_flight: int = 0
    slots: int = 1
    """Generations the local tier runs at once (llama.cpp contexts over all models)."""
    tokens_per_s: float | None = None
    ttft_s: float | None = None
    service_time_s: float | None = None
    """A direct estimate of one request's duration (e.g. an EWMA of observed total
    time); when None it is derived as ``ttft + expected_completion_tokens / tokens_per_s``."""


class LocalStatsSource(Protocol):
    """What :func:`local_stats_from` reads; ``LocalModelRunner`` has these attributes."""

    @property
    def queue_depth(self) -> int: ...
    @property
    def in_flight(self) -> int: ...
    @property
    def slots(self) -> int: ...
    @property
    def ewma_tokens_per_s(self) -> float | None: ...
    @property
    def ewma_ttft_s(self) -> float | None: ...


def local_stats_from(
    runners: Callable[[], Iterable[LocalStatsSource]],
) -> Callable[[], BackendStats]:
    """A ``local_stats`` callable over all local models, without importing the runner.

    Counts are summed; speed is the slowest model's (lowest tokens/s, highest TTFT),
    a deliberately pessimistic service estimate for the predicted wait.

    Example::

        HostSampler(settings.load, local_stats=local_stats_from(lambda: runners.values()))
    """

    def read() -> BackendStats:
        rs = list(runners())
        tps = [r.ewma_tokens_per_s for r in rs if r.ewma_tokens_per_s is not None]
        ttft = [r.ewma_ttft_s for r in rs if r.ewma_ttft_s is not None]
        return BackendStats(
            queue_depth=sum(r.queue_depth for r in rs),
            in_flight=sum(r.in_flight for r in rs),
            slots=max(1, sum(r.slots for r in rs)),
            tokens_per_s=min(tps, default=None),
            ttft_s=max(ttft, default=None),
        )

    return read


class LatencyEwma:
    """Recent latency of a backend: feed it after each call, hand it to the sampler.

    Example::

        cloud_latency = LatencyEwma()
        cloud_latency.observe(1.8)          # seconds, after a cloud request
        HostSampler(settings.load, cloud_latency_s=cloud_latency)
    """

    def __init__(self, alpha: float = 0.3) -> None:
        if not 0 < alpha <= 1:
            raise ValueError("alpha must be in (0, 1]")
        self.alpha = alpha
        self.value: float | None = None

    def observe(self, seconds: float) -> None:
        # One float assignment: safe to call from any thread without a lock.
        v = self.value
        self.value = seconds if v is None else self.alpha * seconds + (1 - self.alpha) * v

    def __call__(self) -> float | None:
        return self.value


# -- the live check at decision time ------------------------------------------
def live_level(
    settings: LoadSettings,
    *,
    queue_depth: int,
    predicted_local_wait_s: float | None,
    cloud_latency_s: float | None,
) -> tuple[LoadState, tuple[str, ...]]:
    """The level the local tier asks for *right now*, from enter thresholds only.

    The sampled state lags a burst by up to ``sample_interval_s + enter_after_s``:
    requests that arrive together are all decided on the state from before they
    arrived, so they all queue locally. This reads the queue as it is at decision
    time and is meant to *raise* the sampled state for one decision, never to lower
    it (leaving a level stays with the hysteresis of :class:`OffloadController`):

        level = max(sampled_state, live_level(...)[0])

    No enter delay is needed: a queue depth is an exact count of requests that
    will be served before this one, not a noisy reading. Same rules, names and
    "unknown means off" as the controller's signals.

    Example::

        live_level(LoadSettings(), queue_depth=3, predicted_local_wait_s=None,
                   cloud_latency_s=None)      # ("busy", ("queue_deep",))
    """
    s = settings
    why: list[str] = []
    level = NORMAL
    if queue_depth >= s.queue_saturated_enter:
        why += ["queue_deep", "queue_full"]
        level = SATURATED
    elif queue_depth >= s.queue_busy_enter:
        why.append("queue_deep")
        level = BUSY
    if predicted_local_wait_s is not None and cloud_latency_s is not None:
        enter = cloud_latency_s * (1 + s.cloud_margin) + s.cloud_margin_s
        if predicted_local_wait_s >= enter:
            why.append("local_slower_than_cloud")
            level = max(level, BUSY)
    return _STATES[level], tuple(why)


def raise_state(sampled: LoadState, live: LoadState) -> LoadState:
    """The higher of two levels (the live check never lowers the sampled state)."""
    return _STATES[max(_STATES.index(sampled), _STATES.index(live))]


# -- the state machine --------------------------------------------------------
@dataclass(frozen=True)
class Readings:
    """The inputs of one :meth:`OffloadController.update`; ``None`` means unknown."""

    cpu_pct: float | None = None
    """Already on the configured basis (``others`` or ``total``)."""
    mem_available_mb: float | None = None
    gpu_util_pct: float | None = None
    """The busiest device's utilisation."""
    queue_depth: int = 0
    predicted_local_wait_s: float | None = None
    cloud_latency_s: float | None = None


@dataclass(frozen=True)
class Assessment:
    """What :meth:`OffloadController.update` concluded."""

    state: LoadState
    target: LoadState
    """The level the active signals ask for, before enter delay and dwell."""
    reasons: tuple[str, ...]
    changed: bool


def _latch(active: bool, value: float | None, enter: float, exit_: float) -> bool:
    """Hysteresis for a "higher is worse" value: on at >= enter, off at <= exit."""
    if value is None:
        return False
    return value > exit_ if active else value >= enter


class OffloadController:
    """Turns readings into a load state with hysteresis and a minimum dwell.

    Deterministic: time comes only from ``clock`` (monotonic seconds), so tests
    drive it with a list they advance by hand.

    Example::

        t = [0.0]
        ctl = OffloadController(LoadSettings(enter_after_s=0), clock=lambda: t[0])
        ctl.update(Readings(queue_depth=3)).state   # "busy"
    """

    def __init__(
        self, settings: LoadSettings, *, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.settings = settings
        self.clock = clock
        self.state: LoadState = "normal"
        self.transitions = 0
        """State changes so far (for tests and metrics)."""
        self._active: dict[str, bool] = {}
        # -inf: the first change is never held back by a dwell that never started.
        self._since = -math.inf
        self._pending_since: float | None = None

    def _signals(self, r: Readings) -> list[tuple[str, int]]:
        s = self.settings
        cloud_enter = cloud_exit = math.inf
        if r.cloud_latency_s is not None:
            cloud_enter = r.cloud_latency_s * (1 + s.cloud_margin) + s.cloud_margin_s
            cloud_exit = r.cloud_latency_s * (1 + s.cloud_exit_margin) + s.cloud_margin_s
        neg_mem = None if r.mem_available_mb is None else -r.mem_available_mb
        gpu_enter = math.inf if s.gpu_busy_enter_pct is None else s.gpu_busy_enter_pct
        rules: list[tuple[str, int, float | None, float, float]] = [
            ("cpu_high", BUSY, r.cpu_pct, s.cpu_busy_enter_pct, s.cpu_busy_exit_pct),
            # Lower is worse for memory: negated so one latch fits all.
            ("mem_low", BUSY, neg_mem, -s.mem_available_min_mb, -s.mem_available_exit_mb),
            ("gpu_high", BUSY, r.gpu_util_pct, gpu_enter, s.gpu_busy_exit_pct),
            ("queue_deep", BUSY, r.queue_depth, s.queue_busy_enter, s.queue_busy_exit),
            (
                "queue_full",
                SATURATED,
                r.queue_depth,
                s.queue_saturated_enter,
                s.queue_saturated_exit,
            ),
            (
                "local_slower_than_cloud",
                BUSY,
                r.predicted_local_wait_s,
                cloud_enter,
                cloud_exit,
            ),
        ]
        out = []
        for name, level, value, enter, exit_ in rules:
            on = _latch(self._active.get(name, False), value, enter, exit_)
            self._active[name] = on
            if on:
                out.append((name, level))
        return out

    def raise_now(self, state: LoadState) -> bool:
        """Enter ``state`` at once if it is above the current one (live evidence such as a
        burst filling the queue between samples). Leaving it again goes through the usual
        exit thresholds and minimum dwell, so a live raise cannot make routes flap."""
        if _STATES.index(state) <= _STATES.index(self.state):
            return False
        self.state = state
        self._since = self.clock()
        self._pending_since = None
        self.transitions += 1
        return True

    def update(self, readings: Readings) -> Assessment:
        """Feed one sample; returns the (possibly unchanged) state and why."""
        s = self.settings
        now = self.clock()
        signals = self._signals(readings)
        target = max((lvl for _, lvl in signals), default=NORMAL)
        level = _STATES.index(self.state)
        dwelt = now - self._since >= s.min_dwell_s
        new = level
        if target > level:
            if self._pending_since is None:
                self._pending_since = now
            confirmed = now - self._pending_since >= s.enter_after_s
            if confirmed and (dwelt or target == SATURATED):
                new = target
        else:
            self._pending_since = None
            if target < level and dwelt:
                new = target
        changed = new != level
        if changed:
            self.state = _STATES[new]
            self._since = now
            self._pending_since = None
            self.transitions += 1
        reasons = [name for name, _ in signals]
        if target < new:
            reasons.append("min_dwell")
        elif target > new:
            reasons.append("confirming")
        return Assessment(self.state, _STATES[target], tuple(reasons), changed)
