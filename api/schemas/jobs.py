"""Heavy-job payloads: a job's status for polling (outage plans solved in worker processes)."""

from __future__ import annotations

import datetime as dt

from pydantic import Field

from api.schemas.common import Schema
from api.schemas.outage import OutagePlanDetail


class JobOut(Schema):
    """A heavy job: queued | running | done | failed; when done, the outage plan (and its run id); after a restart
    a done job answers its stored run (run_id, downloads, page) without the plan itself."""

    job_id: str
    kind: str = Field(description="'outage'.")
    status: str = Field(
        description="queued | running | done | failed | lost on restart (the service stopped before it finished)."
    )
    owner: str = Field(description="Who submitted it.")
    submitted_at: dt.datetime
    finished_at: dt.datetime | None
    error: str | None = Field(
        description="Why it failed (one line), if it did; for a done job whose stored run was pruned since (only "
        "the most recent EMS_OUTAGE_RUNS_KEPT runs are kept), that it was, naming the setting."
    )
    status_url: str = Field(description="Where to poll this job.")
    result: OutagePlanDetail | None = Field(description="The plan, once done (while this service instance has it).")
    run_id: str | None = Field(
        default=None,
        description="The stored outage run of a done job (its downloads and page survive a restart); None while "
        "not done, for jobs that finished before run ids were recorded, if the database did not take the run, or if "
        "the run was pruned since (see error).",
    )
    downloads: dict[str, str] | None = Field(
        default=None,
        description="With run_id: file name (shelters.csv, itinerary.csv, cars.csv, plan.json) -> its download path.",
    )
    page: str | None = Field(default=None, description="With run_id: the stored run's dashboard page.")
