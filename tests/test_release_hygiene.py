"""Release hygiene: the changelog is generated from fragments and up to date, ansible-doc shows
every role's entry points, requires_ansible matches the ansible-core CI tests, and
execution-environment.yml turns into a build context (no registry here to build the image from)."""

import json
import os
import pathlib
import re
import shutil
import subprocess
import sys

import pytest
import yaml
from packaging.specifiers import SpecifierSet
from packaging.version import Version

REPO = pathlib.Path(__file__).resolve().parents[1]
BIN = pathlib.Path(sys.executable).parent
ROLES = sorted(p.name for p in (REPO / "roles").iterdir() if (p / "tasks").is_dir())
ENV = {**os.environ, "PATH": f"{BIN}:{os.environ['PATH']}", "ANSIBLE_NOCOLOR": "1"}


def pinned(name: str) -> str:
    match = re.search(rf"^{re.escape(name)}==(\S+)$", (REPO / "requirements-dev.txt").read_text(), re.MULTILINE)
    assert match, f"{name} is not pinned in requirements-dev.txt"
    return match.group(1)


def test_changelog_fragments_lint():
    result = subprocess.run([BIN / "antsibull-changelog", "lint"], cwd=REPO, capture_output=True, text=True, env=ENV)
    assert result.returncode == 0 and not result.stdout.strip(), result.stdout + result.stderr


def test_changelog_is_generated_from_changelog_yaml(tmp_path):
    """CHANGELOG.md is antsibull-changelog's rendering of changelogs/changelog.yaml, not hand-edited."""
    copy = tmp_path / "collection"
    shutil.copytree(REPO, copy, ignore=shutil.ignore_patterns(".venv*", ".ansible", ".git", ".ee", "app"))
    result = subprocess.run([BIN / "antsibull-changelog", "generate"], cwd=copy, capture_output=True, text=True,
                            env=ENV)
    assert result.returncode == 0, result.stderr
    assert (copy / "CHANGELOG.md").read_text() == (REPO / "CHANGELOG.md").read_text(), \
        "CHANGELOG.md differs from `antsibull-changelog generate`: edit fragments, not the file"
    releases = yaml.safe_load((REPO / "changelogs" / "changelog.yaml").read_text())["releases"]
    assert yaml.safe_load((REPO / "galaxy.yml").read_text())["version"] in releases


def entry_points_used() -> dict[str, set[str]]:
    """Per role, the task files playbooks and roles include or import with tasks_from (and main
    where the role has tasks/main.yml): what users of the role can call."""
    used = {role: ({"main"} if (REPO / "roles" / role / "tasks" / "main.yml").exists() else set()) for role in ROLES}
    pattern = re.compile(r"name:\s*(?:ai_navigator\.fleet\.)?(\w+)\s*\n\s*tasks_from:\s*(\w+)")
    for path in [*REPO.glob("playbooks/*.yml"), *REPO.glob("roles/*/tasks/*.yml"), *REPO.glob("molecule/*/*.yml")]:
        for role, tasks in pattern.findall(path.read_text()):
            if role in used:
                used[role].add(tasks)
    return used


@pytest.fixture(scope="module")
def ansible_doc() -> tuple[dict, str]:
    """ansible-doc -t role for every role at once: (JSON, text as users read it)."""
    names = [f"ai_navigator.fleet.{role}" for role in ROLES]
    run = [BIN / "ansible-doc", "-t", "role"]
    as_json = subprocess.run([*run, "-j", *names], cwd=REPO, capture_output=True, text=True, env=ENV)
    assert as_json.returncode == 0, as_json.stderr
    as_text = subprocess.run([*run, *names], cwd=REPO, capture_output=True, text=True, env=ENV)
    assert as_text.returncode == 0, as_text.stderr
    return json.loads(as_json.stdout), as_text.stdout


