"""Filters for the nginx role's edge settings (too dense for Jinja, unit-tested in tests/)."""

from __future__ import annotations

import ipaddress
import re

# nginx time values as the role accepts them: a number with an optional unit (ms, s, m).
_NGINX_TIME = re.compile(r"^[0-9]{1,6}(ms|s|m)?$")
# A DNS name a certificate may carry: labels of letters, digits and hyphens, optionally a
# leading wildcard label.
_DNS_NAME = re.compile(r"^(\*\.)?([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)*[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?$")


def nginx_edge_bad_networks(values: object) -> list[str]:
    """The entries of a list that are not an IPv4/IPv6 address or network (CIDR), as strings.

    Host bits may be set (10.0.0.5/24), as nginx's allow accepts them.
    """
    if not isinstance(values, list):
        return [repr(values)]
    bad = []
    for value in values:
        try:
            if not isinstance(value, str):
                raise ValueError
            ipaddress.ip_network(value, strict=False)
        except ValueError:
            bad.append(repr(value) if not isinstance(value, str) else value)
    return bad


def nginx_edge_bad_times(values: dict) -> list[str]:
    """The names of the settings (a mapping name -> value) that are not an nginx time such as 10s."""
    return [name for name, value in values.items() if not _NGINX_TIME.match(str(value))]


def nginx_edge_bad_names(values: object) -> list[str]:
    """Entries that are neither an IP address nor a DNS name a certificate can carry."""
    if not isinstance(values, list):
        return [repr(values)]
    bad = []
    for value in values:
        text = str(value)
        try:
            ipaddress.ip_address(text)
            continue
        except ValueError:
            pass
        if len(text) > 253 or not _DNS_NAME.match(text):
            bad.append(text)
    return bad


class FilterModule:
    def filters(self):
        return {
            "nginx_edge_bad_networks": nginx_edge_bad_networks,
            "nginx_edge_bad_times": nginx_edge_bad_times,
            "nginx_edge_bad_names": nginx_edge_bad_names,
        }
