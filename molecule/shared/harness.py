"""The one test harness of every Molecule scenario: the lab fleet as the verifier sees it.

`.config/molecule/config.yml` puts this directory on the verifier's PYTHONPATH and loads this
module as a pytest plugin (`-p harness`), so a scenario's verify is just its `tests/test_*.py`:

    import harness

    APPS = harness.group("ai_navigator_app")

    def test_status_playbook_changes_nothing():
        run = harness.playbook("playbooks/status.yml")
        assert run.rc == 0, run.tail()
        assert all(counts["changed"] == 0 for counts in run.recap.values()), run.recap

    def test_instances_answer_under_load(load):
        with load(f"https://{harness.address(harness.group('ai_navigator_lb')[0])}/version", "--rate", "50") as running:
            status = harness.sh(APPS[0], "systemctl is-active ai-navigator@8000").out
        harness.figure(f"status under load: {running.report['line']}")
        assert running.report["failed"] == 0 and status == "active"

What it offers (one implementation each):
- inventory and addresses: `inventory()`, `group(name)`, `address(host)`, `hostvars(host)`, the
  lab itself (`LAB_NAME`, `TLS_CA`, `lab_vars()`, `netns(host)`, `running(host)`, `lab_sh(...)`),
  `testinfra_hosts(*groups)` for testinfra's `host` fixture;
- commands on hosts: `sh(host, command)` over one multiplexed SSH connection per host;
  `host(name)`, a testinfra host over the same connection (`.file()`, `.service()` ...);
- HTTP: `http(url, ...)` (HTTPS verified against the lab's CA), `status(url)` for polling;
- playbooks: `playbook(path, *args)` through ansible-runner under one policy (the checkout's
  ansible.cfg, the scenario's inventory, no Molecule settings), read from its events and stats:
  `run.rc`, `run.recap`, `run.failures`, `run.plays`, `run.tasks`, `run.stdout`;
  a new release to roll out: `release_source(dest, patch)`;
- background load: the `load` fixture (or `Load`) runs bench/loadgen.py with its own arguments;
- polling: `wait_for(predicate, timeout)`;
- figures: `figure(line)` prints a line, and the run ends with all of them in a "figures"
  section, also written to $MOLECULE_EPHEMERAL_DIRECTORY/figures.txt.
"""

from __future__ import annotations

import atexit
import json
import os
import pathlib
import re
import shlex
import shutil
import signal
import ssl
import subprocess
import sys
import tempfile
import time
import urllib.parse
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import cache
from http import client as http_client
from typing import Any, NamedTuple

import pytest

REPO = pathlib.Path(__file__).resolve().parents[2]
BIN = pathlib.Path(sys.executable).parent
LOADGEN = REPO / "bench" / "loadgen.py"
LAB_SH = REPO / "scripts" / "lab.sh"
LAB_ROOT = pathlib.Path(os.environ.get("LAB_ROOT") or "/var/lib/ai-navigator-lab")
# The lab is named by LAB_NAME (as create.yml does), else after the scenario.
LAB_NAME = os.environ.get("LAB_NAME") or os.environ.get("MOLECULE_SCENARIO_NAME") or "default"
LAB_DIR = LAB_ROOT / LAB_NAME
# Each lab has its own CA (lab.sh points ai_navigator_nginx_tls_generated_dir at the lab): the
# LBs' certificates are checked against it and nothing else.
TLS_CA = LAB_DIR / "tls" / "ca.crt"
# Where Molecule keeps the scenario's state; figures and playbook logs go there too.
OUT_DIR = pathlib.Path(os.environ.get("MOLECULE_EPHEMERAL_DIRECTORY") or tempfile.gettempdir())


# --- inventory and addresses -----------------------------------------------------------------

def inventory_file() -> str:
    """The scenario's inventory (Molecule's, with the scenario's group_vars beside it)."""
    return os.environ.get("MOLECULE_INVENTORY_FILE") or str(LAB_DIR / "hosts.yml")


