"""What differs between the state a role wants on a host and what the host has: the logic of the
host_state module (plugins/modules/host_state.py), here so that it is unit-tested on the
controller (tests/test_host_state.py) and runs the same on every host.

A role describes the state it converges a host to (paths, units, packages, accounts, commands
that must succeed), the module reads exactly that in one round trip and returns what differs,
and the role runs its tasks only on a host where something does: an idempotent run of a
converged host costs one module call per role.
"""

from __future__ import annotations

import fnmatch
from typing import Any

_ATTRIBUTES = ("owner", "group")


def systemctl_show_blocks(output: str) -> dict[str, dict[str, str]]:
    """The properties of each unit in `systemctl show --property=Id,...` output, by unit Id (the last
    block of an Id wins). The host_state module and the app role's instance filter both read it."""
    units = {}
    for block in output.split("\n\n"):
        props = dict(line.split("=", 1) for line in block.splitlines() if "=" in line)
        if props.get("Id"):
            units[props["Id"]] = props
    return units


def _mode(value: int | str) -> int:
    """A mode as the file module reads it: a string is octal ("0644"), an int is the number itself."""
    return value if isinstance(value, int) else int(str(value), 8)


def _path_drift(want: dict[str, Any], have: dict[str, Any]) -> list[str]:
    path, state = want["path"], want.get("state", "file")
    if not have.get("exists"):
        return [] if state == "absent" else [f"{path}: missing"]
    if state == "absent":
        return [f"{path}: present, wanted absent"]
    if state != "exists" and have.get("type") != state:
        return [f"{path}: a {have.get('type')}, wanted a {state}"]
    found = []
    for attribute in _ATTRIBUTES:
        if want.get(attribute) is not None and str(want[attribute]) != have.get(attribute):
            found.append(f"{path}: {attribute} {have.get(attribute)}, wanted {want[attribute]}")
    if want.get("mode") is not None and _mode(want["mode"]) != _mode(have.get("mode", "0")):
        found.append(f"{path}: mode {have.get('mode')}, wanted {_mode(want['mode']):04o}")
    if want.get("checksum") is not None and want["checksum"] != have.get("checksum"):
        found.append(f"{path}: content differs")
    if want.get("src") is not None and want["src"] != have.get("link"):
        found.append(f"{path}: points at {have.get('link')}, wanted {want['src']}")
    return found


def version_tuple(version: str) -> tuple[int, ...]:
    """"3.11" -> (3, 11); a part that is not a number ends it ("3.13.0rc1" -> (3, 13))."""
    parts = []
    for part in version.split("."):
        if not part.isdigit():
            break
        parts.append(int(part))
    return tuple(parts)


def command_argv(command: list[str] | dict[str, Any]) -> list[str]:
    """A wanted command is an argument vector, or a mapping with argv and at_least."""
    return command.get("argv", []) if isinstance(command, dict) else command


def unit_name(want: dict[str, Any] | str) -> str:
    return want if isinstance(want, str) else want["name"]


def reads_for(wanted: dict[str, Any]) -> dict[str, Any]:
    """What to read on the host to compare it with ``wanted``: paths, units, packages, accounts, commands."""
    return {
        "paths": [want["path"] for want in wanted.get("paths", [])],
        "units": [unit_name(want) for want in wanted.get("units", [])]
        + ([wanted["only_units"]] if wanted.get("only_units") else []),
        "packages": list(wanted.get("packages", [])),
        "users": [want["name"] for want in wanted.get("users", [])],
        "groups": list(wanted.get("groups", [])),
        "commands": {name: command_argv(command) for name, command in wanted.get("commands", {}).items()},
    }


def _unit_drift(want: dict[str, Any] | str, have: dict[str, str] | None) -> list[str]:
    want = {"name": want} if isinstance(want, str) else want
    name, have = want["name"], have or {}
    found = []
    if want.get("active", True) and have.get("active") != "active":
        found.append(f"{name}: {have.get('active') or 'unknown'}, wanted active")
    if want.get("enabled", True) and have.get("enabled") != "enabled":
        found.append(f"{name}: {have.get('enabled') or 'unknown'}, wanted enabled")
    return found


def state_drift(observed: dict[str, Any], wanted: dict[str, Any]) -> list[str]:
    """What differs, one entry each; empty when the host has the wanted state.

    ``wanted`` may hold
      paths     [{path, state: file|directory|link|exists|absent, owner, group, mode, checksum (SHA-1),
                  src (link target)}]
                (only the attributes given are compared)
      units     [{name, active: true, enabled: true}] or [name] (active and enabled)
      only_units  a glob: units systemd reports matching it that are not wanted must be neither active nor enabled
      packages  [names] that must be installed
      users     [{name, group, home, shell}]; groups [names]
      commands  {name: argv} of read-only commands that must exit 0, or {name: {argv, at_least}}
                whose output, a version, must also be at least at_least
    ``observed`` is what host_state read for them (reads_for(wanted)).
    """
    found: list[str] = []
    for want in wanted.get("paths", []):
        found += _path_drift(want, observed.get("paths", {}).get(want["path"], {}))
    units = observed.get("units", {})
    names = [unit_name(want) for want in wanted.get("units", [])]
    for want in wanted.get("units", []):
        found += _unit_drift(want, units.get(unit_name(want)))
    if wanted.get("only_units"):
        for name, have in sorted(units.items()):
            running = have.get("active") in ("active", "activating", "reloading")
            if fnmatch.fnmatchcase(name, wanted["only_units"]) and name not in names and (
                    running or have.get("enabled") == "enabled"):
                found.append(f"{name}: not wanted, but {have.get('active')} and {have.get('enabled')}")
    for name in wanted.get("packages", []):
        if not observed.get("packages", {}).get(name):
            found.append(f"package {name}: not installed")
    for name in wanted.get("groups", []):
        if observed.get("groups", {}).get(name) is None:
            found.append(f"group {name}: missing")
    for want in wanted.get("users", []):
        have = observed.get("users", {}).get(want["name"])
        if have is None:
            found.append(f"user {want['name']}: missing")
            continue
        found += [f"user {want['name']}: {key} {have.get(key)}, wanted {want[key]}"
                  for key in ("group", "home", "shell") if want.get(key) is not None and want[key] != have.get(key)]
    for name, command in wanted.get("commands", {}).items():
        ran = observed.get("commands", {}).get(name, {})
        if ran.get("rc") != 0:
            found.append(f"command {name}: exit {ran.get('rc')}")
        elif isinstance(command, dict) and command.get("at_least") is not None:
            printed = ran.get("stdout", "").strip()
            if version_tuple(printed) < version_tuple(str(command["at_least"])):
                found.append(f"command {name}: printed {printed}, wanted at least {command['at_least']}")
    return found
