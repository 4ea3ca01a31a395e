"""The FastAPI application factory: routers under /api/v1, the dashboard, /metrics, and a lifespan that starts
the loop's scheduler (APScheduler AsyncIOScheduler) when asked."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from api import docs_ui
from api.dashboard import events_page, facility_page, invest_page, map_page, outage_page, plans_page, supply_page
from api.dashboard import pages as dashboard
from api.errors import add_error_handlers, document_errors
from api.metrics import RequestMetrics, app_metrics
from api.middleware import MetricsGuard, OriginCheck, SecurityHeaders
from api.routers import (
    audit,
    auth,
    city,
    events,
    facilities,
    health,
    invest,
    market,
    ngsi,
    outage,
    outage_jobs,
    overrides,
    plans,
    survival,
)
from api.sessions import throttle_for
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
        if scheduler is not None and service.jobs.journal is not None:  # jobs the last run could not finish
            await asyncio.to_thread(service.jobs.journal.mark_lost, service.clock())
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
        docs_url=None,  # /docs is served from the package's Swagger UI (api.docs_ui): offline, no inline script
        redoc_url=None,
        description="YGE energy management: live status, plans, procurement, audit, events. "
        "Units: kW, kWh, JPY, JPY/kWh, SoC fraction; times ISO 8601 with zone.",
    )
    app.state.service = service
    app.state.metrics = app_metrics(service)  # this app's own registry: apps in one process do not collide
    app.state.login_throttle = throttle_for(service)
    app.add_middleware(RequestMetrics, http=app.state.metrics.http, api_prefix=API_PREFIX)
    _harden(app, service)
    add_error_handlers(app)

    async def storage_error(request: Request, exc: Exception) -> JSONResponse:
        now = service.clock()
        service.outbox.fail(exc, now)
        if request.method not in ("GET", "HEAD", "OPTIONS"):  # a refused command is recorded once storage returns
            who = getattr(getattr(request.state, "principal", None), "username", "anonymous")
            text = f"{who}: {request.method} {request.url.path} refused with 503 while storage failed; not applied"
            service.outbox.keep_event("request_refused", text, "warning", None, now)
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
        market,
        health,
    ):
        app.include_router(module.router, prefix=API_PREFIX)
    _warm_reads(service)
    app.include_router(health.metrics_router)
    app.include_router(ngsi.router)  # /ngsi-ld/v1: the city data platform's NGSI-LD endpoint
    app.include_router(dashboard.router)
    for page in (supply_page, facility_page, events_page, plans_page, map_page, outage_page, invest_page):
        app.include_router(page.router)
    dashboard.mount_static(app)
    docs_ui.mount(app)
    document_errors(app)
    return app


def _warm_reads(service: Service) -> None:
    """The read model's bodies the loop rebuilds after each step (runtime.reads), so readers find them ready."""
    service.reads.register("status:*", lambda: facilities.status_body(service))
    service.reads.register("city", lambda: city.summary_body(service))
    service.reads.register("plan:latest", lambda: plans.latest_body(service))


def _harden(app: FastAPI, service: Service) -> None:
    """Security headers, the Origin check, the /metrics guard and (outermost) the trusted proxies' headers."""
    settings = service.settings
    app.add_middleware(SecurityHeaders)
    app.add_middleware(OriginCheck, allowed=settings.allowed_origins)
    token = settings.metrics_token.get_secret_value() if settings.metrics_token else None
    app.add_middleware(MetricsGuard, token=token)
    if settings.trusted_proxies:
        from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

        app.add_middleware(ProxyHeadersMiddleware, trusted_hosts=settings.trusted_proxies)
