"""The LBs' daemons come back by themselves and stop trying in a crash loop: nginx and keepalived
have a restart policy, the roles' restart delay and a start limit that can trip (`systemctl show`,
drop-ins included). molecule/default checks the same on its LB (nginx) and app hosts."""

from __future__ import annotations

import harness
import pytest

DAEMONS = {"nginx.service": ("nginx", "ai_navigator_nginx"),
           "keepalived.service": ("keepalived", "ai_navigator_keepalived")}


@pytest.mark.parametrize("unit", DAEMONS)
def test_lb_daemons_restart_within_a_start_limit(unit):
    role, prefix = DAEMONS[unit]
    problems = []
    for lb in harness.group("ai_navigator_lb"):
        problems += harness.restart_policy_problems(lb, unit, role, prefix)
    assert not problems, "\n".join(problems)
