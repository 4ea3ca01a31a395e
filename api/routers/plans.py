"""/api/v1/plans: latest, by id, list, procurement CSV, approval, what-if runs, imbalances."""

from __future__ import annotations

import csv
import io
from typing import Annotated

import pandas as pd
from fastapi import APIRouter, HTTPException, Query, Request, Response, status

from api.prepared import prepared
from api.routers.deps import ERRORS, IdPath, OperatorDep, PrincipalDep, ServiceDep, require
from api.schemas.common import Message
from api.schemas.journal import ImbalanceOut
from api.schemas.plans import (
    CostSummaryOut,
    DecisionRequest,
    PlanInputsSummaryOut,
    PlanOut,
    PlanSlotOut,
    PlanSummaryOut,
    SlackEntryOut,
    WhatIfRequest,
)
from runtime.facades.plan_costs import cost_summary
from runtime.jobs.pool import JobsFullError
from runtime.loop.horizon import horizon_index
from runtime.loop.optimise import optimise, whatif
from runtime.loop.service import Service
from runtime.store import journal, plans
from runtime.store.models import Plan
from runtime.store.records import EventDetails
from scenarios.timegrid import TZ, jepx_slot_number

router = APIRouter(prefix="/plans", tags=["plans"])
READERS = require("operator", "disaster_office")
CSV_COLUMNS = (
    "slot_start",
    "plant_kw",
    "jepx_buy_kw",
    "jepx_sell_kw",
    "pv_kw",
    "battery_kw",
    "interchange_kw",
    "load_kw",
    "price_jpy_per_kwh",
)


def plan_out(svc: Service, plan: Plan) -> PlanOut:
    """A plan with its slots."""
    base = PlanSummaryOut.model_validate(plan).model_dump()
    return PlanOut(
        **base,
        inputs_summary=PlanInputsSummaryOut.model_validate(plan.inputs_summary),
        cost_breakdown=plan.cost_breakdown,
        cost_summary=CostSummaryOut(**cost_summary(plan.cost_breakdown)),
        slack_report=[SlackEntryOut.model_validate(m) for m in plan.slack_report],
        setpoints=plan.setpoints,
        slots=[PlanSlotOut.model_validate(s) for s in plans.plan_slots(svc.store, plan.id)],
    )


def _get(svc: Service, plan_id: int | None) -> Plan:
    if plan_id is None:
        plan = plans.plan_in_force(svc.store, svc.settings.auto_approve)
    else:
        plan = plans.get_plan(svc.store, plan_id)
    if plan is None:
        missing = "plan_id: no such plan" if plan_id else "no plan in force yet (none approved)"
        raise HTTPException(status.HTTP_404_NOT_FOUND, missing)
    return plan


@router.get("", response_model=list[PlanSummaryOut], dependencies=[READERS], responses=ERRORS)
def list_plans(svc: ServiceDep, limit: Annotated[int, Query(ge=1, le=500)] = 50) -> list[PlanSummaryOut]:
    """Newest plans first (all kinds, what-ifs included)."""
    return [PlanSummaryOut.model_validate(p) for p in plans.list_plans(svc.store, limit)]


@router.get("/latest", response_model=PlanOut, dependencies=[READERS], responses=ERRORS)
async def latest(request: Request, svc: ServiceDep) -> Response:
    """The plan in force, the one dispatch follows: with ``auto_approve`` the newest loop plan not rejected,
    else the approved plan (or the one approved before it, if it was rejected). Proposals: ``/plans/pending``.
    From the read model (rebuilt when storage changes; ETag)."""
    return await prepared(request, svc, "plan:latest", lambda: latest_body(svc))


def latest_body(svc: Service) -> bytes:
    """JSON of the plan in force with its slots (404 if there is none)."""
    return plan_out(svc, _get(svc, None)).model_dump_json().encode()


@router.get("/pending", response_model=list[PlanSummaryOut], dependencies=[READERS], responses=ERRORS)
def pending(svc: ServiceDep) -> list[PlanSummaryOut]:
    """Loop plans awaiting an operator's decision (status 'proposed'), newest first."""
    return [PlanSummaryOut.model_validate(p) for p in plans.pending_plans(svc.store)]


@router.get("/latest/procurement.csv", dependencies=[READERS], responses={200: {"content": {"text/csv": {}}}, **ERRORS})
def latest_csv(svc: ServiceDep) -> Response:
    """The procurement plan per slot of the plan in force as CSV (kW, JPY/kWh; slot start in JST)."""
    return _csv(svc, _get(svc, None))


@router.get("/{plan_id}", response_model=PlanOut, dependencies=[READERS], responses=ERRORS)
def by_id(plan_id: IdPath, svc: ServiceDep) -> PlanOut:
    """One plan by id."""
    return plan_out(svc, _get(svc, plan_id))


@router.get(
    "/{plan_id}/procurement.csv", dependencies=[READERS], responses={200: {"content": {"text/csv": {}}}, **ERRORS}
)
def by_id_csv(plan_id: IdPath, svc: ServiceDep) -> Response:
    """The procurement plan per slot of one plan as CSV."""
    return _csv(svc, _get(svc, plan_id))


