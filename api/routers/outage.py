"""/api/v1/outage-plans: the disaster office (and operators) plan shelter supply for an outage, then download
the plan's shelter table, EV itinerary (CSV) and the whole plan (JSON)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Annotated

import pandas as pd
from fastapi import APIRouter, HTTPException, Path, Request, status
from fastapi.responses import Response

from api.routers.deps import ERRORS, ServiceDep, require
from api.routers.outage_runs import OutageRuns, runs_of
from api.schemas.outage import MoveOut, OutagePlanDetail, OutageRequest, ShelterOutcome, ShelterPlanRow
from runtime.facades import outage_planning as outage
from runtime.facades.outage_planning import OutagePlan
from runtime.jobs.pool import Job, JobsFullError
from runtime.loop.service import Service
from runtime.security import Principal

router = APIRouter(prefix="/outage-plans", tags=["outage"])
DisasterDep = Annotated[Principal, require("operator", "disaster_office")]
RunId = Annotated[
    str,
    Path(
        min_length=1,
        max_length=32,
        pattern=r"^[A-Za-z0-9_-]+$",
        description="Run id returned by POST /api/v1/outage-plans.",
    ),
]


@dataclass(frozen=True)
class PlanOptions:
    """What a request may set beyond the outage itself: car and shelter-battery SoC at the start (fraction by id),
    cars unavailable ('ID' or busy until a time, 'ID@TIME'), the shelters each car may serve and whether the
    fleet calendar sets the cars' availability."""

    ev_soc: Mapping[str, float] = field(default_factory=dict)
    battery_soc: Mapping[str, float] = field(default_factory=dict)
    unavailable: Sequence[str] = ()
    candidates: int = 6
    fleet_calendar: bool = True

    @classmethod
    def of(cls, body: OutageRequest) -> PlanOptions:
        """The options of an API request body."""
        return cls(body.ev_soc, body.battery_soc, tuple(body.unavailable), body.candidates, body.fleet_calendar)


def start_plan(
    svc: Service,
    principal: Principal,
    start: pd.Timestamp,
    hours: float,
    method: str,
    time_limit_s: float,
    pv_factor: float,
    options: PlanOptions | None = None,
) -> Job:
    """Submit runtime.facades.outage_planning.plan for the service's scenario to the heavy-job pool (a worker
    process: the loop and the read endpoints are not slowed); 429 when the pool and its queue are full."""
    if not svc.scenario.shelters:
        raise HTTPException(422, "scenario: it has no shelters to plan for")
    opts = options or PlanOptions()
    off, busy = outage.parse_unavailable(list(opts.unavailable), start)
    shares = {f"ev_soc.{k}": v for k, v in opts.ev_soc.items()} | {
        f"battery_soc.{k}": v for k, v in opts.battery_soc.items()
    }
    for name, share in shares.items():
        if not 0 <= share <= 1:
            raise ValueError(f"{name}: {share} must be a fraction in 0..1")
    try:
        return svc.jobs.submit(
            "outage",
            principal.username,
            outage.plan,
            svc.scenario,
            start,
            hours,
            time_limit_s,
            method,
            pv_factor=pv_factor,
            candidate_shelters=opts.candidates,
            ev_soc=dict(opts.ev_soc),
            battery_soc=dict(opts.battery_soc),
            unavailable_evs=off,
            available_from=busy,
            fleet_calendar=opts.fleet_calendar,
        )
    except JobsFullError as exc:
        raise HTTPException(status.HTTP_429_TOO_MANY_REQUESTS, str(exc), headers={"Retry-After": "10"}) from None


def finish_plan(svc: Service, job: Job, timeout_s: float | None = None) -> OutagePlan:
    """Wait for an outage job (`timeout_s`, None = until done) and journal it once. ValueError for bad input (the
    message names the field), 503 if the planner failed otherwise."""
    try:
        result: OutagePlan = job.future.result(timeout=timeout_s)
    except ValueError:
        raise
    except Exception as exc:  # a failed plan is an answer, not a crash
        raise HTTPException(status.HTTP_503_SERVICE_UNAVAILABLE, f"outage plan failed: {exc}") from None
    if not job.extra.get("journaled"):
        job.extra["journaled"] = True
        shed = float(result.shed_kw.sum() * result.h)
        svc.outbox.event(  # kept while storage fails, written when it returns
            svc.store,
            "outage_plan_run",
            f"{job.owner}: {result.data.n_slots * result.h:g} h outage from "
            f"{result.data.start.isoformat()} ({result.method}, {result.status}): shed {shed:.0f} kWh",
            severity="info",
        )
    return result


def plan_and_keep(
    svc: Service,
    principal: Principal,
    runs: OutageRuns,
    start: pd.Timestamp,
    hours: float,
    method: str,
    time_limit_s: float,
    pv_factor: float,
    options: PlanOptions | None = None,
) -> tuple[OutagePlan, str]:
    """Plan an outage in the heavy-job pool and wait for it (the caller's thread waits, not the event loop), keep
    the plan as a run and, if the store took it, record the run id in the job's row (as a polled job's is):
    the plan and its run id."""
    job = start_plan(svc, principal, start, hours, method, time_limit_s, pv_factor, options)
    result = finish_plan(svc, job)
    return result, keep_job_run(svc, runs, job, result)


