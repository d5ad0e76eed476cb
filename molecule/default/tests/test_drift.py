"""A converged fleet costs one read per role and host: each role reads what it manages on the
host in one call (module host_state) and runs its tasks only where something differs. Whatever
was changed by hand on a host must show in that read, and the next site.yml puts it back."""

import harness
import pytest

APPS = harness.group("ai_navigator_app")
LB = harness.group("ai_navigator_lb")[0]
ROLES = {"app": ["firewall", "python", "app"], "lb": ["firewall", "nginx"]}

# What an operator (or a failure) changes behind the roles' backs, on which host, what the role's
# read must report, and how to see it is back.
CHANGES = [
    (APPS[0], "firewall", "chmod 0600 /etc/nftables.d/ai-navigator.nft",
     "/etc/nftables.d/ai-navigator.nft: mode 0600", "stat -c %a /etc/nftables.d/ai-navigator.nft", "644"),
    (APPS[0], "firewall", "nft delete table inet ai_navigator", "command table: exit 1",
     "nft list tables", "table inet ai_navigator"),
    (APPS[0], "app", "systemctl stop ai-navigator@8001.service",
     "ai-navigator@8001.service: inactive, wanted active", "systemctl is-active ai-navigator@8001.service", "active"),
    (APPS[-1], "app", "echo '# by hand' >> /etc/ai-navigator/ai-navigator.env",
     "/etc/ai-navigator/ai-navigator.env: content differs",
     "grep -q 'by hand' /etc/ai-navigator/ai-navigator.env && echo edited || echo written", "written"),
    (APPS[-1], "app", "chmod 0755 /etc/ai-navigator", "/etc/ai-navigator: mode 0755, wanted 0750",
     "stat -c %a /etc/ai-navigator", "750"),
    (LB, "nginx", "chmod 0644 /etc/nginx/tls/server.key", "/etc/nginx/tls/server.key: mode 0644, wanted 0600",
     "stat -c %a /etc/nginx/tls/server.key", "600"),
    (LB, "nginx", "rm /etc/systemd/system/nginx.service.d/ai-navigator.conf",
     "/etc/systemd/system/nginx.service.d/ai-navigator.conf: missing",
     "systemctl show -p DropInPaths nginx.service", "ai-navigator.conf"),
]


def host_roles(host: str) -> list[str]:
    return ROLES["lb" if host == LB else "app"]


def test_an_idempotent_run_reads_each_role_once_and_runs_nothing_else():
    run = harness.playbook("playbooks/site.yml")
    assert run.rc == 0, run.tail()
    assert run.changed() == {}
    drift = run.drift()
    for host in [*APPS, LB]:
        for role in host_roles(host):
            assert drift.get((host, role)) == [], (host, role, drift)
    assert run.converged() == set(), run.tail()
    harness.figure(f"idempotent site.yml: {run.seconds:.1f} s, tasks per host "
                   + ", ".join(f"{h} {sum(v for k, v in c.items() if k != 'changed')}" for h, c in run.recap.items()))


@pytest.fixture(scope="module")
def changed_by_hand():
    for host, _role, command, _found, _check, _expected in CHANGES:
        harness.sh(host, command)
    run = harness.playbook("playbooks/site.yml")
    assert run.rc == 0, run.tail()
    return run


@pytest.mark.parametrize(("host", "role", "command", "found", "check", "expected"), CHANGES,
                         ids=[change[2].split()[0] + " " + change[2].split()[-1] for change in CHANGES])
def test_a_change_by_hand_is_found_and_put_back(changed_by_hand, host, role, command,  # noqa: ARG001
                                                found, check, expected):
    drift = changed_by_hand.drift()[(host, role)]
    assert any(line.startswith(found) for line in drift), drift
    assert (host, role) in changed_by_hand.converged()
    assert expected in harness.sh(host, check).out


def test_only_the_changed_hosts_and_roles_converge_and_a_next_run_finds_nothing(changed_by_hand):
    assert changed_by_hand.converged() == {(host, role) for host, role, *_ in CHANGES}
    run = harness.playbook("playbooks/site.yml")
    assert run.rc == 0, run.tail()
    assert run.changed() == {}
    assert run.converged() == set()
