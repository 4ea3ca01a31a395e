# mypy: allow-untyped-defs, allow-incomplete-defs
"""The disaster office's surface on the 'tiny' scenario (one shelter 'centre', one car 'ev1'): outage plan with
its shelter table, itinerary and CSV/JSON downloads; survival analysis; the /outage page; role checks."""

from __future__ import annotations

import io
import json
import re

import pandas as pd
import pytest
import service_fixtures
from fastapi.testclient import TestClient
from service_fixtures import PASSWORD, add_users, login, make_service

from api.app import create_app
from api.dashboard.outage_chart import LEFT, RIGHT, TimelineRow, W, timeline_chart
from api.dashboard.outage_page import timeline_rows
from runtime.facades import outage_planning as outage
from scenarios.loader import load_scenario

sqlite_store = service_fixtures.sqlite_store
PLAN = {"start": "2024-09-01T14:00:00+09:00", "hours": 24, "method": "milp", "time_limit_s": 20}
SURVIVAL = {"period_start": "2024-07-01", "period_end": "2024-07-07", "hours": 72}


@pytest.fixture
def client(sqlite_store):
    add_users(sqlite_store)
    with TestClient(create_app(make_service(sqlite_store))) as c:
        c.users = {n: login(c, n) for n in ("op", "mgr", "disaster")}
        yield c


def test_outage_plan_tables_and_downloads(client):
    dis, mgr = client.users["disaster"], client.users["mgr"]
    assert client.post("/api/v1/outage-plans", json=PLAN, headers=mgr).status_code == 403
    run = client.post("/api/v1/outage-plans", json=PLAN, headers=dis)
    assert run.status_code == 200, run.text
    body = run.json()
    assert body["slots"] == 48
    assert body["hours"] == 24
    assert body["start"].startswith("2024-09-01T14:00:00+09:00")
    (row,) = body["shelter_table"]
    assert row["facility_id"] == "centre"
    assert row["served_kwh"] + row["shed_kwh"] == pytest.approx(row["critical_kwh"], abs=1e-6)
    # served critical energy comes from PV, the battery (net) and the car (losses only lower what reaches load)
    assert row["served_kwh"] <= row["pv_kwh"] + row["battery_kwh"] + row["ev_kwh"] + 1e-6
    assert body["itinerary"]
    assert body["itinerary"][0]["car"] == "ev1"
    assert body["itinerary"][0]["to_shelter"] == "centre"
    assert sum(m["energy_delivered_kwh"] for m in body["itinerary"]) == pytest.approx(row["ev_kwh"], abs=1e-6)
    if row["dark_at"] is not None:
        dark = pd.Timestamp(str(row["dark_at"])) - pd.Timestamp(str(PLAN["start"]))
        assert dark / pd.Timedelta(hours=1) == pytest.approx(row["hours_until_dark"])

    base = f"/api/v1/outage-plans/{body['run_id']}"
    shelters = client.get(f"{base}/shelters.csv", headers=dis)
    assert shelters.status_code == 200
    assert shelters.headers["content-type"].startswith("text/csv")
    frame = pd.read_csv(io.StringIO(shelters.text), index_col="shelter")
    assert frame.loc["centre", "shed_kwh"] == pytest.approx(row["shed_kwh"])
    itinerary = pd.read_csv(io.StringIO(client.get(f"{base}/itinerary.csv", headers=dis).text))
    assert list(itinerary.columns) == [
        "car",
        "from",
        "to",
        "depart",
        "arrive",
        "travel_kwh",
        "energy_delivered_kwh",
        "arrival_soc",
        "outlet",
        "until",
        "empty_at",
    ]
    assert list(itinerary["car"]) == [m["car"] for m in body["itinerary"]]
    plan = json.loads(client.get(f"{base}/plan.json", headers=client.users["op"]).text)
    assert plan["summary"]["served_kwh"] == pytest.approx(body["served_kwh"])
    assert client.get(f"{base}/shelters.csv", headers=mgr).status_code == 403
    missing = client.get("/api/v1/outage-plans/nosuchrun/itinerary.csv", headers=dis)
    assert missing.status_code == 404
    assert "run_id" in missing.json()["detail"]
    client.cookies.clear()  # the API login also set a session cookie
    assert client.get(f"{base}/plan.json").status_code == 401


def test_outage_plan_bad_input_names_the_field(client):
    op = client.users["op"]
    for field, value in (("hours", 73), ("pv_factor", 1.5), ("method", "magic"), ("start", "2024-09-01T14:00")):
        bad = client.post("/api/v1/outage-plans", json={**PLAN, field: value}, headers=op)
        assert bad.status_code == 422, (field, bad.text)
        assert bad.json()["detail"][0]["loc"][-1] == field, (field, bad.text)


