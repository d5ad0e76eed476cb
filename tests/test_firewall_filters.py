"""The firewall role's checks and rule-set grouping (firewall_preflight_errors in
plugins/filter/preflight.py, firewall_families in plugins/filter/firewall.py): what reaches the
nftables rule set is an address or network, the LB opens nginx's ports, and the controller is
never locked out."""

from __future__ import annotations

import pathlib

import pytest
import yaml
from ansible_collections.ai_navigator.fleet.plugins.filter.firewall import firewall_families
from ansible_collections.ai_navigator.fleet.plugins.filter.preflight import firewall_preflight_errors
from ansible_collections.ai_navigator.fleet.plugins.module_utils.checks import show

ROOT = pathlib.Path(__file__).resolve().parents[1]
DEFAULTS = yaml.safe_load((ROOT / "roles" / "firewall" / "defaults" / "main.yml").read_text())


def values(**overrides) -> dict:
    """An LB host's values as Ansible renders the role's defaults, reached over SSH from 10.0.0.1."""
    rendered = {**DEFAULTS, "ai_navigator_firewall_ssh_port": "22",
                "ai_navigator_firewall_lb_source_addresses": ["10.0.0.11"],
                "ai_navigator_firewall_app_ports": [], "ai_navigator_firewall_vrrp": False,
                "is_app": False, "is_lb": True, "local_connection": False,
                "ssh_connection": "10.0.0.1 40000 10.0.0.11 22",
                "ai_navigator_nginx_listen_port": "80", "ai_navigator_nginx_https_port": "443", "unpublished_lbs": [],
                "vrrp_peers": [], "vip": ""}
    return {**rendered, **overrides}


def test_role_defaults_pass():
    assert firewall_preflight_errors(values()) == []
    assert firewall_preflight_errors(values(is_app=True, is_lb=False,
                                            ai_navigator_firewall_app_ports=[8000, 8001])) == []


@pytest.mark.parametrize("value", ["10.0.0.1", "10.0.0.0/8", "0.0.0.0/0", "::/0", "2001:db8::1", "2001:db8::/32",
                                   "192.0.2.7/32", " 10.0.0.0/8 "])
def test_addresses_and_networks_pass(value):
    assert firewall_preflight_errors(values(ai_navigator_firewall_monitoring_sources=[value])) == []


@pytest.mark.parametrize("value, reason", [
    ("10.0.0.256", "not an IPv4/IPv6 address"),
    ("10.0.0.0/33", "not an IPv4/IPv6 address"),
    ("lb1.example.net", "not an IPv4/IPv6 address"),
    ("10.0.0.1; accept", "not an IPv4/IPv6 address"),
    ("10.0.0.1\ntcp dport 1-65535 accept", "not an IPv4/IPv6 address"),
    ("", "not an address"),
    (None, "not an address"),
    (8080, "not an address"),
    ("10.1.2.3/8", "host bits set: the network is 10.0.0.0/8, a single address is 10.1.2.3/32"),
    ("2001:db8::1/32", "host bits set: the network is 2001:db8::/32"),
])
@pytest.mark.parametrize("variable", ["ai_navigator_firewall_lb_client_sources",
                                      "ai_navigator_firewall_monitoring_sources",
                                      "ai_navigator_firewall_lb_source_addresses"])
def test_bad_addresses_are_named_with_the_value_and_reason(variable, value, reason):
    errors = firewall_preflight_errors(values(**{variable: ["10.0.0.1", value]}))
    assert len(errors) == 1, errors
    assert errors[0].startswith(variable) and f"{show(value)}: " in errors[0] and reason in errors[0], errors[0]


def test_a_string_where_a_list_belongs_is_one_error():
    errors = firewall_preflight_errors(values(ai_navigator_firewall_monitoring_sources="10.0.0.0/8"))
    assert errors == ["ai_navigator_firewall_monitoring_sources has values that are no IPv4/IPv6 address or network "
                      "(CIDR): '10.0.0.0/8': must be a list of addresses or networks"]


