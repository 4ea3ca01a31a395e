# mypy: allow-untyped-defs, allow-incomplete-defs
"""Outage plans as heavy jobs: POST /outage-plans/jobs answers 202 at once and the job is polled to 'done' with
its plan and downloads; past the pool's bound POST /outage-plans and /outage-plans/jobs answer 429."""

from __future__ import annotations

import time

import pytest
import service_fixtures
from fastapi.testclient import TestClient
from service_fixtures import add_users, login, make_service

from api.app import create_app

sqlite_store = service_fixtures.sqlite_store
PLAN = {"start": "2024-09-01T14:00:00+09:00", "hours": 24, "method": "greedy"}


@pytest.fixture
def client(sqlite_store):
    add_users(sqlite_store)
    svc = make_service(sqlite_store)
    svc.settings = svc.settings.model_copy(update={"heavy_jobs": 1, "heavy_queue": 0})
    svc.__post_init__()  # the pool with those bounds
    with TestClient(create_app(svc)) as c:
        c.headers.update(login(c, "disaster"))
        yield c


def test_an_outage_job_is_queued_then_polled_to_its_plan(client):
    sent = client.post("/api/v1/outage-plans/jobs", json=PLAN)
    assert sent.status_code == 202, sent.text
    job = sent.json()
    assert job["status"] in ("queued", "running")
    assert sent.headers["location"] == job["status_url"]
    for _ in range(600):
        job = client.get(job["status_url"]).json()
        if job["status"] in ("done", "failed"):
            break
        time.sleep(0.1)
    assert job["status"] == "done", job
    plan = job["result"]
    assert plan["method"] == "greedy"
    assert [s["facility_id"] for s in plan["shelters"]] == ["centre"]
    again = client.get(job["status_url"]).json()
    assert again["result"]["run_id"] == plan["run_id"]  # journaled and kept once
    assert client.get(f"/api/v1/outage-plans/{plan['run_id']}/shelters.csv").status_code == 200
    assert client.get("/api/v1/outage-plans/jobs/nosuchjob").status_code == 404


def test_past_the_bound_heavy_requests_get_429(client):
    svc = client.app.state.service
    busy = svc.jobs.submit("outage", "someone", time.sleep, 5)  # the one worker is taken
    full = client.post("/api/v1/outage-plans", json=PLAN)
    assert full.status_code == 429, full.text
    assert "retry" in full.json()["detail"]
    assert full.headers["retry-after"] == "10"
    assert client.post("/api/v1/outage-plans/jobs", json=PLAN).status_code == 429
    busy.future.result(timeout=60)
    assert client.post("/api/v1/outage-plans", json=PLAN).status_code == 200


def test_whatif_runs_in_the_pool_and_gets_429_when_it_is_full(client):
    svc = client.app.state.service
    op = login(client, "op")
    busy = svc.jobs.submit("outage", "someone", time.sleep, 5)
    full = client.post("/api/v1/plans/whatif", json={"unavailable_batteries": ["centre/bat1"]}, headers=op)
    assert full.status_code == 429, full.text
    busy.future.result(timeout=60)
    done = client.post("/api/v1/plans/whatif", json={"unavailable_batteries": ["centre/bat1"]}, headers=op)
    assert done.status_code == 201, done.text
    kinds = [j.kind for j in svc.jobs._jobs.values()]
    assert kinds == ["outage", "whatif"]  # solved as a heavy job, not on the request's thread


def test_a_waited_for_plan_records_its_run_in_the_job_table(client, sqlite_store):
    from sqlalchemy import select

    from runtime.store.models import HeavyJobRow

    answered = client.post("/api/v1/outage-plans", json=PLAN)
    assert answered.status_code == 200, answered.text
    run_id = answered.json()["run_id"]
    with sqlite_store.session() as session:
        rows = list(session.scalars(select(HeavyJobRow).where(HeavyJobRow.kind == "outage")))
    assert [(r.status, r.run_id) for r in rows] == [("done", run_id)]
