"""The lab fleet seen from the controller: addresses, SSH, lab.sh, load through the VIP, figures.

The fault tests drive real hosts (molecule/shared/lab.sh) directly and fast: one SSH master
connection per host, `ip netns` for link faults, `lab.sh stop/start` for power faults, and
bench/loadgen.py as a background process for the constant load through the VIP. Each fault
records one line of figures; they are printed at the end of the run and written to
$MOLECULE_EPHEMERAL_DIRECTORY/failover-figures.txt.
"""

from __future__ import annotations

import http.client
import json
import os
import pathlib
import signal
import ssl
import subprocess
import sys
import tempfile
import threading
import time

import pytest
import yaml

HERE = pathlib.Path(__file__).resolve().parent
PROJECT = HERE.parents[2]
LAB_SH = PROJECT / "molecule" / "shared" / "lab.sh"
LOADGEN = PROJECT / "bench" / "loadgen.py"
LAB_ROOT = pathlib.Path(os.environ.get("LAB_ROOT") or "/var/lib/ai-navigator-lab")
LAB_NAME = os.environ.get("LAB_NAME") or os.environ.get("MOLECULE_SCENARIO_NAME") or "failover"

FIGURES: list[str] = []
# The LBs serve HTTPS (port 443) with certificates of the CA the controller generated.
TLS_CA = LAB_ROOT / LAB_NAME / "tls" / "ca.crt"  # lab.sh gives each lab its own CA


class Lab:
    def __init__(self) -> None:
        self.dir = LAB_ROOT / LAB_NAME
        inventory = yaml.safe_load((self.dir / "hosts.yml").read_text())
        self.vars = inventory["all"]["vars"]
        self.vip: str = self.vars["lab_vip"]
        self.key: str = self.vars["ansible_ssh_private_key_file"]
        self.groups = {group: sorted(body["hosts"]) for group, body in inventory["all"]["children"].items()}
        self.address = {host: hv["ansible_host"] for body in inventory["all"]["children"].values()
                        for host, hv in body["hosts"].items()}
        self.control_dir = tempfile.mkdtemp(prefix="failover-ssh-")

    def netns(self, host: str) -> str:
        return (self.dir / host / "netns").read_text().strip()

    def ssh(self, host: str, command: str, check: bool = True, timeout: float = 30) -> str:
        argv = ["ssh", "-i", self.key, "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null",
                "-o", "LogLevel=ERROR", "-o", "BatchMode=yes", "-o", "ConnectTimeout=3",
                "-o", "ControlMaster=auto", "-o", f"ControlPath={self.control_dir}/%h", "-o", "ControlPersist=120",
                f"root@{self.address[host]}", command]
        done = subprocess.run(argv, capture_output=True, text=True, timeout=timeout)
        if check and done.returncode != 0:
            raise AssertionError(f"{host}: `{command}` exited {done.returncode}: {done.stderr.strip()}")
        return done.stdout.strip()

    def lab_sh(self, *args: str) -> None:
        subprocess.run([str(LAB_SH), *args], check=True, capture_output=True, text=True, timeout=120)

    def running(self, host: str) -> bool:
        """The host's machine is up (its nspawn process lives)."""
        pid = (self.dir / host / "nspawn.pid").read_text().strip()
        return pathlib.Path(f"/proc/{pid}").exists()

    def main_pid(self, host: str, port: int) -> int:
        return int(self.ssh(host, f"systemctl show -p MainPID --value ai-navigator@{port}.service") or 0)

    def vrrp_state(self, host: str) -> str | None:
        """keepalived's VRRP state on the host (MASTER, BACKUP, FAULT): the last one it logged."""
        out = self.ssh(host, "journalctl -u keepalived.service -o cat --no-pager -n 300"
                             " | grep -o 'Entering [A-Z]* STATE' | tail -n 1", check=False)
        return out.split()[1] if out else None

    def unit(self, host: str, unit: str) -> dict[str, str]:
        """Properties of a systemd unit on the host: active state, result, restarts, main pid."""
        out = self.ssh(host, f"systemctl show -p ActiveState -p Result -p NRestarts -p MainPID {unit}")
        return dict(line.split("=", 1) for line in out.splitlines())

    def vip_holder(self) -> str | None:
        """The LB whose interface carries the VIP (asked from the controller, in its namespace)."""
        holders = []
        for host in self.groups["ai_navigator_lb"]:
            out = subprocess.run(["ip", "-n", self.netns(host), "-4", "-o", "addr", "show"],
                                 capture_output=True, text=True).stdout
            if f" {self.vip}/" in out:
                holders.append(host)
        assert len(holders) <= 1, f"the VIP {self.vip} is on several hosts at once: {holders}"
        return holders[0] if holders else None


