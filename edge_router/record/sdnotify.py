"""Minimal sd_notify(3) client, no dependencies: tells systemd we are ready,
reloading, stopping, and alive (watchdog). Every call is a no-op returning False
when ``$NOTIFY_SOCKET`` is unset, i.e. when not run by a ``Type=notify`` unit.

Example (in the app's lifespan)::

    sdnotify.ready()                         # after models are loaded
    task = asyncio.create_task(sdnotify.watchdog_loop(lambda: state.ready))
    ...
    sdnotify.stopping()
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import time
from collections.abc import Callable

log = logging.getLogger(__name__)


def _address() -> str | None:
    addr = os.environ.get("NOTIFY_SOCKET")
    if not addr:
        return None
    if addr[0] == "@":  # Linux abstract namespace: leading NUL instead of '@'
        return "\0" + addr[1:]
    if addr[0] == "/":
        return addr
    return None  # vsock:/other transports (VMs) are not needed on a host


def notify(msg: str) -> bool:
    """Send one datagram (``KEY=VALUE`` lines) to systemd; True if it was sent.
    Failures are logged, not raised: a notify error must not take the daemon down
    (systemd will notice the missing READY/WATCHDOG itself)."""
    addr = _address()
    if addr is None:
        return False
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC) as s:
            s.connect(addr)
            s.sendall(msg.encode("utf-8"))
    except OSError as exc:
        log.warning("sd_notify failed: %s", type(exc).__name__)
        return False
    return True


def ready(status: str | None = None) -> bool:
    """Startup finished (or a reload did): systemd marks the unit active."""
    return notify("READY=1" + (f"\nSTATUS={status}" if status else ""))


def reloading() -> bool:
    """A SIGHUP reload started; call :func:`ready` when it ends. MONOTONIC_USEC lets
    systemd >= 253 (Type=notify-reload) match this to the reload it asked for."""
    usec = time.clock_gettime_ns(time.CLOCK_MONOTONIC) // 1000
    return notify(f"RELOADING=1\nMONOTONIC_USEC={usec}")


def stopping() -> bool:
    """Shutdown (drain) began: systemd stops waiting for READY and shows 'deactivating'."""
    return notify("STOPPING=1")


def status(text: str) -> bool:
    """Free-form status line shown by ``systemctl status``; never put request data here."""
    return notify(f"STATUS={text}")


def watchdog() -> bool:
    return notify("WATCHDOG=1")


def watchdog_interval_s() -> float | None:
    """The unit's WatchdogSec in seconds if the watchdog is on for this process, else None.
    Ping at half of it."""
    usec = os.environ.get("WATCHDOG_USEC")
    pid = os.environ.get("WATCHDOG_PID")
    if not usec or (pid and pid != str(os.getpid())):
        return None  # WATCHDOG_PID names another process (e.g. we are a child)
    try:
        value = int(usec)
    except ValueError:
        return None
    return value / 1_000_000 if value > 0 else None


async def watchdog_loop(healthy: Callable[[], bool] | None = None) -> None:
    """Ping the watchdog at half its interval while ``healthy()`` holds. Running on the
    event loop is the point: a blocked loop stops the pings and systemd restarts us.
    Returns at once when there is no watchdog; cancel it on shutdown."""
    interval = watchdog_interval_s()
    if interval is None:
        return
    while True:
        if healthy is None or healthy():
            watchdog()
        await asyncio.sleep(interval / 2)
