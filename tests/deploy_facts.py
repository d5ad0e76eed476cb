"""The values every deployment path must agree on, read from their one source: the app role's
defaults (and the nginx role's, for the load-balancer policy). The fleet, the image, Compose and
(next) Kubernetes are each checked against these facts by tests/test_one_truth.py; a Kubernetes
check adds its own test function there and imports the same facts.
"""

from __future__ import annotations

import pathlib
import re
from dataclasses import dataclass

import yaml

ROOT = pathlib.Path(__file__).resolve().parents[1]
APP_DEFAULTS = ROOT / "roles/app/defaults/main.yml"
NGINX_DEFAULTS = ROOT / "roles/nginx/defaults/main.yml"
DOCKERFILE = ROOT / "app/Dockerfile"
COMPOSE_FILE = ROOT / "deploy/compose/compose.yaml"
COMPOSE_NGINX_CONF = ROOT / "deploy/compose/nginx/nginx.conf"
ENV_PREFIX = "AI_NAVIGATOR_"
# The probes every path uses: liveness and readiness (the app role waits on /ready).
HEALTH_PATH = "/health"
READY_PATH = "/ready"


def memory_bytes(value: str) -> int:
    """512M, 1G, 536870912 (systemd, Compose and Kubernetes' binary suffixes: Mi, Gi)."""
    match = re.fullmatch(r"(\d+)\s*([KMGT]?)(i?)[Bb]?", str(value).strip())
    if not match:
        raise ValueError(f"not a memory size: {value!r}")
    return int(match.group(1)) * 1024 ** " KMGT".index(match.group(2) or " ")


def cpus(value: str | float) -> float:
    """100% (systemd CPUQuota), 1.0 (Compose cpus), 1000m or 1 (Kubernetes)."""
    text = str(value).strip()
    if text.endswith("%"):
        return float(text[:-1]) / 100
    if text.endswith("m"):
        return float(text[:-1]) / 1000
    return float(text)


@dataclass(frozen=True)
class Facts:
    port: int
    drain_seconds: float
    grace_seconds: float
    memory_bytes: int
    cpus: float
    pids: int
    # Seconds a stop may take before SIGKILL: drain + grace + 5 (the unit's TimeoutStopSec).
    stop_timeout_seconds: float
    # Settings the role passes as AI_NAVIGATOR_* (its environment file), without the prefix.
    role_setting_names: frozenset[str]
    nginx: dict


def load() -> Facts:
    app = yaml.safe_load(APP_DEFAULTS.read_text())
    nginx = yaml.safe_load(NGINX_DEFAULTS.read_text())
    env_template = (ROOT / "roles/app/templates/ai-navigator.env.j2").read_text()
    drain, grace = float(app["ai_navigator_app_drain_seconds"]), float(app["ai_navigator_app_grace_seconds"])
    return Facts(
        port=int(app["ai_navigator_app_base_port"]),
        drain_seconds=drain,
        grace_seconds=grace,
        memory_bytes=memory_bytes(app["ai_navigator_app_memory_max"]),
        cpus=cpus(app["ai_navigator_app_cpu_quota"]),
        pids=int(app["ai_navigator_app_tasks_max"]),
        stop_timeout_seconds=drain + grace + 5,
        role_setting_names=frozenset(n.lower() for n in re.findall(r"^AI_NAVIGATOR_([A-Z_]+)=", env_template, re.M)),
        nginx={k.removeprefix("ai_navigator_nginx_"): v for k, v in nginx.items()},
    )


def duration_seconds(value: str | int | float) -> float:
    """16s, 1m30s, 500ms, or a plain number of seconds (Compose and nginx durations)."""
    text = str(value).strip()
    if re.fullmatch(r"\d+(\.\d+)?", text):
        return float(text)
    units = {"ms": 0.001, "s": 1, "m": 60, "h": 3600}
    parts = re.findall(r"(\d+(?:\.\d+)?)(ms|s|m|h)", text)
    if not parts or "".join(n + u for n, u in parts) != text:
        raise ValueError(f"not a duration: {value!r}")
    return sum(float(n) * units[u] for n, u in parts)
