#!/usr/bin/python
"""Read-only: what differs on a host from the state a role wants (paths, units, packages, accounts,
commands), in one round trip; the roles converge only a host where something differs. The
comparison is module_utils/state.py."""

from __future__ import annotations

DOCUMENTATION = r"""
module: host_state
short_description: What differs on a host from the state a role wants, read in one call
description:
  - Reads, in one round trip, what the host has of everything a role manages (paths, units, packages,
    accounts, read-only commands) and returns what differs from the state the role wants, so that an
    idempotent run costs one module call per role instead of one per file, unit and package.
  - The roles run their tasks only on a host where something differs.
  - Changes nothing; supports check mode.
version_added: 1.0.0
author: ai_navigator.fleet developers (@ai-navigator)
options:
  wanted:
    description:
      - The state the role wants.
      - C(paths), a list of mappings with C(path) and any of C(state) (file, directory, link, exists,
        absent; default file), C(owner), C(group), C(mode), C(checksum) (SHA-1 of the content, see the
        C(ai_navigator.fleet.wanted_files) lookup) and C(src) (a link's target). Only what is given is
        compared.
      - C(units), systemd units that must be active and enabled (names, or mappings with C(name),
        C(active), C(enabled)).
      - C(only_units), a glob; a unit systemd has loaded that matches it, is not in C(units) and is
        active or enabled differs.
      - C(packages), Debian packages that must be installed. C(users), mappings with C(name) and any of
        C(group), C(home), C(shell). C(groups), group names.
      - C(commands), read-only commands by name, each an argument vector (no shell), that must exit 0; or a
        mapping with C(argv) and C(at_least), a version the command's output (a version) must reach.
    type: dict
    required: true
  paths:
    description: More paths to describe, beyond the wanted ones (links are not followed).
    type: list
    elements: path
    default: []
  listings:
    description: >-
      Directories whose entries to list, each with its modification time (as M(ansible.builtin.find)
      reports them).
    type: list
    elements: path
    default: []
  checksum_max_bytes:
    description: >-
      Regular files up to this size get a SHA-1 of their content; larger ones none (and differ from a
      wanted checksum).
    type: int
    default: 134217728
extends_documentation_fragment:
  - ai_navigator.fleet.read_only
"""

EXAMPLES = r"""
- name: Read what differs on the host from the firewall the role wants
  ai_navigator.fleet.host_state:
    wanted:
      packages: [nftables]
      paths: "{{ query('ai_navigator.fleet.wanted_files', {'path': '/etc/ai.nft', 'template': 'firewall.nft.j2'}) }}"
      units: [ai-navigator-firewall.service]
      commands:
        table: [nft, list, table, inet, ai_navigator]
  register: __state

- name: Converge where something differs
  ansible.builtin.include_tasks: converge.yml
  when: __state.drift | length > 0
"""

RETURN = r"""
drift:
  description: What differs from the wanted state, one message each; empty when the host has it.
  returned: always
  type: list
  elements: str
  sample: ["/etc/ai.nft: mode 0600, wanted 0644", "ai-navigator-firewall.service: inactive, wanted active"]
paths:
  description: "Per path: C(exists), and when it exists C(type) (file, directory, link, other), C(mode)
    (four octal digits), C(owner), C(group), C(link) (a link's target) and C(checksum) (a regular file's SHA-1)."
  returned: always
  type: dict
listings:
  description: "Per directory: its entries as C(path) and C(mtime); an empty list when it does not exist."
  returned: always
  type: dict
units:
  description: "Per unit systemd reported: C(active) (ActiveState), C(enabled) (UnitFileState), C(load) (LoadState)."
  returned: always
  type: dict
packages:
  description: "Per package: its installed version, or null when it is not installed."
  returned: always
  type: dict
users:
  description: "Per account: null when it does not exist, else C(uid), C(group) (primary group name), C(home),
    C(shell)."
  returned: always
  type: dict
groups:
  description: "Per group: its gid, or null when it does not exist."
  returned: always
  type: dict
commands:
  description: "Per command: C(rc) and C(stdout) (rc 127 when the program is missing)."
  returned: always
  type: dict
"""

import grp
import hashlib
import os
import pwd
import stat
import subprocess

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.ai_navigator.fleet.plugins.module_utils.state import (
    reads_for,
    state_drift,
    systemctl_show_blocks,
)

_TYPES = ((stat.S_ISLNK, "link"), (stat.S_ISDIR, "directory"), (stat.S_ISREG, "file"))


