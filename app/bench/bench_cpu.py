#!/usr/bin/env python3
"""CPU time the server process spends per request (prints figures; not a test).

Throughput on a shared 2-core machine varies many-fold with the neighbours' load; the CPU time
the server itself uses per request hardly does, so this compares two versions of the service
fairly on a busy machine. Starts `python -m ai_navigator.cli serve` on a free loopback port,
sends --requests requests per endpoint over --connections keep-alive connections, and reads the
process's user+system time from /proc before and after.

    python app/bench/bench_cpu.py [--requests 2000] [--connections 4]
    PYTHONPATH=<other tree>/app/src python app/bench/bench_cpu.py    # another version, same machine
"""

from __future__ import annotations

import argparse
import concurrent.futures
import json
import os
import sys

import httpx
from local_server import free_port, start

QUERY = {"query": "从北京出发依次经过天津、济南到上海"}




def cpu_seconds(pid: int) -> float:
    fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def run(base: str, method: str, path: str, body: dict | None, count: int) -> None:
    with httpx.Client(base_url=base, timeout=30) as client:
        for _ in range(count):
            r = client.request(method, path, json=body)
            assert r.status_code == 200, r.text


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--requests", type=int, default=2000)
    ap.add_argument("--connections", type=int, default=4)
    a = ap.parse_args()
    port = free_port()
    proc = start(port)
    base = f"http://127.0.0.1:{port}"
    try:
        results = {}
        for name, method, path, body in (("GET /health", "GET", "/health", None),
                                         ("POST /api/ai/navigate", "POST", "/api/ai/navigate", QUERY)):
            run(base, method, path, body, 200)  # warm-up
            per = a.requests // a.connections
            before = cpu_seconds(proc.pid)
            with concurrent.futures.ThreadPoolExecutor(a.connections) as pool:
                for done in [pool.submit(run, base, method, path, body, per) for _ in range(a.connections)]:
                    done.result()
            used = cpu_seconds(proc.pid) - before
            results[name] = round(used / (per * a.connections) * 1e6)
            print(f"{name:24s} {results[name]:6d} µs of server CPU per request ({per * a.connections} requests)")
        print(json.dumps(results))
    finally:
        proc.terminate()
        proc.wait(timeout=20)
    return 0


if __name__ == "__main__":
    sys.exit(main())
