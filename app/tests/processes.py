"""What the process tests share: a real `ai-navigator serve` on a free loopback port."""

import os
import socket
import subprocess
import sys
import time

import httpx
import pytest

# A loaded shared 2-core machine can take many seconds to start Python.
START_TIMEOUT = 60


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def serve(port: int, env: dict, *flags: str, **popen) -> subprocess.Popen:
    """Start the service; `env` adds to (or, with None values, removes from) this environment."""
    environment = {**os.environ, **env}
    environment = {k: v for k, v in environment.items() if v is not None}
    return subprocess.Popen([sys.executable, "-m", "ai_navigator.cli", "serve", "--host", "127.0.0.1",
                             "--port", str(port), *flags], env=environment, **popen)


def wait_healthy(proc: subprocess.Popen, port: int, log) -> None:
    """Until /health answers; fails the test with the server's output if it exits or never does."""
    deadline = time.monotonic() + START_TIMEOUT
    while True:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/health", timeout=0.5).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            log.seek(0)
            pytest.fail("server did not start: " + log.read())
        time.sleep(0.05)
