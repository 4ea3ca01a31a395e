"""/api/v1/city: the city summary (operators and the disaster office)."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from api.prepared import prepared
from api.routers.deps import ServiceDep, require
from api.schemas.common import Message
from api.schemas.facilities import CitySummaryOut
from runtime.loop.service import Service
from runtime.store import journal, plans
from runtime.store.status import city_status, summarise

router = APIRouter(prefix="/city", tags=["city"])


@router.get(
    "/summary",
    response_model=CitySummaryOut,
    dependencies=[require("operator", "disaster_office")],
    responses={401: {"model": Message}, 403: {"model": Message}},
)
async def city_summary(request: Request, svc: ServiceDep) -> Response:
    """Totals over the city, the plan in force and open alarms (from the read model: at most
    ``EMS_READ_CACHE_MAX_AGE_S`` old; ETag)."""
    return await prepared(request, svc, "city", lambda: summary_body(svc))


def summary_body(svc: Service) -> bytes:
    """JSON of the city summary now."""
    return summary_out(svc).model_dump_json().encode()


def summary_out(svc: Service) -> CitySummaryOut:
    """The city summary now: totals (kW, SoC fraction), the plan in force, open alarms."""
    summary = summarise(svc.scenario, city_status(svc.store, svc.scenario, svc.clock()), svc.settings.stale_after_s)
    plan = plans.plan_in_force(svc.store, svc.settings.auto_approve)
    alarms = journal.count_open_alarms(svc.store)
    return CitySummaryOut(
        **summary.__dict__,
        plan_version=plan.version if plan else None,
        plan_kind=plan.kind if plan else None,
        open_alarms=alarms,
    )
