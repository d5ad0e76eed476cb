"""One source of truth: port, probe paths, drain and grace seconds, resource limits and setting
names agree across the app role (tests/deploy_facts.py reads its defaults), the service's
Settings, the image (app/Dockerfile) and Compose (deploy/compose/). Each check returns the
problems it finds, so the drift tests below can show that a changed value is caught.
Kubernetes: add a `kubernetes_problems(...)` and its two tests the same way.
"""

from __future__ import annotations

import json
import re

import pytest
import yaml
from deploy_facts import (
    COMPOSE_FILE,
    COMPOSE_NGINX_CONF,
    DOCKERFILE,
    ENV_PREFIX,
    HEALTH_PATH,
    READY_PATH,
    cpus,
    duration_seconds,
    load,
    memory_bytes,
)
from fastapi.testclient import TestClient

from ai_navigator.app import create_app
from ai_navigator.settings import Settings

FACTS = load()
SETTING_NAMES = set(Settings.model_fields)


def setting_name_problems(names, where: str) -> list[str]:
    return [f"{where}: {ENV_PREFIX}{n.upper()} is not a setting the service reads"
            for n in sorted(n.lower() for n in names) if n not in SETTING_NAMES]


def env_default(value) -> str:
    """Compose's "${NAME:-default}" → default; a plain value stays itself."""
    match = re.fullmatch(r"\$\{\w+:?-(.*)\}", str(value))
    return match.group(1) if match else str(value)


def probe_problems(argv: list[str], where: str) -> list[str]:
    """argv of `ai-navigator healthcheck ...`: it must ask the service's port and /ready."""
    problems = []
    if argv[:2] != ["ai-navigator", "healthcheck"]:
        problems.append(f"{where}: the check is not `ai-navigator healthcheck`: {argv}")
    options = dict(zip(argv[2::2], argv[3::2], strict=False))
    if options.get("--port") != str(FACTS.port):
        problems.append(f"{where}: healthcheck --port {options.get('--port')}, the service listens on {FACTS.port}")
    if options.get("--path") != READY_PATH:
        problems.append(f"{where}: healthcheck --path {options.get('--path')}, readiness is {READY_PATH}")
    return problems


def dockerfile_problems(text: str) -> list[str]:
    final = text[text.rindex("\nFROM "):]  # the stage that runs
    joined = re.sub(r"\\\n\s*", " ", final)
    instructions = {}
    for line in joined.splitlines():
        if line and not line.startswith("#"):
            keyword, _, rest = line.partition(" ")
            instructions.setdefault(keyword.upper(), []).append(rest.strip())
    problems = []
    if instructions.get("EXPOSE") != [str(FACTS.port)]:
        problems.append(f"Dockerfile: EXPOSE {instructions.get('EXPOSE')}, the service listens on {FACTS.port}")
    command = json.loads(instructions["ENTRYPOINT"][-1]) + json.loads(instructions["CMD"][-1])
    if command[:2] != ["ai-navigator", "serve"] or command[command.index("--port") + 1] != str(FACTS.port):
        problems.append(f"Dockerfile: the command {command} does not serve on port {FACTS.port}")
    if instructions.get("STOPSIGNAL") != ["SIGTERM"]:
        problems.append("Dockerfile: STOPSIGNAL is not SIGTERM (the signal that drains)")
    health = instructions["HEALTHCHECK"][-1]
    problems += probe_problems(json.loads(health[health.index("CMD ") + 4:]), "Dockerfile HEALTHCHECK")
    env = dict(re.findall(r"(\w+)=(\S+)", " ".join(instructions.get("ENV", []))))
    ours = {k.removeprefix(ENV_PREFIX).lower(): v for k, v in env.items() if k.startswith(ENV_PREFIX)}
    problems += setting_name_problems(ours, "Dockerfile ENV")
    problems += seconds_problems(ours, "Dockerfile ENV")
    return problems


def seconds_problems(settings: dict, where: str) -> list[str]:
    problems = []
    for name, expected in (("drain_seconds", FACTS.drain_seconds), ("grace_seconds", FACTS.grace_seconds)):
        if name in settings and float(env_default(settings[name])) != expected:
            problems.append(f"{where}: {ENV_PREFIX}{name.upper()}={settings[name]}, the app role uses {expected}")
    return problems


def compose_problems(compose: dict, nginx_conf: str) -> list[str]:
    app = compose["services"]["app"]
    problems = []
    if [str(p) for p in app.get("expose", [])] != [str(FACTS.port)]:
        problems.append(f"compose app: expose {app.get('expose')}, the service listens on {FACTS.port}")
    problems += probe_problems(app["healthcheck"]["test"][1:], "compose app healthcheck")
    limits = app["deploy"]["resources"]["limits"]
    if memory_bytes(limits["memory"]) != FACTS.memory_bytes:
        problems.append(f"compose app: memory limit {limits['memory']}, the app role's MemoryMax is "
                        f"{FACTS.memory_bytes} bytes")
    if cpus(limits["cpus"]) != FACTS.cpus:
        problems.append(f"compose app: cpus {limits['cpus']}, the app role's CPUQuota is {FACTS.cpus} CPU")
    if int(limits["pids"]) != FACTS.pids:
        problems.append(f"compose app: pids {limits['pids']}, the app role's TasksMax is {FACTS.pids}")
    if duration_seconds(app["stop_grace_period"]) < FACTS.stop_timeout_seconds:
        problems.append(f"compose app: stop_grace_period {app['stop_grace_period']} is shorter than drain + "
                        f"grace + 5 = {FACTS.stop_timeout_seconds} s")
    env = {k.removeprefix(ENV_PREFIX).lower(): v for k, v in (app.get("environment") or {}).items()}
    problems += setting_name_problems(env, "compose app environment")
    problems += seconds_problems(env, "compose app environment")
    problems += nginx_problems(nginx_conf)
    return problems


