"""Preflight checks of every value the roles template into nginx, keepalived and systemd files.

Each ``<role>_preflight_errors`` filter takes the role's variables (and what the host reported)
as one mapping and returns the checks that failed, one message each, naming the variable and
the value; an empty list means the host may go ahead. The role's preflight asserts the list is
empty and prints only those messages, prefixed with the host.

The service's own settings (names, types, ranges) are read from its source,
``app/src/ai_navigator/settings.py``, so the environment check follows the service instead of
a copy of its limits.
"""

from __future__ import annotations

import ast
import ipaddress
import math
import re
from pathlib import Path
from typing import Any

# Upper bound on instances per app host. Each instance is one Python process (about 60 MB
# resident, MemoryMax 512M by default) that the role restarts one at a time on every change,
# each waiting for /ready: 64 already means minutes per host for a restart, and a larger number
# is far more likely a typo (a port, an extra digit) than a plan. More capacity: more hosts.
MAX_INSTANCES = 64
# Ports below this need CAP_NET_BIND_SERVICE, which the unprivileged, sandboxed service lacks.
FIRST_UNPRIVILEGED_PORT = 1024
# Settings the role sets itself (environment file, or the unit's --host/--port flags, which
# override the environment): an entry in ai_navigator_app_environment would fight them.
ROLE_SET_SETTINGS = {
    "host": "ai_navigator_app_listen_address",
    "port": "ai_navigator_app_base_port",
    "release": "ai_navigator_app_release",
    "drain_seconds": "ai_navigator_app_drain_seconds",
    "grace_seconds": "ai_navigator_app_grace_seconds",
}

# A user or group name useradd accepts without --badname (Debian's default NAME_REGEX).
ACCOUNT_NAME = re.compile(r"[a-z_][a-z0-9_-]{0,31}")
# One DNS label; names are labels joined by dots (RFC 1123), the last one not all digits.
LABEL = re.compile(r"(?!-)[A-Za-z0-9-]{1,63}(?<!-)")
# An inventory host name as it appears in nginx headers and keepalived's router_id.
INVENTORY_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,252}")
RELEASE_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._+-]{0,63}")
APT_PACKAGE = re.compile(r"[a-z0-9][a-z0-9+.-]+")
ABSOLUTE_PATH = re.compile(r"/[A-Za-z0-9._/+-]*")
# systemd's syntax: sizes take K, M, G, T, P, E (powers of 1024, upper case only); a
# percentage of physical memory; or infinity. Anything else is ignored with a log line and the
# unit runs without the limit.
SYSTEMD_SIZE = re.compile(r"(?P<number>[0-9]+(\.[0-9]+)?)(?P<unit>[KMGTPE]?)|(?P<percent>[0-9]+(\.[0-9]+)?)%|infinity")
SYSTEMD_PERCENT = re.compile(r"(?P<percent>[0-9]+(\.[0-9]+)?)%")
# nginx's time and size syntax, as used by the nginx role's variables.
NGINX_TIME = re.compile(r"([0-9]+(ms|s|m|h|d|w|M|y)?)+")
NGINX_SIZE = re.compile(r"[0-9]+[kKmMgG]?")
# One nginx directive: a name, arguments without block, comment or statement separators, and ';'.
NGINX_DIRECTIVE = re.compile(r"[a-z_][a-z0-9_]*(\s+[^;{}#'\"\\\s]+)*\s*;")
LINUX_INTERFACE = re.compile(r"[A-Za-z0-9_.:-]{1,15}")
SYSTEMD_UNIT = re.compile(r"[A-Za-z0-9:_.\\-]+(@[A-Za-z0-9:_.\\-]*)?\.(service|socket|target|mount|path|timer)")
# keepalived reads '#' and '!' as comments and splits on blanks; braces and quotes are syntax.
KEEPALIVED_PASSWORD = re.compile(r"[A-Za-z0-9._~@%+=:,/^*()\[\]-]{1,8}")
# A value of a str setting in the environment file: printable, nothing systemd would unquote or
# unescape (quotes, backslashes), no line breaks.
ENV_STRING = re.compile(r"[^\x00-\x1f\x7f\"'\\]*")
NOLOGIN_SHELLS = {"/usr/sbin/nologin", "/sbin/nologin", "/bin/false", "/usr/bin/false"}


