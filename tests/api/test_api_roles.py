# mypy: allow-untyped-defs, allow-incomplete-defs
"""The HTTP API with roles: each role sees only what it may; bad input → 4xx naming the field."""

from __future__ import annotations

import pandas as pd
import pytest
import service_fixtures
from fastapi.testclient import TestClient
from service_fixtures import add_users, login, make_service

from api.app import create_app
from runtime import security
from runtime.store import journal, plans, readings
from runtime.store.readings import ReadingIn
from runtime.store.records import PlanSlotIn, SetpointAuditIn

sqlite_store = service_fixtures.sqlite_store
NOW = service_fixtures.TEST_NOW  # the service's clock


def _seed(store) -> None:
    rows = [
        ReadingIn(NOW, "centre", "bat1", "soc", 0.5),
        ReadingIn(NOW, "centre", "bat1", "power_kw", 2.0),
        ReadingIn(NOW, "centre", "pv1", "power_kw", 7.5),
        ReadingIn(NOW, "office", "m1", "power_kw", 30.0),
    ]
    readings.write_readings(store, rows)
    idx = pd.date_range(pd.Timestamp(NOW).tz_convert("Asia/Tokyo").floor("30min"), periods=2, freq="30min")
    plans.save_plan(
        store,
        plans.PlanIn(
            idx[0].to_pydatetime(),
            (idx[-1] + pd.Timedelta("30min")).to_pydatetime(),
            "optimal",
            [PlanSlotIn(t.to_pydatetime(), plant_kw=60.0, jepx_buy_kw=5.0, price_jpy_per_kwh=11.0) for t in idx],
            setpoints={"centre": {"bat1": [1.0, 2.0]}},
        ),
    )
    journal.raise_event(store, "stale_readings", "centre thing", facility_id="centre")
    journal.raise_event(store, "stale_readings", "office thing", facility_id="office")
    journal.record_audit(
        store,
        [
            SetpointAuditIn(f, "x", "setpoint_kw", requested=1.0, applied=1.0, source="plan")
            for f in ("centre", "office")
        ],
    )


@pytest.fixture
def client(sqlite_store):
    add_users(sqlite_store)
    _seed(sqlite_store)
    with TestClient(create_app(make_service(sqlite_store)), client=("127.0.0.1", 50000)) as c:  # loopback: /metrics
        c.store = sqlite_store
        yield c


def test_login_required_but_health_open(client):
    assert client.get("/api/v1/facilities").status_code == 401
    assert client.get("/api/v1/health").json()["status"] == "ok"
    bad = client.post("/api/v1/auth/login", json={"username": "op", "password": "wrong-password"})
    assert bad.status_code == 401
    headers = login(client, "op")
    token = headers["Authorization"]
    tampered = token[:-2] + ("11" if token.endswith("00") else "00")  # always differs from the real signature
    assert tampered != token
    assert client.get("/api/v1/auth/me", headers={"Authorization": tampered}).status_code == 401
    assert client.get("/api/v1/auth/me", headers=headers).json()["role"] == "operator"


def test_facility_visibility_per_role(client):
    op, mgr, dis = (login(client, n) for n in ("op", "mgr", "disaster"))
    assert [f["id"] for f in client.get("/api/v1/facilities", headers=op).json()] == ["centre", "office", "school"]
    assert [f["id"] for f in client.get("/api/v1/facilities", headers=mgr).json()] == ["centre"]
    assert len(client.get("/api/v1/facilities/status", headers=dis).json()) == 3
    assert client.get("/api/v1/facilities/office/status", headers=mgr).status_code == 403
    status = client.get("/api/v1/facilities/centre/status", headers=mgr).json()
    assert status["pv_kw"] == 7.5
    assert status["battery_soc"] == 0.5
    assert status["quality"] == "good"
    assert status["shelter"] is True
    assert 0 <= status["age_s"] < 600
    assert client.get("/api/v1/facilities/nowhere", headers=op).status_code == 404


def test_city_and_plans_are_not_for_facility_managers(client):
    op, mgr, dis = (login(client, n) for n in ("op", "mgr", "disaster"))
    for path in ("/api/v1/city/summary", "/api/v1/plans/latest", "/api/v1/plans/latest/procurement.csv"):
        assert client.get(path, headers=mgr).status_code == 403, path
        assert client.get(path, headers=dis).status_code == 200, path
    summary = client.get("/api/v1/city/summary", headers=op).json()
    assert summary["pv_kw"] == 7.5
    assert summary["grid_kw"] == 30.0
    assert summary["plan_version"] == 1
    assert summary["open_alarms"] == 0  # the seeded events are warnings
    journal.raise_event(client.store, "plan_fallback_safe", "x", severity="alarm")
    assert client.get("/api/v1/city/summary", headers=op).json()["open_alarms"] == 1
    csv = client.get("/api/v1/plans/latest/procurement.csv", headers=op).text.splitlines()
    assert csv[0].startswith("jepx_slot,slot_start,plant_kw,jepx_buy_kw")
    assert len(csv) == 3
    assert csv[1].split(",")[2:4] == ["60.000", "5.000"]