@cache
def inventory() -> dict:
    """`ansible-inventory --list` of the scenario's inventory (variables as written, untemplated)."""
    out = subprocess.run([BIN / "ansible-inventory", "-i", inventory_file(), "--list"],
                         check=True, capture_output=True, text=True, env=ansible_env()).stdout
    return json.loads(out)


def group(name: str) -> list[str]:
    """The hosts of an inventory group, sorted."""
    return sorted(inventory().get(name, {}).get("hosts", []))


def hostvars(host: str) -> dict:
    return inventory()["_meta"]["hostvars"][host]


def address(host: str) -> str:
    return hostvars(host)["ansible_host"]


def testinfra_hosts(*groups: str) -> list[str]:
    """For a test module's `testinfra_hosts`: testinfra's `host` fixture on these groups' hosts."""
    return [f"ansible://{h}" for g in groups for h in group(g)]


@cache
def lab_vars() -> dict:
    """The variables lab.sh wrote for the lab (lab_subnet, lab_vip, ...)."""
    import yaml

    return yaml.safe_load((LAB_DIR / "hosts.yml").read_text())["all"]["vars"]


def netns(host: str) -> str:
    """The network namespace of a lab host (link faults are made from the controller)."""
    return (LAB_DIR / host / "netns").read_text().strip()


def running(host: str) -> bool:
    """The host's machine is up (its nspawn process lives)."""
    pid = (LAB_DIR / host / "nspawn.pid").read_text().strip()
    return pathlib.Path(f"/proc/{pid}").exists()


def lab_sh(*args: str) -> str:
    """scripts/lab.sh, e.g. lab_sh("stop", LAB_NAME, "lb1") (returns once the machine is off)."""
    return subprocess.run([str(LAB_SH), *args], check=True, capture_output=True, text=True, timeout=120).stdout


def vip_holder(group_name: str = "ai_navigator_lb") -> str | None:
    """The host of the group whose interface carries the lab's VIP (asked in its namespace)."""
    vip = lab_vars()["lab_vip"]
    holders = []
    for name in group(group_name):
        out = subprocess.run(["ip", "-n", netns(name), "-4", "-o", "addr", "show"],
                             capture_output=True, text=True).stdout
        if f" {vip}/" in out:
            holders.append(name)
    assert len(holders) <= 1, f"the VIP {vip} is on several hosts at once: {holders}"
    return holders[0] if holders else None


@cache
def role_defaults(role: str) -> dict:
    """A role's defaults/main.yml: what a fleet converged without overrides must show."""
    import yaml

    return yaml.safe_load((REPO / "roles" / role / "defaults" / "main.yml").read_text())


# --- commands on hosts -----------------------------------------------------------------------

_SSH_DIR = tempfile.mkdtemp(prefix="harness-ssh-")


@atexit.register
def _close_ssh_masters() -> None:
    """Stop the SSH master connections and remove their directory when the test run ends."""
    for socket in pathlib.Path(_SSH_DIR).iterdir():
        subprocess.run(["ssh", "-o", f"ControlPath={socket}", "-O", "exit", "lab-host"],
                       capture_output=True, timeout=10, check=False)
    shutil.rmtree(_SSH_DIR, ignore_errors=True)


def _ssh_options(host: str) -> list[str]:
    """One SSH master connection per host for the whole run (a command costs milliseconds)."""
    return ["-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null", "-o", "LogLevel=ERROR",
            "-o", "BatchMode=yes", "-o", "ConnectTimeout=5", "-o", "ControlMaster=auto",
            "-o", f"ControlPath={_SSH_DIR}/%C", "-o", "ControlPersist=120",
            "-i", hostvars(host).get("ansible_private_key_file") or hostvars(host)["ansible_ssh_private_key_file"],
            "-p", str(hostvars(host).get("ansible_port", 22))]


class Done(NamedTuple):
    """A command's exit status and stdout (without the trailing newline): `rc, out = sh(...)`."""

    rc: int
    out: str


