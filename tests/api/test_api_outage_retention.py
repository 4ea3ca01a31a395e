# mypy: allow-untyped-defs, allow-incomplete-defs
"""Only the most recent outage runs stay stored (Settings.outage_runs_kept), on SQLite and PostgreSQL: with 2 kept,
a job's run and two plans after it leave the two plans, whose downloads answer byte for byte as when they were made,
in this app and after a restart; the job's run is gone with its files, and polling the job answers 'done' with no
run and an error naming EMS_OUTAGE_RUNS_KEPT, its downloads and its page 404 saying it was pruned (an id never
stored still answers 'no outage plan')."""

from __future__ import annotations

import time
from typing import Any

import service_fixtures
from fastapi.testclient import TestClient
from service_fixtures import add_users, login, make_service
from sqlalchemy import func, select

from api.app import create_app
from runtime.store.db import Store, open_store
from runtime.store.models import OutageRun, OutageRunFile
from runtime.store.outage_files import PLAN_FILES

any_store = service_fixtures.any_store
PLAN = {"start": "2024-09-01T14:00:00+09:00", "hours": 24, "method": "greedy", "pv_factor": 0.5}
WAIT_S = 300.0
"""Upper bound on waiting for a tiny greedy job on a loaded machine (s); never asserted on."""


def _reopen(store: Store) -> Store:
    """A second store instance on the same database (and PostgreSQL schema): what a restarted service opens."""
    return open_store(store.engine.url.render_as_string(hide_password=False), schema=store.schema)


def _done(client: TestClient, status_url: str) -> dict[str, Any]:
    deadline = time.monotonic() + WAIT_S
    job = client.get(status_url).json()
    while job["status"] not in ("done", "failed") and time.monotonic() < deadline:
        time.sleep(0.1)
        job = client.get(status_url).json()
    assert job["status"] == "done", job
    return job


def _downloads(client: TestClient, run_id: str) -> dict[str, tuple[int, bytes]]:
    answers = {name: client.get(f"/api/v1/outage-plans/{run_id}/{name}") for name in PLAN_FILES}
    return {name: (a.status_code, a.content) for name, a in answers.items()}


def _check_pruned(client: TestClient, job_id: str, run_id: str) -> None:
    """The job and the pages of the pruned run `run_id` say it was pruned, naming the setting and its value."""
    polled = client.get(f"/api/v1/outage-plans/jobs/{job_id}")
    assert polled.status_code == 200
    job = polled.json()
    assert job["status"] == "done"
    assert (job["run_id"], job["downloads"], job["page"], job["result"]) == (None, None, None, None)
    assert f"'{run_id}' was pruned" in job["error"]
    assert "EMS_OUTAGE_RUNS_KEPT=2" in job["error"]
    for name in PLAN_FILES:
        gone = client.get(f"/api/v1/outage-plans/{run_id}/{name}")
        assert gone.status_code == 404
        assert "was pruned" in gone.json()["detail"]
        assert "EMS_OUTAGE_RUNS_KEPT=2" in gone.json()["detail"]
    page = client.get(f"/outage/runs/{run_id}?lang=en")
    assert page.status_code == 404
    assert "pruned" in page.text
    assert "EMS_OUTAGE_RUNS_KEPT" in page.text
    on_map = client.get(f"/map?mode=autonomy&run={run_id}&lang=en").text  # the map says so too
    assert 'id="no-outage-run" data-reason="outage.run_pruned"' in on_map
    assert "EMS_OUTAGE_RUNS_KEPT" in on_map
    never = client.get("/map?mode=autonomy&run=nosuchrun&lang=en").text
    assert 'data-reason="outage.run_not_found"' in never
    unknown = client.get("/api/v1/outage-plans/nosuchrun/plan.json")
    assert unknown.status_code == 404
    assert "no outage plan 'nosuchrun'" in unknown.json()["detail"]


def test_two_kept_of_three_and_the_pruned_job_says_so(any_store):
    add_users(any_store)
    svc = make_service(any_store)
    svc.settings.outage_runs_kept = 2
    with TestClient(create_app(svc)) as client:
        client.headers.update(login(client, "disaster"))
        client.cookies.clear()
        submitted = client.post("/api/v1/outage-plans/jobs", json=PLAN)
        assert submitted.status_code == 202, submitted.text
        job = _done(client, submitted.json()["status_url"])
        first = job["run_id"]
        assert first is not None
        assert {name: status for name, (status, _) in _downloads(client, first).items()} == dict.fromkeys(
            PLAN_FILES, 200
        )
        kept = []
        for _ in range(2):
            answer = client.post("/api/v1/outage-plans", json=PLAN)
            assert answer.status_code == 200, answer.text
            run_id = answer.json()["run_id"]
            kept.append((run_id, _downloads(client, run_id)))
        assert all(status == 200 for _, files in kept for status, _ in files.values())
        _check_pruned(client, job["job_id"], first)
    with any_store.session() as session:
        assert sorted(session.scalars(select(OutageRun.run_id))) == sorted(run_id for run_id, _ in kept)
        files = session.scalar(select(func.count()).select_from(OutageRunFile).where(OutageRunFile.run_id == first))
        assert files == 0

    again = _reopen(any_store)  # a restart: a new store and app, nothing in memory
    try:
        restarted = make_service(again)
        restarted.settings.outage_runs_kept = 2
        with TestClient(create_app(restarted)) as client:
            client.headers.update(login(client, "disaster"))
            client.cookies.clear()
            for run_id, before in kept:
                assert _downloads(client, run_id) == before
                assert client.get(f"/outage/runs/{run_id}?lang=en").status_code == 200
            _check_pruned(client, job["job_id"], first)
    finally:
        again.dispose()
