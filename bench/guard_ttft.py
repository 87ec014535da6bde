"""Time to first token with the response guard on vs off, against a streaming fake provider.

The daemon (real scanner, real HTTP on 127.0.0.1) sends every request to
``tests/fake_provider.py``, which waits ``--provider-ttft`` before its first event and
``--itl`` between events and streams the reply the way real providers tokenise it
(``"Hi"``, ``" there"``, ``","``, ...: a token carries its leading space). Two client keys
bind the two policies: ``guard-off`` (``default: cloud``) and ``guard-on`` (the same plus
``response: redact``). Requests alternate between the two, in a different order every
round, so load drift hits both alike.

TTFT is measured at the client: from sending the request to the first SSE event with
non-empty ``delta.content``. The guard holds back the trailing run of characters that
could still be part of a value, so the first word goes out when the next token shows
where it ends: by design the overhead is about one inter-token interval plus the scan.
Gate: the median of the paired (on - off) differences is at most ``--max-overhead-ms``.

    .venv/bin/python bench/guard_ttft.py            # 40 rounds (~1 min after start-up)
"""

from __future__ import annotations

import argparse
import json
import secrets
import statistics
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT / "bench"))

from fake_provider import make_fake_provider  # noqa: E402
from pii_leak import scrypt_hash  # noqa: E402
from serving import serve  # noqa: E402

from edge_router.app import create_app  # noqa: E402
from edge_router.config import load_settings  # noqa: E402

PROMPT = "Hi"
TOKENS = (" there", ",", " how", " can", " I", " help", " you", " today", "?")
EXPECTED = PROMPT + "".join(TOKENS)
POLICIES = {
    "guard-off": "name: guard-off\ndefault: cloud\n",
    "guard-on": "name: guard-on\ndefault: cloud\nresponse: redact\n",
}


def config(tmp: Path, provider_url: str, keys: dict[str, str]) -> Path:
    policies = tmp / "policies"
    policies.mkdir()
    for name, text in POLICIES.items():
        (policies / f"{name}.yaml").write_text(text)
    cfg = {
        "policy": {"dir": str(policies), "default": "guard-off"},
        "audit": {"enabled": False},
        "auth": {
            "keys": [
                {"id": name, "hash": scrypt_hash(key), "policy": name} for name, key in keys.items()
            ]
        },
        "providers": [
            {
                "name": "fake",
                "kind": "openai_compatible",
                "base_url": provider_url + "/v1",
                "models": ["gpt-fake"],
                "default_model": "gpt-fake",
                "max_retries": 0,
            }
        ],
    }
    path = tmp / "edge-router.yaml"
    path.write_text(json.dumps(cfg))
    return path


def ttft(client: httpx.Client, url: str, key: str) -> float:
    body = {"model": "gpt-fake", "stream": True, "messages": [{"role": "user", "content": PROMPT}]}
    headers = {"authorization": f"Bearer {key}"}
    t0 = time.perf_counter()
    first: float | None = None
    text = ""
    with client.stream("POST", url + "/v1/chat/completions", json=body, headers=headers) as r:
        r.raise_for_status()
        for line in r.iter_lines():
            if not line.startswith("data: {"):
                continue
            choices = json.loads(line[6:]).get("choices") or []
            content = (choices[0].get("delta") or {}).get("content") if choices else None
            if content:
                first = first if first is not None else time.perf_counter() - t0
                text += content
    if first is None or text != EXPECTED:
        raise RuntimeError(f"unexpected reply ({len(text)} chars)")
    return first


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rounds", type=int, default=40)
    ap.add_argument("--provider-ttft", type=float, default=0.2, help="seconds")
    ap.add_argument("--itl", type=float, default=0.01, help="seconds between events")
    ap.add_argument("--max-overhead-ms", type=float, default=20.0)
    args = ap.parse_args(argv)
    keys = {name: "er-ttft-" + secrets.token_urlsafe(12) for name in POLICIES}
    app, control = make_fake_provider()
    control.first_byte_delay_s, control.chunk_delay_s = args.provider_ttft, args.itl
    control.inject = TOKENS
    samples: dict[str, list[float]] = {"guard-off": [], "guard-on": []}
    with tempfile.TemporaryDirectory(prefix="guard-ttft-") as tmp, serve(app) as provider_url:
        settings = load_settings(config(Path(tmp), provider_url, keys))
        with serve(create_app(settings), ready_timeout=600) as url, httpx.Client(timeout=60) as c:
            for name in POLICIES:  # warm-up: connections, first-request paths
                ttft(c, url, keys[name])
            for i in range(args.rounds):
                for name in ("guard-off", "guard-on") if i % 2 else ("guard-on", "guard-off"):
                    samples[name].append(ttft(c, url, keys[name]))
    diffs = [
        (on - off) * 1000 for on, off in zip(samples["guard-on"], samples["guard-off"], strict=True)
    ]
    med = {k: statistics.median(v) * 1000 for k, v in samples.items()}
    overhead = statistics.median(diffs)
    print(
        f"provider TTFT {args.provider_ttft * 1000:.0f} ms, inter-token {args.itl * 1000:.0f} ms, "
        f"{args.rounds} rounds\n\n"
        "| guard | median TTFT (ms) |\n|---|---|\n"
        f"| off | {med['guard-off']:.1f} |\n| on (`response: redact`) | {med['guard-on']:.1f} |\n\n"
        f"median paired overhead {overhead:.1f} ms "
        f"(p90 {statistics.quantiles(diffs, n=10)[-1]:.1f} ms); gate <= {args.max_overhead_ms} ms"
    )
    return 0 if overhead <= args.max_overhead_ms else 1


if __name__ == "__main__":
    raise SystemExit(main())
