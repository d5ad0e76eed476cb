#!/usr/bin/env python3
"""Fleet scale: what site.yml and rolling_update.yml cost the controller per host, and what nginx
costs a request, on lab fleets of 1 LB + N app hosts (scripts/lab.sh).

For each fleet shape (--shapes 2,8: 1 LB + 2 and 1 LB + 8 app hosts) it boots a lab, then runs
  fresh           playbooks/site.yml on the new hosts
  idempotent 1/2  playbooks/site.yml twice more (the second must report changed=0: else FINDING)
  load            bench/loadgen.py through nginx (HTTPS via the LB, verified against the lab CA)
                  and against one instance direct, same connections, as fast as they answer
  rolling update  playbooks/rolling_update.yml to a new release (a copy of app/ with the version
                  bumped, harness.release_source), checked on every app host afterwards
and destroys the lab (unless --keep). Every playbook run goes through the scenarios' harness
(ansible-runner, the checkout's ansible.cfg) and is measured:
  wall            seconds from start to end of the run
  CPU             user+sys of the ansible-playbook process tree: resource.getrusage(RUSAGE_CHILDREN)
                  before and after the run (the runs are this process's only children meanwhile;
                  SSH ControlMaster processes detach from the tree and are not counted)
  CPU/host        CPU / hosts in the fleet (app hosts + the LB)
  tasks/host      task results per host from the run's stats: ok + skipped + failed + unreachable
                  (ok includes changed), the mean over the app hosts and over the LB hosts
and os.getloadavg() before and after it: the machine is shared.

  bench/fleet_scale.py [--shapes 2,8] [--instances N] [--out docs/fleet.md] [--keep] [--quick] [--profile]

--quick skips the load and the rolling update; --keep leaves the labs up and --reuse runs on
such a kept, converged lab (no create, no fresh run). Lab names: fleet<N>, or --labs a,b.
--profile adds the controller CPU of each task of the second idempotent run (the 15 costliest;
bench/callback_plugins/task_cpu.py).
"""

from __future__ import annotations

import argparse
import json
import os
import pathlib
import re
import resource
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field

REPO = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "bench"))
sys.path.insert(0, str(REPO / "molecule" / "shared"))

import harness  # noqa: E402
import loadgen  # noqa: E402

LAB_ROOT = harness.LAB_ROOT
RUNS = ("fresh", "idempotent 1", "idempotent 2", "rolling update")
# What the bench passes to every playbook run: the controller may reach the instances directly
# (the lab bridge, .1 of the lab's /24, is let in as monitoring, as the scenarios do) and the
# LB's per-client limits are lifted: all load comes from one address, as fast as it is answered.
BENCH_VARS = {
    "ai_navigator_firewall_monitoring_sources": ["{{ (ansible_host.split('.')[:3] + ['1']) | join('.') }}"],
    "ai_navigator_nginx_limit_req_rate": 1000000,
    "ai_navigator_nginx_limit_req_burst": 1000000,
    "ai_navigator_nginx_limit_conn": 1000,
}
SHARED_CORES = (f"This machine has {os.cpu_count()} cores: the lab fleet (nginx, every instance), the load "
                "generator and the other users of the machine share them.")


@dataclass
class Measured:
    """One playbook run on one fleet."""

    apps: int
    run: str
    wall: float
    cpu: float
    hosts: int
    tasks_app: float
    tasks_lb: float
    changed: int
    rc: int
    load_before: list[float] = field(default_factory=list)
    load_after: list[float] = field(default_factory=list)

    @property
    def cpu_per_host(self) -> float:
        return self.cpu / self.hosts if self.hosts else 0.0


# --- the pure parts (tests/test_fleet_scale.py) ------------------------------------------------

def tasks_per_host(recap: dict[str, dict[str, int]]) -> dict[str, int]:
    """Task results per host from a run's recap (harness.recap): ok + skipped + failures +
    unreachable. `ok` already counts the changed results; rescued/ignored are not extra results."""
    return {host: c["ok"] + c["skipped"] + c["failures"] + c["unreachable"] for host, c in recap.items()}


def summarize_recap(recap: dict[str, dict[str, int]], apps: list[str], lbs: list[str]) -> tuple[float, float, int]:
    """(mean tasks per app host, mean tasks per LB host, changed results on all fleet hosts);
    hosts outside the fleet (localhost's checks) are left out."""
    tasks = tasks_per_host(recap)

    def mean(hosts: list[str]) -> float:
        return sum(tasks.get(h, 0) for h in hosts) / len(hosts) if hosts else 0.0

    return mean(apps), mean(lbs), sum(recap.get(h, {}).get("changed", 0) for h in apps + lbs)


