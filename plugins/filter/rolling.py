"""Filters of the rolling updates and the app role's release keeping (unit-tested in tests/)."""

from __future__ import annotations

import math
import re

# Ansible's serial: a whole number, or a percentage (decimals allowed) of the hosts.
_COUNT = re.compile(r"^[0-9]+$")
_PERCENT = re.compile(r"^([0-9]+(\.[0-9]+)?)%$")


def rolling_batch_size(serial: object, hosts: int) -> int:
    """Hosts per batch for `serial` over `hosts` hosts, as Ansible resolves serial: N, or N% of
    the hosts rounded down but at least 1. Anything else (a bool, garbage, 0%) gives 0, which
    the caller refuses with its own message."""
    if isinstance(serial, bool) or serial is None:
        return 0
    text = str(serial).strip()
    if _COUNT.match(text):
        return int(text)
    match = _PERCENT.match(text)
    if match and float(match.group(1)) > 0:
        return max(1, math.floor(int(hosts) * float(match.group(1)) / 100))
    return 0


def rolling_batches(hosts: list[str], size: int, first: list[str] | None = None) -> list[list[str]]:
    """The batches of `size` hosts, in the order of `hosts`, but those in `first` (hosts a
    failed run left with instances that are not ready) go first."""
    size = int(size)
    if size < 1:
        raise ValueError(f"batch size must be at least 1 (got {size})")
    hosts, first = list(hosts), set(first or [])
    ordered = [h for h in hosts if h in first] + [h for h in hosts if h not in first]
    return [ordered[i:i + size] for i in range(0, len(ordered), size)]


def releases_to_prune(releases: list[dict], keep: int, protect: list[str]) -> list[str]:
    """Release directory names to remove: `releases` are find results (path, mtime); the newest
    `keep` - 1 besides the protected ones (the current release and the one a rollback returns
    to) stay, and the protected ones are never removed."""
    keep = int(keep)
    names = [r["path"].rstrip("/").rsplit("/", 1)[-1] for r in sorted(releases, key=lambda r: r["mtime"], reverse=True)]
    others = [n for n in names if n not in {p for p in protect if p}]
    return others[max(keep - 1, 0):]


class FilterModule:
    def filters(self):
        return {
            "rolling_batch_size": rolling_batch_size,
            "rolling_batches": rolling_batches,
            "releases_to_prune": releases_to_prune,
        }
