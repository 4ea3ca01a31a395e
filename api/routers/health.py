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
async def health(request: Request, svc: ServiceDep, response: Response) -> Health:
    """Storage writable, scenario loaded, loop counters; answered from memory. With the loop running, storage is
    probed by the loop (a write every second, and the loop's own store calls; `storage_checked_age_s` says how long
    ago); without it, by this request at most once a second (in a worker thread). HTTP 503 naming the failing part
    (`failing`) while storage fails; `waiting` counts what the loop buffers meanwhile."""
    looping = getattr(request.app.state, "scheduler", None) is not None
    if not looping and svc.outbox.probe_due():
        error = await asyncio.to_thread(svc.outbox.check, svc.store, svc.clock())
    else:
        error = svc.outbox.status()
    counters = loop_counters(svc)
    if error is not None:
        response.status_code = 503
    age = svc.outbox.probe_age_s()
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
        storage_checked_age_s=None if age is None else round(age, 3),
    )


@metrics_router.get("/metrics", response_class=Response)
def metrics(request: Request) -> Response:
    """Prometheus metrics of this app: text exposition 0.0.4, or OpenMetrics when the Accept header asks for it."""
    body, content_type = request.app.state.metrics.render(request.headers.get("accept"))
    return Response(body, media_type=content_type)
