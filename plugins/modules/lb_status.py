#!/usr/bin/python
"""Read-only state of a load balancer, in one round trip (status.yml)."""

from __future__ import annotations

DOCUMENTATION = r"""
module: lb_status
short_description: State of an AI Navigation Assistant load balancer
description:
  - Reports the state of nginx and keepalived, whether the host holds the VIP, and the upstream
    servers of nginx's configuration with the tries nginx made to each since its workers last
    started (the last reload or start), and how many of those failed, read from the access log.
  - Changes nothing; supports check mode. Used by C(playbooks/status.yml).
version_added: 1.0.0
author: ai_navigator.fleet developers (@ai-navigator)
options:
  vip:
    description: The keepalived VIP; empty when the fleet has none.
    type: str
    default: ""
  services:
    description: The units to report.
    type: list
    elements: str
    default: [nginx.service, keepalived.service]
  nginx_conf:
    description: nginx's configuration, whose C(upstream ai_navigator) block lists the servers.
    type: path
    default: /etc/nginx/nginx.conf
  access_log:
    description: nginx's access log in the nginx role's C(ai_navigator) format.
    type: path
    default: /var/log/nginx/access.log
  max_log_bytes:
    description: At most this many bytes from the end of the access log are read (bounds the time on a busy LB;
      C(log_complete) says whether the window reached back to the reload).
    type: int
    default: 67108864
extends_documentation_fragment:
  - ai_navigator.fleet.read_only
"""

EXAMPLES = r"""
- name: Read the load balancer
  ai_navigator.fleet.lb_status:
    vip: 10.0.0.100
  register: __lb
"""

RETURN = r"""
services:
  description: Per unit name, C(active_state), C(sub_state), C(load_state) and C(restarts).
  returned: always
  type: dict
vip_held:
  description: Whether an interface of this host carries the VIP; null when no VIP was given.
  returned: always
  type: bool
since:
  description: Epoch seconds when the newest nginx workers started (the last reload); null when no worker runs.
  returned: always
  type: float
log_complete:
  description: Whether the access log was read back to C(since) (false when C(max_log_bytes) stopped it).
  returned: always
  type: bool
upstream:
  description: The upstream servers of the configuration, in its order.
  returned: always
  type: list
  elements: dict
  contains:
    server:
      description: "address:port."
      type: str
    drained:
      description: "Marked C(down) in the configuration (a rolling update drains it)."
      type: bool
    configured:
      description: "In the configuration (false for a server only the log names, e.g. before a reload)."
      type: bool
    tries:
      description: "Requests nginx passed to it since C(since)."
      type: int
    failed:
      description: "Those of the tries that failed (error, timeout, 502/503/504)."
      type: int
"""

import os
import re

from ansible.module_utils.basic import AnsibleModule

UPSTREAM_BLOCK = re.compile(r"upstream\s+ai_navigator\s*\{(.*?)\}", re.DOTALL)
SERVER = re.compile(r"^\s*server\s+(\S+?)(\s[^;]*)?;", re.MULTILINE)
# The nginx role's log_format ai_navigator: '$remote_addr [$time_iso8601] $msec "$request" $status
# $request_time upstream=$upstream_addr upstream_status=$upstream_status upstream_time=...'
LOG_LINE = re.compile(r'^\S+ \[[^\]]*\] (?P<msec>\d+(?:\.\d+)?) ".*" \d{3} \S+ '
                      r"upstream=(?P<addrs>.*?) upstream_status=(?P<statuses>.*?) upstream_time=")
FAILED = {"502", "503", "504"}


def upstream_servers(conf: str) -> list[dict]:
    """The servers of `upstream ai_navigator { ... }`, with whether each is marked down.

    The role lists every server again as a backup (the same server): those lines are skipped."""
    block = UPSTREAM_BLOCK.search(conf)
    if not block:
        return []
    return [{"server": m.group(1), "drained": " down" in f" {m.group(2) or ''}"}
            for m in SERVER.finditer(block.group(1)) if " backup" not in f" {m.group(2) or ''}"]


def tries(line: str) -> tuple[float, list[tuple[str, str]]] | None:
    """(time, [(server, status), ...]) of one access-log line; None for other lines or no upstream.

    nginx separates the servers one request tried with ', ' (and internal redirects with ' : ');
    a try that could not connect is recorded with status 502."""
    match = LOG_LINE.match(line)
    if not match or match.group("addrs") == "-":
        return None
    addrs = re.split(r", | : ", match.group("addrs"))
    statuses = re.split(r", | : ", match.group("statuses"))
    # No zip(strict=) (Python 3.10+): this module runs on the managed host's Python.
    return float(match.group("msec")), list(zip(addrs, statuses))  # noqa: B905