def show(value: Any) -> str:
    """A value as a message shows it: quoted, with line breaks and control characters visible."""
    return repr(value) if isinstance(value, str) else repr(str(value)) if value is not None else "nothing"


def as_int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and re.fullmatch(r"-?[0-9]+", value.strip()):
        return int(value)
    return None


def as_float(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def int_in(errors: list, name: str, value: Any, low: int | None = None, high: int | None = None) -> int | None:
    number = as_int(value)
    if number is None or (low is not None and number < low) or (high is not None and number > high):
        bounds = f"{low if low is not None else ''}-{high if high is not None else ''}"
        errors.append(f"{name} must be an integer within {bounds} (got {show(value)})")
        return None
    return number


def float_in(errors: list, name: str, value: Any, low: float, high: float) -> None:
    number = as_float(value)
    if number is None or not low <= number <= high:
        errors.append(f"{name} must be a number within {low:g}-{high:g} (got {show(value)})")


def ip_literal(value: Any) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    if not isinstance(value, str):
        return None
    try:
        return ipaddress.ip_address(value)
    except ValueError:
        return None


def is_hostname(value: Any) -> bool:
    """A DNS name by RFC 1123 whose last label is not all digits (so 10.0.0.256 is no name)."""
    if not isinstance(value, str) or not 0 < len(value.rstrip(".")) <= 253:
        return False
    labels = value.rstrip(".").split(".")
    return all(LABEL.fullmatch(label) for label in labels) and not labels[-1].isdigit()


def url_host(address: str) -> str:
    """An address as it goes before ':port' in a URL or an nginx server: IPv6 in brackets."""
    literal = ip_literal(address)
    return f"[{literal.compressed}]" if isinstance(literal, ipaddress.IPv6Address) else address


def endpoints(ports: list, address: str) -> list[str]:
    """'address:port' of every port, '[address]:port' for IPv6, as nginx upstream servers take them."""
    return [f"{url_host(address)}:{int(port)}" for port in ports]


def port_of(endpoint: str) -> int:
    return int(endpoint.rsplit(":", 1)[1])


# --- the service's settings, read from its source -----------------------------------------------

def service_settings(settings_file: str) -> dict[str, dict]:
    """Fields of the service's Settings class: {name: {'type': 'int'|'float'|'str'|'choice',
    'choices': [...], 'ge'/'gt'/'le'/'lt': bound}}, read from settings.py without importing it
    (the controller need not have the service's dependencies)."""
    tree = ast.parse(Path(settings_file).read_text(), settings_file)
    aliases = {}
    for node in tree.body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            choices = literal_choices(node.value)
            if choices is not None:
                aliases[node.targets[0].id] = choices
    settings = next(
        (n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == "Settings"), None)
    if settings is None:
        raise ValueError(f"{settings_file} has no class Settings")
    fields = {}
    for node in settings.body:
        if not (isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name)):
            continue
        field: dict[str, Any] = {"type": "str"}
        annotation = node.annotation
        choices = literal_choices(annotation)
        if isinstance(annotation, ast.Name) and annotation.id in aliases:
            choices = aliases[annotation.id]
        if choices is not None:
            field = {"type": "choice", "choices": choices}
        elif isinstance(annotation, ast.Name) and annotation.id in ("int", "float", "bool"):
            field["type"] = annotation.id
        if isinstance(node.value, ast.Call):
            for keyword in node.value.keywords:
                if keyword.arg in ("ge", "gt", "le", "lt", "max_length", "min_length"):
                    field[keyword.arg] = ast.literal_eval(keyword.value)
        fields[node.target.id] = field
    return fields


def literal_choices(node: ast.AST) -> list | None:
    if isinstance(node, ast.Subscript) and isinstance(node.value, ast.Name) and node.value.id == "Literal":
        values = node.slice.elts if isinstance(node.slice, ast.Tuple) else [node.slice]
        return [ast.literal_eval(v) for v in values]
    return None