def sh(host: str, command: str, check: bool = True, timeout: float = 60) -> Done:
    """Run a shell command on a lab host as its SSH user; with check, a non-zero exit fails the test."""
    user = hostvars(host).get("ansible_user", "root")
    done = subprocess.run(["ssh", *_ssh_options(host), f"{user}@{address(host)}", command],
                          capture_output=True, text=True, timeout=timeout)
    if check and done.returncode != 0:
        raise AssertionError(f"{host}: `{command}` exited {done.returncode}: "
                             f"{done.stderr.strip() or done.stdout[-500:]}")
    return Done(done.returncode, done.stdout.rstrip("\n"))


_HOSTS: dict[str, Any] = {}


def host(name: str):
    """A testinfra host for a lab host (`.file()`, `.service()`, `.run()`), over sh()'s connection."""
    if name not in _HOSTS:
        import testinfra

        options = _ssh_options(name)
        key = options[options.index("-i") + 1]
        extra = " ".join(o for o in options[:options.index("-i")])
        _HOSTS[name] = testinfra.get_host(f"ssh://{hostvars(name).get('ansible_user', 'root')}@{address(name)}",
                                          ssh_identity_file=key, ssh_extra_args=extra)
    return _HOSTS[name]


def main_pid(host_name: str, unit: str) -> int:
    return int(sh(host_name, f"systemctl show -p MainPID --value {unit}").out or 0)


def unit_properties(host_name: str, unit: str, *names: str) -> dict[str, str]:
    """`systemctl show -p NAME ...` of a unit as a dict."""
    out = sh(host_name, "systemctl show " + " ".join(f"-p {n}" for n in names) + f" {unit}").out
    return dict(line.split("=", 1) for line in out.splitlines() if "=" in line)


def fleet_state(paths: list[str]) -> dict[str, str]:
    """Per host: checksums of `paths` and the main PIDs of nginx and every instance.
    Equal before and after a run means the run wrote nothing and restarted nothing."""
    command = f"sha256sum {' '.join(paths)} 2>&1; systemctl show -p Id -p MainPID 'ai-navigator@*' nginx.service"
    return {name: sh(name, command, check=False).out for name in group("ai_navigator_app") + group("ai_navigator_lb")}


# --- HTTP ------------------------------------------------------------------------------------

def tls_context() -> ssl.SSLContext:
    """A client context that trusts only the lab CA and checks the host name."""
    return ssl.create_default_context(cafile=str(TLS_CA))


class Response(NamedTuple):
    """`status, headers, body = http(...)` or response.status ..."""

    status: int
    headers: http_client.HTTPMessage  # case-insensitive: headers["X-AI-Navigator-LB"]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


def http(url: str, method: str = "GET", body: bytes | dict | None = None, headers: dict | None = None,
         timeout: float = 3.0, context: ssl.SSLContext | None = None) -> Response:
    """One request on a fresh connection; any status is an answer. HTTPS is verified against the
    lab CA. No answer (refused, reset, timeout, TLS failure) raises OSError or HTTPException."""
    parts = urllib.parse.urlsplit(url)
    if isinstance(body, dict):
        body, headers = json.dumps(body).encode(), {"Content-Type": "application/json", **(headers or {})}
    if parts.scheme == "https":
        conn = http_client.HTTPSConnection(parts.hostname, parts.port or 443, timeout=timeout,
                                           context=context or tls_context())
    else:
        conn = http_client.HTTPConnection(parts.hostname, parts.port or 80, timeout=timeout)
    try:
        conn.request(method, (parts.path or "/") + (f"?{parts.query}" if parts.query else ""), body=body,
                     headers=headers or {})
        response = conn.getresponse()
        return Response(response.status, response.msg, response.read())
    finally:
        conn.close()


# What http() raises when nothing answered.
NO_ANSWER = (OSError, http_client.HTTPException)


def status(url: str, timeout: float = 0.5) -> int | None:
    """The status of a GET, or None when nothing answered: for polling."""
    try:
        return http(url, timeout=timeout).status
    except NO_ANSWER:
        return None


# --- playbook runs ---------------------------------------------------------------------------

