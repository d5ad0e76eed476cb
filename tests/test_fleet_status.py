"""The fleet status: what the modules parse on the hosts (plugins/modules/instance_status.py,
lb_status.py) and the table and verdict of plugins/filter/fleet_status.py."""

import importlib.util
import pathlib

import pytest

ROOT = pathlib.Path(__file__).parents[1] / "plugins"


def _load(name, path):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


status = _load("fleet_status_filter", ROOT / "filter" / "fleet_status.py")
instance_status = _load("instance_status_module", ROOT / "modules" / "instance_status.py")
lb_status = _load("lb_status_module", ROOT / "modules" / "lb_status.py")

# `systemctl show` output verbatim: its ExecStart line is longer than the line limit.
SHOW = """Id=ai-navigator@8000.service
ActiveState=active
SubState=running
UnitFileState=enabled
NRestarts=2
MemoryCurrent=[not set]
MainPID=0
ActiveEnterTimestampMonotonic=5000000
ExecStart={ path=/opt/ai-navigator/current/venv/bin/ai-navigator ; argv[]=/opt/ai-navigator/current/venv/bin/ai-navigator serve --host 10.0.0.21 --port 8000 ; ignore_errors=no ; start_time=[n/a] ; stop_time=[n/a] ; pid=0 ; code=(null) ; status=0/0 }
EnvironmentFiles={env} (ignore_errors=no)

Id=ai-navigator@8001.service
ActiveState=inactive
SubState=dead
UnitFileState=enabled
NRestarts=0
MemoryCurrent=18446744073709551615
MainPID=0
ActiveEnterTimestampMonotonic=0
ExecStart={ path=/x ; argv[]=/x serve --host 0.0.0.0 --port 8001 ; ignore_errors=no }
EnvironmentFiles={env} (ignore_errors=no)
"""  # noqa: E501


def test_instances_are_the_enabled_and_loaded_units_by_port():
    wants = "ssh.service ai-navigator@8010.service nginx.service ai-navigator@8002.service"
    loaded = "ai-navigator@8002.service loaded active running AI\nai-navigator@9000.service loaded failed failed AI\n"
    assert instance_status.instance_units(wants, loaded) == [
        "ai-navigator@8002.service", "ai-navigator@8010.service", "ai-navigator@9000.service"]
    assert instance_status.instance_units("", "") == []


def test_an_active_instance_is_probed_where_it_listens(tmp_path):
    env = tmp_path / "ai-navigator.env"
    env.write_text("AI_NAVIGATOR_RELEASE=1.0.0-abc\nAI_NAVIGATOR_DRAIN_SECONDS=1\n")
    running, stopped = instance_status.parse_show(SHOW.replace("{env}", str(env)))
    asked = []

    def get(url, timeout):  # noqa: ARG001 - instance() calls get(url, timeout)
        asked.append(url)
        return (200, b'{"release": "1.0.0-abc"}') if url.endswith("/version") else (200, b"")

    row = instance_status.instance(running, now_monotonic=65.0, timeout=2, get=get)
    assert asked == ["http://10.0.0.21:8000/ready", "http://10.0.0.21:8000/version"]
    assert row | {"memory_bytes": None} == {
        "unit": "ai-navigator@8000.service", "port": 8000, "address": "10.0.0.21", "active_state": "active",
        "sub_state": "running", "enabled": "enabled", "restarts": 2, "memory_bytes": None, "uptime_seconds": 60.0,
        "configured_release": "1.0.0-abc", "release": "1.0.0-abc", "ready": 200}
    asked.clear()
    row = instance_status.instance(stopped, now_monotonic=65.0, timeout=2, get=get)
    assert asked == [], "a stopped instance is not probed"
    assert (row["address"], row["memory_bytes"], row["uptime_seconds"], row["ready"]) == ("127.0.0.1", None, None, None)


def test_probe_reports_no_answer_with_the_reason():
    status_, body = instance_status.probe("http://127.0.0.1:9/ready", timeout=0.5)
    assert isinstance(status_, str) and status_.startswith("no answer"), status_
    assert body == b""


NGINX_CONF = """
http {
    upstream ai_navigator {
        least_conn;
        server 10.0.0.21:8000 max_fails=3 fail_timeout=30s;
        server 10.0.0.21:8001 max_fails=3 fail_timeout=30s down;
        server [2001:db8::1]:8000 max_fails=3 fail_timeout=30s;
        server 10.0.0.21:8000 max_fails=3 fail_timeout=30s backup;
        server 10.0.0.21:8001 max_fails=3 fail_timeout=30s down backup;
        server [2001:db8::1]:8000 max_fails=3 fail_timeout=30s backup;
        keepalive 32;
    }
}
"""


