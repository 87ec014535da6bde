"""Tokens/s and time-to-first-token: the daemon vs llama-cpp-python in-process.

Same GGUF, prompt, chat template, threads and sampling settings (greedy, fixed
seed, fixed max_tokens), measured alternately in one run so that machine noise
hits both sides alike. The daemon runs as a real `edge-router serve` process on
127.0.0.1 and is driven over HTTP with streaming, as a client would.

    .venv/bin/python bench/llama_bench.py --runs 15 --max-tokens 128
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from serving import free_port, wait_ready  # noqa: E402

from edge_router.backends.llama_local import _physical_cores  # noqa: E402
from edge_router.config import load_settings  # noqa: E402

PROMPT = [{"role": "user", "content": "Explain how a bicycle gear system works, in detail."}]


def p(values: list[float], q: float) -> float:
    s = sorted(values)
    return s[min(len(s) - 1, round(q * (len(s) - 1)))]


def direct_runner(model_path: Path, n_ctx: int, threads: int):  # type: ignore[no-untyped-def]
    from llama_cpp import Llama
    from llama_cpp.llama_chat_format import Jinja2ChatFormatter

    llm = Llama(model_path=str(model_path), n_ctx=n_ctx, n_threads=threads, verbose=False)
    eos = llm.token_eos()
    fmt = Jinja2ChatFormatter(
        template=llm.metadata["tokenizer.chat_template"],
        eos_token=llm.detokenize([eos], special=True).decode(),
        bos_token=llm.detokenize([llm.token_bos()], special=True).decode(),
        stop_token_ids=[eos],
    )

    def run(max_tokens: int) -> tuple[float, float, int]:
        t0 = time.perf_counter()
        f = fmt(messages=PROMPT)
        toks = llm.tokenize(f.prompt.encode(), add_bos=not f.added_special, special=True)
        first = last = None
        n = 0
        for chunk in llm.create_completion(
            prompt=toks, max_tokens=max_tokens, temperature=0.0, top_p=1.0, seed=7,
            stop=f.stop, stream=True,
        ):  # fmt: skip
            if chunk["choices"][0]["text"]:
                now = time.perf_counter()
                first = first or now
                last = now
                n += 1
        assert first is not None and last is not None
        return first - t0, (n - 1) / (last - first), n

    return run


def daemon_run(client: httpx.Client, url: str, max_tokens: int) -> tuple[float, float, int]:
    body = {
        "model": "auto", "messages": PROMPT, "max_tokens": max_tokens, "temperature": 0.0,
        "top_p": 1.0, "seed": 7, "stream": True,
    }  # fmt: skip
    t0 = time.perf_counter()
    first = last = None
    n = 0
    with client.stream("POST", url + "/v1/chat/completions", json=body, timeout=120) as r:
        for line in r.iter_lines():
            if not line.startswith("data: {"):
                continue
            chunk = json.loads(line[6:])
            if chunk["choices"] and chunk["choices"][0]["delta"].get("content"):
                now = time.perf_counter()
                first = first or now
                last = now
                n += 1
    assert first is not None and last is not None
    return first - t0, (n - 1) / (last - first), n


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=15)
    ap.add_argument("--max-tokens", type=int, default=128)
    args = ap.parse_args()
    settings = load_settings(None)
    spec = settings.local.models[0]
    path = settings.local.resolve_path(spec)
    threads = spec.n_threads or _physical_cores()
    port = free_port()
    env = {**os.environ, "EDGE_ROUTER_PORT": str(port)}
    with tempfile.TemporaryFile() as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "edge_router.cli", "serve"], env=env, stdout=log, stderr=log
        )
        try:
            url = f"http://127.0.0.1:{port}"
            wait_ready(url, 120, proc)
            direct = direct_runner(path, spec.n_ctx, threads)
            # Warm-up both sides once; then alternate.
            # A keep-alive client, as the SDKs use.
            client = httpx.Client()
            direct(args.max_tokens)
            daemon_run(client, url, args.max_tokens)
            d_ttft, d_tps, s_ttft, s_tps = [], [], [], []
            for _ in range(args.runs):
                a, b, _n = direct(args.max_tokens)
                d_ttft.append(a)
                d_tps.append(b)
                a, b, _n = daemon_run(client, url, args.max_tokens)
                s_ttft.append(a)
                s_tps.append(b)
        finally:
            proc.terminate()
            proc.wait(timeout=30)
    ms = 1000.0
    print(f"model {spec.name}, threads {threads}, max_tokens {args.max_tokens}, runs {args.runs}\n")
    print("| path | tokens/s median | tokens/s p5 | TTFT median (ms) | TTFT p95 (ms) |")
    print("|---|---|---|---|---|")
    for label, tps, ttft in (
        ("llama-cpp-python in-process", d_tps, d_ttft),
        ("edge-router daemon (HTTP, SSE)", s_tps, s_ttft),
    ):
        print(
            f"| {label} | {statistics.median(tps):.1f} | {p(tps, 0.05):.1f} "
            f"| {statistics.median(ttft) * ms:.1f} | {p(ttft, 0.95) * ms:.1f} |"
        )
    ratio = statistics.median(s_tps) / statistics.median(d_tps)
    overhead = (statistics.median(s_ttft) - statistics.median(d_ttft)) * ms
    print(f"\nthroughput ratio (daemon / direct): **{ratio:.3f}** (target >= 0.95)")
    print(f"TTFT overhead (median daemon - median direct): **{overhead:.1f} ms** (target <= 10 ms)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
