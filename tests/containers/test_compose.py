"""Compose: 3 replicas behind nginx, under constant load through nginx, while a replica is
killed, stopped, and the service is scaled 3 → 5 → 2. Every phase prints sent/failed.

The load is bench/loadgen.py: POST /api/ai/navigate at 20 requests/s over 4 keep-alive
connections to nginx's published port. Its default (naive) client does not check a pooled
connection before reusing it; it runs in every phase and must lose nothing where nginx is not
reloaded. Scaling needs an nginx reload (nginx 1.22 resolves `app` at start and reload), and a
reload closes idle client keep-alive connections: there a second client that checks reuse (as
urllib3, Go and browsers do) must lose nothing, and the naive one may lose at most one request
per connection per reload (docs/rolling.md explains why).
"""

from __future__ import annotations

import json
import os
import pathlib
import signal
import subprocess
import sys
import time

import pytest
from container_engine import ROOT, figure, free_port

COMPOSE = ["compose", "-f", str(ROOT / "deploy/compose/compose.yaml")]
LOADGEN = ROOT / "bench/loadgen.py"
BODY = json.dumps({"query": "from Berlin to Munich via Nuremberg"})
RATE, WORKERS = 20, 4


class Load:
    """One loadgen process for one phase; stop() returns its JSON report."""

    def __init__(self, url: str, out: pathlib.Path, check_reuse: bool = False):
        self.out = out
        args = [sys.executable, LOADGEN, url, "--json", BODY, "--rate", str(RATE), "--workers", str(WORKERS),
                "--duration", "600", "--timeout", "10", "--out", str(out)]
        self.proc = subprocess.Popen([*args, "--check-reuse"] if check_reuse else args,
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        time.sleep(1.0)

    def stop(self) -> dict:
        self.proc.send_signal(signal.SIGINT)
        out, err = self.proc.communicate(timeout=30)
        assert self.out.is_file(), out + err
        return json.loads(self.out.read_text())


@pytest.fixture(scope="module")
# image is requested for its side effect: the service's image is built before compose up.
def fleet(engine, image, tmp_path_factory):  # noqa: ARG001
    port = free_port()
    env = {"AI_NAVIGATOR_HTTP_PUBLISH": f"127.0.0.1:{port}"}
    began = time.monotonic()
    engine.run(*COMPOSE, "up", "-d", "--wait", env=env, timeout=600)  # builds the nginx image the first time
    figure(f"compose up -d --wait (3 replicas healthy, nginx built and healthy): {time.monotonic() - began:.0f} s")
    try:
        yield engine, f"http://127.0.0.1:{port}/api/ai/navigate", env, tmp_path_factory.mktemp("load")
    finally:
        engine.run(*COMPOSE, "down", "--timeout", "20", env=env, check=False)


def replicas(engine) -> dict[str, str]:
    """Running app containers: name → hostname (which the service puts in X-AI-Navigator-Instance)."""
    names = engine.run("ps", "--filter", "label=com.docker.compose.service=app",
                       "--format", "{{.Names}}").stdout.split()
    return {name: engine.inspect(name, "{{.Config.Hostname}}") for name in names}


def served_by(report: dict) -> set[str]:
    return {instance.rsplit(":", 1)[0] for instance in report["instances"]}


def phase(name: str, report: dict, extra: str = "") -> None:
    figure(f"compose {name}: sent={report['sent']} failed={report['failed']} "
           f"longest_gap={report['longest_gap']:.2f}s reconnects={report['reconnects']}{extra}")


def reload_nginx(engine, env) -> None:
    engine.run(*COMPOSE, "exec", "-T", "nginx", "nginx", "-t", "-q", env=env)
    engine.run(*COMPOSE, "exec", "-T", "nginx", "nginx", "-s", "reload", env=env)


def test_compose_up_gives_3_replicas_behind_nginx_with_the_limits(fleet):
    engine, url, env, _ = fleet
    services = engine.run(*COMPOSE, "ps", "--services", "--status", "running", env=env).stdout.split()
    assert sorted(services) == ["app", "nginx"]
    running = replicas(engine)
    assert len(running) == 3
    for name in running:
        limits = engine.inspect(name, "{{.HostConfig.Memory}} {{.HostConfig.NanoCpus}} {{.HostConfig.PidsLimit}} "
                                      "{{.HostConfig.ReadonlyRootfs}} {{.HostConfig.RestartPolicy.Name}} "
                                      "{{.Config.StopTimeout}} {{.State.Health.Status}}")
        assert limits == f"{512 * 1024 * 1024} 1000000000 64 true unless-stopped 16 healthy"


def test_load_reaches_every_replica_and_survives_kill_and_stop(fleet):
    engine, url, env, tmp = fleet
    names = sorted(replicas(engine))
    hostnames = set(replicas(engine).values())

    load = Load(url, tmp / "baseline.json")
    time.sleep(4)
    report = load.stop()
    phase("baseline, 3 replicas", report, f" replicas_answering={len(served_by(report))}/3")
    assert report["failed"] == 0 and report["sent"] >= 3 * RATE
    assert served_by(report) == hostnames

    # kill -9 of one replica's process (a crash): the restart policy brings it back.
    victim = names[1]
    load = Load(url, tmp / "kill.json")
    os.kill(int(engine.inspect(victim, "{{.State.Pid}}")), signal.SIGKILL)
    killed_at = time.monotonic()
    time.sleep(0.5)
    back = engine.wait_healthy(victim, timeout=150) + 0.5
    time.sleep(2)
    report = load.stop()
    phase("kill -9 of one replica", report, f" back_healthy_after={back:.1f}s")
    assert report["failed"] == 0, report["failures"][:5]
    assert engine.inspect(victim, "{{.RestartCount}}") == "1", time.monotonic() - killed_at

    # A graceful stop of one replica: SIGTERM, drain, exit 0; it stays stopped.
    victim = names[2]
    load = Load(url, tmp / "stop.json")
    began = time.monotonic()
    engine.run("stop", victim, timeout=60)
    took = time.monotonic() - began
    time.sleep(2)
    report = load.stop()
    phase("docker stop of one replica", report, f" stop_took={took:.1f}s")
    assert report["failed"] == 0, report["failures"][:5]
    assert engine.inspect(victim, "{{.State.Status}} {{.State.ExitCode}}") == "exited 0"


def test_scale_3_to_5_to_2_under_load(fleet):
    engine, url, env, tmp = fleet
    engine.run(*COMPOSE, "up", "-d", "--wait", env=env)  # back to 3 (a test before may have stopped one)
    assert len(replicas(engine)) == 3

    # Down in steps of at most proxy_next_upstream_tries - 1 = 2 (README): until the reload nginx
    # still lists removed replicas, and a request tries at most 3 servers.
    for count in (5, 3, 2):
        gate = Load(url, tmp / f"scale{count}-gate.json", check_reuse=True)
        naive = Load(url, tmp / f"scale{count}-naive.json")
        began = time.monotonic()
        engine.run(*COMPOSE, "up", "-d", "--wait", "--scale", f"app={count}", env=env, timeout=300)
        reload_nginx(engine, env)
        took = time.monotonic() - began
        time.sleep(5)
        gate_report, naive_report = gate.stop(), naive.stop()
        running = replicas(engine)
        phase(f"scale to {count} + nginx reload (checking client)", gate_report,
              f" replicas_answering_after={len(served_by(gate_report) & set(running.values()))}/{count}"
              f" scale_and_reload={took:.1f}s")
        phase(f"scale to {count} + nginx reload (naive client)", naive_report)
        assert len(running) == count
        # No HTTP error answer at all; the only losses allowed are requests sent on an idle
        # keep-alive connection just as the reload closed it: at most one per connection. The
        # checking client can lose one too, when the close lands between its check and its send.
        for report in (gate_report, naive_report):
            assert report["failed"] <= WORKERS, report["failures"][:5]
            assert all(f["status"] is None and ("RemoteDisconnected" in f["error"] or "reset" in f["error"].lower())
                       for f in report["failures"]), report["failures"][:5]
        if count == 3:
            continue  # a step on the way down; the end state is checked at 2
        # After the reload nginx sends to every replica there is. A replica that was slow to
        # answer its first requests (a cold process on a busy host) may rest for fail_timeout
        # (30 s) first: keep loading until every one has answered, for at most 45 s.
        answered, sent, began = set(), 0, time.monotonic()
        while answered != set(running.values()) and time.monotonic() - began < 45:
            after = Load(url, tmp / f"scale{count}-after.json")
            time.sleep(4)
            report = after.stop()
            assert report["failed"] == 0, report["failures"][:5]
            answered |= served_by(report)
            sent += report["sent"]
        figure(f"compose after scaling to {count}: every replica answered within "
               f"{time.monotonic() - began:.0f} s ({sent} requests, 0 failed)")
        assert answered == set(running.values())


# image and fleet are requested for their side effects: the service's and nginx's images are built
# and the good project is up beside the bad one.
def test_a_bad_setting_makes_compose_up_wait_fail_visibly(engine, image, fleet):  # noqa: ARG001
    env = {"AI_NAVIGATOR_HTTP_PUBLISH": f"127.0.0.1:{free_port()}", "AI_NAVIGATOR_DRAIN_SECONDS": "abc"}
    project = [*COMPOSE, "-p", "ainavbad"]
    try:
        up = engine.run(*project, "up", "-d", "--wait", "--wait-timeout", "90", env=env, check=False, timeout=150)
        assert up.returncode != 0, up.stdout + up.stderr
        assert "unhealthy" in up.stdout + up.stderr or "exited" in up.stdout + up.stderr, up.stderr[-2000:]
        shown = engine.run(*project, "logs", "app", env=env)
        logs = shown.stdout + shown.stderr
        assert "AI_NAVIGATOR_DRAIN_SECONDS='abc'" in logs, logs[-2000:]
        assert "Traceback" not in logs
        figure(f"compose up --wait with AI_NAVIGATOR_DRAIN_SECONDS=abc: exit {up.returncode}, "
               f"{(up.stderr.strip().splitlines() or [''])[-1]}")
    finally:
        engine.run(*project, "down", "--timeout", "5", env=env, check=False)
