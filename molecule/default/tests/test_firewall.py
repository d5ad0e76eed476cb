"""The host firewall, with real connections: instance ports answer the LB and refuse other lab
hosts, SSH from the controller keeps working, what is not opened is dropped, a broken rule set
changes nothing, and bad firewall input stops in preflight.

The controller is on the scenario's monitoring allow-list (.config/molecule/config.yml), so
other tests may probe instances from it; the refusals are probed from inside lab hosts.
"""

from __future__ import annotations

import concurrent.futures
import json
import subprocess

import harness
import pytest

APPS = harness.group("ai_navigator_app")
LBS = harness.group("ai_navigator_lb")
PORTS = [8000, 8001, 8002, 8003]
RULES_FILE = "/etc/nftables.d/ai-navigator.nft"
TABLE = "inet ai_navigator"

# Run on a lab host: connect to ADDRESS:PORT, print what happened (HTTP status, refused, timeout).
PROBE = """python3 - <<'PY'
import socket, urllib.request, urllib.error
try:
    print(urllib.request.urlopen("http://{address}:{port}/ready", timeout=2).status)
except urllib.error.HTTPError as e:
    print(e.code)
except (socket.timeout, TimeoutError):
    print("timeout")
except urllib.error.URLError as e:
    print("timeout" if isinstance(e.reason, (socket.timeout, TimeoutError)) else "error: %s" % e.reason)
except OSError as e:
    print("error: %s" % e)
PY"""


def probe(source: str, address: str, port: int) -> str:
    return harness.sh(source, PROBE.format(address=address, port=port)).out.strip()


@pytest.mark.parametrize("port", PORTS)
def test_instance_ports_answer_the_lb(port):
    for lb in LBS:
        for app in APPS:
            assert probe(lb, harness.address(app), port) == "200", f"{lb} -> {app}:{port}"


@pytest.mark.parametrize("port", PORTS)
def test_instance_ports_are_closed_to_other_lab_hosts(port):
    """app2 is no LB: its connections to app1's instances are dropped (a timeout, no answer)."""
    source, target = APPS[-1], APPS[0]
    assert probe(source, harness.address(target), port) == "timeout"


def test_instances_listen_on_the_upstream_address_only():
    for app in APPS:
        listening = harness.sh(app, "ss -Hltn 'sport >= :8000 and sport <= :8003'").out
        local = sorted(line.split()[3] for line in listening.splitlines())
        assert local == sorted(f"{harness.address(app)}:{p}" for p in PORTS), listening


@pytest.mark.parametrize("port", harness.role_defaults("firewall")["ai_navigator_firewall_lb_ports"])
def test_lb_port_is_open_to_other_hosts(port):
    """From a host that is no LB: the LB's client ports accept connections (HTTP redirects, HTTPS serves)."""
    rc, out = harness.sh(APPS[-1], "python3 -c \"import socket; "
                                   f"socket.create_connection(('{harness.address(LBS[0])}', {port}), 2); "
                                   "print('open')\"", check=False)
    assert (rc, out.strip()) == (0, "open"), out


def test_ports_not_opened_are_dropped():
    """A listener on every address of app1 outside the opened ports: reached on the host itself
    (loopback), dropped from the LB and from the controller (monitoring reaches instance ports only)."""
    app = APPS[0]
    unit = "firewall-test-listener"
    harness.sh(app, f"systemd-run --unit={unit} python3 -m http.server --bind 0.0.0.0 9999", check=False)
    try:
        rc, _ = harness.sh(app, "for i in $(seq 50); do ss -Hltn 'sport = :9999' | grep -q . && exit 0; sleep 0.1; "
                                "done; exit 1", check=False)
        assert rc == 0, "the test listener did not start"
        assert harness.sh(app, "python3 -c \"import urllib.request as u; "
                               "print(u.urlopen('http://127.0.0.1:9999/', timeout=2).status)\"").out.strip() == "200"
        assert probe(LBS[0], harness.address(app), 9999) == "timeout"
        with pytest.raises(OSError):
            harness.http(f"http://{harness.address(app)}:9999/", timeout=2)
    finally:
        harness.sh(app, f"systemctl stop {unit}", check=False)


@pytest.mark.parametrize("host", APPS + LBS)
def test_new_ssh_connection_from_the_controller_works(host):
    """A fresh SSH connection (no multiplexed master), as the next converge would open."""
    hostvars = harness.hostvars(host)
    done = subprocess.run(
        ["ssh", "-i", hostvars["ansible_private_key_file"], "-o", "StrictHostKeyChecking=no",
         "-o", "UserKnownHostsFile=/dev/null", "-o", "LogLevel=ERROR", "-o", "BatchMode=yes",
         "-o", "ConnectTimeout=5", "-o", "ControlMaster=no", "-o", "ControlPath=none",
         f"root@{harness.address(host)}", "echo connected"],
        capture_output=True, text=True, timeout=30, check=False)
    assert done.stdout.strip() == "connected", done.stderr


