"""/api/v1/health (no login needed, with the package version) and Prometheus /metrics (`api.metrics`)."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from api.routers.deps import ServiceDep
from api.schemas.common import Health
from api.version import package_version
from runtime.loop.service import loop_counters
from runtime.store import readings

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
    counters = loop_counters(svc)
    return Health(
        status="ok" if database == "ok" else "degraded",
        version=package_version(),
        database=database,
        scenario=svc.scenario.name,
        facilities=len(svc.scenario.facilities),
        loop_runs=counters.runs,
        loop_failures=counters.failures,
        stale_devices=counters.stale_devices,
    )


@metrics_router.get("/metrics", response_class=Response)
def metrics(request: Request) -> Response:
    """Prometheus metrics of this app: text exposition 0.0.4, or OpenMetrics when the Accept header asks for it."""
    body, content_type = request.app.state.metrics.render(request.headers.get("accept"))
    return Response(body, media_type=content_type)
