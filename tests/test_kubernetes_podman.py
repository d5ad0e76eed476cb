"""Smoke run of the rendered Kubernetes manifests: the smoke overlay's Deployment and ConfigMap
under `podman kube play`, with the image built from app/Dockerfile on the stand-in base.

podman runs with its own storage, run and temp directories under one temporary directory and
slirp4netns networking (no bridge, no firewall rule), so nothing stays behind. podman does not
run Kubernetes probes reliably, so the test asks /health and /ready itself; it stops the pod with
`podman kube down` and checks the service drained (readiness 503 while still answering) and
exited 0. It needs root, podman and a minute or more: `make k8s` runs it (AI_NAVIGATOR_CONTAINERS=1,
the switch the other container tests use); without the variable it is skipped."""

from __future__ import annotations

import json
import os
import pathlib
import shutil
import socket
import subprocess
import tempfile
import threading
import time
import urllib.error
import urllib.request

import pytest
import yaml
from test_kubernetes import ROOT, container, objects, one, quantity, settings_from

pytestmark = pytest.mark.skipif(os.environ.get("AI_NAVIGATOR_CONTAINERS") != "1",
                                reason="container tests: run them with `make k8s` or `make containers`")

OVERLAY = "smoke"
CONTAINERS_CONF = ROOT / "deploy" / "kubernetes" / "overlays" / OVERLAY / "containers.conf"
START_TIMEOUT = 60


class Podman:
    """podman with every piece of state under one directory: storage, run state, libpod's temp
    files, volumes, network configs and events."""

    def __init__(self, base: pathlib.Path):
        self.base = base
        self.args = ["podman", "--root", str(base / "storage"), "--runroot", str(base / "run"),
                     "--tmpdir", str(base / "tmp"), "--volumepath", str(base / "volumes"),
                     "--network-config-dir", str(base / "networks"), "--events-backend", "file",
                     "--cgroup-manager", "cgroupfs", "--runtime", "runc", "--storage-driver", "overlay"]
        self.env = {**os.environ, "CONTAINERS_CONF": str(CONTAINERS_CONF)}

    def run(self, *args: str, timeout: float = 300, check: bool = True, **kwargs) -> subprocess.CompletedProcess:
        result = subprocess.run([*self.args, *args], capture_output=True, text=True, env=self.env,
                                timeout=timeout, **kwargs)
        if check:
            assert result.returncode == 0, f"podman {' '.join(args)}:\n{result.stdout}\n{result.stderr}"
        return result



# What podman could create outside its state directory: network namespaces, helper processes,
# CNI bridges, firewall rules and IP allocations. Only podman's own names are compared, so a
# lab another checkout starts meanwhile is not counted.
HELPERS = ("conmon", "slirp4netns", "rootlessport", "rootlessport-child", "catatonit")


def host_state() -> set[str]:
    state = {f"netns {n.name}" for n in pathlib.Path("/run/netns").glob("netns-*")}
    state |= {f"link {n.name}" for n in pathlib.Path("/sys/class/net").glob("*")
              if n.name.startswith(("cni", "podman"))}
    state |= {f"path {p}" for p in (pathlib.Path("/var/lib/cni"), pathlib.Path("/etc/cni/net.d/cni.lock"))
              if p.exists()}
    for table in ("filter", "nat"):
        rules = subprocess.run(["iptables", "-t", table, "-S"], capture_output=True, text=True).stdout
        state |= {f"iptables {table} {r}" for r in rules.splitlines() if "cni" in r.lower() or "podman" in r.lower()}
    for comm in pathlib.Path("/proc").glob("[0-9]*/comm"):
        try:
            name = comm.read_text().strip()
        except OSError:
            continue
        if name in HELPERS:
            state.add(f"process {comm.parent.name} {name}")
    return state