def setting_errors(name: str, value: Any, field: dict) -> list[str]:
    """What is wrong with one setting's value, by the field's type and bounds."""
    kind = field["type"]
    text = value if isinstance(value, str) else str(value)
    if any(c in text for c in "\r\n\x00"):
        return [f"{name} must not contain line breaks (got {show(value)})"]
    if kind == "choice":
        if value not in field["choices"]:
            return [f"{name} must be one of {', '.join(map(str, field['choices']))} (got {show(value)})"]
        return []
    if kind in ("int", "float"):
        number = as_int(value) if kind == "int" else as_float(value)
        bounds = [(k, field[k]) for k in ("ge", "gt", "le", "lt") if k in field]
        ok = number is not None and all(
            {"ge": number >= b, "gt": number > b, "le": number <= b, "lt": number < b}[k] for k, b in bounds)
        if not ok:
            words = {"ge": ">=", "gt": ">", "le": "<=", "lt": "<"}
            limits = " and ".join(f"{words[k]} {b}" for k, b in bounds)
            return [f"{name} must be {'an integer' if kind == 'int' else 'a number'}"
                    f"{' ' + limits if limits else ''} (got {show(value)})"]
        return []
    if kind == "bool":
        if text.lower() not in ("true", "false", "1", "0", "yes", "no", "on", "off"):
            return [f"{name} must be true or false (got {show(value)})"]
        return []
    if not ENV_STRING.fullmatch(text) or text != text.strip():
        return [f"{name} must be printable text without quotes, backslashes or surrounding blanks (got {show(value)})"]
    if not field.get("min_length", 0) <= len(text) <= field.get("max_length", len(text)):
        return [f"{name} must be {field.get('min_length', 0)}-{field.get('max_length')} characters long (got {show(value)})"]
    return []


# --- per role --------------------------------------------------------------------------------------

SUPPORTED_DEBIAN = ("12", "13")  # bookworm, trixie


def python_preflight_errors(v: dict) -> list[str]:
    errors = []
    packages = v.get("ai_navigator_python_packages")
    if not isinstance(packages, list) or not packages or not all(
            isinstance(p, str) and APT_PACKAGE.fullmatch(p) for p in packages):
        errors.append(f"ai_navigator_python_packages must be a non-empty list of Debian package names (got {show(packages)})")
    version = v.get("ai_navigator_python_min_version")
    if not isinstance(version, str) or not re.fullmatch(r"3\.[0-9]+", version):
        errors.append(f"ai_navigator_python_min_version must look like 3.X (got {show(version)})")
    int_in(errors, "ai_navigator_python_apt_cache_valid_time", v.get("ai_navigator_python_apt_cache_valid_time"), 0)
    # What the lab tests (molecule/mixed); anything else is refused until it can be tested.
    release = f"{v.get('distribution') or 'this platform'} {v.get('distribution_version') or ''}".rstrip()
    if v.get("distribution") != "Debian" or str(v.get("distribution_major_version")) not in SUPPORTED_DEBIAN:
        errors.append(f"{release} ({v.get('os_family') or 'unknown'} family) is not supported: the roles support "
                      f"Debian {' and '.join(SUPPORTED_DEBIAN)}, the releases they are tested on")
    return errors


