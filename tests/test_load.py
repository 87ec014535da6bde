from __future__ import annotations

import asyncio
import itertools
import json
import random
from collections.abc import Callable
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any

import openai
import psutil
import pytest
from fake_provider import FakeControl
from privacy_fixtures import shared_scanner
from pydantic import ValidationError
from serving import serve

from edge_router.app import create_app
from edge_router.backends.settings import ProviderSettings
from edge_router.config import REPO_ROOT, PolicySettings, Settings
from edge_router.load.sampler import (
    BackendStats,
    FakeLoadProbe,
    GpuReading,
    HostSampler,
    LatencyEwma,
    LoadProbe,
    LoadSettings,
    LoadSnapshot,
    NvmlReader,
    OffloadController,
    Readings,
    estimate_service_s,
    live_level,
    local_stats_from,
    predict_local_wait_s,
    raise_state,
)


class Clock:
    """Monotonic time the test advances by hand."""

    def __init__(self) -> None:
        self.t = 1000.0

    def __call__(self) -> float:
        return self.t


def controller(**overrides: Any) -> tuple[OffloadController, Clock]:
    clock = Clock()
    base: dict[str, Any] = {"enter_after_s": 0, "min_dwell_s": 0}
    return OffloadController(LoadSettings(**{**base, **overrides}), clock=clock), clock


def run(ctl: OffloadController, clock: Clock, seq: list[Readings], step: float = 1.0) -> list[str]:
    states: list[str] = []
    for r in seq:
        states.append(ctl.update(r).state)
        clock.t += step
    return states


# -- settings -----------------------------------------------------------------
def test_defaults_are_valid_and_documented() -> None:
    s = LoadSettings()
    assert s.sample_interval_s == 1.0
    assert s.cpu_busy_enter_pct > s.cpu_busy_exit_pct
    assert s.queue_saturated_enter > s.queue_busy_enter
    # Every field carries a docstring in the source (the README is built from them).
    import inspect

    import edge_router.load.control as lc

    src = inspect.getsource(lc.LoadSettings)
    for name in LoadSettings.model_fields:
        after = src.split(f"    {name}:", 1)[1].split("\n", 2)
        assert after[1].strip().startswith('"""'), name


@pytest.mark.parametrize(
    ("overrides", "needle"),
    [
        ({"cpu_busy_enter_pct": 60, "cpu_busy_exit_pct": 60}, "cpu_busy"),
        ({"queue_busy_enter": 2, "queue_busy_exit": 3}, "queue_busy"),
        ({"queue_saturated_enter": 4, "queue_saturated_exit": 5}, "queue_saturated"),
        ({"gpu_busy_enter_pct": 50, "gpu_busy_exit_pct": 70}, "gpu_busy"),
        ({"cloud_margin": 0.1, "cloud_exit_margin": 0.2}, "cloud_margin"),
        ({"mem_available_min_mb": 2048}, "mem_available_exit_mb"),
        ({"queue_busy_enter": 6, "queue_saturated_enter": 6}, "queue_saturated_enter"),
        ({"sample_interval_s": 5, "stale_after_s": 4}, "stale_after_s"),
        ({"gpu": "on"}, "gpu"),
        ({"cpu_busy_enter": 80}, "cpu_busy_enter"),
    ],
)
def test_invalid_settings_are_refused(overrides: dict[str, Any], needle: str) -> None:
    with pytest.raises(ValidationError, match=needle):
        LoadSettings(**overrides)


def test_settings_are_frozen() -> None:
    with pytest.raises(ValidationError):
        LoadSettings().min_dwell_s = 1  # type: ignore[misc]


# -- hysteresis -----------------------------------------------------------------
def test_cpu_enters_at_enter_and_stays_until_exit() -> None:
    ctl, clock = controller(cpu_busy_enter_pct=90, cpu_busy_exit_pct=70)
    cpus = [50, 89, 90, 80, 71, 70, 85, 89, 90]
    states = run(ctl, clock, [Readings(cpu_pct=c) for c in cpus])
    assert states == [
        "normal",
        "normal",
        "busy",
        "busy",
        "busy",
        "normal",
        "normal",
        "normal",
        "busy",
    ]
    assert ctl.update(Readings(cpu_pct=95)).reasons == ("cpu_high",)


