"""Day 2 on the converged fleet: playbooks/status.yml (healthy, an instance stopped, a host that
never answers) and the monitoring role's Prometheus targets on the monitoring host."""

import json
import os
import socket
import subprocess
import time

import pytest
import yaml

import fleet

CONNECT_TIMEOUT = 5  # ai_navigator_status_connect_timeout for the unreachable case
TASK_TIMEOUT = 30  # status.yml's default ai_navigator_status_task_timeout


def status(*extra_inventories: str, extra_vars: str = "{}") -> tuple[int, str, float]:
    """Run status.yml in check mode (it must change nothing): (exit status, output, seconds)."""
    inventories = [a for path in (os.environ["MOLECULE_INVENTORY_FILE"], *extra_inventories) for a in ("-i", path)]
    started = time.monotonic()
    result = subprocess.run([fleet.BIN / "ansible-playbook", *inventories, "--check", "-e", extra_vars,
                             "ai_navigator.fleet.status"],
                            capture_output=True, text=True, cwd=fleet.REPO, env=fleet.plain_env(), check=False)
    return result.returncode, result.stdout + result.stderr, time.monotonic() - started


def table(output: str) -> list[str]:
    """The table lines the 'Show the fleet' task printed."""
    start = output.index('"msg": [', output.index("TASK [Show the fleet]"))
    return json.loads("[" + output[start + len('"msg": ['):output.index("]\n}", start)] + "]")


def rows(lines: list[str], host: str) -> list[list[str]]:
    return [line.split() for line in lines if line.split()[:1] == [host]]


@pytest.fixture(scope="module")
def healthy_run():
    return status()


def test_healthy_fleet_exits_0_with_every_instance_in_the_table(healthy_run):
    rc, output, _ = healthy_run
    assert rc == 0, output[-3000:]
    lines = table(output)
    assert lines[-1] == "HEALTHY"
    ports = fleet.role_defaults("app")["ai_navigator_app_base_port"]
    expected = [str(ports + i) for i in range(fleet.role_defaults("app")["ai_navigator_app_instances"])]
    for host in fleet.group("ai_navigator_app"):
        _, _, version = fleet.http_get(f"http://{fleet.address(host)}:{expected[0]}/version")
        release = json.loads(version)["release"]
        assert [(r[1], r[2], r[3], r[4]) for r in rows(lines, host)] == [
            (port, "active/running", release, "200") for port in expected], lines
    for lb in fleet.group("ai_navigator_lb"):
        assert rows(lines, lb)[0][1] == "active/running", lines
        upstream = [r[1] for r in rows(lines, lb)[1:]]
        assert upstream == [f"{fleet.address(h)}:{p}" for h in fleet.group("ai_navigator_app") for p in expected]
    assert all(c["changed"] == 0 for c in fleet.recap(output).values())


def test_a_stopped_instance_is_named_and_fails_the_run():
    host, port = fleet.group("ai_navigator_app")[-1], fleet.role_defaults("app")["ai_navigator_app_base_port"] + 1
    unit = f"ai-navigator@{port}.service"
    assert fleet.run_on(host, f"systemctl stop {unit}")[0] == 0
    try:
        rc, output, _ = status()
    finally:
        assert fleet.run_on(host, f"systemctl start {unit}")[0] == 0
        deadline = time.monotonic() + 30
        while fleet.http_get(f"http://{fleet.address(host)}:{port}/ready", timeout=1)[0] != 200:
            assert time.monotonic() < deadline, f"{host} {unit} did not come back"
            time.sleep(0.5)
    assert rc != 0, output[-3000:]
    lines = table(output)
    assert [host, str(port), "inactive/dead"] in [r[:3] for r in rows(lines, host)], lines
    assert lines[-2:] == ["UNHEALTHY: 1 problem(s)", f"  - {host} {unit}: inactive/dead, not running"]


def test_a_host_that_never_answers_is_reported_within_the_timeout(healthy_run, tmp_path):
    # A TCP port that accepts and then says nothing: SSH waits for a banner that never comes.
    silent = socket.create_server(("127.0.0.1", 0))
    extra = tmp_path / "silent.json"
    extra.write_text(json.dumps({"ai_navigator_app": {"hosts": {"silent9": {
        "ansible_host": "127.0.0.1", "ansible_port": silent.getsockname()[1]}}}}))
    with silent:
        rc, output, seconds = status(str(extra), extra_vars=json.dumps({"ai_navigator_status_connect_timeout": CONNECT_TIMEOUT}))
    assert rc != 0, output[-3000:]
    lines = table(output)
    assert rows(lines, "silent9") == [["silent9", "-", "UNREACHABLE", "-", "-", "-", "-", "-"]], lines
    assert any(line.startswith("  - silent9: unreachable: ") for line in lines), lines
    # The silent host is read in parallel with the others: the run ends within the documented
    # bound, a healthy run's time plus the connect and task timeouts (README "Day 2").
    print(f"status.yml: healthy {healthy_run[2]:.1f} s, with a silent host {seconds:.1f} s")
    assert seconds < healthy_run[2] + CONNECT_TIMEOUT + TASK_TIMEOUT, f"{seconds:.1f} s (healthy run {healthy_run[2]:.1f} s)"


def test_monitoring_host_lists_every_instance_as_a_prometheus_target():
    defaults = fleet.role_defaults("app")
    ports = range(defaults["ai_navigator_app_base_port"], defaults["ai_navigator_app_base_port"] + defaults["ai_navigator_app_instances"])
    path = fleet.role_defaults("monitoring")["ai_navigator_monitoring_targets_file"]
    for monitor in fleet.group("ai_navigator_monitoring"):
        rc, text = fleet.run_on(monitor, f"cat {path}")
        assert rc == 0, f"{monitor}: no {path}"
        targets = yaml.safe_load(text)
        expected = []
        for host in fleet.group("ai_navigator_app"):
            release = json.loads(fleet.http_get(f"http://{fleet.address(host)}:{ports[0]}/version")[2])["release"]
            expected += [{"targets": [f"{fleet.address(host)}:{p}"],
                          "labels": {"host": host, "port": str(p), "release": release, "service": "ai-navigator"}}
                         for p in ports]
        assert targets == expected
        # Prometheus on that host could scrape them: every target's /metrics answers there.
        for entry in targets:
            url = f"http://{entry['targets'][0]}/metrics"
            rc, out = fleet.run_on(monitor, f"python3 -c 'import urllib.request as u; print(u.urlopen(\"{url}\", timeout=3).status)'")
            assert (rc, out.strip()) == (0, "200"), f"{monitor}: {url}: {out}"
        rules = fleet.role_defaults("monitoring")["ai_navigator_monitoring_rules_file"]
        _, shipped = fleet.run_on(monitor, f"sha256sum < {rules}")
        local = subprocess.run(["sha256sum"], input=(fleet.REPO / "roles/monitoring/files/ai_navigator.rules.yml").read_bytes(),
                               capture_output=True, check=True).stdout.decode()
        assert shipped == local, f"{monitor}: {rules} is not the rules file the collection ships"
