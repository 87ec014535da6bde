"""GPU readings through NVML (the ``nvidia-ml-py`` package, imported as ``pynvml``).

Optional by design: without the package, without the driver library, or without
a device, :meth:`NvmlReader.open` returns ``None`` and the load snapshot simply
carries no GPU readings. A device that fails later (driver reset, GPU fallen off
the bus) makes :meth:`NvmlReader.read` return ``()`` rather than raise, so the
sampler keeps reporting host figures.

Example::

    reader = NvmlReader.open()          # None on a machine without a usable GPU
    if reader is not None:
        for gpu in reader.read():
            print(gpu.index, gpu.util_pct, gpu.mem_used_mb)
        reader.close()
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

log = logging.getLogger("edge_router.load.sampler")

_MB = 1024 * 1024


@dataclass(frozen=True)
class GpuReading:
    """One device's figures at one sample."""

    index: int
    util_pct: float
    """Share of the last sample period in which a kernel ran (NVML's own measure)."""
    mem_used_mb: float
    mem_total_mb: float

    def as_dict(self) -> dict[str, float | int]:
        return {
            "index": self.index,
            "util_pct": round(self.util_pct, 1),
            "mem_used_mb": round(self.mem_used_mb, 1),
            "mem_total_mb": round(self.mem_total_mb, 1),
        }


class NvmlReader:
    """Reads utilisation and memory of every NVML device; build with :meth:`open`.

    Not thread-safe; the sampler calls it from its single worker thread only.
    """

    def __init__(self, nvml: Any, handles: list[Any]) -> None:
        self._nvml = nvml
        self._handles = handles
        self._failing = False

    @classmethod
    def open(cls, nvml: Any | None = None) -> NvmlReader | None:
        """Initialise NVML and find the devices, or ``None`` when there is no usable GPU.

        ``nvml`` replaces the ``pynvml`` module (tests pass a fake with the same calls).
        """
        if nvml is None:
            try:
                import pynvml  # type: ignore[import-not-found]
            except ImportError:
                log.debug("nvidia-ml-py not installed; no GPU readings")
                return None
            nvml = pynvml
        # NVML reports a missing driver library, no devices or a driver mismatch
        # through many NVMLError subclasses (and OSError on odd installs); all of
        # them just mean "no GPU readings", never a failed startup.
        try:
            nvml.nvmlInit()
        except Exception as exc:
            log.info(
                "NVML unavailable; no GPU readings", extra={"fields": {"error": type(exc).__name__}}
            )
            return None
        try:
            count = int(nvml.nvmlDeviceGetCount())
            handles = [nvml.nvmlDeviceGetHandleByIndex(i) for i in range(count)]
        except Exception as exc:
            log.info("NVML device query failed", extra={"fields": {"error": type(exc).__name__}})
            handles = []
        if not handles:
            cls._shutdown(nvml)
            return None
        return cls(nvml, handles)

    @property
    def device_count(self) -> int:
        return len(self._handles)

    def read(self) -> tuple[GpuReading, ...]:
        """Current readings of every device, or ``()`` when NVML fails this time."""
        nvml = self._nvml
        try:
            out = []
            for i, handle in enumerate(self._handles):
                util = nvml.nvmlDeviceGetUtilizationRates(handle)
                mem = nvml.nvmlDeviceGetMemoryInfo(handle)
                out.append(
                    GpuReading(
                        index=i,
                        util_pct=float(util.gpu),
                        mem_used_mb=mem.used / _MB,
                        mem_total_mb=mem.total / _MB,
                    )
                )
        except Exception as exc:
            # Logged once per failure streak: at 1 Hz a lost GPU would flood the log.
            if not self._failing:
                log.warning(
                    "GPU reading failed; reporting none",
                    extra={"fields": {"error": type(exc).__name__}},
                )
            self._failing = True
            return ()
        self._failing = False
        return tuple(out)

    def close(self) -> None:
        self._shutdown(self._nvml)
        self._handles = []

    @staticmethod
    def _shutdown(nvml: Any) -> None:
        try:
            nvml.nvmlShutdown()
        except Exception:
            log.debug("nvmlShutdown failed", exc_info=True)