def test_noisy_steady_load_does_not_flap() -> None:
    """CPU hovering around 80% +/- 10 for ten minutes, sampled at 1 Hz."""
    rng = random.Random(7)
    seq = [Readings(cpu_pct=80 + rng.uniform(-10, 10)) for _ in range(600)]

    # A single threshold in the middle of the noise (what hysteresis prevents).
    naive, c1 = controller(cpu_busy_enter_pct=80, cpu_busy_exit_pct=79.99)
    run(naive, c1, seq)
    assert naive.transitions > 100

    # Enter/exit apart, no dwell: the noise never reaches the exit threshold again.
    hyst, c2 = controller(cpu_busy_enter_pct=88, cpu_busy_exit_pct=65)
    states = run(hyst, c2, seq)
    assert hyst.transitions == 1
    assert states[-1] == "busy"


def test_min_dwell_bounds_transitions_and_holds_each_state() -> None:
    """A load swinging across both thresholds every few seconds."""
    rng = random.Random(3)
    seq = [Readings(queue_depth=rng.choice([0, 0, 1, 3, 4])) for _ in range(600)]

    free, c1 = controller(min_dwell_s=0)
    run(free, c1, seq)
    assert free.transitions > 100

    ctl, clock = controller(min_dwell_s=30)
    changes: list[float] = []
    for r in seq:
        if ctl.update(r).changed:
            changes.append(clock.t)
        clock.t += 1
    assert ctl.transitions == len(changes) <= 600 // 30 + 1
    assert all(b - a >= 30 for a, b in itertools.pairwise(changes))


def test_dwell_holds_the_state_and_says_so() -> None:
    ctl, clock = controller(min_dwell_s=10)
    assert ctl.update(Readings(queue_depth=3)).state == "busy"
    clock.t += 5
    held = ctl.update(Readings(queue_depth=0))
    assert (held.state, held.target, held.reasons) == ("busy", "normal", ("min_dwell",))
    clock.t += 5
    assert ctl.update(Readings(queue_depth=0)).state == "normal"


def test_enter_after_ignores_a_one_sample_spike() -> None:
    ctl, clock = controller(enter_after_s=2)
    spike = run(ctl, clock, [Readings(cpu_pct=c) for c in (50, 99, 50, 50)])
    assert spike == ["normal"] * 4
    pending = ctl.update(Readings(cpu_pct=99))
    assert pending.reasons == ("cpu_high", "confirming")
    clock.t += 1
    assert ctl.update(Readings(cpu_pct=99)).state == "normal"
    clock.t += 1
    assert ctl.update(Readings(cpu_pct=99)).state == "busy"


# -- queue and cloud rules ---------------------------------------------------------
def test_queue_thresholds() -> None:
    ctl, clock = controller(
        queue_busy_enter=2, queue_busy_exit=0, queue_saturated_enter=6, queue_saturated_exit=2
    )
    depths = [0, 1, 2, 1, 5, 6, 3, 2, 1, 0]
    states = run(ctl, clock, [Readings(queue_depth=q) for q in depths])
    assert states == [
        "normal",
        "normal",
        "busy",
        "busy",
        "busy",
        "saturated",
        "saturated",
        "busy",
        "busy",
        "normal",
    ]


def test_saturation_skips_the_dwell_but_busy_does_not() -> None:
    ctl, clock = controller(min_dwell_s=60)
    assert ctl.update(Readings(queue_depth=2)).state == "busy"
    clock.t += 1
    sat = ctl.update(Readings(queue_depth=9))
    assert (sat.state, sat.reasons) == ("saturated", ("queue_deep", "queue_full"))
    clock.t += 60
    assert ctl.update(Readings(queue_depth=0)).state == "normal"
    clock.t += 1
    # Back to busy only after the dwell in normal.
    assert ctl.update(Readings(queue_depth=3)).state == "normal"
    clock.t += 60
    assert ctl.update(Readings(queue_depth=3)).state == "busy"


def test_local_slower_than_cloud() -> None:
    # enter: wait >= 3 * 1.5 + 1 = 5.5 s; exit: wait <= 3 * 1.1 + 1 = 4.3 s
    ctl, clock = controller(cloud_margin=0.5, cloud_exit_margin=0.1, cloud_margin_s=1.0)
    waits = [0.0, 5.0, 5.5, 5.0, 4.4, 4.3, 10.0]
    seq = [Readings(predicted_local_wait_s=w, cloud_latency_s=3.0) for w in waits]
    states = run(ctl, clock, seq)
    assert states == ["normal", "normal", "busy", "busy", "busy", "normal", "busy"]
    assert ctl.update(seq[-1]).reasons == ("local_slower_than_cloud",)


