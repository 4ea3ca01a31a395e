"""/api/v1/outage-plans/jobs: submit an outage plan without waiting (202) and poll its status; the solve runs in
the heavy-job pool's worker processes (runtime.jobs.pool), 429 when the pool and its queue are full.

A job that finishes stores its run at once (a short thread started by the job's done-callback, or the first poll,
whichever comes first; once per job) and records the run id in the job table (heavy_jobs.run_id, migration 0704),
so after a restart polling it answers 'done' with the run id and the links to the run's downloads and page. A job
whose run was pruned since (only the most recent EMS_OUTAGE_RUNS_KEPT runs are kept) answers 'done' without a run,
its error saying so and naming the setting."""

from __future__ import annotations

import logging
import threading
from concurrent.futures import Future
from typing import Annotated, Any

import pandas as pd
from fastapi import APIRouter, HTTPException, Path, Request, Response, status

from api.routers.deps import ERRORS, ServiceDep
from api.routers.outage import DisasterDep, PlanOptions, finish_plan, keep_job_run, plan_detail, start_plan
from api.routers.outage_runs import OutageRuns, runs_of
from api.schemas.jobs import JobOut
from api.schemas.outage import OutageRequest
from runtime.facades import outage_planning as outage
from runtime.facades.outage_planning import OutagePlan
from runtime.jobs.pool import Job
from runtime.loop.service import Service
from runtime.store.models import HeavyJobRow
from runtime.store.outage_files import PLAN_FILES

logger = logging.getLogger(__name__)

router = APIRouter(prefix="/outage-plans/jobs", tags=["outage"])
JobId = Annotated[str, Path(min_length=1, max_length=32, pattern=r"^[A-Za-z0-9_-]+$", description="Job id.")]
_finish_lock = threading.Lock()


def _stored_run(svc: Service, runs: OutageRuns, job: Job) -> tuple[OutagePlan, str]:
    """The plan of a done job and its run id: the first call (under the lock) journals the plan, keeps it as a run
    and, if the store took the run, records the run id in the job table; later calls answer the same run."""
    with _finish_lock:
        plan = finish_plan(svc, job)
        run_id: str | None = job.extra.get("run_id")
        if run_id is None:  # not setdefault: its argument would store the run again at every poll
            run_id = job.extra["run_id"] = keep_job_run(svc, runs, job, plan)
    return plan, run_id


def _store_when_done(svc: Service, runs: OutageRuns, job: Job) -> None:
    """Have a done job store its run as soon as it finishes, polled or not (in a short thread: the done-callback
    runs in the pool's management thread, which must not wait for the database)."""

    def store() -> None:
        try:
            _stored_run(svc, runs, job)
        except Exception:  # the first poll tries again and answers the error
            logger.exception("outage job %s: its run was not stored when it finished", job.id)

    def on_done(future: Future[Any]) -> None:
        if not future.cancelled() and future.exception() is None:
            threading.Thread(target=store, name=f"outage-run-{job.id}", daemon=True).start()

    job.future.add_done_callback(on_done)


def _links(request: Request, run_id: str) -> tuple[dict[str, str], str]:
    """The download paths (file name -> path) and the dashboard page of a stored run."""
    base = request.url_for("plan_json", run_id=run_id).path.rsplit("/", 1)[0]
    return {name: f"{base}/{name}" for name in PLAN_FILES}, request.url_for("outage_stored", run_id=run_id).path


def _out(request: Request, svc: Service, job: Job) -> JobOut:
    result, run_id, downloads, page, error = None, None, None, None, job.error
    if job.status == "done":
        runs = runs_of(request)
        plan, run_id = _stored_run(svc, runs, job)
        error = runs.pruned(run_id)
        if error is None:
            result = plan_detail(plan, run_id)
            downloads, page = _links(request, run_id)
        else:
            run_id = None
    return JobOut(
        job_id=job.id,
        kind=job.kind,
        status=job.status,
        owner=job.owner,
        submitted_at=job.submitted_at,
        finished_at=job.finished_at,
        error=error,
        status_url=f"{request.url_for('outage_job', job_id=job.id).path}",
        result=result,
        run_id=run_id,
        downloads=downloads,
        page=page,
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
    _store_when_done(svc, runs_of(request), job)
    out = _out(request, svc, job)
    response.headers["Location"] = out.status_url
    return out


@router.get("/{job_id}", response_model=JobOut, name="outage_job", responses=ERRORS)
def outage_job(job_id: JobId, request: Request, svc: ServiceDep, principal: DisasterDep) -> JobOut:
    """A job's status; once done, its plan, run id and the links to the run's downloads and page (after a restart
    the run id and links only)."""
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
    """A job of an earlier run (or dropped from the table) as recorded: status and error; a done job with a stored
    run (since migration 0704) answers its run id and the links to the run's downloads and page, one without (rows
    from before, a run the database did not take) says its plan is not kept, one whose run was pruned says so naming
    the setting. Never the plan itself (result)."""
    error = row.error or None
    run_id, downloads, page = row.run_id, None, None
    if row.status == "done" and run_id is not None:
        error = runs_of(request).pruned(run_id)
        if error is None:
            downloads, page = _links(request, run_id)
    elif row.status == "done":
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
        run_id=run_id if downloads is not None else None,
        downloads=downloads,
        page=page,
    )
