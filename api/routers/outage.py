"""/api/v1/outage-plans: the disaster office (and operators) plan shelter supply for an outage."""

from __future__ import annotations

import pandas as pd
from fastapi import APIRouter, HTTPException, status

from api.routers.deps import ERRORS, PrincipalDep, ServiceDep
from api.schemas.outage import OutagePlanOut, OutageRequest, ShelterOutcome
from runtime import outage
from runtime.store import journal

router = APIRouter(prefix="/outage-plans", tags=["outage"])


@router.post("", response_model=OutagePlanOut, responses={**ERRORS, 422: {}, 503: {}})
def run_outage_plan(body: OutageRequest, svc: ServiceDep, principal: PrincipalDep) -> OutagePlanOut:
    """Plan the shelters' supply (PV, batteries, EVs) for an outage; disaster office and operators."""
    if principal.role not in ("operator", "disaster_office"):
        raise HTTPException(status.HTTP_403_FORBIDDEN, f"role '{principal.role}' may not run outage plans")
    if not svc.scenario.shelters:
        raise HTTPException(422, "scenario: it has no shelters to plan for")
    start, _ = outage.outage_start(pd.Timestamp(body.start))
    try:
        result = outage.plan(svc.scenario, start, body.hours, body.time_limit_s, body.method,
                             pv_factor=body.pv_factor)
    except ValueError:
        raise
    except Exception as exc:  # a failed plan is an answer, not a crash
        raise HTTPException(status.HTTP_503_SERVICE_UNAVAILABLE, f"outage plan failed: {exc}") from None
    h = result.h
    ids = [s.id for s in result.data.shelters]
    served = result.served_kw.sum(axis=0) * h
    shed = result.shed_kw.sum(axis=0) * h
    journal.raise_event(svc.store, "outage_plan_run", f"{principal.username}: {body.hours:g} h outage from "
                        f"{start.isoformat()} ({body.method}): shed {float(shed.sum()):.0f} kWh", severity="info")
    return OutagePlanOut(method=result.method, status=result.status, objective=float(result.objective),
                         gap=result.gap, slots=int(result.served_kw.shape[0]), served_kwh=float(served.sum()),
                         shed_kwh=float(shed.sum()), notes=list(result.notes),
                         shelters=[ShelterOutcome(facility_id=f, served_kwh=float(served[i]), shed_kwh=float(shed[i]))
                                   for i, f in enumerate(ids)])
