"""Offload under load: a burst with a cloud provider vs local-only, and no route flapping.

Runs the real daemon (``edge-router serve --config <temp config>``: embedded model,
real scanner, policy ``default``) as a subprocess, in front of the fake
OpenAI-compatible provider from ``tests/fake_provider.py`` served on 127.0.0.1 in
this process. The fake records every body it receives and echoes the last user
message back, one word per SSE event.

Part 1, burst. The same burst of concurrent streaming requests (a seeded mix of
sensitive prompts, which carry an e-mail address, phone number, card number or a
name with health details, and ordinary simple questions) is sent to a daemon
with the provider configured (``offload``) and to one with ``offline: true``
(``local-only``), in one run. Per request: time to first token, time to last
byte, the ``x-edge-router-route`` and ``x-edge-router-load`` headers and the
status. Each prompt's scanner verdict is taken from ``POST /v1/route`` on the
local-only daemon (after its burst, so the scanner cache is cold for the burst).

Part 2, steady load. Requests of the same mix arrive at a constant rate (by
default 1.3x the local throughput measured in part 1, so the local tier alone
cannot keep up) while ``POST /v1/route`` is polled at 5 Hz for ``load.state``;
run with the configured hysteresis and, for contrast, with none (no enter delay,
no dwell, exit thresholds one step below enter).

Exit status: 1 if any sensitive prompt (its text, a value the bench planted in
it, or a span the scanner detected in it) appears in any body the fake provider
received, or if the local-only daemon sent it anything at all; 0 otherwise
(latency targets are reported, not asserted: they depend on the machine).

The daemon decides on the sampled load state raised by the local queue as it is
at decision time (``HostSampler.decision_snapshot``), so a burst is offloaded from
its first requests; such a raise then holds through the usual exit thresholds and
minimum dwell.

    .venv/bin/python bench/offload_bench.py      # about 3 min on a quiet 2-core box
    .venv/bin/python bench/offload_bench.py --requests 24 --steady-s 30
    .venv/bin/python bench/offload_bench.py --skip-steady --spread-s 6 --load enter_after_s=1

Nothing is written into the checkout: config, audit database and logs live in a
temporary directory that is removed at the end (``--keep-tmp`` keeps it).
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from fake_provider import make_fake_provider  # noqa: E402
from serving import free_port, serve, wait_ready  # noqa: E402

from edge_router.load.control import LoadSettings  # noqa: E402

# -- prompts ------------------------------------------------------------------------------
FIRST = ["Maria", "Henrik", "Aisha", "Tobias", "Leonie", "Dmitri", "Priya", "Oskar", "Ingrid"]
LAST = ["Kowalski", "Lindqvist", "Okafor", "Hartmann", "Brennan", "Vasquez", "Nakamura", "Petrov"]

SENSITIVE = [
    "Please write a two-line reply to {name} at {email} saying the contract is signed.",
    "Text {name} on {phone}: the plumber comes Tuesday at 9. Make it friendly.",
    "My card {card} was charged twice for one order; write a short complaint to the bank.",
    "{name} told me in confidence that she is being treated for depression; how can I help?",
    "My colleague {name} was diagnosed with diabetes last month; suggest a kind message.",
]
ORDINARY = [
    "Give me three tips for keeping basil fresh.",
    "What does a router do in a home network?",
    "Suggest a name for a grey cat.",
    "How do I keep my bike chain from rusting in winter?",
    "Why do onions make people cry when they are cut?",
    "Write one sentence about autumn leaves.",
    "What is the difference between a lake and a pond?",
    "Recommend a board game for four players.",
    "How long should I boil an egg for a soft yolk?",
    "What is a haiku? Give a short example.",
    "List three fruits that are high in vitamin C.",
    "Why is the sky blue? Answer briefly.",
]


def _luhn_card(rng: random.Random) -> str:
    digits = [4, 5, 3, 9] + [rng.randrange(10) for _ in range(11)]
    total = 0
    for i, d in enumerate(reversed(digits)):
        # The check digit is appended after these, so every second digit from the right doubles.
        total += (d * 2 - 9 if d * 2 > 9 else d * 2) if i % 2 == 0 else d
    digits.append((10 - total % 10) % 10)
    s = "".join(map(str, digits))
    return " ".join(s[i : i + 4] for i in range(0, 16, 4))


@dataclass(frozen=True)
class Prompt:
    text: str
    sensitive: bool
    """What the bench means it to be; the scanner's own verdict is checked separately."""
    planted: tuple[str, ...] = ()
    """Personal values inserted into the text (looked for in what the cloud received)."""


