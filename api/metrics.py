"""Prometheus metrics of one app, with `prometheus-client`: HTTP request counts and latency histograms recorded by
a middleware, and the loop's state (job runs, failures and durations, stale devices, reading age, plan in force)
read at each scrape.

Every app owns its own `CollectorRegistry` (never the process-global default), so several apps in one process
(tests, a benchmark next to a service) do not collide or see each other's requests.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass

from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.exposition import choose_encoder
from prometheus_client.metrics_core import CounterMetricFamily, GaugeMetricFamily, Metric
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from runtime.loop.service import Service, loop_counters
from runtime.store import plans, readings

HTTP_LABELS = ("method", "route", "status")
# Upper bounds in seconds: health and status reads take 5-400 ms (benchmarks/results/service.md); a what-if
# plan solves for seconds, an outage plan for up to a minute.
LATENCY_BUCKETS_S = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)


class HttpMetrics:
    """Requests counted and timed by (method, route template, status) in one registry."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.requests = Counter(
            "ems_http_requests", "HTTP requests by method, route and status.", HTTP_LABELS, registry=registry
        )
        self.duration_s = Histogram(
            "ems_http_request_duration_seconds",
            "Time serving HTTP requests in seconds, by method, route and status.",
            HTTP_LABELS,
            registry=registry,
            buckets=LATENCY_BUCKETS_S,
        )

    def observe(self, method: str, route: str, status: int, seconds: float) -> None:
        """Count one request that took `seconds` (s)."""
        labels = (method, route, str(status))
        self.requests.labels(*labels).inc()
        self.duration_s.labels(*labels).observe(seconds)


# The loop's gauges other than the per-job families, with their help text.
LOOP_GAUGES = {
    "ems_stale_devices": "Devices whose readings are stale.",
    "ems_oldest_reading_age_seconds": "Age of the least fresh device point in seconds.",
    "ems_plan_version": "Version of the plan in force (0 if none).",
}


def _job_families(durations_s: dict[str, float], runs: dict[str, int], failures: dict[str, int]) -> list[Metric]:
    """Per-job families: last duration (s, gauge), runs and failures (counters), labelled by job name."""
    duration = GaugeMetricFamily(
        "ems_loop_job_duration_seconds", "Duration of the last run of each loop job in seconds.", labels=["job"]
    )
    run_count = CounterMetricFamily("ems_loop_job_runs", "Runs of each loop job.", labels=["job"])
    failure_count = CounterMetricFamily("ems_loop_job_failures", "Failed runs of each loop job.", labels=["job"])
    for family, values in ((duration, durations_s), (run_count, runs), (failure_count, failures)):
        for job, value in sorted(values.items()):
            family.add_metric([job], value)
    return [duration, run_count, failure_count]


def _gauge(name: str, value: float) -> GaugeMetricFamily:
    return GaugeMetricFamily(name, LOOP_GAUGES[name], value)


class LoopCollector:
    """The loop's state as metrics, read from the service at each scrape (nothing is copied in between)."""

    def __init__(self, service: Service) -> None:
        self.service = service

    def describe(self) -> list[Metric]:
        """The metric families without samples (the registry checks names on registration with this)."""
        return [*_job_families({}, {}, {}), *(GaugeMetricFamily(name, doc) for name, doc in LOOP_GAUGES.items())]

    def collect(self) -> Iterator[Metric]:
        """The metric families with their current values; the reading age only once a reading is stored."""
        counters = loop_counters(self.service)
        yield from _job_families(counters.durations_s, counters.runs, counters.failures)
        yield _gauge("ems_stale_devices", counters.stale_devices)
        latest = readings.latest_values(self.service.store)
        if latest:
            yield _gauge(
                "ems_oldest_reading_age_seconds", max((self.service.clock() - r.ts).total_seconds() for r in latest)
            )
        plan = plans.plan_in_force(self.service.store, self.service.settings.auto_approve)
        yield _gauge("ems_plan_version", plan.version if plan else 0)


@dataclass(frozen=True)
class AppMetrics:
    """One app's registry and the HTTP metrics its middleware records into."""

    registry: CollectorRegistry
    http: HttpMetrics

    def render(self, accept: str | None) -> tuple[bytes, str]:
        """The exposition for an Accept header: Prometheus text 0.0.4 by default, OpenMetrics when asked for.

        Returns the body and its content type.
        """
        encoder, content_type = choose_encoder(accept or "")
        return encoder(self.registry), content_type


def app_metrics(service: Service) -> AppMetrics:
    """A fresh registry holding the HTTP metrics and the loop collector of `service`."""
    registry = CollectorRegistry()
    http = HttpMetrics(registry)
    registry.register(LoopCollector(service))
    return AppMetrics(registry, http)


def route_of(scope: Scope, api_prefix: str) -> str:
    """The route template (e.g. /api/v1/plans/{plan_id}) so metrics do not explode per id; "unmatched" if none.

    Routers included under `api_prefix` keep only their own path in the route: the prefix is put back.
    """
    route_path = getattr(scope.get("route"), "path", None)
    if route_path is None:
        return "unmatched"
    path = str(route_path)
    if str(scope.get("path", "")).startswith(api_prefix) and not path.startswith(api_prefix):
        return api_prefix + path
    return path


class RequestMetrics:
    """Pure ASGI middleware recording every HTTP request's count and latency (s) into `HttpMetrics`."""

    def __init__(self, app: ASGIApp, http: HttpMetrics, api_prefix: str) -> None:
        self.app = app
        self.http = http
        self.api_prefix = api_prefix

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        status = 500
        started = time.perf_counter()

        async def record_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, record_status)
        finally:
            route = route_of(scope, self.api_prefix)
            self.http.observe(scope["method"], route, status, time.perf_counter() - started)