def ansible_env(**extra: str) -> dict[str, str]:
    """The one environment every Ansible command of the tests runs in: the controller's, without
    Molecule's settings (ANSIBLE_*/MOLECULE_*), with the checkout's ansible.cfg, no colour, the
    lab named (the scenario's inventory finds the lab's files by LAB_NAME); the venv's tools first.
    `extra` comes on top (e.g. ANSIBLE_COLLECTIONS_PATH)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ANSIBLE_", "MOLECULE_"))}
    env.update(ANSIBLE_CONFIG=str(REPO / "ansible.cfg"), ANSIBLE_NOCOLOR="1", LAB_NAME=LAB_NAME, LAB_ROOT=str(LAB_ROOT),
               PATH=f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}")
    return {**env, **extra}


def recap(stats: dict[str, dict[str, int]]) -> dict[str, dict[str, int]]:
    """ansible-runner's stats (counter -> host -> n) per host: {'app1': {'ok': 3, 'changed': 0,
    'failures': 0, 'unreachable': 0, ...}} for every host the run processed."""
    counters = {"ok": "ok", "changed": "changed", "failures": "failures", "dark": "unreachable",
                "skipped": "skipped", "rescued": "rescued", "ignored": "ignored"}
    hosts = set(stats.get("processed", {})).union(*(stats.get(c, {}) for c in counters))
    return {h: {name: stats.get(c, {}).get(h, 0) for c, name in counters.items()} for h in sorted(hosts)}


def failures(events: list[dict]) -> dict[str, str]:
    """The failure message of every host that failed (not ignored) or was unreachable: {'app1': msg}."""
    found = {}
    for event in events:
        data = event.get("event_data", {})
        if event.get("event") == "runner_on_failed" and not data.get("ignore_errors"):
            res = data.get("res", {})
            # A loop's failure: the messages of its failed items.
            items = [item.get("msg", "") for item in res.get("results", []) if item.get("failed")]
            found[data["host"]] = "; ".join(items) if items else res.get("msg", "")
        elif event.get("event") == "runner_on_unreachable":
            found[data["host"]] = data.get("res", {}).get("msg", "unreachable")
    return found


def event_names(events: list[dict], kind: str, key: str) -> list[str]:
    """In order, without repeats, event_data[key] of every `kind` event (plays, tasks)."""
    names: list[str] = []
    for event in events:
        name = event.get("event_data", {}).get(key)
        if event.get("event") == kind and name and name not in names:
            names.append(name)
    return names


def stamped(events: list[dict], began: float) -> str:
    """The run's output, each line stamped with seconds since the start: where the time went."""
    lines = []
    for event in events:
        at = event.get("created")
        seconds = (_epoch(at) - began) if at else 0.0
        lines += [f"{seconds:6.1f} {line}" for line in (event.get("stdout") or "").splitlines()]
    return "\n".join(lines)


def _epoch(created: str) -> float:
    from datetime import datetime, timezone

    parsed = datetime.fromisoformat(created)
    return (parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)).timestamp()


@dataclass
class Run:
    """One playbook run, read from ansible-runner's events and stats."""

    argv: list[str]
    rc: int
    status: str
    seconds: float
    began: float
    events: list[dict] = field(repr=False)

    @property
    def stdout(self) -> str:
        """What ansible-playbook printed (failures included, whatever the callback's stderr setting)."""
        return "\n".join(e["stdout"] for e in self.events if e.get("stdout"))

    @property
    def stats(self) -> dict:
        last = [e for e in self.events if e.get("event") == "playbook_on_stats"]
        return last[-1]["event_data"] if last else {}

    @property
    def recap(self) -> dict[str, dict[str, int]]:
        assert self.stats, f"the run ended without stats (status {self.status}):\n{self.tail()}"
        return recap(self.stats)

    @property
    def failures(self) -> dict[str, str]:
        return failures(self.events)

    @property
    def plays(self) -> list[str]:
        return event_names(self.events, "playbook_on_play_start", "play")

    @property
    def tasks(self) -> list[str]:
        return event_names(self.events, "playbook_on_task_start", "task")

    def drift(self) -> dict[tuple[str, str], list[str]]:
        """(host, role) -> what the role's one read of the host found different (module host_state)."""
        return {(e["event_data"]["host"], e["event_data"].get("role", "")): e["event_data"]["res"]["drift"]
                for e in self.events if e.get("event") == "runner_on_ok"
                and e["event_data"].get("task_action") == "ai_navigator.fleet.host_state"}

    def converged(self) -> set[tuple[str, str]]:
        """(host, role) pairs whose tasks ran this run: the role's read found something different."""
        return {(e["event_data"]["host"], e["event_data"].get("role", "")) for e in self.events
                if e.get("event") == "runner_on_ok" and e["event_data"].get("task", "").startswith("Converge")
                and e["event_data"].get("task_action") == "ansible.builtin.include_tasks"}

    def changed(self) -> dict[str, int]:
        """Hosts that changed something, with how many tasks."""
        return {h: c["changed"] for h, c in self.recap.items() if c["changed"]}

    def tail(self, chars: int = 3000) -> str:
        """The end of the output, for assertion messages."""
        return f"{shlex.join(self.argv)}\n{self.stdout[-chars:]}"

    def log(self) -> str:
        return f"=== {shlex.join(self.argv)} (rc {self.rc}, {self.seconds:.1f} s)\n{stamped(self.events, self.began)}\n"


