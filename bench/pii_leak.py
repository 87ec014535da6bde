"""Third-party PII leak conformance: ``pii-leak-benchmark`` against the real daemon.

``pii-leak-benchmark`` (PyPI, Apache-2.0, pinned in the ``dev`` extra) plays the cloud
provider: its capture server speaks OpenAI chat completions on 127.0.0.1, records every
request that reaches it (request line, headers, chunked framing, JSON body; decoded,
de-fragmented and confusable-folded) and answers by echoing the last message's content
back one character per SSE event. Its client sends one streaming OpenAI chat request
per iteration whose only user message carries synthetic canaries (an e-mail address,
an SSN and a test card number; profile ``pii-secrets-v1`` adds an AWS key id, a GitHub
token and a Slack token) plus a five-word run marker. The run is

* ``CLEAN`` when a request carrying the marker reached the capture, no canary reached
  it in any recoverable form, and the client got the exact prompt back (placeholders
  restored) as a valid SSE stream of more than one event;
* ``LEAK`` when a canary reached the capture; ``CHECK FAILED`` when nothing leaked but
  the response was wrong; ``NOT MEASURED`` when nothing carrying the marker arrived.

This script runs it in one process against a real ``edge-router serve`` subprocess:

1. the negative control (the tool's client straight into its capture) must say LEAK;
2. a capture is bound on a free loopback port and held open while the daemon starts
   (so start-up egress would be seen); the daemon's only provider points at it;
3. for every policy x profile x front door, a fresh capture session on that port
   measures one run. Policies are bound per client key (``auth.keys[].policy``):

   ``redact-all``  a policy whose default is ``redact``: every detected entity is
                   replaced before the cloud and restored after. Gate: CLEAN.
   ``default``,    the shipped presets, which keep requests with these canaries on
   ``gdpr``        the machine (so the tool can only say NOT MEASURED). Gate: the
                   capture received nothing at all and the client got its answers
                   (reported as KEPT LOCAL).

   Front doors: ``openai`` is the tool's own client against ``/v1/chat/completions``.
   The tool's client speaks only OpenAI, so ``anthropic`` runs it through a small
   client-side adapter (below) that re-sends each request to ``/v1/messages`` and turns
   the Anthropic SSE back into OpenAI chunks; the upstream side is measured the same.
   The provider is always OpenAI-shaped (``kind: openai``, or ``openai_compatible``
   with ``--provider-kind``): the capture answers only ``POST /v1/chat/completions``,
   so a ``kind: anthropic`` provider cannot be measured with this tool.

Exit status 0 only when every run met its gate. Typical use::

    .venv/bin/python bench/pii_leak.py                         # everything (~40 s)
    .venv/bin/python bench/pii_leak.py --policies redact-all   # the CLEAN gate only
    .venv/bin/python bench/pii_leak.py --seed 3f9a... -v       # replay one run's values

Canaries are synthetic (reserved example.com, never-issued SSN area, published test
cards, documentation-example credentials) and are printed only with ``-v``.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import json
import os
import re
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from serving import free_port, serve, wait_ready  # noqa: E402

try:
    from pii_leak_benchmark import (
        CaptureSession,
        OperatorSpecimens,
        capture_session,
        run_http_conformance,
        write_conformance_report,
    )
    from pii_leak_benchmark import __version__ as BENCHMARK_VERSION
    from pii_leak_benchmark.selfcheck import verdict_for
except ImportError:  # pragma: no cover - a setup problem, said plainly
    sys.exit("bench/pii_leak.py needs pii-leak-benchmark: ./install.sh --dev")

MODEL = "conformance-model"  # the tool's default client model name
PROFILES = ("pii-v1", "pii-secrets-v1")
FRONT_DOORS = ("openai", "anthropic")
PROVIDER_KEY_ENV = "PII_LEAK_BENCH_PROVIDER_KEY"
ANTHROPIC_MAX_TOKENS = 16  # Anthropic requires it; small keeps local answers short


@dataclass(frozen=True)
class PolicyCase:
    name: str
    expect: str  # "clean": the tool must say CLEAN; "local": nothing may reach the capture
    source: str | None  # YAML text, or None for a preset copied from policies/


POLICIES: dict[str, PolicyCase] = {
    "redact-all": PolicyCase(
        "redact-all",
        "clean",
        "name: redact-all\n"
        "description: Everything goes to the cloud, every detected entity redacted.\n"
        "default: redact\n",
    ),
    "default": PolicyCase("default", "local", None),
    "gdpr": PolicyCase("gdpr", "local", None),
}


@dataclass
class RunResult:
    policy: str
    profile: str
    door: str
    seed: str
    expect: str
    verdict: str
    ok: bool
    seconds: float
    reason: str
    status_codes: list[int] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    captured: int = 0
    correlated: int = 0
    marker_words_max: int = 0
    leaked: list[str] = field(default_factory=list)
    evidence: list[str] = field(default_factory=list)
    failed_checks: list[str] = field(default_factory=list)
    fidelity: str = ""
    upstream: list[str] = field(default_factory=list)
    sse: str = ""
    daemon_error: str = ""


# --- config ----------------------------------------------------------------------------------


def scrypt_hash(key: str) -> str:
    """``auth.keys[].hash`` in the documented ``scrypt$14$8$1$<salt>$<hash>`` form."""
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(key.encode(), salt=salt, n=1 << 14, r=8, p=1, dklen=32)
    b64 = base64.b64encode
    return f"scrypt$14$8$1${b64(salt).decode()}${b64(digest).decode()}"


def write_config(
    tmp: Path, er_port: int, capture_port: int, keys: dict[str, str], kind: str
) -> Path:
    """This bench's daemon config (``daemon_config`` with its policies)."""
    sources = {case.name: case.source for case in POLICIES.values()}
    return daemon_config(
        tmp, er_port, capture_port, keys, kind=kind, policies=sources, default="redact-all"
    )


