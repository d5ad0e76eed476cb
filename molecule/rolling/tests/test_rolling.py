"""Rolling updates and rollback of the lab fleet under constant load at the LB.

Runs after converge (site.yml deployed the first release). The tests depend on each other and
run in file order: bad input first (nothing may change), then a good rollout, a broken rollout
that must stop at its first batch, and a rollback. Every phase runs bench/loadgen.py against
the LB for the whole playbook run and prints one line of figures.

Two load generators run in each phase, and both must see 0 failed requests:
- the plain client (the tool's default): 8 keep-alive connections, 120 requests/s in all,
  alternating GET /version and POST /api/ai/navigate, with no check of a pooled connection
  before reuse, as curl scripts, many SDKs and proxies in front of us behave. Any connection
  nginx closed under it (a reload does) would cost it a request.
- the checking client, with --check-reuse: it reuses a keep-alive connection only if the server
  has not closed it, as urllib3, Go's net/http and browsers do.
No phase may reload nginx: its worker processes are the same before and after.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import harness
import pytest
import yaml

REPO = harness.REPO
FLEET_VARS = REPO / "molecule" / "rolling" / "vars" / "fleet.yml"
ROOT = "/opt/ai-navigator"
NGINX_CONF = "/etc/nginx/nginx.conf"
# Short health gate for the broken release, so the failing batch gives up quickly.
BROKEN_READY_TIMEOUT = 3
# The plain client's load: issue 11 asks for >= 100 requests/s over >= 8 keep-alive connections.
PLAIN_RATE, PLAIN_CONNECTIONS = 120, 8
NAVIGATE = json.dumps({"query": "从北京到上海"}, ensure_ascii=False)

APPS = {name: harness.address(name) for name in harness.group("ai_navigator_app")}
LBS = {name: harness.address(name) for name in harness.group("ai_navigator_lb")}
INSTANCES = yaml.safe_load(FLEET_VARS.read_text())["ai_navigator_app_instances"]
PORTS = [8000 + i for i in range(INSTANCES)]

# What the phases learn and later phases check.
STATE: dict[str, str] = {}


def playbook(name: str, *extra: str, inventory: str | None = None) -> harness.Run:
    """Run playbooks/<name>.yml on the lab as an operator would, with the scenario's fleet vars."""
    return harness.playbook(f"playbooks/{name}.yml", "-e", f"@{FLEET_VARS}", *extra, inventory=inventory)


@contextlib.contextmanager
def load():
    """Constant load at the LB for the duration of the block; yields a dict that gets the reports."""
    url = f"https://{next(iter(LBS.values()))}/version"
    runs = {"plain": harness.Load(url, "--rate", str(PLAIN_RATE), "--workers", str(PLAIN_CONNECTIONS),
                                  "--mix-post", "/api/ai/navigate", "--json", NAVIGATE),
            "checking": harness.Load(url, "--rate", "30", "--workers", "4", "--check-reuse")}
    reports: dict[str, dict] = {}
    with runs["plain"], runs["checking"]:
        time.sleep(1)  # load is flowing before the playbook starts
        yield reports
        time.sleep(1)  # and after it ends
    reports.update({name: one.report for name, one in runs.items()})


def report(phase: str, reports: dict, seconds: float, what: str = "playbook") -> None:
    """One figure line per phase; `what` names what `seconds` timed (the playbook, or the faults)."""
    plain, checking = reports["plain"], reports["checking"]
    harness.figure(
        f"PHASE {phase}: plain client sent={plain['sent']} failed={plain['failed']} methods={plain['methods']} "
        f"rate={plain['rate']:.1f}/s longest_gap={plain['longest_gap']:.2f}s releases={plain['releases']} | "
        f"checking client sent={checking['sent']} failed={checking['failed']} reconnects={checking['reconnects']} "
        f"| {what} {seconds:.1f}s")


