"""Prometheus metrics in a registry of our own (no global state shared between app instances)."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Histogram

# Label values are bounded: a client picks the method name and the path, so anything outside
# these sets folds into one label (otherwise each new name is a new time series: a few hundred
# crafted requests grew /metrics by megabytes). Route templates come from the router;
# a path no route matches is already "unmatched" (middleware.py).
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "TRACE", "CONNECT"})
OTHER_METHOD = "other"


def method_label(method: str) -> str:
    return method if method in METHODS else OTHER_METHOD


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.requests = Counter(
            "ai_navigator_http_requests",
            "HTTP requests answered, by route template, method and status.",
            ["route", "method", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "ai_navigator_http_request_duration_seconds",
            "Time to answer HTTP requests, by route template, method and status.",
            ["route", "method", "status"],
            buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
            registry=self.registry,
        )

    def observe(self, route: str, method: str, status: int, seconds: float) -> None:
        labels = (route, method_label(method), str(status))
        self.requests.labels(*labels).inc()
        self.latency.labels(*labels).observe(seconds)