def daemon_config(
    tmp: Path,
    er_port: int,
    capture_port: int,
    keys: dict[str, str],
    *,
    kind: str,
    policies: dict[str, str | None],
    default: str,
) -> Path:
    """A daemon config: the capture as its only provider, one client key per policy.
    ``policies`` maps a name to its YAML text, or to None for a preset from policies/.
    Shared with bench/pii_leak_v2.py."""
    pdir = tmp / "policies"
    pdir.mkdir()
    for name, source in policies.items():
        if source is None:
            shutil.copy(ROOT / "policies" / f"{name}.yaml", pdir / f"{name}.yaml")
        else:
            (pdir / f"{name}.yaml").write_text(source)
    # The embedded model with short answers: policies that keep the canaries local
    # are checked for what reaches the provider (nothing), not for the answer.
    manifest = json.loads((ROOT / "models" / "manifest.json").read_text())
    model = next(m for m in manifest["models"] if m.get("default"))
    cfg = {
        "server": {"host": "127.0.0.1", "port": er_port, "log_level": "warning"},
        "local": {
            "models_dir": str(ROOT / "models"),
            "default_model": model["name"],
            "models": [{"name": model["name"], "path": model["file"], "default_max_tokens": 16}],
        },
        "policy": {"dir": str(pdir), "default": default},
        "audit": {"enabled": True, "path": str(tmp / "audit" / "audit.sqlite")},
        "auth": {
            "keys": [
                {"id": f"bench-{name}", "hash": scrypt_hash(key), "policy": name}
                for name, key in keys.items()
            ]
        },
        "providers": [
            {
                "name": "capture",
                "kind": kind,
                "base_url": f"http://127.0.0.1:{capture_port}/v1",
                "api_key_env": PROVIDER_KEY_ENV,
                "models": [MODEL],
                "default_model": MODEL,
                # One measurement must not change the next: no retries (each would be
                # one more captured request) and a breaker that never opens between runs.
                "max_retries": 0,
                "breaker_failures": 1_000_000,
                "read_timeout_s": 20.0,
            }
        ],
    }
    path = tmp / "edge-router.yaml"
    path.write_text(json.dumps(cfg, indent=2))  # JSON is YAML
    return path


@contextmanager
def daemon(
    cfg: Path, port: int, tmp: Path, ready_timeout: float = 180.0
) -> Iterator[tuple[str, Path]]:
    """``edge-router serve`` in a subprocess: (its URL once /readyz answers 200, its log)."""
    log = tmp / "daemon.log"
    exe = Path(sys.executable).parent / "edge-router"
    env = {**os.environ, PROVIDER_KEY_ENV: "sk-capture-" + secrets.token_hex(8)}
    with log.open("wb") as fh:
        proc = subprocess.Popen(
            [str(exe), "serve", "--config", str(cfg)],
            stdout=fh, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            cwd=tmp, env=env, start_new_session=True,
        )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        try:
            wait_ready(url, timeout=ready_timeout, proc=proc)
        except RuntimeError as exc:
            tail = log.read_text(errors="replace")[-3000:]
            raise RuntimeError(f"{exc}\n--- daemon log ---\n{tail}") from None
        yield url, log
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=10)