@pytest.fixture(scope="module")
def podman():
    before = host_state()
    base = pathlib.Path(tempfile.mkdtemp(prefix="ai-navigator-k8s-", dir="/var/tmp"))
    engine = Podman(base)
    try:
        yield engine
    finally:
        engine.run("pod", "rm", "--all", "--force", "--time", "0", check=False, timeout=120)
        engine.run("system", "reset", "--force", check=False, timeout=300)
        mounts = [line for line in pathlib.Path("/proc/mounts").read_text().splitlines() if str(base) in line]
        shutil.rmtree(base, ignore_errors=True)
        assert not mounts, f"podman left mounts: {mounts}"
        assert not base.exists()
        # conmon and slirp4netns exit a moment after the reset returns: give them a few seconds.
        deadline = time.monotonic() + 10
        while host_state() - before and time.monotonic() < deadline:
            time.sleep(0.2)
        assert host_state() - before == set(), "podman left these behind"


@pytest.fixture(scope="module")
def image(podman) -> str:
    """The service's image from app/Dockerfile, as `docker build` makes it, on the stand-in base."""
    image = container(OVERLAY)["image"]
    started = time.monotonic()
    for step in ([ROOT / "scripts" / "containers" / "standin-base.sh", *podman.args],
                 [ROOT / "scripts" / "containers" / "build-context.sh"]):
        result = subprocess.run(step, capture_output=True, text=True, env=podman.env, timeout=600)
        assert result.returncode == 0, f"{step[0].name}:\n{result.stdout}\n{result.stderr}"
    # --format docker keeps HEALTHCHECK (the OCI format drops it). --network none: the build
    # installs from the wheelhouse only, and podman's default build network is a CNI bridge with
    # firewall rules on the host.
    podman.run("build", "--format", "docker", "--network", "none", "--tag", image, str(ROOT / "app"), timeout=600)
    print(f"\nstand-in base, wheelhouse and podman build: {time.monotonic() - started:.1f} s")
    return image


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def get(url: str, timeout: float = 2) -> tuple[int, dict]:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read() or b"{}")


def kube_manifest(port: int) -> str:
    """The smoke overlay's ConfigMap and Deployment as rendered, plus one addition: a host port on
    127.0.0.1 for the container port, so the test reaches the pod (podman 4.3's kube play has
    no --publish)."""
    docs = [o for o in objects(OVERLAY) if o["kind"] in ("ConfigMap", "Deployment")]
    for doc in docs:
        if doc["kind"] == "Deployment":
            for p in doc["spec"]["template"]["spec"]["containers"][0]["ports"]:
                p.update(hostPort=port, hostIP="127.0.0.1")
    return yaml.safe_dump_all(docs)


@pytest.fixture(scope="module")
# image is requested for its side effect: the service's image is built before kube play.
def pod(podman, image):  # noqa: ARG001
    port = free_port()
    manifest = podman.base / "kube.yaml"
    manifest.write_text(kube_manifest(port))
    started = time.monotonic()
    podman.run("kube", "play", "--network", "slirp4netns", str(manifest), timeout=180)
    played_after = time.monotonic() - started
    url = f"http://127.0.0.1:{port}"
    deadline = started + START_TIMEOUT
    while True:
        try:
            if get(f"{url}/ready", timeout=1)[0] == 200:
                break
        except (OSError, ValueError):
            pass
        assert time.monotonic() < deadline, f"not ready after {START_TIMEOUT}s:\n{logs(podman, container_name(podman))}"
        time.sleep(0.1)
    ready_after = time.monotonic() - started
    print(f"\nkube play to /ready 200: {ready_after:.1f} s (the kube play command: {played_after:.1f} s)")
    return {"url": url, "manifest": manifest, "ready_after": ready_after, "container": container_name(podman)}


def container_name(podman) -> str:
    names = [n for n in podman.run("ps", "--format", "{{.Names}}").stdout.split() if not n.endswith("-infra")]
    assert len(names) == 1, names
    return names[0]


def logs(podman, name: str) -> str:
    result = podman.run("logs", name, check=False)
    return result.stdout + result.stderr


def test_pod_answers_health_and_ready(pod):
    status, body = get(f"{pod['url']}/health")
    assert status == 200 and body["status"] == "healthy"
    assert get(f"{pod['url']}/ready") == (200, {"status": "ready"})


def test_configmap_reaches_the_process(pod):
    status, body = get(f"{pod['url']}/version")
    assert status == 200
    assert body["release"] == settings_from(OVERLAY).release == "k8s-smoke"