def assert_no_failures(reports: dict, run: harness.Run | None) -> None:
    plain, checking = reports["plain"], reports["checking"]
    for name, one in reports.items():
        assert one["sent"] > 0 and one["failed"] == 0, \
            f"{name} client failed: {one['failures']}\n{run.tail() if run else ''}"
    assert plain["rate"] >= 100, \
        f"the plain client's load fell to {plain['rate']:.1f} requests/s (load: {os.getloadavg()})"
    assert plain["methods"].get("GET", 0) > 0 and plain["methods"].get("POST", 0) > 0, plain["methods"]
    # Nothing closed a connection under the checking client either.
    assert checking["reconnects"] == 0, checking["reconnects"]


def nginx_workers() -> dict[str, set[str]]:
    """Every LB's nginx worker pids: a reload replaces them all."""
    return {name: set(harness.sh(name, "pgrep -f '^nginx: worker process$'").out.split()) for name in LBS}


def served(address: str, port: int) -> dict:
    response = harness.http(f"http://{address}:{port}/version", timeout=5)
    assert response.status == 200, response
    return response.json()


def current(name: str) -> str:
    return Path(harness.host(name).file(f"{ROOT}/current").linked_to).name


def nginx_conf() -> dict[str, str]:
    return {name: harness.host(name).file(NGINX_CONF).content_string for name in LBS}


def drained(conf: str) -> set[str]:
    return set(re.findall(r"server (\S+) [^;]* down;", conf))


def test_fleet_serves_the_converged_release():
    releases = {name: current(name) for name in APPS}
    assert len(set(releases.values())) == 1, releases
    STATE["initial"] = next(iter(releases.values()))
    for address in APPS.values():
        for port in PORTS:
            assert served(address, port)["release"] == STATE["initial"]
    assert not any(drained(conf) for conf in nginx_conf().values())


def _empty_app_group(tmp_path: Path) -> str:
    return harness.write_inventory(tmp_path / "hosts.json", {"ai_navigator_app": [], "ai_navigator_lb": list(LBS)})


@pytest.mark.parametrize(
    ("name", "args", "needle"),
    [
        ("rolling_update", ["-e", "ai_navigator_app_source_dir=/nonexistent/app"], "ai_navigator_app_source_dir"),
        ("rolling_update", ["-e", "ai_navigator_app_release=no/such"], "ai_navigator_app_release"),
        ("rolling_update", ["-e", "ai_navigator_rolling_serial=2"], "ai_navigator_rolling_serial"),
        ("rolling_update", ["-e", "ai_navigator_rolling_serial=0"], "ai_navigator_rolling_serial"),
        ("rolling_update", ["-e", "ai_navigator_rolling_serial=100%"], "ai_navigator_rolling_serial"),
        ("rolling_update", ["-e", "ai_navigator_rolling_serial=half"], "ai_navigator_rolling_serial"),
        ("rolling_update", "EMPTY_APP_GROUP", "ai_navigator_app"),
        ("rollback", ["-e", "ai_navigator_rolling_rollback_release=0.0.1-nosuch"],
         "ai_navigator_rolling_rollback_release"),
        # Nothing recorded yet: site.yml deployed the only release.
        ("rollback", [], "ai_navigator_rolling_rollback_release"),
        # A new release with another instance count: nginx would need a reload mid-rollout.
        ("rolling_update", ["-e", "ai_navigator_app_instances=3", "-e", "ai_navigator_app_release=9.9.9-more"],
         "site.yml"),
    ],
    ids=["missing-source", "bad-release-id", "serial-whole-fleet", "serial-zero", "serial-100pct",
         "serial-garbage", "empty-app-group", "rollback-unknown-release", "rollback-nothing-recorded",
         "instances-changed-with-release"],
)
def test_bad_input_stops_before_any_drain(name, args, needle, tmp_path):
    before_conf = nginx_conf()
    before_mtime = {lb: harness.host(lb).file(NGINX_CONF).mtime for lb in LBS}
    before_current = {app: current(app) for app in APPS}
    if args == "EMPTY_APP_GROUP":
        run = playbook(name, inventory=_empty_app_group(tmp_path))
    else:
        run = playbook(name, *args)
    assert run.rc != 0, run.tail()
    assert needle in "\n".join(run.failures.values()), run.tail()
    assert "Roll the batches" not in run.tasks, "the run reached the batches"
    assert nginx_conf() == before_conf
    assert {lb: harness.host(lb).file(NGINX_CONF).mtime for lb in LBS} == before_mtime
    assert {app: current(app) for app in APPS} == before_current


