"""The preflight filters (plugins/filter/preflight.py): every class of bad value a review got past
preflight is refused with a message naming the variable and the value, good values pass, and only
the failed checks are reported."""

from __future__ import annotations

import pathlib

import pytest
import yaml
from ansible_collections.ai_navigator.fleet.plugins.filter import preflight
from pydantic import ValidationError

from ai_navigator.settings import Settings

ROOT = pathlib.Path(__file__).resolve().parents[1]
SETTINGS_FILE = str(ROOT / "app" / "src" / "ai_navigator" / "settings.py")


DEBIAN_12 = {"os_family": "Debian", "distribution": "Debian", "distribution_version": "12.11",
             "distribution_major_version": "12"}


def defaults(role: str) -> dict:
    return yaml.safe_load((ROOT / "roles" / role / "defaults" / "main.yml").read_text())


def app_values(**overrides) -> dict:
    # Templated defaults as Ansible would render them for a host at 10.0.0.21.
    values = {**defaults("app"), "ai_navigator_app_upstream_address": "10.0.0.21",
              "ai_navigator_app_listen_address": "10.0.0.21",
              "ai_navigator_app_source_dir": str(ROOT / "app"), "ai_navigator_app_wheelhouse_cache": "/tmp/w",
              "required": [], "ssh_port": 22, "connecting_users": ["deploy"], "account": None}
    return {**values, **overrides}


def nginx_values(**overrides) -> dict:
    servers = ["10.0.0.21:8000", "10.0.0.21:8001"]
    values = {**defaults("nginx"), "required": [], "inventory_hostname": "lb1", "ssh_port": 22, "own_endpoints": [],
              "upstream_hosts": ["app1"], "unpublished": [], "upstream_servers": servers,
              "tls_required_names": ["lb1", "10.0.0.11"], "tls_given": {}}
    return {**values, **overrides}


def keepalived_values(**overrides) -> dict:
    values = {**defaults("keepalived"), "ai_navigator_keepalived_vip": "10.0.0.200",
              "ai_navigator_keepalived_password": "s3cret", "ai_navigator_keepalived_check_port": 80,
              "inventory_hostname": "lb1", "group_hosts": ["lb1", "lb2"], "priority": 150, "interface": "eth0",
              "interfaces": ["lo", "eth0"], "address": "10.0.0.11", "prefix": 24}
    return {**values, **overrides}


def app_errors(**overrides):
    return preflight.app_preflight_errors(app_values(**overrides), SETTINGS_FILE)


def test_role_defaults_pass():
    assert app_errors() == []
    assert preflight.nginx_preflight_errors(nginx_values()) == []
    assert preflight.keepalived_preflight_errors(keepalived_values()) == []
    assert preflight.python_preflight_errors({**defaults("python"), **DEBIAN_12}) == []


