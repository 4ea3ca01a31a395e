# mypy: allow-untyped-defs, allow-incomplete-defs
"""POST /plans/{id}/decision: a rejection is final (409 on a second decision), records the rejecter in
decided_by (not approved_by), raises an event and re-plans at once; /plans/latest stays the plan in force."""

from __future__ import annotations

import pytest
import service_fixtures
from fastapi.testclient import TestClient
from service_fixtures import TEST_NOW, add_users, login, make_service

from api.app import create_app
from runtime.loop.optimise import optimise
from runtime.store import journal

sqlite_store = service_fixtures.sqlite_store


@pytest.fixture
def client(sqlite_store):
    add_users(sqlite_store)
    svc = make_service(sqlite_store)
    optimise(svc, TEST_NOW)  # v1, approved by 'auto'
    with TestClient(create_app(svc)) as c:
        c.headers.update(login(c, "op"))
        yield c


def test_rejection_is_final_recorded_and_replans(client):
    latest = client.get("/api/v1/plans/latest").json()
    assert (latest["version"], latest["status"], latest["decided_by"]) == (1, "approved", "auto")
    rejected = client.post(f"/api/v1/plans/{latest['id']}/decision", json={"decision": "rejected"})
    assert rejected.status_code == 200, rejected.text
    body = rejected.json()
    assert (body["status"], body["decided_by"], body["approved_by"]) == ("rejected", "op", "auto")
    assert body["decided_at"] is not None
    now_latest = client.get("/api/v1/plans/latest")
    assert now_latest.status_code == 200  # the immediate re-plan: a new plan is in force, not a 404
    assert now_latest.json()["version"] == 2
    again = client.post(f"/api/v1/plans/{latest['id']}/decision", json={"decision": "approved"})
    assert again.status_code == 409
    assert "final" in again.json()["detail"]
    kinds = [e.kind for e in journal.list_events(client.app.state.service.store)]
    assert "plan_rejected" in kinds


def test_second_approval_is_a_conflict(client):
    plan_id = client.get("/api/v1/plans/latest").json()["id"]
    assert client.post(f"/api/v1/plans/{plan_id}/decision", json={"decision": "approved"}).status_code == 409


def test_pending_lists_proposals_in_manual_mode(sqlite_store):
    add_users(sqlite_store)
    svc = make_service(sqlite_store)
    svc.settings = svc.settings.model_copy(update={"auto_approve": False})
    proposal = optimise(svc, TEST_NOW)
    with TestClient(create_app(svc)) as c:
        c.headers.update(login(c, "op"))
        assert c.get("/api/v1/plans/latest").status_code == 404  # nothing approved yet
        assert [p["id"] for p in c.get("/api/v1/plans/pending").json()] == [proposal.id]
        ok = c.post(f"/api/v1/plans/{proposal.id}/decision", json={"decision": "approved"})
        assert ok.json()["approved_by"] == "op"
        assert c.get("/api/v1/plans/latest").json()["id"] == proposal.id