# --- the Anthropic front door, driven by the tool's OpenAI client ------------------------------


def anthropic_adapter(er_url: str, seen_errors: list[str]) -> Any:
    """An ASGI app taking the tool's OpenAI request and replaying it on ``/v1/messages``.

    Client side only: it never sees the upstream. The daemon's answer is turned back
    into one OpenAI chunk per ``text_delta`` and ``[DONE]`` at ``message_stop``; an
    error status is passed through as is, and an ``error`` event becomes an invalid
    (non-JSON) event so the tool's SSE check fails rather than passing an empty text
    (its ``error.type: message`` is appended to ``seen_errors`` for the diagnosis).
    """
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import Response, StreamingResponse
    from starlette.routing import Route

    client = httpx.AsyncClient(timeout=60, trust_env=False)

    async def chat(request: Request) -> Response:
        body = await request.json()
        auth = request.headers.get("authorization", "")
        key = auth[7:] if auth.lower().startswith("bearer ") else auth
        payload = {
            "model": body.get("model", MODEL),
            "max_tokens": ANTHROPIC_MAX_TOKENS,
            "stream": True,
            "messages": body.get("messages", []),
        }
        upstream = await client.send(
            client.build_request(
                "POST",
                er_url + "/v1/messages",
                json=payload,
                headers={"x-api-key": key, "anthropic-version": "2023-06-01"},
            ),
            stream=True,
        )
        if upstream.status_code != 200:
            content = await upstream.aread()
            await upstream.aclose()
            return Response(
                content,
                status_code=upstream.status_code,
                media_type=upstream.headers.get("content-type"),
            )

        async def events() -> AsyncIterator[bytes]:
            name = ""
            try:
                async for line in upstream.aiter_lines():
                    if line.startswith("event:"):
                        name = line[6:].strip()
                        continue
                    if not line.startswith("data:"):
                        continue
                    data = json.loads(line[5:])
                    kind = data.get("type", name)
                    if kind == "error":
                        err = data.get("error") or {}
                        seen_errors.append(f"{err.get('type')}: {err.get('message')}")
                        yield b"data: anthropic-error-event\n\n"
                    elif kind == "content_block_delta" and data["delta"].get("type") == (
                        "text_delta"
                    ):
                        chunk = {"choices": [{"delta": {"content": data["delta"]["text"]}}]}
                        yield f"data: {json.dumps(chunk)}\n\n".encode()
                    elif kind == "message_stop":
                        yield b"data: [DONE]\n\n"
            finally:
                await upstream.aclose()

        return StreamingResponse(events(), media_type="text/event-stream")

    return Starlette(routes=[Route("/v1/chat/completions", chat, methods=["POST"])])


# --- diagnosis ---------------------------------------------------------------------------------

_NON_ALNUM = re.compile(r"[^0-9a-z]+")
_PLACEHOLDER = re.compile(r"<[A-Z][A-Z0-9_]*_\d+_[a-z0-9]+>")


def _norm(text: str) -> str:
    return _NON_ALNUM.sub("", text.lower())


def locate_upstream(session: CaptureSession, fixture: dict[str, str]) -> list[str]:
    """Where each canary sat in what the capture received: ``TYPE: POST /path body.key``.

    Reads the capture's own records: ``body_strings`` walks the JSON with object keys
    interleaved, ``body_values`` only the values, so a string that is not the next
    value is a key. Only the nearest key is named (``content``, ``text``, ...).
    """
    out: list[str] = []
    for record in session.state.snapshot():
        if record.get("probe"):
            continue
        where = f"{record.get('method')} {str(record.get('path')).split('?')[0]}"
        for channel in ("body", "headers", "request", "framing"):
            strings: list[str] = record.get(f"{channel}_strings", [])
            values: list[str] = record.get(f"{channel}_values", [])
            key, j = "", 0
            for s in strings:
                is_value = j < len(values) and values[j] == s
                if is_value:
                    j += 1
                for entity, value in fixture.items():
                    if value in s:
                        how = "verbatim"
                    elif len(_norm(value)) >= 8 and _norm(value) in _norm(s):
                        how = "separators changed"
                    else:
                        continue
                    label = f"{channel}.{key}" if is_value and key else channel
                    out.append(f"{entity}: {where} {label} ({how})")
                if not is_value:
                    key = s
    return sorted(set(out))


