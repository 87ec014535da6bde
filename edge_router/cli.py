"""edge-router: an on-prem privacy router for LLMs.

Commands: serve, explain, status, policy check, audit, keys, experiments.
"""

from __future__ import annotations

import argparse
import errno
import io
import json
import os
import socket
import sys
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

from edge_router.api.auth import check_bind_allowed
from edge_router.config import AUTO, ConfigError, Settings, load_settings
from edge_router.routing.policy import PolicyError

API_KEY_ENV = "EDGE_ROUTER_API_KEY"


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("edge-router")
    except PackageNotFoundError:
        return "unknown (not installed)"


def _settings(args: argparse.Namespace, overrides: dict[str, Any] | None = None) -> Settings:
    path = args.config or os.environ.get("EDGE_ROUTER_CONFIG")
    return load_settings(Path(path) if path else None, overrides)


def port_problem(host: str, port: int) -> str | None:
    """Why ``host:port`` cannot be listened on, or None. Binds (as uvicorn will, with
    SO_REUSEADDR) and lets go at once, so a taken port is reported before minutes of
    model and scanner loading rather than after a misleading "ready"."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    try:
        with socket.socket(family, socket.SOCK_STREAM) as sock:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind((host, port))
    except OSError as exc:
        if exc.errno == errno.EADDRINUSE:
            return (
                f"cannot listen on {host}:{port}: the port is already in use (another "
                "edge-router or another program); stop it or pick another port with "
                "--port or server.port"
            )
        return f"cannot listen on {host}:{port}: {exc.strerror or type(exc).__name__}"
    return None


def cmd_serve(args: argparse.Namespace) -> int:
    import uvicorn

    from edge_router.api.http import server_config
    from edge_router.app import create_app
    from edge_router.record.logs import setup_logging

    # Flags win over the file and the environment, without touching os.environ.
    flags = {k: v for k, v in (("host", args.host), ("port", args.port)) if v is not None}
    settings = _settings(args, {"server": flags})
    setup_logging(settings.server.log_level)
    if problem := check_bind_allowed(settings.server.host, settings.auth):
        print(f"edge-router: {problem}", file=sys.stderr)
        return 2
    for m in settings.local.models:
        path = settings.local.resolve_path(m)
        if not path.is_file():
            print(
                f"edge-router: model '{m.name}' file not found: {path}\n"
                "  run ./install.sh to fetch the embedded model, or fix local.models in "
                f"{settings.source}",
                file=sys.stderr,
            )
            return 2
    if problem := port_problem(settings.server.host, settings.server.port):
        print(f"edge-router: {problem}", file=sys.stderr)
        return 2
    server = uvicorn.Server(server_config(create_app(settings), settings.server))
    # Token handoff from the llama worker thread to the event loop waits for the
    # GIL; CPython's default 5 ms switch interval showed up as lost throughput.
    sys.setswitchinterval(0.0005)
    server.run()
    return 0


# --- explain -------------------------------------------------------------------------


def cloud_view(settings: Settings) -> Callable[[str], bool]:
    """Whether the daemon with ``settings`` would have a cloud provider for a model:
    the same test as its providers' ``serves`` (``auto`` needs a ``default_model``; a
    local model's name never goes out), read from the config alone, so no API key is
    read and no client is built."""
    from edge_router.routing.target import resolve_alias

    local = {m.name for m in settings.local.models}
    aliases: dict[str, str] = getattr(settings, "aliases", {})
    cloud = [] if settings.offline else [p for p in settings.providers if not p.trusted_local]

    def serves(model: str) -> bool:
        model = resolve_alias(aliases, model)
        if model in local:
            return False
        if model.lower() == AUTO:
            return any(p.default_model is not None for p in cloud)
        return any(not p.models or model in p.models for p in cloud)

    return serves


def explain_cloud(
    settings: Settings, *, offline: bool = False, assume_cloud: bool = False
) -> bool | Callable[[str], bool]:
    """explain's cloud view. By default the daemon's own: cloud only where its config has
    a provider for the request's model. --assume-cloud asks "what if one were set up?"."""
    if offline:
        return False
    return True if assume_cloud else cloud_view(settings)