def playbook(path: str, *args: str, inventory: str | list[str] | None = None, env: dict[str, str] | None = None,
             cwd: str | None = None, verbosity: int = 0, timeout: int = 1800) -> Run:
    """ansible-playbook on the scenario's fleet, as an operator runs it: `path` relative to the
    checkout (or an FQCN), `args` as on the command line; `inventory` instead of the scenario's.
    Every run's output (stamped) is appended to $MOLECULE_EPHEMERAL_DIRECTORY/playbooks.log."""
    import ansible_runner

    inventories = [inventory] if isinstance(inventory, str) else (inventory or [inventory_file()])
    playbook_arg = str(REPO / path) if (REPO / path).is_file() else path
    private = tempfile.mkdtemp(prefix="harness-run-")
    events: list[dict] = []
    config = ansible_runner.RunnerConfig(
        private_data_dir=private, project_dir=cwd or str(REPO), playbook=playbook_arg, inventory=inventories,
        cmdline=shlex.join(args), verbosity=verbosity or None, quiet=True, timeout=timeout,
        envvars=ansible_env(**(env or {})))
    config.prepare()
    # ansible-runner starts from os.environ: drop Molecule's settings it copied (ansible_env's policy).
    for key in [k for k in config.env if k.startswith(("ANSIBLE_", "MOLECULE_")) and k in os.environ]:
        if config.env[key] == os.environ[key] and key not in config.envvars:
            del config.env[key]
    began_wall, began = time.time(), time.monotonic()
    runner = ansible_runner.Runner(config, event_handler=lambda event: events.append(event) or False,
                                   cancel_callback=lambda: False)
    runner.run()
    shutil.rmtree(private, ignore_errors=True)
    argv = ["ansible-playbook", *(f"-i{i}" for i in inventories), playbook_arg, *args]
    run = Run(argv, runner.rc, runner.status, time.monotonic() - began, began_wall, events)
    with open(OUT_DIR / "playbooks.log", "a") as log:
        log.write(run.log())
    return run


def write_inventory(path: pathlib.Path, groups: dict[str, list[str]]) -> str:
    """An inventory of the same hosts (same connection settings) in the groups given."""
    connection = {name: {k: v for k, v in hostvars(name).items() if k.startswith("ansible_")}
                  for hosts in groups.values() for name in hosts}
    data = {"all": {"children": {g: {"hosts": {h: connection[h] for h in hosts}} for g, hosts in groups.items()}}}
    path.write_text(json.dumps(data))
    return str(path)


def write_host_vars(path: pathlib.Path, host_vars: dict[str, dict]) -> str:
    """An inventory that adds variables to hosts of the scenario's (pass both, this one last):
    host variables outrank the scenario's group variables."""
    path.write_text(json.dumps({"all": {"hosts": host_vars}}))
    return str(path)


