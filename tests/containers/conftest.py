"""A private Docker engine for the container tests, and the image built in it.

These tests need root, Debian's docker.io and minutes; `make containers` runs them
(AI_NAVIGATOR_CONTAINERS=1). Without that variable they are skipped, so `pytest tests` stays the
quick unit suite. Everything they start (dockerd, containerd, containers, networks, mounts) is
stopped and removed at the end of the session, also when a test fails.
"""

from __future__ import annotations

import os
import pathlib
import shutil
import subprocess
import sys
import tempfile
import time

import pytest

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))  # deploy_facts
sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))  # container_engine

from container_engine import DOCKER, FIGURES, IMAGE, ROOT, SCRIPTS, Engine, figure  # noqa: E402


def pytest_collection_modifyitems(items):
    if os.environ.get("AI_NAVIGATOR_CONTAINERS") == "1":
        return
    skip = pytest.mark.skip(reason="container tests: run them with `make containers`")
    here = pathlib.Path(__file__).parent
    for item in items:
        if here in pathlib.Path(item.fspath).parents:
            item.add_marker(skip)


def pytest_terminal_summary(terminalreporter):
    if FIGURES:
        terminalreporter.section("container figures")
        for line in FIGURES:
            terminalreporter.write_line(line)


@pytest.fixture(scope="session")
def engine():
    assert os.geteuid() == 0, "the container tests start their own dockerd: run them as root"
    state = pathlib.Path(tempfile.mkdtemp(prefix="ainav-ctr-"))
    started = subprocess.run([SCRIPTS / "dockerd.sh", "start", state], capture_output=True, text=True)
    try:
        assert started.returncode == 0, started.stderr
        yield Engine(state, started.stdout.strip())
    finally:
        stopped = subprocess.run([SCRIPTS / "dockerd.sh", "stop", state], capture_output=True, text=True)
        shutil.rmtree(state, ignore_errors=True)
        assert stopped.returncode == 0, stopped.stderr
        assert not any(str(state) in line for line in pathlib.Path("/proc/self/mounts").read_text().splitlines())


@pytest.fixture(scope="session")
def image(engine):
    """The stand-in base, the release wheelhouse, then the one documented build command."""
    subprocess.run([SCRIPTS / "standin-base.sh", DOCKER], env=engine.env, check=True, timeout=600)
    subprocess.run([SCRIPTS / "build-context.sh"], check=True, capture_output=True, timeout=600)
    began = time.monotonic()
    engine.run("build", "-t", IMAGE, "app", cwd=ROOT, timeout=600)
    size = int(engine.inspect(IMAGE, "{{.Size}}"))
    base = int(engine.inspect("python:3.11-slim", "{{.Size}}"))
    figure(f"image {IMAGE}: {size / 1e6:.0f} MB ({(size - base) / 1e6:.1f} MB above the base image); "
           f"built in {time.monotonic() - began:.0f} s from the wheelhouse")
    return IMAGE


@pytest.fixture(scope="module")
def network(engine):
    """A bridge of its own: the tests' engine has no default bridge (--bridge=none)."""
    name = f"ainav-test-{os.getpid()}"
    engine.run("network", "create", name)
    yield name
    engine.run("network", "rm", name, check=False)
