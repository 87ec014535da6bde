"""The load state routing reads, and the background sampler that produces it.

:class:`HostSampler` reads the host (psutil: CPU overall and per core, load
average, available memory, swap, this daemon's RSS and CPU; NVML when a GPU is
usable) on a worker thread every ``sample_interval_s``, adds the local tier's own
figures (queue depth, in-flight, EWMA tokens/s and time to first token) and the
cloud's recent latency, and runs them through an
:class:`~edge_router.load.control.OffloadController` (hysteresis, minimum dwell;
the state machine is described in :mod:`edge_router.load.control`). The request
path only calls :meth:`LoadProbe.snapshot`, which returns the latest frozen
:class:`LoadSnapshot` without waiting on anything.

Example (in the app's lifespan)::

    sampler = HostSampler(
        settings.load,
        local_stats=local_stats_from(lambda: state.runners.values()),
        cloud_latency_s=cloud_latency,          # a LatencyEwma the cloud backend feeds
    )
    await sampler.start()
    ...
    decision_ctx = RouteContext(..., load_state=sampler.snapshot().state)
    ...
    await sampler.stop()
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from typing import Any

import psutil

from edge_router.load.control import (
    Assessment,
    BackendStats,
    LatencyEwma,
    LoadSettings,
    LoadState,
    LocalStatsSource,
    OffloadController,
    Readings,
    estimate_service_s,
    live_level,
    local_stats_from,
    predict_local_wait_s,
    raise_state,
)
from edge_router.load.gpu import GpuReading, NvmlReader
from edge_router.load.probe import FakeLoadProbe, LoadProbe, LoadSnapshot

__all__ = [
    "Assessment",
    "BackendStats",
    "FakeLoadProbe",
    "GpuReading",
    "HostSampler",
    "LatencyEwma",
    "LoadProbe",
    "LoadSettings",
    "LoadSnapshot",
    "LoadState",
    "LocalStatsSource",
    "NvmlReader",
    "OffloadController",
    "Readings",
    "estimate_service_s",
    "live_level",
    "local_stats_from",
    "predict_local_wait_s",
    "raise_state",
]

log = logging.getLogger("edge_router.load.sampler")

_MB = 1024 * 1024


# -- the sampler -----------------------------------------------------------------
@dataclass(frozen=True)
class _Host:
    cpu_pct: float
    cpu_self_pct: float
    per_core_pct: tuple[float, ...]
    load_avg: tuple[float, float, float]
    mem_available_mb: float
    swap_used_pct: float
    rss_mb: float
    gpu: tuple[GpuReading, ...]


class HostSampler:
    """Samples host and local-tier load in the background; a :class:`LoadProbe`.

    ``local_stats`` returns the local tier's figures (read on the event loop, where
    the runner updates them); ``cloud_latency_s`` returns the cloud's recent latency,
    or None before any was measured (then ``cloud_latency_default_s`` stands in).
    Without ``cloud_latency_s`` (no cloud configured) the slower-than-cloud rule is
    off. ``clock`` (monotonic) drives dwell and staleness, ``wall_clock`` the
    snapshot's timestamp; ``nvml`` replaces the ``pynvml`` module and ``psutil_module``
    the ``psutil`` module (tests: a host whose CPU and memory they set).

    Until the first sample, and whenever the latest is older than
    ``stale_after_s``, :meth:`snapshot` reads ``normal``: without fresh figures,
    traffic stays local.
    """

    def __init__(
        self,
        settings: LoadSettings,
        *,
        local_stats: Callable[[], BackendStats] | None = None,
        cloud_latency_s: Callable[[], float | None] | None = None,
        clock: Callable[[], float] = time.monotonic,
        wall_clock: Callable[[], float] = time.time,
        nvml: Any | None = None,
        psutil_module: Any | None = None,
    ) -> None:
        self.settings = settings
        self.controller = OffloadController(settings, clock=clock)
        self._local_stats = local_stats
        self._cloud_latency = cloud_latency_s
        self._clock = clock
        self._wall = wall_clock
        self._nvml = nvml
        self._ps: Any = psutil if psutil_module is None else psutil_module
        self._proc = self._ps.Process()
        self._ncpu = self._ps.cpu_count() or 1
        self._gpu: NvmlReader | None = None
        self._executor: ThreadPoolExecutor | None = None
        self._task: asyncio.Task[None] | None = None
        self._latest = LoadSnapshot(timestamp=wall_clock(), reasons=("no_sample",))
        self._taken_at: float | None = None
        self._stats_failing = False

    @property
    def gpu_devices(self) -> int:
        """NVML devices being read (0 without a usable GPU or with ``gpu: off``)."""
        return 0 if self._gpu is None else self._gpu.device_count

    def snapshot(self) -> LoadSnapshot:
        return self._sampled()

    def _sampled(self) -> LoadSnapshot:
        # Separate from snapshot() so a subclass may serve decision_snapshot() there.
        snap = self._latest
        taken = self._taken_at
        if taken is not None and self._clock() - taken > self.settings.stale_after_s:
            return replace(snap, state="normal", reasons=("stale",))
        return snap

    def admit(self) -> LoadSnapshot:
        """:meth:`decision_snapshot`, and a live raise enters the controller (sticks).

        Called once per admitted chat request; ``/v1/route``, ``explain`` and other
        readers use :meth:`decision_snapshot`, which changes nothing.
        """
        return self._live(commit=True)

    def decision_snapshot(self) -> LoadSnapshot:
        """:meth:`snapshot`, raised (never lowered) by the local queue as it is now.
        Reading it has no side effects (see :meth:`admit`)."""
        return self._live(commit=False)

    def _live(self, *, commit: bool) -> LoadSnapshot:
        """:meth:`snapshot`, raised (never lowered) by the local queue as it is now.

        For the request path when bursts matter: requests arriving together are
        otherwise all decided on the state sampled before they came. Reads only the
        local tier's counters (no host figures, no I/O), so it is as cheap as
        :meth:`snapshot` plus one ``local_stats`` call; must run on the event loop,
        like the sampler's own reads. A raise adds ``live`` to the reasons; the
        figures are then the live ones. See :func:`~edge_router.load.control.live_level`.
        """
        snap = self._sampled()
        stats = self._read_local()
        service = stats.service_time_s
        if service is None:
            service = estimate_service_s(
                stats.tokens_per_s, stats.ttft_s, self.settings.expected_completion_tokens
            )
        wait = predict_local_wait_s(stats.queue_depth, stats.in_flight, service, stats.slots)
        level, why = live_level(
            self.settings,
            queue_depth=stats.queue_depth,
            predicted_local_wait_s=wait,
            cloud_latency_s=self._read_cloud(),
        )
        # A live raise sticks: it enters the controller, so the state falls back only
        # through the exit thresholds and the minimum dwell (no per-request flapping).
        base = raise_state(snap.state, self.controller.state)
        state = raise_state(base, level)
        if state != base and commit:
            self.controller.raise_now(state)
        if state == snap.state:
            return snap
        reasons = (*why, *(r for r in snap.reasons if r not in why), "live")
        return replace(
            snap,
            state=state,
            reasons=reasons,
            queue_depth=stats.queue_depth,
            in_flight=stats.in_flight,
            predicted_local_wait_s=wait,
        )

    async def start(self) -> None:
        """Open the readers, take a first sample, then sample every ``sample_interval_s``."""
        if self._executor is not None:
            raise RuntimeError("HostSampler already started")
        # One dedicated thread: psutil and NVML calls never overlap, and a hung
        # driver call can't take a slot of the loop's default executor.
        self._executor = ThreadPoolExecutor(1, thread_name_prefix="load-sampler")
        await asyncio.get_running_loop().run_in_executor(self._executor, self._open)
        # psutil's CPU figures are deltas since the previous call: give the first a window.
        await asyncio.sleep(min(0.1, self.settings.sample_interval_s))
        await self.sample_once()
        self._task = asyncio.create_task(self._run(), name="load-sampler")

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
        executor, self._executor = self._executor, None
        if executor is None:
            return
        gpu, self._gpu = self._gpu, None
        if gpu is not None:
            # On the worker thread, after any read in progress: NVML calls must not
            # overlap its shutdown. Bounded, since a wedged driver must not block exit.
            fut = asyncio.get_running_loop().run_in_executor(executor, gpu.close)
            try:
                await asyncio.wait_for(fut, timeout=2.0)
            except TimeoutError:
                log.warning("NVML shutdown timed out")
        executor.shutdown(wait=False, cancel_futures=True)

    async def sample_once(self) -> LoadSnapshot:
        """Take and publish one sample now (the loop does this every interval)."""
        if self._executor is None:
            raise RuntimeError("HostSampler not started")
        host = await asyncio.get_running_loop().run_in_executor(self._executor, self._read_host)
        return self._publish(host)

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        interval = self.settings.sample_interval_s
        next_at = loop.time() + interval
        failing = False
        while True:
            await asyncio.sleep(max(0.0, next_at - loop.time()))
            # A fixed cadence, so the time a sample takes does not stretch the period;
            # after a stall, resume from now rather than firing a burst of catch-ups.
            next_at += interval
            if next_at < loop.time():
                next_at = loop.time() + interval
            try:
                await self.sample_once()
                failing = False
            except Exception:
                # Once per failure streak: the next good sample clears it. If failures
                # last, snapshot() goes stale and reads normal.
                if not failing:
                    log.warning("load sample failed", exc_info=True)
                failing = True

    # -- worker thread -------------------------------------------------------------
    def _open(self) -> None:
        # The first psutil CPU call of each kind only sets the baseline (it returns 0).
        # They keep that baseline module-wide, so nothing else in the daemon should
        # call psutil.cpu_percent(None); the process one is per Process object.
        self._ps.cpu_percent(None)
        self._ps.cpu_percent(None, percpu=True)
        self._proc.cpu_percent(None)
        if self.settings.gpu == "auto":
            self._gpu = NvmlReader.open(self._nvml)

    def _read_host(self) -> _Host:
        ps = self._ps
        vm = ps.virtual_memory()
        load1, load5, load15 = ps.getloadavg()
        return _Host(
            cpu_pct=ps.cpu_percent(None),
            # Process CPU is in percent of one core; as a share of the machine it is
            # comparable with the host figure.
            cpu_self_pct=min(100.0, self._proc.cpu_percent(None) / self._ncpu),
            per_core_pct=tuple(ps.cpu_percent(None, percpu=True)),
            load_avg=(load1, load5, load15),
            mem_available_mb=vm.available / _MB,
            swap_used_pct=ps.swap_memory().percent,
            rss_mb=self._proc.memory_info().rss / _MB,
            gpu=self._gpu.read() if self._gpu is not None else (),
        )

    # -- event loop ------------------------------------------------------------------
    def _read_local(self) -> BackendStats:
        if self._local_stats is None:
            return BackendStats()
        try:
            stats = self._local_stats()
        except Exception:
            # Unknown local figures count as an idle queue: traffic stays local.
            if not self._stats_failing:
                log.warning("local backend stats failed", exc_info=True)
            self._stats_failing = True
            return BackendStats()
        self._stats_failing = False
        return stats

    def _read_cloud(self) -> float | None:
        if self._cloud_latency is None:
            return None
        measured = self._cloud_latency()
        return self.settings.cloud_latency_default_s if measured is None else measured

    def _publish(self, host: _Host) -> LoadSnapshot:
        s = self.settings
        stats = self._read_local()
        service = stats.service_time_s
        if service is None:
            service = estimate_service_s(
                stats.tokens_per_s, stats.ttft_s, s.expected_completion_tokens
            )
        wait = predict_local_wait_s(stats.queue_depth, stats.in_flight, service, stats.slots)
        cloud = self._read_cloud()
        cpu = host.cpu_pct
        if s.cpu_busy_basis == "others":
            cpu = max(0.0, cpu - host.cpu_self_pct)
        verdict = self.controller.update(
            Readings(
                cpu_pct=cpu,
                mem_available_mb=host.mem_available_mb,
                gpu_util_pct=max((g.util_pct for g in host.gpu), default=None),
                queue_depth=stats.queue_depth,
                predicted_local_wait_s=wait,
                cloud_latency_s=cloud,
            )
        )
        snap = LoadSnapshot(
            timestamp=self._wall(),
            state=verdict.state,
            reasons=verdict.reasons,
            cpu_pct=host.cpu_pct,
            cpu_self_pct=host.cpu_self_pct,
            per_core_pct=host.per_core_pct,
            load_avg=host.load_avg,
            mem_available_mb=host.mem_available_mb,
            swap_used_pct=host.swap_used_pct,
            rss_mb=host.rss_mb,
            gpu=host.gpu,
            queue_depth=stats.queue_depth,
            in_flight=stats.in_flight,
            tokens_per_s=stats.tokens_per_s,
            ttft_s=stats.ttft_s,
            service_time_s=service,
            predicted_local_wait_s=wait,
            cloud_latency_s=cloud,
        )
        # One reference assignment each: snapshot() readers see the old or the new.
        self._latest = snap
        self._taken_at = self._clock()
        if verdict.changed:
            log.info(
                "load state changed",
                extra={"fields": {"state": verdict.state, "reasons": list(verdict.reasons)}},
            )
        return snap