def log(msec, addrs, statuses, status=200):
    return (f'10.0.0.1 [2026-11-29T00:00:00+00:00] {msec} "GET /ready HTTP/1.1" {status} 0.003 '
            f"upstream={addrs} upstream_status={statuses} upstream_time=0.002")


def test_upstream_servers_and_drained_ones_come_from_the_configuration():
    assert lb_status.upstream_servers(NGINX_CONF) == [
        {"server": "10.0.0.21:8000", "drained": False}, {"server": "10.0.0.21:8001", "drained": True},
        {"server": "[2001:db8::1]:8000", "drained": False}]
    assert lb_status.upstream_servers("http { }") == []


def test_tries_since_the_reload_are_counted_per_server_and_failed_ones_apart():
    servers = lb_status.upstream_servers(NGINX_CONF)
    newest_first = [
        log("1000.500", "10.0.0.21:8000", "200"),
        log("1000.400", "10.0.0.21:8001, 10.0.0.21:8000", "502, 200"),
        log("1000.300", "10.0.0.21:8000, 10.0.0.21:8001, 10.0.0.9:8000", "504, 502, 502", status=502),
        "2026/11/29 not an access log line",
        log("1000.200", "-", "-", status=429),
        log("999.000", "10.0.0.21:8000", "502"),  # before the reload: not counted, and reading stops
        log("998.000", "10.0.0.21:8000", "502"),
    ]
    counted, complete = lb_status.count_tries(newest_first, since=1000.0, servers=servers)
    by_server = {s["server"]: (s["tries"], s["failed"], s["configured"]) for s in counted}
    assert by_server == {"10.0.0.21:8000": (3, 1, True), "10.0.0.21:8001": (2, 2, True),
                         "[2001:db8::1]:8000": (0, 0, True), "10.0.0.9:8000": (1, 1, False)}
    assert complete
    _, complete = lb_status.count_tries(newest_first[:3], since=1000.0, servers=servers)
    assert not complete, "a log window that does not reach the reload says so"


def test_the_access_log_is_read_backwards_within_a_byte_budget(tmp_path):
    path = tmp_path / "access.log"
    path.write_text("".join(f"line {i}\n" for i in range(1000)))
    state = {}
    lines = list(lb_status.lines_backwards(str(path), max_bytes=10 ** 6, block=64, state=state))
    assert lines == [f"line {i}" for i in reversed(range(1000))]
    assert state == {"start": True}
    state = {}
    assert len(list(lb_status.lines_backwards(str(path), max_bytes=90, block=64, state=state))) < 15
    assert state == {}, "a budget that ends before the start of the file says so"
    assert list(lb_status.lines_backwards(str(tmp_path / "missing.log"), max_bytes=100)) == []


def test_the_vip_is_found_only_as_a_whole_address():
    addresses = ("2: host0    inet 10.0.0.11/24 brd 10.0.0.255 scope global host0\\n\n"
                 "2: host0    inet 10.0.0.200/32 scope global host0\\n\n")
    assert lb_status.holds(addresses, "10.0.0.200")
    assert not lb_status.holds(addresses, "10.0.0.20")


def _instance(port, **over):
    return {"unit": f"ai-navigator@{port}.service", "port": port, "active_state": "active", "sub_state": "running",
            "enabled": "enabled", "restarts": 0, "memory_bytes": 50 * 2 ** 20, "uptime_seconds": 3725,
            "configured_release": "r1", "release": "r1", "ready": 200, **over}


def _lb(**over):
    return {"services": {"nginx.service": {"load_state": "loaded", "active_state": "active", "sub_state": "running"},
                         "keepalived.service": {"load_state": "loaded", "active_state": "active",
                                                "sub_state": "running"}},
            "vip_held": False, "since": 1000.0, "log_complete": True,
            "upstream": [{"server": "10.0.0.21:8000", "drained": False, "configured": True, "tries": 7, "failed": 1}],
            **over}


def healthy():
    return {"vip": "10.0.0.200",
            "app": {"app1": {"instances": [_instance(8000), _instance(8001)]},
                    "app2": {"instances": [_instance(8000)]}},
            "lb": {"lb1": _lb(vip_held=True), "lb2": _lb()}}


def test_a_healthy_fleet_has_no_problems_and_says_so():
    report = healthy()
    assert status.fleet_status_problems(report) == []
    lines = status.fleet_status_table(report, now=1302.0)
    assert lines[-1] == "HEALTHY"
    assert lines[0].split() == ["APP", "HOST", "PORT", "UNIT", "RELEASE", "READY", "RESTARTS", "MEMORY", "UPTIME"]
    assert lines[1].split() == ["app1", "8000", "active/running", "r1", "200", "0", "50.0MiB", "1h02m"]
    assert "lb1      active/running  active/running  holds 10.0.0.200" in lines
    assert any(line.split() == ["lb1", "10.0.0.21:8000", "up", "7", "1", "5m02s", "ago"] for line in lines), lines
    widths = {len(line) for line in lines[:4]}
    assert len(lines[0]) == max(widths), "columns are aligned under the header"