def make_prompts(n: int, sensitive_share: float, rng: random.Random) -> list[Prompt]:
    n_sens = round(n * sensitive_share)
    out: list[Prompt] = []
    for i in range(n_sens):
        first, last = rng.choice(FIRST), rng.choice(LAST)
        values = {
            "name": f"{first} {last}",
            "email": f"{first}.{last}{rng.randrange(10, 99)}@example.net".lower(),
            "phone": f"+44 20 7946 0{rng.randrange(100, 999)}",
            "card": _luhn_card(rng),
        }
        template = SENSITIVE[i % len(SENSITIVE)]
        used = tuple(v for k, v in values.items() if "{" + k + "}" in template)
        out.append(Prompt(template.format(**values), True, used))
    out += [Prompt(ORDINARY[i % len(ORDINARY)], False) for i in range(n - n_sens)]
    rng.shuffle(out)
    return out


# -- the daemon -----------------------------------------------------------------------------
@dataclass
class Daemon:
    url: str
    proc: subprocess.Popen[bytes]
    log: Path


def _edge_router_cmd() -> list[str]:
    script = Path(sys.executable).parent / "edge-router"
    return [str(script)] if script.exists() else [sys.executable, "-m", "edge_router.cli"]


@contextmanager
def daemon(
    tmp: Path,
    name: str,
    cloud_url: str,
    *,
    offline: bool,
    load: dict[str, Any],
    local: dict[str, Any],
) -> Iterator[Daemon]:
    """``edge-router serve`` with a config in ``tmp``; stopped (SIGTERM) on exit."""
    port = free_port()
    cfg = {
        "server": {"host": "127.0.0.1", "port": port, "log_level": "warning"},
        "local": local,
        "policy": {"default": "default"},
        "audit": {"path": str(tmp / f"{name}-audit.sqlite")},
        "offline": offline,
        "load": load,
        "providers": [
            {
                "name": "fakecloud",
                "kind": "openai_compatible",
                "base_url": cloud_url + "/v1",
                "models": ["gpt-fake"],
                "default_model": "gpt-fake",
            }
        ],
    }
    path = tmp / f"{name}.yaml"
    path.write_text(yaml.safe_dump(cfg, sort_keys=False))
    log = tmp / f"{name}.log"
    # cwd=tmp: nothing the daemon might write relative to its cwd lands in the checkout.
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [
                *_edge_router_cmd(),
                "serve",
                "--config",
                str(path),
            ],
            stdout=out,
            stderr=subprocess.STDOUT,
            cwd=tmp,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
        )
    url = f"http://127.0.0.1:{port}"
    try:
        try:
            wait_ready(url, 240, proc)
        except RuntimeError as exc:
            raise RuntimeError(f"daemon {name}: {exc}:\n{_tail(log)}") from exc
        yield Daemon(url, proc, log)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=40)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)


def _tail(path: Path, n: int = 30) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-n:])
    except OSError:
        return "(no log)"


# -- one request ----------------------------------------------------------------------------
@dataclass
class Result:
    prompt: Prompt
    sent_at: float
    """Seconds since the start of the run."""
    status: int = 0
    route: str = "?"
    load: str = "?"
    reasons: str = ""
    ttft_s: float | None = None
    total_s: float = 0.0
    retry_after: str | None = None
    error: str | None = None


async def chat(
    client: httpx.AsyncClient, url: str, p: Prompt, max_tokens: int, t0: float
) -> Result:
    body = {
        "model": "auto",
        "messages": [{"role": "user", "content": p.text}],
        "max_tokens": max_tokens,
        "temperature": 0.0,
        "seed": 7,
        "stream": True,
    }
    start = time.perf_counter()
    res = Result(p, start - t0)
    try:
        async with client.stream("POST", url + "/v1/chat/completions", json=body) as r:
            res.status = r.status_code
            res.route = r.headers.get("x-edge-router-route", "?")
            res.load = r.headers.get("x-edge-router-load", "?")
            res.reasons = r.headers.get("x-edge-router-reasons", "")
            res.retry_after = r.headers.get("retry-after")
            async for line in r.aiter_lines():
                if res.ttft_s is None and line.startswith("data: {") and '"content":"' in line:
                    res.ttft_s = time.perf_counter() - start
    except httpx.HTTPError as exc:
        res.error = type(exc).__name__
    res.total_s = time.perf_counter() - start
    return res


