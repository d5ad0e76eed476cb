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
import os
import re
from pathlib import Path
from typing import Any

from ansible_collections.ai_navigator.fleet.plugins.module_utils.checks import (
    APT_PACKAGE,
    INVENTORY_NAME,
    NGINX_SIZE,
    NGINX_TIME,
    as_float,
    as_int,
    float_in,
    int_in,
    ip_literal,
    is_hostname,
    network,
    network_errors,
    port_of,
    restart_limit_errors,
    show,
    url_host,
)

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
RELEASE_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._+-]{0,63}")
ABSOLUTE_PATH = re.compile(r"/[A-Za-z0-9._/+-]*")
# systemd's syntax: sizes take K, M, G, T, P, E (powers of 1024, upper case only); a
# percentage of physical memory; or infinity. Anything else is ignored with a log line and the
# unit runs without the limit.
SYSTEMD_SIZE = re.compile(r"(?P<number>[0-9]+(\.[0-9]+)?)(?P<unit>[KMGTPE]?)|(?P<percent>[0-9]+(\.[0-9]+)?)%|infinity")
SYSTEMD_PERCENT = re.compile(r"(?P<percent>[0-9]+(\.[0-9]+)?)%")
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


def endpoints(ports: list, address: str) -> list[str]:
    """'address:port' of every port, '[address]:port' for IPv6, as nginx upstream servers take them."""
    return [f"{url_host(address)}:{int(port)}" for port in ports]


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
        return [f"{name} must be {field.get('min_length', 0)}-{field.get('max_length')} characters long "
                f"(got {show(value)})"]
    return []


# --- per role --------------------------------------------------------------------------------------

SUPPORTED_DEBIAN = ("12", "13")  # bookworm, trixie


