#!/usr/bin/env python3
"""Constant HTTP load that records every response: the yardstick of rolling updates and faults.

Sends GET (or POST with --json) requests at a fixed total rate from several worker threads,
each on its own keep-alive connection (--mix-post PATH: every other request on a connection is a
POST of the --json body to PATH, the others GET the URL), until --duration passes or SIGINT/SIGTERM arrives. Every
request counts: a non-2xx status, a connection error or a timeout is a failure. At the end it
writes a JSON report (--out) and prints one summary line:

  sent=1200 ok=1200 failed=0 rate=49.8/s duration=24.1s longest_gap=0.04s releases=1.0.0-a:700,v2:500

`longest_gap` is the longest time between two answered requests: the outage a client saw.

A server may close an idle keep-alive connection at any time (nginx does on every reload and
on keepalive_timeout); HTTP clients such as urllib3, Go's net/http and browsers check for that
before reusing a connection, or retry. By default this tool does neither, so every idle
connection an nginx reload closes costs one failed request. --check-reuse makes it behave like
those clients: before reusing a connection it checks whether the server closed it, and opens a
new one if so (counted as `reconnects`). A request that was sent and got no answer is still a
failure either way.
An https:// URL is verified against --cacert (or the system's CAs); each worker's connection
makes one TLS handshake and is kept alive like a plain one.
Only loopback and the lab's own addresses are meant as targets.
"""

from __future__ import annotations

import argparse
import http.client
import json
import select
import signal
import ssl
import sys
import threading
import time
import urllib.parse
from collections import Counter
from dataclasses import asdict, dataclass, field


@dataclass
class Result:
    started: float
    seconds: float
    status: int | None
    error: str | None
    release: str | None
    instance: str | None
    method: str = "GET"


@dataclass
class Report:
    url: str
    sent: int = 0
    ok: int = 0
    failed: int = 0
    duration: float = 0.0
    rate: float = 0.0
    longest_gap: float = 0.0
    reconnects: int = 0
    releases: dict[str, int] = field(default_factory=dict)
    instances: dict[str, int] = field(default_factory=dict)
    methods: dict[str, int] = field(default_factory=dict)
    failures: list[dict] = field(default_factory=list)

    def line(self) -> str:
        releases = ",".join(f"{k}:{v}" for k, v in sorted(self.releases.items()))
        methods = ",".join(f"{k}:{v}" for k, v in sorted(self.methods.items()))
        return (f"sent={self.sent} ok={self.ok} failed={self.failed} methods={methods} rate={self.rate:.1f}/s "
                f"duration={self.duration:.1f}s longest_gap={self.longest_gap:.2f}s releases={releases}"
                f" reconnects={self.reconnects}")


def summarize(url: str, results: list[Result], duration: float, reconnects: int = 0) -> Report:
    results = sorted(results, key=lambda r: r.started)
    answered = sorted(r.started + r.seconds for r in results if r.error is None and r.status and r.status < 300)
    gaps = [b - a for a, b in zip(answered, answered[1:], strict=False)]
    bad = [r for r in results if not (r.error is None and r.status and r.status < 300)]
    return Report(
        url=url,
        sent=len(results),
        ok=len(results) - len(bad),
        failed=len(bad),
        duration=duration,
        rate=len(results) / duration if duration else 0.0,
        longest_gap=max(gaps, default=0.0),
        reconnects=reconnects,
        releases=dict(Counter(r.release for r in results if r.release)),
        instances=dict(Counter(r.instance for r in results if r.instance)),
        methods=dict(Counter(r.method for r in results)),
        failures=[asdict(r) for r in bad[:50]],
    )


