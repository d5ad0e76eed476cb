"""The scenarios' test harness (molecule/shared/harness.py) without a lab: what it reads from
ansible-runner's events and stats (from synthetic events, and from a real playbook run on the
controller itself), the background load around bench/loadgen.py, polling, systemd time spans."""

from __future__ import annotations

import time

import harness
import pytest
from test_loadgen import Handler, serving

STATS = {"ok": {"app1": 5, "lb1": 3}, "changed": {"app1": 1}, "failures": {"lb1": 1}, "dark": {"app2": 1},
         "skipped": {}, "rescued": {}, "ignored": {"app1": 2}, "processed": {"app1": 1, "lb1": 1, "app2": 1}}


def test_recap_counts_every_processed_host():
    assert harness.recap(STATS) == {
        "app1": {"ok": 5, "changed": 1, "failures": 0, "unreachable": 0, "skipped": 0, "rescued": 0, "ignored": 2},
        "app2": {"ok": 0, "changed": 0, "failures": 0, "unreachable": 1, "skipped": 0, "rescued": 0, "ignored": 0},
        "lb1": {"ok": 3, "changed": 0, "failures": 1, "unreachable": 0, "skipped": 0, "rescued": 0, "ignored": 0},
    }


def test_failures_skip_ignored_errors_and_count_unreachable_hosts():
    events = [
        {"event": "runner_on_failed",
         "event_data": {"host": "app1", "ignore_errors": True, "res": {"msg": "tolerated"}}},
        {"event": "runner_on_failed",
         "event_data": {"host": "lb1", "res": {"msg": "lb1: ai_navigator_nginx_x 'y' bad"}}},
        {"event": "runner_on_unreachable", "event_data": {"host": "app2", "res": {"msg": "ssh: no route"}}},
        {"event": "runner_on_ok", "event_data": {"host": "app1", "res": {"msg": "fine"}}},
        {"event": "runner_on_failed", "event_data": {"host": "app3", "res": {
            "msg": "One or more items failed",
            "results": [{"msg": "ok"}, {"failed": True, "msg": "port 80 refused"}]}}},
    ]
    assert harness.failures(events) == {"lb1": "lb1: ai_navigator_nginx_x 'y' bad", "app2": "ssh: no route",
                                        "app3": "port 80 refused"}


def test_plays_and_tasks_in_order_without_repeats():
    events = [{"event": "playbook_on_play_start", "event_data": {"play": "Preflight every host"}},
              {"event": "playbook_on_task_start", "event_data": {"task": "Check"}},
              {"event": "playbook_on_task_start", "event_data": {"task": "Check"}},
              {"event": "playbook_on_play_start", "event_data": {"play": "Deploy"}}]
    assert harness.event_names(events, "playbook_on_play_start", "play") == ["Preflight every host", "Deploy"]
    assert harness.event_names(events, "playbook_on_task_start", "task") == ["Check"]


def test_stamped_output_counts_seconds_from_the_start():
    began = harness._epoch("2026-11-29T00:00:00.000000")
    events = [{"created": "2026-11-29T00:00:01.500000", "stdout": "PLAY [x]\n\nTASK [y]"},
              {"created": "2026-11-29T00:00:12.000000", "stdout": ""}]
    assert harness.stamped(events, began) == "   1.5 PLAY [x]\n   1.5 \n   1.5 TASK [y]"


def test_a_real_run_is_read_from_its_events(tmp_path, monkeypatch):
    """A playbook on the controller itself through ansible-runner: one change, then a failure
    whose message is what run.failures reports, and a play that never starts."""
    monkeypatch.setattr(harness, "OUT_DIR", tmp_path)
    book = tmp_path / "book.yml"
    book.write_text(f"""
- name: First play
  hosts: local
  gather_facts: false
  tasks:
    - name: Change something
      ansible.builtin.copy: {{content: "x", dest: "{tmp_path}/out.txt", mode: "0600"}}
    - name: Refuse
      ansible.builtin.fail: {{msg: "local: ai_navigator_example 'bad' is refused"}}
- name: Second play
  hosts: local
  gather_facts: false
  tasks:
    - name: Never
      ansible.builtin.debug: {{msg: never}}
""")
    inventory = tmp_path / "hosts.yml"
    inventory.write_text("all:\n  hosts:\n"
                         "    local: {ansible_connection: local, "
                         "ansible_python_interpreter: '{{ ansible_playbook_python }}'}\n")
    run = harness.playbook(str(book), "-e", "unused=1", inventory=str(inventory))
    assert run.rc == 2 and run.status == "failed"
    assert run.recap["local"]["changed"] == 1 and run.recap["local"]["failures"] == 1
    assert run.failures == {"local": "local: ai_navigator_example 'bad' is refused"}
    assert run.plays == ["First play"] and run.tasks == ["Change something", "Refuse"]
    assert "TASK [Refuse]" in run.stdout and "is refused" in run.tail()
    assert run.changed() == {"local": 1}
    assert "Change something" in (tmp_path / "playbooks.log").read_text()


