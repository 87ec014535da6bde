"""Router overhead on the cloud path: edge-router and LiteLLM's proxy vs the provider direct.

Servers on 127.0.0.1, all started by this script in one run:

* the fake OpenAI-compatible provider of the tests (``tests/fake_provider.py``), in
  its own uvicorn process, no artificial delay;
* edge-router as a real ``edge-router serve --config <tmp>`` process, with that fake
  as its only provider and a policy whose default is ``cloud`` (everything goes to
  the provider after the PII scan), the audit log in a temp dir (on, as by default:
  each answer waits for its fsynced audit record);
* LiteLLM's proxy twice (``litellm --config <tmp> --num_workers 1``), from its own
  venv, ``bench/.venv-litellm`` (created here on first use; its dependencies never
  touch ours), with one model pointing at the same fake (``api_base``), run offline:
  once plain (no PII check at all), once with its ``presidio`` guardrail on every
  request (``mode: pre_call``, ``default_on``), which sends each message to a Presidio
  analyzer (and, when it finds something, anonymizer) over HTTP;
* that Presidio service: ``bench/presidio_server.py`` (Presidio's docker API shapes,
  stock ``AnalyzerEngine`` from our venv on the same spaCy model as our scanner).

Each target gets the same non-streaming chat completions (a ~50-token prompt, unique
per request, so neither our scan cache nor anything else can answer from memory;
``max_tokens`` 64) from closed-loop async clients, at each concurrency level; targets
are interleaved in rounds (the order rotates every round) so machine noise hits all of
them alike. Latency is client-side, request sent to body read.

The target (issues 5 and 19): edge-router's added latency, **total** (a fresh PII scan
on every request), below that of LiteLLM with its Presidio guardrail, at p50 and p99
and at every concurrency level: two routers that both look for PII. Plain LiteLLM is
shown for scale. "Scan cached" (the same daemon re-sent prompts it has already
scanned, so the scanner answers from its cache) is diagnosis only: everything but PII
detection, under the same load.

    .venv/bin/python bench/proxy_overhead.py                      # defaults below
    .venv/bin/python bench/proxy_overhead.py --requests 600 --concurrency 1,32

LiteLLM runs offline with LITELLM_LOCAL_MODEL_COST_MAP=True (use the bundled model
cost map instead of fetching it), LITELLM_TELEMETRY=False / telemetry: false, and
LITELLM_LOG=ERROR plus a uvicorn log config without access logs; no master key on
either proxy (LITELLM_DANGEROUSLY_PERMIT_WEAK_OR_UNSET_MASTER_KEY=true), as edge-router
runs without API keys on loopback by default. The bench checks that the guardrail
really called Presidio once per message it was sent, and fails otherwise.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import random
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from serving import free_port  # noqa: E402

LITELLM_VERSION = "1.104.0"
"""Pinned. (Newer releases need certifi>=2026.10.19, which this machine's index lacks.)"""
LITELLM_VENV = ROOT / "bench" / ".venv-litellm"
MODEL = "gpt-fake"
MAX_TOKENS = 64
POOL = 64  # pre-scanned prompts for the "scan cached" target
GUARD = "presidio-pii"

LITELLM_ENV = {
    "LITELLM_LOCAL_MODEL_COST_MAP": "True",  # no fetch of the model cost map
    "LITELLM_TELEMETRY": "False",
    "LITELLM_LOG": "ERROR",
    "LITELLM_MODE": "PRODUCTION",  # do not load a .env file
    "DISABLE_ADMIN_UI": "True",
    # No auth on either proxy (edge-router has none on loopback by default); LiteLLM
    # otherwise refuses to start without a master key.
    "LITELLM_DANGEROUSLY_PERMIT_WEAK_OR_UNSET_MASTER_KEY": "true",
    "NO_PROXY": "*",
    "no_proxy": "*",
}

PRESIDIO_MAIN = ROOT / "bench" / "presidio_server.py"

FAKE_MAIN = """
import sys, uvicorn
sys.path.insert(0, {tests!r})
from fake_provider import make_fake_provider
app, _control = make_fake_provider()
uvicorn.run(app, host="127.0.0.1", port={port}, log_config=None, access_log=False)
"""

# Common lowercase words: no names, numbers or places, so the prompts carry no PII.
_WORD_TEXT = (
    "the a of and to in is that it for on with as this by be are from at or an was "
    "have not but what all were when we there can more if no out so said up use how "
    "each which do their time will about many then them write would like these long "
    "make thing see two look more day could go come did number sound most people over "
    "know water than call first who may down side been now find any new work part take "
    "get place made live where after back little only round year came show every good "
    "give under very through just form sentence great think say help low line differ "
    "turn cause much mean before move right boy old too same tell does set three want "
    "air well also play small end put home read hand port large spell add even land "
    "here must big high such follow act why ask change went light kind off need house "
    "picture try again animal point mother world near build self earth father head "
    "stand own page should country found answer school grow study still learn plant "
    "cover food sun four between state keep eye never last let thought tree cross farm "
    "hard start might story saw far sea draw left late run while press close night real "
    "life few north open seem together next white children begin got walk example ease "
    "paper group always music those both mark often letter until mile river car feet "
    "care second book carry took science eat room friend began idea fish mountain stop "
    "once base hear horse cut sure watch colour face wood main enough plain girl usual "
    "young ready above ever red list though feel talk bird soon body dog family direct "
    "pose leave song measure door product black short numeral class wind question happen "
    "complete ship area half rock order fire south problem piece told knew pass since "
    "top whole king space heard best hour better true during hundred remember step early "
    "hold west ground interest reach fast verb sing listen six table travel less morning"
)
WORDS = _WORD_TEXT.split()


# --- prompts ---------------------------------------------------------------------------------


def make_prompts(n: int, rng: random.Random) -> list[str]:
    """``n`` distinct prompts of ~50 tokens (40 plain words after a fixed instruction)."""
    seen: set[str] = set()
    out: list[str] = []
    while len(out) < n:
        words = " ".join(rng.choice(WORDS) for _ in range(40))
        text = f"Summarise these notes in two short sentences: {words}."
        if text not in seen:
            seen.add(text)
            out.append(text)
    return out


def body(prompt: str) -> dict[str, Any]:
    return {
        "model": MODEL,
        "messages": [{"role": "user", "content": prompt}],
        "max_tokens": MAX_TOKENS,
        "temperature": 0,
    }


# --- processes -------------------------------------------------------------------------------


@dataclass
class Proc:
    name: str
    popen: subprocess.Popen[bytes]
    log: Path
    stop_signal: int = signal.SIGTERM

    def tail(self, n: int = 30) -> str:
        try:
            lines = self.log.read_text(errors="replace").splitlines()
        except OSError:
            return ""
        return "\n".join(lines[-n:])

    def stop(self) -> None:
        if self.popen.poll() is None:
            self.popen.send_signal(self.stop_signal)
            try:
                self.popen.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait(timeout=10)


def spawn(name: str, argv: list[str], env: dict[str, str], tmp: Path) -> Proc:
    log = tmp / f"{name}.log"
    with log.open("wb") as fh:
        popen = subprocess.Popen(
            argv, env=env, stdout=fh, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            cwd=tmp, start_new_session=True,
        )  # fmt: skip
    return Proc(name, popen, log)


def ensure_litellm(venv: Path) -> Path:
    """The ``litellm`` CLI of the separate venv, installing the pinned version if needed."""
    exe = venv / "bin" / "litellm"
    py = venv / "bin" / "python"
    if exe.exists():
        got = subprocess.run(
            [str(py), "-c", "import importlib.metadata as m; print(m.version('litellm'))"],
            capture_output=True, text=True, check=False,
        ).stdout.strip()  # fmt: skip
        if got == LITELLM_VERSION:
            return exe
        print(f"[setup] {venv} has litellm {got or 'missing'}; installing {LITELLM_VERSION}")
    if not py.exists():
        print(f"[setup] creating venv {venv}", flush=True)
        subprocess.run(["python3", "-m", "venv", str(venv)], check=True)
    print(f"[setup] pip install 'litellm[proxy]=={LITELLM_VERSION}' (a few minutes)", flush=True)
    subprocess.run(
        [str(py), "-m", "pip", "install", "--progress-bar", "off",
         f"litellm[proxy]=={LITELLM_VERSION}"],
        check=True,
    )  # fmt: skip
    return exe


def write_configs(
    tmp: Path, fake_port: int, er_port: int, presidio_port: int, *, audit: bool = True
) -> tuple[Path, Path, Path, Path]:
    policies = tmp / "policies"
    policies.mkdir()
    (policies / "cloud-all.yaml").write_text("name: cloud-all\ndefault: cloud\n")
    er_cfg = tmp / "edge-router.yaml"
    er_cfg.write_text(
        json.dumps(  # JSON is YAML
            {
                "server": {"host": "127.0.0.1", "port": er_port, "log_level": "warning"},
                "policy": {"dir": str(policies), "default": "cloud-all"},
                "audit": {"enabled": audit, "path": str(tmp / "audit" / "audit.sqlite")},
                "providers": [
                    {
                        "name": "fake",
                        "kind": "openai_compatible",
                        "base_url": f"http://127.0.0.1:{fake_port}/v1",
                        "models": [MODEL],
                        "default_model": MODEL,
                        "max_connections": 64,
                    }
                ],
            },
            indent=2,
        )
    )
    ll_settings: dict[str, Any] = {
        "model_list": [
            {
                "model_name": MODEL,
                "litellm_params": {
                    "model": f"openai/{MODEL}",
                    "api_base": f"http://127.0.0.1:{fake_port}/v1",
                    "api_key": "unused",
                },
            }
        ],
        "litellm_settings": {
            "telemetry": False,
            "set_verbose": False,
            "json_logs": False,
            "turn_off_message_logging": True,
            "drop_params": True,
        },
    }
    ll_cfg = tmp / "litellm.yaml"
    ll_cfg.write_text(json.dumps(ll_settings, indent=2))
    presidio = f"http://127.0.0.1:{presidio_port}/"
    guarded = {
        **ll_settings,
        "guardrails": [
            {
                "guardrail_name": GUARD,
                "litellm_params": {
                    "guardrail": "presidio",
                    "mode": "pre_call",  # before the provider sees the request, as ours
                    "default_on": True,  # every request, without the client asking
                    "presidio_analyzer_api_base": presidio,
                    "presidio_anonymizer_api_base": presidio,
                    "presidio_language": "en",
                },
            }
        ],
    }
    ll_guard_cfg = tmp / "litellm-presidio.yaml"
    ll_guard_cfg.write_text(json.dumps(guarded, indent=2))
    ll_log = tmp / "litellm-logging.json"
    ll_log.write_text(
        json.dumps(
            {
                "version": 1,
                "disable_existing_loggers": False,
                "handlers": {"err": {"class": "logging.StreamHandler", "level": "WARNING"}},
                "loggers": {
                    "uvicorn": {"handlers": ["err"], "level": "WARNING", "propagate": False},
                    "uvicorn.error": {"level": "WARNING"},
                    "uvicorn.access": {"handlers": [], "level": "ERROR", "propagate": False},
                },
            }
        )
    )
    return er_cfg, ll_cfg, ll_guard_cfg, ll_log


def wait_ready(proc: Proc, check: Callable[[], bool], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.popen.poll() is not None:
            raise RuntimeError(f"{proc.name} exited ({proc.popen.returncode}):\n{proc.tail()}")
        try:
            if check():
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.25)
    raise RuntimeError(f"{proc.name} not ready after {timeout:.0f}s:\n{proc.tail()}")


def chat_ok(url: str, route: str | None = None) -> Callable[[], bool]:
    def check() -> bool:
        r = httpx.post(url + "/v1/chat/completions", json=body("ready?"), timeout=10)
        return r.status_code == 200 and (
            route is None or r.headers.get("x-edge-router-route") == route
        )

    return check


# --- load ------------------------------------------------------------------------------------


@dataclass
class Target:
    name: str
    url: str
    route: str | None = None  # expected x-edge-router-route
    pool: list[str] | None = None  # reuse these prompts instead of the fresh ones
    lat: dict[int, list[float]] = field(default_factory=dict)
    errors: dict[int, int] = field(default_factory=dict)
    busy_s: dict[int, float] = field(default_factory=dict)
    rounds: dict[int, list[list[float]]] = field(default_factory=dict)
    last_error: str = ""


async def run_batch(
    client: httpx.AsyncClient, t: Target, prompts: list[str], conc: int, out: list[float]
) -> int:
    """Closed loop: ``conc`` workers send ``prompts`` one request at a time each."""
    it = iter(prompts)
    errors = 0

    async def worker() -> None:
        nonlocal errors
        for prompt in it:
            payload = body(prompt)
            t0 = time.perf_counter()
            try:
                r = await client.post(t.url + "/v1/chat/completions", json=payload)
                await r.aread()
                dt = time.perf_counter() - t0
                ok = r.status_code == 200 and (
                    t.route is None or r.headers.get("x-edge-router-route") == t.route
                )
                if ok:
                    ok = bool(r.json()["choices"][0]["message"]["content"])
                if not ok:
                    t.last_error = f"{r.status_code} {r.text[:200]}"
            except (httpx.HTTPError, ValueError, KeyError, IndexError) as exc:
                ok = False
                t.last_error = f"{type(exc).__name__}: {exc}"
            if ok:
                out.append(dt)
            else:
                errors += 1

    await asyncio.gather(*(worker() for _ in range(conc)))
    return errors


def new_client(conc: int) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        limits=httpx.Limits(
            max_connections=conc, max_keepalive_connections=conc, keepalive_expiry=4.0
        ),
        timeout=httpx.Timeout(60.0),
        trust_env=False,
    )