# variable -> bad value -> words the one message must hold. One row per class of the review.
APP_BAD = {
    # values templated raw into the unit (ExecStart, User=) or the environment file
    "listen address with a unit line": ("ai_navigator_app_listen_address", "0.0.0.0\nExecStartPre=/bin/sh",
                                        ["IPv4 or IPv6"]),
    "listen address malformed": ("ai_navigator_app_listen_address", "10.0.0.256", ["address literal"]),
    "listen address a name": ("ai_navigator_app_listen_address", "localhost", ["address literal"]),
    "upstream address with nginx syntax": ("ai_navigator_app_upstream_address", "10.0.0.1; server 6.6.6.6",
                                           ["DNS host name"]),
    "upstream address malformed IPv4": ("ai_navigator_app_upstream_address", "10.0.0.300", ["DNS host name"]),
    "upstream IPv6 with port": ("ai_navigator_app_upstream_address", "[fe80::1]:80", ["DNS host name"]),
    "user with a unit line": ("ai_navigator_app_user", "svc\nUser=root", ["user/group name"]),
    "group with a space": ("ai_navigator_app_group", "ai navigator", ["user/group name"]),
    "root path with a space": ("ai_navigator_app_root", "/opt/ai navigator", ["absolute path"]),
    "root path relative": ("ai_navigator_app_root", "opt/ai", ["absolute path"]),
    "root path with ..": ("ai_navigator_app_root", "/opt/../etc", ["absolute path"]),
    "release with a path": ("ai_navigator_app_release", "../etc", ["ai_navigator_app_release"]),
    # resource values systemd ignores (the limit silently disappears)
    "memory lower case": ("ai_navigator_app_memory_max", "512m", ["MemoryMax syntax"]),
    "memory with B": ("ai_navigator_app_memory_max", "512MB", ["MemoryMax syntax"]),
    "memory zero": ("ai_navigator_app_memory_max", "0", ["MemoryMax syntax"]),
    "memory over 100%": ("ai_navigator_app_memory_max", "150%", ["MemoryMax syntax"]),
    "cpu without %": ("ai_navigator_app_cpu_quota", "50", ["CPUQuota syntax"]),
    "cpu zero": ("ai_navigator_app_cpu_quota", "0%", ["CPUQuota syntax"]),
    "cpu in cores": ("ai_navigator_app_cpu_quota", "1.5 cpus", ["CPUQuota syntax"]),
    "tasks zero": ("ai_navigator_app_tasks_max", 0, ["TasksMax syntax"]),
    "tasks negative": ("ai_navigator_app_tasks_max", -1, ["TasksMax syntax"]),
    "watchdog negative": ("ai_navigator_app_watchdog_sec", -1, ["ai_navigator_app_watchdog_sec"]),
    "restart delay negative": ("ai_navigator_app_restart_sec", -0.5, ["ai_navigator_app_restart_sec"]),
    "start burst zero": ("ai_navigator_app_start_limit_burst", 0, ["ai_navigator_app_start_limit_burst"]),
    # ports the unprivileged service cannot bind
    "privileged port": ("ai_navigator_app_base_port", 80, ["1024-65535", "80..83"]),
    "ports beyond 65535": ("ai_navigator_app_base_port", 65534, ["65534..65537"]),
    # no upper bound on instances
    "too many instances": ("ai_navigator_app_instances", 65, ["1-64"]),
    "zero instances": ("ai_navigator_app_instances", 0, ["1-64"]),
    # settings the role sets itself, in the service's own ranges
    "drain beyond the service's range": ("ai_navigator_app_drain_seconds", 301, ["<= 300"]),
    "grace negative": ("ai_navigator_app_grace_seconds", -1, [">= 0"]),
}


@pytest.mark.parametrize("variable, value, words", APP_BAD.values(), ids=APP_BAD.keys())
def test_app_bad_value_is_refused_alone(variable, value, words):
    errors = app_errors(**{variable: value})
    assert len(errors) == 1, errors
    assert variable in errors[0] and all(w in errors[0] for w in words), errors[0]
    assert repr(str(value))[1:-1].split("\\n")[0] in errors[0] or variable == "ai_navigator_app_base_port", errors[0]


APP_GOOD = {
    "IPv6 listen": ("ai_navigator_app_listen_address", "::"),
    "IPv6 upstream": ("ai_navigator_app_upstream_address", "2001:db8::21"),
    "DNS upstream": ("ai_navigator_app_upstream_address", "app1.example.net"),
    "memory G": ("ai_navigator_app_memory_max", "1.5G"),
    "memory bytes": ("ai_navigator_app_memory_max", "536870912"),
    "memory percent": ("ai_navigator_app_memory_max", "25%"),
    "memory infinity": ("ai_navigator_app_memory_max", "infinity"),
    "cpu 2 CPUs": ("ai_navigator_app_cpu_quota", "200%"),
    "cpu fraction": ("ai_navigator_app_cpu_quota", "12.5%"),
    "tasks as string": ("ai_navigator_app_tasks_max", "128"),
    "64 instances": ("ai_navigator_app_instances", 64),
    "last ports": ("ai_navigator_app_base_port", 65532),
    "first unprivileged port": ("ai_navigator_app_base_port", 1024),
    "existing system account": ("account", ["x", "998", "998", "", "/opt/ai-navigator", "/usr/sbin/nologin"]),
}


@pytest.mark.parametrize("variable, value", APP_GOOD.values(), ids=APP_GOOD.keys())
def test_app_good_value_passes(variable, value):
    assert app_errors(**{variable: value}) == []


def test_app_ports_must_not_take_the_ssh_port():
    errors = app_errors(ai_navigator_app_base_port=2020, ssh_port=2022)
    assert len(errors) == 1 and "ai_navigator_app_base_port 2020" in errors[0] \
        and "port 2022, which SSH uses" in errors[0]


ACCOUNT_BAD = {
    "root": ({"ai_navigator_app_user": "root"}, "must not be root"),
    "the connecting user": ({"ai_navigator_app_user": "deploy"}, "Ansible connects as"),
    "a login account": ({"account": ["x", "1000", "1000", "", "/home/alice", "/bin/bash"]},
                        "uid 1000, shell /bin/bash"),
    "a system account with a shell": ({"account": ["x", "100", "100", "", "/", "/bin/sh"]},
                                      "not a dedicated system account"),
    "nobody": ({"account": ["x", "65534", "65534", "", "/", "/usr/sbin/nologin"]}, "uid 65534"),
}