BAD = {
    "SSH allow-list without the controller": ({"ai_navigator_firewall_ssh_sources": ["192.0.2.0/24"]},
                                              ["ai_navigator_firewall_ssh_sources", "192.0.2.0/24", "10.0.0.1",
                                               "lock it out"]),
    "SSH allow-list without the controller set by hand": (
        {"ai_navigator_firewall_ssh_sources": ["10.0.0.0/24"], "ai_navigator_firewall_controller_address": "192.0.2.9"},
        ["ai_navigator_firewall_ssh_sources", "does not contain 192.0.2.9"]),
    "controller unknown": ({"ssh_connection": ""}, ["ai_navigator_firewall_controller_address is empty", "unknown"]),
    "controller address no address": ({"ai_navigator_firewall_controller_address": "bastion"},
                                      ["ai_navigator_firewall_controller_address 'bastion' is no IPv4/IPv6 address"]),
    "SSH port not the connection's": ({"ai_navigator_firewall_ssh_port": 2222},
                                      ["ai_navigator_firewall_ssh_port is 2222", "arrived on port 22"]),
    "SSH port out of range": ({"ai_navigator_firewall_ssh_port": 70000}, ["ai_navigator_firewall_ssh_port", "1-65535"]),
    "LB port out of range": ({"ai_navigator_firewall_lb_ports": [80, 443, 0]},
                             ["ai_navigator_firewall_lb_ports", "1-65535"]),
    "monitoring port not a number": ({"ai_navigator_firewall_monitoring_ports": ["node"]},
                                     ["ai_navigator_firewall_monitoring_ports", "'node'"]),
    "nginx port not among the LB ports": ({"ai_navigator_firewall_lb_ports": [443]},
                                          ["ai_navigator_firewall_lb_ports [443] does not contain "
                                           "ai_navigator_nginx_listen_port 80"]),
    "HTTPS port not among the LB ports": ({"ai_navigator_firewall_lb_ports": [80]},
                                          ["ai_navigator_firewall_lb_ports [80] does not contain "
                                           "ai_navigator_nginx_https_port 443"]),
    "custom HTTPS port not among the LB ports": ({"ai_navigator_nginx_https_port": "8443"},
                                                 ["does not contain ai_navigator_nginx_https_port 8443"]),
    "VRRP on without peers": ({"ai_navigator_firewall_vrrp": True, "vip": "10.0.0.200"},
                              ["ai_navigator_firewall_vrrp is on", "VIP '10.0.0.200'"]),
}


@pytest.mark.parametrize("overrides, words", BAD.values(), ids=BAD.keys())
def test_bad_value_is_refused_alone(overrides, words):
    errors = firewall_preflight_errors(values(**overrides))
    assert len(errors) == 1, errors
    assert errors[0].startswith("ai_navigator_") and all(w in errors[0] for w in words), errors[0]


APP_BAD = {
    "no instance ports": ({"ai_navigator_firewall_app_ports": []}, "ai_navigator_firewall_app_ports is empty"),
    "an LB did not publish": ({"unpublished_lbs": ["lb2"]},
                              "lb2 has not published ai_navigator_firewall_lb_source_addresses"),
}


@pytest.mark.parametrize("overrides, words", APP_BAD.values(), ids=APP_BAD.keys())
def test_app_host_needs_ports_and_every_lb(overrides, words):
    app = {"is_app": True, "is_lb": False, "ai_navigator_firewall_app_ports": [8000]}
    errors = firewall_preflight_errors(values(**{**app, **overrides}))
    assert len(errors) == 1 and words in errors[0], errors


GOOD = {
    "controller inside an admin network": {"ai_navigator_firewall_ssh_sources": ["10.0.0.0/24"]},
    "controller through IPv6 with a zone": {"ai_navigator_firewall_ssh_sources": ["fe80::/10"],
                                            "ssh_connection": "fe80::1%eth0 40000 fe80::2 22"},
    "controller set by hand, no connection facts": {"ai_navigator_firewall_controller_address": "10.0.0.1",
                                                    "ssh_connection": ""},
    "local connection": {"local_connection": True, "ssh_connection": ""},
    "VRRP with a peer": {"ai_navigator_firewall_vrrp": True, "vip": "10.0.0.200", "vrrp_peers": ["10.0.0.12"]},
    "custom nginx ports opened": {"ai_navigator_nginx_listen_port": 8080, "ai_navigator_nginx_https_port": 8443,
                                  "ai_navigator_firewall_lb_ports": [8080, 8443]},
    "not an LB: nginx ports not needed": {"is_lb": False, "is_app": True, "ai_navigator_firewall_app_ports": [8000],
                                          "ai_navigator_firewall_lb_ports": []},
}


@pytest.mark.parametrize("overrides", GOOD.values(), ids=GOOD.keys())
def test_good_values_pass(overrides):
    assert firewall_preflight_errors(values(**overrides)) == []


def test_only_failed_checks_are_reported():
    errors = firewall_preflight_errors(values(ai_navigator_firewall_lb_ports=[8080],
                                              ai_navigator_firewall_monitoring_sources=["x"]))
    assert [e.split(" ")[0] for e in errors] == ["ai_navigator_firewall_monitoring_sources",
                                                 "ai_navigator_firewall_lb_ports", "ai_navigator_firewall_lb_ports"]


def test_families_split_and_overlaps_merge():
    families = firewall_families(["10.0.0.0/8", "10.1.0.0/16", "2001:db8::1", "192.0.2.1", "192.0.2.0/31"])
    assert families == {"ipv4": ["10.0.0.0/8", "192.0.2.0/31"], "ipv6": ["2001:db8::1/128"]}


def test_families_of_nothing_are_empty():
    assert firewall_families([]) == {"ipv4": [], "ipv6": []}
