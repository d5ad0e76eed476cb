"""The host firewall with keepalived: VRRP is accepted only from the peer LB, and after the power
faults and reboots of test_faults.py every host has its rule set loaded again at boot."""

from __future__ import annotations

import re

import pytest

HOSTS = ["lb1", "lb2", "app1", "app2"]


@pytest.mark.parametrize("lb", ["lb1", "lb2"])
def test_vrrp_accepted_only_from_the_peer_lb(lab, lb):
    table = lab.ssh(lb, "nft list table inet ai_navigator")
    vrrp = [re.fullmatch(r"ip saddr (\S+) (?:meta l4proto|ip protocol) vrrp accept", line.strip())
            for line in table.splitlines() if "vrrp" in line]
    peer = next(h for h in lab.groups["ai_navigator_lb"] if h != lb)
    assert len(vrrp) == 1 and vrrp[0] and vrrp[0].group(1) == lab.address[peer], table


@pytest.mark.parametrize("host", HOSTS)
def test_rule_set_loaded_after_the_reboots(lab, host):
    state = lab.ssh(host, "systemctl is-enabled ai-navigator-firewall.service; systemctl is-active ai-navigator-firewall.service")
    assert state.split() == ["enabled", "active"]
    assert "policy drop;" in lab.ssh(host, "nft list table inet ai_navigator")


@pytest.mark.parametrize("app", ["app1", "app2"])
def test_instances_accept_both_lbs(lab, app):
    table = lab.ssh(app, "nft list table inet ai_navigator")
    rule = next(line for line in table.splitlines() if "dport" in line and "8000" in line)
    sources = set(re.findall(r"\d+\.\d+\.\d+\.\d+", rule.split("tcp dport")[0]))
    assert {lab.address["lb1"], lab.address["lb2"]} <= sources, rule