def describe_fidelity(prompt: str, got: str, fixture: dict[str, str]) -> str:
    if got == prompt:
        return "exact"
    if not got:
        return "empty reply"
    missing = [e for e, v in fixture.items() if v not in got]
    holders = len(_PLACEHOLDER.findall(got))
    parts = [f"reply differs ({len(got)} vs {len(prompt)} chars)"]
    if missing:
        parts.append("values not restored: " + ",".join(missing))
    if holders:
        parts.append(f"{holders} placeholder(s) left in the reply")
    return "; ".join(parts)


def describe_sse(check: dict[str, Any], adapter_errors: list[str]) -> str:
    parts = []
    if check["invalid_events"]:
        parts.append(f"{check['invalid_events']} invalid event(s)")
    if not check["done_markers_valid"]:
        parts.append("not exactly one [DONE] per iteration")
    if not check["content_type_valid"]:
        parts.append("not text/event-stream")
    if adapter_errors:
        parts.append(
            "daemon sent Anthropic error event(s): " + "; ".join(sorted(set(adapter_errors)))
        )
    return ", ".join(parts)


def replay_error(url: str, door: str, key: str, prompt: str) -> str:
    """Send the run's request once more and return the daemon's error, if it repeats."""
    msgs = [{"role": "user", "content": prompt}]
    try:
        if door == "openai":
            r = httpx.post(
                url + "/v1/chat/completions",
                json={"model": MODEL, "messages": msgs, "stream": True},
                headers={"authorization": f"Bearer {key}"},
                timeout=60,
            )
        else:
            r = httpx.post(
                url + "/v1/messages",
                json={
                    "model": MODEL,
                    "max_tokens": ANTHROPIC_MAX_TOKENS,
                    "messages": msgs,
                    "stream": True,
                },
                headers={"x-api-key": key, "anthropic-version": "2023-06-01"},
                timeout=60,
            )
    except httpx.HTTPError as exc:
        return f"replay failed: {type(exc).__name__}"
    if r.status_code < 400:
        return f"replay answered {r.status_code} (the failure did not repeat)"
    try:
        err = r.json().get("error", {})
        msg = f"{err.get('type', '')} {err.get('code') or ''}: {err.get('message', '')}"
    except ValueError:
        msg = r.text[:200]
    return f"HTTP {r.status_code} {msg.strip()}"


# --- runs --------------------------------------------------------------------------------------


def negative_control() -> tuple[bool, str]:
    """The tool's client straight into its capture: it must see every canary leak."""
    report = run_http_conformance(
        "capture://self", capture_port=0, iterations=1, include_credentials=True
    )
    verdict, _ = verdict_for(report)
    leaked = set(report["checks"]["configured_upstream_boundary"]["leaked_entity_types"])
    sent = set(report["fixture"]["formats"])
    return verdict == "LEAK" and leaked == sent, f"{verdict}, {len(leaked)}/{len(sent)} types"