def _name(lookup, key: int) -> str:
    try:
        return lookup(key)[0]
    except KeyError:
        return str(key)


def describe_path(path: str, checksum_max_bytes: int) -> dict:
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        return {"exists": False}
    kind = next((name for test, name in _TYPES if test(st.st_mode)), "other")
    found = {"exists": True, "type": kind, "mode": f"{stat.S_IMODE(st.st_mode):04o}",
             "owner": _name(pwd.getpwuid, st.st_uid), "group": _name(grp.getgrgid, st.st_gid)}
    if kind == "link":
        found["link"] = os.readlink(path)
    elif kind == "file" and st.st_size <= checksum_max_bytes:
        digest = hashlib.sha1()
        with open(path, "rb") as content:
            for block in iter(lambda: content.read(1 << 20), b""):
                digest.update(block)
        found["checksum"] = digest.hexdigest()
    return found


def list_directory(path: str) -> list[dict]:
    try:
        entries = list(os.scandir(path))
    except (FileNotFoundError, NotADirectoryError):
        return []
    return sorted(({"path": entry.path, "mtime": entry.stat(follow_symlinks=False).st_mtime} for entry in entries),
                  key=lambda entry: entry["path"])


def parse_systemctl_show(output: str) -> dict[str, dict[str, str]]:
    """`systemctl show --property=Id,LoadState,ActiveState,UnitFileState` blocks, by unit Id."""
    return {unit: {"active": props.get("ActiveState", ""), "enabled": props.get("UnitFileState", ""),
                   "load": props.get("LoadState", "")} for unit, props in systemctl_show_blocks(output).items()}


def parse_dpkg_query(output: str) -> dict[str, str]:
    """`dpkg-query -W -f='${Package}\\t${db:Status-Abbrev}\\t${Version}\\n'`: installed packages only."""
    installed = {}
    for line in output.splitlines():
        parts = line.split("\t")
        if len(parts) == 3 and parts[1].strip() == "ii":
            installed[parts[0]] = parts[2]
    return installed


def read_user(name: str) -> dict | None:
    try:
        entry = pwd.getpwnam(name)
    except KeyError:
        return None
    return {"uid": entry.pw_uid, "group": _name(grp.getgrgid, entry.pw_gid), "home": entry.pw_dir,
            "shell": entry.pw_shell}


def read_group(name: str) -> int | None:
    try:
        return grp.getgrnam(name).gr_gid
    except KeyError:
        return None


def run(argv: list[str]) -> dict:
    try:
        done = subprocess.run(argv, capture_output=True, text=True, check=False)
    except FileNotFoundError:
        return {"rc": 127, "stdout": ""}
    return {"rc": done.returncode, "stdout": done.stdout}


def main() -> None:
    module = AnsibleModule(
        argument_spec={
            "wanted": {"type": "dict", "required": True},
            "paths": {"type": "list", "elements": "path", "default": []},
            "listings": {"type": "list", "elements": "path", "default": []},
            "checksum_max_bytes": {"type": "int", "default": 128 * 1024 * 1024},
        },
        supports_check_mode=True,
    )
    params = module.params
    reads = reads_for(params["wanted"])
    units: dict = {}
    if reads["units"]:
        shown = run(["systemctl", "show", "--property=Id,LoadState,ActiveState,UnitFileState", "--", *reads["units"]])
        units = parse_systemctl_show(shown["stdout"])
    packages: dict = {}
    if reads["packages"]:
        # dpkg-query exits 1 when a package is unknown, and still prints the known ones.
        listed = run(["dpkg-query", "-W", "-f=${Package}\t${db:Status-Abbrev}\t${Version}\n", *reads["packages"]])
        installed = parse_dpkg_query(listed["stdout"])
        packages = {name: installed.get(name) for name in reads["packages"]}
    commands = {}
    for name, argv in reads["commands"].items():
        if not isinstance(argv, list) or not argv:
            module.fail_json(msg=f"wanted.commands.{name} must be a non-empty argument list, not {argv!r}")
        commands[name] = run([str(arg) for arg in argv])
    observed = {
        "paths": {path: describe_path(path, params["checksum_max_bytes"]) for path in reads["paths"] + params["paths"]},
        "listings": {path: list_directory(path) for path in params["listings"]},
        "units": units,
        "packages": packages,
        "users": {name: read_user(name) for name in reads["users"]},
        "groups": {name: read_group(name) for name in reads["groups"]},
        "commands": commands,
    }
    module.exit_json(changed=False, drift=state_drift(observed, params["wanted"]), **observed)


if __name__ == "__main__":
    main()