@pytest.mark.parametrize("overrides, words", ACCOUNT_BAD.values(), ids=ACCOUNT_BAD.keys())
def test_service_user_must_be_absent_or_dedicated(overrides, words):
    errors = app_errors(**overrides)
    assert len(errors) == 1 and "ai_navigator_app_user" in errors[0] and words in errors[0], errors


ENV_BAD = {
    "unknown key": ({"TIMEOUT": "5"}, "is not a setting of the service"),
    "key with prefix": ({"AI_NAVIGATOR_LOG_LEVEL": "info"}, "without the AI_NAVIGATOR_ prefix"),
    "key the role sets": ({"release": "x"}, "use ai_navigator_app_release"),
    "port the role sets": ({"PORT": 9000}, "use ai_navigator_app_base_port"),
    "value below range": ({"max_body_bytes": 10}, ">= 256"),
    "value above range": ({"MAX_QUERY_CHARS": 200000}, "<= 100000"),
    "not a number": ({"keepalive_seconds": "long"}, "a number"),
    "zero where > 0": ({"keepalive_seconds": 0}, "> 0"),
    "not a choice": ({"log_level": "verbose"}, "one of critical"),
    "newline injects a line": ({"instance_name": "a\nAI_NAVIGATOR_RELEASE=evil"}, "line breaks"),
    "quote": ({"instance_name": 'a"b'}, "without quotes"),
    "a list": ({"instance_name": ["a"]}, "a single value"),
}


@pytest.mark.parametrize("environment, words", ENV_BAD.values(), ids=ENV_BAD.keys())
def test_environment_bad_entry_is_refused(environment, words):
    errors = app_errors(ai_navigator_app_environment=environment)
    assert len(errors) == 1, errors
    assert "ai_navigator_app_environment." + next(iter(environment)) in errors[0] and words in errors[0], errors[0]


def test_environment_good_entries_pass():
    assert app_errors(ai_navigator_app_environment={
        "log_level": "debug", "MAX_BODY_BYTES": "32768", "keepalive_seconds": 90.5, "instance_name": "app1-a"}) == []


def test_only_failed_checks_are_reported():
    errors = app_errors(ai_navigator_app_instances=100, ai_navigator_app_memory_max="1g")
    assert len(errors) == 2
    assert "ai_navigator_app_instances" in errors[0] and "ai_navigator_app_memory_max" in errors[1]
    assert not any("cpu_quota" in e or "listen_address" in e for e in errors)


def test_settings_table_matches_the_service():
    """The filter reads settings.py: what it finds is what pydantic enforces."""
    table = preflight.service_settings(SETTINGS_FILE)
    assert set(table) == set(Settings.model_fields)
    for name, field in Settings.model_fields.items():
        bounds = {type(m).__name__.lower(): getattr(m, type(m).__name__.lower()) for m in field.metadata
                  if type(m).__name__ in ("Ge", "Gt", "Le", "Lt")}
        assert {k: v for k, v in table[name].items() if k in ("ge", "gt", "le", "lt")} == bounds, name


# Values on both sides of every bound of every numeric or choice setting: the filter and the
# service's own Settings agree on each.
def edge_values():
    for name, field in preflight.service_settings(SETTINGS_FILE).items():
        if name in preflight.ROLE_SET_SETTINGS:
            continue
        for bound in ("ge", "gt", "le", "lt"):
            if bound in field:
                for delta in (-1, 0, 1):
                    yield name, field[bound] + delta
        for choice in field.get("choices", []):
            yield name, choice
            yield name, choice.upper()


@pytest.mark.parametrize("name, value", list(edge_values()))
def test_environment_check_agrees_with_settings(name, value):
    try:
        Settings(**{name: value})
        accepted = True
    except ValidationError:
        accepted = False
    assert (app_errors(ai_navigator_app_environment={name: value}) == []) == accepted


