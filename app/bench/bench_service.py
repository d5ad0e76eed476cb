#!/usr/bin/env python3
"""Benchmark one real ai-navigator process on loopback (not a test: it prints figures).

Starts `python -m ai_navigator.cli serve` on a free 127.0.0.1 port (stdout to /dev/null, log level
as in production unless --log-level is given), then measures GET /health and POST /api/ai/navigate:
requests/s and p50/p99 latency. Uses wrk (/usr/bin/wrk) when present, with a bounded duration;
otherwise a bounded number of requests from httpx over a few concurrent keep-alive connections.

    python bench/bench_service.py [--duration 5] [--connections 8] [--requests 3000] [--no-wrk]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import shutil
import statistics
import subprocess
import tempfile
import time

import httpx
from local_server import free_port, start

QUERY = {"query": "从北京出发依次经过天津、济南到上海"}






def _ms(text: str) -> float:
    m = re.match(r"([\d.]+)(us|ms|s)", text)
    value, unit = float(m.group(1)), m.group(2)
    return value / 1000 if unit == "us" else value * 1000 if unit == "s" else value


def run_wrk(url: str, duration: int, connections: int, body: dict | None) -> dict:
    args = ["wrk", "-t2", f"-c{connections}", f"-d{duration}s", "--latency", url]
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as f:
        if body is not None:
            f.write('wrk.method = "POST"\nwrk.headers["Content-Type"] = "application/json"\n'
                    f"wrk.body = [[{json.dumps(body, ensure_ascii=False)}]]\n")
        script = f.name
    try:
        out = subprocess.run(args + ["-s", script], capture_output=True, text=True, timeout=duration + 30).stdout
    finally:
        os.unlink(script)
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    p50 = _ms(re.search(r"50%\s+(\S+)", out).group(1))
    p99 = _ms(re.search(r"99%\s+(\S+)", out).group(1))
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    total = int(re.search(r"(\d+) requests in", out).group(1))
    return {"requests": total, "rps": rps, "p50_ms": p50, "p99_ms": p99,
            "non_2xx": int(errors.group(1)) if errors else 0}


async def _httpx(url: str, n: int, connections: int, body: dict | None) -> dict:
    lat: list[float] = []
    bad = 0
    limits = httpx.Limits(max_connections=connections, max_keepalive_connections=connections)
    async with httpx.AsyncClient(limits=limits, timeout=10) as client:
        queue = iter(range(n))

        async def worker():
            nonlocal bad
            for _ in queue:
                t = time.perf_counter()
                r = await (client.post(url, json=body) if body is not None else client.get(url))
                lat.append((time.perf_counter() - t) * 1000)
                bad += r.status_code >= 300

        t0 = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(connections)))
        elapsed = time.perf_counter() - t0
    lat.sort()
    return {"requests": n, "rps": n / elapsed, "p50_ms": statistics.median(lat),
            "p99_ms": lat[min(len(lat) - 1, int(len(lat) * 0.99))], "non_2xx": bad}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--duration", type=int, default=5, help="seconds per endpoint (wrk)")
    ap.add_argument("--connections", type=int, default=8)
    ap.add_argument("--requests", type=int, default=3000, help="requests per endpoint (httpx fallback)")
    ap.add_argument("--log-level", default="info")
    ap.add_argument("--no-wrk", action="store_true")
    a = ap.parse_args()
    port = free_port()
    proc = start(port, "--log-level", a.log_level)
    use_wrk = shutil.which("wrk") is not None and not a.no_wrk
    tool = f"wrk -t2 -c{a.connections} -d{a.duration}s" if use_wrk else \
        f"httpx, {a.requests} requests, {a.connections} connections"
    print(f"one process on 127.0.0.1:{port}, log level {a.log_level}, tool: {tool}, cores: {os.cpu_count()}")
    try:
        for name, path, body in (("GET /health", "/health", None),
                                 ("POST /api/ai/navigate", "/api/ai/navigate", QUERY)):
            url = f"http://127.0.0.1:{port}{path}"
            for _ in range(50):  # warm-up
                httpx.post(url, json=body) if body else httpx.get(url)
            res = run_wrk(url, a.duration, a.connections, body) if use_wrk else \
                asyncio.run(_httpx(url, a.requests, a.connections, body))
            print(f"{name:24s} {res['rps']:9.0f} req/s   p50 {res['p50_ms']:7.2f} ms   p99 {res['p99_ms']:7.2f} ms"
                  f"   ({res['requests']} requests, non-2xx {res['non_2xx']})")
    finally:
        proc.terminate()
        proc.wait(timeout=15)


if __name__ == "__main__":
    main()
