"""Scaling in stops and disables the surplus instances and takes them out of nginx; scaling
back out brings them back. Runs last: it leaves the fleet as converge made it."""

import json
import re

import harness
import pytest

APPS = harness.group("ai_navigator_app")
LB = harness.group("ai_navigator_lb")[0]


def upstream_servers() -> set[str]:
    config = harness.sh(LB, "nginx -T").out
    return set(re.findall(r"^\s*server (\S+) max_fails", config, re.MULTILINE))


def instance_states(host: str) -> dict[int, str]:
    out = harness.sh(host, "for p in 8000 8001 8002 8003; do "
                           "echo $p $(systemctl is-active ai-navigator@$p) $(systemctl is-enabled ai-navigator@$p); "
                           "done").out
    return {int(line.split()[0]): " ".join(line.split()[1:]) for line in out.splitlines()}


@pytest.fixture(scope="module")
def scaled_in():
    run = harness.playbook("playbooks/site.yml", "-e", json.dumps({"ai_navigator_app_instances": 2}))
    assert run.rc == 0, run.tail()
    yield
    run = harness.playbook("playbooks/site.yml")
    assert run.rc == 0, run.tail()
    for host in APPS:
        assert set(instance_states(host).values()) == {"active enabled"}
    assert len(upstream_servers()) == 4 * len(APPS)


@pytest.mark.parametrize("host", APPS)
# scaled_in is requested for its side effect: the fleet scaled in to 2 instances (and back after the module).
def test_surplus_instances_stopped_and_disabled(scaled_in, host):  # noqa: ARG001
    states = instance_states(host)
    assert states[8000] == states[8001] == "active enabled"
    assert states[8002] == states[8003] == "inactive disabled"


# scaled_in is requested for its side effect: the fleet scaled in to 2 instances (and back after the module).
def test_nginx_upstream_follows(scaled_in):  # noqa: ARG001
    assert upstream_servers() == {f"{harness.address(h)}:{p}" for h in APPS for p in (8000, 8001)}