def keep_job_run(svc: Service, runs: OutageRuns, job: Job, plan: OutagePlan) -> str:
    """Keep a finished job's plan as a run and, if the store took it, record the run id in the job's row
    (heavy_jobs.run_id); the run id."""
    run_id, stored = runs.keep(plan, job.owner)
    if stored and svc.jobs.journal is not None:
        svc.jobs.journal.run_stored(job.id, run_id)
    return run_id


def plan_detail(result: OutagePlan, run_id: str) -> OutagePlanDetail:
    """The API view of a plan: totals, per-shelter table and itinerary."""
    table = result.shelter_table().reset_index()
    rows = table.astype(object).where(table.notna(), None).to_dict(orient="records")
    shelters = [
        ShelterPlanRow(facility_id=str(r["shelter"]), **{str(k): v for k, v in r.items() if k != "shelter"})
        for r in rows
    ]
    moves = [
        MoveOut(
            car=m.car,
            from_site=m.from_site,
            to_shelter=m.to_shelter,
            depart=m.depart.to_pydatetime(),
            arrive=m.arrive.to_pydatetime(),
            travel_kwh=m.travel_kwh,
            energy_delivered_kwh=m.delivered_kwh,
            arrival_soc=m.arrival_soc,
            outlet=m.outlet,
            until=None if m.until is None else m.until.to_pydatetime(),
            empty_at=None if m.empty_at is None else m.empty_at.to_pydatetime(),
        )
        for m in result.moves
    ]
    return OutagePlanDetail(
        method=result.method,
        status=result.status,
        objective=float(result.objective),
        gap=result.gap,
        slots=int(result.served_kw.shape[0]),
        served_kwh=result.served_kwh,
        shed_kwh=float(result.shed_kw.sum() * result.h),
        notes=list(result.notes),
        shelters=[
            ShelterOutcome(facility_id=s.facility_id, served_kwh=s.served_kwh, shed_kwh=s.shed_kwh) for s in shelters
        ],
        run_id=run_id,
        start=result.data.start.to_pydatetime(),
        hours=result.data.n_slots * result.h,
        bound=result.bound,
        solve_seconds=result.solve_seconds,
        shelter_table=shelters,
        itinerary=moves,
    )


@router.post("", response_model=OutagePlanDetail, responses={**ERRORS, 422: {}, 429: {}, 503: {}})
def run_outage_plan(body: OutageRequest, request: Request, svc: ServiceDep, principal: DisasterDep) -> OutagePlanDetail:
    """Plan the shelters' supply (PV, batteries, EVs) for an outage; disaster office and operators. Solved in a
    worker process and answered when done; 429 when the heavy-job pool is full. Not waiting:
    ``POST /outage-plans/jobs`` (202) and ``GET /outage-plans/jobs/{job_id}``."""
    start, _ = outage.outage_start(pd.Timestamp(body.start))
    result, run_id = plan_and_keep(
        svc,
        principal,
        runs_of(request),
        start,
        body.hours,
        body.method,
        body.time_limit_s,
        body.pv_factor,
        PlanOptions.of(body),
    )
    return plan_detail(result, run_id)


def _download(request: Request, run_id: str, name: str) -> Response:
    """A run's download, the same bytes from memory or (after a restart) from the store."""
    found = runs_of(request).download(run_id, name)
    return Response(
        found.body,
        media_type=found.media_type,
        headers={"Content-Disposition": f'attachment; filename="outage-{run_id}-{name}"'},
    )


CSV_RESPONSES = {**ERRORS, 200: {"content": {"text/csv": {}}}}


@router.get("/{run_id}/shelters.csv", response_class=Response, responses=CSV_RESPONSES)
def shelters_csv(run_id: RunId, request: Request, principal: DisasterDep) -> Response:
    """Per shelter: critical, served and shed kWh, hours served, dark at, kWh from PV, battery and EVs, and per
    tier kWh served and hours fully served."""
    return _download(request, run_id, "shelters.csv")


@router.get("/{run_id}/itinerary.csv", response_class=Response, responses=CSV_RESPONSES)
def itinerary_csv(run_id: RunId, request: Request, principal: DisasterDep) -> Response:
    """EV itinerary: car, from, to, depart, arrive (ISO, JST), travel_kwh, energy_delivered_kwh, arrival_soc
    (fraction), outlet, until, empty_at."""
    return _download(request, run_id, "itinerary.csv")


@router.get("/{run_id}/cars.csv", response_class=Response, responses=CSV_RESPONSES)
def cars_csv(run_id: RunId, request: Request, principal: DisasterDep) -> Response:
    """Per car and slot (slot start ISO, JST): where it is (site, 'to <shelter>' on the road, 'busy'), kWh, SoC
    (fraction) at the slot start, kW delivered."""
    return _download(request, run_id, "cars.csv")


@router.get(
    "/{run_id}/plan.json", response_class=Response, responses={**ERRORS, 200: {"content": {"application/json": {}}}}
)
def plan_json(run_id: RunId, request: Request, principal: DisasterDep) -> Response:
    """The whole plan: summary, shelter table, itinerary, per car and slot, and shed kW per slot and shelter."""
    return _download(request, run_id, "plan.json")
