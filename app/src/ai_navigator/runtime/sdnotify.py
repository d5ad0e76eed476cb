"""Minimal sd_notify(3): datagrams to $NOTIFY_SOCKET (path or '@abstract')."""

from __future__ import annotations

import os
import socket
from collections.abc import Mapping


def notify(message: str, env: Mapping[str, str] | None = None) -> bool:
    """Send one notification to systemd. Returns False when not under systemd or on error."""
    environ = os.environ if env is None else env
    addr = environ.get("NOTIFY_SOCKET")
    if not addr:
        return False
    if addr[0] == "@":  # abstract namespace socket
        addr = "\0" + addr[1:]
    elif addr[0] != "/":
        return False  # vsock and other schemes are not supported
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC) as sock:
            # Never block the event loop: a unix datagram send blocks when the receiver's queue is
            # full (net.unix.max_dgram_qlen); a lost ping is better than a frozen server.
            sock.setblocking(False)
            sock.connect(addr)
            sock.send(message.encode())
        return True
    except OSError:  # includes BlockingIOError
        return False


def watchdog_interval(env: Mapping[str, str] | None = None) -> float | None:
    """Seconds between WATCHDOG=1 pings (a third of WATCHDOG_USEC), or None if no watchdog."""
    environ = os.environ if env is None else env
    usec = environ.get("WATCHDOG_USEC")
    if not usec:
        return None
    pid = environ.get("WATCHDOG_PID")
    if pid and pid.isdigit() and int(pid) != os.getpid():
        return None  # the watchdog is meant for another process
    try:
        value = int(usec)
    except ValueError:
        return None
    return value / 1e6 / 3 if value > 0 else None