@pytest.fixture(scope="session")
def lab() -> Lab:
    return Lab()


def get(address: str, path: str, port: int = 443, timeout: float = 0.5) -> tuple[int | None, dict[str, str]]:
    """One request on a fresh connection (HTTPS on 443, verified against the lab CA): (status or None, headers)."""
    conn = (http.client.HTTPSConnection(address, port, timeout=timeout, context=ssl.create_default_context(cafile=TLS_CA))
            if port == 443 else http.client.HTTPConnection(address, port, timeout=timeout))
    try:
        conn.request("GET", path)
        response = conn.getresponse()
        response.read()
        return response.status, {k.lower(): v for k, v in response.getheaders()}
    except (OSError, http.client.HTTPException):
        return None, {}
    finally:
        conn.close()


def wait_for(predicate, timeout: float, interval: float = 0.05):
    """Poll until predicate() is truthy; returns (value, seconds waited) or fails."""
    began = time.monotonic()
    while True:
        value = predicate()
        if value:
            return value, time.monotonic() - began
        if time.monotonic() - began > timeout:
            raise AssertionError(f"still not true after {timeout} s: {predicate.__doc__ or predicate}")
        time.sleep(interval)


class Load:
    """bench/loadgen.py in the background against the VIP; stop() returns its JSON report."""

    def __init__(self, url: str, rate: float = 40, workers: int = 4, timeout: float = 5) -> None:
        self.out = tempfile.NamedTemporaryFile(prefix="failover-load-", suffix=".json", delete=False).name
        self.proc = subprocess.Popen(
            [sys.executable, str(LOADGEN), url, "--rate", str(rate), "--workers", str(workers), "--cacert", str(TLS_CA),
             "--timeout", str(timeout), "--duration", "600", "--out", self.out],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.started, self.began_wall = time.monotonic(), time.time()

    def stop(self) -> dict:
        self.proc.send_signal(signal.SIGINT)
        stdout, stderr = self.proc.communicate(timeout=30)
        assert self.proc.returncode == 0, f"loadgen failed: {stderr}"
        report = json.loads(pathlib.Path(self.out).read_text())
        os.unlink(self.out)
        report["line"] = stdout.strip()
        return report


@pytest.fixture
def load(lab):
    """Starts constant load through the VIP; the test calls .stop() (or it is stopped at teardown)."""
    started: list[Load] = []

    def start(**kwargs) -> Load:
        # The fleet must answer through the VIP before a fault is injected.
        wait_for(lambda: get(lab.vip, "/version")[0] == 200, timeout=30)
        one = Load(f"https://{lab.vip}/version", **kwargs)
        started.append(one)
        return one

    yield start
    for one in started:
        if one.proc.poll() is None:
            one.proc.kill()


class VipWatcher(threading.Thread):
    """Asks the VIP every 50 ms on a fresh connection and records which LB answered."""

    def __init__(self, vip: str) -> None:
        super().__init__(daemon=True)
        self.vip = vip
        self.samples: list[tuple[float, str | None]] = []
        self.halt = threading.Event()

    def run(self) -> None:
        while not self.halt.is_set():
            at = time.monotonic()
            status, headers = get(self.vip, "/version", timeout=0.3)
            self.samples.append((at, headers.get("x-ai-navigator-lb") if status == 200 else None))
            self.halt.wait(0.05)

    def longest_silence(self, after: float) -> float:
        """Longest time between two answers (any LB) from `after` on: what a new client saw."""
        answers = [at for at, who in self.samples if who and at >= after]
        return max((b - a for a, b in zip(answers, answers[1:])), default=float("inf"))

    def first_answer_from(self, lb: str, after: float) -> float | None:
        return next((at for at, who in self.samples if who == lb and at >= after), None)


def record(line: str) -> None:
    FIGURES.append(line)
    print(line)


def pytest_terminal_summary(terminalreporter):
    if not FIGURES:
        return
    terminalreporter.section("failover figures (one line per fault)")
    for line in FIGURES:
        terminalreporter.write_line(line)
    out = pathlib.Path(os.environ.get("MOLECULE_EPHEMERAL_DIRECTORY") or tempfile.gettempdir()) / "failover-figures.txt"
    out.write_text("\n".join(FIGURES) + "\n")
    terminalreporter.write_line(f"(written to {out})")
