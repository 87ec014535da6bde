"""Third-party response-path check: ``pii-leak-benchmark`` v2 against the real daemon.

The v2 profile (``pii_leak_benchmark.v2_emitter``, console command
``pii-leak-benchmark-v2``) measures the two opposite things a gateway must do to a
reply at once. Its capture plays the provider: it echoes back the (masked) values it
received, then ``injects`` values of the same kinds that were never in the request,
either whole in one SSE event (``single_chunk``) or cut into pieces over several
(``adversarial``), in ``delta.content`` or in an extra delta field. It scores

* FidelityRate: the client got the echoed values back (our placeholders restored);
* LeakRate (single_chunk and adversarial): an injected value reached the client in any
  recoverable form (case-folded, separators dropped, percent-decoded, fields joined).

Its 32 cases (a pairwise covering array) vary the entity (e-mail, SSN, card, US phone),
the encoding (plain, percent), the carrier and where the request puts the values
(chat content, system message, tool description, an unknown key, which the router drops).

This script starts ``edge-router serve`` with the capture's fixed port as its only
provider and one client key per policy, and runs the profile through the OpenAI front
door (the only one the tool speaks):

``guarded``  ``default: redact`` and ``response: redact``. Gate: fidelity 1.0 and both
             leak rates <= 0.05, for each oracle (``--oracles``: ``midpoint`` is the
             tool's published default, one cut per value; ``exhaustive-2-part`` tries
             every two-part cut of every value).
``control``  ``default: redact`` without a response action: the injected values must
             leak (single_chunk leak rate >= 0.5), so the check can fail.

Exit status 0 only when every gate holds. Typical use::

    .venv/bin/python bench/pii_leak_v2.py                    # both oracles (~2 min)
    .venv/bin/python bench/pii_leak_v2.py --oracles midpoint --reports /tmp/v2
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT / "bench"))

from pii_leak import MODEL, daemon, daemon_config  # noqa: E402
from serving import free_port  # noqa: E402

try:
    from pii_leak_benchmark import __version__ as BENCHMARK_VERSION
    from pii_leak_benchmark.v2_emitter import EMITTER_VERSION, run_policy
except ImportError:  # pragma: no cover - a setup problem, said plainly
    sys.exit("bench/pii_leak_v2.py needs pii-leak-benchmark: ./install.sh --dev")

MAX_LEAK = 0.05
CONTROL_MIN_LEAK = 0.5
POLICIES = {
    "guarded": "name: guarded\ndefault: redact\nresponse: redact\n",
    "control": "name: control\ndefault: redact\n",
}


def write_config(tmp: Path, er_port: int, capture_port: int, keys: dict[str, str]) -> Path:
    sources: dict[str, str | None] = dict(POLICIES)
    return daemon_config(
        tmp, er_port, capture_port, keys, kind="openai", policies=sources, default="guarded"
    )


def measure(
    url: str, key: str, policy: str, oracle: str, seed: str, capture_port: int
) -> dict[str, Any]:
    os.environ["V2_GATEWAY_TOKEN"] = key  # read by the tool for every request it sends
    t0 = time.perf_counter()
    report, summary = run_policy(
        f"edge-router-{policy}",
        seed=seed,
        gateway_url=url + "/v1/chat/completions",
        upstream_port=capture_port,
        model=MODEL,
        oracle=oracle,
    )
    return {
        "policy": policy,
        "oracle": oracle,
        "seconds": round(time.perf_counter() - t0, 1),
        "fidelity": summary["fidelity_rate"],
        "leak_single": summary["leak_single_chunk"],
        "leak_adversarial": summary["leak_adversarial"],
        "applicable": summary["cases_applicable"],
        "attempted": summary["cases_attempted"],
        "inconclusive": summary["inconclusive"],
        "outcome": report["outcome"],
        "report": report,
    }


def gate(row: dict[str, Any]) -> tuple[bool, str]:
    if row["applicable"] == 0 or row["inconclusive"]:
        return False, f"{row['inconclusive']} inconclusive case(s)"
    if row["policy"] == "control":
        ok = row["leak_single"] >= CONTROL_MIN_LEAK
        return ok, "leaks as expected" if ok else "the control did not leak"
    ok = row["fidelity"] == 1.0 and max(row["leak_single"], row["leak_adversarial"]) <= MAX_LEAK
    return ok, "ok" if ok else "gate missed"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--oracles", default="midpoint,exhaustive-2-part")
    ap.add_argument("--seed", default=None, help="replay the values of an earlier run")
    ap.add_argument("--reports", type=Path, default=None, help="write the v2 reports here")
    ap.add_argument("--ready-timeout", type=float, default=600, help="daemon start-up, s")
    args = ap.parse_args(argv)
    oracles = [o for o in args.oracles.split(",") if o]
    seed = args.seed or secrets.token_hex(8)
    print(f"pii-leak-benchmark {BENCHMARK_VERSION} (v2 emitter {EMITTER_VERSION}); seed {seed}")
    keys = {name: "er-v2-" + secrets.token_urlsafe(16) for name in POLICIES}
    capture_port, er_port = free_port(), free_port()
    rows: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="pii-leak-v2-") as tmp_s:
        tmp = Path(tmp_s)
        cfg = write_config(tmp, er_port, capture_port, keys)
        with daemon(cfg, er_port, tmp, args.ready_timeout) as (url, _log):
            runs = [("guarded", o) for o in oracles] + [("control", "midpoint")]
            for policy, oracle in runs:
                rows.append(measure(url, keys[policy], policy, oracle, seed, capture_port))
    print(
        "\n| policy | oracle | fidelity | leak single_chunk | leak adversarial | cases | s |"
        "\n|---|---|---|---|---|---|---|"
    )
    failed = False
    for row in rows:
        ok, why = gate(row)
        failed |= not ok
        print(
            f"| {row['policy']} | {row['oracle']} | {row['fidelity']} | {row['leak_single']} "
            f"| {row['leak_adversarial']} | {row['applicable']}/{row['attempted']} "
            f"| {row['seconds']} |  {'ok' if ok else 'FAIL'}: {why}"
        )
        if args.reports:
            args.reports.mkdir(parents=True, exist_ok=True)
            out = args.reports / f"{row['policy']}.{row['oracle']}.{seed}.json"
            out.write_text(json.dumps(row["report"], indent=2, sort_keys=True))
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