def count_tries(lines: list[str], since: float | None, servers: list[dict]) -> tuple[list[dict], bool]:
    """Tries and failed tries per configured server in the log lines at or after `since`.

    `lines` are newest first; returns the servers with counts and whether a line older than
    `since` was reached (the window is complete)."""
    counts = {s["server"]: {**s, "configured": True, "tries": 0, "failed": 0} for s in servers}
    complete = since is None
    for line in lines:
        parsed = tries(line)
        if parsed is None:
            continue
        when, attempts = parsed
        if since is not None and when < since:
            complete = True
            break
        for server, status in attempts:
            entry = counts.setdefault(server, {"server": server, "drained": False, "tries": 0, "failed": 0,
                                               "configured": False})
            entry["tries"] += 1
            entry["failed"] += status in FAILED or status == "-"
    return list(counts.values()), complete


def lines_backwards(path: str, max_bytes: int, block: int = 1 << 16, state: dict | None = None):
    """The lines of a file, last first, reading at most max_bytes from its end; `state["start"]`
    says whether the start of the file was reached."""
    state = {} if state is None else state
    try:
        handle = open(path, "rb")  # noqa: SIM115 (a generator holds it)
    except OSError:
        return
    with handle:
        handle.seek(0, os.SEEK_END)
        position, rest, read = handle.tell(), b"", 0
        while position > 0 and read < max_bytes:
            size = min(block, position, max_bytes - read)
            position -= size
            read += size
            handle.seek(position)
            chunk = handle.read(size) + rest
            parts = chunk.split(b"\n")
            rest = parts.pop(0)
            for part in reversed(parts):
                if part:
                    yield part.decode("utf-8", "replace")
        if position == 0:
            state["start"] = True
            if rest:
                yield rest.decode("utf-8", "replace")


def newest_worker_start(proc: str = "/proc") -> float | None:
    """Epoch seconds when the newest running nginx worker started: the last reload or start
    (a reload replaces every worker; old ones that still drain say 'is shutting down')."""
    with open(os.path.join(proc, "stat"), encoding="ascii") as handle:
        boot = next(float(line.split()[1]) for line in handle if line.startswith("btime "))
    ticks = os.sysconf("SC_CLK_TCK")
    newest = None
    for pid in filter(str.isdigit, os.listdir(proc)):
        try:
            with open(os.path.join(proc, pid, "cmdline"), "rb") as handle:
                cmdline = handle.read().replace(b"\0", b" ").strip()
            if cmdline != b"nginx: worker process":
                continue
            with open(os.path.join(proc, pid, "stat"), encoding="ascii") as handle:
                fields = handle.read().rsplit(")", 1)[1].split()
            started = boot + int(fields[19]) / ticks  # field 22 of stat: starttime, in clock ticks after boot
        except (OSError, IndexError, ValueError):
            continue
        newest = started if newest is None else max(newest, started)
    return newest


def parse_show(text: str) -> dict[str, dict]:
    services, current = {}, {}
    for line in (*text.splitlines(), ""):
        if line.strip():
            key, _sep, value = line.partition("=")
            current[key] = value
        elif current:
            services[current.get("Id", "")] = {
                "load_state": current.get("LoadState", ""), "active_state": current.get("ActiveState", ""),
                "sub_state": current.get("SubState", ""),
                "restarts": int(current["NRestarts"]) if current.get("NRestarts", "").isdigit() else None}
            current = {}
    return services


def holds(addresses: str, vip: str) -> bool:
    """Whether `ip -o addr show` output lists the VIP on an interface."""
    return re.search(rf"\sinet6?\s{re.escape(vip)}/", addresses) is not None


def main() -> None:
    module = AnsibleModule(argument_spec={
        "vip": {"type": "str", "default": ""},
        "services": {"type": "list", "elements": "str", "default": ["nginx.service", "keepalived.service"]},
        "nginx_conf": {"type": "path", "default": "/etc/nginx/nginx.conf"},
        "access_log": {"type": "path", "default": "/var/log/nginx/access.log"},
        "max_log_bytes": {"type": "int", "default": 64 * 1024 * 1024},
    }, supports_check_mode=True)
    p = module.params
    rc, out, err = module.run_command([module.get_bin_path("systemctl", required=True), "show",
                                       "-p", "Id,LoadState,ActiveState,SubState,NRestarts", *p["services"]])
    if rc != 0:
        module.fail_json(msg=f"systemctl show failed ({rc}): {err.strip()}")
    services = parse_show(out)
    vip_held = None
    if p["vip"]:
        rc, out, err = module.run_command([module.get_bin_path("ip", required=True), "-o", "addr", "show"])
        if rc != 0:
            module.fail_json(msg=f"ip addr show failed ({rc}): {err.strip()}")
        vip_held = holds(out, p["vip"])
    try:
        with open(p["nginx_conf"], encoding="utf-8") as handle:
            servers = upstream_servers(handle.read())
    except OSError:
        servers = []
    since = newest_worker_start()
    # No worker: nginx is down, and its log tells nothing about now.
    read = {}
    lines = lines_backwards(p["access_log"], p["max_log_bytes"], state=read) if since is not None else []
    upstream, complete = count_tries(lines, since, servers)
    complete = complete or read.get("start", False)  # the whole log is newer than the reload
    module.exit_json(changed=False, services=services, vip_held=vip_held, since=since, log_complete=complete,
                     upstream=upstream)


if __name__ == "__main__":
    main()
