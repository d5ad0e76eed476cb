"""Prometheus file_sd targets from what instance_status read on each app host (role monitoring)."""

from __future__ import annotations

LOOPBACK = {"127.0.0.1", "::1"}


def _target(address: str, port: int) -> str:
    return f"[{address}]:{port}" if ":" in address else f"{address}:{port}"


def prometheus_file_sd(results: list[dict], host_addresses: dict | None = None,
                       labels: dict | None = None) -> list[dict]:
    """One file_sd entry per instance: target address:port and the labels host, port, release and
    service (over the operator's `labels`), sorted by host and port.

    `results` are the loop results of instance_status delegated to each app host (`item` is the
    host). An instance is reached where it listens, or, when it listens on a wildcard or loopback
    (which instance_status reports as loopback), at the host's address from `host_addresses`
    (its ansible_host), else its inventory name."""
    host_addresses = host_addresses or {}
    entries = []
    for result in results:
        host = result["item"]
        for inst in result.get("instances", []):
            address = inst.get("address")
            if not address or address in LOOPBACK:
                address = host_addresses.get(host) or host
            entry_labels = {**{str(k): str(v) for k, v in (labels or {}).items()},
                            "host": host, "port": str(inst["port"]), "release": inst.get("configured_release") or "",
                            "service": "ai-navigator"}
            entries.append({"targets": [_target(address, inst["port"])], "labels": entry_labels})
    return sorted(entries, key=lambda e: (e["labels"]["host"], int(e["labels"]["port"])))


class FilterModule:
    def filters(self):
        return {"prometheus_file_sd": prometheus_file_sd}