def _explain_input(args: argparse.Namespace) -> tuple[Iterable[str], bool] | str:
    """(JSON lines, is a batch) or the error to print."""
    if args.jsonl is not None:
        if args.text is not None:
            return "give either a prompt or --jsonl, not both"
        if args.jsonl == "-":
            return sys.stdin, True
        try:
            handle = open(args.jsonl, encoding="utf-8")  # noqa: SIM115 - closed by lines()
        except OSError as exc:
            return f"cannot read {args.jsonl}: {exc.strerror}"

        def lines() -> Iterator[str]:
            with handle:  # streamed: a batch file may be larger than memory
                yield from handle

        return lines(), True
    if args.text is None and sys.stdin.isatty():
        return 'give a prompt ("some text"), - to read it from stdin, or --jsonl FILE'
    text = sys.stdin.read() if args.text in (None, "-") else args.text
    if not text.strip():
        return "the prompt is empty"
    return [json.dumps({"text": text})], False


def _cloud_line(settings: Settings, args: argparse.Namespace) -> str:
    if args.offline:
        return "cloud: none (--offline)"
    if args.assume_cloud:
        return "cloud: assumed available (--assume-cloud)"
    if settings.offline:
        return f"cloud: none (offline: true in {settings.source})"
    names = [p.name for p in settings.providers if not p.trusted_local]
    if not names:
        return f"cloud: no provider configured in {settings.source}: everything stays local"
    return f"cloud: {', '.join(names)} (from {settings.source})"


def cmd_explain(args: argparse.Namespace) -> int:
    from edge_router.flow.availability import configured, router_options
    from edge_router.privacy.scanner import PrivacyScanner
    from edge_router.routing.complexity import ComplexityScorer
    from edge_router.routing.explain import explain_lines, format_row
    from edge_router.routing.pipeline import PolicySet, Router

    if isinstance(sys.stdin, io.TextIOWrapper):
        # Under a C locale Python smuggles undecodable bytes in as surrogates, which the
        # scanner then fails on: say "not UTF-8" instead.
        sys.stdin.reconfigure(errors="strict")
    try:
        source = _explain_input(args)
    except UnicodeDecodeError:
        source = "the input is not UTF-8 text"
    if isinstance(source, str):
        print(f"edge-router explain: {source}", file=sys.stderr)
        return 2
    lines, batch = source
    settings = _settings(args)
    policies = PolicySet.load(settings.policy.directory(), args.policy or settings.policy.default)
    router = Router(
        PrivacyScanner(settings.privacy),
        policies,
        ComplexityScorer(settings.policy.complexity_threshold),
        **router_options(settings),  # as the daemon's: fields, model names, domains
    )
    cloud = explain_cloud(settings, offline=args.offline, assume_cloud=args.assume_cloud)
    # Who would answer, as a freshly started daemon with this config sees it. With
    # --assume-cloud there is no configured provider to name, so no target is shown.
    view = None
    if not args.assume_cloud:
        view = configured(
            settings.model_copy(update={"offline": True}) if args.offline else settings
        )
    if not args.json:
        print(_cloud_line(settings, args) + "\n")
    bad = 0
    try:
        for row in explain_lines(
            lines,
            router,
            cloud_available=cloud,
            availability=view,
            previews=True,
            aliases=settings.aliases,
        ):
            if "error" in row:
                bad += 1
                where = f"line {row['line']}: " if batch else ""
                print(f"edge-router explain: {where}{row['error']}", file=sys.stderr)
            if args.json:
                sys.stdout.write(json.dumps(row, ensure_ascii=False) + "\n")
            elif "error" not in row:
                sys.stdout.write(format_row(row, numbered=batch) + "\n\n")
    except UnicodeDecodeError:
        print("edge-router explain: the input is not UTF-8 text", file=sys.stderr)
        return 2
    return 2 if bad else 0


# --- status --------------------------------------------------------------------------