def proc_status(pid: int) -> dict[str, str]:
    lines = pathlib.Path(f"/proc/{pid}/status").read_text().splitlines()
    return dict(line.split(":\t", 1) for line in lines if ":\t" in line)


def test_pod_runs_as_the_deployment_says(podman, pod):
    """The security context and limits reach the runtime: the service's process, seen from the host."""
    spec = container(OVERLAY)
    run_as = one(OVERLAY, "Deployment")["spec"]["template"]["spec"]["securityContext"]["runAsUser"]
    (info,) = json.loads(podman.run("inspect", pod["container"]).stdout)
    status = proc_status(info["State"]["Pid"])
    assert status["Uid"].split()[0] == status["Gid"].split()[0] == str(run_as)
    assert status["CapEff"] == status["CapBnd"] == "0000000000000000"  # capabilities: drop ALL
    assert status["NoNewPrivs"] == "1"  # allowPrivilegeEscalation: false
    assert status["Seccomp"] == "2"  # a seccomp filter (RuntimeDefault)
    assert info["HostConfig"]["ReadonlyRootfs"] is True
    assert info["HostConfig"]["Memory"] == quantity(spec["resources"]["limits"]["memory"])
    assert info["HostConfig"]["NanoCpus"] == quantity(spec["resources"]["limits"]["cpu"]) * 1e9
    # The memory request (what the scheduler reserves) covers the started service's footprint.
    rss = int(status["VmRSS"].split()[0]) * 1024
    print(f"\nresident memory after start: {rss / 2**20:.0f} MiB (request {spec['resources']['requests']['memory']})")
    assert rss <= quantity(spec["resources"]["requests"]["memory"])
    denied = podman.run("exec", pod["container"], "python3", "-c", "open('/probe', 'w')", check=False)
    assert denied.returncode != 0 and "Read-only file system" in denied.stderr


def test_sigterm_drains_then_exits_0(podman, pod):
    """What the kubelet does after the preStop sleep: SIGTERM to the app container, SIGKILL after
    terminationGracePeriodSeconds. /ready turns 503 while the service still answers (the drain),
    then the process exits 0 well before the grace period ends."""
    grace_period = one(OVERLAY, "Deployment")["spec"]["template"]["spec"]["terminationGracePeriodSeconds"]
    seen: list[int | str] = []
    stop = threading.Event()

    def poll_ready():
        while not stop.is_set():
            try:
                status = get(f"{pod['url']}/ready", timeout=1)[0]
            except (OSError, ValueError):
                status = "refused"
            if not seen or seen[-1] != status:
                seen.append(status)
            time.sleep(0.02)

    poller = threading.Thread(target=poll_ready, daemon=True)
    poller.start()
    time.sleep(0.2)
    started = time.monotonic()
    podman.run("stop", "--time", str(grace_period), pod["container"], timeout=grace_period + 30)
    stopped_after = time.monotonic() - started
    time.sleep(0.2)
    stop.set()
    poller.join()
    (info,) = json.loads(podman.run("inspect", pod["container"]).stdout)
    output = logs(podman, pod["container"])
    print(f"\nSIGTERM to exit: {stopped_after:.1f} s; /ready answers in order: {seen}; "
          f"exit code {info['State']['ExitCode']}")
    assert seen == [200, 503, "refused"], output
    assert info["State"]["ExitCode"] == 0, output
    events = [json.loads(line).get("event") for line in output.splitlines() if line.startswith("{")]
    assert "draining" in events, output
    assert settings_from(OVERLAY).drain_seconds <= stopped_after < grace_period


def test_kube_down_removes_the_pod(podman, pod):
    """podman 4.3's kube down stops with timeout 0 (SIGKILL; podman issues #19135, #21767, fixed
    in 5.1): the container was stopped with SIGTERM above, as the kubelet would; kube down removes
    what kube play created."""
    down = podman.run("kube", "down", str(pod["manifest"]), timeout=120)
    assert "Pods removed" in down.stdout
    assert podman.run("ps", "--all", "--quiet").stdout.strip() == ""
    assert podman.run("pod", "ps", "--quiet").stdout.strip() == ""
