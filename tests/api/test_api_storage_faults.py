# mypy: allow-untyped-defs, allow-incomplete-defs
"""Storage faults seen by the API: /health answers 503 naming 'storage' while the database fails (SQLite made
unwritable, PostgreSQL refusing connections), login and overrides answer a JSON 503 (not a plain-text 500), and
the service recovers on its own once the database is back."""

from __future__ import annotations

from pathlib import Path

import service_fixtures
from fastapi.testclient import TestClient
from service_fixtures import PASSWORD, PG_URL, add_users, login, make_service
from storage_faults import postgres_down, sqlite_unwritable

from api.app import create_app
from runtime.store import journal

any_store = service_fixtures.any_store
OVERRIDE = {"facility_id": "centre", "device_id": "bat1", "value_kw": 1.0, "reason": "test"}


def _down(store):
    if store.backend == "sqlite":
        return sqlite_unwritable(Path(store.engine.url.database or ""))
    assert PG_URL
    return postgres_down(PG_URL)


def test_health_login_and_overrides_while_storage_fails_and_after(any_store, tmp_path):
    add_users(any_store)
    svc = make_service(any_store)
    svc.outbox.probe_every_s = 0.0  # probe at every /health call (default: at most once a second)
    with TestClient(create_app(svc), raise_server_exceptions=False) as client:
        op = login(client, "op")
        assert client.get("/api/v1/health").status_code == 200
        with _down(any_store):
            health = client.get("/api/v1/health")
            assert health.status_code == 503
            body = health.json()
            assert body["failing"] == ["storage"]
            assert body["status"] == "failing"
            assert body["database"].startswith("error: OperationalError")
            sent = client.post("/api/v1/overrides", json=OVERRIDE, headers=op)
            assert sent.status_code == 503, sent.text
            assert sent.headers["content-type"] == "application/json"
            assert "storage unavailable" in sent.json()["detail"]
            if any_store.backend == "postgresql":  # SQLite still reads: login works there
                bad = client.post("/api/v1/auth/login", json={"username": "op", "password": PASSWORD})
                assert bad.status_code == 503
                assert "storage unavailable" in bad.json()["detail"]
        # back: no restart needed (pooled connections are checked before use)
        again = client.get("/api/v1/health")
        assert again.status_code == 200, again.text
        assert again.json()["failing"] == []
        assert client.post("/api/v1/overrides", json=OVERRIDE, headers=login(client, "op")).status_code == 201


def test_commands_refused_while_storage_fails_are_recorded_once_it_returns(any_store):
    add_users(any_store)
    svc = make_service(any_store)
    svc.outbox.probe_every_s = 0.0
    alarm = journal.raise_event(any_store, "device_fault", "bat1 silent", severity="alarm")
    with TestClient(create_app(svc), raise_server_exceptions=False) as client:
        op = login(client, "op")
        assert client.get("/api/v1/facilities/status", headers=op).status_code == 200  # the session is resolved
        with _down(any_store):
            ack = client.post(f"/api/v1/events/{alarm.id}/ack", headers=op)
            assert ack.status_code == 503, ack.text
            sent = client.post("/api/v1/overrides", json=OVERRIDE, headers=op)
            assert sent.status_code == 503, sent.text
            assert svc.outbox.pending()["events"] >= 2  # kept in memory meanwhile
        assert client.get("/api/v1/health").status_code == 200  # storage back: what waited is written
        kinds = [(e["kind"], e["message"]) for e in client.get("/api/v1/events?limit=50", headers=op).json()]
        refused = [m for k, m in kinds if k == "request_refused"]
        assert any(f"/api/v1/events/{alarm.id}/ack" in m and m.startswith("op:") for m in refused), kinds
        assert any("/api/v1/overrides" in m for m in refused), kinds
        assert any(k == "storage_failed" for k, _ in kinds)
        assert any(k == "storage_recovered" for k, _ in kinds)
        done = client.post(f"/api/v1/events/{alarm.id}/ack", headers=op)
        assert done.status_code == 200
        acks = client.get("/api/v1/events?kind=event_acknowledged", headers=op).json()
        assert [e["message"] for e in acks] == [f"op acknowledged event {alarm.id} (device_fault)"]
