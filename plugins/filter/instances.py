"""The app role's instance bookkeeping from one `systemctl show` call (unit-tested in tests/)."""

from __future__ import annotations

import re

from ansible_collections.ai_navigator.fleet.plugins.module_utils.state import systemctl_show_blocks

_INSTANCE = re.compile(r"^ai-navigator@([0-9]+)\.service$")


def app_instance_changes(show: str, ports: list[int]) -> dict[str, list]:
    """What the host's instances need, read from the output of `systemctl show
    --property=Id,ActiveState,UnitFileState` over every ai-navigator@ unit systemd knows and the
    wanted ones: `start` lists the wanted ports whose instance is not both active and enabled,
    `stop` the units of instances no longer wanted (left over from a larger instance count)."""
    units = systemctl_show_blocks(show)
    wanted = [int(p) for p in ports]
    start = []
    for port in wanted:
        props = units.get(f"ai-navigator@{port}.service", {})
        if props.get("ActiveState") != "active" or props.get("UnitFileState") != "enabled":
            start.append(port)
    stop = sorted(unit for unit in units if (m := _INSTANCE.match(unit)) and int(m.group(1)) not in wanted)
    return {"start": start, "stop": stop}


class FilterModule:
    def filters(self):
        return {"app_instance_changes": app_instance_changes}