def test_only_operators_approve_plans(client):
    op, mgr, dis = (login(client, n) for n in ("op", "mgr", "disaster"))
    plan_id = client.get("/api/v1/plans/latest", headers=op).json()["id"]
    for who in (mgr, dis):
        assert (
            client.post(f"/api/v1/plans/{plan_id}/decision", json={"decision": "approved"}, headers=who).status_code
            == 403
        )
    bad = client.post(f"/api/v1/plans/{plan_id}/decision", json={"decision": "maybe"}, headers=op)
    assert bad.status_code == 422
    assert bad.json()["detail"][0]["loc"][-1] == "decision"
    ok = client.post(f"/api/v1/plans/{plan_id}/decision", json={"decision": "approved"}, headers=op)
    assert ok.status_code == 200
    assert ok.json()["status"] == "approved"
    assert ok.json()["approved_by"] == "op"
    assert client.get("/api/v1/plans/999", headers=op).status_code == 404


def test_overrides_per_role_and_validation(client):
    op, mgr, dis = (login(client, n) for n in ("op", "mgr", "disaster"))
    body = {"facility_id": "centre", "device_id": "bat1", "value_kw": 3.0, "reason": "test"}
    requested = client.post("/api/v1/overrides", json=body, headers=mgr)
    assert requested.status_code == 201
    assert requested.json()["status"] == "requested"
    assert (
        client.post(
            "/api/v1/overrides", json={**body, "facility_id": "office", "device_id": "v2h1"}, headers=mgr
        ).status_code
        == 403
    )
    assert client.post("/api/v1/overrides", json=body, headers=dis).status_code == 403
    sent = client.post("/api/v1/overrides", json=body, headers=op)
    assert sent.status_code == 201
    assert sent.json()["status"] == "approved"
    too_big = client.post("/api/v1/overrides", json={**body, "value_kw": 50.0}, headers=op)
    assert too_big.status_code == 422
    assert too_big.json()["detail"][0]["loc"][-1] == "value_kw"
    unknown = client.post("/api/v1/overrides", json={**body, "device_id": "pv1"}, headers=op)
    assert unknown.status_code == 422
    assert unknown.json()["detail"][0]["loc"][-1] == "device_id"
    missing = client.post("/api/v1/overrides", json={"facility_id": "centre"}, headers=op)
    assert missing.status_code == 422
    assert {e["loc"][-1] for e in missing.json()["detail"]} >= {"device_id", "value_kw"}
    rid = requested.json()["id"]
    assert (
        client.post(f"/api/v1/overrides/{rid}/decision", json={"decision": "approved"}, headers=mgr).status_code == 403
    )
    assert (
        client.post(f"/api/v1/overrides/{rid}/decision", json={"decision": "rejected"}, headers=op).json()["status"]
        == "rejected"
    )
    assert {o["facility_id"] for o in client.get("/api/v1/overrides", headers=mgr).json()} == {"centre"}


def test_events_and_audit_are_scoped_for_managers(client):
    op, mgr = login(client, "op"), login(client, "mgr")
    assert {e["facility_id"] for e in client.get("/api/v1/events", headers=mgr).json()} == {"centre"}
    assert {e["facility_id"] for e in client.get("/api/v1/events", headers=op).json()} >= {"centre", "office"}
    assert client.get("/api/v1/events?facility_id=office", headers=mgr).status_code == 403
    assert {a["facility_id"] for a in client.get("/api/v1/audit", headers=mgr).json()} == {"centre"}
    assert {a["facility_id"] for a in client.get("/api/v1/audit", headers=op).json()} == {"centre", "office"}
    event_id = client.get("/api/v1/events", headers=op).json()[0]["id"]
    assert client.post(f"/api/v1/events/{event_id}/ack", headers=mgr).status_code == 403
    assert client.post(f"/api/v1/events/{event_id}/ack", headers=op).json()["acknowledged_by"] == "op"
    assert client.get("/api/v1/events?limit=0", headers=op).status_code == 422


