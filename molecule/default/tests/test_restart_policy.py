"""Every long-running daemon the collection manages comes back by itself after a crash and stops
trying when it crashes in a loop: a restart policy, the role's restart delay and a start limit
that can trip, as systemd reports them (`systemctl show`), drop-ins included."""

import re

import harness

testinfra_hosts = harness.testinfra_hosts("ai_navigator_lb", "ai_navigator_app")


def managed_daemons(host) -> dict[str, tuple[str, str]]:
    """unit -> (role, variable prefix) of every daemon the collection runs on this host."""
    name = host.backend.host
    daemons = {}
    if name in harness.group("ai_navigator_lb"):
        daemons["nginx.service"] = ("nginx", "ai_navigator_nginx")
        # keepalived runs where the inventory sets a VIP (not in this scenario's single-LB fleet;
        # molecule/failover checks it on its two LBs).
        if harness.hostvars(name).get("ai_navigator_keepalived_vip"):
            daemons["keepalived.service"] = ("keepalived", "ai_navigator_keepalived")
    if name in harness.group("ai_navigator_app"):
        units = host.run("systemctl list-units --plain --no-legend --all 'ai-navigator@*.service'").stdout
        instances = re.findall(r"^(ai-navigator@\d+\.service)", units, re.MULTILINE)
        assert len(instances) == harness.role_defaults("app")["ai_navigator_app_instances"], units
        daemons.update(dict.fromkeys(instances, ("app", "ai_navigator_app")))
    return daemons


def test_every_daemon_restarts_within_a_start_limit(host):
    daemons = managed_daemons(host)
    assert daemons, f"{host.backend.host} runs no daemon of the collection"
    problems = []
    for unit, (role, prefix) in daemons.items():
        problems += harness.restart_policy_problems(host.backend.host, unit, role, prefix)
    print(f"{host.backend.host}: {', '.join(daemons)}")
    assert not problems, "\n".join(problems)
