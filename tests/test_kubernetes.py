"""Kubernetes manifests (deploy/kubernetes): every overlay renders with `kubectl kustomize`,
validates against the schemas of the oldest and newest Kubernetes we support, and means what the
service needs: probes on routes it serves, a grace period that covers its drain, settings it
reads, resources the app role gives an instance. No cluster runs here; the podman smoke run of
the rendered Deployment is in test_kubernetes_smoke.py."""

from __future__ import annotations

import copy
import pathlib
import re
import shutil
import subprocess
import sys
import time

import pytest
import yaml
from deploy_facts import DOCKERFILE, ENV_PREFIX, HEALTH_PATH, READY_PATH, load
from fastapi.testclient import TestClient
from pydantic import ValidationError

from ai_navigator.app import create_app
from ai_navigator.lifecycle import Lifecycle
from ai_navigator.settings import Settings

ROOT = pathlib.Path(__file__).resolve().parents[1]
KUSTOMIZE = ROOT / "deploy" / "kubernetes"
OVERLAYS = sorted(p.name for p in (KUSTOMIZE / "overlays").iterdir() if (p / "kustomization.yaml").exists())
# Oldest: the first release whose API server honours lifecycle.preStop.sleep by default
# (PodLifecycleSleepAction, beta and on in 1.30). Newest: the newest schemas kubernetes-validate ships.
KUBERNETES_VERSIONS = ("1.30.0", "1.37.0")
FACTS = load()  # the app role's values every deployment path shares (tests/deploy_facts.py)
SETTINGS_PREFIX = ENV_PREFIX


def tool(name: str) -> str:
    """The pinned tool from the venv running the tests (requirements-dev.txt), else PATH."""
    local = pathlib.Path(sys.executable).parent / name
    found = str(local) if local.exists() else shutil.which(name)
    assert found, f"{name} not found: install requirements-dev.txt (scripts/setup.sh)"
    return found