def app_preflight_errors(v: dict, settings_file: str) -> list[str]:
    """The app role's variables, plus: ssh_port, connecting_users (names Ansible connects or becomes
    as), account (the service user's passwd entry [password, uid, gid, gecos, home, shell], or None
    when absent)."""
    errors: list[str] = []
    for name in v.get("required", []):
        if v.get(name) in (None, ""):
            errors.append(f"{name} is required but is empty")

    instances = int_in(errors, "ai_navigator_app_instances", v.get("ai_navigator_app_instances"), 1, MAX_INSTANCES)
    base = as_int(v.get("ai_navigator_app_base_port"))
    if base is None:
        errors.append(f"ai_navigator_app_base_port must be an integer (got {show(v.get('ai_navigator_app_base_port'))})")
    elif instances is not None:
        last = base + instances - 1
        if base < FIRST_UNPRIVILEGED_PORT or last > 65535:
            errors.append(
                f"ai_navigator_app_base_port {base} with {instances} instances takes ports {base}..{last}: the "
                f"unprivileged service can bind only ports {FIRST_UNPRIVILEGED_PORT}-65535")
        ssh_port = as_int(v.get("ssh_port")) or 22
        if base <= ssh_port <= last:
            errors.append(f"ai_navigator_app_base_port {base} with {instances} instances takes port {ssh_port}, which SSH uses")

    for name in ("ai_navigator_app_listen_address",):
        if v.get(name) not in (None, "") and ip_literal(v.get(name)) is None:
            errors.append(f"{name} must be an IPv4 or IPv6 address literal, e.g. 0.0.0.0 or :: (got {show(v.get(name))})")
    upstream = v.get("ai_navigator_app_upstream_address")
    if upstream not in (None, "") and ip_literal(upstream) is None and not is_hostname(upstream):
        errors.append("ai_navigator_app_upstream_address must be an IPv4 or IPv6 address or a DNS host name "
                      f"(got {show(upstream)})")

    release = v.get("ai_navigator_app_release")
    if release not in (None, "") and not (isinstance(release, str) and RELEASE_ID.fullmatch(release)):
        errors.append(f"ai_navigator_app_release must be empty or 1-64 letters, digits and ._+- (got {show(release)})")
    root = v.get("ai_navigator_app_root")
    if root not in (None, "") and not (isinstance(root, str) and ABSOLUTE_PATH.fullmatch(root)
                                       and ".." not in root.split("/") and root.rstrip("/")):
        errors.append(f"ai_navigator_app_root must be an absolute path of letters, digits and ._+-/ (got {show(root)})")
    int_in(errors, "ai_navigator_app_keep_releases", v.get("ai_navigator_app_keep_releases"), 1)
    int_in(errors, "ai_navigator_app_ready_timeout", v.get("ai_navigator_app_ready_timeout"), 1)

    errors += account_errors(v)
    errors += unit_errors(v)
    errors += environment_errors(v, settings_file)
    return errors


def account_errors(v: dict) -> list[str]:
    errors = []
    user, group = v.get("ai_navigator_app_user"), v.get("ai_navigator_app_group")
    for name, value in (("ai_navigator_app_user", user), ("ai_navigator_app_group", group)):
        if value not in (None, "") and not (isinstance(value, str) and ACCOUNT_NAME.fullmatch(value)):
            errors.append(f"{name} must be a user/group name: lower-case letters, digits, _ and -, "
                          f"starting with a letter or _, at most 32 (got {show(value)})")
    if user in ("root",) or group in ("root",):
        errors.append("ai_navigator_app_user and ai_navigator_app_group must not be root")
    elif user in (v.get("connecting_users") or []):
        errors.append(f"ai_navigator_app_user {show(user)} is the account Ansible connects as; the service "
                      "needs its own (the role would give it a nologin shell)")
    account = v.get("account")
    if account and user != "root":
        uid, shell = as_int(account[1]), account[5] if len(account) > 5 else ""
        if uid is None or uid == 0 or uid >= 1000 or shell not in NOLOGIN_SHELLS:
            errors.append(
                f"ai_navigator_app_user {show(user)} already exists on this host (uid {account[1]}, shell {shell}) "
                "and is not a dedicated system account (uid 1-999 with a nologin shell): the role would "
                "take it over; pick a name that is absent or such an account")
    return errors


def unit_errors(v: dict) -> list[str]:
    """Values of the instance unit, in the syntax systemd accepts (it ignores the rest)."""
    errors = []
    memory = v.get("ai_navigator_app_memory_max")
    match = SYSTEMD_SIZE.fullmatch(str(memory)) if memory is not None else None
    if not match or (match["percent"] and not 0 < float(match["percent"]) <= 100) or (
            match["number"] and float(match["number"]) == 0):
        errors.append("ai_navigator_app_memory_max must be in systemd's MemoryMax syntax: bytes with an optional "
                      f"K, M, G, T suffix (upper case), a percentage 1-100%, or infinity (got {show(memory)})")
    quota = v.get("ai_navigator_app_cpu_quota")
    match = SYSTEMD_PERCENT.fullmatch(str(quota)) if quota is not None else None
    if not match or float(match["percent"]) <= 0:
        errors.append(f"ai_navigator_app_cpu_quota must be in systemd's CPUQuota syntax: a percentage above 0%, "
                      f"e.g. 100% for one CPU, 200% for two (got {show(quota)})")
    # TasksMax=0 makes every fork fail; the argument spec already keeps it an integer.
    tasks = v.get("ai_navigator_app_tasks_max")
    if (as_int(tasks) or 0) < 1:
        errors.append(f"ai_navigator_app_tasks_max must be in systemd's TasksMax syntax, an integer of at least 1 "
                      f"(got {show(tasks)})")
    float_in(errors, "ai_navigator_app_restart_sec", v.get("ai_navigator_app_restart_sec"), 0, 3600)
    int_in(errors, "ai_navigator_app_start_limit_burst", v.get("ai_navigator_app_start_limit_burst"), 1)
    int_in(errors, "ai_navigator_app_start_limit_interval_sec", v.get("ai_navigator_app_start_limit_interval_sec"), 0)
    int_in(errors, "ai_navigator_app_watchdog_sec", v.get("ai_navigator_app_watchdog_sec"), 0, 3600)
    return errors


