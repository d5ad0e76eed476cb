"""App hosts: every instance runs as an unprivileged, sandboxed systemd unit and answers."""

import re
import socket
import time

import harness
import pytest

PORTS = [8000, 8001, 8002, 8003]  # the defaults: 4 instances from port 8000
testinfra_hosts = harness.testinfra_hosts("ai_navigator_app")


@pytest.mark.parametrize("port", PORTS)
def test_instance_unit_active_and_enabled(host, port):
    unit = host.service(f"ai-navigator@{port}.service")
    assert unit.is_running
    assert unit.is_enabled


@pytest.mark.parametrize("port", PORTS)
def test_instance_listens_and_is_ready(host, port):
    assert host.socket(f"tcp://{harness.address(host.backend.host)}:{port}").is_listening
    status, headers, _ = harness.http(f"http://{harness.address(host.backend.host)}:{port}/ready")
    assert status == 200
    assert headers["X-AI-Navigator-Instance"] == f"{host.backend.host}:{port}"


def test_no_more_instances_than_configured(host):
    units = host.run("systemctl list-units --plain --no-legend --state=active 'ai-navigator@*'").stdout
    assert sorted(int(p) for p in re.findall(r"ai-navigator@(\d+)\.service", units)) == PORTS


def test_service_user_is_not_root_and_has_no_shell(host):
    user = host.user("ai-navigator")
    assert user.uid != 0
    assert user.shell == "/usr/sbin/nologin"
    main_pid = host.run("systemctl show -p MainPID --value ai-navigator@8000").stdout.strip()
    assert host.run(f"ps -o user= -p {main_pid}").stdout.strip() == "ai-navigator"


def test_current_release_is_the_one_serving(host):
    current = host.file("/opt/ai-navigator/current")
    assert current.is_symlink
    release = current.linked_to.rsplit("/", 1)[-1]
    assert host.file(f"/opt/ai-navigator/releases/{release}/venv/bin/ai-navigator").exists
    assert f"AI_NAVIGATOR_RELEASE={release}\n" in host.file("/etc/ai-navigator/ai-navigator.env").content_string
    _, headers, _ = harness.http(f"http://{harness.address(host.backend.host)}:8000/version")
    assert headers["X-AI-Navigator-Release"] == release


def test_unit_is_sandboxed_and_limited(host):
    exposure = host.run("systemd-analyze security ai-navigator@8000.service").stdout
    score = float(re.search(r"Overall exposure level for \S+: ([0-9.]+)", exposure).group(1))
    harness.figure(f"{host.backend.host}: systemd-analyze security exposure: {score}")
    assert score <= 2.0
    props = host.run("systemctl show -p MemoryMax -p TasksMax -p Type -p WatchdogUSec -p Restart -p LimitNOFILE "
                     "ai-navigator@8000").stdout
    assert "MemoryMax=536870912" in props
    assert f"LimitNOFILE={harness.role_defaults('app')['ai_navigator_app_limit_nofile']}" in props
    assert "Type=notify" in props
    assert "Restart=always" in props
    assert f"WatchdogUSec={harness.role_defaults('app')['ai_navigator_app_watchdog_sec']}s" in props


def test_slow_and_idle_clients_cannot_pin_an_instance_socket(host):
    """Straight to an instance: an idle client and one that sent half a request line are closed
    after the service's header timeout (10 s by default), the latter with 408."""
    sockets = {}
    for kind, first in (("idle", b""), ("partial", b"GET /hea")):
        sock = socket.create_connection((harness.address(host.backend.host), 8002), timeout=20)
        sock.sendall(first)
        sockets[kind] = sock
    t0 = time.monotonic()
    got = {}
    for kind, sock in sockets.items():
        data = b""
        while chunk := sock.recv(4096):  # until the server closes (the 20 s socket timeout fails the test)
            data += chunk
        got[kind] = (time.monotonic() - t0, data)
        sock.close()
    harness.figure(f"{host.backend.host}:8002 closed slow clients after (s): "
                   f"{ {kind: round(held, 1) for kind, (held, _) in got.items()} }")
    assert got["idle"][1] == b"" and got["partial"][1].startswith(b"HTTP/1.1 408 ")
    assert all(8 < held < 15 for held, _ in got.values())