@pytest.mark.parametrize("change, expected", [
    (lambda r: r["app"]["app1"]["instances"].__setitem__(1, _instance(8001, active_state="inactive", sub_state="dead",
                                                                        ready=None, release=None)),
     "app1 ai-navigator@8001.service: inactive/dead, not running"),
    (lambda r: r["app"]["app2"]["instances"].__setitem__(0, _instance(8000, ready=503)),
     "app2 ai-navigator@8000.service: /ready answered 503"),
    (lambda r: r["app"]["app2"]["instances"].__setitem__(0, _instance(8000, ready="no answer: timed out")),
     "app2 ai-navigator@8000.service: /ready answered no answer: timed out"),
    (lambda r: r["app"]["app2"]["instances"].__setitem__(0, _instance(8000, release="r0")),
     "app2 ai-navigator@8000.service: runs release r0, its host is switched to r1 (not restarted since)"),
    (lambda r: r["app"]["app2"]["instances"].__setitem__(0, _instance(8000, enabled="disabled")),
     "app2 ai-navigator@8000.service: runs but is disabled (would not start at boot)"),
    (lambda r: r["app"].__setitem__("app2", {"instances": []}), "app2: no ai-navigator instance is enabled or loaded"),
    (lambda r: r["app"].__setitem__("app2", {"unreachable": True, "msg": "Failed to connect to the host via ssh: "
                                              "ssh: connect to host 10.0.0.99 port 22: No route to host\nmore"}),
     "app2: unreachable: Failed to connect to the host via ssh: "
     "ssh: connect to host 10.0.0.99 port 22: No route to host"),
    (lambda r: r["app"].__setitem__("app2", {"failed": True, "msg": "The task exceeded the timeout 30 seconds."}),
     "app2: status not read: The task exceeded the timeout 30 seconds."),
    (lambda r: r["app"].__setitem__("app2", {}), "app2: not collected: the host ran no status task"),
    (lambda r: r["lb"]["lb2"]["services"]["nginx.service"].update(active_state="failed", sub_state="failed"),
     "lb2 nginx: failed/failed, not running"),
    (lambda r: r["lb"]["lb2"]["services"]["keepalived.service"].update(load_state="not-found"),
     "lb2 keepalived: not installed, not running"),
    (lambda r: r["lb"]["lb1"].update(vip_held=False), "VIP 10.0.0.200: no load balancer holds it"),
    (lambda r: r["lb"]["lb2"].update(vip_held=True), "VIP 10.0.0.200: held by lb1, lb2 (two LBs answer for it)"),
    (lambda r: r["lb"]["lb2"].update(upstream=[]), "lb2 nginx: no upstream servers in its configuration"),
])
def test_each_unhealthy_thing_is_named(change, expected):
    report = healthy()
    change(report)
    assert status.fleet_status_problems(report) == [expected]
    lines = status.fleet_status_table(report)
    assert lines[-2:] == ["UNHEALTHY: 1 problem(s)", f"  - {expected}"]


def test_an_unreachable_host_is_a_row_of_the_table():
    report = healthy()
    report["app"]["app2"] = {"unreachable": True, "msg": "timed out"}
    report["lb"]["lb2"] = {"unreachable": True, "msg": "timed out"}
    lines = status.fleet_status_table(report)
    assert any(line.split()[:3] == ["app2", "-", "UNREACHABLE"] for line in lines), lines
    assert any(line.split()[:2] == ["lb2", "UNREACHABLE"] for line in lines), lines
    # The VIP holders cannot be counted while an LB is unknown: only the unreachable LB is reported.
    assert status.fleet_status_problems(report) == ["app2: unreachable: timed out", "lb2: unreachable: timed out"]


def test_without_a_vip_keepalived_is_not_required():
    report = healthy()
    report["vip"] = ""
    for lb in report["lb"].values():
        lb["services"]["keepalived.service"] = {"load_state": "not-found"}
        lb["vip_held"] = None
    assert status.fleet_status_problems(report) == []
    assert "lb1      active/running  - (no VIP)  -" in status.fleet_status_table(report)


@pytest.mark.parametrize("seconds, text", [(None, "-"), (0, "0s"), (59.9, "59s"), (61, "1m01s"), (3725, "1h02m"),
                                           (3 * 86400 + 4 * 3600 + 5, "3d04h")])
def test_durations_are_compact(seconds, text):
    assert status.duration(seconds) == text