def test_api_keys_from_the_database(client):
    key = security.create_api_key(client.store, "disaster", "ci")
    assert client.get("/api/v1/city/summary", headers={"X-API-Key": key}).status_code == 200
    assert client.get("/api/v1/city/summary", headers={"Authorization": f"Bearer {key}"}).status_code == 200
    assert client.get("/api/v1/city/summary", headers={"X-API-Key": key + "x"}).status_code == 401
    assert (
        client.post(
            "/api/v1/overrides",
            headers={"X-API-Key": key},
            json={"facility_id": "centre", "device_id": "bat1", "value_kw": 1},
        ).status_code
        == 403
    )


def test_whatif_with_unavailable_battery(client):
    op, dis = login(client, "op"), login(client, "disaster")
    assert client.post("/api/v1/plans/whatif", json={}, headers=dis).status_code == 403
    bad = client.post("/api/v1/plans/whatif", json={"unavailable_batteries": ["centre/nope"]}, headers=op)
    assert bad.status_code == 422
    assert bad.json()["detail"][0]["loc"][-1] == "unavailable_batteries"
    neg = client.post("/api/v1/plans/whatif", json={"price_jpy_per_kwh": [-5]}, headers=op)
    assert neg.status_code == 422
    assert "price_jpy_per_kwh" in neg.json()["detail"][0]["loc"]
    run = client.post(
        "/api/v1/plans/whatif",
        json={"unavailable_batteries": ["centre/bat1"], "price_jpy_per_kwh": [10, 30]},
        headers=op,
    )
    assert run.status_code == 201, run.text
    plan = run.json()
    assert plan["kind"] == "whatif"
    assert plan["inputs_summary"]["unavailable_batteries"] == ["centre/bat1"]
    assert all(v == 0 for v in plan["setpoints"]["centre"]["bat1"])  # the unavailable battery does nothing
    assert {s["price_jpy_per_kwh"] for s in plan["slots"][1:]} == {30.0}
    system = client.post("/api/v1/plans/whatif", json={"price_area": "system"}, headers=op)
    assert system.status_code == 201
    assert "JEPX system" in system.json()["inputs_summary"]["notes"][0]
    both = client.post("/api/v1/plans/whatif", json={"price_area": "system", "price_jpy_per_kwh": [1]}, headers=op)
    assert both.status_code == 422
    assert both.json()["detail"][0]["loc"][-1] == "price_area"
    # the plan in force is unchanged by a what-if
    assert client.get("/api/v1/plans/latest", headers=op).json()["kind"] == "optimal"


def test_metrics_text_format(client):
    client.get("/api/v1/health")
    text = client.get("/metrics").text
    assert 'ems_http_requests_total{method="GET",route="/api/v1/health",status="200"} 1' in text
    assert "ems_plan_version 1" in text
    assert "# TYPE ems_stale_devices gauge" in text


def test_openapi_lists_every_resource(client):
    paths = client.get("/openapi.json").json()["paths"]
    for p in (
        "/api/v1/facilities",
        "/api/v1/facilities/{facility_id}/status",
        "/api/v1/city/summary",
        "/api/v1/plans/latest",
        "/api/v1/plans/{plan_id}",
        "/api/v1/plans/whatif",
        "/api/v1/audit",
        "/api/v1/events",
        "/api/v1/overrides",
        "/api/v1/health",
        "/api/v1/plans/latest/procurement.csv",
    ):
        assert p in paths, p


def test_outage_plans_for_disaster_office_and_operators(client):
    op, mgr, dis = (login(client, n) for n in ("op", "mgr", "disaster"))
    body = {"start": "2024-09-01T12:00:00+09:00", "hours": 12, "method": "greedy"}  # 24 slots
    assert client.post("/api/v1/outage-plans", json=body, headers=mgr).status_code == 403
    run = client.post("/api/v1/outage-plans", json=body, headers=dis)
    assert run.status_code == 200, run.text
    result = run.json()
    assert result["slots"] == 24
    assert [s["facility_id"] for s in result["shelters"]] == ["centre"]
    shelter = result["shelters"][0]
    assert shelter["served_kwh"] + shelter["shed_kwh"] > 0
    assert result["served_kwh"] == shelter["served_kwh"]
    naive = client.post("/api/v1/outage-plans", json={**body, "start": "2024-09-01T12:00:00"}, headers=op)
    assert naive.status_code == 422
    assert naive.json()["detail"][0]["loc"][-1] == "start"
    assert client.post("/api/v1/outage-plans", json={**body, "hours": 0}, headers=op).status_code == 422
