"""Heavy-job payloads: a job's status for polling (outage plans solved in worker processes)."""

from __future__ import annotations

import datetime as dt

from pydantic import Field

from api.schemas.common import Schema
from api.schemas.outage import OutagePlanDetail


class JobOut(Schema):
    """A heavy job: queued | running | done | failed; when done, the outage plan (and its run id)."""

    job_id: str
    kind: str = Field(description="'outage'.")
    status: str = Field(
        description="queued | running | done | failed | lost on restart (the service stopped before it finished)."
    )
    owner: str = Field(description="Who submitted it.")
    submitted_at: dt.datetime
    finished_at: dt.datetime | None
    error: str | None = Field(description="Why it failed (one line), if it did.")
    status_url: str = Field(description="Where to poll this job.")
    result: OutagePlanDetail | None = Field(description="The plan, once done.")
