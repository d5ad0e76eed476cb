"""What the benchmarks share: one real `ai-navigator serve` process on a free loopback port."""

from __future__ import annotations

import socket
import subprocess
import sys
import time

import httpx


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start(port: int, *flags: str, timeout: float = 30) -> subprocess.Popen:
    """Start the service (no drain delay, so it stops at once) and wait until /health answers."""
    proc = subprocess.Popen([sys.executable, "-m", "ai_navigator.cli", "serve", "--host", "127.0.0.1",
                             "--port", str(port), "--drain-seconds", "0", *flags],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/health", timeout=0.5).status_code == 200:
                return proc
        except httpx.HTTPError:
            time.sleep(0.05)
    proc.kill()
    raise SystemExit("server did not start")