def environment_errors(v: dict, settings_file: str) -> list[str]:
    try:
        fields = service_settings(settings_file)
    except (OSError, SyntaxError, ValueError) as error:
        return [f"ai_navigator_app_source_dir: cannot read the service's settings ({error})"]
    errors = []
    # The role's own settings use the service's ranges too.
    for setting in ("drain_seconds", "grace_seconds"):
        if setting in fields:
            errors += setting_errors(ROLE_SET_SETTINGS[setting], v.get(ROLE_SET_SETTINGS[setting]), fields[setting])
    environment = v.get("ai_navigator_app_environment")
    if environment in (None, ""):
        return errors
    if not isinstance(environment, dict):
        return errors + [f"ai_navigator_app_environment must be a mapping of setting to value (got {show(environment)})"]
    settable = sorted(set(fields) - set(ROLE_SET_SETTINGS))
    for key, value in environment.items():
        setting = str(key).lower()
        name = f"ai_navigator_app_environment.{key}"
        if setting.startswith("ai_navigator_"):
            errors.append(f"{name}: give the setting's name without the AI_NAVIGATOR_ prefix")
        elif setting in ROLE_SET_SETTINGS:
            errors.append(f"{name}: the role sets {setting.upper()} itself; use {ROLE_SET_SETTINGS[setting]}")
        elif setting not in fields:
            errors.append(f"{name} is not a setting of the service (settings: {', '.join(settable)})")
        elif value is None or isinstance(value, (dict, list)):
            errors.append(f"{name} must be a single value (got {show(value)})")
        else:
            errors += setting_errors(name, value, fields[setting])
    return errors