def test_rollout_of_a_new_release_drops_nothing(tmp_path):
    def bump(source: Path) -> None:
        pyproject = source / "pyproject.toml"
        pyproject.write_text(pyproject.read_text().replace('version = "1.0.0"', 'version = "1.0.1"', 1))

    source, release = harness.release_source(tmp_path / "app-1.0.1", bump)
    assert release != STATE["initial"]
    workers = nginx_workers()
    with load() as reports:
        run = playbook("rolling_update", "-e", f"ai_navigator_app_source_dir={source}")
    report("1 rollout", reports, run.seconds)
    assert run.rc == 0, run.tail()
    assert_no_failures(reports, run)
    assert nginx_workers() == workers, "the rollout reloaded nginx"
    # Both releases answered while the fleet was mixed.
    assert reports["plain"]["releases"].get(STATE["initial"], 0) > 0, reports["plain"]["releases"]
    assert reports["plain"]["releases"].get(release, 0) > 0, reports["plain"]["releases"]
    for name, address in APPS.items():
        assert current(name) == release
        for port in PORTS:
            assert served(address, port) == {"version": "1.0.1", "release": release, "instance": f"{name}:{port}"}
    assert not any(drained(conf) for conf in nginx_conf().values())
    STATE["good"] = release


def test_broken_release_stops_after_its_first_batch(tmp_path):
    def never_ready(source: Path) -> None:
        # Its startup fails (as with a bad data file): it never listens, so it is never ready.
        app = source / "src" / "ai_navigator" / "app.py"
        text = app.read_text()
        patched = text.replace("    log.info(\"data loaded\"",
                               "    raise RuntimeError(\"broken on purpose: this release never becomes ready\")\n"
                               "    log.info(\"data loaded\"", 1)
        assert patched != text
        app.write_text(patched)

    source, broken = harness.release_source(tmp_path / "app-broken", never_ready)
    apps = list(APPS)
    first, rest = apps[0], apps[1:]
    workers = nginx_workers()
    before_conf = nginx_conf()
    with load() as reports:
        run = playbook("rolling_update", "-e", f"ai_navigator_app_source_dir={source}",
                       "-e", f"ai_navigator_app_ready_timeout={BROKEN_READY_TIMEOUT}")
    report("2 broken rollout", reports, run.seconds)
    assert run.rc != 0, run.tail()
    assert_no_failures(reports, run)
    assert nginx_workers() == workers, "the rollout reloaded nginx"
    # The broken release never served a client: it never listened.
    assert broken not in reports["plain"]["releases"], reports["plain"]["releases"]
    assert "batch 2 of" not in run.stdout, "the rollout went on past its first batch"
    assert current(first) == broken
    for name in rest:
        assert current(name) == STATE["good"]
        for port in PORTS:
            assert served(APPS[name], port)["release"] == STATE["good"]
    # nginx was left alone; the broken instance refuses connections, so nginx sends it nothing.
    assert nginx_conf() == before_conf
    assert not any(drained(conf) for conf in nginx_conf().values())
    with pytest.raises(harness.NO_ANSWER):
        served(APPS[first], PORTS[0])
    STATE["broken"] = broken


def test_rollback_restores_the_previous_release_everywhere():
    workers = nginx_workers()
    with load() as reports:
        run = playbook("rollback")
    report("3 rollback", reports, run.seconds)
    assert run.rc == 0, run.tail()
    assert_no_failures(reports, run)
    assert nginx_workers() == workers, "the rollback reloaded nginx"
    assert STATE["broken"] not in reports["plain"]["releases"]
    for name, address in APPS.items():
        assert current(name) == STATE["good"]
        for port in PORTS:
            assert served(address, port)["release"] == STATE["good"]
    assert not any(drained(conf) for conf in nginx_conf().values())
    # Only the broken batch changed.
    assert "batches: " + list(APPS)[0] + "\"" in run.stdout, run.tail()