@pytest.mark.parametrize("role", ROLES)
def test_ansible_doc_shows_every_entry_point_of_the_role(role, ansible_doc):
    shown = ansible_doc[0][f"ai_navigator.fleet.{role}"]["entry_points"]
    specs = yaml.safe_load((REPO / "roles" / role / "meta" / "argument_specs.yml").read_text())["argument_specs"]
    assert set(shown) == set(specs)
    missing = entry_points_used()[role] - set(shown)
    assert not missing, \
        f"{role}: entry points used with tasks_from but not in meta/argument_specs.yml: {sorted(missing)}"
    text = ansible_doc[1].split(f"ROLE: *ai_navigator.fleet.{role}*")[1].split("> ROLE: ")[0]
    for name, point in shown.items():
        assert point.get("short_description"), f"{role}.{name} has no short_description"
        assert (REPO / "roles" / role / "tasks" / f"{name}.yml").exists() or name == "main", \
            f"{role}: entry point {name} has no tasks/{name}.yml"
        assert re.search(rf"ENTRY POINT: \*?{name}\*? - ", text), \
            f"ansible-doc does not show {role}.{name}:\n{text[:1500]}"


def test_requires_ansible_is_the_ansible_core_ci_tests():
    core = Version(pinned("ansible-core"))
    requires = yaml.safe_load((REPO / "meta" / "runtime.yml").read_text())["requires_ansible"]
    spec = SpecifierSet(requires)
    assert core in spec, f"requires_ansible {requires} excludes the tested ansible-core {core}"
    lowest = min(Version(s.version) for s in spec if s.operator in (">=", ">"))
    assert (lowest.major, lowest.minor) == (core.major, core.minor), \
        f"requires_ansible {requires} claims ansible-core {lowest.major}.{lowest.minor}, CI tests only {core}"
    for role in ROLES:
        galaxy = yaml.safe_load((REPO / "roles" / role / "meta" / "main.yml").read_text())["galaxy_info"]
        assert galaxy["min_ansible_version"] == f"{core.major}.{core.minor}", \
            f"{role}: meta/main.yml min_ansible_version"


def test_execution_environment_becomes_a_build_context(tmp_path):
    output = tmp_path / "ee"
    (output / "collection").mkdir(parents=True)
    build = subprocess.run([BIN / "ansible-galaxy", "collection", "build", "--output-path", tmp_path / "tarball", REPO],
                           capture_output=True, text=True, env=ENV)
    assert build.returncode == 0, build.stderr
    # execution-environment.yml takes the tarball from .ee/ (make ee-context): a copy of the
    # definition next to the tarball built here keeps the checkout untouched.
    definition = yaml.safe_load((REPO / "execution-environment.yml").read_text())
    # ansible-builder globs only relative paths
    definition["additional_build_files"][0]["src"] = "tarball/ai_navigator-fleet-*.tar.gz"
    for kind in ("python", "system", "galaxy"):
        definition["dependencies"][kind] = str(REPO / definition["dependencies"][kind])
    (tmp_path / "execution-environment.yml").write_text(yaml.safe_dump(definition))
    result = subprocess.run([BIN / "ansible-builder", "create", "-f", tmp_path / "execution-environment.yml",
                             "-c", output, "--output-filename", "Containerfile"],
                            capture_output=True, text=True, env=ENV)
    assert result.returncode == 0, result.stdout + result.stderr
    containerfile = (output / "Containerfile").read_text()
    assert f"ansible-core=={pinned('ansible-core')}" in containerfile, "the EE runs the ansible-core CI tests"
    assert "ansible-galaxy collection install" in (output / "_build" / "scripts" / "check_galaxy").read_text() \
        or "ansible-galaxy collection install" in containerfile
    version = yaml.safe_load((REPO / "galaxy.yml").read_text())["version"]
    tarball = output / "_build" / "collections" / f"ai_navigator-fleet-{version}.tar.gz"
    assert tarball.is_file(), sorted(p.name for p in (output / "_build").rglob("*"))
    wanted = yaml.safe_load((output / "_build" / "requirements.yml").read_text())["collections"]
    assert wanted == [{"name": f"collections/{tarball.name}", "type": "file"}], \
        "requirements.yml names the built tarball"
    for line in (output / "_build" / "requirements.txt").read_text().splitlines():
        if line and not line.startswith("#"):
            name, version = line.split("==")
            assert version == pinned(name), f"the EE pins {line}, the controller {name}=={pinned(name)}"
