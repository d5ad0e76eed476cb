"""What the scenarios' tests share: the lab inventory, HTTP from the controller, playbook runs.

Molecule runs the testinfra verifier with MOLECULE_INVENTORY_FILE set; everything here reads
the fleet from that inventory, so the tests hold for any number of hosts per group.
"""

from __future__ import annotations

import json
import os
import pathlib
import re
import ssl
import subprocess
import sys
import urllib.error
import urllib.request
from email.message import Message
from functools import cache

import testinfra

REPO = pathlib.Path(__file__).resolve().parents[2]
BIN = pathlib.Path(sys.executable).parent
# The CA the controller generated the lab LBs' certificates with (lab.sh sets
# ai_navigator_nginx_tls_generated_dir to the lab's own directory): clients verify the LBs against it.
LAB_NAME = os.environ.get("LAB_NAME") or os.environ.get("MOLECULE_SCENARIO_NAME", "default")
TLS_CA = pathlib.Path(os.environ.get("LAB_ROOT", "/var/lib/ai-navigator-lab")) / LAB_NAME / "tls" / "ca.crt"


def tls_context() -> ssl.SSLContext:
    """A client context that trusts only the lab CA and checks the host name."""
    return ssl.create_default_context(cafile=str(TLS_CA))


@cache
def inventory() -> dict:
    out = subprocess.run(
        [BIN / "ansible-inventory", "-i", os.environ["MOLECULE_INVENTORY_FILE"], "--list"],
        check=True, capture_output=True, text=True,
    ).stdout
    return json.loads(out)


def group(name: str) -> list[str]:
    return sorted(inventory().get(name, {}).get("hosts", []))


def address(host: str) -> str:
    return inventory()["_meta"]["hostvars"][host]["ansible_host"]


def http_get(url: str, timeout: float = 3.0) -> tuple[int, Message, bytes]:
    """GET that returns (status, headers, body) for any status; raises only on no answer.
    HTTPS is verified against the lab CA."""
    context = tls_context() if url.startswith("https:") else None
    try:
        with urllib.request.urlopen(url, timeout=timeout, context=context) as response:
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read()


def plain_env(**extra: str) -> dict[str, str]:
    """The environment for Ansible commands whose output a test reads: no colour codes
    (Molecule forces colour for its own runs)."""
    env = {k: v for k, v in os.environ.items() if k != "ANSIBLE_FORCE_COLOR"}
    return {**env, "ANSIBLE_NOCOLOR": "1", **extra}


def run_playbook(*args: str, inventory_file: str | None = None) -> subprocess.CompletedProcess:
    """ansible-playbook against the scenario's fleet, output captured."""
    return subprocess.run(
        [BIN / "ansible-playbook", "-i", inventory_file or os.environ["MOLECULE_INVENTORY_FILE"], *args],
        capture_output=True, text=True, cwd=REPO, check=False, env=plain_env(),
    )


def recap(output: str) -> dict[str, dict[str, int]]:
    """PLAY RECAP counters per host: {'app1': {'ok': 3, 'changed': 0, ...}}."""
    counts = {}
    assert "PLAY RECAP" in output, f"no PLAY RECAP in:\n{output[-2000:]}"
    for host, rest in re.findall(r"^(\S+)\s+:\s+(ok=.*)$", output, re.MULTILINE):
        counts[host] = {k: int(v) for k, v in re.findall(r"(\w+)=(\d+)", rest)}
    return counts


def write_inventory(path: pathlib.Path, groups: dict[str, list[str]]) -> str:
    """An inventory of the same hosts (same connection settings) in the groups given."""
    hostvars = inventory()["_meta"]["hostvars"]
    connection = {
        name: {k: v for k, v in hostvars[name].items() if k.startswith("ansible_")}
        for hosts in groups.values() for name in hosts
    }
    data = {"all": {"children": {g: {"hosts": {h: connection[h] for h in hosts}} for g, hosts in groups.items()}}}
    path.write_text(json.dumps(data))
    return str(path)


def fleet_state(paths: list[str]) -> dict[str, str]:
    """Per host: checksums of `paths` and the main PIDs of nginx and every instance.

    Equal before and after a run means the run wrote nothing and restarted nothing.
    """
    command = "sha256sum %s 2>&1; systemctl show -p Id -p MainPID 'ai-navigator@*' nginx.service" % " ".join(paths)
    return {name: run_on(name, command)[1] for name in group("ai_navigator_app") + group("ai_navigator_lb")}


