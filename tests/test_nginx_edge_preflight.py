"""nginx_preflight_errors' edge checks (plugins/filter/preflight.py): the HTTPS port, the limits at
the edge, the client timeouts, the restricted paths' allow-list, the certificate's names and
source, and the restart policy — each bad value refused alone, naming the variable and value."""

from __future__ import annotations

import pytest
from ansible_collections.ai_navigator.fleet.plugins.filter.preflight import nginx_preflight_errors
from test_preflight_filters import nginx_values

CERT_PAIR = {"ai_navigator_nginx_tls_certificate_file": True, "ai_navigator_nginx_tls_private_key_file": True}

# overrides -> words the one message must hold (the variable first)
EDGE_BAD = {
    "HTTPS port is the HTTP port": ({"ai_navigator_nginx_https_port": 80},
                                    ["ai_navigator_nginx_https_port 80 is ai_navigator_nginx_listen_port too"]),
    "HTTPS port is SSH's": ({"ai_navigator_nginx_https_port": 2222, "ssh_port": 2222},
                            ["ai_navigator_nginx_https_port 2222 is the SSH port"]),
    "HTTPS port is an instance's": ({"ai_navigator_nginx_https_port": 8443, "own_endpoints": ["10.0.0.11:8443"]},
                                    ["ai_navigator_nginx_https_port 8443 is an app instance port"]),
    "HTTPS port out of range": ({"ai_navigator_nginx_https_port": 0},
                                ["ai_navigator_nginx_https_port", "1-65535", "'0'"]),
    "request rate zero": ({"ai_navigator_nginx_limit_req_rate": 0}, ["ai_navigator_nginx_limit_req_rate", "1-1000000"]),
    "burst negative": ({"ai_navigator_nginx_limit_req_burst": -1}, ["ai_navigator_nginx_limit_req_burst", "0-1000000"]),
    "connections beyond": ({"ai_navigator_nginx_limit_conn": 1000001}, ["ai_navigator_nginx_limit_conn", "'1000001'"]),
    "HSTS negative": ({"ai_navigator_nginx_hsts_max_age": -1}, ["ai_navigator_nginx_hsts_max_age"]),
    "days negative": ({"ai_navigator_nginx_tls_min_days_valid": -1}, ["ai_navigator_nginx_tls_min_days_valid"]),
    "timeout injects a directive": ({"ai_navigator_nginx_client_body_timeout": "10s; allow all"},
                                    ["ai_navigator_nginx_client_body_timeout", "nginx time", "'10s; allow all'"]),
    "timeout with a blank": ({"ai_navigator_nginx_keepalive_timeout": "10 s"},
                             ["ai_navigator_nginx_keepalive_timeout"]),
    "timeout empty": ({"ai_navigator_nginx_send_timeout": ""}, ["ai_navigator_nginx_send_timeout"]),
    "allow-list prefix too long": ({"ai_navigator_nginx_restricted_allow": ["10.0.0.0/8", "10.0.0.0/33"]},
                                   ["ai_navigator_nginx_restricted_allow", "'10.0.0.0/33': not an IPv4/IPv6"]),
    "allow-list injects": ({"ai_navigator_nginx_restricted_allow": ["10.0.0.1; allow all"]},
                           ["ai_navigator_nginx_restricted_allow", "'10.0.0.1; allow all'"]),
    "allow-list 'all'": ({"ai_navigator_nginx_restricted_allow": ["all"]},
                         ["ai_navigator_nginx_restricted_allow", "'all'"]),
    "allow-list a string": ({"ai_navigator_nginx_restricted_allow": "10.0.0.0/8"},
                            ["ai_navigator_nginx_restricted_allow", "must be a list"]),
    "certificate name with a blank": ({"ai_navigator_nginx_tls_names": ["a b"], "tls_required_names": ["a b"]},
                                      ["ai_navigator_nginx_tls_names", "'a b'"]),
    "certificate name a bad address": ({"ai_navigator_nginx_tls_names": ["10.0.0.256"],
                                        "tls_required_names": ["10.0.0.256"]},
                                       ["ai_navigator_nginx_tls_names", "'10.0.0.256'"]),
    "certificate name, wildcard inside": ({"ai_navigator_nginx_tls_names": ["a.*.example"],
                                           "tls_required_names": ["a.*.example"]}, ["'a.*.example'"]),
    "half a content pair": ({"tls_given": {"ai_navigator_nginx_tls_certificate": True}},
                            ["ai_navigator_nginx_tls_private_key is not set, "
                             "but ai_navigator_nginx_tls_certificate is"]),
    "half a file pair": ({"tls_given": {"ai_navigator_nginx_tls_private_key_file": True}},
                         ["ai_navigator_nginx_tls_certificate_file is not set, "
                          "but ai_navigator_nginx_tls_private_key_file is"]),
    "both pairs": ({"tls_given": {**CERT_PAIR, "ai_navigator_nginx_tls_certificate": True}}, ["both set"]),
    "certificate files missing": ({"tls_given": CERT_PAIR,
                                   "ai_navigator_nginx_tls_certificate_file": "/nonexistent/c.crt",
                                   "ai_navigator_nginx_tls_private_key_file": __file__},
                                  ["ai_navigator_nginx_tls_certificate_file '/nonexistent/c.crt' "
                                   "is no file on the controller"]),
    "start limit that never trips": ({"ai_navigator_nginx_start_limit_interval_sec": 2},
                                     ["ai_navigator_nginx_start_limit_interval_sec (2) must be longer",
                                      "5 x 0.5 = 2.5 s"]),
    "restart delay zero": ({"ai_navigator_nginx_restart_sec": 0}, ["ai_navigator_nginx_restart_sec", "above 0"]),
    "burst one": ({"ai_navigator_nginx_start_limit_burst": 1}, ["ai_navigator_nginx_start_limit_burst", "2-"]),
}