def _default_url(args: argparse.Namespace) -> str:
    server = _settings(args).server
    host = {"0.0.0.0": "127.0.0.1", "::": "::1", "": "127.0.0.1"}.get(server.host, server.host)
    return f"http://{f'[{host}]' if ':' in host else host}:{server.port}"


def _metric_totals(text: str) -> dict[str, Any]:
    from prometheus_client.parser import text_string_to_metric_families

    out: dict[str, Any] = {"by_route": {}}
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            if s.name == "edge_router_requests_total":
                route = s.labels.get("route", "?")
                out["by_route"][route] = out["by_route"].get(route, 0) + int(s.value)
            elif s.name in ("edge_router_local_queue_depth", "edge_router_local_in_flight"):
                out[s.name] = int(s.value)
    return out


def _status_lines(url: str, ready: dict[str, Any], metrics: dict[str, Any] | None) -> list[str]:
    status = str(ready.get("status", "?"))
    why = ", ".join(str(v) for v in (ready.get("mode"), ready.get("reason")) if v)
    lines = [f"edge-router at {url}: {status}" + (f" ({why})" if why else "")]
    models = ready.get("models") or {}
    shown = [f"{m} ({'loaded' if ok else 'loading'})" for m, ok in models.items()]
    lines.append(f"{'models':<10} {', '.join(shown) or '-'}")
    if embedders := ready.get("embedding_models"):
        # Not "loading": an embedding model loads on its first request, never before.
        loads = [f"{m} ({'loaded' if ok else 'loads on first use'})" for m, ok in embedders.items()]
        lines.append(f"{'embedding':<10} {', '.join(loads)}")
    lines.append(f"{'scanner':<10} {'loaded' if ready.get('scanner') else 'loading'}")
    providers = ready.get("providers") or {}
    if not ready.get("providers_configured", bool(providers)):
        shown_p = "none configured (everything stays local)"
    elif ready.get("offline"):
        shown_p = "offline (configured, never contacted)"
    else:
        shown_p = ", ".join(
            f"{p}: {'reachable' if ok else 'unreachable'}" for p, ok in providers.items()
        )
    lines.append(f"{'providers':<10} {shown_p}")
    if metrics is not None:
        routes = metrics["by_route"]
        counts = ", ".join(f"{r} {n}" for r, n in sorted(routes.items())) or "none yet"
        lines.append(f"{'requests':<10} {counts} (chat requests by route since start)")
        depth = metrics.get("edge_router_local_queue_depth", 0)
        running = metrics.get("edge_router_local_in_flight", 0)
        lines.append(f"{'queue':<10} {depth} waiting, {running} running on the local model")
    return lines


def cmd_status(args: argparse.Namespace) -> int:
    import httpx

    url = (args.url or _default_url(args)).rstrip("/")
    key = args.api_key or os.environ.get(API_KEY_ENV)
    headers = {"authorization": f"Bearer {key}"} if key else {}
    try:
        with httpx.Client(base_url=url, headers=headers, timeout=args.timeout) as client:
            r = client.get("/readyz")
            if r.status_code in (401, 403, 429):
                print(
                    f"edge-router status: {url} refused the credentials ({r.status_code}): "
                    f"with auth.require_auth pass a client key or the admin token with "
                    f"--api-key or {API_KEY_ENV}",
                    file=sys.stderr,
                )
                return 2
            ready = r.json()
            if r.status_code not in (200, 503) or not isinstance(ready, dict):
                raise ValueError(f"unexpected answer {r.status_code}")
            m = client.get("/metrics")
            metrics = _metric_totals(m.text) if m.status_code == 200 else None
    except (httpx.HTTPError, ValueError) as exc:
        print(f"edge-router status: cannot read {url}: {type(exc).__name__}", file=sys.stderr)
        return 2
    print("\n".join(_status_lines(url, ready, metrics)))
    return 0 if ready.get("status") == "ready" else 1


# --- policy check --------------------------------------------------------------------