@pytest.mark.parametrize(
    "readings",
    [
        Readings(predicted_local_wait_s=100.0, cloud_latency_s=None),
        Readings(predicted_local_wait_s=None, cloud_latency_s=1.0, queue_depth=1),
        Readings(cpu_pct=None, mem_available_mb=None, gpu_util_pct=None),
        Readings(gpu_util_pct=100.0),  # the GPU rule is off by default
    ],
)
def test_unknown_or_disabled_signals_stay_normal(readings: Readings) -> None:
    ctl, _ = controller()
    assert ctl.update(readings).state == "normal"


def test_memory_low_and_gpu_high() -> None:
    ctl, clock = controller(mem_available_min_mb=500, mem_available_exit_mb=1000)
    states = run(ctl, clock, [Readings(mem_available_mb=m) for m in (4000, 500, 900, 1000)])
    assert states == ["normal", "busy", "busy", "normal"]
    gpu, clock = controller(gpu_busy_enter_pct=95, gpu_busy_exit_pct=60)
    states = run(gpu, clock, [Readings(gpu_util_pct=u) for u in (50, 96, 70, 60)])
    assert states == ["normal", "busy", "busy", "normal"]


def test_estimates() -> None:
    assert estimate_service_s(20.0, 0.5, 100) == pytest.approx(5.5)
    assert estimate_service_s(20.0, None, 100) == pytest.approx(5.0)
    assert estimate_service_s(None, 0.5, 100) is None
    assert predict_local_wait_s(2, 1, 5.5) == pytest.approx(16.5)
    assert predict_local_wait_s(0, 0, None) == 0.0
    assert predict_local_wait_s(3, 0, None) is None
    # Two contexts: one running and none queued leaves a slot free; two running means
    # one wave of waiting; four ahead means two waves.
    assert predict_local_wait_s(0, 1, 5.0, slots=2) == 0.0
    assert predict_local_wait_s(0, 2, 5.0, slots=2) == pytest.approx(5.0)
    assert predict_local_wait_s(2, 2, 5.0, slots=2) == pytest.approx(10.0)
    assert predict_local_wait_s(3, 2, 5.0, slots=2) == pytest.approx(10.0)


def test_local_stats_from_runners_and_latency_ewma() -> None:
    @dataclass
    class Runner:
        queue_depth: int
        in_flight: int
        ewma_tokens_per_s: float | None
        ewma_ttft_s: float | None
        slots: int = 1

    runners = [Runner(2, 1, 30.0, 0.2, 2), Runner(1, 1, 10.0, 0.5), Runner(0, 0, None, None)]
    stats = local_stats_from(lambda: runners)()
    assert stats == BackendStats(
        queue_depth=3, in_flight=2, slots=4, tokens_per_s=10.0, ttft_s=0.5, service_time_s=None
    )
    assert local_stats_from(lambda: [])() == BackendStats()

    ewma = LatencyEwma(alpha=0.5)
    assert ewma() is None
    ewma.observe(2.0)
    ewma.observe(4.0)
    assert ewma() == pytest.approx(3.0)


# -- the live check at decision time ----------------------------------------------
@pytest.mark.parametrize(
    ("queue", "wait", "cloud", "expected"),
    [
        (0, 0.0, 3.0, ("normal", ())),
        (1, None, None, ("normal", ())),
        (2, None, None, ("busy", ("queue_deep",))),
        (5, None, None, ("busy", ("queue_deep",))),
        (6, None, None, ("saturated", ("queue_deep", "queue_full"))),
        # enter at 3 * 1.5 + 1 = 5.5 s; the exit margin plays no part here
        (1, 5.4, 3.0, ("normal", ())),
        (1, 5.5, 3.0, ("busy", ("local_slower_than_cloud",))),
        (6, 9.0, 3.0, ("saturated", ("queue_deep", "queue_full", "local_slower_than_cloud"))),
        (0, 99.0, None, ("normal", ())),  # no cloud figure: the rule is off
    ],
)
def test_live_level_uses_enter_thresholds_without_delay(
    queue: int, wait: float | None, cloud: float | None, expected: tuple[str, tuple[str, ...]]
) -> None:
    s = LoadSettings(cloud_margin=0.5, cloud_margin_s=1.0)
    got = live_level(s, queue_depth=queue, predicted_local_wait_s=wait, cloud_latency_s=cloud)
    assert got == expected


