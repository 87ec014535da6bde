"""The scanner worker pool (privacy/pool.py): real worker processes, real pipelines.

Two workers at most (the test machine has two cores). A worker is made to hang with
SIGSTOP, so that "killed mid-scan" and "timed out" are certain, not a race.
"""

from __future__ import annotations

import asyncio
import os
import signal
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from privacy_fixtures import shared_scanner

from edge_router.privacy.pool import ScanPool, auto_workers
from edge_router.privacy.scanner import PrivacyScanner
from edge_router.privacy.settings import ScannerSettings
from edge_router.privacy.types import ScanResult, TextField

# What a worker must answer exactly as the in-process scanner does: names, contact
# data, IDs, secrets, lower-case text (re-cased), obfuscation (normalised), values split
# across text parts (joined windows), a long text (chunked), blanks, public framing.
REQUESTS: list[list[str]] = [
    ["Please email quentin.marsh@example.net about the invoice."],
    ["My name is Radka Novak and my phone is +1 415 555 0134."],
    ["call patricia desrosiers tomorrow about her lab results"],
    ["Write a haiku about autumn leaves."],
    ["My SSN is 078-05-1120, can you check my tax form?"],
    ["Reach me at j o h n . d o e @ e x a m p l e . c o m please"],
    ["My card is 4111 1111 1111", "1111, expiring next month."],
    ["Who was Albert Einstein and why is he famous?"],
    ["", "   ", "Summarize: Dear Mr. Okafor, your account IBAN DE89370400440532013000."],
    ["aws key AKIAIOSFODNN7EXAMPLE in my config, my wife Maria found it"],
    [("The quarterly report covers logistics and revenue. " * 500) + "Contact Ivan Petrov."],
    ["def f(arr):\n    return arr[0]  # pick the first item"],
]


def _fields(texts: list[str]) -> list[TextField]:
    return [TextField(f"messages[{i}].content", t) for i, t in enumerate(texts)]


def _pid_alive(pid: int) -> bool:
    return Path(f"/proc/{pid}").exists()


def _wait(cond: object, timeout: float = 300.0) -> None:
    deadline = time.monotonic() + timeout
    while not cond():  # type: ignore[operator]
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.05)


@pytest.fixture(scope="module")
def pooled() -> Iterator[tuple[PrivacyScanner, ScanPool]]:
    # A generous limit: this machine is shared; the timeout test lowers it on purpose.
    settings = ScannerSettings(timeout_s=120.0)
    pool = ScanPool(settings, 2)
    pool.launch()  # the workers load while this process builds its own scanner
    scanner = PrivacyScanner(settings)
    pool.wait_ready()
    scanner.offload_to(pool)
    yield scanner, pool
    pids = [p for p in pool.pids if p is not None]
    pool.close()
    assert not any(_pid_alive(p) for p in pids)


def _hang_and_await_batch(
    scanner: PrivacyScanner, pool: ScanPool, texts: list[str]
) -> tuple[asyncio.AbstractEventLoop, asyncio.Future[ScanResult], int]:
    """Stop every worker, submit a scan, return once a worker holds its batch."""
    stopped = [p for p in pool.pids if p is not None]
    for pid in stopped:
        os.kill(pid, signal.SIGSTOP)
    loop = asyncio.new_event_loop()
    task = loop.create_task(scanner.ascan(_fields(texts)))
    deadline = time.monotonic() + 30
    while not pool.busy_pids:
        loop.run_until_complete(asyncio.sleep(0.02))
        assert time.monotonic() < deadline, "no worker took the batch"
    busy = pool.busy_pids[0]
    for pid in stopped:
        if pid != busy:
            os.kill(pid, signal.SIGCONT)
    return loop, task, busy


def test_results_identical_to_in_process(pooled: tuple[PrivacyScanner, ScanPool]) -> None:
    scanner, pool = pooled
    local = shared_scanner()

    async def all_at_once() -> list[ScanResult]:  # arrives together: batched
        return await asyncio.gather(*(scanner.ascan(_fields(r)) for r in REQUESTS))

    got = asyncio.run(all_at_once())
    want = [local.scan(_fields(r)) for r in REQUESTS]
    assert got == want
    assert any(r.entities for r in got) and any(not r.entities for r in got)
    assert not any("scan_failed" in r.reasons for r in got)
    # Served again from the cache in front of the pool: no worker needed.
    for pid in pool.pids:
        assert pid is not None
        os.kill(pid, signal.SIGSTOP)
    try:
        assert [scanner.scan(_fields(r)) for r in REQUESTS] == want
    finally:
        for pid in pool.pids:
            assert pid is not None
            os.kill(pid, signal.SIGCONT)


def test_worker_killed_mid_scan_fails_closed_and_is_replaced(
    pooled: tuple[PrivacyScanner, ScanPool],
) -> None:
    scanner, pool = pooled
    restarts = pool.restarts
    loop, task, busy = _hang_and_await_batch(scanner, pool, ["Ring Oskar Lindqvist at 6pm."])
    os.kill(busy, signal.SIGKILL)
    result = loop.run_until_complete(task)
    loop.close()
    assert result == ScanResult.failed() and "scan_failed" in result.reasons
    _wait(lambda: pool.restarts > restarts and None not in pool.pids)
    assert busy not in pool.pids
    # The failure was not cached: the same text is scanned, by the new worker, for real.
    text = ["Ring Oskar Lindqvist at 6pm."]
    assert scanner.scan(_fields(text)) == shared_scanner().scan(_fields(text))


def test_timed_out_worker_is_killed_and_replaced(pooled: tuple[PrivacyScanner, ScanPool]) -> None:
    scanner, pool = pooled
    restarts = pool.restarts
    pool.timeout_s = 1.0
    try:
        loop, task, busy = _hang_and_await_batch(scanner, pool, ["Email ana.silva@example.org"])
        result = loop.run_until_complete(task)
        loop.close()
    finally:
        pool.timeout_s = 120.0
    assert "scan_failed" in result.reasons and result.sensitive
    _wait(lambda: pool.restarts > restarts and None not in pool.pids)
    _wait(lambda: not _pid_alive(busy), timeout=30)  # killed, not left hanging
    text = ["Email ana.silva@example.org"]
    assert scanner.scan(_fields(text)) == shared_scanner().scan(_fields(text))


def test_close_leaves_no_processes_and_fails_later_scans_closed() -> None:
    settings = ScannerSettings(timeout_s=120.0)
    pool = ScanPool(settings, 1)
    pool.start()
    pids = [p for p in pool.pids if p is not None]
    assert len(pids) == 1 and pool.ready
    pool.close()
    assert not pool.ready
    assert not any(_pid_alive(p) for p in pids)
    scanner = shared_scanner()
    scanner.offload_to(pool)
    try:
        result = scanner.scan(_fields(["A text this scanner has never seen: Zorbana Quill."]))
    finally:
        scanner.offload_to(None)
    assert result == ScanResult.failed()


def test_auto_workers_follows_cores_and_memory() -> None:
    gib = 2**30
    assert auto_workers(cpus=16, available=64 * gib) == 16
    assert auto_workers(cpus=16, available=2 * gib) == 4  # half of 2 GiB at 256 MiB each
    assert auto_workers(cpus=8, available=100 * 2**20) == 1
    assert auto_workers(cpus=8, available=None) == 8
    assert auto_workers(cpus=2, available=64 * gib) == 1  # small machine: in-process
    assert auto_workers(cpus=3, available=64 * gib) == 1
    assert auto_workers(cpus=4, available=64 * gib) == 4
    assert auto_workers() >= 1
