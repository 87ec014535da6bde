"""Response cache: latency of a hit against a miss, through the real daemon.

Servers on 127.0.0.1, started by this script: the fake OpenAI-compatible provider of the
tests (``tests/fake_provider.py``) in its own uvicorn process, with a first-byte delay
(``--provider-delay-ms``, one run per value: 0 shows the router's own cost, a few
hundred ms stands for a real cloud model), and edge-router as a real
``edge-router serve --config <tmp>`` process with ``cache.enabled: true``, a policy
whose default is ``cloud``, the audit trail on (``synchronous: full``, as by default:
a hit is audited like any request).

One client, one request at a time, non-streamed and streamed ~50-token prompts, the
kinds interleaved request by request so machine noise hits all alike:

* ``miss, fresh prompt``: a prompt never sent before (a fresh PII scan, the provider, the
  answer stored);
* ``miss, scan cached``: a prompt sent before with ``cache-control: no-cache`` (the
  scanner answers from its cache, the provider is called, the answer stored again);
* ``hit``: that prompt without the header (scan cache, then the answer from memory).

Latency is client-side, request sent to body read (streams: to the last event).

    .venv/bin/python bench/cache_bench.py                      # 0 and 100 ms providers
    .venv/bin/python bench/cache_bench.py --requests 100 --provider-delay-ms 0
    .venv/bin/python bench/cache_bench.py --semantic-probe     # see below

``--semantic-probe`` asks whether semantic matching could be made safe with the local
embedding model (``local.default_embedding_model``): cosine similarity of paraphrases
(the same question: a semantic cache should match them) against near misses that ask
for a different fact (it must never match them). A threshold is safe only if every
near miss scores below every paraphrase it is meant to catch.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from serving import free_port  # noqa: E402

MODEL = "gpt-fake"
FAKE_MAIN = """
import sys, uvicorn
sys.path.insert(0, {tests!r})
from fake_provider import make_fake_provider
app, control = make_fake_provider()
control.first_byte_delay_s = {delay!r}
uvicorn.run(app, host="127.0.0.1", port={port}, log_config=None, access_log=False)
"""
# Plain words: no names, numbers or places, so the prompts carry no personal data.
_WORD_TEXT = (
    "the river water light house garden window paper music story table morning city "
    "bread stone cloud tree road letter market forest bridge winter summer school field "
    "animal mountain island kitchen engine planet circle answer question number colour"
)
WORDS = _WORD_TEXT.split()
KINDS = ("miss, fresh prompt", "miss, scan cached", "hit")


def prompt(rng: random.Random) -> str:
    return "Write a short paragraph using these words: " + " ".join(rng.choices(WORDS, k=40))


def spawn(argv: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("wb") as fh:
        return subprocess.Popen(
            argv, env=env, stdout=fh, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            cwd=log.parent, start_new_session=True,
        )  # fmt: skip


def stop(p: subprocess.Popen[bytes]) -> None:
    if p.poll() is None:
        p.send_signal(signal.SIGTERM)
        try:
            p.wait(timeout=30)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait(timeout=10)


def wait_ready(url: str, p: subprocess.Popen[bytes], log: Path, path: str) -> None:
    deadline = time.monotonic() + 600  # a busy machine loads the scanner slowly
    while time.monotonic() < deadline:
        if p.poll() is not None:
            raise RuntimeError(f"{log.name} exited:\n{log.read_text(errors='replace')[-2000:]}")
        try:
            if httpx.get(url + path, timeout=5).status_code < 500:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.25)
    raise RuntimeError(f"{url} not ready")


def write_config(tmp: Path, fake_port: int, port: int) -> Path:
    policies = tmp / "policies"
    policies.mkdir(exist_ok=True)
    (policies / "cloud-all.yaml").write_text("name: cloud-all\ndefault: cloud\n")
    cfg = tmp / f"edge-router-{fake_port}.yaml"
    provider = {
        "name": "fake",
        "kind": "openai_compatible",
        "base_url": f"http://127.0.0.1:{fake_port}/v1",
        "models": [MODEL],
        "default_model": MODEL,
    }
    cfg.write_text(
        json.dumps(  # JSON is YAML
            {
                "server": {"host": "127.0.0.1", "port": port, "log_level": "warning"},
                "policy": {"dir": str(policies), "default": "cloud-all"},
                "audit": {"path": str(tmp / f"audit-{port}" / "audit.sqlite")},
                "cache": {"enabled": True, "max_entries": 100_000},
                "providers": [provider],
            }
        )
    )
    return cfg


def one(client: httpx.Client, text: str, *, stream: bool, no_cache: bool) -> tuple[float, str]:
    body: dict[str, Any] = {
        "model": MODEL,
        "messages": [{"role": "user", "content": text}],
        "max_tokens": 64,
        "stream": stream,
    }
    headers = {"cache-control": "no-cache"} if no_cache else {}
    t0 = time.perf_counter()
    with client.stream("POST", "/v1/chat/completions", json=body, headers=headers) as r:
        r.read()
        took = time.perf_counter() - t0
        if r.status_code != 200:
            raise RuntimeError(f"HTTP {r.status_code}: {r.text[:200]}")
        return took, r.headers.get("x-edge-router-cache", "")


def measure(url: str, n: int, rng: random.Random) -> dict[tuple[str, bool], list[float]]:
    out: dict[tuple[str, bool], list[float]] = {(k, s): [] for k in KINDS for s in (False, True)}
    with httpx.Client(base_url=url, timeout=60) as client:
        for i in range(n + 10):  # the first 10 rounds warm up
            for stream in (False, True):
                fresh, seen = prompt(rng), prompt(rng)
                one(client, seen, stream=stream, no_cache=False)  # stored (and scanned)
                plan = [("miss, fresh prompt", fresh, False), ("miss, scan cached", seen, True)]
                plan.append(("hit", seen, False))
                rng.shuffle(plan)
                for kind, text, no_cache in plan:
                    took, label = one(client, text, stream=stream, no_cache=no_cache)
                    if label != ("hit" if kind == "hit" else "miss"):
                        raise RuntimeError(f"{kind}: x-edge-router-cache was {label!r}")
                    if i >= 10:
                        out[(kind, stream)].append(took)
    return out


def pct(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[int(q) - 1]


PARAPHRASES = [
    ("What is the capital of France?", "What's the capital city of France?"),
    ("How do I reverse a list in Python?", "How can I reverse a Python list?"),
    ("Explain photosynthesis in simple terms.", "Explain photosynthesis simply."),
    ("Write a haiku about autumn leaves.", "Write a haiku about the leaves in autumn."),
]
NEAR_MISSES = [
    ("What is the capital of France?", "What is the capital of Germany?"),
    ("How do I reverse a list in Python?", "How do I sort a list in Python?"),
    ("Is 17 a prime number?", "Is 21 a prime number?"),
    ("Convert 10 miles to kilometres.", "Convert 10 kilometres to miles."),
    ("Write a haiku about autumn leaves.", "Write a haiku about spring flowers."),
    (
        "My account number is 1234, what is my balance?",
        "My account number is 5678, what is my balance?",
    ),
]


def semantic_probe() -> int:
    import asyncio

    from edge_router.backends.local_embed import build_embedders
    from edge_router.config import load_settings

    local = load_settings(None).local
    embedder = build_embedders(local)[local.default_embedding_model]

    async def cosine(a: str, b: str) -> float:
        va, vb = (await embedder.embed(texts=(a, b))).vectors
        return sum(x * y for x, y in zip(va, vb, strict=True))

    print(f"embedder: {local.default_embedding_model}\n")
    print("| pair | must match | cosine |\n|---|---|---:|")
    scores: dict[bool, list[float]] = {True: [], False: []}
    try:
        for must, pairs in ((True, PARAPHRASES), (False, NEAR_MISSES)):
            for a, b in pairs:
                c = asyncio.run(cosine(a, b))
                scores[must].append(c)
                print(f"| {a} / {b} | {'yes' if must else 'never'} | {c:.4f} |")
    finally:
        embedder.close()
    lo, hi = min(scores[True]), max(scores[False])
    verdict = "a safe threshold exists" if hi < lo else "no threshold is safe"
    print(f"\nlowest paraphrase {lo:.4f}, highest near miss {hi:.4f}: {verdict}")
    return 0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--requests", type=int, default=60, help="measured requests per kind")
    ap.add_argument("--provider-delay-ms", default="0,100", help="comma-separated values")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--semantic-probe", action="store_true", help="see the module docstring")
    args = ap.parse_args()
    if args.semantic_probe:
        return semantic_probe()
    delays = [float(x) for x in args.provider_delay_ms.split(",") if x.strip()]
    rng = random.Random(args.seed)
    tmp = Path(tempfile.mkdtemp(prefix="cache-bench-"))
    env = {k: v for k, v in os.environ.items() if not k.lower().endswith("_proxy")}
    env.update({"NO_PROXY": "*", "no_proxy": "*", "PYTHONPATH": str(ROOT)})
    for k in ("EDGE_ROUTER_CONFIG", "EDGE_ROUTER_PORT", "EDGE_ROUTER_HOST"):
        env.pop(k, None)
    print("| provider first byte | request | kind | p50 | p99 |\n|---|---|---|---:|---:|")
    t_start = time.monotonic()
    for delay in delays:
        fake_port, port = free_port(), free_port()
        code = FAKE_MAIN.format(tests=str(ROOT / "tests"), port=fake_port, delay=delay / 1000)
        fake_log, er_log = tmp / f"fake-{fake_port}.log", tmp / f"er-{port}.log"
        fake = spawn([sys.executable, "-c", code], env, fake_log)
        cfg = write_config(tmp, fake_port, port)
        er = spawn([sys.executable, "-m", "edge_router.cli", "serve", "--config", str(cfg)], env,
                   er_log)  # fmt: skip
        try:
            wait_ready(f"http://127.0.0.1:{fake_port}", fake, fake_log, "/v1/models")
            wait_ready(f"http://127.0.0.1:{port}", er, er_log, "/readyz")
            lat = measure(f"http://127.0.0.1:{port}", args.requests, rng)
        finally:
            stop(er)
            stop(fake)
        for stream in (False, True):
            for kind in KINDS:
                v = lat[(kind, stream)]
                cells = f"{pct(v, 50) * 1000:.1f} ms | {pct(v, 99) * 1000:.1f} ms"
                shape = "streamed" if stream else "non-streamed"
                print(f"| {delay:.0f} ms | {shape} | {kind} | {cells} |", flush=True)
    print(f"\n{args.requests} requests per kind and shape; {time.monotonic() - t_start:.0f} s")
    shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