def _csv(svc: Service, plan: Plan) -> Response:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["jepx_slot", *CSV_COLUMNS])
    for s in plans.plan_slots(svc.store, plan.id):
        local = pd.Timestamp(s.slot_start).tz_convert(TZ)
        writer.writerow(
            [
                jepx_slot_number(local),
                local.isoformat(),
                *(f"{getattr(s, c):.3f}" for c in CSV_COLUMNS[1:]),
            ]
        )
    name = f"procurement_plan_v{plan.version}.csv"
    return Response(
        buffer.getvalue(), media_type="text/csv", headers={"Content-Disposition": f'attachment; filename="{name}"'}
    )


@router.post("/{plan_id}/decision", response_model=PlanSummaryOut, responses={**ERRORS, 409: {"model": Message}})
def decide(
    plan_id: IdPath, body: DecisionRequest, request: Request, svc: ServiceDep, principal: OperatorDep
) -> PlanSummaryOut:
    """Approve or reject a plan (operators). Approving supersedes the previously approved plan; a rejection is
    final for that version and triggers an immediate re-plan (a new proposal; with ``auto_approve`` off the
    approved plan stays in force meanwhile). 409 for a rejected plan, a what-if approval or a second approval."""
    _get(svc, plan_id)
    user, now = principal.username, svc.clock()
    try:
        row = plans.decide_plan(svc.store, plan_id, body.decision, user, now)
    except plans.DecisionRefusedError as exc:
        raise HTTPException(status.HTTP_409_CONFLICT, f"plan_id: {exc}") from None
    if row is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "plan_id: no such plan")
    svc.outbox.event(  # stored now, or kept and written once storage returns
        svc.store,
        f"plan_{body.decision}",
        f"plan v{row.version} {body.decision} by {user}",
        severity="info",
        details=EventDetails(plan_id=row.id),
        ts=now,
    )
    if body.decision == "rejected" and row.kind != "whatif":
        _replan(request, svc, f"plan v{row.version} rejected by {user}")
    return PlanSummaryOut.model_validate(row)


def _replan(request: Request, svc: Service, why: str) -> None:
    """Re-plan at once: through the loop's scheduler when it runs (under its step lock), else here."""
    scheduler = getattr(request.app.state, "scheduler", None)
    if scheduler is not None:
        scheduler.replan_now(why)
    else:
        optimise(svc, svc.clock())


@router.post(
    "/whatif",
    response_model=PlanOut,
    status_code=201,
    responses={**ERRORS, 422: {"model": Message}, 429: {"model": Message}, 503: {"model": Message}},
)
def run_whatif(body: WhatIfRequest, svc: ServiceDep, principal: PrincipalDep) -> PlanOut:
    """Plan the current horizon with overrides (batteries unavailable, another price series); operators only.
    Solved in the heavy-job pool (a worker process): 429 when it is full."""
    if principal.role != "operator":
        raise HTTPException(status.HTTP_403_FORBIDDEN, f"role '{principal.role}' may not run what-ifs")
    if body.price_jpy_per_kwh is not None and body.price_area is not None:
        raise HTTPException(422, "price_area: give either price_jpy_per_kwh or price_area, not both")
    known = {f"{f.id}/{b.id}" for f in svc.scenario.facilities for b in f.batteries}
    unknown = [k for k in body.unavailable_batteries if k not in known]
    if unknown:
        raise HTTPException(422, f"unavailable_batteries: unknown battery {unknown[0]!r}; use 'facility/battery'")
    now = svc.clock()
    price = None
    if body.price_jpy_per_kwh is not None:
        index, _ = horizon_index(now)
        values = list(body.price_jpy_per_kwh) + [body.price_jpy_per_kwh[-1]] * len(index)
        price = pd.Series(values[: len(index)], index=index)
    try:
        plan = whatif(svc, now, body.unavailable_batteries, price, body.price_area, principal.username)
    except JobsFullError as exc:
        raise HTTPException(status.HTTP_429_TOO_MANY_REQUESTS, str(exc), headers={"Retry-After": "10"}) from None
    except Exception as exc:  # a failed solve is an answer, not a crash
        raise HTTPException(status.HTTP_503_SERVICE_UNAVAILABLE, f"what-if solve failed: {exc}") from None
    return plan_out(svc, plan)


@router.get("/imbalances/recent", response_model=list[ImbalanceOut], dependencies=[READERS], responses=ERRORS)
def imbalances(svc: ServiceDep, hours: Annotated[int, Query(ge=1, le=24 * 31)] = 48) -> list[ImbalanceOut]:
    """Imbalance per slot over the last `hours` (kWh, JPY)."""
    now = svc.clock()
    rows = journal.list_imbalances(svc.store, now - pd.Timedelta(hours=hours), now)
    return [ImbalanceOut.model_validate(r) for r in rows]
