"""Bad keepalived input stops site.yml in its preflight play, with a message naming the variable
and the host, before anything on any host changes. The four runs go in parallel (each is mostly
waiting on SSH) against the converged lab fleet.
"""

from __future__ import annotations

import concurrent.futures
import json
import os
import pathlib
import re
import subprocess
import sys

import pytest

from conftest import PROJECT

CASES = {
    # case: (extra vars, variable the message must name, hosts the message must name)
    "vip_outside_subnet": ({"ai_navigator_keepalived_vip": "192.0.2.10"},
                           "ai_navigator_keepalived_vip 192.0.2.10 is outside the subnet", ["lb1", "lb2"]),
    "router_id_out_of_range": ({"ai_navigator_keepalived_virtual_router_id": 256},
                               "ai_navigator_keepalived_virtual_router_id must lie within 1-255", ["lb1", "lb2"]),
    "vip_on_one_lb_only": ({"ai_navigator_keepalived_vip": "{{ lab_vip if inventory_hostname == 'lb1' else '' }}"},
                           "is set on 1 host(s) of 'ai_navigator_lb' (lb1): a floating VIP needs at least two", ["lb1"]),
    "password_missing": ({"ai_navigator_keepalived_password": ""},
                         "ai_navigator_keepalived_password is missing", ["lb1", "lb2"]),
}


def run_site(extra: dict) -> subprocess.CompletedProcess:
    inventory = pathlib.Path(os.environ["MOLECULE_INVENTORY_FILE"]).parent
    env = {**os.environ, "ANSIBLE_NOCOLOR": "1", "ANSIBLE_FORCE_COLOR": "0"}
    return subprocess.run(
        [str(pathlib.Path(sys.executable).parent / "ansible-playbook"), "-i", str(inventory),
         str(PROJECT / "playbooks" / "site.yml"), "-e", json.dumps(extra)],
        capture_output=True, text=True, env=env, timeout=300)


@pytest.fixture(scope="module")
def runs():
    with concurrent.futures.ThreadPoolExecutor(len(CASES)) as pool:
        futures = {case: pool.submit(run_site, extra) for case, (extra, _, _) in CASES.items()}
        return {case: future.result() for case, future in futures.items()}


@pytest.mark.parametrize("case", CASES)
def test_bad_keepalived_input_stops_in_preflight(runs, case):
    _, message, hosts = CASES[case]
    done = runs[case]
    # Molecule's ansible.cfg sends failures to stderr (display_failed_stderr).
    out = done.stdout + done.stderr
    assert done.returncode != 0, f"{case}: site.yml did not fail\n{out[-3000:]}"
    assert message in out, f"{case}: no message '{message}'\n{out[-3000:]}"
    for host in hosts:
        assert re.search(rf'"msg": "{host}: [^"]*{re.escape(message.split(" ")[0])}', out), \
            f"{case}: the message does not name host {host}\n{out[-3000:]}"
    # It stopped in the preflight play: no later play started, no host changed.
    assert "PLAY [Deploy the service" not in out, f"{case}: site.yml went past preflight"
    recap = re.findall(r"^(\S+)\s+: ok=\d+\s+changed=(\d+)", out, re.M)
    assert recap and all(changed == "0" for _, changed in recap), f"{case}: changes: {recap}"
