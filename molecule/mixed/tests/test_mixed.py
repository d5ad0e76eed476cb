"""A fleet on two Debian releases (molecule.yml: LB on 13, app1 on 12, app2 on 13).

Each host runs the release its platform names, each app host's venv runs that host's own Python
(3.11 on bookworm, 3.13 on trixie) with compiled wheels built for it, and a rolling update to a
new release crosses both under constant load at the LB with no failed request.
"""

from __future__ import annotations

import json
import pathlib
import re
import shutil
import signal
import subprocess
import sys
import time

import pytest
import yaml

import fleet

PLATFORMS = yaml.safe_load((pathlib.Path(__file__).resolve().parents[1] / "molecule.yml").read_text())["platforms"]
RELEASE = {p["name"]: p.get("release", "bookworm") for p in PLATFORMS}
PYTHON = {"bookworm": "3.11", "trixie": "3.13"}
APPS = fleet.group("ai_navigator_app")
ROOT = "/opt/ai-navigator"
PORTS = [8000, 8001]  # ai_navigator_app_instances: 2 (molecule.yml)


def lb_url(path: str) -> str:
    return f"https://{fleet.address(fleet.group('ai_navigator_lb')[0])}{path}"


@pytest.mark.parametrize("name", sorted(RELEASE))
def test_host_runs_the_release_its_platform_names(name):
    rc, out = fleet.run_on(name, ". /etc/os-release && echo $VERSION_CODENAME $VERSION_ID")
    assert rc == 0 and out.split() == [RELEASE[name], {"bookworm": "12", "trixie": "13"}[RELEASE[name]]], out


def test_the_fleet_is_mixed():
    assert {RELEASE[name] for name in APPS} == {"bookworm", "trixie"}


@pytest.mark.parametrize("name", APPS)
def test_venv_runs_the_hosts_own_python_with_wheels_built_for_it(name):
    venv = f"{ROOT}/current/venv"
    rc, out = fleet.run_on(name, f"{venv}/bin/python -c 'import sys, pydantic_core; "
                                 "print(\"%d.%d\" % sys.version_info[:2], pydantic_core._pydantic_core.__file__)'")
    assert rc == 0, out
    version, extension = out.split()
    assert version == PYTHON[RELEASE[name]]
    assert f"cpython-{version.replace('.', '')}-" in extension, extension
    for port in PORTS:
        status, _, body = fleet.http_get(f"http://{fleet.address(name)}:{port}/ready")
        assert status == 200, body


def test_lb_on_trixie_spreads_over_both_releases():
    instances = set()
    for _ in range(20):
        status, headers, _ = fleet.http_get(lb_url("/version"))
        assert status == 200
        instances.add(headers["X-AI-Navigator-Instance"].split(":")[0])
    assert instances == set(APPS)


def current(name: str) -> str:
    rc, out = fleet.run_on(name, f"readlink {ROOT}/current")
    assert rc == 0, out
    return pathlib.Path(out.strip()).name


def test_rolling_update_across_both_releases_drops_nothing(tmp_path):
    before = {name: current(name) for name in APPS}
    source = tmp_path / "app"
    shutil.copytree(fleet.REPO / "app", source,
                    ignore=shutil.ignore_patterns(".venv", "build", "*.egg-info", "__pycache__", ".pytest_cache"))
    pyproject = source / "pyproject.toml"
    pyproject.write_text(re.sub(r'^version = "[^"]+"', 'version = "1.0.1"', pyproject.read_text(), count=1, flags=re.M))

    report = tmp_path / "load.json"
    # The gate client of the rolling scenario: reuses a keep-alive connection only if nginx kept it.
    load = subprocess.Popen([sys.executable, str(fleet.REPO / "bench" / "loadgen.py"), lb_url("/version"),
                             "--rate", "40", "--workers", "4", "--check-reuse", "--duration", "600",
                             "--cacert", str(fleet.TLS_CA), "--out", str(report)], stdout=subprocess.PIPE, text=True)
    try:
        time.sleep(1)
        run = fleet.run_playbook(str(fleet.REPO / "playbooks" / "rolling_update.yml"),
                                 "-e", f"ai_navigator_app_source_dir={source}")
        time.sleep(1)
    finally:
        load.send_signal(signal.SIGINT)
        summary = load.communicate(timeout=30)[0]
    print(f"\nrolling update across Debian 12 and 13: {summary.strip()}")
    assert run.returncode == 0, run.stdout[-3000:]
    gate = json.loads(report.read_text())
    assert gate["sent"] > 0 and gate["failed"] == 0, gate["failures"]
    after = {name: current(name) for name in APPS}
    assert len(set(after.values())) == 1 and set(after.values()) != set(before.values()), (before, after)
    # Both releases answered while the fleet was mixed; every instance serves the new one now.
    assert set(before.values()) | set(after.values()) <= set(gate["releases"]), gate["releases"]
    for name in APPS:
        for port in PORTS:
            status, _, body = fleet.http_get(f"http://{fleet.address(name)}:{port}/version")
            assert status == 200 and json.loads(body)["release"] == after[name], body
