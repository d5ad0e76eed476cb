"""plugins/filter/firewall.py: what reaches the nftables rule set is an address or network."""

import importlib.util
import pathlib

import pytest

_spec = importlib.util.spec_from_file_location(
    "firewall_filters", pathlib.Path(__file__).parents[1] / "plugins" / "filter" / "firewall.py")
firewall = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(firewall)


@pytest.mark.parametrize("value", ["10.0.0.1", "10.0.0.0/8", "0.0.0.0/0", "::/0", "2001:db8::1", "2001:db8::/32",
                                   "192.0.2.7/32"])
def test_addresses_and_networks_pass(value):
    assert firewall.firewall_address_errors([value]) == []


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
def test_bad_values_are_named_with_the_reason(value, reason):
    errors = firewall.firewall_address_errors(["10.0.0.1", value])
    assert len(errors) == 1
    assert repr(value) in errors[0] and reason in errors[0]


def test_a_string_where_a_list_belongs_is_one_error():
    assert firewall.firewall_address_errors("10.0.0.0/8") == ["'10.0.0.0/8': must be a list of addresses or networks"]


def test_families_split_and_overlaps_merge():
    families = firewall.firewall_families(["10.0.0.0/8", "10.1.0.0/16", "2001:db8::1", "192.0.2.1", "192.0.2.0/31"])
    assert families == {"ipv4": ["10.0.0.0/8", "192.0.2.0/31"], "ipv6": ["2001:db8::1/128"]}


def test_families_of_nothing_are_empty():
    assert firewall.firewall_families([]) == {"ipv4": [], "ipv6": []}


@pytest.mark.parametrize("networks, address, inside", [
    (["0.0.0.0/0", "::/0"], "203.0.113.9", True),
    (["10.231.0.0/16"], "10.231.54.1", True),
    (["10.231.54.1"], "10.231.54.1", True),
    (["10.231.54.0/24"], "10.231.55.1", False),
    (["10.0.0.0/8"], "2001:db8::1", False),
    (["2001:db8::/32"], "2001:db8::1%eth0", True),
    ([], "10.0.0.1", False),
    (["0.0.0.0/0"], "", False),
    (["0.0.0.0/0"], "not-an-address", False),
])
def test_networks_contain(networks, address, inside):
    assert firewall.firewall_networks_contain(networks, address) is inside
