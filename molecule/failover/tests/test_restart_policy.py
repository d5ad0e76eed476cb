"""The LBs' daemons come back by themselves and stop trying in a crash loop: nginx and keepalived
have a restart policy, the roles' restart delay and a start limit that can trip (`systemctl show`,
drop-ins included). molecule/default checks the same on its LB (nginx) and app hosts."""

from __future__ import annotations

import sys

import pytest

from conftest import PROJECT

sys.path.insert(0, str(PROJECT / "molecule" / "shared"))
import fleet  # noqa: E402  (the helpers every scenario shares)

DAEMONS = {"nginx.service": ("nginx", "ai_navigator_nginx"), "keepalived.service": ("keepalived", "ai_navigator_keepalived")}


@pytest.mark.parametrize("unit", DAEMONS)
def test_lb_daemons_restart_within_a_start_limit(lab, unit):
    role, prefix = DAEMONS[unit]
    defaults = fleet.role_defaults(role)
    problems = []
    for lb in lab.groups["ai_navigator_lb"]:
        show = lab.ssh(lb, "systemctl show " + " ".join(f"-p {p}" for p in fleet.RESTART_PROPERTIES) + f" {unit}")
        problems += [f"{lb}: {problem}" for problem in fleet.restart_policy_problems(
            unit, fleet.restart_policy(show), defaults[f"{prefix}_restart_sec"],
            defaults[f"{prefix}_start_limit_burst"], defaults[f"{prefix}_start_limit_interval_sec"])]
    assert not problems, "\n".join(problems)
