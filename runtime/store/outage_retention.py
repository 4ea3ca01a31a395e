"""Retention of stored outage runs: only the most recent runs are kept (``Settings.outage_runs_kept``,
EMS_OUTAGE_RUNS_KEPT), each with its downloads (runtime.store.outage_files, 25-40 kB a run).

After a run is stored, `prune_runs` deletes the oldest runs beyond that count, newest first by ``created_at``
(UTC), ties by ``run_id`` (the greater id counts as the newer), so `latest_run` is never among those deleted. A
run's files go with it through the foreign key's ``ON DELETE CASCADE`` (SQLite enforces it because
runtime.store.db turns ``PRAGMA foreign_keys`` on for every connection). The job table keeps the run ids of
finished jobs (``heavy_jobs.run_id``, not a foreign key), so `run_pruned` tells a pruned run from one that never
existed: an id a job recorded but ``outage_runs`` no longer holds.
"""

from __future__ import annotations

import logging

from sqlalchemy import delete, exists, select

from runtime.store.db import Store
from runtime.store.models import HeavyJobRow, OutageRun

__all__ = ["SETTING", "prune_runs", "run_pruned", "run_stored"]

log = logging.getLogger(__name__)
SETTING = "EMS_OUTAGE_RUNS_KEPT"
"""The environment variable of the retention (Settings.outage_runs_kept), named by messages about pruned runs."""


def prune_runs(store: Store, kept: int) -> list[str]:
    """Delete the stored runs beyond the `kept` most recent (by created_at, ties by run_id) with their files, in one
    transaction; the ids deleted, oldest first (logged when any)."""
    if kept < 1:
        raise ValueError(f"{SETTING}: kept={kept}; keep at least 1 outage run")
    newest_first = select(OutageRun.run_id).order_by(OutageRun.created_at.desc(), OutageRun.run_id.desc())
    with store.session() as session:
        old = list(session.scalars(newest_first.offset(kept)))
        if old:
            session.execute(delete(OutageRun).where(OutageRun.run_id.in_(old)))
    if old:
        log.info("outage runs: %d pruned beyond the %d most recent kept (%s)", len(old), kept, SETTING)
    return old[::-1]


def run_stored(store: Store, run_id: str) -> bool:
    """True if run `run_id` is in the store."""
    with store.session() as session:
        return bool(session.scalar(select(exists().where(OutageRun.run_id == run_id))))


def run_pruned(store: Store, run_id: str) -> bool:
    """True if a job recorded run `run_id` but the store no longer holds it (pruned by `prune_runs`)."""
    recorded = exists().where(HeavyJobRow.run_id == run_id)
    held = exists().where(OutageRun.run_id == run_id)
    with store.session() as session:
        return bool(session.scalar(select(recorded & ~held)))
