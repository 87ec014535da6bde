"""Scanner worker pool (``privacy.workers``, issue 16): throughput and added latency.

Two parts, one run:

1. **Scan throughput** in this process, no HTTP: the same ~50-token prompts as
   ``proxy_overhead.py`` (unique, so no cache hit), sent as concurrent ``ascan`` calls
   (closed loop, ``--scan-concurrency``) to a :class:`PrivacyScanner` that scans
   in-process (``workers`` 0/1, as before the pool) and to the same scanner backed by
   a pool of 1 and of 2 worker processes. Prompts/s, this process's CPU per prompt
   (hashing, the cache, the verdict, pickling, the client loop: what stays in the
   daemon's process), and each worker's RSS (the ``WORKER_BYTES`` of ``pool.py``).
   From the 1-worker cost it projects 8 and 16 cores (assumptions printed).
2. **Fresh-scan added latency** at each concurrency (default 1 and 32): the fake
   provider direct, edge-router daemons with ``privacy.workers`` 1 and 2, LiteLLM and
   LiteLLM + its Presidio guardrail, all started here and measured in interleaved
   rounds by ``proxy_overhead.py``'s own machinery (same prompts, servers and configs).

    .venv/bin/python bench/scan_pool_bench.py
    .venv/bin/python bench/scan_pool_bench.py --requests 400 --rounds 8 --scan-prompts 600

Target (issue 16): with workers = cores, the fresh-scan c=32 median below LiteLLM +
Presidio's, and 2 workers >= 1.6x the prompts/s of 1.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import shutil
import signal
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import psutil

sys.path.insert(0, str(Path(__file__).resolve().parent))

import proxy_overhead as po
from serving import free_port

from edge_router.privacy.pool import ScanPool, usable_cpus
from edge_router.privacy.scanner import PrivacyScanner
from edge_router.privacy.settings import ScannerSettings
from edge_router.privacy.types import TextField


@dataclass
class Rate:
    label: str
    pool: ScanPool | None
    prompts: int = 0
    wall_s: float = 0.0
    cpu_s: float = 0.0  # this process (the daemon's share of the work), all threads
    worker_cpu_s: float = 0.0
    failed: int = 0
    batches: int = 0  # sent to workers (pool only)
    batched: int = 0  # texts in those batches
    worker_rss: list[int] = field(default_factory=list)

    @property
    def per_s(self) -> float:
        return self.prompts / self.wall_s

    @property
    def parent_ms(self) -> float:
        return self.cpu_s / self.prompts * 1000

    @property
    def worker_ms(self) -> float:
        return self.worker_cpu_s / self.prompts * 1000


def cpu_of(pids: list[int]) -> float:
    return sum(sum(psutil.Process(p).cpu_times()[:2]) for p in pids)


async def scan_all(scanner: PrivacyScanner, prompts: list[str], conc: int) -> int:
    """Closed loop of ``conc`` callers; returns how many scans failed."""
    it = iter(prompts)
    failed = 0

    async def caller() -> None:
        nonlocal failed
        for p in it:
            r = await scanner.ascan([TextField("messages[0].content", p)])
            failed += "scan_failed" in r.reasons

    await asyncio.gather(*(caller() for _ in range(conc)))
    return failed


def run_chunk(
    rate: Rate, scanner: PrivacyScanner, prompts: list[str], conc: int, *, record: bool = True
) -> None:
    pids = [p for p in rate.pool.pids if p is not None] if rate.pool else []
    scanner.offload_to(rate.pool)
    try:
        b0 = rate.pool.batches if rate.pool else (0, 0)
        w0, c0, t0 = cpu_of(pids), time.process_time(), time.perf_counter()
        failed = asyncio.run(scan_all(scanner, prompts, conc))
        wall, cpu = time.perf_counter() - t0, time.process_time() - c0
        if record:
            rate.wall_s += wall
            rate.cpu_s += cpu
            rate.worker_cpu_s += cpu_of(pids) - w0
            rate.prompts += len(prompts)
            rate.failed += failed
            b1 = rate.pool.batches if rate.pool else (0, 0)
            rate.batches += b1[0] - b0[0]
            rate.batched += b1[1] - b0[1]
    finally:
        scanner.offload_to(None)


def throughput(args: argparse.Namespace, rng: random.Random) -> list[Rate]:
    """In-process, 1 worker and 2 workers, in interleaved rounds (the order rotates), so
    that other load on the machine hits them alike."""
    settings = ScannerSettings(timeout_s=300.0)
    print("[scan] building the in-process scanner and the pools ...", flush=True)
    pools = {n: ScanPool(settings, n) for n in (1, 2)}
    for pool in pools.values():
        pool.launch()
    scanner = PrivacyScanner(settings)
    rates = [Rate("in-process (workers 0/1)", None)]
    rates += [Rate(f"pool, {n} worker{'s' if n > 1 else ''}", p) for n, p in pools.items()]
    try:
        for pool in pools.values():
            pool.wait_ready()
        conc, per = args.scan_concurrency, max(1, args.scan_prompts // args.scan_rounds)
        for rate in rates:
            run_chunk(rate, scanner, po.make_prompts(args.warmup, rng), conc, record=False)
        for i in range(args.scan_rounds):
            for rate in rates[i % 3 :] + rates[: i % 3]:
                run_chunk(rate, scanner, po.make_prompts(per, rng), conc)
        for rate in rates:
            pids = rate.pool.pids if rate.pool else []
            rate.worker_rss = [rss_of(p) for p in pids if p is not None]
    finally:
        for pool in pools.values():
            pool.close()
    return rates


def rss_of(pid: int) -> int:
    return int(psutil.Process(pid).memory_info().rss)


def capacity(cores: int, parent_ms: float, worker_ms: float) -> float:
    """Prompts/s with ``cores`` workers on ``cores`` cores, CPU-bound: all cores share
    the total CPU per prompt; the daemon's own process (one GIL) and the workers each
    cap it too."""
    total = cores * 1000 / (parent_ms + worker_ms)
    return min(total, 1000 / parent_ms, cores * 1000 / worker_ms)


def report_throughput(rates: list[Rate], conc: int, daemon_ms: tuple[float, float] | None) -> bool:
    print(f"\n#### Scan throughput (fresh ~50-token prompts, {conc} concurrent callers)\n")
    print("| scanner | prompts | prompts/s | daemon-process CPU ms/prompt "
          "| worker CPU ms/prompt | texts/batch | worker RSS MiB | failed |")  # fmt: skip
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for r in rates:
        rss = ", ".join(f"{b / 2**20:.0f}" for b in r.worker_rss) or "-"
        wms = f"{r.worker_ms:.2f}" if r.pool else "-"
        per_batch = f"{r.batched / r.batches:.1f}" if r.batches else "-"
        print(f"| {r.label} | {r.prompts} | {r.per_s:.0f} | {r.parent_ms:.2f} | {wms} "
              f"| {per_batch} | {rss} | {r.failed} |")  # fmt: skip
    _, one, two = rates
    ratio = two.per_s / one.per_s
    met = ratio >= 1.6
    print(f"\n2 workers / 1 worker: {ratio:.2f}x prompts/s (target >= 1.6x: "
          f"{'met' if met else 'NOT met'})")  # fmt: skip
    costs = [("scanner alone (this process, no HTTP)", two.parent_ms, two.worker_ms)]
    if daemon_ms is not None:
        costs.append(("the daemon, HTTP + audit included (part 2)", *daemon_ms))
    print("\nProjection from the measured CPU per prompt, workers = cores:\n")
    print("| CPU per prompt from | daemon process ms | workers ms | 2 cores | 8 cores "
          "| 16 cores |")  # fmt: skip
    print("|---|---:|---:|---:|---:|---:|")
    for label, p, w in costs:
        cells = " | ".join(f"{capacity(n, p, w):.0f}/s" for n in (2, 8, 16))
        print(f"| {label} | {p:.2f} | {w:.2f} | {cells} |")
    print(
        "\nAssumptions: CPU-bound and nothing else on the cores; each worker on its own "
        "physical core (no SMT sharing), at this machine's per-core speed (lower all-core "
        "clocks and memory bandwidth make large counts optimistic); prompts like these "
        "(~50 tokens, no cache hit); the daemon's own process (event loop, HTTP, hashing, "
        "cache, verdicts) is one GIL, so 1000 / its ms per prompt caps the total whatever "
        "the cores. CPU time, unlike wall time, hardly moves with other load on the machine."
    )
    return met


# --- part 2: latency against LiteLLM -------------------------------------------------------


def er_config(base: Path, tmp: Path, port: int, workers: int) -> Path:
    cfg = json.loads(base.read_text())
    cfg["server"]["port"] = port
    cfg["privacy"] = {"workers": workers}
    cfg["audit"]["path"] = str(tmp / f"audit-w{workers}" / "audit.sqlite")
    out = tmp / f"edge-router-w{workers}.yaml"
    out.write_text(json.dumps(cfg, indent=2))
    return out


def daemon_cpu(pid: int) -> tuple[float, float]:
    """CPU seconds of a daemon's own process and of its children (scanner workers)."""
    proc = psutil.Process(pid)
    return sum(proc.cpu_times()[:2]), cpu_of([c.pid for c in proc.children(recursive=True)])