def render(overlay: str) -> str:
    result = subprocess.run([tool("kubectl"), "kustomize", str(KUSTOMIZE / "overlays" / overlay)],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    return result.stdout


_RENDERED: dict[str, str] = {}


def rendered_text(overlay: str) -> str:
    if overlay not in _RENDERED:
        started = time.monotonic()
        _RENDERED[overlay] = render(overlay)
        print(f"\nkubectl kustomize {overlay}: {time.monotonic() - started:.2f} s")
    return _RENDERED[overlay]


def objects(overlay: str) -> list[dict]:
    return [doc for doc in yaml.safe_load_all(rendered_text(overlay)) if doc]


def one(overlay: str, kind: str) -> dict:
    found = [o for o in objects(overlay) if o["kind"] == kind]
    assert len(found) == 1, f"{overlay}: expected one {kind}, found {len(found)}"
    return found[0]


def container(overlay: str) -> dict:
    (c,) = one(overlay, "Deployment")["spec"]["template"]["spec"]["containers"]
    return c


def pod_labels(overlay: str) -> dict:
    return one(overlay, "Deployment")["spec"]["template"]["metadata"]["labels"]


def selects(selector: dict, labels: dict) -> bool:
    """A matchLabels selector (all we use) selects these labels; an empty selector selects nothing here."""
    assert set(selector) <= {"matchLabels"}, f"only matchLabels selectors are checked: {selector}"
    wanted = selector.get("matchLabels") or {}
    return bool(wanted) and all(labels.get(k) == v for k, v in wanted.items())


def container_port(overlay: str, port: int | str) -> int:
    """A probe's or Service's port (number or name) as the container port number it reaches."""
    ports = container(overlay)["ports"]
    if isinstance(port, int):
        assert port in [p["containerPort"] for p in ports], f"port {port} is not a container port"
        return port
    named = [p["containerPort"] for p in ports if p.get("name") == port]
    assert named, f"no container port named {port!r}"
    return named[0]


def settings_env(overlay: str) -> dict[str, str]:
    """The environment the pod gets: the data of every ConfigMap its container reads with envFrom."""
    configmaps = {o["metadata"]["name"]: o for o in objects(overlay) if o["kind"] == "ConfigMap"}
    env: dict[str, str] = {}
    for source in container(overlay).get("envFrom", []):
        name = source["configMapRef"]["name"]
        assert name in configmaps, f"envFrom names ConfigMap {name!r}, which the overlay does not render"
        env.update(configmaps[name]["data"])
    return env


def settings_problems(env: dict[str, str]) -> list[str]:
    """What is wrong with these AI_NAVIGATOR_* variables for the service: unknown names (Settings
    ignores extra variables, so a typo would silently do nothing) and values Settings rejects."""
    problems = [f"{key}: not an AI_NAVIGATOR_* setting" for key in env if not key.startswith(SETTINGS_PREFIX)]
    fields = set(Settings.model_fields)
    problems += [f"{key}: Settings has no field {key[len(SETTINGS_PREFIX):].lower()!r}"
                 for key in env if key.startswith(SETTINGS_PREFIX) and key[len(SETTINGS_PREFIX):].lower() not in fields]
    if not problems:
        try:
            Settings(**{key[len(SETTINGS_PREFIX):].lower(): value for key, value in env.items()})
        except ValidationError as exc:
            problems += [f"{SETTINGS_PREFIX}{'_'.join(map(str, e['loc'])).upper()}: {e['msg']}" for e in exc.errors()]
    return problems


def settings_from(overlay: str) -> Settings:
    env = settings_env(overlay)
    return Settings(**{key[len(SETTINGS_PREFIX):].lower(): value for key, value in env.items()})


_QUANTITY = re.compile(r"^(\d+(?:\.\d+)?)(m|k|M|G|T|Ki|Mi|Gi|Ti)?$")
_FACTORS = {None: 1, "m": 1e-3, "k": 1e3, "M": 1e6, "G": 1e9, "T": 1e12,
            "Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "Ti": 2**40}


def quantity(value: str | int | float) -> float:
    """A Kubernetes resource quantity ("512Mi", "250m", "1") as a number (bytes or cores)."""
    match = _QUANTITY.match(str(value))
    assert match, f"not a quantity: {value!r}"
    return float(match.group(1)) * _FACTORS[match.group(2)]


# ---- render and validate ----------------------------------------------------------------------

def test_every_overlay_is_tested():
    assert {"production", "smoke"} <= set(OVERLAYS)


@pytest.mark.parametrize("version", KUBERNETES_VERSIONS)
@pytest.mark.parametrize("overlay", OVERLAYS)
def test_overlay_validates_strictly(overlay, version, tmp_path):
    manifest = tmp_path / f"{overlay}.yaml"
    manifest.write_text(rendered_text(overlay))
    started = time.monotonic()
    result = subprocess.run([tool("kubernetes-validate"), "--strict", "-k", version, str(manifest)],
                            capture_output=True, text=True, timeout=120)
    print(f"\nkubernetes-validate --strict -k {version} {overlay}: {time.monotonic() - started:.2f} s")
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    # Every object was checked against a schema (an unknown kind is only warned about).
    passed = re.findall(r"passed for resource (\S+) against version", output)
    assert len(passed) == len(objects(overlay)), output


def test_strict_validation_rejects_a_misspelt_field(tmp_path):
    """The validator is strict: a field Kubernetes would silently drop fails the check."""
    manifest = tmp_path / "typo.yaml"
    manifest.write_text(rendered_text("production").replace("readOnlyRootFilesystem", "readOnlyRootFileSystem"))
    result = subprocess.run([tool("kubernetes-validate"), "--strict", "-k", KUBERNETES_VERSIONS[-1], str(manifest)],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode != 0
    assert "readOnlyRootFileSystem" in result.stdout + result.stderr


def test_production_has_every_object():
    kinds = sorted(o["kind"] for o in objects("production"))
    assert kinds == sorted(["Namespace", "ConfigMap", "Deployment", "Service", "Ingress",
                            "HorizontalPodAutoscaler", "PodDisruptionBudget", "NetworkPolicy"])
    namespaced = [o for o in objects("production") if o["kind"] != "Namespace"]
    assert {o["metadata"].get("namespace") for o in namespaced} == {one("production", "Namespace")["metadata"]["name"]}


def test_smoke_overlay_is_one_replica_without_autoscaling():
    assert one("smoke", "Deployment")["spec"]["replicas"] == 1
    assert not [o for o in objects("smoke") if o["kind"] in ("HorizontalPodAutoscaler", "PodDisruptionBudget")]


# ---- the Deployment against the service ---------------------------------------------------------

@pytest.fixture(scope="module")
def client():
    lifecycle = Lifecycle()
    with TestClient(create_app(Settings(), lifecycle)) as c:
        yield c, lifecycle


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_probes_ask_routes_the_service_serves(overlay, client):
    c, lifecycle = client
    probes = {kind: container(overlay)[kind]["httpGet"] for kind in ("startupProbe", "livenessProbe", "readinessProbe")}
    assert probes["startupProbe"]["path"] == probes["livenessProbe"]["path"] == HEALTH_PATH
    assert probes["readinessProbe"]["path"] == READY_PATH
    for probe in probes.values():
        assert container_port(overlay, probe["port"]) == FACTS.port
        assert c.get(probe["path"]).status_code == 200, probe
    # Draining (after SIGTERM): readiness fails, so the pod leaves the endpoints; liveness still
    # passes, so the kubelet does not kill a pod that is finishing its requests.
    lifecycle.draining = True
    try:
        assert c.get(probes["readinessProbe"]["path"]).status_code == 503
        assert c.get(probes["livenessProbe"]["path"]).status_code == 200
    finally:
        lifecycle.draining = False


def kubernetes_problems(objs: list[dict]) -> list[str]:
    """Where a rendered overlay disagrees with the app role (tests/deploy_facts.py) and the service:
    port, probe paths, stop timing, resource limits, setting names and values."""
    by_kind = {o["kind"]: o for o in objs if o["kind"] != "ConfigMap"}
    pod = by_kind["Deployment"]["spec"]["template"]["spec"]
    (c,) = pod["containers"]
    ports = {p.get("name"): p["containerPort"] for p in c["ports"]}
    problems = []

    def port_of(port, where):
        number = ports.get(port, port)
        if number != FACTS.port:
            problems.append(f"{where}: port {port} is {number}, the service listens on {FACTS.port}")

    if sorted(ports.values()) != [FACTS.port]:
        problems.append(f"Deployment: container ports {sorted(ports.values())}, the service listens on {FACTS.port}")
    for kind, path in (("startupProbe", HEALTH_PATH), ("livenessProbe", HEALTH_PATH), ("readinessProbe", READY_PATH)):
        probe = c[kind]["httpGet"]
        if probe["path"] != path:
            problems.append(f"Deployment {kind}: path {probe['path']}, the service answers it on {path}")
        port_of(probe["port"], f"Deployment {kind}")
    for p in by_kind["Service"]["spec"]["ports"]:
        port_of(p["targetPort"], "Service targetPort")
    for rule in by_kind["NetworkPolicy"]["spec"]["ingress"]:
        for p in rule["ports"]:
            port_of(p["port"], "NetworkPolicy port")

    limits, requests = c["resources"]["limits"], c["resources"]["requests"]
    if quantity(limits["memory"]) != FACTS.memory_bytes:
        problems.append(f"Deployment: memory limit {limits['memory']} is {quantity(limits['memory']):.0f} bytes, "
                        f"the app role's MemoryMax is {FACTS.memory_bytes}")
    if quantity(limits["cpu"]) != FACTS.cpus:
        problems.append(f"Deployment: cpu limit {limits['cpu']}, the app role's CPUQuota is {FACTS.cpus} CPU")
    for name in ("cpu", "memory"):
        if not 0 < quantity(requests[name]) <= quantity(limits[name]):
            problems.append(f"Deployment: {name} request {requests[name]} is not within (0, {limits[name]}]")

    configmaps = {o["metadata"]["name"]: o.get("data", {}) for o in objs if o["kind"] == "ConfigMap"}
    env: dict[str, str] = {}
    for source in c.get("envFrom", []):
        env.update(configmaps.get(source["configMapRef"]["name"], {}))
    problems += [f"ConfigMap {p}" for p in settings_problems(env)]
    names = {k.removeprefix(ENV_PREFIX).lower() for k in env}
    problems += [f"ConfigMap: no {ENV_PREFIX}{n.upper()}, which the app role sets"
                 for n in sorted(FACTS.role_setting_names - names)]
    seconds = {}
    for name, expected in (("drain_seconds", FACTS.drain_seconds), ("grace_seconds", FACTS.grace_seconds)):
        seconds[name] = float(env.get(f"{ENV_PREFIX}{name.upper()}", Settings.model_fields[name].default))
        if seconds[name] != expected:
            problems.append(f"ConfigMap: {ENV_PREFIX}{name.upper()}={seconds[name]:g}, the app role uses {expected:g}")

    # The kubelet's stop: preStop sleep, then SIGTERM, SIGKILL at terminationGracePeriodSeconds
    # (counted from the start of preStop). The service needs drain + grace, plus the margin the
    # fleet's unit gives (TimeoutStopSec = drain + grace + 5).
    pre_stop = c.get("lifecycle", {}).get("preStop", {}).get("sleep", {}).get("seconds", 0)
    margin = FACTS.stop_timeout_seconds - FACTS.drain_seconds - FACTS.grace_seconds
    needed = pre_stop + seconds["drain_seconds"] + seconds["grace_seconds"] + margin
    if pre_stop <= 0:
        problems.append("Deployment: no preStop sleep (endpoints and the ingress need time to drop the pod)")
    if pod.get("terminationGracePeriodSeconds", 30) < needed:
        problems.append(f"Deployment: terminationGracePeriodSeconds {pod.get('terminationGracePeriodSeconds', 30)} "
                        f"< preStop {pre_stop} + drain + grace + 5 = {needed:g}")
    image_user = re.findall(r"^USER\s+(\d+):(\d+)\s*$", DOCKERFILE.read_text(), re.M)[-1]
    context = pod.get("securityContext", {})
    if (str(context.get("runAsUser")), str(context.get("runAsGroup"))) != image_user:
        problems.append(f"Deployment: runAsUser:runAsGroup {context.get('runAsUser')}:{context.get('runAsGroup')}, "
                        f"the image's USER is {':'.join(image_user)}")
    if pod.get("enableServiceLinks", True):
        problems.append("Deployment: enableServiceLinks is on: the Service would set AI_NAVIGATOR_PORT=tcp://...")
    return problems


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_overlay_agrees_with_the_app_role_and_the_service(overlay):
    assert kubernetes_problems(objects(overlay)) == []


def _container(objs):
    return next(o for o in objs if o["kind"] == "Deployment")["spec"]["template"]["spec"]["containers"][0]


def _pod(objs):
    return next(o for o in objs if o["kind"] == "Deployment")["spec"]["template"]["spec"]


def _settings(objs):
    return next(o for o in objs if o["kind"] == "ConfigMap")["data"]


@pytest.mark.parametrize(("drift", "named"), [
    (lambda o: _container(o)["ports"][0].update(containerPort=8080), "container ports"),
    (lambda o: _container(o)["readinessProbe"]["httpGet"].update(path="/health"), "readinessProbe: path"),
    (lambda o: _container(o)["livenessProbe"]["httpGet"].update(port=9000), "livenessProbe: port 9000"),
    (lambda o: _container(o)["resources"]["limits"].update(memory="512M"), "memory limit 512M"),
    (lambda o: _container(o)["resources"]["limits"].update(cpu="500m"), "cpu limit"),
    (lambda o: _container(o)["resources"]["requests"].update(memory="1Gi"), "memory request"),
    (lambda o: _pod(o).update(terminationGracePeriodSeconds=15), "terminationGracePeriodSeconds 15"),
    (lambda o: _container(o)["lifecycle"].pop("preStop"), "no preStop"),
    (lambda o: _pod(o).update(enableServiceLinks=True), "enableServiceLinks"),
    (lambda o: _pod(o)["securityContext"].update(runAsUser=1000), "the image's USER is 10001:10001"),
    (lambda o: _settings(o).update(AI_NAVIGATOR_DRAIN_SECONDS="5"), "DRAIN_SECONDS=5"),
    (lambda o: _settings(o).update(AI_NAVIGATOR_GRACE_SECONDS="25"), "GRACE_SECONDS=25"),
    (lambda o: _settings(o).update(AI_NAVIGATOR_GRACE="10"), "no field 'grace'"),
    (lambda o: _settings(o).pop("AI_NAVIGATOR_RELEASE"), "no AI_NAVIGATOR_RELEASE"),
    (lambda o: _settings(o).update(AI_NAVIGATOR_LOG_LEVEL="loud"), "LOG_LEVEL"),
])
def test_a_drifted_manifest_is_caught(drift, named):
    objs = copy.deepcopy(objects("production"))
    drift(objs)
    problems = kubernetes_problems(objs)
    assert any(named in p for p in problems), problems


def test_service_links_would_break_the_settings():
    """Why enableServiceLinks is off: for the Service "ai-navigator" Kubernetes sets
    AI_NAVIGATOR_PORT=tcp://<cluster ip>:80 in every pod of the namespace, which the service (and
    `ai-navigator healthcheck`) reads as its port."""
    service = one("production", "Service")["metadata"]["name"]
    injected = f"{service.upper().replace('-', '_')}_PORT"
    assert injected == f"{ENV_PREFIX}PORT"
    (problem,) = settings_problems({injected: "tcp://10.96.0.10:80"})
    assert problem.startswith(f"{ENV_PREFIX}PORT:")


def test_quantity_units():
    assert quantity("512Mi") == 512 * 2**20 == FACTS.memory_bytes
    assert quantity("512M") == 512 * 10**6  # decimal in Kubernetes: 24 MiB less than the fleet's 512M
    assert quantity("250m") == 0.25 and quantity("1") == 1 == FACTS.cpus


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_pod_is_locked_down(overlay):
    pod = one(overlay, "Deployment")["spec"]["template"]["spec"]
    security = container(overlay)["securityContext"]
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert pod["securityContext"]["runAsUser"] > 0
    assert pod["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}
    assert pod["automountServiceAccountToken"] is False
    assert security["readOnlyRootFilesystem"] is True
    assert security["allowPrivilegeEscalation"] is False
    assert security["capabilities"] == {"drop": ["ALL"]}


def test_production_rolls_without_losing_capacity_and_spreads_over_nodes():
    deployment = one("production", "Deployment")
    assert deployment["spec"]["replicas"] == 3
    assert deployment["spec"]["strategy"]["type"] == "RollingUpdate"
    assert deployment["spec"]["strategy"]["rollingUpdate"]["maxUnavailable"] == 0
    spread = {c["topologyKey"]: c for c in deployment["spec"]["template"]["spec"]["topologySpreadConstraints"]}
    by_node = spread["kubernetes.io/hostname"]
    assert by_node["whenUnsatisfiable"] == "DoNotSchedule" and by_node["maxSkew"] == 1
    assert selects(by_node["labelSelector"], pod_labels("production"))
    assert selects(deployment["spec"]["selector"], pod_labels("production"))


# ---- the objects around the Deployment ----------------------------------------------------------

@pytest.mark.parametrize("overlay", OVERLAYS)
def test_service_reaches_the_pods(overlay):
    service = one(overlay, "Service")
    assert selects({"matchLabels": service["spec"]["selector"]}, pod_labels(overlay))
    for port in service["spec"]["ports"]:
        assert container_port(overlay, port["targetPort"]) == FACTS.port


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_ingress_routes_everything_to_the_service_without_rewrite(overlay):
    ingress = one(overlay, "Ingress")
    service = one(overlay, "Service")
    annotations = ingress["metadata"].get("annotations", {})
    assert not [a for a in annotations if "rewrite" in a.lower()], annotations
    (rule,) = ingress["spec"]["rules"]
    (path,) = rule["http"]["paths"]
    assert (path["path"], path["pathType"]) == ("/", "Prefix")
    backend = path["backend"]["service"]
    assert backend["name"] == service["metadata"]["name"]
    assert backend["port"]["name"] in [p["name"] for p in service["spec"]["ports"]]
    (tls,) = ingress["spec"]["tls"]
    assert rule["host"] in tls["hosts"] and tls["secretName"]


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_network_policy_admits_only_the_ingress_controller(overlay):
    policy = one(overlay, "NetworkPolicy")["spec"]
    assert selects(policy["podSelector"], pod_labels(overlay))
    assert policy["policyTypes"] == ["Ingress"]
    (rule,) = policy["ingress"]
    (peer,) = rule["from"]
    # Both selectors in one peer: pods of the controller, in the controller's namespace. The
    # controller's pods are not ours (kustomize's includeSelectors would have made them ours).
    assert peer["namespaceSelector"]["matchLabels"] == {"kubernetes.io/metadata.name": "ingress-nginx"}
    assert not selects(peer["podSelector"], pod_labels(overlay))
    assert [(p["protocol"], p["port"]) for p in rule["ports"]] == [("TCP", FACTS.port)]


def test_autoscaler_scales_the_deployment():
    hpa = one("production", "HorizontalPodAutoscaler")["spec"]
    deployment = one("production", "Deployment")
    target = hpa["scaleTargetRef"]
    assert (target["apiVersion"], target["kind"], target["name"]) == ("apps/v1", "Deployment",
                                                                      deployment["metadata"]["name"])
    assert (hpa["minReplicas"], hpa["maxReplicas"]) == (3, 10)
    assert deployment["spec"]["replicas"] == hpa["minReplicas"]
    (metric,) = hpa["metrics"]
    assert metric["resource"]["name"] == "cpu"
    assert metric["resource"]["target"] == {"type": "Utilization", "averageUtilization": 70}
    # Utilization is relative to the request: without one the HPA cannot compute it.
    assert container("production")["resources"]["requests"]["cpu"]


def test_disruption_budget_covers_the_pods_and_leaves_some():
    pdb = one("production", "PodDisruptionBudget")["spec"]
    assert selects(pdb["selector"], pod_labels("production"))
    assert 0 < pdb["maxUnavailable"] < one("production", "HorizontalPodAutoscaler")["spec"]["minReplicas"]
