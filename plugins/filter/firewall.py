"""Address checks and grouping for the firewall role's nftables rule set.

Python's ipaddress does the parsing, so an inventory value is accepted exactly when it is an
IPv4 or IPv6 address or network that nft would also take, and nothing else reaches the rule set.
"""

from __future__ import annotations

import ipaddress

DOCUMENTATION = r"""
name: firewall
short_description: address checks and grouping for the firewall role
"""


def _network(value: object) -> ipaddress.IPv4Network | ipaddress.IPv6Network:
    """One address or network (CIDR), host bits clear; raises ValueError with the reason."""
    if not isinstance(value, str) or not value.strip():
        raise ValueError("not an address or network (CIDR) string")
    text = value.strip()
    try:
        return ipaddress.ip_network(text, strict=True)
    except ValueError as error:
        if "has host bits set" in str(error):
            loose = ipaddress.ip_network(text, strict=False)
            raise ValueError(f"host bits set: the network is {loose}, a single address is "
                             f"{text.split('/')[0]}/{loose.max_prefixlen}") from None
        raise ValueError("not an IPv4/IPv6 address or network (CIDR)") from None


def firewall_address_errors(values: object) -> list[str]:
    """Every entry of a list that is no IPv4/IPv6 address or network, with the reason.

    A value that is not a list at all is one error: an operator who writes a single string
    where a list belongs would otherwise get it split into characters.
    """
    if not isinstance(values, list):
        return [f"{values!r}: must be a list of addresses or networks"]
    errors = []
    for value in values:
        try:
            _network(value)
        except ValueError as error:
            errors.append(f"{value!r}: {error}")
    return errors


def firewall_families(values: list[str]) -> dict[str, list[str]]:
    """Addresses and networks by family, overlaps merged (nft refuses overlapping intervals):
    {'ipv4': ['10.0.0.0/8', '192.0.2.1/32'], 'ipv6': []}."""
    networks = [_network(value) for value in values]
    return {
        family: [str(n) for n in ipaddress.collapse_addresses(n for n in networks if n.version == version)]
        for family, version in (("ipv4", 4), ("ipv6", 6))
    }


def firewall_networks_contain(values: list[str], address: str) -> bool:
    """Whether an address (optionally with an IPv6 %zone) lies in any of the networks."""
    try:
        ip = ipaddress.ip_address(str(address).split("%", 1)[0])
    except ValueError:
        return False
    return any(ip in _network(value) for value in values)


class FilterModule:
    def filters(self):
        return {
            "firewall_address_errors": firewall_address_errors,
            "firewall_families": firewall_families,
            "firewall_networks_contain": firewall_networks_contain,
        }