def nginx_preflight_errors(v: dict) -> list[str]:
    """The nginx role's variables, plus: inventory_hostname, ssh_port, own_endpoints (this host's
    app instances, if it is an app host too), upstream_hosts, unpublished (upstream hosts without
    endpoints), upstream_servers."""
    errors: list[str] = []
    for name in v.get("required", []):
        if v.get(name) in (None, ""):
            errors.append(f"{name} is required but is empty")
    host = v.get("inventory_hostname")
    if not INVENTORY_NAME.fullmatch(str(host)):
        errors.append(f"the inventory host name {show(host)} goes into the X-AI-Navigator-LB header: "
                      "use letters, digits and ._-")
    package = v.get("ai_navigator_nginx_package")
    if package and not APT_PACKAGE.fullmatch(str(package)):
        errors.append(f"ai_navigator_nginx_package must be a Debian package name (got {show(package)})")

    port = int_in(errors, "ai_navigator_nginx_listen_port", v.get("ai_navigator_nginx_listen_port"), 1, 65535)
    if port is not None:
        if port == (as_int(v.get("ssh_port")) or 22):
            errors.append(f"ai_navigator_nginx_listen_port {port} is the SSH port of this host")
        if port in [port_of(e) for e in v.get("own_endpoints") or []]:
            errors.append(f"ai_navigator_nginx_listen_port {port} is an app instance port on this host")

    names = str(v.get("ai_navigator_nginx_server_name"))
    if not names.strip() or not all(
            n == "_" or is_hostname(re.sub(r"^\*\.|^\.|\.\*$", "", n)) for n in names.split(" ")):
        errors.append("ai_navigator_nginx_server_name must be _ or host names (optionally *.name, .name or name.*) "
                      f"separated by single spaces (got {show(v.get('ai_navigator_nginx_server_name'))})")
    for name in ("ai_navigator_nginx_upstream_fail_timeout", "ai_navigator_nginx_proxy_next_upstream_timeout",
                 "ai_navigator_nginx_proxy_connect_timeout", "ai_navigator_nginx_proxy_read_timeout",
                 "ai_navigator_nginx_proxy_send_timeout"):
        if not NGINX_TIME.fullmatch(str(v.get(name))):
            errors.append(f"{name} must be an nginx time such as 500ms, 10s or 1m (got {show(v.get(name))})")
    if not NGINX_SIZE.fullmatch(str(v.get("ai_navigator_nginx_client_max_body_size"))):
        errors.append("ai_navigator_nginx_client_max_body_size must be an nginx size such as 64k or 1m "
                      f"(got {show(v.get('ai_navigator_nginx_client_max_body_size'))})")
    workers = v.get("ai_navigator_nginx_worker_processes")
    if str(workers) != "auto" and (as_int(workers) or 0) < 1:
        errors.append(f"ai_navigator_nginx_worker_processes must be auto or a positive integer (got {show(workers)})")
    int_in(errors, "ai_navigator_nginx_worker_connections", v.get("ai_navigator_nginx_worker_connections"), 1)
    int_in(errors, "ai_navigator_nginx_upstream_max_fails", v.get("ai_navigator_nginx_upstream_max_fails"), 0)
    int_in(errors, "ai_navigator_nginx_upstream_keepalive", v.get("ai_navigator_nginx_upstream_keepalive"), 1)
    int_in(errors, "ai_navigator_nginx_proxy_next_upstream_tries", v.get("ai_navigator_nginx_proxy_next_upstream_tries"), 0)
    for directive in v.get("ai_navigator_nginx_extra_directives") or []:
        if not isinstance(directive, str) or not NGINX_DIRECTIVE.fullmatch(directive.strip()):
            errors.append("ai_navigator_nginx_extra_directives items must each be one directive ending in ';', without "
                          f"blocks, comments, quotes or line breaks (got {show(directive)})")

    group = v.get("ai_navigator_nginx_upstream_group")
    servers = v.get("upstream_servers") or []
    if not v.get("upstream_hosts"):
        errors.append(f"ai_navigator_nginx_upstream_group {show(group)} has no hosts; the upstream would be empty")
    for unpublished in v.get("unpublished") or []:
        errors.append(f"ai_navigator_nginx_upstream_group {show(group)}: {unpublished} has no "
                      "ai_navigator_app_upstream_endpoints; run ai_navigator.fleet.app (tasks_from preflight) on it first")
    shared = sorted({s for s in servers if servers.count(s) > 1})
    if shared:
        errors.append(f"ai_navigator_app_upstream_address and ai_navigator_app_base_port of hosts in {show(group)} "
                      f"share an address:port: {', '.join(shared)}")
    stray = [s for s in v.get("ai_navigator_nginx_drained_servers") or [] if s not in servers]
    if stray:
        errors.append(f"ai_navigator_nginx_drained_servers names servers that are not in the upstream: {', '.join(map(str, stray))}")
    return errors


