"""sd_notify against a real AF_UNIX datagram socket, and the shipped systemd unit."""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import socket
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from edge_router.record import sdnotify

REPO = Path(__file__).resolve().parent.parent
UNIT = REPO / "systemd" / "edge-router.service"


class Receiver:
    """What systemd does: a datagram socket that collects notify messages."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock

    def messages(self) -> list[str]:
        out = []
        while True:
            try:
                out.append(self.sock.recv(4096).decode())
            except BlockingIOError:
                return out


@pytest.fixture(params=["path", "abstract"])
def receiver(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Receiver]:
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    mp = pytest.MonkeyPatch()
    try:
        if request.param == "path":
            addr = str(tmp_path / "notify")
            sock.bind(addr)
            mp.setenv("NOTIFY_SOCKET", addr)
        else:
            name = f"edge-router-test-{os.getpid()}-{id(sock)}"
            sock.bind("\0" + name)
            mp.setenv("NOTIFY_SOCKET", "@" + name)
        sock.setblocking(False)
        yield Receiver(sock)
    finally:
        mp.undo()
        sock.close()


def test_lifecycle_messages(receiver: Receiver) -> None:
    assert sdnotify.ready(status="serving on 127.0.0.1:8088")
    assert sdnotify.watchdog()
    assert sdnotify.reloading()
    assert sdnotify.status("reloaded")
    assert sdnotify.stopping()
    msgs = receiver.messages()
    assert msgs[0] == "READY=1\nSTATUS=serving on 127.0.0.1:8088"
    assert msgs[1] == "WATCHDOG=1"
    assert re.fullmatch(r"RELOADING=1\nMONOTONIC_USEC=\d+", msgs[2])
    assert msgs[3:] == ["STATUS=reloaded", "STOPPING=1"]


def test_no_op_outside_systemd(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NOTIFY_SOCKET", raising=False)
    assert sdnotify.ready() is False
    monkeypatch.setenv("NOTIFY_SOCKET", "vsock:2:1234")
    assert sdnotify.ready() is False


def test_send_failure_is_not_fatal(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("NOTIFY_SOCKET", str(tmp_path / "nobody-listens"))
    assert sdnotify.watchdog() is False


@pytest.mark.parametrize(
    ("usec", "pid", "expected"),
    [
        ("30000000", None, 30.0),
        ("30000000", "self", 30.0),
        ("30000000", "1", None),  # the watchdog is for another process
        ("0", None, None),
        ("soon", None, None),
        (None, None, None),
    ],
)
def test_watchdog_interval(
    monkeypatch: pytest.MonkeyPatch, usec: str | None, pid: str | None, expected: float | None
) -> None:
    for name, value in (("WATCHDOG_USEC", usec), ("WATCHDOG_PID", pid)):
        if value is None:
            monkeypatch.delenv(name, raising=False)
        else:
            monkeypatch.setenv(name, str(os.getpid()) if value == "self" else value)
    assert sdnotify.watchdog_interval_s() == expected


@pytest.mark.parametrize("healthy", [True, False])
def test_watchdog_loop_pings_only_when_healthy(
    receiver: Receiver, monkeypatch: pytest.MonkeyPatch, healthy: bool
) -> None:
    monkeypatch.setenv("WATCHDOG_USEC", "20000")  # 20 ms: ping every 10 ms
    monkeypatch.delenv("WATCHDOG_PID", raising=False)

    async def run() -> None:
        task = asyncio.create_task(sdnotify.watchdog_loop(lambda: healthy))
        await asyncio.sleep(0.1)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    asyncio.run(run())
    pings = receiver.messages()
    if healthy:
        assert len(pings) >= 3 and set(pings) == {"WATCHDOG=1"}
    else:
        assert pings == []


def test_watchdog_loop_returns_without_watchdog(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("WATCHDOG_USEC", raising=False)
    asyncio.run(asyncio.wait_for(sdnotify.watchdog_loop(), timeout=1))


# ---- the unit file ----


def _directives() -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for line in UNIT.read_text().splitlines():
        line = line.strip()
        if line and not line.startswith(("#", ";", "[")):
            key, _, value = line.partition("=")
            out.setdefault(key, []).append(value)
    return out


def test_unit_has_the_lifecycle_and_sandbox_we_rely_on() -> None:
    d = _directives()
    expected = {
        "Type": "notify",
        "NotifyAccess": "main",
        "ExecReload": "/bin/kill -HUP $MAINPID",
        "DynamicUser": "yes",
        "StateDirectory": "edge-router",
        "ConfigurationDirectory": "edge-router",
        "ProtectSystem": "strict",
        "NoNewPrivileges": "yes",
        "CapabilityBoundingSet": "",
        "UMask": "0077",
        "RestrictAddressFamilies": "AF_INET AF_INET6 AF_UNIX",
    }
    for key, value in expected.items():
        assert d.get(key) == [value], key
    assert d["ExecStart"][0].startswith("/opt/edge-router/.venv/bin/edge-router serve --config ")
    assert "WatchdogSec" in d and "LogsDirectory" in d
    assert "ProcSubset" not in d  # psutil needs /proc/stat, /proc/meminfo, /proc/loadavg


def _unit_with_real_binary(tmp_path: Path) -> Path:
    # verify checks that ExecStart exists; point it at this checkout's entry point.
    exe = REPO / ".venv" / "bin" / "edge-router"
    if not exe.exists():
        pytest.skip(f"{exe} missing: run ./install.sh")
    unit = tmp_path / "edge-router.service"
    unit.write_text(UNIT.read_text().replace("/opt/edge-router/.venv/bin/edge-router", str(exe)))
    return unit


_ANALYZE = shutil.which("systemd-analyze")
needs_analyze = pytest.mark.skipif(
    _ANALYZE is None, reason="systemd-analyze not installed (apt-get install -y systemd)"
)


@needs_analyze
def test_unit_verifies(tmp_path: Path) -> None:
    unit = _unit_with_real_binary(tmp_path)
    r = subprocess.run(
        [str(_ANALYZE), "verify", str(unit)], capture_output=True, text=True, timeout=60
    )
    assert r.returncode == 0 and not r.stderr.strip(), r.stderr


@needs_analyze
def test_unit_security_exposure_at_most_2(tmp_path: Path) -> None:
    unit = _unit_with_real_binary(tmp_path)
    r = subprocess.run(
        [str(_ANALYZE), "security", "--offline=true", "--no-pager", str(unit)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    m = re.search(r"Overall exposure level for \S+: (\d+\.\d)", r.stdout)
    if m is None and "offline" in r.stderr:
        pytest.skip(f"this systemd-analyze cannot score unit files offline: {r.stderr[:200]}")
    assert m is not None, r.stdout[-500:] + r.stderr[-500:]
    assert float(m.group(1)) <= 2.0, r.stdout