def run_on(host: str, command: str) -> tuple[int, str]:
    """Run a shell command on a lab host over SSH: (exit status, stdout)."""
    result = testinfra.get_host(f"ansible://{host}?ansible_inventory={os.environ['MOLECULE_INVENTORY_FILE']}").run(command)
    return result.rc, result.stdout


@cache
def role_defaults(role: str) -> dict:
    """A role's defaults/main.yml: what a fleet converged without overrides must show."""
    import yaml

    return yaml.safe_load((REPO / "roles" / role / "defaults" / "main.yml").read_text())


def failures(output: str) -> dict[str, str]:
    """The failure message of every host that failed in ansible-playbook's output: {'app1': msg}."""
    return {host: json.loads(body).get("msg", "")
            for host, body in re.findall(r"^fatal: \[([^\]]+)\]: FAILED! => (\{.*\})$", output, re.MULTILINE)}


def write_host_vars(path: pathlib.Path, host_vars: dict[str, dict]) -> str:
    """An inventory that adds variables to hosts of another one (pass both with -i): host
    variables outrank the scenario's group variables."""
    path.write_text(json.dumps({"all": {"hosts": host_vars}}))
    return str(path)


def assert_refused(output: str, expected: dict[str, list[tuple[str, str]]]) -> None:
    """Each host's one preflight message names the host, then exactly the failed checks expected
    for it — (variable, words) — and nothing else; hosts not listed did not fail."""
    messages = failures(output)
    assert set(messages) == set(expected), f"failed hosts {sorted(messages)}, expected {sorted(expected)}:\n{output[-3000:]}"
    for host, checks in expected.items():
        message = messages[host]
        assert message.startswith(f"{host}: "), f"{host}: the message does not start with the host: {message}"
        items = re.split(r"; (?=ai_navigator_|the inventory host)", message.removeprefix(f"{host}: "))
        assert len(items) == len(checks), f"{host}: {len(checks)} failed checks expected, got {len(items)}: {message}"
        for variable, words in checks:
            assert any(variable in item and words in item for item in items), \
                f"{host}: no failed check names {variable} with {words!r}: {message}"

# Restart policies: what `systemctl show` says about how a daemon comes back and when it stops trying.
RESTART_PROPERTIES = ("Restart", "RestartUSec", "StartLimitBurst", "StartLimitIntervalUSec")
_SPAN_UNITS = {"us": 1e-6, "ms": 1e-3, "s": 1.0, "min": 60.0, "h": 3600.0, "d": 86400.0}


def seconds(span: str) -> float:
    """A systemd time span as systemctl shows it ('500ms', '1min 30s', 'infinity') in seconds."""
    if span == "infinity":
        return float("inf")
    parts = re.findall(r"(\d+(?:\.\d+)?)\s*(us|ms|min|s|h|d)", span)
    assert parts and "".join(f"{n}{u}" for n, u in parts) == span.replace(" ", ""), f"not a time span: {span!r}"
    return sum(float(n) * _SPAN_UNITS[u] for n, u in parts)


def restart_policy(show: str) -> dict:
    """`systemctl show -p Restart -p RestartUSec -p StartLimitBurst -p StartLimitIntervalUSec` output."""
    values = dict(line.split("=", 1) for line in show.splitlines() if "=" in line)
    return {"restart": values["Restart"], "restart_sec": seconds(values["RestartUSec"]),
            "burst": int(values["StartLimitBurst"]), "interval_sec": seconds(values["StartLimitIntervalUSec"])}


def restart_policy_problems(unit: str, policy: dict, restart_sec: float, burst: int, interval_sec: float) -> list[str]:
    """What keeps `unit` from coming back after a crash or from ending a crash loop, given the
    values its role configures; empty when it is sound."""
    problems = []
    if policy["restart"] not in ("always", "on-failure", "on-abnormal"):
        problems.append(f"{unit}: Restart={policy['restart']} does not restart it after a crash or kill -9")
    if (policy["restart_sec"], policy["burst"], policy["interval_sec"]) != (float(restart_sec), burst, float(interval_sec)):
        problems.append(f"{unit}: RestartSec/StartLimitBurst/StartLimitIntervalSec are {policy['restart_sec']}/"
                        f"{policy['burst']}/{policy['interval_sec']}, the role sets {restart_sec}/{burst}/{interval_sec}")
    if policy["burst"] < 2:
        problems.append(f"{unit}: StartLimitBurst={policy['burst']} leaves no restart after the first start")
    if not 0 < policy["restart_sec"] * policy["burst"] < policy["interval_sec"] < float("inf"):
        problems.append(f"{unit}: a crash loop never hits the start limit ({policy['burst']} starts "
                        f"{policy['restart_sec']} s apart within {policy['interval_sec']} s)")
    return problems