def test_survival_matches_runtime_and_checks_roles(client):
    dis, op, mgr = client.users["disaster"], client.users["op"], client.users["mgr"]
    assert client.post("/api/v1/outage/survival", json=SURVIVAL, headers=mgr).status_code == 403
    assert client.post("/api/v1/outage/survival.csv", json=SURVIVAL, headers=mgr).status_code == 403
    run = client.post("/api/v1/outage/survival", json=SURVIVAL, headers=dis)
    assert run.status_code == 200, run.text
    body = run.json()
    assert body["starts"] == 7 * 48  # the end date is inclusive: 7 days of 30-min starts
    assert body["period_start"] == "2024-07-01T00:00:00+09:00"
    assert body["period_end"] == "2024-07-08T00:00:00+09:00"
    start, _ = outage.outage_start("2024-07-01T00:00")
    end, _ = outage.outage_start("2024-07-08T00:00")
    table = outage.survival(load_scenario("tiny"), start, end, 72)
    (shelter,) = body["shelters"]
    assert shelter["facility_id"] == "centre"
    for label in ("no_ev", "ev"):
        stats = shelter[label]
        assert stats["min_h"] <= stats["mean_h"] <= stats["max_h"] <= 72
        assert stats.pop("comfort_mean_h") is None  # tiny's centre states no comfort tier
        for key, value in stats.items():
            assert value == pytest.approx(float(table.loc["centre", (label, key)])), (label, key)
    assert list(shelter["p_by_month"]) == ["7"]
    assert len(shelter["p_by_hour"]) == 24
    assert 0 <= min(shelter["p_by_hour"].values()) <= max(shelter["p_by_hour"].values()) <= 1
    added = table[("ev", "served_mean_h")].sum() - table[("no_ev", "served_mean_h")].sum()
    assert body["fleet_added_shelter_hours"] == pytest.approx(added)
    short = client.post("/api/v1/outage/survival", json={**SURVIVAL, "hours": 12}, headers=op).json()
    assert short["shelters"][0]["ev"]["p_24h"] is None  # a 12-h outage has no 24-h survival probability
    csv = client.post("/api/v1/outage/survival.csv", json=SURVIVAL, headers=op)
    frame = pd.read_csv(io.StringIO(csv.text), index_col="shelter")
    assert frame.loc["centre", "ev_mean_h"] == pytest.approx(shelter["ev"]["mean_h"])
    assert frame.loc["centre", "no_ev_p_72h"] == pytest.approx(shelter["no_ev"]["p_72h"])


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"period_end": "2024-06-30"}, "period_end"),
        ({"period_end": "2025-07-31"}, "period_end"),
        ({"hours": 0}, "hours"),
        ({"pv_factor": -0.1}, "pv_factor"),
        ({"period_start": "July"}, "period_start"),
    ],
)
def test_survival_bad_input_names_the_field(client, change, field):
    bad = client.post("/api/v1/outage/survival", json={**SURVIVAL, **change}, headers=client.users["disaster"])
    assert bad.status_code == 422
    detail = bad.json()["detail"]
    assert (field in detail) if isinstance(detail, str) else detail[0]["loc"][-1] == field


def test_outage_page_roles_form_and_result(client):
    dis, mgr = client.users["disaster"], client.users["mgr"]
    assert 'href="/outage"' in client.get("/", headers=dis).text
    assert 'href="/outage"' in client.get("/", headers=client.users["op"]).text
    assert 'href="/outage"' not in client.get("/", headers=mgr).text
    assert client.get("/outage", headers=mgr).status_code == 403
    assert client.post("/outage", data={"start": "2024-09-01T14:00"}, headers=mgr).status_code == 403
    client.cookies.clear()  # the API login also set a session cookie
    assert client.get("/outage", follow_redirects=False).headers["location"] == "/login"
    form = client.get("/outage", headers=dis)
    assert form.status_code == 200
    assert 'id="outage-form"' in form.text
    bad = client.post("/outage", data={"start": "2024-09-01T14:00", "hours": "100"}, headers=dis)
    assert bad.status_code == 422
    assert "hours: 100" in bad.text
    assert "<svg" not in bad.text
    bad = client.post("/outage", data={"start": "yesterday", "hours": "24"}, headers=dis)
    assert bad.status_code == 422
    assert "start: &#39;yesterday&#39;" in bad.text
    page = client.post(
        "/outage",
        data={"start": "2024-09-01T14:00", "hours": "24", "pv_factor": "0.5", "method": "greedy"},
        headers=dis,
    )
    assert page.status_code == 200, page.text
    text = page.text
    assert 'id="outage-timeline"' in text
    assert text.count('class="timeline-row"') == 1
    assert text.count('class="move-row"') >= 1
    assert "停電計画" in text
    assert "Outage plan" not in text
    assert "避難所" in text
    found = re.search(r"/api/v1/outage-plans/([A-Za-z0-9_-]+)/itinerary\.csv", text)
    assert found is not None
    run_id = found.group(1)
    csv = client.get(f"/api/v1/outage-plans/{run_id}/shelters.csv", headers=dis)
    assert csv.status_code == 200
    assert "centre" in csv.text