def run_one(
    *,
    case: PolicyCase,
    profile: str,
    door: str,
    target: str,
    er_url: str,
    key: str,
    capture_port: int,
    iterations: int,
    seed: str,
    reports: Path | None,
    verbose: bool,
    adapter_errors: list[str],
) -> RunResult:
    specimens = OperatorSpecimens()
    adapter_errors.clear()
    t0 = time.perf_counter()
    with capture_session(capture_port=capture_port) as session:
        report = run_http_conformance(
            target + "/v1",
            api_key=key,
            model=MODEL,
            implementation_name=f"edge-router ({door} front door, policy {case.name})",
            implementation_version="working-tree",
            iterations=iterations,
            timeout_seconds=60.0,
            session=session,
            include_credentials=profile == "pii-secrets-v1",
            fixture_seed=f"{seed}-{profile}",
            specimens=specimens,
        )
        upstream = locate_upstream(session, specimens.fixture)
        sent = [
            s
            for r in session.state.snapshot()
            if not r.get("probe")
            for s in r.get("body_values", [])
            if isinstance(s, str) and len(s) > 40
        ]
    seconds = time.perf_counter() - t0
    verdict, reason = verdict_for(report)
    checks = report["checks"]
    boundary = checks["configured_upstream_boundary"]
    sse = checks["sse_validity"]
    leaked = sorted(
        set(boundary["leaked_entity_types"]) | set(boundary["unattributed_leaked_entity_types"])
    )
    if case.expect == "clean":
        ok = verdict == "CLEAN"
    else:  # kept local: nothing may reach the provider, and the client must get answers
        ok = boundary["captured_requests"] == 0 and not leaked and not sse["errors"]
        if ok:
            verdict, reason = "KEPT LOCAL", "Nothing reached the provider; answered locally."
    result = RunResult(
        policy=case.name,
        profile=profile,
        door=door,
        seed=seed,
        expect=case.expect,
        verdict=verdict,
        ok=ok,
        seconds=seconds,
        reason=reason,
        status_codes=list(sse["status_codes"]),
        errors=list(sse["errors"]),
        captured=boundary["captured_requests"],
        correlated=boundary["correlated_requests"],
        marker_words_max=boundary["marker_words_observed_max"],
        leaked=leaked,
        evidence=sorted(
            {
                f"{e['entity_type']}:{e['channel']}/{e['scope']}/{e['match']}"
                for e in boundary["leak_evidence"] + boundary["unattributed_leak_evidence"]
            }
        ),
        failed_checks=sorted(n for n, c in checks.items() if not c.get("passed", True)),
        fidelity=describe_fidelity(specimens.prompt, specimens.client_text, specimens.fixture),
        upstream=upstream,
        sse=describe_sse(sse, adapter_errors),
    )
    if any(code >= 400 for code in result.status_codes) or result.errors:
        result.daemon_error = replay_error(er_url, door, key, specimens.prompt)
    if reports is not None:
        write_conformance_report(report, reports / f"{case.name}.{profile}.{door}.{seed}.json")
    if verbose:
        print(f"[{case.name} / {profile} / {door}]")
        print(f"    prompt:   {specimens.prompt}")
        for text in sent[:1]:
            print(f"    upstream: {text}")
        print(f"    reply:    {specimens.client_text}")
    return result


def check_policy_binding(er_url: str, keys: dict[str, str]) -> None:
    """Each client key must select its policy (an unknown name would fall back silently)."""
    for name, key in keys.items():
        r = httpx.post(
            er_url + "/v1/route",
            json={"model": MODEL, "messages": [{"role": "user", "content": "Say hi."}]},
            headers={"authorization": f"Bearer {key}"},
            timeout=30,
        )
        got = r.json().get("policy") if r.status_code == 200 else f"HTTP {r.status_code}"
        if got != name:
            raise RuntimeError(f"key for policy {name!r} routed with policy {got!r}")


