# mypy: allow-untyped-defs, allow-incomplete-defs
"""The API's plan cost breakdown shows money apart from penalties and the stored-energy value (issue 12)."""

from __future__ import annotations

import pandas as pd
import pytest
import service_fixtures
from fastapi.testclient import TestClient
from service_fixtures import TEST_NOW, add_users, login, make_service

from api.app import create_app
from runtime.store import plans
from runtime.store.records import PlanSlotIn

sqlite_store = service_fixtures.sqlite_store
BREAKDOWN = {
    "energy": -1000.0,
    "wheeling": 400.0,
    "wear": 50.0,
    "demand": 0.0,
    "capacity": 200.0,
    "penalty_reserve": 7000.0,
    "penalty_ev_departure": 0.0,
    "terminal_value": -30.0,
}


@pytest.fixture
def client(sqlite_store):
    add_users(sqlite_store)
    idx = pd.date_range(pd.Timestamp(TEST_NOW).tz_convert("Asia/Tokyo").floor("30min"), periods=2, freq="30min")
    slots = [PlanSlotIn(t.to_pydatetime(), plant_kw=60.0, price_jpy_per_kwh=11.0) for t in idx]
    end = (idx[-1] + pd.Timedelta("30min")).to_pydatetime()
    plans.save_plan(
        sqlite_store,
        plans.PlanIn(idx[0].to_pydatetime(), end, "optimal", slots, objective_jpy=6620.0, cost_breakdown=BREAKDOWN),
    )
    with TestClient(create_app(make_service(sqlite_store))) as c:
        yield c


def test_latest_plan_reports_money_apart_from_penalties(client):
    body = client.get("/api/v1/plans/latest", headers=login(client, "op")).json()
    assert body["cost_breakdown"] == BREAKDOWN  # the flat breakdown is kept
    costs = body["cost_summary"]
    # money: -1000 + 400 + 50 + 0 + 200 = -350 JPY; penalties 7000 JPY are not money; 30 JPY of stored value
    assert costs["money_jpy"] == {"energy": -1000.0, "wheeling": 400.0, "demand": 0.0, "capacity": 200.0, "wear": 50.0}
    assert costs["money_total_jpy"] == pytest.approx(-350.0)
    assert costs["penalties_jpy"] == {"penalty_reserve": 7000.0, "penalty_ev_departure": 0.0}
    assert costs["penalties_total_jpy"] == pytest.approx(7000.0)
    assert costs["stored_energy_value_jpy"] == pytest.approx(30.0)
    assert costs["money_total_jpy"] + costs["penalties_total_jpy"] - costs["stored_energy_value_jpy"] == 6620.0
