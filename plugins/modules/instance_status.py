#!/usr/bin/python
"""Read-only state of every service instance on an app host, in one round trip (status.yml)."""

from __future__ import annotations

DOCUMENTATION = r"""
module: instance_status
short_description: State of every AI Navigation Assistant instance on an app host
description:
  - Finds the instances systemd knows on the host (C(ai-navigator@PORT.service) units that are enabled
    or loaded), and reports for each its unit state, automatic restarts since boot, memory, uptime,
    the release it is configured with, the release it answers with on C(/version) and what C(/ready) answers.
  - Changes nothing; supports check mode. Used by C(playbooks/status.yml) and the monitoring role.
version_added: 1.0.0
author: ai_navigator.fleet developers (@ai-navigator)
options:
  timeout:
    description: Seconds each HTTP probe of an instance (C(/ready), C(/version)) may take.
    type: float
    default: 2.0
extends_documentation_fragment:
  - ai_navigator.fleet.read_only
"""

EXAMPLES = r"""
- name: Read the instances
  ai_navigator.fleet.instance_status:
    timeout: 2
  register: __instances
"""

RETURN = r"""
instances:
  description: One entry per instance, sorted by port.
  returned: always
  type: list
  elements: dict
  contains:
    unit:
      description: "The unit name."
      type: str
    port:
      description: "The instance's port (the unit's instance name)."
      type: int
    address:
      description: "The address the instance listens on (from its ExecStart)."
      type: str
    active_state:
      description: "systemd ActiveState."
      type: str
    sub_state:
      description: "systemd SubState."
      type: str
    enabled:
      description: "systemd UnitFileState."
      type: str
    restarts:
      description: "Automatic restarts by systemd since boot (NRestarts)."
      type: int
    memory_bytes:
      description: "The unit's memory (cgroup), or the main process's resident memory where the cgroup has no
        memory accounting; null when not running."
      type: int
    uptime_seconds:
      description: "Seconds since the unit became active; null when not active."
      type: float
    configured_release:
      description: "AI_NAVIGATOR_RELEASE from the unit's environment file."
      type: str
    release:
      description: "The release the instance answers with on /version; null when it does not answer."
      type: str
    ready:
      description: "HTTP status of /ready, or the error when it did not answer; null when not active."
      type: raw
"""

import json
import re
import time
import urllib.error

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.urls import open_url

UNIT_RE = re.compile(r"^ai-navigator@(\d+)\.service$")
PROPERTIES = ("Id", "ActiveState", "SubState", "UnitFileState", "NRestarts", "MemoryCurrent", "MainPID",
              "ActiveEnterTimestampMonotonic", "ExecStart", "EnvironmentFiles")
# systemd prints this for "no value" (UINT64_MAX), e.g. MemoryCurrent without memory accounting.
UNSET = {"", "[not set]", str(2 ** 64 - 1)}


def instance_units(wants: str, loaded: str) -> list[str]:
    """Instance units from `systemctl show -p Wants --value multi-user.target` (enabled ones) and
    `systemctl list-units --plain --no-legend` (loaded ones: running, failed or stopped), by port."""
    names = set(wants.split()) | {line.split()[0] for line in loaded.splitlines() if line.strip()}
    return sorted((n for n in names if UNIT_RE.match(n)), key=lambda n: int(UNIT_RE.match(n).group(1)))


def parse_show(text: str) -> list[dict[str, str]]:
    """`systemctl show UNIT...` output: one dict per unit (blocks separated by blank lines)."""
    blocks, current = [], {}
    for line in text.splitlines():
        if not line.strip():
            if current:
                blocks.append(current)
            current = {}
            continue
        key, _sep, value = line.partition("=")
        current[key] = value
    if current:
        blocks.append(current)
    return blocks


def listen_address(exec_start: str) -> str | None:
    """The --host argument of the unit's ExecStart; wildcards become the loopback address."""
    match = re.search(r"--host[ =](\S+)", exec_start)
    if not match:
        return None
    host = match.group(1)
    return {"0.0.0.0": "127.0.0.1", "::": "::1"}.get(host, host)


