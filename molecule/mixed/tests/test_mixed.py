"""A fleet on two Debian releases (molecule.yml: LB on 13, app1 on 12, app2 on 13).

Each host runs the release its platform names, each app host's venv runs that host's own Python
(3.11 on bookworm, 3.13 on trixie) with compiled wheels built for it, and a rolling update to a
new release crosses both under constant load at the LB with no failed request.
"""

from __future__ import annotations

import pathlib
import re
import shutil
import time

import harness
import pytest
import yaml

PLATFORMS = yaml.safe_load((pathlib.Path(__file__).resolve().parents[1] / "molecule.yml").read_text())["platforms"]
RELEASE = {p["name"]: p.get("release", "bookworm") for p in PLATFORMS}
PYTHON = {"bookworm": "3.11", "trixie": "3.13"}
APPS = harness.group("ai_navigator_app")
ROOT = "/opt/ai-navigator"
PORTS = [8000, 8001]  # ai_navigator_app_instances: 2 (molecule.yml)


def lb_url(path: str) -> str:
    return f"https://{harness.address(harness.group('ai_navigator_lb')[0])}{path}"


@pytest.mark.parametrize("name", sorted(RELEASE))
def test_host_runs_the_release_its_platform_names(name):
    out = harness.sh(name, ". /etc/os-release && echo $VERSION_CODENAME $VERSION_ID").out
    assert out.split() == [RELEASE[name], {"bookworm": "12", "trixie": "13"}[RELEASE[name]]], out


def test_the_fleet_is_mixed():
    assert {RELEASE[name] for name in APPS} == {"bookworm", "trixie"}


@pytest.mark.parametrize("name", APPS)
def test_venv_runs_the_hosts_own_python_with_wheels_built_for_it(name):
    venv = f"{ROOT}/current/venv"
    out = harness.sh(name, f"{venv}/bin/python -c 'import sys, pydantic_core; "
                           "print(\"%d.%d\" % sys.version_info[:2], pydantic_core._pydantic_core.__file__)'").out
    version, extension = out.split()
    assert version == PYTHON[RELEASE[name]]
    assert f"cpython-{version.replace('.', '')}-" in extension, extension
    for port in PORTS:
        response = harness.http(f"http://{harness.address(name)}:{port}/ready")
        assert response.status == 200, response.body


def test_lb_on_trixie_spreads_over_both_releases():
    instances = set()
    for _ in range(20):
        response = harness.http(lb_url("/version"))
        assert response.status == 200
        instances.add(response.headers["X-AI-Navigator-Instance"].split(":")[0])
    assert instances == set(APPS)


def current(name: str) -> str:
    return pathlib.Path(harness.sh(name, f"readlink {ROOT}/current").out.strip()).name


def test_rolling_update_across_both_releases_drops_nothing(tmp_path, load):
    before = {name: current(name) for name in APPS}
    source = tmp_path / "app"
    shutil.copytree(harness.REPO / "app", source,
                    ignore=shutil.ignore_patterns(".venv", "build", "*.egg-info", "__pycache__", ".pytest_cache"))
    pyproject = source / "pyproject.toml"
    pyproject.write_text(re.sub(r'^version = "[^"]+"', 'version = "1.0.1"', pyproject.read_text(), count=1, flags=re.M))

    # A plain keep-alive client (no check of a pooled connection before reuse), as in the rolling scenario.
    with load(lb_url("/version"), "--rate", "40", "--workers", "4") as running:
        time.sleep(1)
        run = harness.playbook("playbooks/rolling_update.yml", "-e", f"ai_navigator_app_source_dir={source}")
        time.sleep(1)
    gate = running.report
    harness.figure(f"rolling update across Debian 12 and 13: {gate['line']}")
    assert run.rc == 0, run.tail()
    assert gate["sent"] > 0 and gate["failed"] == 0, gate["failures"]
    after = {name: current(name) for name in APPS}
    assert len(set(after.values())) == 1 and set(after.values()) != set(before.values()), (before, after)
    # Both releases answered while the fleet was mixed; every instance serves the new one now.
    assert set(before.values()) | set(after.values()) <= set(gate["releases"]), gate["releases"]
    for name in APPS:
        for port in PORTS:
            response = harness.http(f"http://{harness.address(name)}:{port}/version")
            assert response.status == 200 and response.json()["release"] == after[name], response.body