@pytest.mark.parametrize("overrides, words", EDGE_BAD.values(), ids=EDGE_BAD.keys())
def test_edge_bad_value_is_refused_alone(overrides, words):
    errors = nginx_preflight_errors(nginx_values(**overrides))
    assert len(errors) == 1, errors
    assert errors[0].startswith("ai_navigator_nginx_") and all(w in errors[0] for w in words), errors[0]


EDGE_GOOD = {
    "nginx time units": {"ai_navigator_nginx_client_header_timeout": "1m30s",
                         "ai_navigator_nginx_send_timeout": "500ms",
                         "ai_navigator_nginx_keepalive_timeout": "75"},
    "allow-list of addresses and networks, host bits set": {
        "ai_navigator_nginx_restricted_allow": ["10.0.0.0/8", "192.0.2.7", "10.1.2.3/24", "2001:db8::/32", "::1"]},
    "certificate names": {"ai_navigator_nginx_tls_names": ["lb.example.net", "*.example.net", "10.0.0.200",
                                                           "2001:db8::1"],
                          "tls_required_names": ["lb.example.net", "*.example.net", "10.0.0.200", "2001:db8::1"]},
    "content pair": {"tls_given": {"ai_navigator_nginx_tls_certificate": True,
                                   "ai_navigator_nginx_tls_private_key": True}},
    "file pair that exists": {"tls_given": CERT_PAIR, "ai_navigator_nginx_tls_certificate_file": __file__,
                              "ai_navigator_nginx_tls_private_key_file": __file__},
    "a custom HTTPS port": {"ai_navigator_nginx_https_port": 8443},
    "limits at their bounds": {"ai_navigator_nginx_limit_req_rate": 1, "ai_navigator_nginx_limit_req_burst": 0,
                               "ai_navigator_nginx_limit_conn": "1000000", "ai_navigator_nginx_hsts_max_age": 0},
    "start limit just long enough": {"ai_navigator_nginx_start_limit_interval_sec": 3},
}


@pytest.mark.parametrize("overrides", EDGE_GOOD.values(), ids=EDGE_GOOD.keys())
def test_edge_good_values_pass(overrides):
    assert nginx_preflight_errors(nginx_values(**overrides)) == []


def test_a_bad_server_name_is_reported_once_not_again_as_certificate_names():
    # The certificate's names default to server_name's: one message, for server_name.
    errors = nginx_preflight_errors(nginx_values(ai_navigator_nginx_server_name="x; return 444",
                                                 tls_required_names=["x;", "return", "444"]))
    assert len(errors) == 1 and errors[0].startswith("ai_navigator_nginx_server_name"), errors


def test_the_key_is_never_in_a_message():
    # Only whether each certificate variable is set reaches the check.
    errors = nginx_preflight_errors(nginx_values(tls_given={"ai_navigator_nginx_tls_private_key": True},
                                                 ai_navigator_nginx_tls_private_key="-----BEGIN PRIVATE KEY-----"))
    assert len(errors) == 1 and "BEGIN" not in errors[0]
