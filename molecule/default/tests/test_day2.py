"""Day 2 on the converged fleet: playbooks/status.yml (healthy, an instance stopped, a host that
never answers) and the monitoring role's Prometheus targets on the monitoring host."""

import json
import socket
import subprocess

import harness
import pytest
import yaml

CONNECT_TIMEOUT = 5  # ai_navigator_status_connect_timeout for the unreachable case
TASK_TIMEOUT = 30  # status.yml's default ai_navigator_status_task_timeout


def status(*extra_inventories: str, extra_vars: str = "{}") -> harness.Run:
    """Run status.yml in check mode (it must change nothing)."""
    return harness.playbook("ai_navigator.fleet.status", "--check", "-e", extra_vars,
                            inventory=[harness.inventory_file(), *extra_inventories])


def table(run: harness.Run) -> list[str]:
    """The table lines the 'Show the fleet' task printed."""
    shown = [e["event_data"]["res"]["msg"] for e in run.events
             if e.get("event") == "runner_on_ok" and e["event_data"].get("task") == "Show the fleet"]
    assert shown, run.tail()
    return shown[-1]


def rows(lines: list[str], host: str) -> list[list[str]]:
    return [line.split() for line in lines if line.split()[:1] == [host]]


@pytest.fixture(scope="module")
def healthy_run():
    return status()


def test_healthy_fleet_exits_0_with_every_instance_in_the_table(healthy_run):
    assert healthy_run.rc == 0, healthy_run.tail()
    lines = table(healthy_run)
    assert lines[-1] == "HEALTHY"
    ports = harness.role_defaults("app")["ai_navigator_app_base_port"]
    expected = [str(ports + i) for i in range(harness.role_defaults("app")["ai_navigator_app_instances"])]
    for host in harness.group("ai_navigator_app"):
        release = harness.http(f"http://{harness.address(host)}:{expected[0]}/version").json()["release"]
        assert [(r[1], r[2], r[3], r[4]) for r in rows(lines, host)] == [
            (port, "active/running", release, "200") for port in expected], lines
    for lb in harness.group("ai_navigator_lb"):
        assert rows(lines, lb)[0][1] == "active/running", lines
        upstream = [r[1] for r in rows(lines, lb)[1:]]
        assert upstream == [f"{harness.address(h)}:{p}" for h in harness.group("ai_navigator_app") for p in expected]
    assert not healthy_run.changed(), healthy_run.recap


def test_a_stopped_instance_is_named_and_fails_the_run():
    host, port = harness.group("ai_navigator_app")[-1], harness.role_defaults("app")["ai_navigator_app_base_port"] + 1
    unit = f"ai-navigator@{port}.service"
    harness.sh(host, f"systemctl stop {unit}")
    try:
        run = status()
    finally:
        harness.sh(host, f"systemctl start {unit}")
        harness.wait_for(lambda: harness.status(f"http://{harness.address(host)}:{port}/ready", timeout=1) == 200, 30)
    assert run.rc != 0, run.tail()
    lines = table(run)
    assert [host, str(port), "inactive/dead"] in [r[:3] for r in rows(lines, host)], lines
    assert lines[-2:] == ["UNHEALTHY: 1 problem(s)", f"  - {host} {unit}: inactive/dead, not running"]


def test_a_host_that_never_answers_is_reported_within_the_timeout(healthy_run, tmp_path):
    # A TCP port that accepts and then says nothing: SSH waits for a banner that never comes.
    silent = socket.create_server(("127.0.0.1", 0))
    extra = tmp_path / "silent.json"
    extra.write_text(json.dumps({"ai_navigator_app": {"hosts": {"silent9": {
        "ansible_host": "127.0.0.1", "ansible_port": silent.getsockname()[1]}}}}))
    with silent:
        run = status(str(extra), extra_vars=json.dumps({"ai_navigator_status_connect_timeout": CONNECT_TIMEOUT}))
    assert run.rc != 0, run.tail()
    lines = table(run)
    assert rows(lines, "silent9") == [["silent9", "-", "UNREACHABLE", "-", "-", "-", "-", "-"]], lines
    assert any(line.startswith("  - silent9: unreachable: ") for line in lines), lines
    # The silent host is read in parallel with the others: the run ends within the documented
    # bound, a healthy run's time plus the connect and task timeouts (README "Day 2").
    harness.figure(f"status.yml: healthy {healthy_run.seconds:.1f} s, with a silent host {run.seconds:.1f} s")
    assert run.seconds < healthy_run.seconds + CONNECT_TIMEOUT + TASK_TIMEOUT, \
        f"{run.seconds:.1f} s (healthy run {healthy_run.seconds:.1f} s)"


def test_monitoring_host_lists_every_instance_as_a_prometheus_target():
    defaults = harness.role_defaults("app")
    ports = range(defaults["ai_navigator_app_base_port"],
                  defaults["ai_navigator_app_base_port"] + defaults["ai_navigator_app_instances"])
    path = harness.role_defaults("monitoring")["ai_navigator_monitoring_targets_file"]
    for monitor in harness.group("ai_navigator_monitoring"):
        targets = yaml.safe_load(harness.sh(monitor, f"cat {path}").out)
        expected = []
        for host in harness.group("ai_navigator_app"):
            release = harness.http(f"http://{harness.address(host)}:{ports[0]}/version").json()["release"]
            expected += [{"targets": [f"{harness.address(host)}:{p}"],
                          "labels": {"host": host, "port": str(p), "release": release, "service": "ai-navigator"}}
                         for p in ports]
        assert targets == expected
        # Prometheus on that host could scrape them: every target's /metrics answers there.
        for entry in targets:
            url = f"http://{entry['targets'][0]}/metrics"
            done = harness.sh(monitor, "python3 -c 'import urllib.request as u; "
                                       f"print(u.urlopen(\"{url}\", timeout=3).status)'",
                              check=False)
            assert (done.rc, done.out.strip()) == (0, "200"), f"{monitor}: {url}: {done.out}"
        rules = harness.role_defaults("monitoring")["ai_navigator_monitoring_rules_file"]
        shipped = harness.sh(monitor, f"sha256sum < {rules}").out
        local = subprocess.run(["sha256sum"],
                               input=(harness.REPO / "roles/monitoring/files/ai_navigator.rules.yml").read_bytes(),
                               capture_output=True, check=True).stdout.decode().rstrip("\n")
        assert shipped == local, f"{monitor}: {rules} is not the rules file the collection ships"


def test_a_rollout_ends_with_the_prometheus_targets_following_it():
    """rolling_update.yml ends with the monitoring play: a targets file that no longer matches the
    fleet (here: edited by hand) is written again even by a rollout that has no batch to roll."""
    path = harness.role_defaults("monitoring")["ai_navigator_monitoring_targets_file"]
    monitors = harness.group("ai_navigator_monitoring")
    before = {monitor: harness.sh(monitor, f"cat {path}").out for monitor in monitors}
    for monitor in monitors:
        harness.sh(monitor, f"sed -i 's/release: .*/release: stale/' {path}")
    run = harness.playbook("playbooks/rolling_update.yml")
    assert run.rc == 0, run.tail()
    assert "batches: none" in run.stdout, run.tail()
    assert {monitor: harness.sh(monitor, f"cat {path}").out for monitor in monitors} == before
    assert all(run.changed().get(monitor) for monitor in monitors), run.recap
