"""The FastAPI application factory: routers under /api/v1, the dashboard, /metrics, and a lifespan that starts
the loop's scheduler (APScheduler AsyncIOScheduler) when asked."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from api.dashboard import events_page, facility_page, map_page, outage_page, plans_page, supply_page
from api.dashboard import pages as dashboard
from api.metrics import RequestMetrics, app_metrics
from api.routers import (
    audit,
    auth,
    city,
    events,
    facilities,
    health,
    invest,
    ngsi,
    outage,
    outage_jobs,
    overrides,
    plans,
    survival,
)
from api.version import package_version
from runtime.loop.scheduler import LoopScheduler
from runtime.loop.service import Service
from runtime.store.db import STORAGE_ERRORS

log = logging.getLogger(__name__)
API_PREFIX = "/api/v1"


def create_app(service: Service, run_loop: bool = False) -> FastAPI:
    """The app for `service`; with `run_loop` the lifespan starts and stops the loop scheduler."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        scheduler = LoopScheduler(service) if run_loop else None
        if scheduler is not None:
            await asyncio.to_thread(service.jobs.warm)  # heavy-job workers up before the first request needs one
            scheduler.start()
        app.state.scheduler = scheduler
        try:
            yield
        finally:
            if scheduler is not None:
                await scheduler.stop()  # a running step finishes: no half-written plan, no cancelled write
            service.jobs.shutdown()  # the heavy-job worker processes

    app = FastAPI(
        title="Yamaguchi EMS",
        version=package_version(),
        lifespan=lifespan,
        description="YGE energy management: live status, plans, procurement, audit, events. "
        "Units: kW, kWh, JPY, JPY/kWh, SoC fraction; times ISO 8601 with zone.",
    )
    app.state.service = service
    app.state.metrics = app_metrics(service)  # this app's own registry: apps in one process do not collide
    app.add_middleware(RequestMetrics, http=app.state.metrics.http, api_prefix=API_PREFIX)

    @app.exception_handler(ValueError)
    async def value_error(_request: Request, exc: ValueError) -> JSONResponse:
        return JSONResponse({"detail": str(exc)}, status_code=422)

    async def storage_error(_request: Request, exc: Exception) -> JSONResponse:
        service.outbox.fail(exc, service.clock())
        detail = f"storage unavailable ({type(exc).__name__}); the service keeps running, try again shortly"
        return JSONResponse({"detail": detail}, status_code=503, headers={"Retry-After": "5"})

    for error in STORAGE_ERRORS:  # a failing database is a JSON 503, never a plain-text 500
        app.add_exception_handler(error, storage_error)

    for module in (
        auth,
        facilities,
        city,
        plans,
        audit,
        events,
        overrides,
        outage_jobs,
        outage,
        survival,
        invest,
        health,
    ):
        app.include_router(module.router, prefix=API_PREFIX)
    app.include_router(health.metrics_router)
    app.include_router(ngsi.router)  # /ngsi-ld/v1: the city data platform's NGSI-LD endpoint
    app.include_router(dashboard.router)
    for page in (supply_page, facility_page, events_page, plans_page, map_page, outage_page):
        app.include_router(page.router)
    dashboard.mount_static(app)
    return app
