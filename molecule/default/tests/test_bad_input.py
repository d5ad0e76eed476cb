"""Bad inventory stops site.yml in preflight, naming the host, the variable and the value, and
only the checks that failed; nothing on any host changes. A config nginx -t rejects never
reaches the running nginx.

Each run carries several bad values on different hosts (one per class of the review that found
inventories passing preflight), so a handful of runs covers every class; the runs go in
parallel (each mostly waits on SSH). plugins/filter/preflight.py's unit tests cover every
check with good and bad values; these prove the roles wire them in, on real hosts.
"""

import concurrent.futures
import json

import harness
import pytest

SITE = "playbooks/site.yml"
WATCHED = ["/etc/nginx/nginx.conf", "/etc/nginx/tls/server.crt", "/etc/systemd/system/ai-navigator@.service",
           "/etc/ai-navigator/ai-navigator.env", "/etc/passwd", "/etc/systemd/system/nginx.service.d/ai-navigator.conf"]

# A check a host makes about the others' values, with no value of its own.
NOT_SET = object()

# run -> host -> variable -> (bad value, words its failed check must hold). A variable's own
# name is what the message must name; environment entries are named ai_navigator_app_environment.KEY.
RUNS = {
    "app values": {
        "app1": {
            # templated raw into the unit's ExecStart: would add a line to the unit
            "ai_navigator_app_listen_address": ("0.0.0.0\nExecStartPre=/bin/touch /tmp/pwned",
                                                "IPv4 or IPv6 address literal"),
            # a limit systemd would ignore
            "ai_navigator_app_memory_max": ("512m", "MemoryMax syntax"),
            # a port the unprivileged service cannot bind
            "ai_navigator_app_base_port": (80, "1024-65535"),
            # an existing account that is not a dedicated system account (uid 4, shell /bin/sync)
            "ai_navigator_app_user": ("sync", "not a dedicated system account"),
            "ai_navigator_app_release": ("../etc", "ai_navigator_app_release must be empty or"),
            # settings that are not the service's, out of its range, or with a line break
            "ai_navigator_app_environment": ({"TIMEOUT": "5", "max_body_bytes": 10,
                                              "instance_name": "a\nAI_NAVIGATOR_RELEASE=x"}, [
                ("ai_navigator_app_environment.TIMEOUT", "is not a setting of the service"),
                ("ai_navigator_app_environment.max_body_bytes", ">= 256"),
                ("ai_navigator_app_environment.instance_name", "line breaks")]),
        },
        "app2": {
            # a malformed address that would fail only at nginx -t, after the app tier changed
            "ai_navigator_app_upstream_address": ("10.0.0.300", "IPv4 or IPv6 address or a DNS host name"),
            "ai_navigator_app_cpu_quota": ("50", "CPUQuota syntax"),
            "ai_navigator_app_tasks_max": (0, "TasksMax syntax"),
            # no upper bound before
            "ai_navigator_app_instances": (65, "1-64"),
            # the account Ansible connects as
            "ai_navigator_app_user": ("root", "must not be root"),
            "ai_navigator_app_listen_address": (None, "ai_navigator_app_listen_address is required"),
            "ai_navigator_app_drain_seconds": (301, "<= 300"),
            "ai_navigator_app_environment": ({"log_level": "verbose"},
                                             [("ai_navigator_app_environment.log_level", "one of critical")]),
        },
    },
    "nginx values": {
        # IPv6 is accepted and rendered [address]:port; two hosts on one address:port are not.
        "app1": {"ai_navigator_app_upstream_address": ("fd00::21", None)},
        "app2": {"ai_navigator_app_upstream_address": ("fd00::21", None)},
        "lb1": {
            # templated raw into nginx.conf: passes nginx -t and answers 444 to everyone
            "ai_navigator_nginx_server_name": ("x; return 444", "host names"),
            "ai_navigator_nginx_proxy_read_timeout": ("2s; proxy_pass http://192.0.2.66", "nginx time"),
            "ai_navigator_nginx_extra_directives": (["location /x { return 200; }"], "one directive"),
            "ai_navigator_nginx_listen_port": (22, "SSH port"),
            "ai_navigator_app_upstream_address": (NOT_SET, "share an address:port"),
        },
    },
}


# The edge's own checks (HTTPS, limits, certificates, nginx's restart policy) each stop the host at their first failure,
# so each gets a run of its own: extra vars -> words the output must hold.
EDGE_CASES = {
    "HTTPS port is the HTTP port": ({"ai_navigator_nginx_https_port": 80}, ["ai_navigator_nginx_https_port", "lb1"]),
    "allow-list entry no network": ({"ai_navigator_nginx_restricted_allow": ["10.0.0.0/8", "10.0.0.0/33"]},
                                    ["ai_navigator_nginx_restricted_allow", "10.0.0.0/33", "lb1"]),
    "timeout with an injected directive": ({"ai_navigator_nginx_client_body_timeout": "10s; allow all"},
                                           ["ai_navigator_nginx_client_body_timeout", "lb1"]),
    "half a certificate pair": ({"ai_navigator_nginx_tls_certificate_file": str(harness.TLS_CA)},
                                ["ai_navigator_nginx_tls_private_key_file", "lb1"]),
    "certificate of another key and name": (
        {"ai_navigator_nginx_tls_certificate_file": str(harness.TLS_CA),
         "ai_navigator_nginx_tls_private_key_file": str(harness.TLS_CA.parent / "lb1.key")},
        ["ai_navigator_nginx_tls_certificate_file", "does not match", "does not cover lb1", "lb1"]),
    "certificate expires too soon": ({"ai_navigator_nginx_tls_min_days_valid": 400},
                                     ["ai_navigator_nginx_tls_min_days_valid", "under 400", "lb1"]),
    "nginx start limit that never trips": ({"ai_navigator_nginx_start_limit_interval_sec": 2},
                                           ["ai_navigator_nginx_start_limit_interval_sec (2)", "lb1"]),
}


