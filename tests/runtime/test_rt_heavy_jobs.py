# mypy: allow-untyped-defs, allow-incomplete-defs
"""The heavy-job pool: jobs run in worker processes, at most `workers` at once plus `queue` waiting; past that a
clear refusal; status from queued/running to done or failed with the error."""

from __future__ import annotations

import os
import time

import pytest

from runtime.jobs.pool import HeavyJobs, JobsFullError


def _fail(message: str) -> None:
    raise ValueError(message)


@pytest.fixture
def pool():
    jobs = HeavyJobs(workers=1, queue=1)
    yield jobs
    jobs.shutdown()


def test_jobs_run_in_another_process_and_report_their_status(pool):
    job = pool.submit("test", "op", os.getpid)
    assert job.future.result(timeout=60) != os.getpid()
    assert job.status == "done"
    assert job.error is None
    assert job.finished_at is not None
    bad = pool.submit("test", "op", _fail, "hours: must be 4..72")
    with pytest.raises(ValueError, match="hours"):
        bad.future.result(timeout=60)
    assert bad.status == "failed"
    assert bad.error == "ValueError: hours: must be 4..72"
    assert pool.get(job.id) is job


def test_past_workers_plus_queue_jobs_are_refused(pool):
    running = pool.submit("test", "op", time.sleep, 3)
    queued = pool.submit("test", "op", time.sleep, 0)
    assert pool.active() == 2
    with pytest.raises(JobsFullError, match="at most 1 at once"):
        pool.submit("test", "op", time.sleep, 0)
    running.future.result(timeout=60)
    queued.future.result(timeout=60)
    assert pool.active() == 0
    assert pool.submit("test", "op", time.sleep, 0).future.result(timeout=60) is None