def _client() -> httpx.AsyncClient:
    limits = httpx.Limits(max_connections=512, max_keepalive_connections=64)
    return httpx.AsyncClient(timeout=httpx.Timeout(600.0), limits=limits)


async def burst(url: str, prompts: list[Prompt], max_tokens: int, spread_s: float) -> list[Result]:
    """All requests at once (``spread_s`` 0) or at seeded random offsets within it."""
    rng = random.Random(11)
    offsets = (
        sorted(rng.uniform(0, spread_s) for _ in prompts) if spread_s > 0 else [0.0] * len(prompts)
    )
    async with _client() as client:
        t0 = time.perf_counter()

        async def one(p: Prompt, at: float) -> Result:
            await asyncio.sleep(at)
            return await chat(client, url, p, max_tokens, t0)

        return list(
            await asyncio.gather(*(one(p, at) for p, at in zip(prompts, offsets, strict=True)))
        )


@dataclass
class Steady:
    results: list[Result]
    states: list[tuple[float, str]]
    """(seconds since start, load.state) from the 5 Hz poll."""
    window_s: float
    polls_failed: int = 0
    transitions: list[tuple[float, str, str]] = field(default_factory=list)


POLL_BODY = {"model": "auto", "messages": [{"role": "user", "content": "hello"}]}


async def steady(
    url: str, prompts: list[Prompt], rate: float, duration_s: float, max_tokens: int, poll_hz: float
) -> Steady:
    """Constant arrival rate for ``duration_s`` while polling ``/v1/route``; then drain."""
    n = max(1, int(rate * duration_s))
    states: list[tuple[float, str]] = []
    failed = 0
    stop = asyncio.Event()
    async with _client() as client:
        t0 = time.perf_counter()

        async def poll() -> None:
            nonlocal failed
            period = 1.0 / poll_hz
            k = 0
            while not stop.is_set():
                try:
                    r = await client.post(url + "/v1/route", json=POLL_BODY, timeout=10)
                    states.append((time.perf_counter() - t0, r.json()["load"]["state"]))
                except (httpx.HTTPError, KeyError, TypeError, ValueError):
                    failed += 1
                k += 1
                await asyncio.sleep(max(0.0, t0 + k * period - time.perf_counter()))

        async def one(i: int) -> Result:
            await asyncio.sleep(max(0.0, t0 + i / rate - time.perf_counter()))
            return await chat(client, url, prompts[i % len(prompts)], max_tokens, t0)

        poller = asyncio.create_task(poll())
        try:
            # The poll covers the arrival window only: the drain afterwards is not steady load.
            window = asyncio.create_task(asyncio.sleep(duration_s))
            tasks = [asyncio.create_task(one(i)) for i in range(n)]
            await window
            stop.set()
            await poller
            results = list(await asyncio.gather(*tasks))
        finally:
            stop.set()
            poller.cancel()
    out = Steady(results, states, duration_s, failed)
    for (_, a), (t, b) in itertools.pairwise(states):
        if a != b:
            out.transitions.append((t, a, b))
    return out


# -- checks and tables ----------------------------------------------------------------------
async def classify(url: str, prompts: list[Prompt]) -> list[dict[str, Any]]:
    async with _client() as client:
        out = []
        for p in prompts:
            body = {"model": "auto", "messages": [{"role": "user", "content": p.text}]}
            r = await client.post(url + "/v1/route", json=body)
            r.raise_for_status()
            out.append(r.json())
        return out


def leaks(prompts: list[Prompt], verdicts: list[dict[str, Any]], received: str) -> list[str]:
    """Descriptions (never the values) of sensitive material found in ``received``."""
    found = []
    low = received.lower()
    for i, (p, v) in enumerate(zip(prompts, verdicts, strict=True)):
        if not (p.sensitive or v.get("sensitive")):
            continue
        needles = [("prompt text", p.text), *(("planted value", x) for x in p.planted)]
        needles += [
            (f"detected {e['type']}", p.text[e["start"] : e["end"]])
            for e in v.get("entities", [])
            if e["end"] - e["start"] >= 4
        ]
        for what, needle in needles:
            if needle.lower() in low:
                found.append(f"prompt #{i}: {what}")
    return found


def pct(values: list[float], q: float) -> float | None:
    if not values:
        return None
    s = sorted(values)
    return s[min(len(s) - 1, round(q * (len(s) - 1)))]


def fmt_s(x: float | None) -> str:
    return "-" if x is None else f"{x:.2f}"


