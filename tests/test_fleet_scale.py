"""bench/fleet_scale.py without a lab: what it reads from a run's recap and events, the ratios of
two fleets, the percentiles, the tables it prints, and the release it rolls out."""

from __future__ import annotations

import fleet_scale
import loadgen
import pytest
from fleet_scale import Measured

RECAP = {
    "localhost": {"ok": 1, "changed": 0, "failures": 0, "unreachable": 0, "skipped": 0, "rescued": 0, "ignored": 0},
    "app1": {"ok": 90, "changed": 2, "failures": 0, "unreachable": 0, "skipped": 10, "rescued": 0, "ignored": 1},
    "app2": {"ok": 80, "changed": 0, "failures": 1, "unreachable": 0, "skipped": 9, "rescued": 1, "ignored": 0},
    "lb1": {"ok": 40, "changed": 1, "failures": 0, "unreachable": 0, "skipped": 20, "rescued": 0, "ignored": 0},
}


def test_tasks_per_host_counts_every_result_once():
    # changed results are already in ok; rescued and ignored are not extra results.
    assert fleet_scale.tasks_per_host(RECAP) == {"localhost": 1, "app1": 100, "app2": 90, "lb1": 60}


def test_summarize_recap_averages_per_group_and_leaves_localhost_out():
    assert fleet_scale.summarize_recap(RECAP, ["app1", "app2"], ["lb1"]) == (95.0, 60.0, 3)
    # A host the run never reached counts as 0 tasks, not as missing.
    assert fleet_scale.summarize_recap(RECAP, ["app1", "app3"], []) == (50.0, 0.0, 2)


def test_changed_tasks_names_host_and_task_of_changed_results_only():
    events = [
        {"event": "runner_on_ok", "event_data": {"host": "app1", "task": "Write the unit", "res": {"changed": True}}},
        {"event": "runner_on_ok", "event_data": {"host": "app2", "task": "Write the unit", "res": {"changed": False}}},
        {"event": "runner_on_failed", "event_data": {"host": "lb1", "task": "Reload", "res": {"changed": True}}},
        {"event": "runner_on_ok", "event_data": {"host": "lb1", "task": "Reload nginx", "res": {"changed": True}}},
        {"event": "playbook_on_stats", "event_data": {}},
    ]
    assert fleet_scale.changed_tasks(events) == ["app1: Write the unit", "lb1: Reload nginx"]


def row(apps: int, run: str, wall: float, cpu: float, changed: int = 0, rc: int = 0) -> Measured:
    return Measured(apps, run, wall, cpu, apps + 1, 95, 60, changed, rc, [1.0, 1.0, 1.0], [2.5, 1.2, 1.0])


def test_cpu_per_host_divides_by_app_hosts_and_lb():
    assert row(2, "fresh", 10, 9).cpu_per_host == 3.0
    assert row(8, "fresh", 10, 27).cpu_per_host == 3.0


def test_ratios_of_the_big_fleet_over_the_small_one_per_run():
    rows = [row(2, "idempotent 1", 40, 21), row(8, "idempotent 1", 120, 54), row(2, "fresh", 100, 30)]
    found = fleet_scale.ratios(rows, 8, 2)
    # Only runs both fleets have; CPU per host: (54/9) / (21/3).
    assert list(found) == ["idempotent 1"]
    assert found["idempotent 1"]["wall"] == pytest.approx(3.0)
    assert found["idempotent 1"]["cpu_per_host"] == pytest.approx(6 / 7)
    assert fleet_scale.ratio_lines(found, 8, 2) == ["8/2 app hosts, idempotent 1: wall ×3.00, CPU per host ×0.86"]


def test_ratio_of_a_run_that_took_no_time_is_zero_not_an_error():
    assert fleet_scale.ratios([row(2, "fresh", 0, 0), row(8, "fresh", 5, 5)], 8, 2) == {
        "fresh": {"wall": 0.0, "cpu_per_host": 0.0}}


def test_percentile_is_nearest_rank():
    values = [float(v) for v in range(1, 101)]
    assert fleet_scale.percentile(values, 50) == 50.0
    assert fleet_scale.percentile(values, 99) == 99.0
    assert fleet_scale.percentile(values, 100) == 100.0
    assert fleet_scale.percentile([3.0, 1.0, 2.0], 50) == 2.0
    assert fleet_scale.percentile([7.0], 99) == 7.0
    assert fleet_scale.percentile([], 50) == 0.0