def test_raise_state_never_lowers() -> None:
    assert raise_state("normal", "busy") == "busy"
    assert raise_state("saturated", "normal") == "saturated"
    assert raise_state("busy", "busy") == "busy"


def test_decision_snapshot_raises_the_sampled_state_for_a_burst() -> None:
    live = [BackendStats()]
    # Host signals as good as off: this shared test machine may be busy itself.
    quiet = {"cpu_busy_enter_pct": 100, "mem_available_min_mb": 0, "mem_available_exit_mb": 1}
    settings = LoadSettings(sample_interval_s=60, stale_after_s=120, min_dwell_s=60, **quiet)
    sampler = HostSampler(settings, local_stats=lambda: live[0])

    def burst() -> list[LoadSnapshot]:
        out = [sampler.decision_snapshot()]  # idle: the sampled snapshot itself
        live[0] = BackendStats(queue_depth=3, in_flight=1)
        out.append(sampler.decision_snapshot())  # a burst arrived after the sample
        live[0] = BackendStats(queue_depth=8, in_flight=1)
        out.append(sampler.decision_snapshot())
        out.append(sampler.snapshot())  # the sampled state is untouched
        return out

    idle, busy, saturated, sampled = sample(sampler, burst)
    assert idle.state == "normal" and "live" not in idle.reasons
    assert (busy.state, busy.queue_depth, busy.in_flight) == ("busy", 3, 1)
    assert busy.reasons[0] == "queue_deep" and busy.reasons[-1] == "live"
    assert saturated.state == "saturated"
    assert {"queue_deep", "queue_full", "live"} <= set(saturated.reasons)
    assert sampled.state == "normal" and sampled.queue_depth == 0
    json.dumps(busy.as_dict())


def test_a_live_raise_sticks_until_the_dwell_and_exit_thresholds_allow() -> None:
    live = [BackendStats()]
    quiet = {"cpu_busy_enter_pct": 100, "mem_available_min_mb": 0, "mem_available_exit_mb": 1}
    settings = LoadSettings(sample_interval_s=60, stale_after_s=120, min_dwell_s=60, **quiet)
    sampler = HostSampler(settings, local_stats=lambda: live[0])

    def flap() -> list[str]:
        states = []
        for depth in (3, 0, 3, 0, 0):  # a queue bouncing around the busy threshold
            live[0] = BackendStats(queue_depth=depth, in_flight=1)
            states.append(sampler.admit().state)
        return states

    states = sample(sampler, flap)
    # Raised on the first burst, held while the queue bounces: one transition, not four.
    assert states == ["busy"] * 5
    assert sampler.controller.transitions == 1


def test_reading_the_decision_snapshot_changes_nothing() -> None:
    """Only admitting a request moves the state machine; route/explain reads do not."""
    live = [BackendStats(queue_depth=3, in_flight=1)]
    quiet = {"cpu_busy_enter_pct": 100, "mem_available_min_mb": 0, "mem_available_exit_mb": 1}
    settings = LoadSettings(sample_interval_s=60, stale_after_s=120, min_dwell_s=60, **quiet)
    sampler = HostSampler(settings, local_stats=lambda: live[0])

    def read() -> tuple[str, str, int]:
        seen = sampler.decision_snapshot().state
        return seen, sampler.controller.state, sampler.controller.transitions

    seen, held, transitions = sample(sampler, read)
    assert (seen, held, transitions) == ("busy", "normal", 0)


def test_decision_snapshot_never_lowers_a_held_state() -> None:
    live = [BackendStats(queue_depth=9)]
    settings = LoadSettings(sample_interval_s=60, stale_after_s=120, enter_after_s=0)
    sampler = HostSampler(settings, local_stats=lambda: live[0])

    def drained() -> LoadSnapshot:
        live[0] = BackendStats()
        return sampler.decision_snapshot()

    snap = sample(sampler, drained)
    # Leaving saturation is the controller's call (exit thresholds, dwell), not the live check's.
    assert snap.state == "saturated" and "live" not in snap.reasons