NGINX_BAD = {
    "server name injects a directive": ("ai_navigator_nginx_server_name", "x; return 444", ["host names"]),
    "server name regex": ("ai_navigator_nginx_server_name", "~^(www)$", ["host names"]),
    "server name with newline": ("ai_navigator_nginx_server_name", "a\nb", ["host names"]),
    "timeout without unit syntax": ("ai_navigator_nginx_proxy_read_timeout", "2 s", ["nginx time"]),
    "timeout injects": ("ai_navigator_nginx_upstream_fail_timeout", "30s; server 6.6.6.6:80", ["nginx time"]),
    "body size": ("ai_navigator_nginx_client_max_body_size", "64kb", ["nginx size"]),
    "worker processes": ("ai_navigator_nginx_worker_processes", "many", ["auto"]),
    "keepalive zero": ("ai_navigator_nginx_upstream_keepalive", 0, ["1-"]),
    "port out of range": ("ai_navigator_nginx_listen_port", 70000, ["1-65535"]),
    "port of SSH": ("ai_navigator_nginx_listen_port", 22, ["SSH"]),
    "directive opens a block": ("ai_navigator_nginx_extra_directives", ["location /x { return 200; }"],
                                ["one directive"]),
    "two directives": ("ai_navigator_nginx_extra_directives", ["gzip on; return 503;"], ["one directive"]),
    "directive without ;": ("ai_navigator_nginx_extra_directives", ["gzip on"], ["one directive"]),
    "drained server not upstream": ("ai_navigator_nginx_drained_servers", ["10.9.9.9:8000"], ["not in the upstream"]),
}


@pytest.mark.parametrize("variable, value, words", NGINX_BAD.values(), ids=NGINX_BAD.keys())
def test_nginx_bad_value_is_refused_alone(variable, value, words):
    errors = preflight.nginx_preflight_errors(nginx_values(**{variable: value}))
    assert len(errors) == 1 and variable in errors[0] and all(w in errors[0] for w in words), errors


@pytest.mark.parametrize("overrides, words", [
    ({"inventory_hostname": "lb1;x"}, "inventory host name"),
    ({"upstream_servers": ["10.0.0.21:8000", "10.0.0.21:8000"]}, "share an address:port"),
    ({"unpublished": ["app2"]}, "ai_navigator_nginx_upstream_group 'ai_navigator_app': app2 has no"),
    ({"upstream_hosts": []}, "has no hosts"),
    ({"own_endpoints": ["10.0.0.11:80"]}, "an app instance port on this host"),
])
def test_nginx_fleet_checks(overrides, words):
    errors = preflight.nginx_preflight_errors(nginx_values(**overrides))
    assert len(errors) == 1 and words in errors[0], errors


@pytest.mark.parametrize("name", ["example.com www.example.com", "*.example.com", ".example.com", "www.example.*", "_"])
def test_nginx_good_server_names(name):
    assert preflight.nginx_preflight_errors(nginx_values(ai_navigator_nginx_server_name=name)) == []


KEEPALIVED_BAD = {
    "IPv6 VIP": ("ai_navigator_keepalived_vip", "2001:db8::200", ["IPv4", "VRRP over IPv4"]),
    "malformed VIP": ("ai_navigator_keepalived_vip", "10.0.0.300", ["IPv4 address"]),
    "VIP injects": ("ai_navigator_keepalived_vip", "10.0.0.200 dev eth0\n}", ["IPv4 address"]),
    "VIP outside the subnet": ("ai_navigator_keepalived_vip", "10.0.1.200", ["outside the subnet"]),
    "VIP is the broadcast": ("ai_navigator_keepalived_vip", "10.0.0.255", ["broadcast"]),
    "password with a blank": ("ai_navigator_keepalived_password", "a b", ["1-8 characters"]),
    "password too long": ("ai_navigator_keepalived_password", "123456789", ["1-8 characters"]),
    "password with a brace": ("ai_navigator_keepalived_password", "}x", ["1-8 characters"]),
    "router id": ("ai_navigator_keepalived_virtual_router_id", 256, ["1-255"]),
    "interface injects": ("interface", "eth0\n}", ["ai_navigator_keepalived_interface"]),
    "tracked service injects": ("ai_navigator_keepalived_tracked_service", "nginx.service\nExecStartPre=/bin/sh",
                                ["systemd unit name"]),
    "weight with nopreempt": ("ai_navigator_keepalived_check_weight", -20, ["nopreempt"]),
    "advert interval": ("ai_navigator_keepalived_advert_int", 0, ["1-255"]),
}


@pytest.mark.parametrize("variable, value, words", KEEPALIVED_BAD.values(), ids=KEEPALIVED_BAD.keys())
def test_keepalived_bad_value_is_refused_alone(variable, value, words):
    errors = preflight.keepalived_preflight_errors(keepalived_values(**{variable: value}))
    assert len(errors) == 1, errors
    assert variable.removeprefix("ai_navigator_keepalived_") in errors[0] and all(w in errors[0] for w in words), errors