def test_latency_counts_only_answered_requests():
    results = [loadgen.Result(0.0, 0.010, 200, None, None, None)] * 98 + [
        loadgen.Result(0.0, 0.200, 200, None, None, None),
        loadgen.Result(0.0, 5.0, None, "TimeoutError: timed out", None, None),  # not a latency
        loadgen.Result(0.0, 0.001, 502, None, None, None)]
    report = loadgen.summarize("http://x/", results, duration=2.0)
    found = fleet_scale.latency(report, results)
    assert found["sent"] == 101 and found["failed"] == 2
    assert found["rate"] == pytest.approx(99 / 2)  # answered per second
    assert found["p50_ms"] == pytest.approx(10.0)
    assert found["p99_ms"] == pytest.approx(200.0)


def test_table_has_one_line_per_run_and_marks_failed_runs():
    text = fleet_scale.table([row(2, "fresh", 101.24, 30.0, changed=150), row(2, "idempotent 2", 40, 21, rc=2)])
    lines = text.splitlines()
    assert len(lines) == 4
    assert lines[0].startswith("| fleet | run | wall s | controller CPU s | CPU/host s |")
    assert lines[2] == "| 1 LB + 2 app | fresh | 101.2 | 30.0 | 10.00 | 95 | 60 | 150 | 1.00 → 2.50 |"
    assert "| idempotent 2 (rc 2) |" in lines[3]


def test_load_table_line():
    text = fleet_scale.load_table([{"apps": 8, "target": "nginx", "connections": 8, "seconds": 15.02, "rate": 812.4,
                                    "p50_ms": 9.04, "p99_ms": 31.0, "failed": 0, "client_cores": 0.954,
                                    "load_before": [3.0, 2.0, 1.0], "load_after": [4.25, 2.0, 1.0]}])
    assert text.splitlines()[2] == "| 1 LB + 8 app | nginx | 8 | 15 | 812 | 9.0 | 31.0 | 0 | 0.95 | 3.00 → 4.25 |"


def test_report_states_findings_ratios_and_the_shared_cores():
    rows = [row(2, "idempotent 2", 40, 21, changed=3), row(8, "idempotent 2", 100, 54)]
    text = fleet_scale.report(rows, [], [2, 8], 4, ["1 LB + 2 app, second idempotent site.yml: changed=3"],
                              code="abc1234")
    assert "- 8/2 app hosts, idempotent 2: wall ×2.50" in text
    assert "FINDING: 1 LB + 2 app, second idempotent site.yml: changed=3" in text
    assert "share them" in text and "4 instances per app host" in text and "code abc1234" in text
    clean = fleet_scale.report(rows, [], [2], 4, [], code="abc1234")
    assert "No findings" in clean and "8/2" not in clean


def test_the_rolled_out_release_is_a_new_version_of_app(tmp_path):
    source, release = fleet_scale.harness.release_source(tmp_path / "app", fleet_scale.bump_version)
    text = (source / "pyproject.toml").read_text()
    assert '.post1"' in text
    original = (fleet_scale.REPO / "app" / "pyproject.toml").read_text()
    version = original.split('version = "', 1)[1].split('"', 1)[0]
    assert release.startswith(f"{version}.post1-")
    # The bump applies once; a source without a version line is refused.
    (tmp_path / "bad").mkdir()
    (tmp_path / "bad" / "pyproject.toml").write_text("[project]\nname = 'x'\n")
    with pytest.raises(AssertionError, match="no version line"):
        fleet_scale.bump_version(tmp_path / "bad")


def test_profile_table_ranks_tasks_by_cpu_and_gives_it_per_host():
    profile = {"total_cpu": 10.0, "tasks": [
        {"task": "Gathering Facts", "role": "", "cpu": 0.9, "wall": 2.0, "results": {"ok": 9}},
        {"task": "Read what differs", "role": "ai_navigator.fleet.app", "cpu": 2.0, "wall": 1.0,
         "results": {"ok": 8}},
        {"task": "Converge", "role": "ai_navigator.fleet.app", "cpu": 0.4, "wall": 0.1, "results": {"skipped": 8}},
    ]}
    lines = fleet_scale.profile_table(profile, top=2).splitlines()
    assert lines[2] == "| ai_navigator.fleet.app : Read what differs | 2.00 | 250 | ok 8 |"
    assert lines[3] == "| Gathering Facts | 0.90 | 100 | ok 9 |"
    assert len(lines) == 5 and "(all 3 tasks" in lines[4] and "| 3.30 |" in lines[4]
    assert "idempotent 2 (--profile" in fleet_scale.report([], [], [2], 4, [], "abc", {2: profile})