def release_source(dest: pathlib.Path, patch: Callable[[pathlib.Path], None]) -> tuple[pathlib.Path, str]:
    """A new release: a copy of the checkout's app/ at `dest`, changed by patch(dest). Returns the
    copy (for -e ai_navigator_app_source_dir) and the release id the app role derives from it
    (<version>-<source digest>, by roles/app/files/wheelhouse.py itself)."""
    import importlib.util

    shutil.copytree(REPO / "app", dest,
                    ignore=shutil.ignore_patterns(".venv", "build", "*.egg-info", "__pycache__", ".pytest_cache"))
    patch(dest)
    spec = importlib.util.spec_from_file_location("wheelhouse", REPO / "roles/app/files/wheelhouse.py")
    assert spec is not None and spec.loader is not None
    wheelhouse = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(wheelhouse)
    version = re.search(r'^version = "([^"]+)"', (dest / "pyproject.toml").read_text(), re.M).group(1)
    return dest, f"{version}-{wheelhouse.source_digest(dest)}"


def assert_refused(run: Run, expected: dict[str, list[tuple[str, str]]]) -> None:
    """Each host's one preflight message names the host, then exactly the failed checks expected
    for it — (variable, words) — and nothing else; hosts not listed did not fail."""
    messages = run.failures
    assert set(messages) == set(expected), \
        f"failed hosts {sorted(messages)}, expected {sorted(expected)}:\n{run.tail()}"
    for name, checks in expected.items():
        message = messages[name]
        assert message.startswith(f"{name}: "), f"{name}: the message does not start with the host: {message}"
        items = re.split(r"; (?=ai_navigator_|the inventory host)", message.removeprefix(f"{name}: "))
        assert len(items) == len(checks), f"{name}: {len(checks)} failed checks expected, got {len(items)}: {message}"
        for variable, words in checks:
            assert any(variable in item and words in item for item in items), \
                f"{name}: no failed check names {variable} with {words!r}: {message}"


# --- background load -------------------------------------------------------------------------