def test_dashboard_login_cookie_reaches_downloads(sqlite_store):
    add_users(sqlite_store)
    with TestClient(create_app(make_service(sqlite_store))) as c:
        c.post("/login", data={"username": "disaster", "password": PASSWORD})
        page = c.post("/outage", data={"start": "2024-09-01T14:00", "hours": "8", "method": "greedy"})
        assert page.status_code == 200
        assert "<svg" in page.text
        link = re.search(r'href="(/api/v1/outage-plans/[^"]+/plan\.json)"', page.text)
        assert link is not None
        plan = c.get(link.group(1))
        assert plan.status_code == 200
        assert plan.json()["summary"]["hours"] == 8


def test_timeline_chart_marks_dark_hour_and_ev_support():
    times = [f"t{i}" for i in range(8)]
    rows = [
        TimelineRow("a", "A", ["served"] * 4 + ["partial"] + ["dark"] * 3, [False, True, True] + [False] * 5, 2.0),
        TimelineRow("b", "B", ["served"] * 8, [False] * 8, None),
    ]
    svg = timeline_chart(rows, 0.5, times, "t")
    assert svg.count('class="timeline-row"') == 2
    assert svg.count('class="slot-served"') == 2
    assert svg.count('class="slot-dark"') == 1
    assert svg.count('class="ev-support"') == 1
    assert svg.count('class="dark-at"') == 1
    slot_w = (W - LEFT - RIGHT) / 8
    assert f'x1="{LEFT + slot_w * 4:.1f}"' in svg  # dark at +2 h = slot 4 of 8 half-hour slots
    assert 'data-dark-hour="2"' in svg
    assert 'data-dark-hour=""' in svg
    with pytest.raises(ValueError, match="timeline"):
        timeline_chart([TimelineRow("a", "A", ["served"], [False], None)], 0.5, times, "t")


def test_timeline_rows_follow_the_plan():
    scenario = load_scenario("tiny")
    start, _ = outage.outage_start("2024-09-01T14:00")
    result = outage.plan(scenario, start, 24, method="greedy", pv_factor=0.0)
    table = result.shelter_table().to_dict(orient="index")["centre"]
    (row,) = timeline_rows(result, scenario)
    assert row.label == next(f.name_ja for f in scenario.facilities if f.id == "centre")
    first_short = next((i for i, s in enumerate(row.states) if s != "served"), None)
    if table["dark_at"] is None:
        assert first_short is None
        assert row.dark_hour is None
    else:
        assert first_short is not None
        assert row.dark_hour == table["hours_until_dark"] == first_short * 0.5
    assert sum(s == "served" for s in row.states) * 0.5 == table["hours_served"]
    assert any(row.ev) == (table["ev_kwh"] > 1e-3)


def test_outage_plan_takes_car_availability_and_soc(client):
    dis = client.users["disaster"]
    night = {**PLAN, "method": "greedy", "pv_factor": 0.0, "hours": 8}  # the centre needs the car after its battery
    sharing = client.post("/api/v1/outage-plans", json=night, headers=dis).json()  # Sunday: car-sharing until 20:00
    assert sharing["itinerary"][0]["depart"].startswith("2024-09-01T20:00:00")
    assert "car ev1: leaves its base from Sun 09-01 20:00" in sharing["notes"]
    night["fleet_calendar"] = False
    free = client.post("/api/v1/outage-plans", json=night, headers=dis).json()
    assert free["itinerary"][0]["depart"].startswith("2024-09-01T14:00:00")
    busy = client.post("/api/v1/outage-plans", json={**night, "unavailable": ["ev1@18:00"]}, headers=dis)
    assert busy.status_code == 200, busy.text
    move = busy.json()["itinerary"][0]
    assert move["depart"].startswith("2024-09-01T18:00:00")
    assert move["outlet"] == "V2L"  # the centre has no bidirectional charger
    low = client.post("/api/v1/outage-plans", json={**night, "ev_soc": {"ev1": 0.2}}, headers=dis).json()
    assert low["itinerary"][0]["arrival_soc"] < free["itinerary"][0]["arrival_soc"]
    for body, text in (({"unavailable": ["nocar"]}, "no car nocar"), ({"ev_soc": {"ev1": 2.0}}, "ev_soc.ev1")):
        bad = client.post("/api/v1/outage-plans", json={**night, **body}, headers=dis)
        assert bad.status_code == 422, bad.text
        assert text in bad.text