def latency_rows(label: str, results: list[Result]) -> list[str]:
    rows = []
    for cls, sel in (
        ("all", results),
        ("sensitive", [r for r in results if r.prompt.sensitive]),
        ("non-sensitive", [r for r in results if not r.prompt.sensitive]),
    ):
        ok = [r.total_s for r in sel if r.status == 200 and r.error is None]
        ttft = [r.ttft_s for r in sel if r.status == 200 and r.ttft_s is not None]
        routes = Counter(r.route for r in sel if r.status == 200)
        bad = sum(1 for r in sel if r.status != 200 or r.error)
        rows.append(
            f"| {label} | {cls} | {len(sel)} | {fmt_s(pct(ok, 0.5))} | {fmt_s(pct(ok, 0.95))} "
            f"| {fmt_s(max(ok, default=None))} | {fmt_s(pct(ttft, 0.5))} "
            f"| {fmt_s(pct(ttft, 0.95))} "
            f"| {routes.get('local', 0)} | {routes.get('cloud', 0)} | {bad} |"
        )
    return rows


def print_burst(modes: dict[str, list[Result]]) -> None:
    print(
        "| mode | class | requests | p50 (s) | p95 (s) | max (s) | TTFT p50 (s) | TTFT p95 (s) "
        "| local | cloud | 503/errors |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for label, results in modes.items():
        for row in latency_rows(label, results):
            print(row)


def print_steady(label: str, s: Steady, settings: LoadSettings) -> None:
    per_min = len(s.transitions) / (s.window_s / 60)
    share = Counter(st for _, st in s.states)
    total = max(1, len(s.states))
    ok = [r.total_s for r in s.results if r.status == 200 and r.error is None]
    routes = Counter(r.route for r in s.results if r.status == 200)
    bad = sum(1 for r in s.results if r.status != 200 or r.error)
    in_state = " / ".join(f"{share.get(k, 0) / total:.0%}" for k in ("normal", "busy", "saturated"))
    print(
        f"| {label} | {settings.sample_interval_s:g} / {settings.enter_after_s:g} / "
        f"{settings.min_dwell_s:g} | {settings.queue_busy_enter}->{settings.queue_busy_exit}, "
        f"{settings.queue_saturated_enter}->{settings.queue_saturated_exit} "
        f"| {len(s.transitions)} | {per_min:.1f} | {in_state} | {len(s.results)} "
        f"| {routes.get('local', 0)} / {routes.get('cloud', 0)} / {bad} | {fmt_s(pct(ok, 0.5))} "
        f"| {fmt_s(pct(ok, 0.95))} |"
    )


def timeline(s: Steady) -> str:
    if not s.states:
        return "(no samples)"
    parts = []
    start_t, cur = s.states[0]
    for t, st in s.states[1:]:
        if st != cur:
            parts.append(f"{cur} {start_t:.1f}-{t:.1f}s")
            start_t, cur = t, st
    parts.append(f"{cur} {start_t:.1f}-{s.states[-1][0]:.1f}s")
    return ", ".join(parts)


def parse_overrides(items: list[str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for item in items:
        key, _, value = item.partition("=")
        out[key.strip()] = yaml.safe_load(value)
    LoadSettings(**out)  # fail here, not in the daemon, on a bad key or value
    return out


NO_HYSTERESIS: dict[str, Any] = {
    # Every latch one step wide and no time filter: what the state machine would do
    # if it followed the raw signals.
    "enter_after_s": 0,
    "min_dwell_s": 0,
    "queue_busy_enter": 2,
    "queue_busy_exit": 1,
    "queue_saturated_enter": 6,
    "queue_saturated_exit": 5,
    "cpu_busy_enter_pct": 90,
    "cpu_busy_exit_pct": 89.9,
    "cloud_margin": 0.5,
    "cloud_exit_margin": 0.499,
}


# -- main -----------------------------------------------------------------------------------
def parse_args() -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--requests", type=int, default=32, help="burst size (default 32)")
    ap.add_argument("--sensitive-share", type=float, default=0.35, help="default 0.35")
    ap.add_argument("--max-tokens", type=int, default=48, help="per request (default 48)")
    ap.add_argument(
        "--spread-s", type=float, default=0.0,
        help="burst arrivals spread uniformly over this many seconds (default 0: all at once)",
    )  # fmt: skip
    ap.add_argument("--cloud-first-byte-s", type=float, default=0.5, help="fake cloud TTFB (0.5)")
    ap.add_argument(
        "--cloud-word-s", type=float, default=0.03,
        help="fake cloud delay between streamed words (default 0.03, ~33 words/s)",
    )  # fmt: skip
    ap.add_argument(
        "--load", action="append", default=[], metavar="KEY=VALUE",
        help="load: setting for every daemon (repeatable), e.g. --load enter_after_s=1",
    )  # fmt: skip
    ap.add_argument("--steady-s", type=float, default=45.0, help="steady run length (default 45)")
    ap.add_argument(
        "--steady-rate", type=float, default=None,
        help="requests/s in the steady run (default: 1.3 x local throughput of the burst)",
    )  # fmt: skip
    ap.add_argument("--skip-steady", action="store_true")
    ap.add_argument("--no-contrast", action="store_true", help="skip the no-hysteresis run")
    ap.add_argument("--seed", type=int, default=5)
    ap.add_argument("--keep-tmp", action="store_true", help="keep configs, logs, audit db")
    return ap.parse_args()


def main() -> int:
    args = parse_args()
    load = parse_overrides(args.load)
    rng = random.Random(args.seed)
    prompts = make_prompts(args.requests, args.sensitive_share, rng)
    # Enough queue for the whole burst: the comparison is about waiting, not refusals
    # (a local-only burst beyond local.max_queue would turn into 503s).
    local = {"max_queue": max(16, args.requests + 8), "queue_timeout_s": 300}

    fake_app, control = make_fake_provider()

    def fresh_cloud() -> None:
        control.reset()
        control.first_byte_delay_s = args.cloud_first_byte_s
        control.chunk_delay_s = args.cloud_word_s

    tmp = Path(tempfile.mkdtemp(prefix="offload-bench-"))
    failures: list[str] = []
    modes: dict[str, list[Result]] = {}
    steady_runs: list[tuple[str, Steady, LoadSettings]] = []
    started = time.monotonic()
    args.loadavg_start = os.getloadavg()[0]
    print(
        f"burst of {len(prompts)} ({sum(p.sensitive for p in prompts)} sensitive), then "
        + ("no steady run" if args.skip_steady else f"steady runs of {args.steady_s:g} s")
        + f"; temp dir {tmp}",
        file=sys.stderr,
    )
    try:
        with serve(fake_app) as cloud_url:
            fresh_cloud()
            common: dict[str, Any] = {"load": load, "local": local}
            with daemon(tmp, "local-only", cloud_url, offline=True, **common) as d:
                modes["local-only"] = asyncio.run(
                    burst(d.url, prompts, args.max_tokens, args.spread_s)
                )
                # After the burst, so that the burst itself met a cold scanner cache.
                verdicts = asyncio.run(classify(d.url, prompts))
            if control.request_count:
                failures.append(f"offline daemon sent {control.request_count} requests upstream")
            fresh_cloud()
            with daemon(tmp, "offload", cloud_url, offline=False, **common) as d:
                modes["offload"] = asyncio.run(
                    burst(d.url, prompts, args.max_tokens, args.spread_s)
                )
            failures += leaks(prompts, verdicts, json.dumps(control.received))
            rate = args.steady_rate or steady_rate(modes["local-only"])
            if not args.skip_steady:
                configs = [("hysteresis (configured)", load)]
                if not args.no_contrast:
                    configs.append(("no hysteresis", {**load, **NO_HYSTERESIS}))
                for i, (label, cfg) in enumerate(configs):
                    fresh_cloud()
                    with daemon(
                        tmp, f"steady{i}", cloud_url, offline=False, load=cfg, local=local
                    ) as d:
                        st = asyncio.run(
                            steady(d.url, prompts, rate, args.steady_s, args.max_tokens, 5.0)
                        )
                    failures += leaks(prompts, verdicts, json.dumps(control.received))
                    steady_runs.append((label, st, LoadSettings(**cfg)))
    finally:
        if args.keep_tmp:
            print(f"kept {tmp}", file=sys.stderr)
        else:
            shutil.rmtree(tmp, ignore_errors=True)

    report(args, prompts, verdicts, modes, LoadSettings(**load), steady_runs, rate, failures)
    print(f"\n(total run time {time.monotonic() - started:.0f} s)")
    return 1 if failures else 0


def steady_rate(local_only: list[Result]) -> float:
    """1.3x what the local tier alone completed per second in the burst."""
    done = [r for r in local_only if r.status == 200]
    span = max((r.sent_at + r.total_s for r in done), default=1.0)
    return 1.3 * len(done) / span


def ok_latencies(results: list[Result]) -> list[float]:
    return [r.total_s for r in results if r.status == 200 and r.error is None]


def report(
    args: argparse.Namespace,
    prompts: list[Prompt],
    verdicts: list[dict[str, Any]],
    modes: dict[str, list[Result]],
    settings: LoadSettings,
    steady_runs: list[tuple[str, Steady, LoadSettings]],
    rate: float,
    failures: list[str],
) -> None:
    n_sens = sum(p.sensitive for p in prompts)
    agree = sum(
        p.sensitive == bool(v.get("sensitive")) for p, v in zip(prompts, verdicts, strict=True)
    )
    arrival = f"spread over {args.spread_s:g} s" if args.spread_s else "all sent at once"
    print(
        f"### Burst: {len(prompts)} concurrent streaming requests ({arrival}), "
        f"{n_sens} sensitive, max_tokens {args.max_tokens}\n"
    )
    print(
        f"Fake cloud on 127.0.0.1: first byte after {args.cloud_first_byte_s:g} s, then one word "
        f"every {args.cloud_word_s * 1000:g} ms (it echoes the prompt). The scanner agrees with "
        f"the bench's sensitive/ordinary labels on {agree}/{len(prompts)} prompts. Load: sample "
        f"every {settings.sample_interval_s:g} s, enter after {settings.enter_after_s:g} s, "
        f"dwell {settings.min_dwell_s:g} s, queue busy {settings.queue_busy_enter}->"
        f"{settings.queue_busy_exit}, saturated {settings.queue_saturated_enter}->"
        f"{settings.queue_saturated_exit}. Latency: request sent to last byte; 503s and errors "
        f"are counted, not timed.\n"
    )
    print_burst(modes)
    done = [r for r in modes["local-only"] if r.status == 200]
    span = max((r.sent_at + r.total_s for r in done), default=0.0)
    print(
        f"\nMachine check: local-only served {len(done) / span if span else 0:.2f} requests/s; "
        f"1-min load average {args.loadavg_start:.1f} at start, {os.getloadavg()[0]:.1f} at end "
        f"on {os.cpu_count()} CPUs (above the CPU count, other work was competing: numbers "
        f"are noisy)."
    )
    p_loc = pct(ok_latencies(modes["local-only"]), 0.95)
    print()
    for label, results in modes.items():
        if label == "local-only":
            continue
        p_off = pct(ok_latencies(results), 0.95)
        if p_off is not None and p_loc:
            ratio = p_off / p_loc
            verdict = "met" if ratio <= 0.5 else "NOT met"
            print(f"- {label}: p95 / p95 local-only = **{ratio:.2f}** (target <= 0.5: {verdict})")
        sens_cloud = sum(1 for r in results if r.prompt.sensitive and r.route == "cloud")
        kept = sum(1 for r in results if not r.prompt.sensitive and r.route == "local")
        first = min((r.sent_at for r in results if r.route == "cloud"), default=None)
        loads = dict(Counter(r.load for r in results))
        why = dict(
            Counter(
                next((x for x in r.reasons.split(",") if x.startswith("auto:")), "policy rule")
                for r in results
                if r.status == 200
            )
        )
        print(
            f"  sensitive routed to the cloud: **{sens_cloud}** (target 0); non-sensitive kept "
            f"local: {kept}; load state at decision: {loads}; decided by: {why}; first "
            f"offloaded request sent at {'-' if first is None else f'{first:.2f} s'}"
        )
    print(
        f"- sensitive material in bodies the fake cloud received (all runs): "
        f"**{len(failures)}** (target 0)"
    )

    if steady_runs:
        print(
            f"\n### Steady load: {rate:.2f} requests/s for {args.steady_s:g} s, same mix, "
            f"`load.state` from `POST /v1/route` polled at 5 Hz\n"
        )
        print(
            "| run | sample / enter_after / dwell (s) | queue busy, saturated (enter->exit) "
            "| transitions | per minute | time normal / busy / saturated | requests "
            "| local / cloud / 503 | p50 (s) | p95 (s) |"
        )
        print("|---|---|---|---|---|---|---|---|---|---|")
        for label, st, s in steady_runs:
            print_steady(label, st, s)
        print()
        for label, st, _ in steady_runs:
            polls = f" ({st.polls_failed} polls failed)" if st.polls_failed else ""
            print(f"- {label}: {timeline(st)}{polls}")
    if failures:
        print("\nFAILED:", *failures, sep="\n  ")


if __name__ == "__main__":
    sys.exit(main())
