# mypy: allow-untyped-defs, allow-incomplete-defs
"""The heavy-job table survives a restart: each job's status is recorded in the database as it is submitted and
ends (done, failed with its error); the next start marks jobs the previous run left unfinished 'lost on restart',
and polling such a job says so (not 404), while a job of another kind stays unknown to the outage route."""

from __future__ import annotations

import math
import time

import service_fixtures
from fastapi.testclient import TestClient
from service_fixtures import TEST_NOW, add_users, login, make_service

from api.app import create_app
from runtime.jobs.journal import LOST, JobJournal
from runtime.jobs.pool import HeavyJobs

sqlite_store = service_fixtures.sqlite_store


def _ended(journal, job_id, timeout_s=120.0):
    """The job's record once its end is written (the pool's done-callback runs just after the result is set)."""
    deadline = time.monotonic() + timeout_s
    while (row := journal.get(job_id)) is not None and row.status == "queued" and time.monotonic() < deadline:
        time.sleep(0.01)
    return row


def test_job_statuses_are_recorded_as_they_end(sqlite_store):
    journal = JobJournal(lambda: sqlite_store)
    jobs = HeavyJobs(workers=1, queue=1, journal=journal)
    try:
        good = jobs.submit("whatif", "op", math.sqrt, 16.0)
        bad = jobs.submit("whatif", "op", math.sqrt, -1.0)
        assert good.future.result(timeout=300) == 4.0
        bad.future.exception(timeout=300)
        done, failed = _ended(journal, good.id), _ended(journal, bad.id)
    finally:
        jobs.shutdown()
    assert done is not None
    assert failed is not None
    assert (done.status, done.kind, done.owner) == ("done", "whatif", "op")
    assert done.finished_at is not None
    assert failed.status == "failed"
    assert "math domain error" in failed.error


def test_jobs_left_unfinished_read_lost_after_a_restart(sqlite_store):
    add_users(sqlite_store)
    before = JobJournal(lambda: sqlite_store)  # the previous run: one job queued, one outage plan done
    before.submitted("queued1", "outage", "disaster", TEST_NOW)
    before.submitted("done1", "outage", "disaster", TEST_NOW)
    before.finished("done1", "done", TEST_NOW, None)
    before.submitted("whatif1", "whatif", "op", TEST_NOW)
    svc = make_service(sqlite_store)  # the next start
    assert svc.jobs.journal is not None
    assert svc.jobs.journal.mark_lost(TEST_NOW) == 2
    with TestClient(create_app(svc)) as client:
        headers = login(client, "disaster")
        lost = client.get("/api/v1/outage-plans/jobs/queued1", headers=headers)
        assert lost.status_code == 200, lost.text
        assert lost.json()["status"] == LOST
        assert "submit it again" in lost.json()["error"]
        finished = client.get("/api/v1/outage-plans/jobs/done1", headers=headers).json()
        assert finished["status"] == "done"
        assert finished["result"] is None
        assert client.get("/api/v1/outage-plans/jobs/whatif1", headers=headers).status_code == 404
        assert client.get("/api/v1/outage-plans/jobs/nosuch", headers=headers).status_code == 404
