# mypy: allow-untyped-defs, allow-incomplete-defs
"""A finished outage job points at its stored run after a restart, on SQLite and PostgreSQL: the job stores its run
when it finishes (polled or not) and records the run id in heavy_jobs.run_id (migration 0704); a new app and store
on the same database (a restart) answer the job 'done' with that run id and the links to the run's downloads and
page, and each download answers the same bytes as the app that made the plan. A job row from before 0704 still
loads and answers as before (done, no run, 'submit again'); a what-if job's record never gets a run id."""

from __future__ import annotations

import datetime as dt
import time

import pytest
import service_fixtures
from fastapi.testclient import TestClient
from service_fixtures import TEST_NOW, add_users, login, make_service
from sqlalchemy import text

from api.app import create_app
from runtime.jobs.journal import JobJournal
from runtime.store.db import Store, open_store
from runtime.store.migrate import downgrade, upgrade
from runtime.store.models import OutageRun
from runtime.store.outage_files import PLAN_FILES

any_store = service_fixtures.any_store
PLAN = {"start": "2024-09-01T14:00:00+09:00", "hours": 24, "method": "greedy", "pv_factor": 0.5}
WAIT_S = 300.0
"""Upper bound on waiting for a tiny greedy job on a loaded machine (s); never asserted on."""


def _reopen(store: Store) -> Store:
    """A second store instance on the same database (and PostgreSQL schema): what a restarted service opens."""
    return open_store(store.engine.url.render_as_string(hide_password=False), schema=store.schema)


def _recorded_run(journal: JobJournal, job_id: str) -> str | None:
    """The run id the job table records for the job, once written (its done-callback stores the run just after
    the job ends), None if it never is within WAIT_S."""
    deadline = time.monotonic() + WAIT_S
    while time.monotonic() < deadline:
        row = journal.get(job_id)
        if row is not None and row.run_id is not None:
            return row.run_id
        time.sleep(0.05)
    return None


def _downloads(client: TestClient, paths: dict[str, str]) -> dict[str, tuple[int, bytes]]:
    return {
        name: (answer.status_code, answer.content) for name, answer in ((n, client.get(p)) for n, p in paths.items())
    }


def test_a_finished_job_points_at_its_stored_run_after_a_restart(any_store):
    add_users(any_store)
    svc = make_service(any_store)
    assert svc.jobs.journal is not None
    with TestClient(create_app(svc)) as client:
        client.headers.update(login(client, "disaster"))
        client.cookies.clear()
        submitted = client.post("/api/v1/outage-plans/jobs", json=PLAN)
        assert submitted.status_code == 202, submitted.text
        job_id = submitted.json()["job_id"]
        run_id = _recorded_run(svc.jobs.journal, job_id)  # stored on finishing, before anyone polls it done
        assert run_id is not None
        polled = client.get(f"/api/v1/outage-plans/jobs/{job_id}").json()
        assert polled["status"] == "done"
        assert (polled["run_id"], polled["result"]["run_id"]) == (run_id, run_id)
        expected = {name: f"/api/v1/outage-plans/{run_id}/{name}" for name in PLAN_FILES}
        assert polled["downloads"] == expected
        assert polled["page"] == f"/outage/runs/{run_id}"
        before = _downloads(client, expected)
    assert {name: status for name, (status, _) in before.items()} == dict.fromkeys(PLAN_FILES, 200)
    with any_store.session() as session:  # stored once: the done-callback and the poll share the run
        assert [r.run_id for r in session.query(OutageRun).all()] == [run_id]

    again = _reopen(any_store)  # a restart: a new store and app, nothing in memory
    try:
        with TestClient(create_app(make_service(again))) as client:
            client.headers.update(login(client, "disaster"))
            client.cookies.clear()
            answer = client.get(f"/api/v1/outage-plans/jobs/{job_id}")
            assert answer.status_code == 200, answer.text
            job = answer.json()
            assert (job["status"], job["run_id"], job["error"], job["result"]) == ("done", run_id, None, None)
            assert job["downloads"] == expected
            assert job["page"] == f"/outage/runs/{run_id}"
            assert _downloads(client, job["downloads"]) == before
            page = client.get(f"{job['page']}?lang=en")
            assert page.status_code == 200
            assert f'id="stored-run" data-run="{run_id}"' in page.text
    finally:
        again.dispose()


def test_the_journal_records_a_run_id_and_keeps_it_through_a_restart(any_store):
    journal = JobJournal(lambda: any_store)
    journal.submitted("out1", "outage", "disaster", TEST_NOW)
    journal.finished("out1", "done", TEST_NOW, None)
    journal.run_stored("out1", "run-abc_123")
    journal.submitted("what1", "whatif", "op", TEST_NOW)
    journal.finished("what1", "done", TEST_NOW, None)
    again = _reopen(any_store)
    try:
        after = JobJournal(lambda: again)
        assert after.mark_lost(TEST_NOW) == 0
        out, what = after.get("out1"), after.get("what1")
        assert out is not None
        assert what is not None
        assert (out.status, out.run_id) == ("done", "run-abc_123")
        assert (what.status, what.run_id) == ("done", None)
    finally:
        again.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def store_at_0703(request: pytest.FixtureRequest, tmp_path):
    """A store migrated to 0703 only (before heavy jobs recorded their run); the test upgrades it."""
    yield from service_fixtures.store_at_revision(request.param, tmp_path, "0703")


def test_a_job_row_from_before_0704_still_loads(store_at_0703):
    store = store_at_0703
    at = dt.datetime(2024, 9, 1, 6, 0, tzinfo=dt.UTC)
    with store.engine.begin() as conn:  # the rows as the code before 0704 wrote them
        conn.execute(
            text(
                "INSERT INTO heavy_jobs (id, kind, owner, status, submitted_at, finished_at, error) VALUES "
                "('old1', 'outage', 'disaster', 'done', :at, :at, ''), "
                "('old2', 'outage', 'disaster', 'failed', :at, :at, 'ValueError: hours: too long')"
            ),
            {"at": at},
        )
    upgrade(store.engine)
    journal = JobJournal(lambda: store)
    old = journal.get("old1")
    assert old is not None
    assert (old.status, old.run_id, old.finished_at) == ("done", None, at)

    add_users(store)
    with TestClient(create_app(make_service(store))) as client:
        client.headers.update(login(client, "disaster"))
        client.cookies.clear()
        done = client.get("/api/v1/outage-plans/jobs/old1").json()
        assert (done["status"], done["result"], done["run_id"], done["downloads"], done["page"]) == (
            "done",
            None,
            None,
            None,
            None,
        )
        assert "its plan is not kept: submit again" in done["error"]
        failed = client.get("/api/v1/outage-plans/jobs/old2").json()
        assert (failed["status"], failed["error"], failed["run_id"]) == ("failed", "ValueError: hours: too long", None)


def test_0704_downgrades_and_upgrades_keeping_the_jobs(any_store):
    journal = JobJournal(lambda: any_store)
    journal.submitted("j1", "outage", "disaster", TEST_NOW)
    journal.finished("j1", "done", TEST_NOW, None)
    journal.run_stored("j1", "r1")
    downgrade(any_store.engine, "0703")
    with any_store.engine.connect() as conn:
        assert conn.execute(text("SELECT id, status FROM heavy_jobs")).all() == [("j1", "done")]
    upgrade(any_store.engine)
    row = journal.get("j1")
    assert row is not None
    assert (row.status, row.run_id) == ("done", None)
