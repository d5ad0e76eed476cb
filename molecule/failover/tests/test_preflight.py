"""Bad keepalived input stops site.yml in its preflight play, with one message per host naming
the host, then only the failed checks (variable and value; never the password), before anything
on any host changes. The runs go in parallel (each is mostly waiting on SSH) against the
converged lab fleet; each carries several bad values on different hosts.
"""

from __future__ import annotations

import concurrent.futures
import json

import harness
import pytest

WATCHED = ["/etc/keepalived/keepalived.conf", "/etc/systemd/system/keepalived.service.d/ai-navigator.conf",
           "/etc/nginx/nginx.conf", "/etc/systemd/system/ai-navigator@.service"]

# run -> (host variables, extra vars, expected: host -> [(variable, words of its failed check)])
RUNS = {
    "keepalived values": ({
        "lb1": {
            "ai_navigator_keepalived_vip": "192.0.2.10",
            # templated raw into keepalived's systemd drop-in: would add a line to the unit
            "ai_navigator_keepalived_tracked_service": "nginx.service\nExecStartPre=/bin/sh",
            # a blank would end auth_pass in keepalived.conf
            "ai_navigator_keepalived_password": "a b",
            # a crash loop that never hits the start limit (5 starts 1 s apart within 5 s)
            "ai_navigator_keepalived_start_limit_interval_sec": 5,
        },
        "lb2": {
            "ai_navigator_keepalived_vip": "fd00::200",
            "ai_navigator_keepalived_virtual_router_id": 256,
            # templated raw into keepalived.conf
            "ai_navigator_keepalived_interface": "eth0 }",
            "ai_navigator_keepalived_password": "",
        },
    }, {}, {
        "lb1": [("ai_navigator_keepalived_vip", "192.0.2.10 is outside the subnet"),
                ("ai_navigator_keepalived_tracked_service", "systemd unit name"),
                ("ai_navigator_keepalived_password", "1-8 characters"),
                ("ai_navigator_keepalived_start_limit_interval_sec", "(5) must be longer")],
        "lb2": [("ai_navigator_keepalived_vip", "VRRP over IPv4"),
                ("ai_navigator_keepalived_virtual_router_id", "1-255"),
                ("ai_navigator_keepalived_interface", "interface name of at most 15"),
                ("ai_navigator_keepalived_password", "is missing")],
    }),
    "vip on one lb only": ({},
                           {"ai_navigator_keepalived_vip": "{{ lab_vip if inventory_hostname == 'lb1' else '' }}"}, {
        "lb1": [("ai_navigator_keepalived_vip",
                 "is set on 1 host(s) of 'ai_navigator_lb' (lb1): a floating VIP needs at least two")],
    }),
}


def run_site(host_vars_file: str, extra: dict) -> harness.Run:
    # The scenario's inventory (its group_vars hold the VIP and the password), then the bad values.
    return harness.playbook("playbooks/site.yml", "-e", json.dumps(extra),
                            inventory=[harness.inventory_file(), host_vars_file], timeout=300)


@pytest.fixture(scope="module")
def state_before():
    return harness.fleet_state(WATCHED)


@pytest.fixture(scope="module")
# state_before is requested for its side effect: the fleet state is taken before the runs.
def runs(tmp_path_factory, state_before):  # noqa: ARG001
    directory = tmp_path_factory.mktemp("preflight")
    with concurrent.futures.ThreadPoolExecutor(len(RUNS)) as pool:
        futures = {
            name: pool.submit(run_site,
                              harness.write_host_vars(directory / f"{name.replace(' ', '-')}.json", host_vars), extra)
            for name, (host_vars, extra, _) in RUNS.items()
        }
        return {name: future.result() for name, future in futures.items()}


@pytest.mark.parametrize("name", RUNS)
def test_bad_keepalived_input_stops_in_preflight(runs, state_before, name):
    run = runs[name]
    assert run.rc != 0, f"{name}: site.yml did not fail\n{run.tail()}"
    harness.assert_refused(run, RUNS[name][2])
    # It stopped in the preflight play: no later play started, no host changed.
    assert not [play for play in run.plays if play.startswith("Deploy the service")], \
        f"{name}: site.yml went past preflight"
    recap = run.recap
    assert recap and all(counts["changed"] == 0 for counts in recap.values()), f"{name}: changes: {recap}"
    assert harness.fleet_state(WATCHED) == state_before


def test_the_password_is_never_shown(runs):
    out = runs["keepalived values"].stdout
    assert "'a b'" not in out and "lab-vrrp" not in out