def changed_tasks(events: list[dict]) -> list[str]:
    """'host: task' of every changed result of a run (ansible-runner events), in order."""
    found = []
    for event in events:
        data = event.get("event_data", {})
        if event.get("event") == "runner_on_ok" and data.get("res", {}).get("changed"):
            found.append(f"{data.get('host')}: {data.get('task')}")
    return found


def ratios(rows: list[Measured], big: int, small: int) -> dict[str, dict[str, float]]:
    """Per run, big fleet over small fleet: wall time and CPU per host (runs both have)."""
    by = {(r.apps, r.run): r for r in rows}
    out = {}
    for run in RUNS:
        if (big, run) in by and (small, run) in by:
            b, s = by[(big, run)], by[(small, run)]
            out[run] = {"wall": b.wall / s.wall if s.wall else 0.0,
                        "cpu_per_host": b.cpu_per_host / s.cpu_per_host if s.cpu_per_host else 0.0}
    return out


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100) of values; 0.0 for none."""
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = max(1, -(-len(ordered) * q // 100))  # ceil(n * q / 100), at least the first
    return ordered[int(rank) - 1]


def latency(report: loadgen.Report, results: list[loadgen.Result]) -> dict[str, float]:
    """Throughput and latency of the answered requests of a loadgen run."""
    answered = [r.seconds for r in results if r.error is None and r.status and r.status < 300]
    return {"rate": report.ok / report.duration if report.duration else 0.0, "sent": report.sent,
            "failed": report.failed, "p50_ms": percentile(answered, 50) * 1000,
            "p99_ms": percentile(answered, 99) * 1000}


def table(rows: list[Measured]) -> str:
    """The Markdown table of every run."""
    lines = ["| fleet | run | wall s | controller CPU s | CPU/host s | tasks/app host | tasks/LB | changed "
             "| load 1-min before → after |",
             "|---|---|---:|---:|---:|---:|---:|---:|---|"]
    for r in rows:
        load = f"{r.load_before[0]:.2f} → {r.load_after[0]:.2f}" if r.load_before and r.load_after else ""
        failed = "" if r.rc == 0 else f" (rc {r.rc})"
        lines.append(f"| 1 LB + {r.apps} app | {r.run}{failed} | {r.wall:.1f} | {r.cpu:.1f} | {r.cpu_per_host:.2f} "
                     f"| {r.tasks_app:.0f} | {r.tasks_lb:.0f} | {r.changed} | {load} |")
    return "\n".join(lines)


def ratio_lines(found: dict[str, dict[str, float]], big: int, small: int) -> list[str]:
    return [f"{big}/{small} app hosts, {run}: wall ×{r['wall']:.2f}, CPU per host ×{r['cpu_per_host']:.2f}"
            for run, r in found.items()]


def load_table(loads: list[dict]) -> str:
    lines = ["| fleet | target | connections | seconds | requests/s | p50 ms | p99 ms | failed "
             "| loadgen CPU (cores) | load 1-min before → after |",
             "|---|---|---:|---:|---:|---:|---:|---:|---:|---|"]
    for one in loads:
        lines.append(f"| 1 LB + {one['apps']} app | {one['target']} | {one['connections']} | {one['seconds']:.0f} "
                     f"| {one['rate']:.0f} | {one['p50_ms']:.1f} | {one['p99_ms']:.1f} | {one['failed']} "
                     f"| {one['client_cores']:.2f} | {one['load_before'][0]:.2f} → {one['load_after'][0]:.2f} |")
    return "\n".join(lines)


def bump_version(source: pathlib.Path) -> None:
    """The rolling update's new release: app/'s version with .post1 (a new wheel, a new release id)."""
    pyproject = source / "pyproject.toml"
    text = pyproject.read_text()
    bumped = re.sub(r'^version = "([^"]+)"', r'version = "\1.post1"', text, count=1, flags=re.M)
    assert bumped != text, f"no version line in {pyproject}"
    pyproject.write_text(bumped)


# --- the lab and the runs --------------------------------------------------------------------

def lab_inventory(lab: str) -> dict:
    import yaml

    return yaml.safe_load((LAB_ROOT / lab / "hosts.yml").read_text())


def lab_hosts(inventory: dict, group: str) -> dict[str, str]:
    """name -> address of a group of the lab's inventory."""
    hosts = inventory["all"]["children"][group]["hosts"]
    return {name: hosts[name]["ansible_host"] for name in sorted(hosts)}


