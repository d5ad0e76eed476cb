"""The fleet status table and its verdict (playbooks/status.yml).

The input is what status.yml collected: {"vip": str, "app": {host: result of instance_status},
"lb": {host: result of lb_status}}; a result may instead be Ansible's record of a host that was
unreachable ({"unreachable": true, "msg": ...}) or whose collection failed ({"failed": true, ...}).
"""

from __future__ import annotations

HEALTHY_READY = 200


def _first_line(text: object) -> str:
    lines = str(text or "").strip().splitlines()
    return lines[0][:160] if lines else ""


def _unavailable(result: dict) -> str | None:
    """'unreachable'/'failed' with Ansible's message, or None when the result is a status."""
    if not isinstance(result, dict) or not result:
        return "not collected: the host ran no status task"
    if result.get("unreachable"):
        return f"unreachable: {_first_line(result.get('msg'))}"
    if result.get("failed"):
        return f"status not read: {_first_line(result.get('msg'))}"
    return None


def duration(seconds: float | None) -> str:
    """Compact uptime: 42s, 5m02s, 2h03m, 3d04h."""
    if seconds is None:
        return "-"
    s = int(seconds)
    if s < 60:
        return f"{s}s"
    if s < 3600:
        return f"{s // 60}m{s % 60:02d}s"
    if s < 86400:
        return f"{s // 3600}h{s % 3600 // 60:02d}m"
    return f"{s // 86400}d{s % 86400 // 3600:02d}h"


def mebibytes(value: int | None) -> str:
    return "-" if value is None else f"{value / 2 ** 20:.1f}MiB"


def _state(service: dict | None) -> str:
    if not service or service.get("load_state") == "not-found":
        return "not installed"
    return f"{service.get('active_state', '?')}/{service.get('sub_state', '?')}"


def _running(service: dict | None) -> bool:
    return (bool(service) and service.get("load_state") != "not-found"
            and service.get("active_state") == "active" and service.get("sub_state") == "running")


def _instance_problems(host: str, inst: dict) -> list[str]:
    where = f"{host} {inst.get('unit')}"
    if inst.get("active_state") != "active" or inst.get("sub_state") != "running":
        return [f"{where}: {inst.get('active_state')}/{inst.get('sub_state')}, not running"]
    problems = []
    if inst.get("ready") != HEALTHY_READY:
        problems.append(f"{where}: /ready answered {inst.get('ready')}")
    if inst.get("release") and inst.get("configured_release") and inst["release"] != inst["configured_release"]:
        problems.append(f"{where}: runs release {inst['release']}, its host is switched to "
                        f"{inst['configured_release']} (not restarted since)")
    if inst.get("enabled") not in ("enabled", "enabled-runtime"):
        problems.append(f"{where}: runs but is {inst.get('enabled') or 'not enabled'} (would not start at boot)")
    return problems


def _vip_holders(report: dict) -> list[str]:
    return sorted(host for host, result in (report.get("lb") or {}).items()
                  if not _unavailable(result) and result.get("vip_held"))


def fleet_status_problems(report: dict) -> list[str]:
    """Everything unhealthy in the fleet, one line each naming the host (and instance)."""
    problems = []
    for host, result in sorted((report.get("app") or {}).items()):
        if (reason := _unavailable(result)) is not None:
            problems.append(f"{host}: {reason}")
            continue
        if not result.get("instances"):
            problems.append(f"{host}: no ai-navigator instance is enabled or loaded")
        for inst in result.get("instances", []):
            problems.extend(_instance_problems(host, inst))
    vip = report.get("vip") or ""
    lbs = report.get("lb") or {}
    for host, result in sorted(lbs.items()):
        if (reason := _unavailable(result)) is not None:
            problems.append(f"{host}: {reason}")
            continue
        services = result.get("services") or {}
        if not _running(services.get("nginx.service")):
            problems.append(f"{host} nginx: {_state(services.get('nginx.service'))}, not running")
        if vip and not _running(services.get("keepalived.service")):
            problems.append(f"{host} keepalived: {_state(services.get('keepalived.service'))}, not running")
        if not [s for s in result.get("upstream", []) if s.get("configured", True)]:
            problems.append(f"{host} nginx: no upstream servers in its configuration")
    if vip and lbs and not any(_unavailable(r) for r in lbs.values()):
        holders = _vip_holders(report)
        if len(holders) != 1:
            problems.append(f"VIP {vip}: held by {', '.join(holders)} (two LBs answer for it)" if holders
                            else f"VIP {vip}: no load balancer holds it")
    return problems


