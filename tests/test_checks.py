"""The helpers every filter plugin shares (plugins/module_utils/checks.py), imported by the
collection's name as the plugins import them."""

from __future__ import annotations

import pytest
from ansible_collections.ai_navigator.fleet.plugins.module_utils import checks


@pytest.mark.parametrize("value, expected", [(8, 8), ("8", 8), (" -3 ", -3), ("8.0", None), (True, None), (None, None),
                                             ("8; x", None)])
def test_as_int_reads_templated_integers_only(value, expected):
    assert checks.as_int(value) == expected


@pytest.mark.parametrize("value, expected", [("0.5", 0.5), (2, 2.0), ("nan", None), ("inf", None), (False, None),
                                             ("x", None)])
def test_as_float_refuses_non_finite(value, expected):
    assert checks.as_float(value) == expected


def test_show_makes_line_breaks_visible():
    assert checks.show("a\nb") == "'a\\nb'" and checks.show(5) == "'5'" and checks.show(None) == "nothing"


@pytest.mark.parametrize("value, wildcard, ok", [
    ("lb1", False, True), ("lb1.example.net.", False, True), ("a-b.example", False, True),
    ("10.0.0.256", False, False), ("-bad.example", False, False), ("x;y", False, False), ("a b", False, False),
    ("a" * 64, False, False), ("", False, False), (None, False, False),
    ("*.example.net", False, False), ("*.example.net", True, True), ("a.*.example", True, False), ("*", True, False),
])
def test_is_hostname(value, wildcard, ok):
    assert checks.is_hostname(value, wildcard=wildcard) is ok


@pytest.mark.parametrize("address, expected", [("10.0.0.1", "10.0.0.1"), ("2001:db8::0:1", "[2001:db8::1]"),
                                               ("app1.example", "app1.example")])
def test_url_host_brackets_ipv6(address, expected):
    assert checks.url_host(address) == expected


@pytest.mark.parametrize("endpoint, port", [("10.0.0.1:8000", 8000), ("[2001:db8::1]:8001", 8001), ("app1:80", 80)])
def test_port_of(endpoint, port):
    assert checks.port_of(endpoint) == port


def test_network_strict_names_the_network_and_the_address():
    with pytest.raises(ValueError,
                       match=r"host bits set: the network is 10\.0\.0\.0/8, a single address is 10\.1\.2\.3/32"):
        checks.network("10.1.2.3/8")
    assert str(checks.network("10.1.2.3/8", strict=False)) == "10.0.0.0/8"
    assert str(checks.network(" 2001:db8::1 ")) == "2001:db8::1/128"


def test_network_errors_lists_each_bad_entry():
    assert checks.network_errors(["10.0.0.0/8", "x", "10.1.2.3/8"]) == [
        "'x': not an IPv4/IPv6 address or network (CIDR)",
        "'10.1.2.3/8': host bits set: the network is 10.0.0.0/8, a single address is 10.1.2.3/32"]
    assert checks.network_errors(["10.1.2.3/8"], strict=False) == []


@pytest.mark.parametrize("value, ok", [("10s", True), ("500ms", True), ("1m30s", True), ("30", True), ("1h", True),
                                       ("10 s", False), ("10s; deny all", False), ("", False), ("s", False)])
def test_nginx_time(value, ok):
    assert bool(checks.NGINX_TIME.fullmatch(value)) is ok


@pytest.mark.parametrize("restart, burst, interval, errors", [
    (0.5, 5, 60, []),
    ("0.5", "5", "3", []),
    (0.5, 5, 2, ["x_start_limit_interval_sec (2) must be longer than x_start_limit_burst x x_restart_sec "
                 "(5 x 0.5 = 2.5 s)"]),
    (1, 5, 5, ["x_start_limit_interval_sec (5) must be longer"]),
    (0, 5, 60, ["x_restart_sec must be a number of seconds above 0"]),
    ("soon", 1, 0, ["x_restart_sec", "x_start_limit_burst must be an integer within 2-",
                    "x_start_limit_interval_sec must be"]),
])
def test_restart_limit_must_end_a_crash_loop(restart, burst, interval, errors):
    found = checks.restart_limit_errors("x", {"x_restart_sec": restart, "x_start_limit_burst": burst,
                                              "x_start_limit_interval_sec": interval})
    assert len(found) == len(errors) and all(e.startswith(w) for e, w in zip(found, errors, strict=True)), found