def measure(apps: int, run: str, path: str, args: list[str], inventory: str, fleet: dict[str, list[str]],
            env: dict[str, str] | None = None) -> tuple[Measured, harness.Run]:
    """One playbook run through the harness, with the CPU of its process tree and the load around it."""
    load_before = list(os.getloadavg())
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    done = harness.playbook(path, *args, inventory=inventory, env=env)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    tasks_app, tasks_lb, changed = summarize_recap(done.recap if done.stats else {}, fleet["app"], fleet["lb"])
    measured = Measured(apps, run, done.seconds, cpu, len(fleet["app"]) + len(fleet["lb"]), tasks_app, tasks_lb,
                        changed, done.rc, load_before, list(os.getloadavg()))
    print(f"  {run}: rc={done.rc} wall={done.seconds:.1f}s cpu={cpu:.1f}s changed={changed} "
          f"tasks/app host={tasks_app:.0f} load={load_before[0]:.2f}->{measured.load_after[0]:.2f}", flush=True)
    return measured, done


def load_runs(apps: int, lb: str, app_address: str, ca: pathlib.Path, connections: int, seconds: float
              ) -> list[dict]:
    """The same closed-loop load (each connection sends its next request when the last is
    answered: a rate no connection can reach) through nginx and against one instance."""
    found = []
    for target, url, cafile in (("nginx (HTTPS via the LB)", f"https://{lb}/version", str(ca)),
                                ("one instance direct (HTTP)", f"http://{app_address}:8000/version", None)):
        harness.wait_for(lambda url=url, cafile=cafile: _answers(url, cafile), timeout=30)
        gen = loadgen.Load(url, rate=1e6, workers=connections, timeout=5, body=None, cafile=cafile)
        load_before, cpu_before = list(os.getloadavg()), time.process_time()
        report = gen.run(seconds)
        # The generator runs in this process (threads): its CPU says whether it was the bottleneck.
        client_cores = (time.process_time() - cpu_before) / report.duration if report.duration else 0.0
        found.append({"apps": apps, "target": target, "url": url, "connections": connections,
                      "seconds": report.duration, **latency(report, gen.results), "client_cores": client_cores,
                      "load_before": load_before, "load_after": list(os.getloadavg())})
        print(f"  load {target}: {found[-1]['rate']:.0f}/s p50={found[-1]['p50_ms']:.1f}ms "
              f"p99={found[-1]['p99_ms']:.1f}ms failed={report.failed} loadgen={client_cores:.2f} cores", flush=True)
    return found


def _answers(url: str, cafile: str | None) -> bool:
    import ssl

    try:
        context = ssl.create_default_context(cafile=cafile) if cafile else None
        return harness.http(url, timeout=2, context=context).status == 200
    except harness.NO_ANSWER:
        return False


class Failed(Exception):
    """A fleet's bench could not go on (its lab did not boot, a run failed): reported, next fleet."""


