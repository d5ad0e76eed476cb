"""The alerting rules the monitoring role ships: valid for Prometheus (promtool check rules) and
firing when they should, and only then (promtool test rules, tests/prometheus/)."""

import pathlib
import shutil
import subprocess

import pytest

REPO = pathlib.Path(__file__).parents[1]
RULES = REPO / "roles" / "monitoring" / "files" / "ai_navigator.rules.yml"
RULE_TESTS = sorted((REPO / "tests" / "prometheus").glob("*.test.yml"))
PROMTOOL = shutil.which("promtool") or "/usr/bin/promtool"


@pytest.fixture(scope="module")
def promtool():
    assert pathlib.Path(PROMTOOL).is_file(), "promtool is missing: scripts/setup.sh installs Debian's prometheus"
    return PROMTOOL


def test_rules_pass_promtool_check(promtool):
    result = subprocess.run([promtool, "check", "rules", RULES], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCESS: 4 rules found" in result.stdout


@pytest.mark.parametrize("rule_test", RULE_TESTS, ids=[p.name for p in RULE_TESTS])
def test_rules_fire_as_their_unit_tests_expect(promtool, rule_test):
    result = subprocess.run([promtool, "test", "rules", rule_test], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout + result.stderr


def test_every_alert_has_a_unit_test():
    import yaml

    alerts = {r["alert"] for g in yaml.safe_load(RULES.read_text())["groups"] for r in g["rules"] if "alert" in r}
    tested = {t["alertname"] for path in RULE_TESTS for case in yaml.safe_load(path.read_text())["tests"]
              for t in case.get("alert_rule_test", []) if t.get("exp_alerts")}
    assert alerts == tested, f"alerts without a firing test: {sorted(alerts - tested)}"


def test_a_prometheus_configuration_with_the_targets_and_rules_checks(promtool, tmp_path):
    """What the role writes is what Prometheus loads: promtool check config reads the file_sd file
    (as the monitoring filter renders it, written as the role's template does) and the rules."""
    import importlib.util

    import yaml

    spec = importlib.util.spec_from_file_location("monitoring_filters", REPO / "plugins" / "filter" / "monitoring.py")
    monitoring = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(monitoring)
    targets = monitoring.prometheus_file_sd(
        [{"item": "app1", "instances": [{"port": 8000, "address": "10.0.0.21", "configured_release": "1.0.0-abc"}]}],
        {}, {"env": "lab"})
    (tmp_path / "ai_navigator.yml").write_text("# Ansible managed\n" + yaml.safe_dump(targets))
    config = {"rule_files": [str(RULES)],
              "scrape_configs": [{"job_name": "ai-navigator",
                                  "file_sd_configs": [{"files": [str(tmp_path / "ai_navigator.yml")]}]}]}
    (tmp_path / "prometheus.yml").write_text(yaml.safe_dump(config))
    result = subprocess.run([promtool, "check", "config", tmp_path / "prometheus.yml"],
                            capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCESS: 4 rules found" in result.stdout + result.stderr
