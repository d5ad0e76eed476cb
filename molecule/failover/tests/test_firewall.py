"""The host firewall with keepalived: VRRP is accepted only from the peer LB, and after the power
faults and reboots of test_faults.py every host has its rule set loaded again at boot."""

from __future__ import annotations

import re

import harness
import pytest

HOSTS = ["lb1", "lb2", "app1", "app2"]


@pytest.mark.parametrize("lb", ["lb1", "lb2"])
def test_vrrp_accepted_only_from_the_peer_lb(lb):
    table = harness.sh(lb, "nft list table inet ai_navigator").out
    vrrp = [re.fullmatch(r"ip saddr (\S+) (?:meta l4proto|ip protocol) vrrp accept", line.strip())
            for line in table.splitlines() if "vrrp" in line]
    peer = next(h for h in harness.group("ai_navigator_lb") if h != lb)
    assert len(vrrp) == 1 and vrrp[0] and vrrp[0].group(1) == harness.address(peer), table


@pytest.mark.parametrize("host", HOSTS)
def test_rule_set_loaded_after_the_reboots(host):
    state = harness.sh(host, "systemctl is-enabled ai-navigator-firewall.service; "
                             "systemctl is-active ai-navigator-firewall.service").out
    assert state.split() == ["enabled", "active"]
    assert "policy drop;" in harness.sh(host, "nft list table inet ai_navigator").out


@pytest.mark.parametrize("app", ["app1", "app2"])
def test_instances_accept_both_lbs(app):
    table = harness.sh(app, "nft list table inet ai_navigator").out
    rule = next(line for line in table.splitlines() if "dport" in line and "8000" in line)
    sources = set(re.findall(r"\d+\.\d+\.\d+\.\d+", rule.split("tcp dport")[0]))
    assert {harness.address("lb1"), harness.address("lb2")} <= sources, rule
