"""Prometheus metrics of one server process (``GET /metrics``), in a registry of its own.

A registry per app keeps two apps in one process (tests, Ray replicas) from clashing over metric names. With
``--workers N`` every worker process exports its own figures; a scrape reaches one of them.
"""

from __future__ import annotations

from typing import Any

LATENCY_BUCKETS = (0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
SIZE_BUCKETS = (1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024)
PATHS = ("/", "/predict", "/health", "/ready", "/info", "/metrics", "/docs", "/openapi.json")


class ServeMetrics:
    def __init__(self) -> None:
        from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

        self.registry = CollectorRegistry(auto_describe=True)
        r = self.registry
        self.requests = Counter(
            "koclassify_requests", "HTTP requests by path, method and status", ["path", "method", "status"], registry=r
        )
        self.latency = Histogram(
            "koclassify_request_seconds", "request latency", ["path"], buckets=LATENCY_BUCKETS, registry=r
        )
        self.batch_rows = Histogram("koclassify_batch_rows", "rows per model call", buckets=SIZE_BUCKETS, registry=r)
        self.batch_requests = Histogram(
            "koclassify_batch_requests", "requests sharing one model call", buckets=SIZE_BUCKETS, registry=r
        )
        self.model_seconds = Histogram(
            "koclassify_model_call_seconds", "time of one model call", buckets=LATENCY_BUCKETS, registry=r
        )
        self.rows = Counter("koclassify_rows_predicted", "rows predicted", registry=r)
        self.load_seconds = Gauge("koclassify_model_load_seconds", "model load and warm-up time", registry=r)
        self.ready = Gauge("koclassify_ready", "1 when the model is loaded and serving", registry=r)

    def observe_request(self, path: str, method: str, status: int, seconds: float) -> None:
        path = path if path in PATHS or path.startswith("/static/") else "other"
        path = "/static" if path.startswith("/static/") else path
        self.requests.labels(path, method, str(status)).inc()
        self.latency.labels(path).observe(seconds)

    def observe_batch(self, rows: int, requests: int, seconds: float) -> None:
        self.batch_rows.observe(rows)
        self.batch_requests.observe(requests)
        self.model_seconds.observe(seconds)
        self.rows.inc(rows)

    def render(self) -> tuple[bytes, str]:
        from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

        return generate_latest(self.registry), CONTENT_TYPE_LATEST

    def value(self, name: str, labels: dict[str, Any] | None = None) -> float | None:
        """A sample's current value (tests and the benchmark read them without parsing text)."""
        return self.registry.get_sample_value(name, labels or {})