def latency(
    args: argparse.Namespace, rng: random.Random, levels: list[int]
) -> tuple[bool, dict[str, tuple[float, float]]]:
    """The latency tables, and each edge-router's CPU ms per request (own, workers)."""
    litellm = po.ensure_litellm(po.LITELLM_VENV)
    per_level = {
        c: (po.make_prompts(args.warmup, rng), po.make_prompts(args.requests, rng)) for c in levels
    }
    tmp = Path(tempfile.mkdtemp(prefix="scan-pool-bench-"))
    fake_port, e1, e2, ll_port, lg_port, pr_port = (free_port() for _ in range(6))
    base_cfg, ll_cfg, lg_cfg, ll_log = po.write_configs(tmp, fake_port, e1, pr_port)
    env = {k: v for k, v in os.environ.items() if not k.lower().endswith("_proxy")}
    env.update({"NO_PROXY": "*", "no_proxy": "*", "PYTHONUNBUFFERED": "1"})
    for k in ("EDGE_ROUTER_CONFIG", "EDGE_ROUTER_PORT", "EDGE_ROUTER_HOST"):
        env.pop(k, None)
    procs: list[po.Proc] = []
    try:
        code = po.FAKE_MAIN.format(tests=str(po.ROOT / "tests"), port=fake_port)
        procs.append(po.spawn("fake", [sys.executable, "-c", code], env, tmp))
        procs.append(po.spawn(
            "presidio", [sys.executable, str(po.PRESIDIO_MAIN), "--port", str(pr_port)],
            {**env, "PYTHONPATH": str(po.ROOT)}, tmp))  # fmt: skip
        for workers, port in ((1, e1), (2, e2)):
            cfg = er_config(base_cfg, tmp, port, workers)
            argv = [sys.executable, "-m", "edge_router.cli", "serve", "--config", str(cfg)]
            procs.append(po.spawn(f"edge-router-w{workers}", argv,
                                  {**env, "PYTHONPATH": str(po.ROOT)}, tmp))  # fmt: skip
        for name, cfg, port in (
            ("litellm", ll_cfg, ll_port),
            ("litellm-presidio", lg_cfg, lg_port),
        ):
            procs.append(po.spawn(
                name, [str(litellm), "--config", str(cfg), "--host", "127.0.0.1", "--port",
                       str(port), "--num_workers", "1", "--log_config", str(ll_log)],
                {**env, **po.LITELLM_ENV}, tmp))  # fmt: skip
        url = {p: f"http://127.0.0.1:{p}" for p in (fake_port, e1, e2, ll_port, lg_port, pr_port)}
        print("[latency] starting the fake provider, Presidio, 2 edge-routers, LiteLLM x2 ...",
              flush=True)  # fmt: skip
        checks = [po.chat_ok(url[fake_port]),
                  lambda: httpx.get(url[pr_port] + "/health", timeout=5).is_success,
                  po.chat_ok(url[e1], "cloud"), po.chat_ok(url[e2], "cloud"),
                  po.chat_ok(url[ll_port]), po.chat_ok(url[lg_port])]  # fmt: skip
        for proc, check in zip(procs, checks, strict=True):
            po.wait_ready(proc, check, 900)
        targets = [
            po.Target("direct (fake provider)", url[fake_port]),
            po.Target("edge-router, workers 1", url[e1], route="cloud"),
            po.Target("edge-router, workers 2", url[e2], route="cloud"),
            po.Target(f"LiteLLM {po.LITELLM_VERSION}", url[ll_port]),
            po.Target(f"LiteLLM {po.LITELLM_VERSION} + Presidio", url[lg_port]),
        ]
        ers = {t.name: proc.popen.pid for t, proc in zip(targets[1:3], procs[2:4], strict=True)}
        before = {name: daemon_cpu(pid) for name, pid in ers.items()}
        sent = 0
        for c in levels:
            warm, fresh = per_level[c]
            asyncio.run(po.run_level(targets, c, fresh, warm, args.rounds))
            sent += 2 * len(warm) + len(fresh)  # run_level warms up twice
            print(f"[latency] concurrency {c} done", flush=True)
        cpu_ms = {}
        for name, pid in ers.items():
            (own0, kids0), (own1, kids1) = before[name], daemon_cpu(pid)
            cpu_ms[name] = ((own1 - own0) / sent * 1000, (kids1 - kids0) / sent * 1000)
        if po.presidio_calls(url[pr_port]) < args.requests:
            raise RuntimeError("LiteLLM's Presidio guardrail did not call Presidio")
    except BaseException:
        for p in procs:
            if p.popen.poll() is not None:
                print(f"--- {p.name} log ---\n{p.tail()}", file=sys.stderr)
        raise
    finally:
        for p in reversed(procs):
            p.stop()
        shutil.rmtree(tmp, ignore_errors=True)
    return report_latency(targets, levels, cpu_ms), cpu_ms