def nginx_problems(conf: str) -> list[str]:
    """The Compose nginx keeps the nginx role's upstream policy (its defaults)."""
    n = FACTS.nginx
    server = f"server app:{FACTS.port} max_fails={n['upstream_max_fails']} fail_timeout={n['upstream_fail_timeout']}"
    expected = [
        "least_conn;",
        f"{server};",
        f"{server} backup;",
        f"keepalive {n['upstream_keepalive']};",
        "proxy_next_upstream error timeout http_502 http_503 http_504 non_idempotent;",
        # 0 in the role derives the tries from the fleet (one more than the instances of the largest
        # host); Compose's replicas are one instance each, and it keeps 3 (docs/containers.md).
        f"proxy_next_upstream_tries {n['proxy_next_upstream_tries'] or 3};",
        f"proxy_next_upstream_timeout {n['proxy_next_upstream_timeout']};",
        f"proxy_connect_timeout {n['proxy_connect_timeout']};",
        f"proxy_read_timeout {n['proxy_read_timeout']};",
        f"proxy_send_timeout {n['proxy_send_timeout']};",
        f"client_max_body_size {n['client_max_body_size']};",
        'proxy_set_header Connection "";',
    ]
    lines = {line.strip() for line in conf.splitlines()}
    return [f"compose nginx.conf: missing `{line}` (roles/nginx policy)" for line in expected if line not in lines]


def test_settings_defaults_match_the_app_role():
    fields = Settings.model_fields
    assert fields["port"].default == FACTS.port
    assert fields["drain_seconds"].default == FACTS.drain_seconds
    assert fields["grace_seconds"].default == FACTS.grace_seconds
    assert setting_name_problems(FACTS.role_setting_names, "roles/app env file") == []


def test_probe_paths_answer_in_the_service():
    with TestClient(create_app(Settings())) as client:
        assert client.get(HEALTH_PATH).status_code == 200
        assert client.get(READY_PATH).status_code == 200


def test_image_agrees_with_the_app_role():
    assert dockerfile_problems(DOCKERFILE.read_text()) == []


def test_compose_agrees_with_the_app_and_nginx_roles():
    assert compose_problems(yaml.safe_load(COMPOSE_FILE.read_text()), COMPOSE_NGINX_CONF.read_text()) == []


@pytest.mark.parametrize(("old", "new", "named"), [
    ("EXPOSE 8000", "EXPOSE 8080", "EXPOSE"),
    ('"--path", "/ready"', '"--path", "/health"', "readiness"),
    ('"serve", "--host", "0.0.0.0", "--port", "8000"', '"serve", "--host", "0.0.0.0", "--port", "9000"', "command"),
    ("PYTHONUNBUFFERED=1", "PYTHONUNBUFFERED=1 AI_NAVIGATOR_DRAIN_SECONDS=5", "DRAIN_SECONDS=5"),
    ("PYTHONUNBUFFERED=1", "PYTHONUNBUFFERED=1 AI_NAVIGATOR_DRAINING=1", "not a setting"),
])
def test_a_drifted_dockerfile_is_caught(old, new, named):
    text = DOCKERFILE.read_text()
    assert old in text
    problems = dockerfile_problems(text.replace(old, new))
    assert any(named in p for p in problems), problems


@pytest.mark.parametrize(("path", "value", "named"), [
    (("deploy", "resources", "limits", "memory"), "256M", "memory"),
    (("deploy", "resources", "limits", "cpus"), "0.5", "cpus"),
    (("deploy", "resources", "limits", "pids"), 128, "pids"),
    (("stop_grace_period",), "10s", "stop_grace_period"),
    (("environment", "AI_NAVIGATOR_GRACE_SECONDS"), "30", "GRACE_SECONDS"),
    (("environment", "AI_NAVIGATOR_GRACE"), "10", "not a setting"),
    (("expose",), ["8080"], "expose"),
])
def test_a_drifted_compose_file_is_caught(path, value, named):
    compose = yaml.safe_load(COMPOSE_FILE.read_text())
    node = compose["services"]["app"]
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    problems = compose_problems(compose, COMPOSE_NGINX_CONF.read_text())
    assert any(named in p for p in problems), problems


def test_a_drifted_compose_nginx_policy_is_caught():
    conf = COMPOSE_NGINX_CONF.read_text().replace("max_fails=3", "max_fails=1")
    assert any("max_fails" in p for p in nginx_problems(conf))
