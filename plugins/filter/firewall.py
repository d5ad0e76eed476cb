"""Grouping of the firewall role's addresses for its nftables rule set. Every address reaching it
was checked by the role's preflight (firewall_preflight_errors in preflight.py), with the same
parsing (module_utils/checks.py), so a value is accepted exactly when nft would take it too."""

from __future__ import annotations

import ipaddress

from ansible_collections.ai_navigator.fleet.plugins.module_utils.checks import network


def firewall_families(values: list[str]) -> dict[str, list[str]]:
    """Addresses and networks by family, overlaps merged (nft refuses overlapping intervals):
    {'ipv4': ['10.0.0.0/8', '192.0.2.1/32'], 'ipv6': []}."""
    networks = [network(value) for value in values]
    return {
        family: [str(n) for n in ipaddress.collapse_addresses(n for n in networks if n.version == version)]
        for family, version in (("ipv4", 4), ("ipv6", 6))
    }


class FilterModule:
    def filters(self):
        return {"firewall_families": firewall_families}