def report_latency(
    targets: list[po.Target], levels: list[int], cpu_ms: dict[str, tuple[float, float]]
) -> bool:
    direct, w1, w2, _, guard = targets
    met = True
    print("\n| edge-router CPU per request (all levels) | daemon process ms | workers ms |")
    print("|---|---:|---:|")
    for name, (own, kids) in cpu_ms.items():
        print(f"| {name} | {own:.2f} | {kids:.2f} |")
    for c in levels:
        print(f"\n#### Fresh-scan added latency vs the provider direct, concurrency {c}\n")
        print("| target | requests | p50 ms | p99 ms | added p50 ms | added p99 ms "
              "| added p50, paired per round ms | errors |")  # fmt: skip
        print("|---|---:|---:|---:|---:|---:|---:|---:|")
        for t in targets:
            v = t.lat[c]
            a50, a99, p50r, _ = po.added(t, direct, c)
            print(f"| {t.name} | {len(v)} | {po.ms(po.pct(v, 0.5))} | {po.ms(po.pct(v, 0.99))} "
                  f"| {po.ms(a50)} | {po.ms(a99)} | {po.ms(p50r)} | {t.errors[c]} |")  # fmt: skip
        for er in (w1, w2):
            ok, med, faster, n = po.judge(er, guard, c, 0.5)
            print(f"\n{er.name} minus LiteLLM + Presidio, p50 paired: {po.ms(med)} ms, faster "
                  f"in {faster}/{n} rounds ({'below' if ok else 'NOT below'})")  # fmt: skip
            if er is w2 and c == max(levels):
                met = met and ok
    return met


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scan-prompts", type=int, default=400, help="prompts per scanner")
    ap.add_argument("--scan-concurrency", type=int, default=32)
    ap.add_argument("--scan-rounds", type=int, default=4, help="interleaved rounds")
    ap.add_argument("--requests", type=int, default=300, help="per target per level")
    ap.add_argument("--concurrency", default="1,32")
    ap.add_argument("--rounds", type=int, default=6)
    ap.add_argument("--warmup", type=int, default=32)
    ap.add_argument("--seed", type=int, default=16)
    ap.add_argument("--skip-latency", action="store_true", help="throughput only")
    args = ap.parse_args()
    signal.signal(signal.SIGTERM, signal.default_int_handler)  # finally: blocks run
    levels = [int(x) for x in args.concurrency.split(",") if x.strip()]
    rng = random.Random(args.seed)
    load0, t0 = os.getloadavg()[0], time.monotonic()
    rates = throughput(args, rng)
    met_latency, cpu_ms = True, dict[str, tuple[float, float]]()
    if not args.skip_latency:
        met_latency, cpu_ms = latency(args, rng, levels)
    load1 = os.getloadavg()[0]
    print(f"\n{usable_cpus()} usable CPUs, load avg {load0:.2f} -> {load1:.2f}, "
          f"{time.monotonic() - t0:.0f}s in all")  # fmt: skip
    met_scan = report_throughput(rates, args.scan_concurrency, cpu_ms.get("edge-router, workers 2"))
    print(f"\ntarget: {'met' if met_scan and met_latency else 'NOT met'}")
    return 0 if met_scan and met_latency else 2


if __name__ == "__main__":
    sys.exit(main())