async def run_level(
    targets: list[Target], conc: int, fresh: list[str], warm: list[str], rounds: int
) -> None:
    # One pooled keep-alive client per target at this level (separate pools, so one
    # target's idle connections never cost another a reconnect).
    clients = {t.name: new_client(conc) for t in targets}
    try:
        for t in targets:  # warm-up: fill the pool, JIT-free but caches, lazy imports
            await run_batch(clients[t.name], t, t.pool or warm, conc, [])
            await run_batch(clients[t.name], t, warm, conc, [])
            t.lat[conc], t.errors[conc], t.busy_s[conc], t.rounds[conc] = [], 0, 0.0, []
        # Rounds of at least 4 x conc requests, so the closed loop stays mostly full.
        per = max(-(-len(fresh) // rounds), 4 * conc)
        for r in range(rounds):
            chunk = fresh[r * per : (r + 1) * per]
            if not chunk:
                break
            order = targets[r % len(targets) :] + targets[: r % len(targets)]
            for t in order:
                prompts = chunk
                if t.pool is not None:
                    prompts = [t.pool[(r * per + i) % len(t.pool)] for i in range(len(chunk))]
                got: list[float] = []
                t0 = time.perf_counter()
                t.errors[conc] += await run_batch(clients[t.name], t, prompts, conc, got)
                t.busy_s[conc] += time.perf_counter() - t0
                t.lat[conc].extend(got)
                t.rounds[conc].append(got)
    finally:
        for c in clients.values():
            await c.aclose()


# --- report ----------------------------------------------------------------------------------


def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[round(q * 100) - 1]


def ms(x: float) -> str:
    return f"{x * 1000:.2f}"


def added(t: Target, direct: Target, c: int) -> tuple[float, float, float, float]:
    """Added latency vs the provider direct: pooled p50 and p99 differences, and the
    medians over rounds of the per-round p50 and p99 differences (paired: same round,
    same prompts, back to back, so machine drift cancels)."""
    v = t.lat[c]
    return (
        pct(v, 0.5) - pct(direct.lat[c], 0.5),
        pct(v, 0.99) - pct(direct.lat[c], 0.99),
        paired_median(t, direct, c, 0.5),
        paired_median(t, direct, c, 0.99),
    )


def round_diffs(a: Target, b: Target, c: int, q: float) -> list[float]:
    """Per-round differences of the ``q`` percentile, ``a`` minus ``b``."""
    return [pct(x, q) - pct(y, q) for x, y in zip(a.rounds[c], b.rounds[c], strict=False)]


def paired_median(a: Target, b: Target, c: int, q: float) -> float:
    d = round_diffs(a, b, c, q)
    return statistics.median(d) if d else float("nan")


def judge(er: Target, guard: Target, c: int, q: float) -> tuple[bool, float, int, int]:
    """Is edge-router below LiteLLM + Presidio at percentile ``q``?

    Judged on the paired per-round differences between the two routers, never on a
    difference of pooled percentiles (two noisy tails subtracted can come out negative
    for either side by chance). Met when the median per-round difference is below zero
    and edge-router is faster in a strict majority of rounds (a sign test's direction).
    Returns (met, median difference, rounds faster, rounds)."""
    d = round_diffs(er, guard, c, q)
    faster = sum(x < 0 for x in d)
    med = statistics.median(d) if d else float("nan")
    return (bool(d) and med < 0 and faster * 2 > len(d)), med, faster, len(d)


def report(targets: list[Target], levels: list[int]) -> bool:
    """Print the tables; True when the target is met at every level and percentile."""
    direct, er, cached, ll, guard = targets
    met_all = True
    for c in levels:
        print(f"\n#### Concurrency {c}\n")
        print("| target | requests | p50 ms | p99 ms | mean ms | req/s | errors |")
        print("|---|---:|---:|---:|---:|---:|---:|")
        for t in targets:
            v = t.lat[c]
            rps = len(v) / t.busy_s[c] if t.busy_s[c] else float("nan")
            mean = ms(statistics.fmean(v)) if v else "nan"
            print(
                f"| {t.name} | {len(v)} | {ms(pct(v, 0.5))} | {ms(pct(v, 0.99))} "
                f"| {mean} | {rps:.0f} | {t.errors[c]} |"
            )
        print(
            "\n| added latency vs direct | p50 ms | p99 ms "
            "| p50, paired per round ms | p99, paired per round ms |"
        )
        print("|---|---:|---:|---:|---:|")
        rows = [
            ("edge-router, total (fresh PII scan on every request)", er),
            (f"LiteLLM {LITELLM_VERSION} + Presidio guardrail", guard),
            (f"LiteLLM {LITELLM_VERSION}, no PII check", ll),
            ("edge-router, scan answered from cache (diagnosis)", cached),
        ]
        for label, t in rows:
            a50, a99, p50r, p99r = added(t, direct, c)
            print(f"| {label} | {ms(a50)} | {ms(a99)} | {ms(p50r)} | {ms(p99r)} |")
        verdicts = []
        for name, q in (("p50", 0.5), ("p99", 0.99)):
            ok, med, faster, n = judge(er, guard, c, q)
            met_all = met_all and ok
            verdicts.append(
                f"{name} {ms(med)} ms per round, faster in {faster}/{n} rounds "
                f"({'met' if ok else 'NOT met'})"
            )
        print(
            f"\nconcurrency {c}: edge-router total minus LiteLLM + Presidio, paired: "
            + "; ".join(verdicts)
        )
    print(
        f"\ntarget (total below LiteLLM + Presidio everywhere): {'met' if met_all else 'NOT met'}"
    )
    return met_all


def presidio_calls(url: str) -> int:
    return int(httpx.get(url + "/stats", timeout=10).json()["analyze"])


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument(
        "--requests", type=int, default=500, help="measured requests per target per level"
    )
    ap.add_argument("--concurrency", default="1,32", help="comma-separated levels")
    ap.add_argument("--rounds", type=int, default=10, help="interleaving rounds per level")
    ap.add_argument("--warmup", type=int, default=64, help="warm-up requests per target per level")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--litellm-venv", type=Path, default=LITELLM_VENV)
    ap.add_argument(
        "--profile-daemon",
        type=Path,
        default=None,
        help="run edge-router under cProfile (event-loop thread) and write stats here",
    )
    ap.add_argument(
        "--no-audit",
        action="store_true",
        help="run edge-router with its audit log off (diagnosis; default is on)",
    )
    ap.add_argument("--keep-tmp", action="store_true", help="keep configs and server logs")
    args = ap.parse_args()
    levels = [int(x) for x in args.concurrency.split(",") if x.strip()]

    litellm = ensure_litellm(args.litellm_venv)
    rng = random.Random(args.seed)
    pool = make_prompts(POOL, rng)
    per_level = {
        c: (make_prompts(args.warmup, rng), make_prompts(args.requests, rng)) for c in levels
    }
    # Unique across levels too: no prompt is ever sent twice to the fresh-scan target.
    every = [p for w, f in per_level.values() for p in (*w, *f)]
    assert len(set(every)) == len(every) and not set(every) & set(pool)
    tmp = Path(tempfile.mkdtemp(prefix="proxy-overhead-"))
    fake_port, er_port, ll_port, lg_port, pr_port = (free_port() for _ in range(5))
    er_cfg, ll_cfg, lg_cfg, ll_log = write_configs(
        tmp, fake_port, er_port, pr_port, audit=not args.no_audit
    )
    base_env = {k: v for k, v in os.environ.items() if not k.lower().endswith("_proxy")}
    base_env.update({"NO_PROXY": "*", "no_proxy": "*", "PYTHONUNBUFFERED": "1"})
    procs: list[Proc] = []
    t_start = time.monotonic()
    try:
        fake_code = FAKE_MAIN.format(tests=str(ROOT / "tests"), port=fake_port)
        fake = spawn("fake", [sys.executable, "-c", fake_code], base_env, tmp)
        procs.append(fake)
        presidio = spawn(
            "presidio", [sys.executable, str(PRESIDIO_MAIN), "--port", str(pr_port)],
            {**base_env, "PYTHONPATH": str(ROOT)}, tmp,
        )  # fmt: skip
        procs.append(presidio)
        er_argv = [sys.executable, "-m", "edge_router.cli", "serve", "--config", str(er_cfg)]
        if args.profile_daemon:
            er_argv[1:1] = ["-m", "cProfile", "-o", str(args.profile_daemon.resolve())]
        er_env = {**base_env, "PYTHONPATH": str(ROOT)}
        er_env.pop("EDGE_ROUTER_CONFIG", None)
        er_env.pop("EDGE_ROUTER_PORT", None)
        er_env.pop("EDGE_ROUTER_HOST", None)
        er = spawn("edge-router", er_argv, er_env, tmp)
        # uvicorn re-raises a caught SIGTERM after shutdown, killing the process before
        # cProfile writes; a re-raised SIGINT is a KeyboardInterrupt, which lets it write.
        er.stop_signal = signal.SIGINT if args.profile_daemon else signal.SIGTERM
        procs.append(er)
        lls = []
        for name, cfg, port in (
            ("litellm", ll_cfg, ll_port),
            ("litellm-presidio", lg_cfg, lg_port),
        ):
            proc = spawn(
                name,
                [str(litellm), "--config", str(cfg), "--host", "127.0.0.1", "--port", str(port),
                 "--num_workers", "1", "--log_config", str(ll_log)],
                {**base_env, **LITELLM_ENV}, tmp,
            )  # fmt: skip
            procs.append(proc)
            lls.append(proc)
        print(
            "[setup] starting fake provider, Presidio, edge-router and LiteLLM x2 ...", flush=True
        )
        furl, eurl, lurl, gurl, purl = (
            f"http://127.0.0.1:{p}" for p in (fake_port, er_port, ll_port, lg_port, pr_port)
        )
        wait_ready(fake, chat_ok(furl), 60)
        wait_ready(presidio, lambda: httpx.get(purl + "/health", timeout=5).is_success, 300)
        wait_ready(er, chat_ok(eurl, "cloud"), 300)
        wait_ready(lls[0], chat_ok(lurl), 300)
        wait_ready(lls[1], chat_ok(gurl), 300)
        if presidio_calls(purl) < 1:
            raise RuntimeError("LiteLLM's Presidio guardrail did not call Presidio")
        print(f"[setup] all ready after {time.monotonic() - t_start:.0f}s", flush=True)
        targets = [
            Target("direct (fake provider)", furl),
            Target("edge-router", eurl, route="cloud"),
            Target("edge-router, scan cached", eurl, route="cloud", pool=pool),
            Target(f"LiteLLM {LITELLM_VERSION}", lurl),
            Target(f"LiteLLM {LITELLM_VERSION} + Presidio", gurl),
        ]
        load_before = os.getloadavg()
        for c in levels:
            t0 = time.monotonic()
            warm, fresh = per_level[c]
            before = presidio_calls(purl)
            asyncio.run(run_level(targets, c, fresh, warm, args.rounds))
            sent = len(targets[4].lat[c]) + targets[4].errors[c]
            analysed = presidio_calls(purl) - before
            # One user message per request: one /analyze call each (warm-up included).
            if analysed < sent:
                raise RuntimeError(f"Presidio analysed {analysed} of {sent} guarded requests")
            print(f"[run] concurrency {c} done in {time.monotonic() - t0:.0f}s", flush=True)
        load_after = os.getloadavg()
        for t in targets:
            if t.last_error:
                print(f"[warn] {t.name}: last error: {t.last_error}")
    except BaseException:
        for p in procs:
            if p.popen.poll() is not None:
                print(f"--- {p.name} log ---\n{p.tail()}", file=sys.stderr)
        raise
    finally:
        for p in reversed(procs):
            p.stop()
        if not args.keep_tmp:
            shutil.rmtree(tmp, ignore_errors=True)
        else:
            print(f"[info] configs and logs kept in {tmp}")

    print(
        f"\n{platform.python_implementation()} {platform.python_version()}, "
        f"{os.cpu_count()} CPUs, load avg {load_before[0]:.2f} -> {load_after[0]:.2f}; "
        f"{args.requests} requests per target per level in {args.rounds} interleaved rounds, "
        f"non-streaming, ~50-token prompt unique per request, max_tokens {MAX_TOKENS}; "
        f"edge-router audit log {'off' if args.no_audit else 'on (fsync per request)'}; "
        f"total {time.monotonic() - t_start:.0f}s"
    )
    errors = sum(t.errors[c] for t in targets for c in levels)
    met = report(targets, levels)
    if errors:
        print(f"\n{errors} requests failed (see [warn] lines): the figures are not comparable")
        return 1
    return 0 if met else 2


if __name__ == "__main__":
    sys.exit(main())