def test_the_run_ignores_molecules_ansible_settings(tmp_path, monkeypatch):
    """One policy: the checkout's ansible.cfg, whatever Molecule exported (display_failed_stderr,
    a callback, colours)."""
    monkeypatch.setenv("ANSIBLE_CONFIG", str(tmp_path / "molecule-ansible.cfg"))
    monkeypatch.setenv("ANSIBLE_FORCE_COLOR", "true")
    monkeypatch.setenv("MOLECULE_SCENARIO_NAME", "elsewhere")
    env = harness.ansible_env(EXTRA="1")
    assert env["ANSIBLE_CONFIG"] == str(harness.REPO / "ansible.cfg")
    assert "ANSIBLE_FORCE_COLOR" not in env and "MOLECULE_SCENARIO_NAME" not in env
    assert env["LAB_NAME"] == harness.LAB_NAME and env["EXTRA"] == "1"


@pytest.fixture
def server():
    # The load tool's own loopback server (tests/test_loadgen.py): 200 for every GET path.
    with serving(Handler) as url:
        yield url


def test_load_passes_loadgen_arguments_through_and_reports(server):
    with harness.Load(f"{server}/version", "--rate", "40", "--workers", "2", "--check-reuse") as load:
        assert harness.http(f"{server}/x").status == 200
        time.sleep(1.5)
    assert load.args[:5] == ["--rate", "40", "--workers", "2", "--check-reuse"]
    assert "--cacert" not in load.args  # plain HTTP
    assert load.report["failed"] == 0 and load.report["sent"] >= 10, load.report
    assert load.report["line"].startswith(f"sent={load.report['sent']} ")


def test_https_load_verifies_against_the_lab_ca():
    assert harness.Load("https://192.0.2.1/version").args == ["--cacert", str(harness.TLS_CA), "--duration", "900"]


def test_status_is_none_when_nothing_answers():
    assert harness.status("http://127.0.0.1:9/") is None


def test_wait_for_returns_the_value_or_names_what_never_held():
    values = iter([0, None, "ready"])
    value, waited = harness.wait_for(lambda: next(values), timeout=5, interval=0.01)
    assert value == "ready" and waited < 5

    def never():
        """the moon is made of cheese"""

    with pytest.raises(AssertionError, match="the moon is made of cheese"):
        harness.wait_for(never, timeout=0.05, interval=0.01)


@pytest.mark.parametrize("span, expected", [("500ms", 0.5), ("1min", 60.0), ("1min 30s", 90.0), ("100ms", 0.1),
                                            ("1s", 1.0), ("infinity", float("inf"))])
def test_time_spans_as_systemctl_shows_them(span, expected):
    assert harness.seconds(span) == pytest.approx(expected)


def test_restart_policy_problems_name_what_is_wrong():
    sound = {"restart": "always", "restart_sec": 0.1, "burst": 10, "interval_sec": 60.0}
    assert harness.check_restart_policy("x.service", sound, 0.1, 10, 60) == []
    never = {"restart": "no", "restart_sec": 0.1, "burst": 1, "interval_sec": 0.0}
    problems = harness.check_restart_policy("x.service", never, 0.1, 10, 60)
    assert len(problems) == 4 and "Restart=no" in problems[0]


def test_the_ssh_master_directory_goes_at_exit(tmp_path, monkeypatch):
    ssh_dir = tmp_path / "harness-ssh-x"
    ssh_dir.mkdir()
    (ssh_dir / "not-a-master").touch()  # `ssh -O exit` fails on it, and the directory still goes
    monkeypatch.setattr(harness, "_SSH_DIR", str(ssh_dir))
    harness._close_ssh_masters()
    assert not ssh_dir.exists()
