"""The one set of helpers the collection's filter plugins share: reading inventory values (which
arrive as strings when templated), showing them in messages, and the syntaxes the roles template
(ports, host names, IPv4/IPv6 addresses and networks, nginx times and sizes, systemd restart
limits).

Filter plugins import it as
``ansible_collections.ai_navigator.fleet.plugins.module_utils.checks``, so it works wherever
the collection is installed. Nothing here runs on a managed host.
"""

from __future__ import annotations

import ipaddress
import math
import re
from typing import Any, Union

# Union, not |: ansible-test's pylint checks module_utils against Pythons older than 3.10.
IPAddress = Union[ipaddress.IPv4Address, ipaddress.IPv6Address]  # noqa: UP007
IPNetwork = Union[ipaddress.IPv4Network, ipaddress.IPv6Network]  # noqa: UP007

# One DNS label; names are labels joined by dots (RFC 1123), the last one not all digits.
LABEL = re.compile(r"(?!-)[A-Za-z0-9-]{1,63}(?<!-)")
# An inventory host name as it appears in nginx headers and keepalived's router_id.
INVENTORY_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,252}")
APT_PACKAGE = re.compile(r"[a-z0-9][a-z0-9+.-]+")
# nginx's time and size syntax (nginx.org/en/docs/syntax.html): 500ms, 10s, 1m30s; 64k, 1m.
NGINX_TIME = re.compile(r"([0-9]+(ms|s|m|h|d|w|M|y)?)+")
NGINX_SIZE = re.compile(r"[0-9]+[kKmMgG]?")


def show(value: Any) -> str:
    """A value as a message shows it: quoted, with line breaks and control characters visible."""
    return repr(value) if isinstance(value, str) else repr(str(value)) if value is not None else "nothing"


def as_int(value: Any) -> int | None:
    """An integer, or a string of one (templated inventory values are strings); else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and re.fullmatch(r"-?[0-9]+", value.strip()):
        return int(value)
    return None


def as_float(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def int_in(errors: list, name: str, value: Any, low: int | None = None, high: int | None = None) -> int | None:
    """The value as an integer within low..high; else None, with a message added to errors."""
    number = as_int(value)
    if number is None or (low is not None and number < low) or (high is not None and number > high):
        bounds = f"{low if low is not None else ''}-{high if high is not None else ''}"
        errors.append(f"{name} must be an integer within {bounds} (got {show(value)})")
        return None
    return number


def float_in(errors: list, name: str, value: Any, low: float, high: float) -> float | None:
    number = as_float(value)
    if number is None or not low <= number <= high:
        errors.append(f"{name} must be a number within {low:g}-{high:g} (got {show(value)})")
        return None
    return number


def ip_literal(value: Any) -> IPAddress | None:
    if not isinstance(value, str):
        return None
    try:
        return ipaddress.ip_address(value)
    except ValueError:
        return None


def is_hostname(value: Any, wildcard: bool = False) -> bool:
    """A DNS name by RFC 1123 whose last label is not all digits (so 10.0.0.256 is no name);
    with wildcard, a leading '*.' label is allowed too (as a certificate may carry)."""
    if wildcard and isinstance(value, str) and value.startswith("*."):
        value = value[2:]
    if not isinstance(value, str) or not 0 < len(value.rstrip(".")) <= 253:
        return False
    labels = value.rstrip(".").split(".")
    return all(LABEL.fullmatch(label) for label in labels) and not labels[-1].isdigit()


def url_host(address: str) -> str:
    """An address as it goes before ':port' in a URL or an nginx server: IPv6 in brackets."""
    literal = ip_literal(address)
    return f"[{literal.compressed}]" if isinstance(literal, ipaddress.IPv6Address) else address


def port_of(endpoint: str) -> int:
    """The port of 'address:port' or '[address]:port'."""
    return int(str(endpoint).rsplit(":", 1)[1])


def network(value: Any, strict: bool = True) -> IPNetwork:
    """One IPv4/IPv6 address or network (CIDR); raises ValueError with the reason.

    strict: host bits must be clear (nft refuses 10.1.2.3/8; the reason names the network and
    the single address meant). Not strict: they may be set, as nginx's allow takes them.
    """
    if not isinstance(value, str) or not value.strip():
        raise ValueError("not an address or network (CIDR) string")
    text = value.strip()
    try:
        return ipaddress.ip_network(text, strict=strict)
    except ValueError as error:
        if "has host bits set" in str(error):
            loose = ipaddress.ip_network(text, strict=False)
            raise ValueError(f"host bits set: the network is {loose}, a single address is "
                             f"{text.split('/')[0]}/{loose.max_prefixlen}") from None
        raise ValueError("not an IPv4/IPv6 address or network (CIDR)") from None


def network_errors(values: Any, strict: bool = True) -> list[str]:
    """Every entry of a list that is no IPv4/IPv6 address or network, shown with the reason.

    A value that is not a list at all is one error: a single string where a list belongs would
    otherwise be split into characters.
    """
    if not isinstance(values, list):
        return [f"{show(values)}: must be a list of addresses or networks"]
    errors = []
    for value in values:
        try:
            network(value, strict)
        except ValueError as error:
            errors.append(f"{show(value)}: {error}")
    return errors


def restart_limit_errors(prefix: str, v: dict) -> list[str]:
    """A systemd restart policy (<prefix>_restart_sec, _start_limit_burst, _start_limit_interval_sec)
    that ends a crash loop: a delay above 0, a burst of at least 2, and an interval longer than
    burst x delay, or the starts never fall within one interval and the loop never stops."""
    errors: list[str] = []
    restart = as_float(v.get(f"{prefix}_restart_sec"))
    if restart is None or not 0 < restart <= 3600:
        errors.append(f"{prefix}_restart_sec must be a number of seconds above 0, at most 3600 "
                      f"(got {show(v.get(f'{prefix}_restart_sec'))})")
    burst = int_in(errors, f"{prefix}_start_limit_burst", v.get(f"{prefix}_start_limit_burst"), 2)
    interval = int_in(errors, f"{prefix}_start_limit_interval_sec", v.get(f"{prefix}_start_limit_interval_sec"), 1)
    if restart is not None and burst is not None and interval is not None and interval <= restart * burst:
        errors.append(f"{prefix}_start_limit_interval_sec ({interval}) must be longer than {prefix}_start_limit_burst "
                      f"x {prefix}_restart_sec ({burst} x {restart:g} = {burst * restart:g} s), or a crash loop "
                      "never hits the limit")
    return errors