def environment_file(value: str) -> str | None:
    """The first path of an EnvironmentFiles= property ('/etc/x.env (ignore_errors=no)')."""
    return value.split()[0] if value.split() else None


def read_release(path: str | None) -> str | None:
    if not path:
        return None
    try:
        with open(path, encoding="utf-8") as handle:
            for line in handle:
                key, _sep, value = line.strip().partition("=")
                if key == "AI_NAVIGATOR_RELEASE":
                    return value.strip().strip('"')
    except OSError:
        return None
    return None


def resident_bytes(pid: int) -> int | None:
    try:
        with open(f"/proc/{pid}/status", encoding="utf-8") as handle:
            for line in handle:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError):
        return None
    return None


def memory_bytes(props: dict[str, str]) -> int | None:
    if props.get("ActiveState") != "active":
        return None
    if props.get("MemoryCurrent", "") not in UNSET:
        return int(props["MemoryCurrent"])
    pid = int(props.get("MainPID") or 0)
    return resident_bytes(pid) if pid > 0 else None


def uptime_seconds(props: dict[str, str], now_monotonic: float) -> float | None:
    entered = props.get("ActiveEnterTimestampMonotonic", "0")
    if props.get("ActiveState") != "active" or not entered.isdigit() or int(entered) == 0:
        return None
    return round(max(0.0, now_monotonic - int(entered) / 1e6), 1)


def url_host(address: str) -> str:
    return f"[{address}]" if ":" in address else address


def probe(url: str, timeout: float) -> tuple[int | str, bytes]:
    """(HTTP status, body) of a GET, or (error text, b'') when nothing answered in time."""
    try:
        # No proxy: the instance is on this host's own address.
        with open_url(url, timeout=timeout, use_proxy=False) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, b""
    except (OSError, ValueError) as error:
        return f"no answer: {getattr(error, 'reason', error)}", b""


def instance(props: dict[str, str], now_monotonic: float, timeout: float, get=probe) -> dict:
    """One instance's row from its `systemctl show` properties, probing it when it is active."""
    unit = props.get("Id", "")
    match = UNIT_RE.match(unit)
    port = int(match.group(1)) if match else None
    address = listen_address(props.get("ExecStart", ""))
    row = {
        "unit": unit, "port": port, "address": address,
        "active_state": props.get("ActiveState", "unknown"), "sub_state": props.get("SubState", "unknown"),
        "enabled": props.get("UnitFileState", ""),
        "restarts": int(props["NRestarts"]) if props.get("NRestarts", "").isdigit() else None,
        "memory_bytes": memory_bytes(props), "uptime_seconds": uptime_seconds(props, now_monotonic),
        "configured_release": read_release(environment_file(props.get("EnvironmentFiles", ""))),
        "release": None, "ready": None,
    }
    if row["active_state"] == "active" and address and port:
        base = f"http://{url_host(address)}:{port}"
        row["ready"] = get(f"{base}/ready", timeout)[0]
        status, body = get(f"{base}/version", timeout)
        if status == 200:
            try:
                row["release"] = json.loads(body).get("release")
            except ValueError:
                row["release"] = None
    return row


def main() -> None:
    module = AnsibleModule(argument_spec={"timeout": {"type": "float", "default": 2.0}}, supports_check_mode=True)
    systemctl = module.get_bin_path("systemctl", required=True)

    def run(*args: str) -> str:
        rc, out, err = module.run_command([systemctl, *args])
        if rc != 0:
            module.fail_json(msg=f"systemctl {' '.join(args)} failed ({rc}): {err.strip()}")
        return out

    units = instance_units(run("show", "-p", "Wants", "--value", "multi-user.target"),
                           run("list-units", "--all", "--plain", "--no-legend", "--type=service", "ai-navigator@*"))
    blocks = parse_show(run("show", "-p", ",".join(PROPERTIES), *units)) if units else []
    now = time.clock_gettime(time.CLOCK_MONOTONIC)
    module.exit_json(changed=False, instances=[instance(props, now, module.params["timeout"]) for props in blocks])


if __name__ == "__main__":
    main()
