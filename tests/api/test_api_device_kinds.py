# mypy: allow-untyped-defs, allow-incomplete-defs
"""Live status over HTTP speaks the one device-kind vocabulary (issue 10: "pv"/"ev"/"other" became
pv_inverter/ev_charger/null); tests/runtime/test_rt_load_history.py checks the load history signs by that kind."""

from __future__ import annotations

import datetime as dt

import service_fixtures
from fastapi.testclient import TestClient
from service_fixtures import add_users, login, make_service

from api.app import create_app
from runtime.store import readings
from runtime.store.readings import ReadingIn

sqlite_store = service_fixtures.sqlite_store
NOW = dt.datetime(2026, 5, 1, 3, 0, tzinfo=dt.UTC)


def test_status_points_carry_the_device_kind_and_null_for_a_device_gone_from_the_scenario(sqlite_store):
    readings.write_readings(
        sqlite_store,
        [
            ReadingIn(NOW, "centre", "pv1", "power_kw", 7.5),
            ReadingIn(NOW, "centre", "bat1", "power_kw", 2.0),
            ReadingIn(NOW, "centre", "m1", "power_kw", 1.0),
            ReadingIn(NOW, "centre", "old9", "power_kw", 4.0),  # a device the scenario no longer lists
            ReadingIn(NOW, "office", "v2h1", "power_kw", 3.0),
        ],
    )
    add_users(sqlite_store)
    with TestClient(create_app(make_service(sqlite_store))) as client:
        op = login(client, "op")
        centre = client.get("/api/v1/facilities/centre/status", headers=op).json()
        office = client.get("/api/v1/facilities/office/status", headers=op).json()
        schema = client.get("/openapi.json").json()["components"]["schemas"]
    kinds = {p["device_id"]: p["kind"] for p in centre["points"] + office["points"]}
    assert kinds == {"pv1": "pv_inverter", "bat1": "battery", "m1": "meter", "old9": None, "v2h1": "ev_charger"}
    assert (centre["pv_kw"], centre["battery_kw"], centre["meter_kw"], office["ev_kw"]) == (7.5, 2.0, 1.0, 3.0)
    assert schema["DeviceKind"]["enum"] == ["pv_inverter", "battery", "ev_charger", "meter"]