def python_preflight_errors(v: dict) -> list[str]:
    errors = []
    packages = v.get("ai_navigator_python_packages")
    if not isinstance(packages, list) or not packages or not all(
            isinstance(p, str) and APT_PACKAGE.fullmatch(p) for p in packages):
        errors.append("ai_navigator_python_packages must be a non-empty list of Debian package names "
                      f"(got {show(packages)})")
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
        errors.append("ai_navigator_app_base_port must be an integer "
                      f"(got {show(v.get('ai_navigator_app_base_port'))})")
    elif instances is not None:
        last = base + instances - 1
        if base < FIRST_UNPRIVILEGED_PORT or last > 65535:
            errors.append(
                f"ai_navigator_app_base_port {base} with {instances} instances takes ports {base}..{last}: the "
                f"unprivileged service can bind only ports {FIRST_UNPRIVILEGED_PORT}-65535")
        ssh_port = as_int(v.get("ssh_port")) or 22
        if base <= ssh_port <= last:
            errors.append(f"ai_navigator_app_base_port {base} with {instances} instances takes port {ssh_port}, "
                          "which SSH uses")

    for name in ("ai_navigator_app_listen_address",):
        if v.get(name) not in (None, "") and ip_literal(v.get(name)) is None:
            errors.append(f"{name} must be an IPv4 or IPv6 address literal, e.g. 0.0.0.0 or :: "
                          f"(got {show(v.get(name))})")
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
        return errors + ["ai_navigator_app_environment must be a mapping of setting to value "
                         f"(got {show(environment)})"]
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
    endpoints), upstream_servers, tls_required_names (the names the certificate must cover) and
    tls_given (which of the four certificate variables are set: name -> bool, so no key
    material reaches the check)."""
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

    ports = {}
    for name in ("ai_navigator_nginx_listen_port", "ai_navigator_nginx_https_port"):
        port = int_in(errors, name, v.get(name), 1, 65535)
        if port is None:
            continue
        if port == (as_int(v.get("ssh_port")) or 22):
            errors.append(f"{name} {port} is the SSH port of this host")
        if port in [port_of(e) for e in v.get("own_endpoints") or []]:
            errors.append(f"{name} {port} is an app instance port on this host")
        if port in ports.values():
            errors.append(f"{name} {port} is ai_navigator_nginx_listen_port too: nginx answers HTTP (the redirect "
                          "to HTTPS) and HTTPS on two ports")
        ports[name] = port

    names = str(v.get("ai_navigator_nginx_server_name"))
    if not names.strip() or not all(
            n == "_" or is_hostname(re.sub(r"^\*\.|^\.|\.\*$", "", n)) for n in names.split(" ")):
        errors.append("ai_navigator_nginx_server_name must be _ or host names (optionally *.name, .name or name.*) "
                      f"separated by single spaces (got {show(v.get('ai_navigator_nginx_server_name'))})")
        server_name_ok = False
    else:
        server_name_ok = True
    for name in ("ai_navigator_nginx_upstream_fail_timeout", "ai_navigator_nginx_proxy_next_upstream_timeout",
                 "ai_navigator_nginx_proxy_connect_timeout", "ai_navigator_nginx_proxy_read_timeout",
                 "ai_navigator_nginx_proxy_send_timeout", "ai_navigator_nginx_client_header_timeout",
                 "ai_navigator_nginx_client_body_timeout", "ai_navigator_nginx_send_timeout",
                 "ai_navigator_nginx_keepalive_timeout"):
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
    int_in(errors, "ai_navigator_nginx_proxy_next_upstream_tries",
           v.get("ai_navigator_nginx_proxy_next_upstream_tries"), 0)
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
                      "ai_navigator_app_upstream_endpoints; run ai_navigator.fleet.app (tasks_from preflight) "
                      "on it first")
    shared = sorted({s for s in servers if servers.count(s) > 1})
    if shared:
        errors.append(f"ai_navigator_app_upstream_address and ai_navigator_app_base_port of hosts in {show(group)} "
                      f"share an address:port: {', '.join(shared)}")
    stray = [s for s in v.get("ai_navigator_nginx_drained_servers") or [] if s not in servers]
    if stray:
        errors.append("ai_navigator_nginx_drained_servers names servers that are not in the upstream: "
                      f"{', '.join(map(str, stray))}")

    errors += nginx_edge_errors(v, server_name_ok)
    errors += restart_limit_errors("ai_navigator_nginx", v)
    return errors


def nginx_edge_errors(v: dict, server_name_ok: bool) -> list[str]:
    """The client-facing limits, the restricted paths' allow-list and the certificate's source."""
    errors: list[str] = []
    for name in ("ai_navigator_nginx_limit_req_rate", "ai_navigator_nginx_limit_conn"):
        int_in(errors, name, v.get(name), 1, 1000000)
    int_in(errors, "ai_navigator_nginx_limit_req_burst", v.get("ai_navigator_nginx_limit_req_burst"), 0, 1000000)
    int_in(errors, "ai_navigator_nginx_hsts_max_age", v.get("ai_navigator_nginx_hsts_max_age"), 0)
    int_in(errors, "ai_navigator_nginx_tls_min_days_valid", v.get("ai_navigator_nginx_tls_min_days_valid"), 0)
    # nginx's allow takes an address or a network, host bits set or not (10.1.2.3/24).
    bad = network_errors(v.get("ai_navigator_nginx_restricted_allow"), strict=False)
    if bad:
        errors.append("ai_navigator_nginx_restricted_allow has entries that are no IPv4/IPv6 address or network: "
                      + "; ".join(bad))

    # The names default to server_name's: a bad server_name is reported once, above.
    if v.get("ai_navigator_nginx_tls_names") or server_name_ok:
        names = v.get("tls_required_names") or []
        bad = [show(n) for n in names if ip_literal(n) is None and not is_hostname(n, wildcard=True)]
        if bad:
            errors.append("ai_navigator_nginx_tls_names (or the server_name/VIP they default to) has entries that are "
                          f"neither a DNS name (optionally *.name) nor an IP address: {', '.join(bad)}")

    given = v.get("tls_given") or {}
    content = ("ai_navigator_nginx_tls_certificate", "ai_navigator_nginx_tls_private_key")
    files = ("ai_navigator_nginx_tls_certificate_file", "ai_navigator_nginx_tls_private_key_file")
    pairs = "; set none of them to have the controller generate a certificate"
    if any(given.get(n) for n in content) and any(given.get(n) for n in files):
        errors.append(f"{content[0]}/{content[1]} (PEM content) and {files[0]}/{files[1]} (controller paths) are "
                      f"both set: give the certificate one way{pairs}")
    else:
        for pair, what in ((content, "PEM content"), (files, "controller paths")):
            missing = [n for n in pair if not given.get(n)]
            if len(missing) == 1:
                errors.append(f"{missing[0]} is not set, but {pair[1 - pair.index(missing[0])]} is: the two "
                              f"({what}) go together{pairs}")
        if all(given.get(n) for n in files):
            for name in files:
                if not os.path.isfile(str(v.get(name))):
                    errors.append(f"{name} {show(v.get(name))} is no file on the controller")
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
    int_in(errors, "ai_navigator_keepalived_virtual_router_id", v.get("ai_navigator_keepalived_virtual_router_id"),
           1, 255)
    if host not in (v.get("group_hosts") or []):
        errors.append(f"ai_navigator_keepalived_group {show(v.get('ai_navigator_keepalived_group'))} "
                      "does not hold this host; its hosts share the VIP")
    priority = as_int(v.get("priority"))
    if priority is None or not 1 <= priority <= 254:
        errors.append("ai_navigator_keepalived_priority must be 1-254, or 0 for by position "
                      f"(gives {show(v.get('priority'))})")
    int_in(errors, "ai_navigator_keepalived_advert_int", v.get("ai_navigator_keepalived_advert_int"), 1, 255)
    for name in ("ai_navigator_keepalived_check_interval", "ai_navigator_keepalived_check_fall",
                 "ai_navigator_keepalived_check_rise"):
        int_in(errors, name, v.get(name), 1)
    int_in(errors, "ai_navigator_keepalived_check_port", v.get("ai_navigator_keepalived_check_port"), 1, 65535)
    weight = int_in(errors, "ai_navigator_keepalived_check_weight", v.get("ai_navigator_keepalived_check_weight"),
                    -254, 0)
    if weight and v.get("ai_navigator_keepalived_nopreempt"):
        errors.append(f"ai_navigator_keepalived_check_weight must be 0 while ai_navigator_keepalived_nopreempt is true "
                      f"(got {weight}): with nopreempt a lowered priority never moves the VIP")
    service = v.get("ai_navigator_keepalived_tracked_service")
    if not SYSTEMD_UNIT.fullmatch(str(service)):
        errors.append("ai_navigator_keepalived_tracked_service must be a systemd unit name such as nginx.service "
                      f"(got {show(service)})")
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
        default_route = "" if v.get("ai_navigator_keepalived_interface") else \
            " (empty: the default route interface, and this host has no default IPv4 route)"
        errors.append(f"ai_navigator_keepalived_interface {show(interface)}{default_route} has no IPv4 address on this "
                      f"host; interfaces here: {', '.join(v.get('interfaces') or [])}")
    elif isinstance(vip, ipaddress.IPv4Address):
        network = ipaddress.ip_interface(f"{address}/{as_int(v.get('prefix')) or 32}").network
        if vip not in network or vip == address or vip in (network.network_address, network.broadcast_address):
            errors.append(f"ai_navigator_keepalived_vip {vip} is outside the subnet of interface {interface} "
                          f"({address}/{network.prefixlen}), or is this host's own, network or broadcast address; "
                          "peers could not take it over with ARP")
    return errors + restart_limit_errors("ai_navigator_keepalived", v)


def keepalived_peer_errors(v: dict) -> list[str]:
    """After every LB published its VRRP address: inventory_hostname, ai_navigator_keepalived_vip,
    _group and _virtual_router_id, and peers (what the other hosts of the group with this VIP
    published: host, vip, virtual_router_id, address)."""
    host, vip, group = (v.get("inventory_hostname"), v.get("ai_navigator_keepalived_vip"),
                        v.get("ai_navigator_keepalived_group"))
    router_id = as_int(v.get("ai_navigator_keepalived_virtual_router_id"))
    peers = v.get("peers") or []
    others = [p for p in peers if as_int(p.get("virtual_router_id")) != router_id]
    if peers and not others:
        return []
    hosts = ", ".join([str(host)] + [str(p.get("host")) for p in peers])
    return [f"ai_navigator_keepalived_vip {vip} is set on {len(peers) + 1} host(s) of {show(group)} ({hosts}): "
            "a floating "
            f"VIP needs at least two, all with the same ai_navigator_keepalived_virtual_router_id ({router_id} here; "
            f"peers have {', '.join(str(p.get('virtual_router_id')) for p in peers) or 'none'})"]


def firewall_preflight_errors(v: dict) -> list[str]:
    """The firewall role's variables, plus: is_app and is_lb (this host's groups), ssh_connection
    (SSH_CONNECTION as the host saw it: the controller's address and port, the host's address and
    port), local_connection, ai_navigator_nginx_listen_port and _https_port (an LB's client ports),
    unpublished_lbs (LB hosts that published no source addresses), vrrp_peers (the other LBs'
    VRRP addresses for this host's VIP) and vip."""
    errors: list[str] = []
    refused = set()
    for name in ("ai_navigator_firewall_ssh_sources", "ai_navigator_firewall_lb_client_sources",
                 "ai_navigator_firewall_lb_source_addresses", "ai_navigator_firewall_monitoring_sources"):
        bad = network_errors(v.get(name))
        if bad:
            refused.add(name)
            errors.append(f"{name} has values that are no IPv4/IPv6 address or network (CIDR): {'; '.join(bad)}")
    controller_address = v.get("ai_navigator_firewall_controller_address")
    if controller_address and ip_literal(str(controller_address).split("%", 1)[0]) is None:
        refused.add("ai_navigator_firewall_controller_address")
        errors.append(f"ai_navigator_firewall_controller_address {show(controller_address)} is no IPv4/IPv6 address; "
                      "leave it empty to learn it from the SSH connection")

    ssh_port = int_in(errors, "ai_navigator_firewall_ssh_port", v.get("ai_navigator_firewall_ssh_port"), 1, 65535)
    ports = {}
    for name in ("ai_navigator_firewall_lb_ports", "ai_navigator_firewall_app_ports",
                 "ai_navigator_firewall_monitoring_ports"):
        values = v.get(name)
        numbers = [as_int(p) for p in values] if isinstance(values, list) else [None]
        if None in numbers or not all(1 <= p <= 65535 for p in numbers):
            errors.append(f"{name} must be a list of ports within 1-65535 (got {show(values)})")
        ports[name] = numbers

    if v.get("is_app") and not v.get("ai_navigator_firewall_app_ports"):
        errors.append("ai_navigator_firewall_app_ports is empty on a host of "
                      f"{show(v.get('ai_navigator_firewall_app_group'))}; "
                      "run the app role's preflight (ai_navigator.fleet.app, tasks_from preflight) first, or set it")
    if v.get("is_lb"):
        for name in ("ai_navigator_nginx_listen_port", "ai_navigator_nginx_https_port"):
            port = as_int(v.get(name))
            if port not in ports["ai_navigator_firewall_lb_ports"]:
                errors.append(f"ai_navigator_firewall_lb_ports {v.get('ai_navigator_firewall_lb_ports')} "
                              "does not contain "
                              f"{name} {show(v.get(name)) if port is None else port}: clients could not reach nginx")

    # The address and port the controller's SSH connection arrived on: what the new rule set
    # must still accept, or the next task (and every later run) could not connect.
    connection = str(v.get("ssh_connection") or "").split()
    controller = controller_address or (connection[0] if connection else "")
    if not v.get("local_connection"):
        if not controller:
            errors.append("ai_navigator_firewall_controller_address is empty and the address this controller connects "
                          "from is unknown (no SSH_CONNECTION in the gathered facts, e.g. with become through sudo's "
                          "env_reset): set it, so preflight can check ai_navigator_firewall_ssh_sources keeps it in")
        elif not refused & {"ai_navigator_firewall_ssh_sources", "ai_navigator_firewall_controller_address"} \
                and not networks_contain(v.get("ai_navigator_firewall_ssh_sources"), controller):
            errors.append(f"ai_navigator_firewall_ssh_sources {v.get('ai_navigator_firewall_ssh_sources')} "
                          "does not contain "
                          f"{controller}, the address this controller connects from: the rule set would lock it out; "
                          "add that address or an admin network containing it")
    if len(connection) == 4 and ssh_port is not None and as_int(connection[3]) != ssh_port:
        errors.append(f"ai_navigator_firewall_ssh_port is {ssh_port} but this controller's SSH connection arrived on "
                      f"port {connection[3]}: the rule set would lock it out")

    if v.get("is_app"):
        for lb in v.get("unpublished_lbs") or []:
            errors.append(f"ai_navigator_firewall_lb_group {show(v.get('ai_navigator_firewall_lb_group'))}: "
                          f"{lb} has not "
                          "published ai_navigator_firewall_lb_source_addresses; "
                          "run ai_navigator.fleet.firewall (tasks_from "
                          "preflight) on it in the same play, or the instance ports would be closed to it")
    if v.get("is_lb") and v.get("ai_navigator_firewall_vrrp") and not v.get("vrrp_peers"):
        errors.append("ai_navigator_firewall_vrrp is on but no other host of "
                      f"{show(v.get('ai_navigator_firewall_lb_group'))} "
                      f"published a VRRP address for VIP {show(v.get('vip') or '')} "
                      "(run the keepalived preflight on every "
                      "LB first); VRRP would be dropped")
    return errors


def networks_contain(values: list, address: str) -> bool:
    """Whether an address (optionally with an IPv6 %zone) lies in any of the networks."""
    ip = ip_literal(str(address).split("%", 1)[0])
    return ip is not None and any(ip in network(value) for value in values)


class FilterModule:
    def filters(self):
        return {
            "python_preflight_errors": python_preflight_errors,
            "app_preflight_errors": app_preflight_errors,
            "nginx_preflight_errors": nginx_preflight_errors,
            "keepalived_preflight_errors": keepalived_preflight_errors,
            "keepalived_peer_errors": keepalived_peer_errors,
            "firewall_preflight_errors": firewall_preflight_errors,
            "service_settings": service_settings,
            "endpoints": endpoints,
            "url_host": url_host,
        }
