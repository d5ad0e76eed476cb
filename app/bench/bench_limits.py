#!/usr/bin/env python3
"""Measure what an abusive client can do to one real ai-navigator process (prints figures, asserts nothing).

Starts `python -m ai_navigator.cli serve` on a free 127.0.0.1 port, then:
  1. /metrics size after 10 requests with random method names and random paths, and after N more;
  2. how long the server keeps a socket open for a client that (a) connects and sends nothing,
     (b) sends half a request line and waits, (c) sends headers and then trickles its body one
     byte a second — each watched for at most --hold seconds ("held" means still open then).

    python app/bench/bench_limits.py [--requests 1000] [--hold 30]
"""

from __future__ import annotations

import argparse
import random
import socket
import string
import sys
import threading
import time

import httpx
from local_server import free_port, start


def random_token(rng: random.Random, n: int) -> str:
    return "".join(rng.choice(string.ascii_uppercase) for _ in range(n))


def metrics_growth(base: str, requests: int) -> tuple[int, int]:
    """/metrics size after 10 such requests (each kind of series exists) and after `requests` more."""
    rng = random.Random(9)
    sizes = []
    with httpx.Client(base_url=base, timeout=5) as client:
        for batch in (10, requests):
            for i in range(batch):
                path = "/" + "".join(rng.choice(string.ascii_lowercase) for _ in range(12))
                client.request(random_token(rng, 10) if i % 2 else "GET", path)
            client.get("/metrics")
            sizes.append(len(client.get("/metrics").content))
    return sizes[0], sizes[1]


def hold_time(port: int, first: bytes, trickle: bytes | None, limit: float) -> float | None:
    """Seconds until the server closes the socket; None if it was still open after `limit`."""
    sock = socket.create_connection(("127.0.0.1", port))
    sock.settimeout(0.5)
    t0 = time.monotonic()
    if first:
        sock.sendall(first)
    next_byte = t0 + 1
    try:
        while time.monotonic() - t0 < limit:
            if trickle is not None and time.monotonic() >= next_byte:
                try:
                    sock.sendall(trickle)
                except OSError:
                    return time.monotonic() - t0
                next_byte += 1
            try:
                if sock.recv(4096) == b"":
                    return time.monotonic() - t0
                # a response (e.g. 408) arrived: keep reading until the close
            except TimeoutError:
                continue
            except OSError:
                return time.monotonic() - t0
        return None
    finally:
        sock.close()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--requests", type=int, default=1000)
    ap.add_argument("--hold", type=float, default=30.0, help="longest time each slow client is watched")
    a = ap.parse_args()
    port = free_port()
    proc = start(port)
    try:
        before, after = metrics_growth(f"http://127.0.0.1:{port}", a.requests)
        print(f"/metrics: {before} bytes after 10 requests, {after} bytes after {a.requests} more "
              f"(half with random methods, all with random paths)")
        cases = {
            "idle (connects, sends nothing)": (b"", None),
            "half a request line, then waits": (b"GET /hea", None),
            "slow body (1 byte/s)": (b"POST /api/ai/navigate HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\n"
                                     b"content-length: 4000\r\n\r\n", b" "),
        }
        results: dict[str, float | None] = {}
        threads = [threading.Thread(target=lambda k=k, v=v: results.__setitem__(k, hold_time(port, *v, a.hold)))
                   for k, v in cases.items()]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        for name in cases:
            held = results[name]
            print(f"{name:34s} " + (f"closed by the server after {held:.1f} s" if held is not None
                                     else f"still open after {a.hold:.0f} s"))
    finally:
        proc.terminate()
        proc.wait(timeout=20)
    return 0


if __name__ == "__main__":
    sys.exit(main())