@pytest.mark.parametrize("host", APPS + LBS)
def test_firewall_loads_at_boot_and_drops_by_default(host):
    rc, enabled = harness.sh(host, "systemctl is-enabled ai-navigator-firewall.service; "
                                   "systemctl is-active ai-navigator-firewall.service", check=False)
    assert enabled.split() == ["enabled", "active"]
    table = harness.sh(host, f"nft list table {TABLE}").out
    assert "hook input priority filter; policy drop;" in table
    # No VRRP without keepalived (molecule/failover checks it with keepalived).
    assert "vrrp" not in table


def test_instance_rule_accepts_exactly_the_lbs_and_monitoring():
    table = harness.sh(APPS[0], f"nft list table {TABLE}").out
    sources = {harness.address(lb) for lb in LBS} | {harness.address(LBS[0]).rsplit(".", 1)[0] + ".1"}
    rule = next(line.strip() for line in table.splitlines()
                if "dport { 8000-8003 }" in line or "dport { 8000, 8001" in line)
    assert rule.startswith("ip saddr { ") and rule.endswith(" accept"), rule
    listed = set(rule.split("{ ", 1)[1].split(" }", 1)[0].split(", "))
    assert listed == sources, rule


def test_broken_rule_set_is_rejected_and_running_rules_stay():
    """nft -c (the role's validate) rejects it, and even loading it for real changes nothing:
    the delete and the broken redefinition are one transaction."""
    app = APPS[0]
    before = harness.sh(app, f"nft list table {TABLE}").out
    broken = (f"table {TABLE}\ndelete table {TABLE}\n"
              f"table {TABLE} {{\n  chain input {{\n    tcp dport 8000 acept\n  }}\n}}\n")
    harness.sh(app, f"cat > /tmp/broken.nft <<'EOF'\n{broken}EOF", check=False)
    rc, _ = harness.sh(app, "nft -c -f /tmp/broken.nft", check=False)
    assert rc != 0
    rc, _ = harness.sh(app, "nft -f /tmp/broken.nft", check=False)
    assert rc != 0
    assert harness.sh(app, f"nft list table {TABLE}").out == before
    assert probe(APPS[-1], harness.address(app), 8000) == "timeout"
    assert probe(LBS[0], harness.address(app), 8000) == "200"


WATCHED = [RULES_FILE, "/etc/systemd/system/ai-navigator-firewall.service", "/etc/nginx/nginx.conf",
           "/etc/systemd/system/ai-navigator@.service"]

BAD = {
    "SSH allow-list without the controller": (
        {"ai_navigator_firewall_ssh_sources": ["192.0.2.0/24"]},
        ["ai_navigator_firewall_ssh_sources", "192.0.2.0/24", "lock it out", "app1", "lb1"]),
    "not an address": (
        {"ai_navigator_firewall_monitoring_sources": ["10.0.0.1", "prometheus.example.net"]},
        ["ai_navigator_firewall_monitoring_sources", "'prometheus.example.net': not an IPv4/IPv6", "app1"]),
    "host bits set": (
        {"ai_navigator_firewall_lb_client_sources": ["10.1.2.3/8"]},
        ["ai_navigator_firewall_lb_client_sources", "host bits set: the network is 10.0.0.0/8", "lb1"]),
    "nginx port not among the LB ports": (
        {"ai_navigator_firewall_lb_ports": [443]},
        ["ai_navigator_firewall_lb_ports", "ai_navigator_nginx_listen_port 80", "lb1"]),
    "HTTPS port not among the LB ports": (
        {"ai_navigator_firewall_lb_ports": [80]},
        ["ai_navigator_firewall_lb_ports [80] does not contain ai_navigator_nginx_https_port 443", "lb1"]),
}


def state() -> tuple[dict[str, str], dict[str, str]]:
    """Files and main PIDs, and the loaded firewall table, of every host."""
    return harness.fleet_state(WATCHED), {h: harness.sh(h, f"nft list table {TABLE}").out for h in APPS + LBS}


@pytest.fixture(scope="module")
def bad_runs():
    """The fleet before, every bad case's site.yml run (in parallel: each mostly waits on SSH), after."""
    before = state()
    with concurrent.futures.ThreadPoolExecutor(len(BAD)) as pool:
        runs = dict(zip(BAD, pool.map(lambda case: harness.playbook("playbooks/site.yml", "-e",
                                                                    json.dumps(BAD[case][0])), BAD),
                        strict=True))
    return before, runs, state()


@pytest.mark.parametrize("case", BAD)
def test_bad_firewall_input_stops_in_preflight(bad_runs, case):
    before, runs, after = bad_runs
    run, words = runs[case], BAD[case][1]
    assert run.rc != 0, run.tail()
    for word in words:
        assert word in run.stdout, f"{word!r} not in the output:\n{run.tail()}"
    for host, counts in run.recap.items():
        assert counts["changed"] == 0, f"{host} changed: {counts}"
    assert after == before