def keepalived_preflight_errors(v: dict) -> list[str]:
    """The keepalived role's variables, plus: inventory_hostname, group_hosts, priority (after the
    by-position default), interface (after the default-route default), address and prefix (the
    interface's IPv4). The password's value is never shown."""
    errors: list[str] = []
    host = v.get("inventory_hostname")
    if not INVENTORY_NAME.fullmatch(str(host)):
        errors.append(f"the inventory host name {show(host)} is keepalived's router_id: use letters, digits and ._-")
    vip = ip_literal(v.get("ai_navigator_keepalived_vip"))
    if isinstance(vip, ipaddress.IPv6Address):
        errors.append(f"ai_navigator_keepalived_vip must be an IPv4 address: the role runs VRRP over IPv4 "
                      f"(got {show(v.get('ai_navigator_keepalived_vip'))})")
        vip = None
    elif vip is None:
        errors.append("ai_navigator_keepalived_vip must be an IPv4 address such as 192.0.2.10 "
                      f"(got {show(v.get('ai_navigator_keepalived_vip'))}); leave it empty for no keepalived")
    password = v.get("ai_navigator_keepalived_password")
    if not isinstance(password, str) or not password:
        errors.append(f"ai_navigator_keepalived_password is missing; set it for the hosts of "
                      f"{show(v.get('ai_navigator_keepalived_group'))}, from Ansible Vault")
    elif not KEEPALIVED_PASSWORD.fullmatch(password):
        errors.append("ai_navigator_keepalived_password must be 1-8 characters (VRRP PASS authentication carries 8) "
                      "of letters, digits and ._~@%+=:,/^*()[]- (value not shown)")
    int_in(errors, "ai_navigator_keepalived_virtual_router_id", v.get("ai_navigator_keepalived_virtual_router_id"), 1, 255)
    if host not in (v.get("group_hosts") or []):
        errors.append(f"ai_navigator_keepalived_group {show(v.get('ai_navigator_keepalived_group'))} does not hold this host; "
                      "its hosts share the VIP")
    priority = as_int(v.get("priority"))
    if priority is None or not 1 <= priority <= 254:
        errors.append(f"ai_navigator_keepalived_priority must be 1-254, or 0 for by position (gives {show(v.get('priority'))})")
    int_in(errors, "ai_navigator_keepalived_advert_int", v.get("ai_navigator_keepalived_advert_int"), 1, 255)
    for name in ("ai_navigator_keepalived_check_interval", "ai_navigator_keepalived_check_fall",
                 "ai_navigator_keepalived_check_rise"):
        int_in(errors, name, v.get(name), 1)
    int_in(errors, "ai_navigator_keepalived_check_port", v.get("ai_navigator_keepalived_check_port"), 1, 65535)
    weight = int_in(errors, "ai_navigator_keepalived_check_weight", v.get("ai_navigator_keepalived_check_weight"), -254, 0)
    if weight and v.get("ai_navigator_keepalived_nopreempt"):
        errors.append(f"ai_navigator_keepalived_check_weight must be 0 while ai_navigator_keepalived_nopreempt is true "
                      f"(got {weight}): with nopreempt a lowered priority never moves the VIP")
    service = v.get("ai_navigator_keepalived_tracked_service")
    if not SYSTEMD_UNIT.fullmatch(str(service)):
        errors.append(f"ai_navigator_keepalived_tracked_service must be a systemd unit name such as nginx.service (got {show(service)})")
    package = v.get("ai_navigator_keepalived_package")
    if not APT_PACKAGE.fullmatch(str(package)):
        errors.append(f"ai_navigator_keepalived_package must be a Debian package name (got {show(package)})")

    interface = v.get("interface")
    if not LINUX_INTERFACE.fullmatch(str(interface)):
        errors.append(f"ai_navigator_keepalived_interface must be an interface name of at most 15 letters, digits "
                      f"and _.:- (got {show(interface)})")
        return errors
    address = ip_literal(v.get("address"))
    if not isinstance(address, ipaddress.IPv4Address):
        errors.append(f"ai_navigator_keepalived_interface {show(interface)}"
                      f"{' (empty: the default route interface, and this host has no default IPv4 route)' if not v.get('ai_navigator_keepalived_interface') else ''}"
                      f" has no IPv4 address on this host; interfaces here: {', '.join(v.get('interfaces') or [])}")
    elif isinstance(vip, ipaddress.IPv4Address):
        network = ipaddress.ip_interface(f"{address}/{as_int(v.get('prefix')) or 32}").network
        if vip not in network or vip == address or vip in (network.network_address, network.broadcast_address):
            errors.append(f"ai_navigator_keepalived_vip {vip} is outside the subnet of interface {interface} "
                          f"({address}/{network.prefixlen}), or is this host's own, network or broadcast address; "
                          "peers could not take it over with ARP")
    return errors


class FilterModule:
    def filters(self):
        return {
            "python_preflight_errors": python_preflight_errors,
            "app_preflight_errors": app_preflight_errors,
            "nginx_preflight_errors": nginx_preflight_errors,
            "keepalived_preflight_errors": keepalived_preflight_errors,
            "service_settings": service_settings,
            "endpoints": endpoints,
            "url_host": url_host,
        }