class Load:
    """bench/loadgen.py in the background: `Load(url, *loadgen arguments)`, e.g.
    Load(url, "--rate", "100", "--workers", "8"); any loadgen option passes through unchanged.
    An https:// URL gets --cacert with the lab CA unless given. start() waits until the URL
    answers 200, then starts the load; stop() ends it (SIGINT) and returns loadgen's JSON report
    with its summary line as report["line"]. As a context manager: stopped at the block's end,
    the report in .report."""

    def __init__(self, url: str, *args: str) -> None:
        self.url, self.args = url, list(args)
        if url.startswith("https:") and "--cacert" not in self.args:
            self.args += ["--cacert", str(TLS_CA)]
        if "--duration" not in self.args:
            self.args += ["--duration", "900"]  # until stop()
        self.out = tempfile.NamedTemporaryFile(prefix="harness-load-", suffix=".json", delete=False).name
        self.proc: subprocess.Popen | None = None
        self.report: dict = {}
        self.began = self.began_wall = 0.0

    def start(self) -> Load:
        wait_for(lambda: status(self.url) == 200, timeout=30)
        self.proc = subprocess.Popen([sys.executable, str(LOADGEN), self.url, *self.args, "--out", self.out],
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.began, self.began_wall = time.monotonic(), time.time()
        return self

    def stop(self) -> dict:
        assert self.proc is not None, "the load was never started"
        self.proc.send_signal(signal.SIGINT)
        stdout, stderr = self.proc.communicate(timeout=30)
        assert self.proc.returncode == 0, f"loadgen failed: {stderr}"
        self.report = json.loads(pathlib.Path(self.out).read_text())
        os.unlink(self.out)
        self.report["line"] = stdout.strip()
        return self.report

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()

    def __enter__(self) -> Load:
        return self.start() if self.proc is None else self

    def __exit__(self, *exc) -> None:
        if exc[0] is None:
            self.stop()
        else:
            self.kill()


@pytest.fixture
def load() -> Iterator[Callable[..., Load]]:
    """load(url, *loadgen arguments) starts a Load; whatever a test leaves running is killed."""
    started: list[Load] = []

    def start(url: str, *args: str) -> Load:
        started.append(Load(url, *args).start())
        return started[-1]

    yield start
    for one in started:
        one.kill()


# --- polling ---------------------------------------------------------------------------------

def wait_for(predicate: Callable[[], Any], timeout: float, interval: float = 0.05) -> tuple[Any, float]:
    """Poll until predicate() is truthy; returns (value, seconds waited) or fails naming the
    predicate (its docstring, if it has one)."""
    began = time.monotonic()
    while True:
        value = predicate()
        if value:
            return value, time.monotonic() - began
        if time.monotonic() - began > timeout:
            raise AssertionError(f"still not true after {timeout} s: {predicate.__doc__ or predicate}")
        time.sleep(interval)


# --- figures ---------------------------------------------------------------------------------

FIGURES: list[str] = []


def figure(line: str) -> None:
    """A measured figure: printed now, and again with every other at the end of the run."""
    FIGURES.append(line)
    print("\n" + line)


def pytest_terminal_summary(terminalreporter) -> None:
    if not FIGURES:
        return
    out = OUT_DIR / "figures.txt"
    out.write_text("\n".join(FIGURES) + "\n")
    terminalreporter.section(f"figures ({os.environ.get('MOLECULE_SCENARIO_NAME', LAB_NAME)})")
    for line in FIGURES:
        terminalreporter.write_line(line)
    terminalreporter.write_line(f"(written to {out}; playbook output with timings: {OUT_DIR / 'playbooks.log'})")


# --- systemd restart policies ----------------------------------------------------------------

RESTART_PROPERTIES = ("Restart", "RestartUSec", "StartLimitBurst", "StartLimitIntervalUSec")
_SPAN_UNITS = {"us": 1e-6, "ms": 1e-3, "s": 1.0, "min": 60.0, "h": 3600.0, "d": 86400.0}


def seconds(span: str) -> float:
    """A systemd time span as systemctl shows it ('500ms', '1min 30s', 'infinity') in seconds."""
    if span == "infinity":
        return float("inf")
    parts = re.findall(r"(\d+(?:\.\d+)?)\s*(us|ms|min|s|h|d)", span)
    assert parts and "".join(f"{n}{u}" for n, u in parts) == span.replace(" ", ""), f"not a time span: {span!r}"
    return sum(float(n) * _SPAN_UNITS[u] for n, u in parts)


def restart_policy_problems(host_name: str, unit: str, role: str, prefix: str) -> list[str]:
    """What keeps `unit` on the host from coming back after a crash or from ending a crash loop,
    against the values its role configures by default; empty when it is sound."""
    shown = unit_properties(host_name, unit, *RESTART_PROPERTIES)
    policy = {"restart": shown["Restart"], "restart_sec": seconds(shown["RestartUSec"]),
              "burst": int(shown["StartLimitBurst"]), "interval_sec": seconds(shown["StartLimitIntervalUSec"])}
    defaults = role_defaults(role)
    return [f"{host_name}: {problem}" for problem in check_restart_policy(
        unit, policy, defaults[f"{prefix}_restart_sec"], defaults[f"{prefix}_start_limit_burst"],
        defaults[f"{prefix}_start_limit_interval_sec"])]


def check_restart_policy(unit: str, policy: dict, restart_sec: float, burst: int, interval_sec: float) -> list[str]:
    problems = []
    if policy["restart"] not in ("always", "on-failure", "on-abnormal"):
        problems.append(f"{unit}: Restart={policy['restart']} does not restart it after a crash or kill -9")
    if (policy["restart_sec"], policy["burst"], policy["interval_sec"]) != (float(restart_sec), burst,
                                                                              float(interval_sec)):
        problems.append(f"{unit}: RestartSec/StartLimitBurst/StartLimitIntervalSec are {policy['restart_sec']}/"
                        f"{policy['burst']}/{policy['interval_sec']}, "
                        f"the role sets {restart_sec}/{burst}/{interval_sec}")
    if policy["burst"] < 2:
        problems.append(f"{unit}: StartLimitBurst={policy['burst']} leaves no restart after the first start")
    if not 0 < policy["restart_sec"] * policy["burst"] < policy["interval_sec"] < float("inf"):
        problems.append(f"{unit}: a crash loop never hits the start limit ({policy['burst']} starts "
                        f"{policy['restart_sec']} s apart within {policy['interval_sec']} s)")
    return problems
