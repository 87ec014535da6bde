"""Keep numpy's OpenBLAS to one thread for the scanner's matrix products.

NER's products are small (a window's few dozen rows against 288x288 weights). With
its default of a thread per core, OpenBLAS splits each of them over two threads
that must meet at the end of every product, and its idle thread spins on a core
for a while after. On a machine with other work (llama.cpp's generation threads,
other processes; here a 2-core box at load 4-5) the partner thread is often not
running, and a product that takes 50 us waits a scheduler tick: the scan median
went from 5 to 30 ms and stock Presidio, in the same process, from 11 to 26 ms
(its BLIS is single-threaded, but the spinning thread took its core). On an idle
machine two threads were at best 4-8% faster at the median. Scanner worker
processes already start with ``OPENBLAS_NUM_THREADS=1`` (``pool_worker.py``); this
does the same for a scanner in the main process, where numpy is already loaded
and the variable is no longer read. An operator's own ``OPENBLAS_NUM_THREADS``
wins, and a numpy on another BLAS (or none found) is left as it is.

Example::

    limit_openblas_threads()  # True where OpenBLAS was found and set
"""

from __future__ import annotations

import ctypes
import logging
import os
from pathlib import Path

logger = logging.getLogger(__name__)

# The setter's name per build: numpy's wheels bundle scipy-openblas (64-bit ints,
# prefixed symbols); distribution builds export OpenBLAS's own name.
_SETTERS = (
    "scipy_openblas_set_num_threads64_",
    "scipy_openblas_set_num_threads",
    "openblas_set_num_threads64_",
    "openblas_set_num_threads",
)


def limit_openblas_threads(threads: int = 1) -> bool:
    """Set the process's OpenBLAS (as loaded by numpy) to ``threads`` threads."""
    if os.environ.get("OPENBLAS_NUM_THREADS"):
        return False  # the operator chose; OpenBLAS read it when numpy loaded
    import numpy  # noqa: F401  # loads OpenBLAS, so it shows in the process's maps

    for path in _loaded_openblas():
        try:
            lib = ctypes.CDLL(str(path))
        except OSError:
            continue
        for name in _SETTERS:
            setter = getattr(lib, name, None)
            if setter is not None:
                setter.argtypes = [ctypes.c_int]
                setter(threads)
                return True
    logger.debug("no OpenBLAS found; BLAS threads left as they are")
    return False


def _loaded_openblas() -> list[Path]:
    """OpenBLAS libraries mapped into this process (Linux); none elsewhere."""
    try:
        maps = Path("/proc/self/maps").read_text(encoding="utf-8", errors="replace")
    except OSError:
        return []
    found = {line.split(maxsplit=5)[-1] for line in maps.splitlines() if "openblas" in line}
    return sorted(Path(p) for p in found if p.startswith("/"))
