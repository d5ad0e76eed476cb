"""Every role default is documented in meta/argument_specs.yml with the same default, and the
spec documents nothing that is not a default."""

import pathlib
import subprocess
import sys

import pytest
import yaml

ROLES = sorted(p for p in (pathlib.Path(__file__).parents[1] / "roles").iterdir() if p.is_dir())


def load(path: pathlib.Path):
    return yaml.safe_load(path.read_text()) or {}


@pytest.mark.parametrize("role", ROLES, ids=[r.name for r in ROLES])
def test_defaults_and_argument_specs_agree(role):
    defaults = load(role / "defaults" / "main.yml")
    options = load(role / "meta" / "argument_specs.yml")["argument_specs"]["main"]["options"]
    assert set(defaults) == set(options)
    for name, value in defaults.items():
        assert name.startswith(f"ai_navigator_{role.name}_"), f"{name} is not prefixed with its role"
        spec = options[name]
        assert spec.get("description"), f"{name} has no description"
        assert spec.get("type"), f"{name} has no type"
        assert spec.get("default") == value, f"{name}: default {value!r} but spec says {spec.get('default')!r}"


@pytest.mark.parametrize("role", ROLES, ids=[r.name for r in ROLES])
def test_internal_vars_are_underscored(role):
    internal = role / "vars" / "main.yml"
    if internal.exists():
        assert all(name.startswith("_") for name in load(internal))


def test_readme_variable_tables_match_the_specs():
    script = pathlib.Path(__file__).parents[1] / "scripts" / "role_docs.py"
    result = subprocess.run([sys.executable, script, "--check"], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


def test_example_inventory_sets_only_documented_variables():
    documented = set()
    for role in ROLES:
        documented |= set(load(role / "meta" / "argument_specs.yml")["argument_specs"]["main"]["options"])
    group_vars = pathlib.Path(__file__).parents[1] / "inventories" / "example" / "group_vars"
    for path in group_vars.glob("*.yml"):
        for name in load(path):
            assert not name.startswith("ai_navigator_") or name in documented, \
                f"{path.name}: {name} is no role variable"
