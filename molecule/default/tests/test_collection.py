"""The collection as users get it: built, installed into a temporary path, and run by its FQCN
against the fleet. The fleet already runs this source, so the run must change nothing."""

import subprocess

import harness


def test_built_collection_runs_site_by_fqcn(tmp_path):
    collections = tmp_path / "collections"
    # Only the temporary path: the checkout's own link must not count as "already installed".
    env = {"ANSIBLE_COLLECTIONS_PATH": str(collections)}
    subprocess.run([harness.BIN / "ansible-galaxy", "collection", "build", "--output-path", tmp_path, harness.REPO],
                   check=True, capture_output=True, env=harness.ansible_env(**env))
    tarball = next(tmp_path.glob("ai_navigator-fleet-*.tar.gz"))
    subprocess.run([harness.BIN / "ansible-galaxy", "collection", "install", "-p", collections, tarball],
                   check=True, capture_output=True, env=harness.ansible_env(**env))
    installed = collections / "ansible_collections" / "ai_navigator" / "fleet"
    assert (installed / "app" / "pyproject.toml").is_file()
    assert not (installed / ".venv").exists()

    run = harness.playbook("ai_navigator.fleet.site", "-v", cwd=str(tmp_path), env=env)
    assert run.rc == 0, run.tail()
    # the roles, and the service source they deploy, came from the installed copy
    assert f"--source={installed}/roles/app/../../app" in run.stdout
    counts = run.recap
    assert set(counts) >= set(harness.group("ai_navigator_app") + harness.group("ai_navigator_lb"))
    assert all(c["changed"] == 0 and c["failures"] == 0 for c in counts.values()), counts
