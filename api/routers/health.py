"""/api/v1/health (no login needed, with the package version) and Prometheus /metrics (`api.metrics`)."""

from __future__ import annotations

import asyncio

from fastapi import APIRouter, Request, Response

from api.routers.deps import ServiceDep
from api.schemas.common import Health
from api.version import package_version
from runtime.loop.service import loop_counters

router = APIRouter(tags=["health"])
metrics_router = APIRouter(tags=["health"])


@router.get("/health", response_model=Health, responses={503: {"model": Health}})
async def health(svc: ServiceDep, response: Response) -> Health:
    """Storage writable (a probe write at most every 2 s, and the loop's own store calls), scenario loaded, loop
    counters. HTTP 503 naming the failing part (`failing`) while storage fails; `waiting` counts what the loop
    buffers meanwhile."""
    if svc.outbox.probe_due():  # a write, in a worker thread; else the last probe's answer, from memory
        error = await asyncio.to_thread(svc.outbox.check, svc.store, svc.clock())
    else:
        error = svc.outbox.status()
    counters = loop_counters(svc)
    if error is not None:
        response.status_code = 503
    return Health(
        status="ok" if error is None else "failing",
        version=package_version(),
        database="ok" if error is None else f"error: {error}",
        scenario=svc.scenario.name,
        facilities=len(svc.scenario.facilities),
        loop_runs=counters.runs,
        loop_failures=counters.failures,
        stale_devices=counters.stale_devices,
        failing=[] if error is None else ["storage"],
        waiting={k: v for k, v in svc.outbox.pending().items() if v},
    )


@metrics_router.get("/metrics", response_class=Response)
def metrics(request: Request) -> Response:
    """Prometheus metrics of this app: text exposition 0.0.4, or OpenMetrics when the Accept header asks for it."""
    body, content_type = request.app.state.metrics.render(request.headers.get("accept"))
    return Response(body, media_type=content_type)
