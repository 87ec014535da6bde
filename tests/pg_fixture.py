"""A throwaway PostgreSQL server for tests: initdb into a temp dir, pg_ctl on a free port.

The real server from the system packages (``apt-get install postgresql``; ``.ci/run``
installs it), never a mock. Run as root, the cluster belongs to the ``postgres`` user
(initdb refuses root). Without the binaries the tests skip, except under
``EDGE_ROUTER_REQUIRE_POSTGRES=1`` (set by ``.ci/run``), where they fail: CI must run them.
"""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import shutil
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from serving import free_port

REQUIRED_ENV = "EDGE_ROUTER_REQUIRE_POSTGRES"
SUPERUSER = "edge"


def _bindir() -> Path | None:
    """PostgreSQL's server binaries: $PG_BINDIR, else the newest /usr/lib/postgresql/N/bin."""
    if env := os.environ.get("PG_BINDIR"):
        return Path(env)
    found = sorted(
        glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"), key=lambda p: int(p.split("/")[4])
    )
    return Path(found[-1]).parent if found else None


class PgServer:
    """One cluster: ``url(db)`` to connect, ``stop()``/``start()`` for outage tests."""

    def __init__(self, bindir: Path, root: Path) -> None:
        self.bindir, self.data, self.port = bindir, root / "data", free_port()
        self.log = root / "server.log"
        self._as: list[str] = []
        if os.geteuid() == 0:
            self._as = ["runuser", "-u", "postgres", "--"]
            shutil.chown(root, "postgres", "postgres")
        self._run("initdb", "-D", str(self.data), "-U", SUPERUSER, "--auth=trust", "-E", "UTF8")

    def _run(self, tool: str, *args: str) -> None:
        cmd = [*self._as, str(self.bindir / tool), *args]
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=120, check=False)
        if done.returncode != 0:
            raise RuntimeError(f"{tool} failed: {done.stderr.strip()[-2000:]}")

    def start(self) -> None:
        opts = f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.data} -c fsync=on"
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.log), "-o", opts, "-w", "start")

    def stop(self) -> None:
        """A fast shutdown: connections are cut, as when the database host goes away."""
        self._run("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "stop")

    def url(self, db: str = "postgres") -> str:
        return f"postgresql://{SUPERUSER}@127.0.0.1:{self.port}/{db}"

    def new_database(self) -> str:
        """A fresh, empty database; its URL."""
        name = "t_" + uuid.uuid4().hex[:12]
        with psycopg.connect(self.url(), autocommit=True) as conn:
            conn.execute(f"CREATE DATABASE {name}")
        return self.url(name)


def pg_server() -> Iterator[PgServer]:
    """Body of the session fixture ``pg`` (see tests using it)."""
    bindir = _bindir()
    if bindir is None or not (bindir / "initdb").exists():
        msg = "PostgreSQL server binaries not found (apt-get install postgresql, or PG_BINDIR)"
        if os.environ.get(REQUIRED_ENV) == "1":
            pytest.fail(msg + f"; {REQUIRED_ENV}=1 requires them")
        pytest.skip(msg)
    if os.geteuid() == 0:
        try:
            pwd.getpwnam("postgres")
        except KeyError:
            pytest.fail("running as root needs the 'postgres' user to own the test cluster")
    root = Path(tempfile.mkdtemp(prefix="edge-router-pg-"))
    server = PgServer(bindir, root)
    server.start()
    try:
        yield server
    finally:
        with contextlib.suppress(RuntimeError):  # already stopped by a test
            server.stop()
        shutil.rmtree(root, ignore_errors=True)