def create_lab(lab: str, apps: int) -> None:
    """lab.sh create, a second time if the first fails: on a loaded machine a host may miss the
    120 s lab.sh gives it to answer SSH (create clears what the failed attempt left)."""
    for attempt in (1, 2):
        print(f"1 LB + {apps} app hosts: creating lab {lab}" + (" (second attempt)" if attempt == 2 else ""),
              flush=True)
        done = subprocess.run([str(harness.LAB_SH), "create", lab, "lb1", *(f"app{i}" for i in range(1, apps + 1))],
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        if done.returncode == 0:
            return
        print(done.stderr, end="", file=sys.stderr, flush=True)
    raise Failed(f"lab.sh create {lab} failed twice: {done.stderr.strip().splitlines()[-1:]}")


def profile_env(out: pathlib.Path) -> dict[str, str]:
    """The run writes its controller CPU per task to `out` (bench/callback_plugins/task_cpu.py)."""
    return {"ANSIBLE_CALLBACK_PLUGINS": str(REPO / "bench" / "callback_plugins"),
            "ANSIBLE_CALLBACKS_ENABLED": "task_cpu", "TASK_CPU_OUT": str(out)}


def profile_table(profile: dict, top: int = 15) -> str:
    """The tasks that cost the controller most, with their cost per host that ran (or skipped) them."""
    lines = ["| task | controller CPU s | ms per host | results |", "|---|---:|---:|---|"]
    for task in sorted(profile["tasks"], key=lambda t: -t["cpu"])[:top]:
        hosts = sum(task["results"].values())
        name = f"{task['role']} : {task['task']}" if task["role"] and task["role"] not in task["task"] else task["task"]
        lines.append(f"| {name[:100]} | {task['cpu']:.2f} | {1000 * task['cpu'] / hosts if hosts else 0:.0f} | "
                     + ", ".join(f"{k} {v}" for k, v in sorted(task["results"].items())) + " |")
    counted = sum(t["cpu"] for t in profile["tasks"])
    lines.append(f"| (all {len(profile['tasks'])} tasks; the rest of the {profile['total_cpu']:.1f} s is starting "
                 f"Ansible and reading the playbooks) | {counted:.2f} | | |")
    return "\n".join(lines)


def bench_fleet(apps: int, lab: str, args: argparse.Namespace, vars_file: pathlib.Path, work: pathlib.Path,
                rows: list[Measured], loads: list[dict], findings: list[str], profiles: dict[int, dict]) -> None:
    """One fleet's runs, appended to rows and loads as they end (a failure keeps what was measured)."""
    if not args.reuse:
        create_lab(lab, apps)
    inventory = str(LAB_ROOT / lab / "hosts.yml")
    lab_inv = lab_inventory(lab)
    app_hosts, lb_hosts = lab_hosts(lab_inv, "ai_navigator_app"), lab_hosts(lab_inv, "ai_navigator_lb")
    assert len(app_hosts) == apps, f"lab {lab} has {len(app_hosts)} app hosts, not {apps}"
    fleet = {"app": list(app_hosts), "lb": list(lb_hosts)}
    extra = ["-e", f"@{vars_file}"]
    for run in ("fresh", "idempotent 1", "idempotent 2"):
        if run == "fresh" and args.reuse:
            continue
        profiled = args.profile and run == "idempotent 2"
        measured, done = measure(apps, run, "playbooks/site.yml", extra, inventory, fleet,
                                 env=profile_env(work / f"task-cpu-{lab}.json") if profiled else None)
        rows.append(measured)
        if profiled:
            profiles[apps] = json.loads((work / f"task-cpu-{lab}.json").read_text())
        if done.rc != 0:
            raise Failed(f"site.yml ({run}) failed on lab {lab}:\n{done.tail()}")
        if run == "idempotent 2" and measured.changed:
            findings.append(f"1 LB + {apps} app, second idempotent site.yml: changed={measured.changed} "
                            f"(expected 0): " + "; ".join(changed_tasks(done.events)))
    if args.quick:
        return
    lb_address, app_address = next(iter(lb_hosts.values())), next(iter(app_hosts.values()))
    loads += load_runs(apps, lb_address, app_address, LAB_ROOT / lab / "tls" / "ca.crt", args.connections,
                      args.load_seconds)
    source, release = harness.release_source(work / f"app-{lab}", bump_version)
    measured, done = measure(apps, "rolling update", "playbooks/rolling_update.yml",
                             [*extra, "-e", f"ai_navigator_app_source_dir={source}"], inventory, fleet)
    rows.append(measured)
    if done.rc != 0:
        raise Failed(f"rolling_update.yml failed on lab {lab}:\n{done.tail()}")
    served = {name: harness.http(f"http://{address}:8000/version", timeout=5).json().get("release")
              for name, address in app_hosts.items()}
    if set(served.values()) != {release}:
        findings.append(f"1 LB + {apps} app: after the rolling update to {release} the instances on port 8000 "
                        f"serve {served}")


def commit() -> str:
    """The checkout's commit, '+changes' when the work tree differs from it: which code was measured."""
    def git(*args: str) -> str:
        return subprocess.run(["git", "-C", str(REPO), *args], capture_output=True, text=True).stdout.strip()

    return (git("rev-parse", "--short", "HEAD") or "unknown") + ("+changes" if git("status", "--porcelain") else "")


def report(rows: list[Measured], loads: list[dict], shapes: list[int], instances: int, findings: list[str],
           code: str = "", profiles: dict[int, dict] | None = None) -> str:
    lines = [f"Fleet scale ({time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, code {code or commit()}, "
             f"{instances} instances per app host, forks from ansible.cfg; CPU = user+sys of the ansible-playbook "
             "process tree; CPU/host = CPU / (app hosts + LB); tasks = ok+skipped+failed+unreachable results per "
             "host)", "", table(rows), ""]
    if len(shapes) >= 2:
        lines += [f"- {line}" for line in ratio_lines(ratios(rows, max(shapes), min(shapes)), max(shapes),
                                                      min(shapes))] + [""]
    if loads:
        lines += [f"Load: GET /version, {loads[0]['connections']} keep-alive connections, each sending its next "
                  "request when the last is answered (bench/loadgen.py, in this process: its CPU is the "
                  "loadgen column).", "", load_table(loads), ""]
    for apps, profile in sorted((profiles or {}).items()):
        lines += [f"Controller CPU by task, 1 LB + {apps} app, idempotent 2 (--profile; the 15 costliest):", "",
                  profile_table(profile), ""]
    lines += [SHARED_CORES, ""]
    lines += [f"FINDING: {f}" for f in findings] or ["No findings: the second idempotent run changed nothing."]
    return "\n".join(lines) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shapes", default="2,8", help="app hosts per fleet, comma-separated (default 2,8)")
    parser.add_argument("--labs", help="lab names, one per shape (default fleet<N>)")
    parser.add_argument("--instances", type=int, help="instances per app host (default: the app role's default)")
    parser.add_argument("--out", help="write the report as Markdown here and the figures as JSON beside it "
                        "(FILE.json: the JSON only)")
    parser.add_argument("--keep", action="store_true", help="leave the labs up")
    parser.add_argument("--reuse", action="store_true", help="use kept, converged labs: no create, no fresh run")
    parser.add_argument("--quick", action="store_true", help="site.yml runs only: no load, no rolling update")
    parser.add_argument("--profile", action="store_true",
                        help="report the controller CPU of each task of the second idempotent run")
    parser.add_argument("--connections", type=int, default=8, help="load: concurrent connections (default 8)")
    parser.add_argument("--load-seconds", type=float, default=15.0, help="load: seconds per target (default 15)")
    args = parser.parse_args()
    try:
        shapes = [int(s) for s in args.shapes.split(",")]
    except ValueError:
        parser.error(f"--shapes {args.shapes!r}: app host counts separated by commas, e.g. 2,8")
    labs = args.labs.split(",") if args.labs else [f"fleet{n}" for n in shapes]
    if len(labs) != len(shapes) or not all(re.fullmatch(r"[a-z0-9]{1,10}", lab) for lab in labs):
        parser.error("--labs: one name per shape, each 1-10 lowercase letters or digits")
    if not all(1 <= n <= 79 for n in shapes) or (args.instances is not None and args.instances < 1):
        parser.error("--shapes: 1 to 79 app hosts each (lab.sh's names); --instances: at least 1")
    instances = args.instances or harness.role_defaults("app")["ai_navigator_app_instances"]

    code = commit()  # before the runs: the code they measure
    work = pathlib.Path(tempfile.mkdtemp(prefix="fleet-scale-"))
    harness.OUT_DIR = work  # each run's stamped output: work/playbooks.log
    vars_file = work / "bench-vars.json"
    vars_file.write_text(json.dumps({**BENCH_VARS, "ai_navigator_app_instances": instances}))
    rows: list[Measured] = []
    loads: list[dict] = []
    findings: list[str] = []
    profiles: dict[int, dict] = {}
    for apps, lab in zip(shapes, labs, strict=True):
        try:
            bench_fleet(apps, lab, args, vars_file, work, rows, loads, findings, profiles)
        except Failed as failed:
            findings.append(f"1 LB + {apps} app: {failed}")
        except KeyboardInterrupt:
            # Ctrl-C: the lab is destroyed below, and what was measured is still reported.
            findings.append(f"1 LB + {apps} app: interrupted (Ctrl-C); later runs and fleets not measured")
            break
        finally:
            if not args.keep:
                subprocess.run([str(harness.LAB_SH), "destroy", lab], check=False, stdout=subprocess.DEVNULL)
    text = report(rows, loads, shapes, instances, findings, code, profiles)
    print("\n" + text + f"(playbook output with timings: {work / 'playbooks.log'})")
    if args.out:
        out = pathlib.Path(args.out)
        if out.suffix != ".json":
            out.write_text(text)
        out.with_suffix(".json").write_text(json.dumps(
            {"code": code, "instances": instances, "cpus": os.cpu_count(), "findings": findings, "loads": loads,
             "runs": [{**asdict(r), "cpu_per_host": r.cpu_per_host} for r in rows], "profiles": profiles,
             "ratios": ratios(rows, max(shapes), min(shapes)) if len(shapes) >= 2 else {}}, indent=2))
    return 1 if findings else 0


if __name__ == "__main__":
    sys.exit(main())
