"""Tokens/s of grammar-constrained generation against unconstrained, embedded model.

Each request goes through the daemon's own path (``local_request.prepare`` and
``LocalModelRunner.generate``, in-process, no HTTP), greedy with a fixed seed and
max_tokens. For every prompt the modes are run round-robin in one process, so that
machine noise hits them alike; the table shows the median decode rate (tokens after
the first, over the time after the first) and its ratio to unconstrained:

- ``plain``: no grammar (the baseline);
- ``json_object``: ``response_format: {"type": "json_object"}``;
- ``json_schema``: a strict schema (title, summary, up to five keywords);
- ``tool call``: ``tools`` with ``tool_choice: required`` (two tools);
- ``auto -> text``: ``tools`` with ``tool_choice: auto`` where the model answers in
  text: the grammar decides the first token, then is dropped;
- ``json_schema, eager``: the same schema grammar inside llama.cpp's sampler chain
  (``Llama.generate(grammar=...)``), which judges every vocabulary token at every
  step: what ``local_decode``'s check-the-sampled-token-first loop avoids.

    .venv/bin/python bench/grammar_bench.py --runs 5 --max-tokens 64
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from edge_router.backends.base import Finish  # noqa: E402
from edge_router.backends.llama_local import LocalModelRunner  # noqa: E402
from edge_router.backends.local_request import prepare  # noqa: E402
from edge_router.config import load_settings  # noqa: E402
from edge_router.wire.openai_chat import validate_chat  # noqa: E402

PROMPTS = [
    "Describe the city of Paris.",
    "Explain how a bicycle gear system works.",
    "What's the weather in Oslo tomorrow?",
]
SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "title": {"type": "string"},
        "summary": {"type": "string"},
        "keywords": {"type": "array", "items": {"type": "string"}, "maxItems": 5},
    },
    "required": ["title", "summary", "keywords"],
    "additionalProperties": False,
}
TOOLS: list[dict[str, Any]] = [
    {
        "type": "function",
        "function": {
            "name": "get_weather",
            "description": "Get the weather forecast for a city.",
            "parameters": {
                "type": "object",
                "properties": {
                    "city": {"type": "string"},
                    "days": {"type": "integer"},
                    "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]},
                },
                "required": ["city", "days", "unit"],
                "additionalProperties": False,
            },
        },
    },
    {
        "type": "function",
        "function": {
            "name": "search",
            "description": "Search the web.",
            "parameters": {
                "type": "object",
                "properties": {"query": {"type": "string"}},
                "required": ["query"],
            },
        },
    },
]
EAGER = "json_schema, eager"
MODES: dict[str, dict[str, Any]] = {
    "plain": {},
    "json_object": {"response_format": {"type": "json_object"}},
    "json_schema": {
        "response_format": {
            "type": "json_schema",
            "json_schema": {"name": "answer", "schema": SCHEMA, "strict": True},
        }
    },
    "tool call": {"tools": TOOLS, "tool_choice": "required"},
    "auto -> text": {"tools": TOOLS, "tool_choice": "auto"},
}


async def one(
    runner: LocalModelRunner, prompt: str, extra: dict[str, Any], max_tokens: int
) -> Finish:
    body = {
        "model": "auto",
        "messages": [{"role": "user", "content": prompt}],
        "max_tokens": max_tokens,
        "temperature": 0,
        "seed": 7,
        **extra,
    }
    req = prepare(validate_chat(body), runner)
    finish: Finish | None = None
    async for ev in runner.generate(req.messages, req.params):
        if isinstance(ev, Finish):
            finish = ev
    assert finish is not None
    return finish


def eager(runner: LocalModelRunner, prompt: str, max_tokens: int) -> tuple[float | None, int]:
    """json_schema with the grammar in llama.cpp's chain: (decode tokens/s, tokens)."""
    import llama_cpp

    lib: Any = llama_cpp

    body = {
        "model": "auto",
        "messages": [{"role": "user", "content": prompt}],
        **MODES["json_schema"],
    }
    req = prepare(validate_chat(body), runner)
    llm: Any = runner._llm
    fmt = runner._formatter(messages=req.messages)
    tokens = llm.tokenize(fmt.prompt.encode(), add_bos=not fmt.added_special, special=True)
    grammar = lib.LlamaGrammar.from_string(req.params.grammar)
    first = last = 0.0
    n = 0
    for token in llm.generate(tokens, temp=0, top_k=40, top_p=1.0, min_p=0.05, grammar=grammar):
        if lib.llama_vocab_is_eog(llm._model.vocab, token):
            break
        last = time.perf_counter()
        first = first or last
        n += 1
        if n == max_tokens:
            break
    return ((n - 1) / (last - first) if n >= MIN_TOKENS and last > first else None), n


MIN_TOKENS = 8  # fewer (say a bare "{}") is too short to time


def rate(f: Finish) -> float | None:
    decode = f.timings["total_s"] - f.timings["ttft_s"]
    if f.completion_tokens < MIN_TOKENS or decode <= 0:
        return None
    return (f.completion_tokens - 1) / decode


async def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--max-tokens", type=int, default=64)
    ap.add_argument("--threads", type=int, default=None, help="default: physical cores")
    args = ap.parse_args()
    settings = load_settings(None)
    spec = settings.local.models[0]
    if args.threads:
        spec = spec.model_copy(update={"n_threads": args.threads})
    runner = LocalModelRunner(
        spec, settings.local.resolve_path(spec), max_queue=1, queue_timeout_s=600
    )
    await runner.start()
    started = time.perf_counter()
    rates: dict[tuple[str, str], list[float]] = {}
    tokens: dict[tuple[str, str], list[int]] = {}
    for prompt in PROMPTS:
        await one(runner, prompt, {}, 4)  # warm the prompt path once
        for _ in range(args.runs):
            for mode, extra in MODES.items():
                f = await one(runner, prompt, extra, args.max_tokens)
                r, n = rate(f), f.completion_tokens
                if r is not None:
                    rates.setdefault((prompt, mode), []).append(r)
                tokens.setdefault((prompt, mode), []).append(n)
            r, n = eager(runner, prompt, args.max_tokens)
            if r is not None:
                rates.setdefault((prompt, EAGER), []).append(r)
            tokens.setdefault((prompt, EAGER), []).append(n)
    runner.close()
    print(
        f"\n{spec.name}, {spec.n_threads or 'all physical'} threads, greedy, "
        f"max_tokens {args.max_tokens}, {args.runs} runs per cell, median decode tokens/s "
        f"(x ratio to plain), median tokens generated in brackets; "
        f"{time.perf_counter() - started:.0f} s in all\n"
    )
    columns = [*MODES, EAGER]
    print("| prompt | " + " | ".join(columns) + " |")
    print("|---|" + "---:|" * len(columns))
    for prompt in PROMPTS:
        base = statistics.median(rates.get((prompt, "plain"), [0.0])) or 1.0
        cells = []
        for mode in columns:
            got = rates.get((prompt, mode))
            n = round(statistics.median(tokens[(prompt, mode)]))
            if not got:
                cells.append(f"n/a [{n}]")
                continue
            med = statistics.median(got)
            cells.append(f"{med:.1f} (x{med / base:.2f}) [{n}]")
        print(f"| {prompt} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    asyncio.run(main())
