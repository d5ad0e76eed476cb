"""The collection as users get it: built, installed into a temporary path, and run by its FQCN
against the fleet. The fleet already runs this source, so the run must change nothing."""

import os
import subprocess

import fleet


def test_built_collection_runs_site_by_fqcn(tmp_path):
    bin_dir = fleet.BIN
    collections = tmp_path / "collections"
    # Only the temporary path: the checkout's own link must not count as "already installed".
    env = fleet.plain_env(ANSIBLE_COLLECTIONS_PATH=str(collections))
    subprocess.run([bin_dir / "ansible-galaxy", "collection", "build", "--output-path", tmp_path, fleet.REPO],
                   check=True, capture_output=True, env=env)
    tarball = next(tmp_path.glob("ai_navigator-fleet-*.tar.gz"))
    subprocess.run([bin_dir / "ansible-galaxy", "collection", "install", "-p", collections, tarball],
                   check=True, capture_output=True, env=env)
    installed = collections / "ansible_collections" / "ai_navigator" / "fleet"
    assert (installed / "app" / "pyproject.toml").is_file()
    assert not (installed / ".venv").exists()

    result = subprocess.run(
        [bin_dir / "ansible-playbook", "-v", "-i", os.environ["MOLECULE_INVENTORY_FILE"], "ai_navigator.fleet.site"],
        capture_output=True, text=True, cwd=tmp_path, env=env,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr
    # the roles, and the service source they deploy, came from the installed copy
    assert f"--source={installed}/roles/app/../../app" in result.stdout
    counts = fleet.recap(result.stdout)
    assert set(counts) >= set(fleet.group("ai_navigator_app") + fleet.group("ai_navigator_lb"))
    assert all(c["changed"] == 0 and c["failed"] == 0 for c in counts.values()), counts