def test_second_rollback_changes_nothing():
    before = {lb: harness.host(lb).file(NGINX_CONF).mtime for lb in LBS}
    run = playbook("rollback")
    assert run.rc == 0, run.tail()
    assert "batches: none" in run.stdout, run.tail()
    assert run.recap and not run.changed(), run.recap
    assert {lb: harness.host(lb).file(NGINX_CONF).mtime for lb in LBS} == before
    assert {name: current(name) for name in APPS} == dict.fromkeys(APPS, STATE["good"])


def test_every_server_resting_at_once_still_leaves_the_backups():
    """nginx's passive checks rest a server for fail_timeout from its first refused connects, even
    when it is back a second later. The same instance refusing on every app host at once, then the
    next one (what a restart of every host's instances in step does: site.yml with a new release or
    configuration), rests every server while one per host is up; nginx then tries the backups (every
    server again) instead of answering 502. Before them: 578 of 1,441 requests failed in 4.5 s."""
    fail_timeout = harness.seconds(harness.role_defaults("nginx")["ai_navigator_nginx_upstream_fail_timeout"])
    refuse = "; ".join(
        ["nft add table inet refuse", "nft add chain inet refuse input '{ type filter hook input priority -10; }'"]
        + [f"nft add rule inet refuse input tcp dport {port} reject with tcp reset; sleep 1; "
           "nft flush chain inet refuse input" for port in PORTS]
        + ["nft delete table inet refuse"])
    def rested() -> dict[str, int]:
        """How often each LB's nginx has rested a server (its error log)."""
        return {lb: int(harness.sh(lb, "grep -c 'upstream server temporarily disabled' /var/log/nginx/error.log",
                                   check=False).out or 0) for lb in LBS}

    workers, rested_before = nginx_workers(), rested()
    with load() as reports, ThreadPoolExecutor(len(APPS)) as pool:
        began = time.monotonic()
        list(pool.map(lambda name: harness.sh(name, refuse), APPS))
        time.sleep(fail_timeout)  # every rest ends under load
        seconds = time.monotonic() - began
    report("every server resting at once (each instance refused on every host in step)", reports, seconds,
           what="refusals and the wait for fail_timeout")
    assert_no_failures(reports, None)
    assert nginx_workers() == workers
    # The refusals did rest servers (at least every server once, in some worker).
    assert all(rested()[lb] - rested_before[lb] >= len(APPS) * len(PORTS) for lb in LBS), (rested_before, rested())


def test_an_instance_count_change_costs_one_reload():
    """What a change that needs a reload costs (measured, not avoided): site.yml adds an instance
    per host (and switches back to the collection's release, restarting the others one by one on
    every host at once: the backups carry what the resting servers cannot) and reloads nginx once.
    The checking client loses nothing; the plain client may lose at most one request per
    keep-alive connection, on the idle connections the reload closes."""
    workers = nginx_workers()
    with load() as reports:
        run = playbook("site", "-e", f"ai_navigator_app_instances={INSTANCES + 1}")
    report("4 site.yml, instances 2 -> 3 (one nginx reload)", reports, run.seconds)
    assert run.rc == 0, run.tail()
    assert nginx_workers() != workers, "site.yml did not reload nginx"
    plain, checking = reports["plain"], reports["checking"]
    assert checking["failed"] == 0, checking["failures"]
    assert plain["failed"] <= PLAIN_CONNECTIONS * len(LBS), plain["failures"]
    assert all(f["status"] is None for f in plain["failures"]), plain["failures"]
    # site.yml also deploys its own release, the collection's app/ (the converged one).
    for address in APPS.values():
        assert served(address, PORTS[-1] + 1)["release"] == STATE["initial"]