# -- the sampler on this machine ---------------------------------------------------
def sample(sampler: HostSampler, then: Callable[[], Any] | None = None) -> Any:
    async def go() -> Any:
        await sampler.start()
        try:
            return sampler.snapshot() if then is None else then()
        finally:
            await sampler.stop()

    return asyncio.run(go())


def test_sampler_reads_this_machine() -> None:
    # A long interval: start() takes the one sample this test looks at.
    settings = LoadSettings(sample_interval_s=60, stale_after_s=120)
    sampler = HostSampler(settings)
    assert isinstance(sampler, LoadProbe)
    snap = sample(sampler)
    assert snap.cpu_pct is not None and 0 <= snap.cpu_pct <= 100
    assert snap.cpu_self_pct is not None and 0 <= snap.cpu_self_pct <= 100
    assert len(snap.per_core_pct) == psutil.cpu_count()
    assert all(0 <= c <= 100 for c in snap.per_core_pct)
    assert snap.load_avg is not None and len(snap.load_avg) == 3
    assert snap.mem_available_mb is not None and snap.mem_available_mb > 0
    assert snap.rss_mb is not None and snap.rss_mb > 0
    assert snap.swap_used_pct is not None and 0 <= snap.swap_used_pct <= 100
    # No local backend or cloud wired: nothing queued, the cloud rule is off.
    assert (snap.queue_depth, snap.predicted_local_wait_s, snap.cloud_latency_s) == (0, 0.0, None)
    assert snap.state in ("normal", "busy")  # busy only if this shared host is loaded
    json.dumps(snap.as_dict())


def test_sampler_without_gpu_is_graceful() -> None:
    # "auto" on a machine without nvidia-ml-py or a GPU; "off" never looks.
    for mode in ("auto", "off"):
        sampler = HostSampler(LoadSettings(sample_interval_s=60, stale_after_s=120, gpu=mode))
        snap = sample(sampler)
        assert snap.gpu == ()
        assert snap.as_dict()["gpu"] == []


def test_sampler_combines_local_and_cloud_figures() -> None:
    stats = BackendStats(queue_depth=7, in_flight=1, tokens_per_s=20.0, ttft_s=0.5)
    settings = LoadSettings(
        sample_interval_s=60, stale_after_s=120, enter_after_s=0, expected_completion_tokens=100
    )
    sampler = HostSampler(settings, local_stats=lambda: stats, cloud_latency_s=LatencyEwma())
    snap = sample(sampler)
    assert snap.service_time_s == pytest.approx(5.5)
    assert snap.predicted_local_wait_s == pytest.approx(8 * 5.5)
    assert snap.cloud_latency_s == settings.cloud_latency_default_s  # none measured yet
    assert snap.state == "saturated"
    assert {"queue_deep", "queue_full", "local_slower_than_cloud"} <= set(snap.reasons)
    d = snap.as_dict()
    assert (d["state"], d["queue_depth"], d["in_flight"]) == ("saturated", 7, 1)


def test_failing_local_stats_count_as_idle() -> None:
    def broken() -> BackendStats:
        raise RuntimeError("runner gone")

    settings = LoadSettings(sample_interval_s=60, stale_after_s=120, cpu_busy_basis="others")
    snap = sample(HostSampler(settings, local_stats=broken))
    assert snap.queue_depth == 0
    assert "queue_deep" not in snap.reasons


def test_snapshot_before_start_and_when_stale_reads_normal() -> None:
    clock = Clock()
    settings = LoadSettings(sample_interval_s=60, stale_after_s=120, enter_after_s=0)
    sampler = HostSampler(settings, local_stats=lambda: BackendStats(queue_depth=9), clock=clock)
    assert (sampler.snapshot().state, sampler.snapshot().reasons) == ("normal", ("no_sample",))

    def age() -> tuple[LoadSnapshot, LoadSnapshot]:
        fresh = sampler.snapshot()
        clock.t += 121
        return fresh, sampler.snapshot()

    fresh, stale = sample(sampler, age)
    assert fresh.state == "saturated"
    assert (stale.state, stale.reasons, stale.queue_depth) == ("normal", ("stale",), 9)