def test_keepalived_never_shows_the_password():
    for password in ("a b", "123456789", "}x"):
        errors = preflight.keepalived_preflight_errors(keepalived_values(ai_navigator_keepalived_password=password))
        assert errors and password not in " ".join(errors)


@pytest.mark.parametrize("address, expected", [
    ("10.0.0.21", ["10.0.0.21:8000", "10.0.0.21:8001"]),
    ("2001:db8::21", ["[2001:db8::21]:8000", "[2001:db8::21]:8001"]),
    ("app1.example.net", ["app1.example.net:8000", "app1.example.net:8001"]),
])
def test_endpoints_bracket_ipv6_for_nginx(address, expected):
    assert preflight.endpoints([8000, 8001], address) == expected


@pytest.mark.parametrize("overrides, words", [
    ({"ai_navigator_python_packages": []}, "ai_navigator_python_packages"),
    ({"ai_navigator_python_packages": ["python3; rm"]}, "ai_navigator_python_packages"),
    ({"ai_navigator_python_min_version": "3"}, "ai_navigator_python_min_version"),
    ({"os_family": "RedHat", "distribution": "Rocky", "distribution_version": "9.4", "distribution_major_version": "9"},
     "Rocky 9.4 (RedHat family) is not supported"),
    ({"os_family": "RedHat", "distribution": "CentOS", "distribution_version": "9", "distribution_major_version": "9"},
     "CentOS 9 (RedHat family) is not supported: the roles support Debian 12 and 13"),
    ({"distribution": "Ubuntu", "distribution_version": "24.04", "distribution_major_version": "24"},
     "Ubuntu 24.04 (Debian family) is not supported"),
    ({"distribution_version": "11.11", "distribution_major_version": "11"},
     "Debian 11.11 (Debian family) is not supported"),
    ({"distribution_version": "14", "distribution_major_version": "14"}, "Debian 14 (Debian family) is not supported"),
])
def test_python_bad_values(overrides, words):
    errors = preflight.python_preflight_errors({**defaults("python"), **DEBIAN_12, **overrides})
    assert len(errors) == 1 and words in errors[0], errors


@pytest.mark.parametrize("overrides, words", [
    ({"ai_navigator_keepalived_start_limit_interval_sec": 5},
     "ai_navigator_keepalived_start_limit_interval_sec (5) must be longer"),
    ({"ai_navigator_keepalived_restart_sec": 0},
     "ai_navigator_keepalived_restart_sec must be a number of seconds above 0"),
    ({"ai_navigator_keepalived_start_limit_burst": 1},
     "ai_navigator_keepalived_start_limit_burst must be an integer within 2-"),
])
def test_keepalived_restart_policy_must_end_a_crash_loop(overrides, words):
    errors = preflight.keepalived_preflight_errors(keepalived_values(**overrides))
    assert len(errors) == 1 and words in errors[0], errors


def peer_values(**overrides) -> dict:
    return {"inventory_hostname": "lb1", "ai_navigator_keepalived_vip": "10.0.0.200",
            "ai_navigator_keepalived_group": "ai_navigator_lb",
            "ai_navigator_keepalived_virtual_router_id": "51",
            "peers": [{"host": "lb2", "vip": "10.0.0.200", "virtual_router_id": 51, "address": "10.0.0.12"}],
            **overrides}


def test_keepalived_peers_share_the_vip_and_router_id():
    assert preflight.keepalived_peer_errors(peer_values()) == []


@pytest.mark.parametrize("overrides, words", [
    ({"peers": []}, "ai_navigator_keepalived_vip 10.0.0.200 is set on 1 host(s) of 'ai_navigator_lb' (lb1): "
                    "a floating VIP "
                    "needs at least two"),
    ({"ai_navigator_keepalived_virtual_router_id": 52}, "(52 here; peers have 51)"),
])
def test_keepalived_peers_refused(overrides, words):
    errors = preflight.keepalived_peer_errors(peer_values(**overrides))
    assert len(errors) == 1 and words in errors[0], errors


@pytest.mark.parametrize("version, major", [("12.11", "12"), ("13.1", "13"), ("13", 13)])
def test_python_supported_debian_releases_pass(version, major):
    values = {**defaults("python"), **DEBIAN_12, "distribution_version": version, "distribution_major_version": major}
    assert preflight.python_preflight_errors(values) == []
