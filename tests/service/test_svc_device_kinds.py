# mypy: allow-untyped-defs, allow-incomplete-defs
"""Live status over HTTP speaks the one device-kind vocabulary (issue 10: "pv"/"ev"/"other" became
pv_inverter/ev_charger/null), and the load history signs devices by that kind."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
import svc_fixtures
from fastapi.testclient import TestClient
from svc_fixtures import add_users, login, make_service

from api.app import create_app
from runtime.loop_ports import facility_load_history
from runtime.store import readings
from runtime.store.readings import ReadingIn
from scenarios.loader import load_builtin

sqlite_store = svc_fixtures.sqlite_store
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


def test_load_history_signs_devices_by_kind():
    # load = meter import + PV generation + battery discharge − EV charging: 10 + 4 + 1 = 15 kW at the centre
    centre = load_builtin("tiny").facility("centre")
    index = pd.DatetimeIndex([pd.Timestamp(NOW)])
    table = pd.DataFrame({"m1": [10.0], "pv1": [4.0], "bat1": [1.0]}, index=index)
    load = facility_load_history(centre, table)
    assert load is not None
    assert load.tolist() == [pytest.approx(15.0)]
    office = load_builtin("tiny").facility("office")  # 20 kW import of which the EV charger takes 6
    table = pd.DataFrame({"m1": [20.0], "v2h1": [6.0]}, index=index)
    load = facility_load_history(office, table)
    assert load is not None
    assert load.tolist() == [pytest.approx(14.0)]