def test_sampler_loop_keeps_sampling() -> None:
    async def go() -> int:
        # Event-driven rather than timed: wait until the loop has sampled twice more.
        seen = 0
        done = asyncio.Event()

        def stats() -> BackendStats:
            nonlocal seen
            seen += 1
            if seen >= 3:
                done.set()
            return BackendStats()

        sampler = HostSampler(LoadSettings(sample_interval_s=0.1), local_stats=stats)
        await sampler.start()
        await asyncio.wait_for(done.wait(), timeout=30)
        await sampler.stop()
        await sampler.stop()  # idempotent
        return seen

    assert asyncio.run(go()) >= 3


# -- NVML with a fake module (no GPU here) -------------------------------------------
class FakeNvml:
    """The few pynvml calls the reader makes, with devices set by the test."""

    def __init__(self, devices: list[tuple[int, int, int]], fail_init: bool = False) -> None:
        self.devices = devices
        self.fail_init = fail_init
        self.fail_reads = False
        self.shutdowns = 0

    def nvmlInit(self) -> None:
        if self.fail_init:
            raise OSError("libnvidia-ml.so.1: cannot open shared object file")

    def nvmlShutdown(self) -> None:
        self.shutdowns += 1

    def nvmlDeviceGetCount(self) -> int:
        return len(self.devices)

    def nvmlDeviceGetHandleByIndex(self, i: int) -> int:
        return i

    def nvmlDeviceGetUtilizationRates(self, h: int) -> Any:
        if self.fail_reads:
            raise RuntimeError("GPU is lost")
        return SimpleNamespace(gpu=self.devices[h][0], memory=0)

    def nvmlDeviceGetMemoryInfo(self, h: int) -> Any:
        _, used, total = self.devices[h]
        return SimpleNamespace(used=used * 1024 * 1024, total=total * 1024 * 1024)


def test_nvml_reader_maps_devices_and_fails_soft() -> None:
    nvml = FakeNvml([(40, 1000, 8000), (90, 7000, 8000)])
    reader = NvmlReader.open(nvml)
    assert reader is not None and reader.device_count == 2
    assert reader.read() == (
        GpuReading(0, 40.0, 1000.0, 8000.0),
        GpuReading(1, 90.0, 7000.0, 8000.0),
    )
    nvml.fail_reads = True
    assert reader.read() == ()
    reader.close()
    assert nvml.shutdowns == 1

    assert NvmlReader.open(FakeNvml([], fail_init=True)) is None
    no_devices = FakeNvml([])
    assert NvmlReader.open(no_devices) is None
    assert no_devices.shutdowns == 1


def test_sampler_reports_gpus_through_nvml() -> None:
    nvml = FakeNvml([(97, 3000, 8000)])
    settings = LoadSettings(
        sample_interval_s=60,
        stale_after_s=120,
        enter_after_s=0,
        gpu_busy_enter_pct=95,
        gpu_busy_exit_pct=60,
    )
    sampler = HostSampler(settings, nvml=nvml)
    snap = sample(sampler, lambda: (sampler.gpu_devices, sampler.snapshot()))
    devices, snap = snap
    assert devices == 1
    assert snap.gpu == (GpuReading(0, 97.0, 3000.0, 8000.0),)
    assert "gpu_high" in snap.reasons and snap.state == "busy"
    assert snap.as_dict()["gpu"] == [
        {"index": 0, "util_pct": 97.0, "mem_used_mb": 3000.0, "mem_total_mb": 8000.0}
    ]
    assert nvml.shutdowns == 1  # stop() closed NVML


# -- the fake probe ------------------------------------------------------------------
def test_fake_load_probe() -> None:
    probe = FakeLoadProbe("busy", reasons=("queue_deep",), queue_depth=3)
    assert isinstance(probe, LoadProbe)
    snap = probe.snapshot()
    assert (snap.state, snap.reasons, snap.queue_depth) == ("busy", ("queue_deep",), 3)
    probe.set(state="saturated", queue_depth=9, cpu_pct=99.0)
    snap = probe.snapshot()
    assert (snap.state, snap.queue_depth, snap.cpu_pct) == ("saturated", 9, 99.0)
    assert probe.calls == 2
    assert json.loads(json.dumps(snap.as_dict()))["state"] == "saturated"
    with pytest.raises(TypeError):
        probe.set(colour="red")


