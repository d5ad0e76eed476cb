"""With a VIP the LBs run keepalived too. An idempotent site.yml reads what keepalived (like every
other role) manages on each LB once and converges nothing; a keepalived file changed by hand is
found by that read and put back by the next run. (The default scenario's test_drift.py covers
the firewall, python, app and nginx roles the same way.)"""

import harness

LBS = harness.group("ai_navigator_lb")
AUTH = "/etc/keepalived/ai-navigator-auth.conf"


def test_an_idempotent_run_reads_keepalived_once_per_lb_and_converges_nothing():
    run = harness.playbook("playbooks/site.yml")
    assert run.rc == 0, run.tail()
    assert run.changed() == {}
    assert {lb: run.drift().get((lb, "keepalived")) for lb in LBS} == {lb: [] for lb in LBS}, run.drift()
    assert run.converged() == set()


def test_a_keepalived_file_changed_by_hand_is_found_and_put_back():
    harness.sh(LBS[0], f"chmod 0644 {AUTH}")
    run = harness.playbook("playbooks/site.yml")
    assert run.rc == 0, run.tail()
    assert run.drift()[(LBS[0], "keepalived")] == [f"{AUTH}: mode 0644, wanted 0600"]
    assert run.converged() == {(LBS[0], "keepalived")}
    assert harness.sh(LBS[0], f"stat -c %a {AUTH}").out.strip() == "600"