def _table(headers: list[str], rows: list[list[str]]) -> list[str]:
    """Left-aligned columns, two spaces apart; the last column is not padded."""
    widths = [max(len(str(r[i])) for r in [headers, *rows]) for i in range(len(headers))]
    return ["  ".join(str(cell).ljust(w) for cell, w in zip(row, widths, strict=False)).rstrip()
            for row in [headers, *rows]]


def _app_rows(report: dict) -> list[list[str]]:
    rows = []
    for host, result in sorted((report.get("app") or {}).items()):
        if (reason := _unavailable(result)) is not None:
            rows.append([host, "-", reason.split(":", maxsplit=1)[0].upper(), "-", "-", "-", "-", "-"])
            continue
        if not result.get("instances"):
            rows.append([host, "-", "no instances", "-", "-", "-", "-", "-"])
        for inst in result.get("instances", []):
            rows.append([host, str(inst.get("port")), f"{inst.get('active_state')}/{inst.get('sub_state')}",
                         inst.get("release") or inst.get("configured_release") or "-",
                         "-" if inst.get("ready") is None else str(inst["ready"]).split(":", maxsplit=1)[0],
                         "-" if inst.get("restarts") is None else str(inst["restarts"]),
                         mebibytes(inst.get("memory_bytes")), duration(inst.get("uptime_seconds"))])
    return rows


def _lb_rows(report: dict, now: float | None) -> tuple[list[list[str]], list[list[str]]]:
    vip = report.get("vip") or ""
    lbs, upstream = [], []
    for host, result in sorted((report.get("lb") or {}).items()):
        if (reason := _unavailable(result)) is not None:
            lbs.append([host, reason.split(":", maxsplit=1)[0].upper(), "-", "-"])
            continue
        services = result.get("services") or {}
        held = "-" if not vip else ("holds " + vip) if result.get("vip_held") else "backup"
        lbs.append([host, _state(services.get("nginx.service")),
                    _state(services.get("keepalived.service")) if vip else "- (no VIP)", held])
        since = result.get("since")
        window = "-" if since is None else (f"{duration(now - since)} ago" if now else "reload")
        if since is not None and not result.get("log_complete", True):
            window += " (log window cut short)"
        for server in result.get("upstream", []):
            state = "drained" if server.get("drained") else "up" if server.get("configured", True) else "not configured"
            upstream.append([host, server.get("server", "?"), state, str(server.get("tries", 0)),
                             str(server.get("failed", 0)), window])
    return lbs, upstream


def fleet_status_table(report: dict, now: float | None = None) -> list[str]:
    """The fleet as table lines: app instances, load balancers, upstream servers as each LB's nginx
    tried them since its last reload, then the verdict and every problem. `now` (epoch seconds,
    the controller's clock) turns the reload time into an age."""
    lines = _table(["APP HOST", "PORT", "UNIT", "RELEASE", "READY", "RESTARTS", "MEMORY", "UPTIME"], _app_rows(report))
    lbs, upstream = _lb_rows(report, now)
    if lbs:
        lines += ["", *_table(["LB HOST", "NGINX", "KEEPALIVED", "VIP"], lbs)]
    if upstream:
        lines += ["", *_table(["LB HOST", "UPSTREAM SERVER", "STATE", "TRIES", "FAILED", "SINCE RELOAD"], upstream)]
    problems = fleet_status_problems(report)
    lines.append("")
    lines += [f"UNHEALTHY: {len(problems)} problem(s)", *(f"  - {p}" for p in problems)] if problems else ["HEALTHY"]
    return lines


class FilterModule:
    def filters(self):
        return {"fleet_status_table": fleet_status_table, "fleet_status_problems": fleet_status_problems}