# -- auto -> cloud through the real daemon, driven by load ------------------------------
class FakeHost:
    """The psutil calls :class:`HostSampler` makes, for a host whose CPU the test sets."""

    def __init__(self, cpu_pct: float) -> None:
        self.cpu_pct = cpu_pct

    def Process(self) -> Any:
        return SimpleNamespace(
            cpu_percent=lambda interval=None: 0.0,
            memory_info=lambda: SimpleNamespace(rss=300 * 1024 * 1024),
        )

    def cpu_count(self) -> int:
        return 2

    def cpu_percent(self, interval: float | None = None, percpu: bool = False) -> Any:
        return [self.cpu_pct] * 2 if percpu else self.cpu_pct

    def getloadavg(self) -> tuple[float, float, float]:
        return (0.5, 0.5, 0.5)

    def virtual_memory(self) -> Any:
        return SimpleNamespace(available=8 * 1024**3)

    def swap_memory(self) -> Any:
        return SimpleNamespace(percent=0.0)


@pytest.fixture()
def cloud_settings(settings: Settings, fake: tuple[str, FakeControl]) -> Settings:
    provider = ProviderSettings(
        name="fake",
        kind="openai_compatible",
        base_url=fake[0] + "/v1",
        models=("gpt-fake",),
        default_model="gpt-fake",
        max_retries=0,
    )
    return settings.model_copy(
        update={
            "providers": (provider,),
            "policy": PolicySettings(dir=str(REPO_ROOT / "policies"), default="default"),
        }
    )


def _ask(url: str, text: str) -> tuple[str, str, str]:
    """(route, load state, reasons) of one ``auto`` chat request through the SDK."""
    client = openai.OpenAI(base_url=url + "/v1", api_key="x", max_retries=0)
    raw = client.chat.completions.with_raw_response.create(
        model="auto", messages=[{"role": "user", "content": text}], max_tokens=4
    )
    assert raw.parse().choices[0].message.content is not None
    h = raw.headers
    return h["x-edge-router-route"], h["x-edge-router-load"], h["x-edge-router-reasons"]


def test_auto_goes_to_the_cloud_when_the_sampled_host_is_busy(
    cloud_settings: Settings, control: FakeControl
) -> None:
    # The real sampler and offload controller, fed a host whose CPU the test sets; it is
    # started and sampled here on a loop of the test's own (one sample each time, the
    # 60 s interval never comes round), not by the app.
    host = FakeHost(cpu_pct=5.0)
    load = LoadSettings(
        sample_interval_s=60, stale_after_s=600, enter_after_s=0, min_dwell_s=0,
        cpu_busy_basis="total",
    )  # fmt: skip
    sampler = HostSampler(load, psutil_module=host)
    loop = asyncio.new_event_loop()
    loop.run_until_complete(sampler.start())
    plain, private = "Say hello.", "Say hello to jane.roe@example.org for me."
    try:
        app = create_app(cloud_settings, scanner=shared_scanner(), load=sampler)
        with serve(app) as url:
            assert _ask(url, plain)[:2] == ("local", "normal")
            host.cpu_pct = 97.0
            assert loop.run_until_complete(sampler.sample_once()).state == "busy"
            route, state, reasons = _ask(url, plain)
            assert (route, state) == ("cloud", "busy")
            assert "auto:load_busy" in reasons.split(",")
            assert control.request_count == 1
            # Load never moves personal data: the e-mail address stays local when busy.
            assert _ask(url, private)[:2] == ("local", "busy")
            host.cpu_pct = 10.0
            assert loop.run_until_complete(sampler.sample_once()).state == "normal"
            assert _ask(url, plain)[:2] == ("local", "normal")
    finally:
        loop.run_until_complete(sampler.stop())
        loop.close()
    assert control.request_count == 1
    assert "jane.roe" not in json.dumps(control.received)


def test_the_fake_probe_stands_in_for_the_sampler(
    cloud_settings: Settings, control: FakeControl
) -> None:
    probe = FakeLoadProbe("saturated", reasons=("queue_full",))
    with serve(create_app(cloud_settings, scanner=shared_scanner(), load=probe)) as url:
        route, state, reasons = _ask(url, "Say hello.")
    assert (route, state) == ("cloud", "saturated")
    assert "auto:load_saturated" in reasons.split(",")
    assert probe.admitted == 1  # the dispatcher admitted the request through the probe
    assert control.request_count == 1
