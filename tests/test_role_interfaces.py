"""Roles talk through their entry points (meta/argument_specs.yml) and public variables only: no
file of one role names another role's private variables (`_ai_navigator_<role>_*` constants,
`__ai_navigator_<role>_*` registered results and facts)."""

import pathlib
import re

import pytest
import yaml

ROLES = pathlib.Path(__file__).resolve().parents[1] / "roles"
NAMES = sorted(p.name for p in ROLES.iterdir() if (p / "meta").is_dir())
PRIVATE = re.compile(r"(?<![A-Za-z0-9_])__?ai_navigator_(" + "|".join(NAMES) + r")_\w+")


def foreign_private_names(role: str, roles: pathlib.Path = ROLES) -> list[str]:
    found = []
    for path in sorted((roles / role).rglob("*")):
        if path.is_file():
            for match in PRIVATE.finditer(path.read_text(errors="replace")):
                if match.group(1) != role:
                    found.append(f"{path.relative_to(roles)}: {match.group(0)}")
    return found


@pytest.mark.parametrize("role", NAMES)
def test_no_role_names_another_roles_private_variables(role):
    assert foreign_private_names(role) == []


def test_the_check_sees_a_foreign_private_name(tmp_path):
    fake = tmp_path / "rolling" / "tasks"
    fake.mkdir(parents=True)
    (tmp_path / "rolling" / "meta").mkdir()
    (fake / "x.yml").write_text("a: '{{ _ai_navigator_app_ports }} {{ ai_navigator_app_instances }} "
                                "{{ __ai_navigator_rolling_x }}'\n")
    assert foreign_private_names("rolling", tmp_path) == ["rolling/tasks/x.yml: _ai_navigator_app_ports"]


@pytest.mark.parametrize("role", NAMES)
def test_task_files_used_across_roles_are_declared_entry_points(role):
    """include_role tasks_from: another role's file must be an entry point of its argument specs."""
    for path in sorted((ROLES / role).rglob("*.yml")):
        for task in _tasks(yaml.safe_load(path.read_text())):
            include = task.get("ansible.builtin.include_role") or task.get("ansible.builtin.import_role")
            if not include or not include.get("tasks_from"):
                continue
            other = include["name"].split(".")[-1]
            specs = yaml.safe_load((ROLES / other / "meta" / "argument_specs.yml").read_text())["argument_specs"]
            assert include["tasks_from"] in specs, \
                f"{path.relative_to(ROLES)}: {other} has no entry point {include['tasks_from']}"


def _tasks(data):
    if isinstance(data, list):
        for item in data:
            if isinstance(item, dict):
                yield item
                for key in ("block", "rescue", "always"):
                    yield from _tasks(item.get(key))
