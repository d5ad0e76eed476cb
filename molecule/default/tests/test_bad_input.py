"""Bad inventory stops site.yml in preflight, naming the variable and the host, changing nothing;
a config nginx -t rejects never reaches the running nginx."""

import json

import fleet
import pytest

SITE = "playbooks/site.yml"
WATCHED = ["/etc/nginx/nginx.conf", "/etc/systemd/system/ai-navigator@.service", "/etc/ai-navigator/ai-navigator.env",
           "/etc/systemd/system/nginx.service.d/ai-navigator.conf"]


def fleet_state() -> dict:
    return fleet.fleet_state(WATCHED)


@pytest.fixture(scope="module")
def state_before():
    return fleet_state()


def assert_stopped_in_preflight(result, *words):
    output = result.stdout + result.stderr
    assert result.returncode != 0, output
    for word in words:
        assert word in output, f"{word!r} not in the output:\n{output[-3000:]}"
    counts = fleet.recap(result.stdout)
    assert counts, "no host in the PLAY RECAP"
    for host, host_counts in counts.items():
        assert host_counts["changed"] == 0, f"{host} changed: {host_counts}"


CASES = {
    "zero instances": ({"ai_navigator_app_instances": 0}, ["ai_navigator_app_instances", "app1"]),
    "negative instances": ({"ai_navigator_app_instances": -2}, ["ai_navigator_app_instances", "app2"]),
    "instances not a number": ({"ai_navigator_app_instances": "four"}, ["ai_navigator_app_instances"]),
    "port out of range": ({"ai_navigator_app_base_port": 65534}, ["ai_navigator_app_base_port", "65537", "app1"]),
    "instance ports take the SSH port": ({"ai_navigator_app_base_port": 20}, ["ai_navigator_app_base_port", "SSH", "app1"]),
    "LB port is the SSH port": ({"ai_navigator_nginx_listen_port": 22}, ["ai_navigator_nginx_listen_port", "lb1"]),
    "app hosts share one address": ({"ai_navigator_app_upstream_address": "10.231.0.250"},
                                    ["ai_navigator_app_upstream_address", "share", "lb1"]),
    "required variable blanked": ({"ai_navigator_app_listen_address": None},
                                  ["ai_navigator_app_listen_address is required", "app1"]),
    "bad release id": ({"ai_navigator_app_release": "../etc"}, ["ai_navigator_app_release", "app1"]),
    "nginx start limit that never trips": ({"ai_navigator_nginx_start_limit_interval_sec": 2},
                                           ["ai_navigator_nginx_start_limit_interval_sec (2)", "lb1"]),
}


@pytest.mark.parametrize("extra_vars, words", CASES.values(), ids=CASES.keys())
def test_bad_variable_stops_in_preflight(state_before, extra_vars, words):
    result = fleet.run_playbook("-e", json.dumps(extra_vars), SITE)
    assert_stopped_in_preflight(result, *words)
    assert fleet_state() == state_before


@pytest.mark.parametrize("empty", ["ai_navigator_app", "ai_navigator_lb"])
def test_empty_group_stops_before_any_host(tmp_path, state_before, empty):
    groups = {g: [] if g == empty else fleet.group(g) for g in ("ai_navigator_app", "ai_navigator_lb")}
    result = fleet.run_playbook(SITE, inventory_file=fleet.write_inventory(tmp_path / "inventory.json", groups))
    assert_stopped_in_preflight(result, f"inventory group '{empty}' is empty")
    assert fleet_state() == state_before


def test_config_nginx_rejects_never_reaches_nginx(state_before):
    lb = fleet.group("ai_navigator_lb")[0]
    result = fleet.run_playbook("-e", json.dumps({"ai_navigator_nginx_extra_directives": ["proxy_buffering maybe;"]}), SITE)
    output = result.stdout + result.stderr
    assert result.returncode != 0
    assert "proxy_buffering" in output and "nginx.conf" in output or "failed to validate" in output, output[-3000:]
    assert fleet_state() == state_before
    status, _, _ = fleet.http_get(f"http://{fleet.address(lb)}/health")
    assert status == 200