def print_table(results: list[RunResult]) -> None:
    head = f"{'policy':<11}{'profile':<16}{'door':<11}{'verdict':<14}{'gate':<6}{'s':>6}  detail"
    print(head)
    print("-" * len(head))
    for r in results:
        detail = []
        if r.leaked:
            detail.append("leaked " + ",".join(r.leaked))
        if r.status_codes and r.status_codes != [200]:
            detail.append("HTTP " + ",".join(map(str, r.status_codes)))
        if r.errors:
            detail.append("client errors " + ",".join(sorted(set(r.errors))))
        if r.expect == "clean" and r.fidelity != "exact":
            detail.append(r.fidelity)
        if r.expect == "clean" and r.correlated == 0:
            detail.append(f"captured {r.captured}, marker words <= {r.marker_words_max}/5")
        print(
            f"{r.policy:<11}{r.profile:<16}{r.door:<11}{r.verdict:<14}"
            f"{'ok' if r.ok else 'FAIL':<6}{r.seconds:>6.1f}  {'; '.join(detail)}"
        )
    for r in results:
        if r.ok:
            continue
        print(f"\n[{r.policy} / {r.profile} / {r.door}] {r.verdict}: {r.reason}")
        print(f"  replay: --seed {r.seed} --policies {r.policy} --profiles {r.profile}")
        if r.failed_checks:
            print(f"  failed checks: {', '.join(r.failed_checks)}")
        if r.evidence:
            print(f"  tool evidence (type:channel/scope/match): {', '.join(r.evidence)}")
        for line in r.upstream:
            print(f"  upstream: {line}")
        if r.fidelity != "exact":
            print(f"  reply: {r.fidelity}")
        if r.sse:
            print(f"  stream: {r.sse}")
        if r.daemon_error:
            print(f"  daemon: {r.daemon_error}")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument(
        "--policies", default=",".join(POLICIES), help="comma list of " + str(list(POLICIES))
    )
    ap.add_argument("--profiles", default=",".join(PROFILES))
    ap.add_argument("--doors", default=",".join(FRONT_DOORS), help="openai,anthropic")
    ap.add_argument("--iterations", type=int, default=3, help="per run with a CLEAN gate")
    ap.add_argument("--local-iterations", type=int, default=1, help="per run kept local")
    ap.add_argument("--provider-kind", default="openai", choices=("openai", "openai_compatible"))
    ap.add_argument("--seed", default=None, help="replay the canaries of an earlier run")
    ap.add_argument(
        "--repeat", type=int, default=1, help="runs per cell, each with its own canaries"
    )
    ap.add_argument("--reports", type=Path, default=None, help="write the tool's JSON reports here")
    ap.add_argument("--json-out", type=Path, default=None, help="summary rows as JSON")
    ap.add_argument("--keep-log", type=Path, default=None, help="copy the daemon log here")
    ap.add_argument("-v", "--verbose", action="store_true", help="print prompts and replies")
    args = ap.parse_args(argv)
    policies = [POLICIES[p] for p in args.policies.split(",") if p]
    profiles = [p for p in args.profiles.split(",") if p]
    doors = [d for d in args.doors.split(",") if d]
    if not set(profiles) <= set(PROFILES) or not set(doors) <= set(FRONT_DOORS):
        ap.error(f"profiles are {PROFILES}, doors {FRONT_DOORS}")
    seed = args.seed or secrets.token_hex(8)
    if args.reports:
        args.reports.mkdir(parents=True, exist_ok=True)
    print(f"pii-leak-benchmark {BENCHMARK_VERSION}; seed {seed}")

    started = time.perf_counter()
    ok, detail = negative_control()
    print(f"negative control (no gateway): {detail} -> {'ok' if ok else 'FAIL'}")
    if not ok:
        print("the capture does not see traffic; no result below would mean anything")
        return 2

    keys = {case.name: "er-bench-" + secrets.token_urlsafe(16) for case in POLICIES.values()}
    capture_port, er_port = free_port(), free_port()
    results: list[RunResult] = []
    with tempfile.TemporaryDirectory(prefix="pii-leak-") as tmp_s, ExitStack() as stack:
        tmp = Path(tmp_s)
        cfg = write_config(tmp, er_port, capture_port, keys, args.provider_kind)
        t0 = time.perf_counter()
        # Held open while the daemon starts: anything it sends upstream on boot is seen.
        with capture_session(capture_port=capture_port) as boot:
            er_url, log = stack.enter_context(daemon(cfg, er_port, tmp))
            boot_requests = [r for r in boot.state.snapshot() if not r.get("probe")]
        print(
            f"daemon ready in {time.perf_counter() - t0:.1f} s; "
            f"requests to the provider during start-up: {len(boot_requests)}"
        )
        check_policy_binding(er_url, keys)
        adapter_errors: list[str] = []
        adapter = ""
        if "anthropic" in doors:
            adapter = stack.enter_context(serve(anthropic_adapter(er_url, adapter_errors)))
        for i in range(args.repeat):
            for case in policies:
                for profile in profiles:
                    for door in doors:
                        result = run_one(
                            case=case,
                            profile=profile,
                            door=door,
                            target=er_url if door == "openai" else adapter,
                            er_url=er_url,
                            key=keys[case.name],
                            capture_port=capture_port,
                            iterations=args.iterations
                            if case.expect == "clean"
                            else args.local_iterations,
                            seed=seed if args.repeat == 1 else f"{seed}.{i}",
                            reports=args.reports,
                            verbose=args.verbose,
                            adapter_errors=adapter_errors,
                        )
                        results.append(result)
        text = log.read_text(errors="replace")
        tracebacks = text.count("Traceback (most recent call last)")
        if args.keep_log:
            shutil.copy(log, args.keep_log)
    total = time.perf_counter() - started
    print()
    print_table(results)
    print(f"\ndaemon tracebacks: {tracebacks}; total {total:.1f} s")
    if boot_requests:
        print(f"FAIL: the daemon sent {len(boot_requests)} request(s) upstream while starting")
    if args.json_out:
        rows = [asdict(r) for r in results]
        args.json_out.write_text(json.dumps({"seed": seed, "runs": rows}, indent=2) + "\n")
    passed = all(r.ok for r in results) and not boot_requests
    print("ALL CLEAN" if passed else "NOT CLEAN")
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
