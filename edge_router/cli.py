"""edge-router command line: serve | explain | policy check."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from edge_router.api.auth import check_bind_allowed
from edge_router.config import ConfigError, Settings, load_settings
from edge_router.routing.policy import PolicyError


def _settings(args: argparse.Namespace) -> Settings:
    path = args.config or os.environ.get("EDGE_ROUTER_CONFIG")
    return load_settings(Path(path) if path else None)


def cmd_serve(args: argparse.Namespace) -> int:
    import uvicorn

    from edge_router.api.http import server_config
    from edge_router.app import create_app
    from edge_router.record.logs import setup_logging

    if args.host:
        os.environ["EDGE_ROUTER_HOST"] = args.host
    if args.port:
        os.environ["EDGE_ROUTER_PORT"] = str(args.port)
    settings = _settings(args)
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
    server = uvicorn.Server(server_config(create_app(settings), settings.server))
    # Token handoff from the llama worker thread to the event loop waits for the
    # GIL; CPython's default 5 ms switch interval showed up as lost throughput.
    sys.setswitchinterval(0.0005)
    server.run()
    return 0


def cmd_explain(args: argparse.Namespace) -> int:
    import json

    from edge_router.privacy.scanner import PrivacyScanner
    from edge_router.routing.complexity import ComplexityScorer
    from edge_router.routing.explain import explain_lines
    from edge_router.routing.pipeline import PolicySet, Router

    settings = _settings(args)
    default = args.policy or settings.policy.default
    policies = PolicySet.load(settings.policy.directory(), default)
    router = Router(
        PrivacyScanner(settings.privacy),
        policies,
        ComplexityScorer(settings.policy.complexity_threshold),
    )
    # explain answers "what would happen with a cloud provider configured?" unless
    # --offline says otherwise: that is the question operators ask before enabling one.
    cloud = not args.offline
    source = sys.stdin if args.jsonl == "-" else open(args.jsonl, encoding="utf-8")  # noqa: SIM115
    try:
        for row in explain_lines(source, router, cloud_available=cloud):
            sys.stdout.write(json.dumps(row, ensure_ascii=False) + "\n")
    finally:
        if source is not sys.stdin:
            source.close()
    return 0


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


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="edge-router", description=__doc__)
    sub = p.add_subparsers(dest="command", required=True)
    serve = sub.add_parser("serve", help="run the daemon")
    serve.add_argument("--config", help="YAML config file (env: EDGE_ROUTER_CONFIG)")
    serve.add_argument("--host", help="bind address (default 127.0.0.1)")
    serve.add_argument("--port", type=int, help="bind port (default 8088)")
    serve.set_defaults(func=cmd_serve)

    explain = sub.add_parser(
        "explain", help="show the routing decision for each JSON line (no LLM is loaded)"
    )
    explain.add_argument("--config", help="YAML config file (env: EDGE_ROUTER_CONFIG)")
    explain.add_argument("--policy", help="policy name (from the policy dir) or YAML file")
    explain.add_argument("--jsonl", required=True, help="input file of JSON lines, or - for stdin")
    explain.add_argument(
        "--offline", action="store_true", help="decide as if no cloud provider were reachable"
    )
    explain.set_defaults(func=cmd_explain)

    sub.add_parser("audit", help="query and export the audit trail (see: audit --help)")
    sub.add_parser("keys", help="hash or generate client API keys (see: keys --help)")
    policy = sub.add_parser("policy", help="policy tools")
    psub = policy.add_subparsers(dest="policy_command", required=True)
    check = psub.add_parser("check", help="validate policy files; non-zero exit on problems")
    check.add_argument("files", nargs="+")
    check.set_defaults(func=cmd_policy_check)
    return p


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    # These own their argument parsing (and are usable without the daemon's imports).
    if argv[:1] == ["audit"]:
        from edge_router.record.audit_cli import audit_cli

        return audit_cli(argv[1:])
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
