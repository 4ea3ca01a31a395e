"""/api/v1/outage-plans/jobs: submit an outage plan without waiting (202) and poll its status; the solve runs in
the heavy-job pool's worker processes (runtime.jobs.pool), 429 when the pool and its queue are full."""

from __future__ import annotations

import threading
from typing import Annotated

import pandas as pd
from fastapi import APIRouter, HTTPException, Path, Request, Response, status

from api.routers.deps import ERRORS, ServiceDep
from api.routers.outage import DisasterDep, PlanOptions, finish_plan, plan_detail, start_plan
from api.routers.outage_runs import runs_of
from api.schemas.jobs import JobOut
from api.schemas.outage import OutageRequest
from runtime.facades import outage_planning as outage
from runtime.jobs.pool import Job
from runtime.loop.service import Service
from runtime.store.models import HeavyJobRow

router = APIRouter(prefix="/outage-plans/jobs", tags=["outage"])
JobId = Annotated[str, Path(min_length=1, max_length=32, pattern=r"^[A-Za-z0-9_-]+$", description="Job id.")]
_finish_lock = threading.Lock()


def _out(request: Request, svc: Service, job: Job) -> JobOut:
    result = None
    if job.status == "done":
        with _finish_lock:  # once per job: journal it and keep the plan for the downloads
            plan = finish_plan(svc, job)
            run_id = job.extra.get("run_id")
            if run_id is None:  # not setdefault: its argument would store the run again at every poll
                run_id = job.extra["run_id"] = runs_of(request).add(plan, job.owner)
        result = plan_detail(plan, run_id)
    return JobOut(
        job_id=job.id,
        kind=job.kind,
        status=job.status,
        owner=job.owner,
        submitted_at=job.submitted_at,
        finished_at=job.finished_at,
        error=job.error,
        status_url=f"{request.url_for('outage_job', job_id=job.id).path}",
        result=result,
    )


@router.post("", response_model=JobOut, status_code=202, responses={**ERRORS, 422: {}, 429: {}})
def submit_outage_job(
    body: OutageRequest, request: Request, response: Response, svc: ServiceDep, principal: DisasterDep
) -> JobOut:
    """Queue an outage plan (disaster office and operators); poll ``status_url`` until 'done' or 'failed'."""
    start, _ = outage.outage_start(pd.Timestamp(body.start))
    job = start_plan(
        svc, principal, start, body.hours, body.method, body.time_limit_s, body.pv_factor, PlanOptions.of(body)
    )
    out = _out(request, svc, job)
    response.headers["Location"] = out.status_url
    return out


@router.get("/{job_id}", response_model=JobOut, name="outage_job", responses=ERRORS)
def outage_job(job_id: JobId, request: Request, svc: ServiceDep, principal: DisasterDep) -> JobOut:
    """A job's status; once done, its plan (with the run id of its CSV/JSON downloads)."""
    job = svc.jobs.get(job_id)
    if job is None:  # not in this run's table: what the database recorded (e.g. 'lost on restart')
        row = svc.jobs.journal.get(job_id) if svc.jobs.journal is not None else None
        if row is None or row.kind != "outage":
            raise HTTPException(status.HTTP_404_NOT_FOUND, f"job_id: no outage job '{job_id}'")
        return _recorded(request, row)
    if job.kind != "outage":
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"job_id: no outage job '{job_id}'")
    return _out(request, svc, job)


def _recorded(request: Request, row: HeavyJobRow) -> JobOut:
    """A job of an earlier run (or dropped from the table) as recorded: status and error, no result (plans are
    kept in memory; submit it again)."""
    error = row.error or None
    if row.status == "done":
        error = "finished before the service restarted (or was dropped from memory); its plan is not kept: submit again"
    return JobOut(
        job_id=row.id,
        kind=row.kind,
        status=row.status,
        owner=row.owner,
        submitted_at=row.submitted_at,
        finished_at=row.finished_at,
        error=error,
        status_url=f"{request.url_for('outage_job', job_id=row.id).path}",
        result=None,
    )
