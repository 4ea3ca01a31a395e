"""The heavy-job table in the database: each job's status as last known, so it survives a restart.

Jobs run in worker processes of this service (``runtime.jobs.pool``) and end with them: a job that was queued or
running when the service stopped cannot finish, and the next start marks it ``lost on restart`` (polling it then
says so instead of "unknown job"). A finished job's status stays; a finished outage job also records the id of
its stored run (``run_id``, migration 0704: the plan's downloads and page, runtime.store.outage_runs), so after a
restart polling it points at that run; a job without one (what-ifs, rows from before 0704, a run the database
did not take) answers its status only. A failing database never stops a job: the record is skipped with a
warning. Times tz-aware UTC.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable

from sqlalchemy import select, update

from runtime.store.db import STORAGE_ERRORS, Store
from runtime.store.models import HeavyJobRow

log = logging.getLogger(__name__)
LOST = "lost on restart"
UNFINISHED = ("queued", "running")


class JobJournal:
    """Writes the job table of the store `store()` returns (the service's store, looked up at each call)."""

    def __init__(self, store: Callable[[], Store]) -> None:
        self.store = store

    def submitted(self, job_id: str, kind: str, owner: str, at: dt.datetime) -> None:
        """Record a new job, queued."""
        self._write(lambda s: s.add(HeavyJobRow(id=job_id, kind=kind, owner=owner, status="queued", submitted_at=at)))

    def finished(self, job_id: str, status: str, at: dt.datetime, error: str | None) -> None:
        """Record the end of a job: 'done' or 'failed' (with its error, one line)."""
        stmt = update(HeavyJobRow).where(HeavyJobRow.id == job_id)
        self._write(lambda s: s.execute(stmt.values(status=status, finished_at=at, error=(error or "")[:500])))

    def run_stored(self, job_id: str, run_id: str) -> None:
        """Record the stored outage run of a finished job (call once the run is in the database)."""
        stmt = update(HeavyJobRow).where(HeavyJobRow.id == job_id)
        self._write(lambda s: s.execute(stmt.values(run_id=run_id)))

    def get(self, job_id: str) -> HeavyJobRow | None:
        """The job's last known record, or None."""
        with self.store().session() as session:
            return session.get(HeavyJobRow, job_id)

    def mark_lost(self, now: dt.datetime) -> int:
        """At start: every job left queued or running by the previous run is 'lost on restart'; how many."""
        text = "the service stopped before the job finished; submit it again"
        stmt = (
            update(HeavyJobRow)
            .where(HeavyJobRow.status.in_(UNFINISHED))
            .values(status=LOST, finished_at=now, error=text)
        )
        with self.store().session() as session:
            lost = getattr(session.execute(stmt), "rowcount", 0)
        if lost:
            log.warning("%d heavy jobs of the previous run marked '%s'", lost, LOST)
        return int(lost or 0)

    def unfinished(self) -> list[str]:
        """Ids of jobs recorded as queued or running."""
        with self.store().session() as session:
            return list(session.scalars(select(HeavyJobRow.id).where(HeavyJobRow.status.in_(UNFINISHED))))

    def _write(self, action: Callable[..., object]) -> None:
        try:
            with self.store().session() as session:
                action(session)
        except STORAGE_ERRORS as exc:
            log.warning("heavy-job record not written (%s); the job runs on", type(exc).__name__)
