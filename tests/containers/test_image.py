"""The image: lint, structure, and behaviour when it runs as documented (read-only root)."""

from __future__ import annotations

import http.client
import json
import pathlib
import socket
import subprocess
import sys
import time

import pytest
from container_engine import ROOT, figure, free_port

VENV_BIN = pathlib.Path(sys.executable).parent
DRAIN = 1.0


def get(host: str, port: int, path: str) -> tuple[int, dict, dict]:
    conn = http.client.HTTPConnection(host, port, timeout=5)
    try:
        conn.request("GET", path)
        response = conn.getresponse()
        return response.status, dict(response.getheaders()), json.loads(response.read())
    finally:
        conn.close()


@pytest.mark.parametrize("dockerfile", ["app/Dockerfile", "deploy/compose/nginx/Dockerfile"])
def test_dockerfile_is_hadolint_clean(dockerfile):
    result = subprocess.run([VENV_BIN / "hadolint", "--failure-threshold", "info", ROOT / dockerfile],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_image_structure(engine, image):
    result = subprocess.run([VENV_BIN / "container-structure-test", "test", "--image", image,
                             "--config", ROOT / "tests/containers/image-structure.yaml"],
                            env=engine.env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert "Failures:    0" in result.stdout


@pytest.fixture(scope="module")
def container(engine, image, network):
    """The documented run: detached, read-only root, port published on loopback. One container
    for the tests below; the SIGTERM test stops it, so it comes last."""
    name = f"ainav-run-{free_port()}"
    port = free_port()
    began = time.monotonic()
    engine.run("run", "-d", "--name", name, "--network", network, "--read-only", "--cap-drop", "ALL",
               "--stop-timeout", "16", "-p", f"127.0.0.1:{port}:8000", image)
    healthy_after = engine.wait_healthy(name)
    figure(f"start to healthy (docker run → HEALTHCHECK healthy): {time.monotonic() - began:.1f} s "
           f"(health checks every 2 s)")
    address = engine.inspect(name, "{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}")
    yield name, port, address, healthy_after
    engine.run("rm", "-f", name, check=False)


def test_runs_read_only_as_non_root_and_answers(engine, container):
    name, port, address, _ = container
    assert engine.inspect(name, "{{.HostConfig.ReadonlyRootfs}} {{.Config.User}}") == "true 10001:10001"
    status, headers, body = get("127.0.0.1", port, "/health")
    assert status == 200 and body["status"] == "healthy" and body["version"] == "1.0.0"
    status, headers, body = get("127.0.0.1", port, "/ready")
    assert (status, body) == (200, {"status": "ready"})
    assert headers["x-ai-navigator-instance"].endswith(":8000")
    # The root really is read-only for the service's user.
    wrote = engine.run("exec", name, "python3", "-c", "open('/opt/ai-navigator/x', 'w')", check=False)
    assert wrote.returncode != 0 and "Read-only file system" in wrote.stderr


def test_sigterm_drains_finishes_in_flight_and_exits_zero(engine, container):
    name, _, address, _ = container
    body = json.dumps({"query": "from Berlin to Munich"}).encode()
    slow = socket.create_connection((address, 8000), timeout=5)
    slow.sendall(b"POST /api/ai/navigate HTTP/1.1\r\nHost: test\r\nContent-Type: application/json\r\n"
                 b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body[:10])
    time.sleep(0.3)
    t0 = time.monotonic()
    engine.run("kill", "--signal", "SIGTERM", name)  # what `docker stop` sends first (STOPSIGNAL)
    time.sleep(0.3)
    status, _, payload = get(address, 8000, "/ready")
    assert (status, payload) == (503, {"status": "draining"})
    assert get(address, 8000, "/health")[0] == 200
    time.sleep(max(0.0, DRAIN + 0.7 - (time.monotonic() - t0)))
    with pytest.raises(OSError):
        socket.create_connection((address, 8000), timeout=1).close()
    assert engine.inspect(name, "{{.State.Status}}") == "running"  # the in-flight request holds it
    slow.sendall(body[10:])
    raw = b""
    while not raw.rstrip().endswith(b"}"):
        chunk = slow.recv(65536)
        if not chunk:
            break
        raw += chunk
    slow.close()
    assert raw.startswith(b"HTTP/1.1 200"), raw[:200]
    assert engine.run("wait", name, timeout=30).stdout.strip() == "0"
    assert engine.inspect(name, "{{.State.OOMKilled}}") == "false"


@pytest.mark.parametrize(("setting", "value"), [("AI_NAVIGATOR_DRAIN_SECONDS", "abc"),
                                                ("AI_NAVIGATOR_LOG_LEVEL", "loud"),
                                                ("AI_NAVIGATOR_MAX_BODY_BYTES", "1")])
def test_a_bad_setting_stops_the_container_with_its_name(engine, image, setting, value):
    result = engine.run("run", "--rm", "--network", "none", "--read-only", "-e", f"{setting}={value}", image,
                        check=False, timeout=60)
    assert result.returncode == 2, result.stderr
    assert f"{setting}='{value}'" in result.stderr
    assert "Traceback" not in result.stderr + result.stdout
