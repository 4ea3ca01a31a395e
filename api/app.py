"""The FastAPI application factory: routers under /api/v1, the dashboard, /metrics, and a lifespan that starts
the loop's scheduler (APScheduler AsyncIOScheduler) when asked."""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.dashboard import outage_page
from api.dashboard import pages as dashboard
from api.routers import audit, auth, city, events, facilities, health, outage, overrides, plans, survival
from runtime.loop import Service
from runtime.scheduler import LoopScheduler

log = logging.getLogger(__name__)
API_PREFIX = "/api/v1"


def _route_of(scope: Scope) -> str:
    """The route template (e.g. /api/v1/plans/{plan_id}) so metrics do not explode per id."""
    route_path = getattr(scope.get("route"), "path", None)
    if route_path is None:
        return "unmatched"
    path = str(route_path)
    if str(scope.get("path", "")).startswith(API_PREFIX) and not path.startswith(API_PREFIX):
        return API_PREFIX + path  # routers are included lazily: the route keeps its own prefix only
    return path


class RequestMetrics:
    """Pure ASGI middleware counting requests and their time by (method, route, status) for /metrics."""

    def __init__(self, app: ASGIApp, stats: dict[tuple[str, str, int], list[float]]) -> None:
        self.app = app
        self.stats = stats

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
            entry = self.stats.setdefault((scope["method"], _route_of(scope), status), [0, 0.0])
            entry[0] += 1
            entry[1] += time.perf_counter() - started


def create_app(service: Service, run_loop: bool = False) -> FastAPI:
    """The app for `service`; with `run_loop` the lifespan starts and stops the loop scheduler."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        scheduler = LoopScheduler(service) if run_loop else None
        if scheduler is not None:
            scheduler.start()
        app.state.scheduler = scheduler
        try:
            yield
        finally:
            if scheduler is not None:
                await scheduler.stop()  # a running step finishes: no half-written plan, no cancelled write

    app = FastAPI(
        title="Yamaguchi EMS",
        version="1.0.0",
        lifespan=lifespan,
        description="YGE energy management: live status, plans, procurement, audit, events. "
        "Units: kW, kWh, JPY, JPY/kWh, SoC fraction; times ISO 8601 with zone.",
    )
    app.state.service = service
    app.state.http_stats = {}
    app.add_middleware(RequestMetrics, stats=app.state.http_stats)

    @app.exception_handler(ValueError)
    async def value_error(_request: Request, exc: ValueError) -> JSONResponse:
        return JSONResponse({"detail": str(exc)}, status_code=422)

    for module in (auth, facilities, city, plans, audit, events, overrides, outage, survival, health):
        app.include_router(module.router, prefix=API_PREFIX)
    app.include_router(health.metrics_router)
    app.include_router(dashboard.router)
    app.include_router(outage_page.router)
    dashboard.mount_static(app)
    return app
