"""/api/v1/health (no login needed) and Prometheus /metrics (text exposition format, written here)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import PlainTextResponse

from api.routers.deps import ServiceDep
from api.schemas.common import Health
from runtime import loop
from runtime.store import plans, readings
from runtime.store.types import utcnow

router = APIRouter(tags=["health"])
metrics_router = APIRouter(tags=["health"])


@router.get("/health", response_model=Health)
def health(svc: ServiceDep) -> Health:
    """Database reachable, scenario loaded, loop counters."""
    try:
        readings.latest_values(svc.store, "__health__")
        database = "ok"
    except Exception as exc:  # report, do not crash
        database = f"error: {type(exc).__name__}"
    counters = loop.summary(svc)
    return Health(
        status="ok" if database == "ok" else "degraded",
        database=database,
        scenario=svc.scenario.name,
        facilities=len(svc.scenario.facilities),
        loop_runs=counters["runs"],
        loop_failures=counters["failures"],
        stale_devices=counters["stale_devices"],
    )


def _line(name: str, value: float, labels: dict[str, str] | None = None) -> str:
    if labels:
        inner = ",".join(f'{k}="{v}"' for k, v in sorted(labels.items()))
        return f"{name}{{{inner}}} {value:g}"
    return f"{name} {value:g}"


def render_metrics(svc: loop.Service, http: dict[tuple[str, str, int], list[float]]) -> str:
    """Prometheus text format of loop, data and HTTP metrics."""
    out = [
        "# HELP ems_http_requests_total HTTP requests by method, route and status.",
        "# TYPE ems_http_requests_total counter",
    ]
    out += [
        _line("ems_http_requests_total", v[0], {"method": m, "route": r, "status": str(s)})
        for (m, r, s), v in sorted(http.items())
    ]
    out += [
        "# HELP ems_http_request_duration_seconds_sum Total time serving requests in seconds.",
        "# TYPE ems_http_request_duration_seconds_sum counter",
    ]
    out += [
        _line("ems_http_request_duration_seconds_sum", v[1], {"method": m, "route": r, "status": str(s)})
        for (m, r, s), v in sorted(http.items())
    ]
    counters = loop.summary(svc)
    for name, key, kind in (
        ("ems_loop_job_duration_seconds", "durations_s", "gauge"),
        ("ems_loop_job_runs_total", "runs", "counter"),
        ("ems_loop_job_failures_total", "failures", "counter"),
    ):
        out += [f"# HELP {name} Loop job {key} by job.", f"# TYPE {name} {kind}"]
        out += [_line(name, v, {"job": j}) for j, v in sorted(counters[key].items())]
    out += [
        "# HELP ems_stale_devices Devices whose readings are stale.",
        "# TYPE ems_stale_devices gauge",
        _line("ems_stale_devices", counters["stale_devices"]),
    ]
    latest = readings.latest_values(svc.store)
    if latest:
        age = max((utcnow() - r.ts).total_seconds() for r in latest)
        out += [
            "# HELP ems_oldest_reading_age_seconds Age of the least fresh device point.",
            "# TYPE ems_oldest_reading_age_seconds gauge",
            _line("ems_oldest_reading_age_seconds", age),
        ]
    plan = plans.latest_plan(svc.store)
    out += [
        "# HELP ems_plan_version Version of the plan in force (0 if none).",
        "# TYPE ems_plan_version gauge",
        _line("ems_plan_version", plan.version if plan else 0),
    ]
    return "\n".join(out) + "\n"


@metrics_router.get("/metrics", response_class=PlainTextResponse)
def metrics(svc: ServiceDep, request: Request) -> PlainTextResponse:
    """Prometheus metrics (text exposition format 0.0.4)."""
    return PlainTextResponse(
        render_metrics(svc, request.app.state.http_stats), media_type="text/plain; version=0.0.4; charset=utf-8"
    )
