"""Kubernetes manifests (deploy/kubernetes): every overlay renders with `kubectl kustomize`,
validates against the schemas of the oldest and newest Kubernetes we support, and means what the
service needs: probes on routes it serves, a grace period that covers its drain, settings it
reads, resources the app role gives an instance. No cluster runs here; the podman smoke run of
the rendered Deployment is in test_kubernetes_smoke.py."""

from __future__ import annotations

import pathlib
import re
import shutil
import subprocess
import sys

import pytest
import yaml
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
APP_DEFAULTS = yaml.safe_load((ROOT / "roles" / "app" / "defaults" / "main.yml").read_text())
SETTINGS_PREFIX = "AI_NAVIGATOR_"


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
        _RENDERED[overlay] = render(overlay)
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
    fields = {name for name in Settings.model_fields}
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


def systemd_bytes(value: str) -> int:
    """systemd's MemoryMax= size: K, M, G, T are powers of 1024 (so 512M is 512 MiB)."""
    match = re.fullmatch(r"(\d+)([KMGT]?)", value)
    assert match, f"not a systemd size: {value!r}"
    return int(match.group(1)) * 1024 ** " KMGT".index(match.group(2) or " ")


def systemd_cores(cpu_quota: str) -> float:
    match = re.fullmatch(r"(\d+)%", cpu_quota)
    assert match, f"not a CPUQuota percentage: {cpu_quota!r}"
    return int(match.group(1)) / 100


# ---- render and validate ----------------------------------------------------------------------

def test_every_overlay_is_tested():
    assert {"production", "smoke"} <= set(OVERLAYS)


@pytest.mark.parametrize("version", KUBERNETES_VERSIONS)
@pytest.mark.parametrize("overlay", OVERLAYS)
def test_overlay_validates_strictly(overlay, version, tmp_path):
    manifest = tmp_path / f"{overlay}.yaml"
    manifest.write_text(rendered_text(overlay))
    result = subprocess.run([tool("kubernetes-validate"), "--strict", "-k", version, str(manifest)],
                            capture_output=True, text=True, timeout=120)
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
    assert probes["startupProbe"]["path"] == probes["livenessProbe"]["path"] == "/health"
    assert probes["readinessProbe"]["path"] == "/ready"
    for probe in probes.values():
        assert container_port(overlay, probe["port"]) == Settings.model_fields["port"].default
        assert c.get(probe["path"]).status_code == 200, probe
    # Draining (after SIGTERM): readiness fails, so the pod leaves the endpoints; liveness still
    # passes, so the kubelet does not kill a pod that is finishing its requests.
    lifecycle.draining = True
    try:
        assert c.get(probes["readinessProbe"]["path"]).status_code == 503
        assert c.get(probes["livenessProbe"]["path"]).status_code == 200
    finally:
        lifecycle.draining = False


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_container_port_is_the_service_port(overlay):
    ports = container(overlay)["ports"]
    assert [p["containerPort"] for p in ports] == [Settings.model_fields["port"].default]
    assert APP_DEFAULTS["ai_navigator_app_base_port"] == Settings.model_fields["port"].default


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_grace_period_covers_prestop_drain_and_grace(overlay):
    pod = one(overlay, "Deployment")["spec"]["template"]["spec"]
    settings = settings_from(overlay)
    pre_stop = container(overlay)["lifecycle"]["preStop"]["sleep"]["seconds"]
    assert pre_stop > 0
    assert pod["terminationGracePeriodSeconds"] >= pre_stop + settings.drain_seconds + settings.grace_seconds


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_configmap_holds_settings_the_service_reads(overlay):
    env = settings_env(overlay)
    assert env, "the container reads no ConfigMap"
    assert settings_problems(env) == []


def test_settings_check_catches_typos_and_bad_values():
    assert settings_problems({"AI_NAVIGATOR_DRAIN_SECOND": "1"}) == [
        "AI_NAVIGATOR_DRAIN_SECOND: Settings has no field 'drain_second'"]
    assert settings_problems({"LOG_LEVEL": "info"}) == ["LOG_LEVEL: not an AI_NAVIGATOR_* setting"]
    (problem,) = settings_problems({"AI_NAVIGATOR_LOG_LEVEL": "loud"})
    assert problem.startswith("AI_NAVIGATOR_LOG_LEVEL:")


def test_production_settings_are_the_app_role_defaults():
    settings = settings_from("production")
    assert settings.drain_seconds == APP_DEFAULTS["ai_navigator_app_drain_seconds"]
    assert settings.grace_seconds == APP_DEFAULTS["ai_navigator_app_grace_seconds"]


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_no_service_links_in_the_settings_namespace(overlay):
    """Kubernetes would set AI_NAVIGATOR_PORT=tcp://<cluster ip>:80 for the Service "ai-navigator";
    the service reads that variable as its port and refuses to start."""
    service = one(overlay, "Service")["metadata"]["name"]
    injected = f"{service.upper().replace('-', '_')}_PORT"
    assert injected == f"{SETTINGS_PREFIX}PORT"
    assert settings_problems({injected: "tcp://10.96.0.10:80"})
    assert one(overlay, "Deployment")["spec"]["template"]["spec"]["enableServiceLinks"] is False


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_resources_are_the_app_role_limits(overlay):
    resources = container(overlay)["resources"]
    limits, requests = resources["limits"], resources["requests"]
    assert quantity(limits["memory"]) == systemd_bytes(APP_DEFAULTS["ai_navigator_app_memory_max"])
    assert quantity(limits["cpu"]) == systemd_cores(APP_DEFAULTS["ai_navigator_app_cpu_quota"])
    for name in ("cpu", "memory"):
        assert 0 < quantity(requests[name]) <= quantity(limits[name])


def test_quantity_units():
    assert quantity("512Mi") == 512 * 2**20 == systemd_bytes("512M")
    assert quantity("512M") != systemd_bytes("512M")
    assert quantity("250m") == 0.25 and quantity("1") == 1 == systemd_cores("100%")


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
        assert container_port(overlay, port["targetPort"]) == Settings.model_fields["port"].default


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
    assert [(p["protocol"], p["port"]) for p in rule["ports"]] == [("TCP", Settings.model_fields["port"].default)]


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