def expected_checks(run: dict) -> dict[str, list[tuple[str, str]]]:
    expected = {}
    for host, variables in run.items():
        checks = []
        for variable, (_, words) in variables.items():
            if isinstance(words, list):
                checks += words
            elif words is not None:
                checks.append((variable, words))
        if checks:
            expected[host] = checks
    return expected


def host_vars(run: dict) -> dict[str, dict]:
    return {host: {v: value for v, (value, _) in variables.items() if value is not NOT_SET}
            for host, variables in run.items()}


@pytest.fixture(scope="module")
def state_before():
    return harness.fleet_state(WATCHED)


@pytest.fixture(scope="module")
# state_before is requested for its side effect: the fleet state is taken before the runs.
def runs(tmp_path_factory, state_before):  # noqa: ARG001
    """Every bad-inventory run at once: {name: harness.Run}."""
    directory = tmp_path_factory.mktemp("bad-input")
    scenario = harness.inventory_file()
    # name -> (ansible-playbook arguments, inventories)
    commands = {
        name: ([], [scenario, harness.write_host_vars(directory / f"{name.replace(' ', '-')}.json", host_vars(run))])
        for name, run in RUNS.items()
    }
    for name, (extra_vars, _) in EDGE_CASES.items():
        commands[f"edge {name}"] = (["-e", json.dumps(extra_vars)], [scenario])
    commands["instances not a number"] = (["-e", json.dumps({"ai_navigator_app_instances": "four"})], [scenario])
    commands["nginx -t rejects"] = (
        ["-e", json.dumps({"ai_navigator_nginx_extra_directives": ["proxy_buffering maybe;"]})], [scenario])
    for empty in ("ai_navigator_app", "ai_navigator_lb"):
        groups = {g: [] if g == empty else harness.group(g) for g in ("ai_navigator_app", "ai_navigator_lb")}
        commands[f"empty {empty}"] = ([], [harness.write_inventory(directory / f"{empty}.json", groups)])
    # At most 8 at once: each run opens SSH to every host as it starts, and sshd drops new
    # connections beyond MaxStartups (10 unauthenticated at a time by default); 15 at once once
    # made app hosts unreachable in CI.
    with concurrent.futures.ThreadPoolExecutor(min(len(commands), 8)) as pool:
        futures = {name: pool.submit(harness.playbook, SITE, *args, inventory=inventories)
                   for name, (args, inventories) in commands.items()}
        return {name: future.result() for name, future in futures.items()}


def assert_stopped_in_preflight(run):
    assert run.rc != 0, run.tail()
    assert not [play for play in run.plays if play.startswith("Deploy the service")], \
        f"site.yml went past preflight:\n{run.tail()}"
    assert run.recap, "no stats"
    for host, host_counts in run.recap.items():
        assert host_counts["changed"] == 0, f"{host} changed: {host_counts}"


@pytest.mark.parametrize("name", RUNS)
def test_bad_values_stop_in_preflight_naming_host_variable_and_only_failed_checks(runs, state_before, name):
    run = runs[name]
    assert_stopped_in_preflight(run)
    harness.assert_refused(run, expected_checks(RUNS[name]))
    assert harness.fleet_state(WATCHED) == state_before


@pytest.mark.parametrize("name", EDGE_CASES)
def test_bad_edge_values_stop_in_preflight(runs, state_before, name):
    run = runs[f"edge {name}"]
    assert_stopped_in_preflight(run)
    for words in EDGE_CASES[name][1]:
        assert words in run.stdout, run.tail()
    assert harness.fleet_state(WATCHED) == state_before


def test_values_are_shown_in_the_message(runs):
    app = runs["app values"].failures
    assert "'0.0.0.0\\nExecStartPre=/bin/touch /tmp/pwned'" in app["app1"]
    assert "'512m'" in app["app1"] and "'10.0.0.300'" in app["app2"]
    # IPv6 upstream addresses reach nginx as [address]:port.
    assert "[fd00::21]:8000" in runs["nginx values"].failures["lb1"]


def test_wrong_type_stops_in_preflight(runs):
    run = runs["instances not a number"]
    assert_stopped_in_preflight(run)
    refused = run.failures
    assert set(refused) == {"app1", "app2"} and all("ai_navigator_app_instances" in m for m in refused.values())


@pytest.mark.parametrize("empty", ["ai_navigator_app", "ai_navigator_lb"])
def test_empty_group_stops_before_any_host(runs, empty):
    run = runs[f"empty {empty}"]
    assert_stopped_in_preflight(run)
    assert f"inventory group '{empty}' is empty" in run.stdout, run.tail()


def test_config_nginx_rejects_never_reaches_nginx(runs, state_before):
    lb = harness.group("ai_navigator_lb")[0]
    run = runs["nginx -t rejects"]
    output = run.stdout
    assert run.rc != 0
    assert "proxy_buffering" in output and "nginx.conf" in output or "failed to validate" in output, run.tail()
    assert harness.fleet_state(WATCHED) == state_before
    status, _, _ = harness.http(f"https://{harness.address(lb)}/health")
    assert status == 200