class Load:
    """Workers that share a request budget of `rate` per second."""

    def __init__(self, url: str, rate: float, workers: int, timeout: float, body: bytes | None,
                 check_reuse: bool = False, cafile: str | None = None, mix_post: str | None = None):
        self.url = urllib.parse.urlsplit(url)
        self.tls = ssl.create_default_context(cafile=cafile) if self.url.scheme == "https" else None
        self.full_url = url
        self.interval = workers / rate
        self.workers = workers
        self.timeout = timeout
        self.body = body
        self.check_reuse = check_reuse
        self.mix_post = mix_post
        self.reconnects = 0
        self.stop = threading.Event()
        self.results: list[Result] = []
        self.lock = threading.Lock()

    def _connect(self) -> http.client.HTTPConnection:
        if self.tls is not None:
            return http.client.HTTPSConnection(self.url.hostname, self.url.port or 443, timeout=self.timeout,
                                               context=self.tls)
        return http.client.HTTPConnection(self.url.hostname, self.url.port or 80, timeout=self.timeout)

    def _one(self, conn: http.client.HTTPConnection, post: bool = False) -> Result:
        path = self.url.path or "/"
        if self.url.query:
            path += "?" + self.url.query
        body = self.body
        if self.mix_post is not None:
            path, body = (self.mix_post, self.body) if post else (path, None)
        method = "POST" if body is not None else "GET"
        if self.check_reuse and conn.sock is not None and select.select([conn.sock], [], [], 0)[0]:
            # An idle keep-alive connection is readable only once the server closed it (or sent
            # something unasked): drop it, the request below opens a new one.
            conn.close()
            with self.lock:
                self.reconnects += 1
        started = time.monotonic()
        try:
            headers = {"Content-Type": "application/json"} if body is not None else {}
            conn.request(method, path, body=body, headers=headers)
            response = conn.getresponse()
            response.read()
            return Result(started, time.monotonic() - started, response.status, None,
                          response.getheader("X-AI-Navigator-Release"),
                          response.getheader("X-AI-Navigator-Instance"), method)
        except (OSError, http.client.HTTPException) as exc:
            conn.close()
            return Result(started, time.monotonic() - started, None, f"{type(exc).__name__}: {exc}", None, None,
                          method)

    def _worker(self, offset: float) -> None:
        conn = self._connect()
        next_at = time.monotonic() + offset
        sent = 0
        while not self.stop.is_set():
            delay = next_at - time.monotonic()
            if delay > 0 and self.stop.wait(delay):
                break
            next_at += self.interval
            result = self._one(conn, post=sent % 2 == 1)
            sent += 1
            with self.lock:
                self.results.append(result)
        conn.close()

    def run(self, duration: float) -> Report:
        threads = [threading.Thread(target=self._worker, args=(i * self.interval / self.workers,), daemon=True)
                   for i in range(self.workers)]
        began = time.monotonic()
        for thread in threads:
            thread.start()
        self.stop.wait(duration)
        self.stop.set()
        for thread in threads:
            thread.join(self.timeout + 1)
        with self.lock:
            return summarize(self.full_url, list(self.results), time.monotonic() - began, self.reconnects)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("url")
    parser.add_argument("--rate", type=float, default=50.0, help="requests per second in all (default 50)")
    parser.add_argument("--workers", type=int, default=4, help="concurrent connections (default 4)")
    parser.add_argument("--duration", type=float, default=30.0, help="seconds; SIGINT/SIGTERM end it earlier")
    parser.add_argument("--timeout", type=float, default=5.0, help="seconds one request may take")
    parser.add_argument("--json", help="POST this JSON body instead of GET")
    parser.add_argument("--mix-post", metavar="PATH",
                        help="every other request POSTs the --json body to PATH on the URL's host, "
                             "the others GET the URL")
    parser.add_argument("--out", help="write the full report as JSON here")
    parser.add_argument("--check-reuse", action="store_true",
                        help="before reusing a keep-alive connection, check the server has not closed it "
                             "(as HTTP libraries do)")
    parser.add_argument("--cacert", help="verify an https:// URL against the CA certificates in this PEM file")
    args = parser.parse_args()
    if args.rate <= 0 or args.workers < 1 or not 0 < args.duration <= 3600:
        parser.error("--rate must be > 0, --workers >= 1, --duration within (0, 3600]")
    if args.mix_post is not None and (args.json is None or not args.mix_post.startswith("/")):
        parser.error("--mix-post needs a path starting with / and a --json body")

    load = Load(args.url, args.rate, args.workers, args.timeout,
                args.json.encode() if args.json is not None else None, args.check_reuse, args.cacert,
                args.mix_post)
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: load.stop.set())
    report = load.run(args.duration)
    if args.out:
        with open(args.out, "w") as out:
            json.dump(asdict(report), out, indent=2)
    print(report.line(), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
