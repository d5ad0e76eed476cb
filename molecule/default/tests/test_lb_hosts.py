"""Load balancers: nginx fronts every instance of every app host, and traffic reaches them all."""

import json
import re
from collections import Counter

import harness

testinfra_hosts = harness.testinfra_hosts("ai_navigator_lb")
PORTS = range(8000, 8004)


def test_nginx_running_enabled_listening(host):
    nginx = host.service("nginx")
    assert nginx.is_running
    assert nginx.is_enabled
    assert host.socket("tcp://0.0.0.0:80").is_listening
    assert host.socket("tcp://0.0.0.0:443").is_listening


def test_upstream_lists_every_instance_of_every_app_host(host):
    config = host.run_test("nginx -T").stdout
    upstream = re.search(r"upstream ai_navigator \{(.*?)\}", config, re.DOTALL).group(1)
    # the passive health check issue 3 asks for by default
    servers = set(re.findall(r"^\s*server (\S+) max_fails=3 fail_timeout=5s;", upstream, re.MULTILINE))
    expected = {f"{harness.address(h)}:{p}" for h in harness.group("ai_navigator_app") for p in PORTS}
    assert servers == expected
    # and each again as a backup, tried only when passive checks rest every server
    backups = set(re.findall(r"^\s*server (\S+) max_fails=3 fail_timeout=5s backup;", upstream, re.MULTILINE))
    assert backups == expected
    assert "least_conn;" in upstream
    assert "keepalive 32;" in upstream


def test_requests_reach_instances_on_every_app_host(host):
    lb = harness.address(host.backend.host)
    answered_by = Counter()
    for _ in range(40):
        status, headers, body = harness.http(f"https://{lb}/version")
        assert status == 200
        assert headers["X-AI-Navigator-LB"] == host.backend.host
        # The instance headers stay behind the LB; /version's body names the instance.
        answered_by[json.loads(body)["instance"].split(":")[0]] += 1
    harness.figure(f"requests through {host.backend.host} by app host: {dict(answered_by)}")
    assert set(answered_by) == set(harness.group("ai_navigator_app"))


def test_health_through_the_lb_is_not_logged(host):
    lb = harness.address(host.backend.host)
    status, _, body = harness.http(f"https://{lb}/health")
    assert status == 200
    assert b'"status":"healthy"' in body.replace(b" ", b"")
    host.run_test("sync")
    assert "GET /health" not in host.file("/var/log/nginx/access.log").content_string