def cmd_policy_check(args: argparse.Namespace) -> int:
    from edge_router.routing.policy import check_policy_file

    worst = 0
    for path in args.files:
        problems = check_policy_file(path)
        if problems:
            worst = 1
            for p in problems:
                print(p, file=sys.stderr)
        else:
            print(f"{path}: ok")
    return worst


def _config_arg(p: argparse.ArgumentParser) -> None:
    p.add_argument("--config", help="YAML config file (env: EDGE_ROUTER_CONFIG)")


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="edge-router",
        description="An on-prem privacy router for LLMs.",
        epilog="Run 'edge-router COMMAND --help' for a command's options.",
    )
    p.add_argument("--version", action="version", version=f"edge-router {_version()}")
    sub = p.add_subparsers(dest="command", required=True, title="commands", metavar="COMMAND")
    serve = sub.add_parser("serve", help="run the daemon (OpenAI and Anthropic APIs)")
    _config_arg(serve)
    serve.add_argument("--host", help="bind address (default 127.0.0.1)")
    serve.add_argument("--port", type=int, help="bind port (default 8088)")
    serve.set_defaults(func=cmd_serve)

    explain = sub.add_parser(
        "explain",
        help="show where a prompt would go and why, without sending it",
        description="Show where prompts would go and why (no LLM is loaded, nothing is "
        "sent). Exit status 2 when an input line is invalid.",
    )
    explain.add_argument(
        "text", nargs="?", help="the prompt; - (or a pipe) reads one prompt from stdin"
    )
    explain.add_argument(
        "--jsonl",
        metavar="FILE",
        help='a batch: one JSON object per line ({"text": ...} or a chat body); - for stdin',
    )
    explain.add_argument("--json", action="store_true", help="JSON lines instead of a table")
    _config_arg(explain)
    explain.add_argument("--policy", help="policy name (from the policy dir) or YAML file")
    cloud = explain.add_mutually_exclusive_group()
    cloud.add_argument(
        "--offline", action="store_true", help="decide as if no cloud provider were reachable"
    )
    cloud.add_argument(
        "--assume-cloud",
        action="store_true",
        help="decide as if a cloud provider were configured (default: the config's providers)",
    )
    explain.set_defaults(func=cmd_explain)

    status = sub.add_parser(
        "status",
        help="summarise a running daemon (exit 0 ready, 1 degraded or starting, 2 unreachable)",
    )
    status.add_argument("--url", help="daemon base URL (default: from the config, else :8088)")
    status.add_argument("--api-key", help=f"client key or admin token (env: {API_KEY_ENV})")
    status.add_argument("--timeout", type=float, default=5.0, help="seconds (default 5)")
    _config_arg(status)
    status.set_defaults(func=cmd_status)

    policy = sub.add_parser("policy", help="policy tools: policy check FILE...")
    psub = policy.add_subparsers(dest="policy_command", required=True, metavar="COMMAND")
    check = psub.add_parser("check", help="validate policy files; non-zero exit on problems")
    check.add_argument("files", nargs="+")
    check.set_defaults(func=cmd_policy_check)
    sub.add_parser("audit", help="query and export the audit trail (audit --help)")
    sub.add_parser("keys", help="hash or generate client API keys (keys --help)")
    sub.add_parser("experiments", help="experiment reports: experiments report NAME")
    return p


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    # These own their argument parsing (and are usable without the daemon's imports).
    if argv[:1] == ["audit"]:
        from edge_router.record.audit_cli import audit_cli

        return audit_cli(argv[1:])
    if argv[:1] == ["experiments"]:
        from edge_router.record.experiments_report import experiments_cli

        return experiments_cli(argv[1:])
    if argv[:1] == ["keys"]:
        from edge_router.api.auth import keys_cli

        return keys_cli(argv[1:])
    args = build_parser().parse_args(argv)
    try:
        rc: int = args.func(args)
    except ConfigError as exc:
        print(f"edge-router: {exc}", file=sys.stderr)
        return 2
    except PolicyError as exc:
        print(f"edge-router: invalid policy:\n{exc}", file=sys.stderr)
        return 2
    return rc


if __name__ == "__main__":
    sys.exit(main())
